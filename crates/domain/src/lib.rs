//! The football domain of Predictor Fut BR: matches, teams and seasons, the validation that turns
//! a match CSV into them, and the league history they form.
//!
//! - [`validate::validate_csv`] reads one file into valid [`Match`]es plus a [`validate::FileReport`]
//!   naming every problem by line, column and value; it never panics on any input.
//! - [`history::History::merge_sources`] merges files in upload order, recognises one match
//!   across sources (the same clubs, dates at most a day apart), combines what each source knows,
//!   quarantines conflicting scores, orders chronologically and derives seasons.
//! - [`identity::ClubTable`] gives every club one name across sources.
//! - [`synthetic`] generates league histories of any shape for tests and benchmarks.
//!
//! ```
//! use futbr_domain::validate::{validate_csv, ValidateOptions};
//! let csv = "ID,rodata,data,mandante,visitante,mandante_Placar,visitante_Placar\n1,1,29/03/2003,Guarani,Vasco,4,2\n";
//! let file = validate_csv("example.csv", csv.as_bytes(), &ValidateOptions::default());
//! assert_eq!(file.matches.len(), 1);
//! assert_eq!(file.report.exit_code(), 0);
//! ```
//!
//! This crate does no I/O beyond what a caller hands it.

pub mod clubs;
pub mod history;
pub mod identity;
pub mod matches;
pub mod stats;
pub mod synthetic;
pub mod validate;

pub use history::History;
pub use identity::{ClubTable, Resolution};
pub use matches::{match_days, ClosingOdds, Match, NaturalKey, Odds1x2, Outcome, Price, Team};

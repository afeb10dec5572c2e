//! The football domain of Predictor Fut BR: matches, teams and seasons, the validation that turns
//! a match CSV into them, and the league history they form.
//!
//! - [`validate::validate_csv`] reads one file into valid [`Match`]es plus a [`validate::FileReport`]
//!   naming every problem by line, column and value; it never panics on any input.
//! - [`history::History::merge`] merges files in upload order, deduplicates by natural key
//!   (the date and the two clubs), orders chronologically and derives seasons.
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
pub mod matches;
pub mod stats;
pub mod synthetic;
pub mod validate;

pub use history::History;
pub use matches::{Match, NaturalKey, Outcome, Team};

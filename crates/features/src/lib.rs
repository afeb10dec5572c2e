//! One feature engine for training and serving: per-club state folded from played matches in date
//! order, answering the pre-match features of any fixture from the state strictly before its date.
//!
//! Batch processing ([`batch_features`]) and online prediction ([`FeatureEngine::features`]) run
//! the same code, so what a model is trained on and what it is asked about cannot drift apart.
//! The engine refuses a fixture dated on or before the latest match it has seen
//! ([`FeatureError::WouldLeak`]), so no feature can see its own match or a later one.
//!
//! ```
//! use futbr_features::{EngineConfig, FeatureEngine, Fixture, Feature};
//! let engine = FeatureEngine::new(EngineConfig::default());
//! let date = chrono::NaiveDate::from_ymd_opt(2024, 4, 13).unwrap();
//! let row = engine
//!     .features(&Fixture { date, home: "Flamengo", away: "Palmeiras", home_state: Some("RJ"), away_state: Some("SP") })
//!     .unwrap();
//! assert_eq!(row.get(Feature::SameState), 0.0);
//! assert_eq!(row.get(Feature::NewcomerHome), 1.0); // no history: cold-start priors
//! ```
//!
//! Every feature's name, meaning and unit is in [`catalog`] (and `docs/features.md`).

pub mod catalog;
mod engine;
pub mod ratings;

pub use catalog::{Feature, ALL, COUNT, ORIGINAL};
pub use engine::{
    batch_features, batch_features_with_stats, formation_lines, ClubRatings, EngineConfig,
    FeatureEngine, FeatureRow, Fixture, DEFAULT_FORMATION, FORM_WINDOW, PRIOR_GOALS, PRIOR_POINTS,
};

use chrono::NaiveDate;

/// Errors of the feature engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeatureError {
    #[error("match {label} dated {date} comes after a match dated {last_applied}: matches must be applied in date order")]
    OutOfOrder {
        /// `ID n`, or the clubs for a match without an ID.
        label: String,
        date: NaiveDate,
        last_applied: NaiveDate,
    },
    #[error("features for {date} asked of a state that already holds matches up to {last_applied}: that would leak results")]
    WouldLeak {
        date: NaiveDate,
        last_applied: NaiveDate,
    },
}

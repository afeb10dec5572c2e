//! Models of Predictor Fut BR: the candidates (base rates, logistic regression, Elo and pi-ratings
//! through ordered logits, a feature ordered logit, Dixon–Coles, a stack), the walk-forward
//! backtest that judges them, the scores, and the served model's artifact.
//!
//! Invariant: a prediction for a match dated D comes from a model fitted only on matches dated
//! strictly before D, on features computed from matches strictly before D.

pub mod artifact;
pub mod backtest;
pub mod candidates;
pub mod charts;
pub mod dixon_coles;
pub mod glm;
pub mod metrics;
pub mod optimize;
pub mod report;

pub use backtest::{run as run_backtest, Backtest, BacktestConfig, CandidateRun};
pub use candidates::{Candidate, Fitted, Hyper, Recipe, UnknownCandidate};

/// Probabilities of home win, draw, away win (they sum to 1).
pub type Probs = [f64; 3];

/// Errors of the models crate.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Features(#[from] futbr_features::FeatureError),
    #[error("the matches are not in chronological order")]
    NotChronological,
    #[error("no match to test from {from} {}: {}", to.map_or("to the end of the data".to_string(), |d| format!("to {d}")), covered.map_or("the data holds no match".to_string(), |(a, b)| format!("the data covers {a} to {b}")))]
    EmptyTestWindow {
        from: chrono::NaiveDate,
        to: Option<chrono::NaiveDate>,
        /// The first and last dates of the data, if any.
        covered: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    },
    #[error("no match before {from} to train on")]
    NoTrainingData { from: chrono::NaiveDate },
    #[error("model artifact: {0}")]
    Artifact(String),
    #[error("cannot write the plot {path}: {reason}")]
    Plot { path: String, reason: String },
}

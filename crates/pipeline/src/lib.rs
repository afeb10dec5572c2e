//! The jobs of Predictor Fut BR over a [`futbr_lake::Lake`] and the loop that chains them:
//! bootstrap an empty lake, process raw inputs into matches and features, train a version, gate
//! and promote it, record every run, and watch `raw/` for new inputs.
//!
//! Each job is a plain async function taking the lake, so the CLI, the watcher and a cloud
//! container all run the same code.

pub mod bootstrap;
pub mod clubs;
pub mod conflicts;
pub mod doctor;
pub mod feed;
pub mod online;
pub mod orchestrate;
pub mod process;
pub mod promote;
pub mod runs;
pub mod serving;
pub mod track_record;
pub mod train;
pub mod watch;

pub use bootstrap::{bootstrap_if_empty, BootstrapSource};
pub use process::{process, ProcessOptions, ProcessReport};

/// Errors of the jobs, each saying what it was doing and on which object.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Lake(#[from] futbr_lake::LakeError),
    #[error(transparent)]
    Features(#[from] futbr_features::FeatureError),
    #[error(transparent)]
    Models(#[from] futbr_models::ModelError),
    #[error("{key} is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("a job failed: {0}")]
    Job(String),
    #[error("cannot encode {what} as JSON: {reason}")]
    Encode { what: String, reason: String },
    #[error("no model version in the registry: run `futbr train` first")]
    NoVersion,
    #[error("version {version} was trained on other processed data than the lake now holds; train again")]
    StaleChallenger { version: String },
    #[error("another run ({run_id}) holds the lake's run lease until {expires_at}")]
    Busy {
        run_id: String,
        expires_at: chrono::DateTime<chrono::Utc>,
    },
    #[error("cannot read bootstrap source {source_name}: {reason}")]
    BootstrapSource { source_name: String, reason: String },
    #[error("bootstrap source {source_name} has SHA-256 {actual}, expected {expected}; nothing was written")]
    Checksum {
        source_name: String,
        expected: String,
        actual: String,
    },
    #[error("the lake has no input in raw/: add files with `futbr ingest FILE` or start with `--bootstrap SRC`")]
    NoInput,
    #[error("bad club table: {0}")]
    ClubTable(String),
    #[error("nothing to roll back to: {0}")]
    NothingToRollBack(String),
    /// Not even a short run record could be saved (a full disk); `cause` says why the run
    /// ended and why saving failed.
    #[error("run {run_id} ended {status}: {cause}; its record could not be saved, so it may still say running: `futbr runs list` shows it abandoned once its lease expires, and the next run marks it so")]
    RecordNotSaved {
        run_id: String,
        status: String,
        cause: String,
    },
    #[error("no valid match in any input file of raw/ (see {report})")]
    NoValidMatch { report: String },
}

/// A new run id: UTC time to the millisecond plus a random suffix, so ids sort by start time.
pub fn new_run_id() -> String {
    let now = chrono::Utc::now();
    let entropy = std::collections::hash_map::RandomState::new();
    let suffix = std::hash::BuildHasher::hash_one(&entropy, std::process::id()) & 0xffff;
    format!("{}-{suffix:04x}", now.format("%Y%m%dT%H%M%S%3fZ"))
}

/// JSON bytes of `value`, or an error naming `what` (never empty bytes).
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(
    what: &str,
    value: &T,
) -> Result<Vec<u8>, PipelineError> {
    serde_json::to_vec_pretty(value).map_err(|e| PipelineError::Encode {
        what: what.to_string(),
        reason: e.to_string(),
    })
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

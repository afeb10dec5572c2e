//! The jobs of Predictor Fut BR over a [`futbr_lake::Lake`]: bootstrap an empty lake, and process
//! every raw input into validated, deduplicated matches.
//!
//! Each job is a plain async function taking the lake, so the CLI, the watcher and a cloud
//! container all run the same code.

pub mod bootstrap;
pub mod online;
pub mod process;

pub use bootstrap::{bootstrap_if_empty, BootstrapSource};
pub use process::{process, ProcessOptions, ProcessReport};

/// Errors of the jobs, each saying what it was doing and on which object.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Lake(#[from] futbr_lake::LakeError),
    #[error(transparent)]
    Features(#[from] futbr_features::FeatureError),
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

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

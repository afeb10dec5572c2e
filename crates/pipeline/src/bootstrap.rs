//! Filling an empty lake's `raw/` from a pinned public data set, a local file or a URL.

use bytes::Bytes;
use futbr_lake::{keys, Lake, RawAdded};

use crate::{sha256_hex, PipelineError};

/// The pinned public Brasileirão data set (2003–2024).
pub const DEFAULT_SOURCE: &str = "https://raw.githubusercontent.com/adaoduque/Brasileirao_Dataset/d05350f17d6954b221be4ecc2e4fc3501ebe27ad/campeonato-brasileiro-full.csv";
/// Its SHA-256.
pub const DEFAULT_SHA256: &str = "c09d03d36debfd7d7aee71da9a9f0909b5e420fc80a1705f215efc93c76e83fc";

/// Where bootstrap data comes from, and the checksum it must have (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapSource {
    /// A local path or an http(s) URL.
    pub location: String,
    /// Expected hex SHA-256; a mismatch writes nothing.
    pub sha256: Option<String>,
}

impl Default for BootstrapSource {
    /// The pinned public data set, verified by its SHA-256.
    fn default() -> Self {
        BootstrapSource {
            location: DEFAULT_SOURCE.to_string(),
            sha256: Some(DEFAULT_SHA256.to_string()),
        }
    }
}

impl BootstrapSource {
    /// A source chosen by the user, with an optional checksum.
    pub fn new(location: impl Into<String>, sha256: Option<String>) -> Self {
        BootstrapSource {
            location: location.into(),
            sha256: sha256.map(|s| s.trim().to_ascii_lowercase()),
        }
    }

    async fn fetch(&self) -> Result<Bytes, PipelineError> {
        let failed = |reason: String| PipelineError::BootstrapSource {
            source_name: self.location.clone(),
            reason,
        };
        if self.location.starts_with("http://") || self.location.starts_with("https://") {
            let response = reqwest::get(&self.location)
                .await
                .map_err(|e| failed(format!("{e}{}", source_chain(&e))))?;
            if !response.status().is_success() {
                return Err(failed(format!("HTTP status {}", response.status())));
            }
            response.bytes().await.map_err(|e| failed(e.to_string()))
        } else {
            let path = self
                .location
                .strip_prefix("file://")
                .unwrap_or(&self.location);
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|e| failed(e.to_string()))?;
            Ok(Bytes::from(bytes))
        }
    }

    fn file_name(&self) -> &str {
        let trimmed = self.location.split(['?', '#']).next().unwrap_or_default();
        trimmed
            .rsplit(['/', '\\'])
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or("bootstrap.csv")
    }
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut out = String::new();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(&format!(": {c}"));
        cause = c.source();
    }
    out
}

/// When `raw/` is empty, fetches the source, checks its SHA-256 and adds it to `raw/`.
/// Returns `None` when the lake already had inputs (nothing is fetched).
pub async fn bootstrap_if_empty(
    lake: &Lake,
    source: &BootstrapSource,
) -> Result<Option<RawAdded>, PipelineError> {
    if !lake.list(keys::RAW).await?.is_empty() {
        return Ok(None);
    }
    tracing::info!(source = %source.location, "bootstrapping an empty lake");
    let bytes = source.fetch().await?;
    if let Some(expected) = &source.sha256 {
        let actual = sha256_hex(&bytes);
        if &actual != expected {
            return Err(PipelineError::Checksum {
                source_name: source.location.clone(),
                expected: expected.clone(),
                actual,
            });
        }
    }
    Ok(Some(lake.add_raw(source.file_name(), bytes).await?))
}

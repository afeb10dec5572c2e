//! The model registry in the lake: immutable versions under `models/<version>/` and the champion
//! pointer `models/champion.json`.
//!
//! A version is published by writing its artifact and backtest report first and its manifest
//! last, each create-only: a version without a manifest is not published (a crash mid-way leaves
//! nothing visible), and a published version is never overwritten.

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use futbr_models::metrics::Scores;
use futbr_models::{Candidate, Hyper};
use serde::{Deserialize, Serialize};

use crate::{keys, Lake, LakeError};

/// A raw input object as the lineage records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputObject {
    pub key: String,
    pub size: u64,
    pub etag: Option<String>,
    pub sha256: String,
}

/// The window a model was evaluated on, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub matches: usize,
    /// Walk-forward scores of the version's recipe on that window.
    pub scores: Scores,
}

/// Everything about a version: what it was trained from and how good it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: String,
    pub created_at: DateTime<Utc>,
    /// The run that trained it.
    pub run_id: String,
    /// The candidate (model kind) and its hyper-parameters: the recipe. Typed, so a manifest
    /// whose recipe this build cannot read fails to load instead of being scored with defaults.
    pub candidate: Candidate,
    pub hyper: Hyper,
    pub code_version: String,
    /// Lineage: the raw objects the processed data came from.
    pub inputs: Vec<InputObject>,
    /// SHA-256 of `processed/matches.parquet` at training time.
    pub data_sha256: String,
    pub matches: usize,
    pub trained_from: NaiveDate,
    pub trained_through: NaiveDate,
    pub evaluation: Option<Evaluation>,
}

/// Which version serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Champion {
    pub version: String,
    pub since: DateTime<Utc>,
    pub previous: Option<String>,
    /// Why it became champion (gate decision, forced, rollback).
    pub reason: String,
}

/// A version's served model artifact.
pub const MODEL_FILE: &str = "model.json";
/// A version's evaluation (backtest) report.
pub const REPORT_FILE: &str = "backtest.json";
/// A version's logistic model on the original system's 16 features, trained with it.
pub const ORIGINAL_FILE: &str = "original.json";

/// Key of a version's file.
pub fn version_key(version: &str, file: &str) -> String {
    format!("{}{version}/{file}", keys::MODELS)
}

/// A new version id: sortable by creation time, unique.
pub fn new_version_id() -> String {
    let now = Utc::now();
    let entropy = std::collections::hash_map::RandomState::new();
    let suffix =
        std::hash::BuildHasher::hash_one(&entropy, (std::process::id(), now.timestamp_nanos_opt()))
            & 0xffff;
    format!("v{}-{suffix:04x}", now.format("%Y%m%dT%H%M%S%3fZ"))
}

/// The registry of one lake.
pub struct Registry<'a> {
    lake: &'a Lake,
}

fn json_error(key: &str, e: serde_json::Error) -> LakeError {
    LakeError::Table {
        key: key.to_string(),
        reason: e.to_string(),
    }
}

impl<'a> Registry<'a> {
    pub fn new(lake: &'a Lake) -> Registry<'a> {
        Registry { lake }
    }

    /// Publishes a version: artifact, then report, then the manifest (which makes it visible).
    pub async fn publish(
        &self,
        manifest: &Manifest,
        artifact: Bytes,
        report: Bytes,
    ) -> Result<(), LakeError> {
        self.publish_files(
            manifest,
            vec![(MODEL_FILE, artifact), (REPORT_FILE, report)],
        )
        .await
    }

    /// Publishes a version from its files (at least [`MODEL_FILE`] and [`REPORT_FILE`]; also
    /// [`ORIGINAL_FILE`] when trained), each create-only, then the manifest, which makes it visible.
    pub async fn publish_files(
        &self,
        manifest: &Manifest,
        files: Vec<(&str, Bytes)>,
    ) -> Result<(), LakeError> {
        let v = &manifest.version;
        for (file, bytes) in files {
            let key = version_key(v, file);
            if !self.lake.put_if_absent(&key, bytes).await? {
                return Err(LakeError::Table {
                    key,
                    reason: "version already exists; versions are immutable".into(),
                });
            }
        }
        let key = version_key(v, "manifest.json");
        let bytes = serde_json::to_vec_pretty(manifest).map_err(|e| json_error(&key, e))?;
        if !self.lake.put_if_absent(&key, bytes).await? {
            return Err(LakeError::Table {
                key,
                reason: "version already exists; versions are immutable".into(),
            });
        }
        Ok(())
    }

    /// Every published version (with a manifest), oldest first.
    pub async fn versions(&self) -> Result<Vec<Manifest>, LakeError> {
        let mut out = Vec::new();
        for object in self.lake.list(keys::MODELS).await? {
            if object.key.ends_with("/manifest.json") {
                let bytes = self.lake.get(&object.key).await?;
                out.push(
                    serde_json::from_slice::<Manifest>(&bytes)
                        .map_err(|e| json_error(&object.key, e))?,
                );
            }
        }
        out.sort_by(|a, b| a.version.cmp(&b.version));
        Ok(out)
    }

    /// The manifest of one version.
    pub async fn manifest(&self, version: &str) -> Result<Manifest, LakeError> {
        let key = version_key(version, "manifest.json");
        let bytes = self.lake.get(&key).await?;
        serde_json::from_slice(&bytes).map_err(|e| json_error(&key, e))
    }

    /// The artifact bytes of one version.
    pub async fn artifact(&self, version: &str) -> Result<Bytes, LakeError> {
        self.lake.get(&version_key(version, MODEL_FILE)).await
    }

    /// The artifact of the version's model on the original system's 16 features (serving the
    /// original `POST /predict` contract), if the version has one.
    pub async fn original_artifact(&self, version: &str) -> Result<Option<Bytes>, LakeError> {
        self.lake
            .get_opt(&version_key(version, ORIGINAL_FILE))
            .await
    }

    /// The backtest report bytes of one version.
    pub async fn report(&self, version: &str) -> Result<Bytes, LakeError> {
        self.lake.get(&version_key(version, REPORT_FILE)).await
    }

    /// The current champion, if any.
    pub async fn champion(&self) -> Result<Option<Champion>, LakeError> {
        match self.lake.get_opt(keys::CHAMPION).await? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| json_error(keys::CHAMPION, e)),
        }
    }

    /// The current champion with the ETag of the pointer object it was read from.
    pub async fn champion_with_etag(
        &self,
    ) -> Result<Option<(Champion, Option<String>)>, LakeError> {
        match self.lake.get_with_etag(keys::CHAMPION).await? {
            None => Ok(None),
            Some((bytes, etag)) => serde_json::from_slice(&bytes)
                .map(|c| Some((c, etag)))
                .map_err(|e| json_error(keys::CHAMPION, e)),
        }
    }

    /// The ETag of the champion pointer, without reading it (cheap change detection).
    pub async fn champion_etag(&self) -> Result<Option<String>, LakeError> {
        Ok(self.lake.head(keys::CHAMPION).await?.and_then(|o| o.etag))
    }

    /// Makes `version` (which must be published) the champion; the current one becomes `previous`.
    /// One whole-object write: readers see the old pointer or the new one.
    pub async fn set_champion(&self, version: &str, reason: &str) -> Result<Champion, LakeError> {
        self.manifest(version).await?;
        let previous = self
            .champion()
            .await?
            .map(|c| c.version)
            .filter(|v| v != version);
        let champion = Champion {
            version: version.to_string(),
            since: Utc::now(),
            previous,
            reason: reason.to_string(),
        };
        let bytes =
            serde_json::to_vec_pretty(&champion).map_err(|e| json_error(keys::CHAMPION, e))?;
        self.lake.put(keys::CHAMPION, bytes).await?;
        Ok(champion)
    }
}

//! The model registry in the lake: immutable versions under `models/<version>/` and the champion
//! pointer `models/champion.json`.
//!
//! A version is published by writing its artifact and backtest report first and its manifest
//! last, each create-only: a version without a manifest is not published (a crash mid-way leaves
//! nothing visible), and a published version is never overwritten. The manifest holds the
//! artifact's SHA-256, checked on every load.
//!
//! The champion pointer is only ever replaced by compare-and-swap on the ETag it was read with
//! ([`Registry::replace_champion`]): the gate promotes over the champion it judged or not at all.
//! A rollback pins the champion ([`Pin`]) until data arrives that the rolled-back-from version had
//! not seen, or until the operator releases it.

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use futbr_models::metrics::Scores;
use futbr_models::{Candidate, Hyper};
use serde::{Deserialize, Serialize};

use crate::store::Expect;
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
    /// SHA-256 of `model.json`, set by [`Registry::publish`] and checked on every load (absent in
    /// manifests written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_sha256: Option<String>,
    /// SHA-256 of `original.json`, when the version has one; checked like `artifact_sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_sha256: Option<String>,
}

/// Which version serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Champion {
    pub version: String,
    pub since: DateTime<Utc>,
    pub previous: Option<String>,
    /// Why it became champion (gate decision, forced, rollback).
    pub reason: String,
    /// Set by a rollback: the loop does not replace this champion until it is released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<Pin>,
}

/// A rollback's hold on the champion: it lasts until `raw/` holds an input that the
/// rolled-back-from version had not seen (new data), or until the operator releases it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// The version rolled back from.
    pub rolled_back_from: String,
    /// Its lineage: raw inputs it had seen (key and SHA-256 matter).
    pub seen: Vec<InputObject>,
}

impl Pin {
    /// True while every input holds bytes the rolled-back-from version had already seen.
    pub fn holds_for(&self, inputs: &[InputObject]) -> bool {
        inputs.iter().all(|i| {
            self.seen
                .iter()
                .any(|s| s.key == i.key && s.sha256 == i.sha256)
        })
    }
}

/// What `models/champion.json` holds right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChampionPointer {
    Absent,
    Valid {
        champion: Champion,
        etag: String,
    },
    /// Not a champion record (truncated, garbled): `promote --force` replaces it.
    Corrupt {
        etag: String,
        reason: String,
    },
}

impl ChampionPointer {
    fn expect(&self) -> Expect<'_> {
        match self {
            ChampionPointer::Absent => Expect::Absent,
            ChampionPointer::Valid { etag, .. } | ChampionPointer::Corrupt { etag, .. } => {
                Expect::ETag(etag)
            }
        }
    }

    /// The champion's version, if the pointer is readable.
    pub fn version(&self) -> Option<&str> {
        match self {
            ChampionPointer::Valid { champion, .. } => Some(&champion.version),
            _ => None,
        }
    }
}

/// A version's served model artifact.
pub const MODEL_FILE: &str = "model.json";
/// A version's evaluation (backtest) report.
pub const REPORT_FILE: &str = "backtest.json";
/// A version's logistic model on the original system's 16 features, trained with it.
pub const ORIGINAL_FILE: &str = "original.json";
/// The candidates compared when the version was trained, on its evaluation window (versions
/// trained before this file existed have none).
pub const COMPARISON_FILE: &str = "candidates.json";

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

    /// Publishes a version: artifact, then report, then the manifest (which makes it visible),
    /// the manifest recording the artifact's SHA-256.
    pub async fn publish(
        &self,
        manifest: &Manifest,
        artifact: Bytes,
        report: Bytes,
    ) -> Result<Manifest, LakeError> {
        self.publish_files(
            manifest,
            vec![(MODEL_FILE, artifact), (REPORT_FILE, report)],
        )
        .await
    }

    /// Publishes a version from its files (at least [`MODEL_FILE`] and [`REPORT_FILE`]; also
    /// [`ORIGINAL_FILE`] when trained), each create-only, then the manifest, which makes it
    /// visible; the manifest records the SHA-256 of the artifacts ([`MODEL_FILE`],
    /// [`ORIGINAL_FILE`]), checked on every load. Returns the manifest as published.
    pub async fn publish_files(
        &self,
        manifest: &Manifest,
        files: Vec<(&str, Bytes)>,
    ) -> Result<Manifest, LakeError> {
        let mut manifest = manifest.clone();
        for (file, bytes) in &files {
            match *file {
                MODEL_FILE => manifest.artifact_sha256 = Some(sha256_hex(bytes)),
                ORIGINAL_FILE => manifest.original_sha256 = Some(sha256_hex(bytes)),
                _ => {}
            }
        }
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
        let bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| json_error(&key, e))?;
        if !self.lake.put_if_absent(&key, bytes).await? {
            return Err(LakeError::Table {
                key,
                reason: "version already exists; versions are immutable".into(),
            });
        }
        Ok(manifest)
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

    /// The artifact bytes of one version, checked against the SHA-256 in its manifest.
    pub async fn artifact(&self, version: &str) -> Result<Bytes, LakeError> {
        self.verified(version, MODEL_FILE).await
    }

    /// The artifact of the version's model on the original system's 16 features (serving the
    /// original `POST /predict` contract), if the version has one; checked like
    /// [`Registry::artifact`].
    pub async fn original_artifact(&self, version: &str) -> Result<Option<Bytes>, LakeError> {
        match self.verified(version, ORIGINAL_FILE).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(LakeError::NotFound { key }) if key.ends_with(ORIGINAL_FILE) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A version's file, checked against the SHA-256 its manifest records for it.
    async fn verified(&self, version: &str, file: &str) -> Result<Bytes, LakeError> {
        let manifest = self.manifest(version).await?;
        let key = version_key(version, file);
        let bytes = self.lake.get(&key).await?;
        let expected = match file {
            MODEL_FILE => manifest.artifact_sha256.as_ref(),
            ORIGINAL_FILE => manifest.original_sha256.as_ref(),
            _ => None,
        };
        if let Some(expected) = expected {
            let actual = sha256_hex(&bytes);
            if &actual != expected {
                return Err(LakeError::Corrupt {
                    key,
                    reason: format!(
                        "SHA-256 {actual} differs from {expected} in its manifest; the artifact was altered or damaged"
                    ),
                });
            }
        }
        Ok(bytes)
    }

    /// The backtest report bytes of one version.
    pub async fn report(&self, version: &str) -> Result<Bytes, LakeError> {
        self.lake.get(&version_key(version, REPORT_FILE)).await
    }

    /// The candidates compared when `version` was trained ([`COMPARISON_FILE`]), if recorded.
    pub async fn comparison(&self, version: &str) -> Result<Option<Bytes>, LakeError> {
        let key = version_key(version, COMPARISON_FILE);
        match self.lake.get(&key).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(LakeError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The current champion, if any; an unreadable pointer is an error (see
    /// [`Registry::champion_pointer`] to handle it).
    pub async fn champion(&self) -> Result<Option<Champion>, LakeError> {
        Ok(self.champion_with_etag().await?.map(|(c, _)| c))
    }

    /// The current champion and the ETag of the pointer it was read from (for a later
    /// [`Registry::replace_champion`], or a cheap change check).
    pub async fn champion_with_etag(
        &self,
    ) -> Result<Option<(Champion, Option<String>)>, LakeError> {
        match self.champion_pointer().await? {
            ChampionPointer::Absent => Ok(None),
            ChampionPointer::Valid { champion, etag } => Ok(Some((champion, Some(etag)))),
            ChampionPointer::Corrupt { reason, .. } => Err(LakeError::Corrupt {
                key: keys::CHAMPION.into(),
                reason: format!(
                    "{reason}; `futbr models promote VERSION` or `futbr doctor --repair` replaces it"
                ),
            }),
        }
    }

    /// The ETag of the champion pointer, without reading it (cheap change detection).
    pub async fn champion_etag(&self) -> Result<Option<String>, LakeError> {
        Ok(self.lake.head(keys::CHAMPION).await?.and_then(|o| o.etag))
    }

    /// The champion pointer as it is, readable or not.
    pub async fn champion_pointer(&self) -> Result<ChampionPointer, LakeError> {
        let Some((bytes, etag)) = self.lake.get_with_etag(keys::CHAMPION).await? else {
            return Ok(ChampionPointer::Absent);
        };
        let etag = etag.unwrap_or_default();
        Ok(match serde_json::from_slice::<Champion>(&bytes) {
            Ok(champion) => ChampionPointer::Valid { champion, etag },
            Err(e) => ChampionPointer::Corrupt {
                etag,
                reason: e.to_string(),
            },
        })
    }

    /// Replaces the champion pointer with `champion` only if it still is `read` (compare-and-swap
    /// on its ETag): otherwise [`LakeError::ChampionChanged`] and nothing is written.
    pub async fn replace_champion(
        &self,
        read: &ChampionPointer,
        champion: &Champion,
    ) -> Result<(), LakeError> {
        self.manifest(&champion.version).await?;
        let bytes =
            serde_json::to_vec_pretty(champion).map_err(|e| json_error(keys::CHAMPION, e))?;
        if self.lake.swap(keys::CHAMPION, read.expect(), bytes).await? {
            return Ok(());
        }
        let found = match self.champion_pointer().await? {
            ChampionPointer::Absent => "no champion".to_string(),
            ChampionPointer::Valid { champion, .. } => champion.version,
            ChampionPointer::Corrupt { .. } => "an unreadable pointer".to_string(),
        };
        Err(LakeError::ChampionChanged { found })
    }

    /// Makes `version` (which must be published) the champion, whatever the pointer holds now
    /// (an unreadable pointer is replaced; a pin is dropped); the current one becomes `previous`.
    /// For an operator's explicit choice (and the server's admin route): a concurrent change is
    /// re-read and overridden.
    pub async fn set_champion(&self, version: &str, reason: &str) -> Result<Champion, LakeError> {
        self.manifest(version).await?;
        let mut attempts = 0;
        loop {
            let read = self.champion_pointer().await?;
            let previous = match &read {
                ChampionPointer::Valid { champion, .. } if champion.version == version => {
                    champion.previous.clone()
                }
                ChampionPointer::Valid { champion, .. } => Some(champion.version.clone()),
                _ => None,
            };
            let champion = Champion {
                version: version.to_string(),
                since: Utc::now(),
                previous,
                reason: reason.to_string(),
                pinned: None,
            };
            match self.replace_champion(&read, &champion).await {
                Err(LakeError::ChampionChanged { .. }) if attempts < 5 => attempts += 1,
                Err(e) => return Err(e),
                Ok(()) => return Ok(champion),
            }
        }
    }

    /// Gives the champion's place back to the previous champion and pins it there (the loop will
    /// not promote over it until new data arrives or [`Registry::release_pin`]).
    pub async fn rollback(&self) -> Result<Champion, LakeError> {
        let read = self.champion_pointer().await?;
        let current = match &read {
            ChampionPointer::Valid { champion, .. } => champion.clone(),
            ChampionPointer::Absent => {
                return Err(LakeError::NotFound {
                    key: keys::CHAMPION.into(),
                })
            }
            ChampionPointer::Corrupt { reason, .. } => {
                return Err(LakeError::Corrupt {
                    key: keys::CHAMPION.into(),
                    reason: format!(
                        "{reason}; its previous version is unknown: `futbr models promote VERSION` replaces it"
                    ),
                })
            }
        };
        let previous = current.previous.clone().ok_or_else(|| LakeError::Corrupt {
            key: keys::CHAMPION.into(),
            reason: format!(
                "champion {} has no previous version to roll back to",
                current.version
            ),
        })?;
        let seen = match self.manifest(&current.version).await {
            Ok(m) => m.inputs,
            // The rolled-back-from version is gone: the pin holds for what the new champion saw.
            Err(LakeError::NotFound { .. }) => self.manifest(&previous).await?.inputs,
            Err(e) => return Err(e),
        };
        let champion = Champion {
            version: previous,
            since: Utc::now(),
            previous: Some(current.version.clone()),
            reason: format!("rollback from {}", current.version),
            pinned: Some(Pin {
                rolled_back_from: current.version.clone(),
                seen,
            }),
        };
        self.replace_champion(&read, &champion).await?;
        Ok(champion)
    }

    /// Releases a rollback's pin: the loop may promote over the champion again.
    pub async fn release_pin(&self) -> Result<Option<Champion>, LakeError> {
        let read = self.champion_pointer().await?;
        let ChampionPointer::Valid { champion, .. } = &read else {
            return Ok(None);
        };
        if champion.pinned.is_none() {
            return Ok(None);
        }
        let released = Champion {
            pinned: None,
            reason: format!("{} (pin released by the operator)", champion.reason),
            ..champion.clone()
        };
        self.replace_champion(&read, &released).await?;
        Ok(Some(released))
    }
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

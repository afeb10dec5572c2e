//! The run lease: at most one pipeline run at a time on a lake.
//!
//! The lease is the object `runs/lock.json`, created with a create-only write. It expires unless
//! its holder renews it; an expired lease may be taken over. On S3 the takeover is a conditional
//! write on the lease's ETag, so two takers cannot both win. The local-folder store offers no
//! ETag-checked update, so there the takeover deletes the expired lease and creates a new one
//! create-only: two takers racing within that gap both see the create succeed or fail as one
//! (`rename` is atomic), but a third could delete the winner's fresh lease — acceptable for a
//! single machine, where `futbr serve`/`watch` is the only writer.

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use object_store::{PutMode, PutOptions, UpdateVersion};
use serde::{Deserialize, Serialize};

use crate::{keys, Lake, LakeError, StoreKind};

/// What the lease object holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRecord {
    pub run_id: String,
    pub acquired_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A lease held by this process.
#[derive(Debug, Clone)]
pub struct Lease {
    pub run_id: String,
    ttl: Duration,
}

/// Why a lease could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Busy {
    /// Another run holds a live lease.
    HeldBy(LeaseRecord),
}

impl Lake {
    async fn lease_record(&self) -> Result<Option<(LeaseRecord, Option<String>)>, LakeError> {
        let Some(info) = self.head(keys::LEASE).await? else {
            return Ok(None);
        };
        let Some(bytes) = self.get_opt(keys::LEASE).await? else {
            return Ok(None);
        };
        let record: LeaseRecord = serde_json::from_slice(&bytes).map_err(|e| LakeError::Table {
            key: keys::LEASE.into(),
            reason: e.to_string(),
        })?;
        Ok(Some((record, info.etag)))
    }

    /// The live lease, if a run holds one now (an expired lease counts as none).
    pub async fn lease_holder(&self) -> Result<Option<LeaseRecord>, LakeError> {
        Ok(self
            .lease_record()
            .await?
            .map(|(record, _)| record)
            .filter(|r| r.expires_at > Utc::now()))
    }

    /// Tries to take the run lease for `run_id` for `ttl`.
    pub async fn acquire_lease(
        &self,
        run_id: &str,
        ttl: Duration,
    ) -> Result<Result<Lease, Busy>, LakeError> {
        let now = Utc::now();
        let record = LeaseRecord {
            run_id: run_id.to_string(),
            acquired_at: now,
            expires_at: now + ttl,
        };
        let bytes = Bytes::from(serde_json::to_vec(&record).unwrap_or_default());
        let lease = Lease {
            run_id: run_id.to_string(),
            ttl,
        };
        if self.put_if_absent(keys::LEASE, bytes.clone()).await? {
            return Ok(Ok(lease));
        }
        let Some((held, etag)) = self.lease_record().await? else {
            // Released between our write and our read: try once more.
            return Ok(if self.put_if_absent(keys::LEASE, bytes).await? {
                Ok(lease)
            } else {
                Err(Busy::HeldBy(record))
            });
        };
        if held.expires_at > now {
            return Ok(Err(Busy::HeldBy(held)));
        }
        tracing::warn!(expired = %held.run_id, "taking over an expired run lease");
        let taken = match (self.kind(), etag) {
            (StoreKind::S3, Some(e_tag)) => {
                let options = PutOptions {
                    mode: PutMode::Update(UpdateVersion {
                        e_tag: Some(e_tag),
                        version: None,
                    }),
                    ..Default::default()
                };
                match self.put_opts_raw(keys::LEASE, bytes, options).await {
                    Ok(()) => true,
                    Err(LakeError::Store {
                        source:
                            object_store::Error::Precondition { .. }
                            | object_store::Error::AlreadyExists { .. },
                        ..
                    }) => false,
                    Err(e) => return Err(e),
                }
            }
            _ => {
                self.delete(keys::LEASE).await?;
                self.put_if_absent(keys::LEASE, bytes).await?
            }
        };
        Ok(if taken {
            Ok(lease)
        } else {
            Err(Busy::HeldBy(held))
        })
    }

    /// Extends a lease this process holds; false when it was lost (expired and taken over).
    pub async fn renew_lease(&self, lease: &Lease) -> Result<bool, LakeError> {
        match self.lease_record().await? {
            Some((held, _)) if held.run_id == lease.run_id => {
                let record = LeaseRecord {
                    expires_at: Utc::now() + lease.ttl,
                    ..held
                };
                self.put(keys::LEASE, serde_json::to_vec(&record).unwrap_or_default())
                    .await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Gives a lease up (only if still ours).
    pub async fn release_lease(&self, lease: &Lease) -> Result<(), LakeError> {
        if let Some((held, _)) = self.lease_record().await? {
            if held.run_id == lease.run_id {
                self.delete(keys::LEASE).await?;
            }
        }
        Ok(())
    }

    /// The current lease, if any (for status displays).
    pub async fn current_lease(&self) -> Result<Option<LeaseRecord>, LakeError> {
        Ok(self.lease_record().await?.map(|(r, _)| r))
    }
}

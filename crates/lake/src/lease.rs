//! The run lease: at most one pipeline run at a time on a lake, and a fencing token for its writes.
//!
//! The lease is the object `runs/lock.json`. It is only ever replaced by compare-and-swap
//! ([`Lake::swap`]: a conditional put on S3 and in memory, an `flock`-guarded check-and-rename on
//! a local folder), so of several runs racing for a free or expired lease exactly one wins. Each
//! acquisition raises the lease's `generation` by one; releasing keeps the object (marked
//! released) so generations never repeat. The generation is the fencing token: a lake handle from
//! [`Lake::fenced`] checks, before each write, that the lease still names its run and generation,
//! so a run paused past its lease (SIGSTOP, a suspended laptop) and taken over writes nothing more.

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::store::Expect;
use crate::{keys, Lake, LakeError};

/// What the lease object holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRecord {
    pub run_id: String,
    pub acquired_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Raised by one at every acquisition: the fencing token.
    #[serde(default)]
    pub generation: u64,
    /// Given up by its run; free to take.
    #[serde(default)]
    pub released: bool,
}

/// A lease held by this process.
#[derive(Debug, Clone)]
pub struct Lease {
    pub run_id: String,
    /// The generation this process acquired (its fencing token).
    pub generation: u64,
    ttl: Duration,
}

/// Why a lease could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Busy {
    /// Another run holds a live lease.
    HeldBy(LeaseRecord),
}

/// What `runs/lock.json` holds right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseState {
    Absent,
    Held {
        record: LeaseRecord,
        etag: String,
    },
    /// Not a lease record (truncated, garbled): taken over like an expired lease.
    Garbled {
        etag: String,
        reason: String,
    },
}

fn encode(record: &LeaseRecord) -> Result<Bytes, LakeError> {
    serde_json::to_vec_pretty(record)
        .map(Bytes::from)
        .map_err(|e| LakeError::Corrupt {
            key: keys::LEASE.into(),
            reason: format!("cannot encode the lease: {e}"),
        })
}

impl Lake {
    /// The lease object as it is now.
    pub async fn lease_state(&self) -> Result<LeaseState, LakeError> {
        let Some((bytes, etag)) = self.get_with_etag(keys::LEASE).await? else {
            return Ok(LeaseState::Absent);
        };
        let etag = etag.unwrap_or_default();
        Ok(match serde_json::from_slice::<LeaseRecord>(&bytes) {
            Ok(record) => LeaseState::Held { record, etag },
            Err(e) => LeaseState::Garbled {
                etag,
                reason: e.to_string(),
            },
        })
    }

    /// The live lease, if a run holds one now (an expired or released lease counts as none).
    pub async fn lease_holder(&self) -> Result<Option<LeaseRecord>, LakeError> {
        Ok(match self.lease_state().await? {
            LeaseState::Held { record, .. }
                if !record.released && record.expires_at > Utc::now() =>
            {
                Some(record)
            }
            _ => None,
        })
    }

    /// Tries to take the run lease for `run_id` for `ttl`: free, released, expired and garbled
    /// leases are taken by compare-and-swap on what was read, so one taker wins.
    pub async fn acquire_lease(
        &self,
        run_id: &str,
        ttl: Duration,
    ) -> Result<Result<Lease, Busy>, LakeError> {
        for _ in 0..5 {
            let now = Utc::now();
            let state = self.lease_state().await?;
            let (expect, generation) = match &state {
                LeaseState::Absent => (Expect::Absent, 1),
                LeaseState::Held { record, .. } if !record.released && record.expires_at > now => {
                    return Ok(Err(Busy::HeldBy(record.clone())));
                }
                LeaseState::Held { record, etag } => {
                    if !record.released {
                        tracing::warn!(expired = %record.run_id, "taking over an expired run lease");
                    }
                    (Expect::ETag(etag), record.generation + 1)
                }
                LeaseState::Garbled { etag, reason } => {
                    tracing::warn!(%reason, "runs/lock.json is unreadable; taking it over");
                    (Expect::ETag(etag), 1)
                }
            };
            let record = LeaseRecord {
                run_id: run_id.to_string(),
                acquired_at: now,
                expires_at: now + ttl,
                generation,
                released: false,
            };
            if self.swap(keys::LEASE, expect, encode(&record)?).await? {
                return Ok(Ok(Lease {
                    run_id: run_id.to_string(),
                    generation,
                    ttl,
                }));
            }
            // Someone else wrote the lease between our read and our swap: look again.
        }
        match self.lease_state().await? {
            LeaseState::Held { record, .. } => Ok(Err(Busy::HeldBy(record))),
            _ => Err(LakeError::Corrupt {
                key: keys::LEASE.into(),
                reason: "the lease keeps changing under every attempt to take it".into(),
            }),
        }
    }

    /// Extends a lease this process holds; false when it was lost (taken over, or released).
    pub async fn renew_lease(&self, lease: &Lease) -> Result<bool, LakeError> {
        match self.lease_state().await? {
            LeaseState::Held { record, etag }
                if record.run_id == lease.run_id
                    && record.generation == lease.generation
                    && !record.released =>
            {
                let renewed = LeaseRecord {
                    expires_at: Utc::now() + lease.ttl,
                    ..record
                };
                self.swap(keys::LEASE, Expect::ETag(&etag), encode(&renewed)?)
                    .await
            }
            _ => Ok(false),
        }
    }

    /// Gives a lease up (only if still ours): the record stays, marked released, so the next
    /// generation follows this one.
    pub async fn release_lease(&self, lease: &Lease) -> Result<(), LakeError> {
        if let LeaseState::Held { record, etag } = self.lease_state().await? {
            if record.run_id == lease.run_id && record.generation == lease.generation {
                let released = LeaseRecord {
                    expires_at: Utc::now(),
                    released: true,
                    ..record
                };
                self.swap(keys::LEASE, Expect::ETag(&etag), encode(&released)?)
                    .await?;
            }
        }
        Ok(())
    }

    /// The current lease, if one is held (live or expired, not released).
    pub async fn current_lease(&self) -> Result<Option<LeaseRecord>, LakeError> {
        Ok(match self.lease_state().await? {
            LeaseState::Held { record, .. } if !record.released => Some(record),
            _ => None,
        })
    }
}

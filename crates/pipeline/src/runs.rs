//! Run records: `runs/<run-id>.json`, one per pipeline run, rewritten after every step.

use chrono::{DateTime, NaiveDate, Utc};
use futbr_lake::registry::InputObject;
use futbr_lake::{keys, Expect, Lake, LakeError, Swapped};
use serde::{Deserialize, Serialize};

/// How a run ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    Running,
    /// A new version was trained and the gate decided.
    Succeeded,
    /// Nothing to do: the inputs or the data equal the champion's.
    UpToDate,
    Failed,
    /// It stopped without finishing (killed, crashed); found by a later run.
    Abandoned,
    /// Nothing to do: a rollback pinned the champion and no input is new to the version rolled
    /// back from (`futbr models release` lifts the pin).
    Pinned,
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub name: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `ok`, `failed` or `skipped`.
    pub outcome: String,
    pub error: Option<String>,
    pub detail: serde_json::Value,
}

/// What the quality gate decided, with both numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateDecision {
    pub challenger: String,
    pub champion: Option<String>,
    pub challenger_rps: f64,
    pub champion_rps: Option<f64>,
    /// The challenger may be worse than the champion by at most this much RPS.
    pub tolerance: f64,
    pub window_from: NaiveDate,
    pub window_to: NaiveDate,
    pub window_matches: usize,
    pub promoted: bool,
    pub reason: String,
}

/// How many conflicts and corrections a run record spells out (the record stays small).
pub const MAX_MERGE_NOTES: usize = 10;

/// One pipeline run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    pub trigger: String,
    pub status: RunStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub inputs: Vec<InputObject>,
    pub steps: Vec<StepRecord>,
    pub champion_before: Option<String>,
    pub champion_after: Option<String>,
    pub version: Option<String>,
    pub gate: Option<GateDecision>,
    pub message: String,
    /// Rows whose score conflicts with a known result, quarantined by this run's processing
    /// (all of them in `processed/report.json` and `quarantine/<run>/conflicts.json`).
    #[serde(default)]
    pub conflicts: usize,
    /// Known scores replaced by a correction file (`raw/corrections/`) in this run.
    #[serde(default)]
    pub corrections: usize,
    /// The first [`MAX_MERGE_NOTES`] conflicts and corrections, in words.
    #[serde(default)]
    pub merge_notes: Vec<String>,
    /// A run made of separate step jobs (the cloud's state machine: one task per step) holds no
    /// lease between its steps: until this time it is waiting for its next step, not abandoned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_step_by: Option<DateTime<Utc>>,
    /// ETag of this record as this process last wrote it: each save is a compare-and-swap on
    /// it, so a run cannot overwrite what a newer run wrote (e.g. marking it abandoned).
    #[serde(skip)]
    written: Option<Option<String>>,
}

impl RunRecord {
    pub fn new(run_id: &str, trigger: &str) -> RunRecord {
        RunRecord {
            run_id: run_id.to_string(),
            trigger: trigger.to_string(),
            status: RunStatus::Running,
            started_at: Utc::now(),
            finished_at: None,
            inputs: Vec::new(),
            steps: Vec::new(),
            champion_before: None,
            champion_after: None,
            version: None,
            gate: None,
            message: String::new(),
            conflicts: 0,
            corrections: 0,
            merge_notes: Vec::new(),
            next_step_by: None,
            written: None,
        }
    }

    /// The stored record of `run_id`, ready to be updated by [`RunRecord::save`] (which then
    /// replaces exactly what was read); `None` if there is none.
    pub async fn load(lake: &Lake, run_id: &str) -> Result<Option<RunRecord>, LakeError> {
        let key = keys::run_record(run_id);
        let Some((bytes, etag)) = lake.get_with_etag(&key).await? else {
            return Ok(None);
        };
        let mut run: RunRecord = serde_json::from_slice(&bytes).map_err(|e| LakeError::Table {
            key,
            reason: e.to_string(),
        })?;
        run.written = Some(etag);
        Ok(Some(run))
    }

    /// Whether the run is between two of its step jobs at `now` (see `next_step_by`).
    pub fn between_steps(&self, now: DateTime<Utc>) -> bool {
        self.status == RunStatus::Running && self.next_step_by.is_some_and(|by| by > now)
    }

    /// Writes the record (whole object) by compare-and-swap: created if new, else replaced only
    /// if it is still what this process last wrote.
    pub async fn save(&mut self, lake: &Lake) -> Result<(), LakeError> {
        let key = keys::run_record(&self.run_id);
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| LakeError::Corrupt {
            key: key.clone(),
            reason: format!("cannot encode the run record: {e}"),
        })?;
        let expect = match &self.written {
            None => Expect::Absent,
            Some(Some(etag)) => Expect::ETag(etag),
            // A store that gives no ETag: a whole-object write is the best there is.
            Some(None) => {
                lake.put(&key, bytes).await?;
                return Ok(());
            }
        };
        match lake.swap_tagged(&key, expect, bytes).await? {
            Swapped::Written { etag } => {
                self.written = Some(etag);
                Ok(())
            }
            Swapped::Conflict => Err(LakeError::RecordChanged { key }),
        }
    }
}

/// Every run record as it stands, oldest first: a record that still says `running` while its run
/// no longer holds a live run lease is shown `abandoned` (see [`as_seen`]).
pub async fn list_runs(lake: &Lake) -> Result<Vec<RunRecord>, LakeError> {
    let mut runs = stored_runs(lake).await?;
    if runs.iter().any(|r| r.status == RunStatus::Running) {
        let live = live_run(lake).await?;
        for run in &mut runs {
            as_seen(run, live.as_deref());
        }
    }
    Ok(runs)
}

/// The run that holds a live (unexpired, unreleased) run lease, if any.
pub async fn live_run(lake: &Lake) -> Result<Option<String>, LakeError> {
    Ok(match lake.lease_state().await? {
        futbr_lake::LeaseState::Held { record, .. }
            if !record.released && record.expires_at > Utc::now() =>
        {
            Some(record.run_id)
        }
        _ => None,
    })
}

/// A run whose record says `running` but which does not hold the live lease (`live`) stopped
/// without finishing: killed, crashed, paused past its lease, or unable to save its last record
/// (a full disk). Only the lease holder can be running, so such a record is shown `abandoned`
/// until the next run marks it so in the lake ([`mark_abandoned`]).
pub fn as_seen(run: &mut RunRecord, live: Option<&str>) {
    if run.status == RunStatus::Running
        && live != Some(run.run_id.as_str())
        && !run.between_steps(Utc::now())
    {
        run.status = RunStatus::Abandoned;
        let last = run
            .steps
            .last()
            .map(|s| format!(" (last step recorded: {} {})", s.name, s.outcome))
            .unwrap_or_default();
        run.message = format!(
            "stopped before finishing: its record says running, but it no longer holds the run lease{last}; the next run marks it abandoned"
        );
    }
}

/// Every run record exactly as stored, oldest first (a dead run may still say `running`).
pub async fn stored_runs(lake: &Lake) -> Result<Vec<RunRecord>, LakeError> {
    let mut out = Vec::new();
    for object in lake.list(keys::RUNS).await? {
        if object.key == keys::LEASE || !object.key.ends_with(".json") {
            continue;
        }
        let bytes = lake.get(&object.key).await?;
        match serde_json::from_slice::<RunRecord>(&bytes) {
            Ok(r) => out.push(r),
            Err(e) => {
                tracing::warn!(key = %object.key, error = %e, "unreadable run record skipped")
            }
        }
    }
    out.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    Ok(out)
}

/// One run record as it stands (see [`list_runs`]).
pub async fn get_run(lake: &Lake, run_id: &str) -> Result<RunRecord, LakeError> {
    let key = keys::run_record(run_id);
    let bytes = lake.get(&key).await?;
    let mut run: RunRecord = serde_json::from_slice(&bytes).map_err(|e| LakeError::Table {
        key,
        reason: e.to_string(),
    })?;
    if run.status == RunStatus::Running {
        as_seen(&mut run, live_run(lake).await?.as_deref());
    }
    Ok(run)
}

/// Marks every run still `running` other than `current` as abandoned. Call only while holding the
/// lease: then no other run can be alive. Each mark is a compare-and-swap on the record as read,
/// so a write still in flight from the dead run is not lost silently: the mark is retried.
pub async fn mark_abandoned(lake: &Lake, current: &str) -> Result<Vec<String>, LakeError> {
    let mut marked = Vec::new();
    for run in stored_runs(lake).await? {
        if run.status != RunStatus::Running
            || run.run_id == current
            || run.between_steps(Utc::now())
        {
            continue;
        }
        let key = keys::run_record(&run.run_id);
        for _ in 0..5 {
            let Some((bytes, etag)) = lake.get_with_etag(&key).await? else {
                break;
            };
            let Ok(mut run) = serde_json::from_slice::<RunRecord>(&bytes) else {
                break;
            };
            if run.status != RunStatus::Running || run.between_steps(Utc::now()) {
                break;
            }
            run.status = RunStatus::Abandoned;
            run.finished_at = Some(Utc::now());
            run.message = format!(
                "stopped before finishing (killed, crashed or paused past its lease); found abandoned by run {current}"
            );
            run.written = Some(etag);
            match run.save(lake).await {
                Ok(()) => {
                    marked.push(run.run_id);
                    break;
                }
                Err(LakeError::RecordChanged { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(marked)
}

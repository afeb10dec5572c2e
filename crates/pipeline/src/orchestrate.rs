//! `futbr pipeline run`: bootstrap → process → train → promote under the run lease, with a run
//! record, idempotent and crash-safe.
//!
//! Every write of a run goes through a lake handle fenced by its lease ([`Lake::fenced`]): once
//! another run has taken the lease over, the first write of the stale run fails and the run stops,
//! leaving the lake as the newer run left it. The champion is replaced only by compare-and-swap
//! on the pointer the gate read.

use std::time::Duration;

use chrono::Utc;
use futbr_lake::registry::{ChampionPointer, InputObject, Manifest, Registry};
use futbr_lake::{keys, Busy, Lake, LakeError, Lease};
use futbr_models::Recipe;

use crate::promote::{promote, DEFAULT_TOLERANCE};
use crate::runs::{mark_abandoned, GateDecision, RunRecord, RunStatus, StepRecord};
use crate::train::{train, TrainOptions};
use crate::{
    bootstrap_if_empty, new_run_id, process, sha256_hex, BootstrapSource, PipelineError,
    ProcessOptions,
};

/// Settings of a pipeline run.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub trigger: String,
    pub bootstrap: Option<BootstrapSource>,
    /// What the run trains.
    pub recipe: Recipe,
    /// Candidates compared with the trained one at training ([`crate::train::TrainOptions`]).
    pub compare: Vec<futbr_models::Candidate>,
    pub tolerance: f64,
    /// The run lease lasts this long unless renewed (it is renewed every third of it).
    pub lease: Duration,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            trigger: "manual".into(),
            bootstrap: None,
            recipe: Recipe::default(),
            compare: crate::train::DEFAULT_COMPARED.to_vec(),
            tolerance: DEFAULT_TOLERANCE,
            lease: Duration::from_secs(30),
        }
    }
}

/// The raw objects with their content hashes, in key order. An object whose key, size and ETag
/// equal an entry of `known` (a lineage) takes that entry's hash without being read.
pub async fn raw_inputs(
    lake: &Lake,
    known: &[InputObject],
) -> Result<Vec<InputObject>, PipelineError> {
    let mut out = Vec::new();
    for o in lake.list_raw().await?.objects {
        let seen = known
            .iter()
            .find(|k| k.key == o.key && k.size == o.size && k.etag.is_some() && k.etag == o.etag);
        let sha256 = match seen {
            Some(k) => k.sha256.clone(),
            None => sha256_hex(&lake.get_raw(&o.key).await?),
        };
        out.push(InputObject {
            key: o.key,
            size: o.size,
            etag: o.etag,
            sha256,
        });
    }
    Ok(out)
}

fn same_lineage(a: &[InputObject], b: &[InputObject]) -> bool {
    let key = |v: &[InputObject]| {
        let mut k: Vec<(String, String)> = v
            .iter()
            .map(|i| (i.key.clone(), i.sha256.clone()))
            .collect();
        k.sort();
        k
    };
    key(a) == key(b)
}

async fn step<T>(
    lake: &Lake,
    record: &mut RunRecord,
    name: &str,
    work: impl std::future::Future<Output = Result<(T, serde_json::Value), PipelineError>>,
) -> Result<T, PipelineError> {
    record.steps.push(StepRecord {
        name: name.to_string(),
        started_at: Utc::now(),
        finished_at: None,
        outcome: "running".into(),
        error: None,
        detail: serde_json::Value::Null,
    });
    record.save(lake).await?;
    let result = work.await;
    let last = record.steps.last_mut().expect("pushed above");
    last.finished_at = Some(Utc::now());
    match result {
        Ok((value, detail)) => {
            last.outcome = "ok".into();
            last.detail = detail;
            record.save(lake).await?;
            Ok(value)
        }
        Err(e) => {
            last.outcome = "failed".into();
            last.error = Some(e.to_string());
            Err(e)
        }
    }
}

/// Whether `processed/` holds exactly the data `champion` was trained on, whole: the report reads,
/// and the matches and features tables have the hashes it (and the manifest) records. When not,
/// the run processes again instead of reporting "up to date".
async fn processed_intact(lake: &Lake, champion: &Manifest) -> bool {
    #[derive(serde::Deserialize)]
    struct Hashes {
        matches_sha256: String,
        features_sha256: String,
    }
    let check = async {
        let get = |key: &'static str| async move { lake.get(key).await.map_err(|e| e.to_string()) };
        let report: Hashes = serde_json::from_slice(&get(keys::PROCESSING_REPORT).await?)
            .map_err(|e| format!("{}: {e}", keys::PROCESSING_REPORT))?;
        let matches = sha256_hex(&get(keys::MATCHES).await?);
        let features = sha256_hex(&get(keys::FEATURES).await?);
        if matches != report.matches_sha256 || matches != champion.data_sha256 {
            return Err(format!(
                "{} does not match its report or the champion",
                keys::MATCHES
            ));
        }
        if features != report.features_sha256 {
            return Err(format!("{} does not match its report", keys::FEATURES));
        }
        Ok::<(), String>(())
    };
    match check.await {
        Ok(()) => true,
        Err(why) => {
            tracing::warn!("processed/ is not intact ({why}); it will be rebuilt");
            false
        }
    }
}

/// Deletes the files of versions that have no manifest (a crash between the artifact and the
/// manifest) and that nobody wrote to for `grace` (a `futbr train` outside the loop may be
/// publishing one right now). Call only while holding the lease.
pub async fn remove_orphan_versions(
    lake: &Lake,
    grace: Duration,
) -> Result<Vec<String>, PipelineError> {
    let cutoff = Utc::now() - chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
    let mut by_version: std::collections::BTreeMap<String, Vec<futbr_lake::ObjectInfo>> =
        Default::default();
    for o in lake.list(keys::MODELS).await? {
        let rest = &o.key[keys::MODELS.len()..];
        if let Some((version, _)) = rest.split_once('/') {
            by_version.entry(version.to_string()).or_default().push(o);
        }
    }
    let mut removed = Vec::new();
    for (version, objects) in by_version {
        let published = objects.iter().any(|o| o.key.ends_with("/manifest.json"));
        let quiet = objects.iter().all(|o| o.last_modified < cutoff);
        if !published && quiet {
            for o in &objects {
                lake.delete(&o.key).await?;
            }
            removed.push(version);
        }
    }
    Ok(removed)
}

/// Runs the whole loop once. Returns the run record (also in `runs/<id>.json`); a failed step
/// gives a record with status `failed` and the error, not an `Err`. `Err` means the run could not
/// start (the lease is held, or the lake is unreachable).
pub async fn run_pipeline(
    lake: &Lake,
    options: &PipelineOptions,
) -> Result<RunRecord, PipelineError> {
    let run_id = new_run_id();
    let ttl = chrono::Duration::from_std(options.lease).unwrap_or(chrono::Duration::seconds(30));
    let lease = match lake.acquire_lease(&run_id, ttl).await? {
        Ok(lease) => lease,
        Err(Busy::HeldBy(holder)) => {
            return Err(PipelineError::Busy {
                run_id: holder.run_id,
                expires_at: holder.expires_at,
            })
        }
    };
    let heartbeat = renew_while_working(lake, &lease, options.lease);
    let mut record = RunRecord::new(&run_id, &options.trigger);
    // Every write of this run is fenced by its lease generation.
    let fenced = lake.fenced(&lease);
    let outcome = run_steps(&fenced, options, &mut record).await;
    heartbeat.abort();
    match outcome {
        Ok(()) => {}
        Err(e) => {
            record.status = RunStatus::Failed;
            record.message = e.to_string();
        }
    }
    record.finished_at = Some(Utc::now());
    let mut saved = record.save(&fenced).await;
    if let Err(e) = &saved {
        if !matches!(e, LakeError::Fenced { .. }) {
            // E.g. the disk filled up: a short record (no steps' details) may still fit, so the run
            // is not left `running` with its cause lost.
            tracing::error!(run = %run_id, "cannot save the run record: {e}");
            let mut short = record.clone();
            short.status = RunStatus::Failed;
            short.message = format!(
                "{} (and saving the full record failed: {e})",
                record.message
            );
            for s in &mut short.steps {
                s.detail = serde_json::Value::Null;
            }
            short.inputs.clear();
            saved = short.save(&fenced).await;
        }
    }
    let released = lake.release_lease(&lease).await;
    match saved {
        Ok(()) => {}
        Err(e @ LakeError::Fenced { .. }) => return Err(e.into()),
        Err(e) => {
            // Not even a short record fits (a full disk): the stored record may still say
            // `running`. The lease was released or expires on its own, and a run that does not
            // hold the lease is shown abandoned (`runs::list_runs`), so it is not running forever.
            let saving = e.to_string();
            let cause = if record.message == saving || record.message.is_empty() {
                saving
            } else {
                format!("{} (saving its record: {saving})", record.message)
            };
            return Err(PipelineError::RecordNotSaved {
                run_id,
                status: format!("{:?}", record.status).to_lowercase(),
                cause,
            });
        }
    }
    if let Err(e) = released {
        // The record is saved; the lease expires on its own within its period.
        tracing::warn!(run = %run_id, "cannot release the run lease (it expires on its own): {e}");
    }
    Ok(record)
}

/// Renews `lease` every third of `ttl` until the returned task is aborted; a killed process stops
/// renewing and its lease expires.
fn renew_while_working(lake: &Lake, lease: &Lease, ttl: Duration) -> tokio::task::JoinHandle<()> {
    let lake = lake.clone();
    let lease = lease.clone();
    let every = ttl / 3;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if !matches!(lake.renew_lease(&lease).await, Ok(true)) {
                tracing::error!(run = %lease.run_id, "lost the run lease");
                return;
            }
        }
    })
}

/// How a single step job holds the run lease (`futbr process`, `train` and `promote`, each a
/// separate task in the cloud).
#[derive(Debug, Clone, Copy)]
pub struct StepLease {
    /// The lease lasts this long unless renewed (it is renewed every third of it).
    pub ttl: Duration,
    /// How long to wait for another run's lease before giving up with [`PipelineError::Busy`].
    pub wait: Duration,
}

/// Runs one step under the run lease, so that step jobs of overlapping runs (two uploads a
/// minute apart start two state machine executions) and a watcher on the same lake take turns
/// instead of writing `processed/` or `models/` at once. Waits up to `wait` for the lease, renews
/// it while `step` works on a lake handle fenced by it (so a step that lost it writes nothing
/// more), then releases it.
pub async fn under_lease<T, F, Fut>(
    lake: &Lake,
    run_id: &str,
    lease: StepLease,
    step: F,
) -> Result<T, PipelineError>
where
    F: FnOnce(Lake) -> Fut,
    Fut: std::future::Future<Output = Result<T, PipelineError>>,
{
    let ttl = chrono::Duration::from_std(lease.ttl).unwrap_or(chrono::Duration::seconds(30));
    let deadline = tokio::time::Instant::now() + lease.wait;
    let mut announced = None;
    let held = loop {
        match lake.acquire_lease(run_id, ttl).await? {
            Ok(held) => break held,
            Err(Busy::HeldBy(holder)) => {
                let now = tokio::time::Instant::now();
                if now >= deadline {
                    return Err(PipelineError::Busy {
                        run_id: holder.run_id,
                        expires_at: holder.expires_at,
                    });
                }
                if announced.as_ref() != Some(&holder.run_id) {
                    tracing::info!(
                        holder = %holder.run_id,
                        expires_at = %holder.expires_at,
                        "another run holds the run lease; waiting for it"
                    );
                    announced = Some(holder.run_id.clone());
                }
                tokio::time::sleep((deadline - now).min(LEASE_POLL)).await;
            }
        }
    };
    let heartbeat = renew_while_working(lake, &held, lease.ttl);
    let outcome = step(lake.fenced(&held)).await;
    heartbeat.abort();
    // The step's own outcome comes first: a lease that cannot be released (a full disk, a lost
    // store) expires on its own.
    if let Err(e) = lake.release_lease(&held).await {
        tracing::warn!(run = %held.run_id, "cannot release the run lease (it expires on its own): {e}");
    }
    outcome
}

/// How often a step waiting for the run lease looks again.
const LEASE_POLL: Duration = Duration::from_secs(2);

/// A step job's place in its run: the run lease it takes turns on and, when it belongs to a
/// named run (the cloud's state machine names each execution), the record it adds itself to.
#[derive(Debug, Clone)]
pub struct StepJob {
    pub lease: StepLease,
    /// `runs/<id>.json` to add this step to; `None`: the step belongs to no recorded run.
    pub run_id: Option<String>,
    /// What started the run, for a record this step creates (e.g. `s3:raw/2025.csv`).
    pub trigger: String,
}

/// How long a run made of step jobs may go between two steps before it counts as abandoned:
/// the next task's start-up plus the longest wait for the lease.
pub const NEXT_STEP_WITHIN: chrono::Duration = chrono::Duration::minutes(30);

/// The steps a run made of step jobs goes through, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStep {
    Process,
    Train,
    Promote,
}

impl JobStep {
    fn name(self) -> &'static str {
        match self {
            JobStep::Process => "process",
            JobStep::Train => "train",
            JobStep::Promote => "promote",
        }
    }
}

/// Runs `work` as one step job under the run lease ([`under_lease`]); when `job` names its run,
/// also adds the step to `runs/<id>.json` (created by the first step), so `futbr runs list` and
/// the web page show the cloud's runs like local ones. Between steps the record says `running`
/// with [`RunRecord::next_step_by`] set; the promote step concludes it, and a failed step marks it
/// failed with its error (a retry of the step sets it running again).
pub async fn step_job<T, F, Fut>(
    lake: &Lake,
    job: &StepJob,
    which: JobStep,
    work: F,
) -> Result<T, PipelineError>
where
    F: FnOnce(Lake) -> Fut,
    Fut: std::future::Future<Output = Result<T, PipelineError>>,
    T: JobOutcome,
{
    let Some(run_id) = job.run_id.clone() else {
        return under_lease(lake, &new_run_id(), job.lease, work).await;
    };
    let lease_holder = run_id.clone();
    under_lease(lake, &lease_holder, job.lease, |fenced| async move {
        let mut record = match RunRecord::load(&fenced, &run_id).await? {
            Some(record) => record,
            None => {
                let mut record = RunRecord::new(&run_id, &job.trigger);
                record.champion_before =
                    Registry::new(&fenced).champion().await?.map(|c| c.version);
                record
            }
        };
        record.status = RunStatus::Running;
        record.next_step_by = None;
        record.finished_at = None;
        let done = step(&fenced, &mut record, which.name(), async {
            let value = work(fenced.clone()).await?;
            let detail = value.detail()?;
            Ok((value, detail))
        })
        .await;
        match &done {
            Ok(value) => {
                value.note(&mut record);
                if which == JobStep::Promote {
                    let champion = Registry::new(&fenced).champion().await?.map(|c| c.version);
                    value.conclude(&mut record, champion);
                    record.finished_at = Some(Utc::now());
                } else {
                    record.next_step_by = Some(Utc::now() + NEXT_STEP_WITHIN);
                }
            }
            Err(e) => {
                record.status = RunStatus::Failed;
                record.message = format!("{} failed: {e}", which.name());
                record.finished_at = Some(Utc::now());
            }
        }
        match (record.save(&fenced).await, done) {
            (Ok(()), done) => done,
            (Err(save), Ok(_)) => Err(save.into()),
            (Err(save), Err(e)) => {
                tracing::error!(run = %run_id, "cannot save the failed run's record: {save}");
                Err(e)
            }
        }
    })
    .await
}

/// What a step job's result puts into its run's record.
pub trait JobOutcome {
    /// The step's `detail` in the record.
    fn detail(&self) -> Result<serde_json::Value, PipelineError>;
    /// Fields of the record the step fills.
    fn note(&self, _record: &mut RunRecord) {}
    /// Ends the run (the last step only).
    fn conclude(&self, _record: &mut RunRecord, _champion_after: Option<String>) {}
}

impl JobOutcome for crate::ProcessReport {
    fn detail(&self) -> Result<serde_json::Value, PipelineError> {
        Ok(process_detail(self))
    }
    fn note(&self, record: &mut RunRecord) {
        note_merge(record, self);
    }
}

impl JobOutcome for Manifest {
    fn detail(&self) -> Result<serde_json::Value, PipelineError> {
        Ok(train_detail(self))
    }
    fn note(&self, record: &mut RunRecord) {
        record.version = Some(self.version.clone());
        record.inputs = self.inputs.clone();
    }
}

impl JobOutcome for GateDecision {
    fn detail(&self) -> Result<serde_json::Value, PipelineError> {
        gate_detail(self)
    }
    fn conclude(&self, record: &mut RunRecord, champion_after: Option<String>) {
        conclude(record, self.clone(), champion_after);
    }
}

async fn run_steps(
    lake: &Lake,
    options: &PipelineOptions,
    record: &mut RunRecord,
) -> Result<(), PipelineError> {
    let registry = Registry::new(lake);
    record.save(lake).await?;
    let abandoned = mark_abandoned(lake, &record.run_id).await?;
    if !abandoned.is_empty() {
        tracing::warn!(?abandoned, "earlier runs were abandoned");
    }
    let orphans = remove_orphan_versions(lake, options.lease).await?;
    if !orphans.is_empty() {
        tracing::warn!(?orphans, "removed versions a crash left without a manifest");
    }
    if let Some(source) = &options.bootstrap {
        step(lake, record, "bootstrap", async {
            let added = bootstrap_if_empty(lake, source).await?;
            Ok(((), serde_json::json!({ "added": added.map(|a| a.key) })))
        })
        .await?;
    }
    let champion = match registry.champion_pointer().await? {
        ChampionPointer::Valid { champion, .. } => Some(champion),
        ChampionPointer::Absent => None,
        ChampionPointer::Corrupt { reason, .. } => {
            // The gate would have nothing to compare with; say how to repair.
            return Err(PipelineError::Corrupt {
                key: keys::CHAMPION.into(),
                reason: format!("{reason}; `futbr models promote VERSION` or `futbr doctor --repair` replaces it"),
            });
        }
    };
    record.champion_before = champion.as_ref().map(|c| c.version.clone());
    let champion_manifest = match &champion {
        Some(c) => match registry.manifest(&c.version).await {
            Ok(m) => Some(m),
            Err(LakeError::NotFound { .. }) => {
                tracing::warn!(champion = %c.version, "the champion's version is missing; a new version will replace it");
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let lineage = champion_manifest
        .as_ref()
        .map_or(&[][..], |m| &m.inputs[..]);
    record.inputs = raw_inputs(lake, lineage).await?;
    if let Some(pin) = champion.as_ref().and_then(|c| c.pinned.as_ref()) {
        if pin.holds_for(&record.inputs) {
            record.status = RunStatus::Pinned;
            record.champion_after = record.champion_before.clone();
            record.message = format!(
                "pinned: champion {} was rolled back to from {}, and raw/ holds nothing {} had not seen; `futbr models release` lifts the pin",
                record.champion_before.as_deref().unwrap_or("-"),
                pin.rolled_back_from,
                pin.rolled_back_from
            );
            return Ok(());
        }
    }
    let intact = match &champion_manifest {
        Some(cm) => processed_intact(lake, cm).await,
        None => false,
    };
    if let Some(cm) = champion_manifest.as_ref().filter(|_| intact) {
        if same_lineage(&cm.inputs, &record.inputs) {
            record.status = RunStatus::UpToDate;
            record.champion_after = record.champion_before.clone();
            record.message = format!(
                "up to date: raw/ holds exactly the inputs of champion {}",
                cm.version
            );
            return Ok(());
        }
    }
    let run_id = record.run_id.clone();
    let processed = step(lake, record, "process", async {
        let report = process(
            lake,
            &ProcessOptions {
                run_id: run_id.clone(),
                validate: Default::default(),
            },
        )
        .await?;
        let detail = process_detail(&report);
        Ok((report, detail))
    })
    .await?;
    note_merge(record, &processed);
    if let Some(cm) = &champion_manifest {
        if cm.data_sha256 == processed.matches_sha256 {
            record.status = RunStatus::UpToDate;
            record.champion_after = record.champion_before.clone();
            record.message = format!(
                "up to date: the processed matches equal those of champion {} ({} row(s) quarantined, {} file(s) rejected)",
                cm.version,
                processed.rows_quarantined(),
                processed.files_rejected()
            );
            return Ok(());
        }
    }
    let train_options = TrainOptions {
        run_id: run_id.clone(),
        recipe: options.recipe,
        compare: options.compare.clone(),
    };
    let manifest = step(lake, record, "train", async {
        let m = train(lake, &train_options).await?;
        let detail = train_detail(&m);
        Ok((m, detail))
    })
    .await?;
    record.version = Some(manifest.version.clone());
    let decision = step(lake, record, "promote", async {
        let d = promote(lake, Some(&manifest.version), false, options.tolerance).await?;
        let detail = gate_detail(&d)?;
        Ok((d, detail))
    })
    .await?;
    conclude(
        record,
        decision,
        registry.champion().await?.map(|c| c.version),
    );
    Ok(())
}

/// What a run record keeps of the process step.
fn process_detail(report: &crate::ProcessReport) -> serde_json::Value {
    serde_json::json!({
        "matches": report.matches,
        "rows_quarantined": report.rows_quarantined(),
        "files_rejected": report.files_rejected(),
        "conflicts": report.conflicts(),
        "corrections": report.merge.corrections.len(),
        "matches_sha256": report.matches_sha256,
    })
}

/// Counts and spells out (the first few) conflicts and corrections of a processing in the record.
fn note_merge(record: &mut RunRecord, processed: &crate::ProcessReport) {
    record.conflicts = processed.merge.conflicts.len();
    record.corrections = processed.merge.corrections.len();
    record.merge_notes = processed
        .merge
        .conflicts
        .iter()
        .take(crate::runs::MAX_MERGE_NOTES)
        .chain(
            processed
                .merge
                .corrections
                .iter()
                .take(crate::runs::MAX_MERGE_NOTES),
        )
        .map(|c| c.message.clone())
        .collect();
    if let Some(first) = processed.merge.conflicts.first() {
        tracing::warn!(
            run = %record.run_id,
            conflicts = record.conflicts,
            first = %first.message,
            "rows with a score conflicting with a known result were quarantined; the known results stay"
        );
    }
}

/// What a run record keeps of the train step.
fn train_detail(m: &Manifest) -> serde_json::Value {
    serde_json::json!({
        "version": m.version, "candidate": m.candidate, "matches": m.matches,
        "evaluation": m.evaluation,
    })
}

/// What a run record keeps of the promote step: the gate's decision.
fn gate_detail(d: &GateDecision) -> Result<serde_json::Value, PipelineError> {
    serde_json::to_value(d).map_err(|e| PipelineError::Encode {
        what: "the gate decision".into(),
        reason: e.to_string(),
    })
}

/// Ends a run that reached the gate.
fn conclude(record: &mut RunRecord, decision: GateDecision, champion_after: Option<String>) {
    record.champion_after = champion_after;
    record.message = if decision.promoted {
        format!("{} promoted: {}", decision.challenger, decision.reason)
    } else {
        format!("{} not promoted: {}", decision.challenger, decision.reason)
    };
    record.gate = Some(decision);
    record.status = RunStatus::Succeeded;
}

//! `futbr pipeline run`: bootstrap → process → train → promote under the run lease, with a run
//! record, idempotent and crash-safe.

use std::time::Duration;

use chrono::Utc;
use futbr_lake::registry::{InputObject, Registry};
use futbr_lake::{keys, Busy, Lake};
use futbr_models::Recipe;

use crate::promote::{promote, DEFAULT_TOLERANCE};
use crate::runs::{mark_abandoned, RunRecord, RunStatus, StepRecord};
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
    for o in lake.list(keys::RAW).await? {
        let seen = known
            .iter()
            .find(|k| k.key == o.key && k.size == o.size && k.etag.is_some() && k.etag == o.etag);
        let sha256 = match seen {
            Some(k) => k.sha256.clone(),
            None => sha256_hex(&lake.get(&o.key).await?),
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
    // Renew the lease while the run works; a killed run stops renewing and its lease expires.
    let heartbeat = {
        let lake = lake.clone();
        let lease = lease.clone();
        let every = options.lease / 3;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if !matches!(lake.renew_lease(&lease).await, Ok(true)) {
                    tracing::error!(run = %lease.run_id, "lost the run lease");
                    return;
                }
            }
        })
    };
    let mut record = RunRecord::new(&run_id, &options.trigger);
    let outcome = run_steps(lake, options, &mut record).await;
    heartbeat.abort();
    match outcome {
        Ok(()) => {}
        Err(e) => {
            record.status = RunStatus::Failed;
            record.message = e.to_string();
        }
    }
    record.finished_at = Some(Utc::now());
    let saved = record.save(lake).await;
    lake.release_lease(&lease).await?;
    saved?;
    Ok(record)
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
    if let Some(source) = &options.bootstrap {
        step(lake, record, "bootstrap", async {
            let added = bootstrap_if_empty(lake, source).await?;
            Ok(((), serde_json::json!({ "added": added.map(|a| a.key) })))
        })
        .await?;
    }
    let champion = registry.champion().await?;
    record.champion_before = champion.as_ref().map(|c| c.version.clone());
    let champion_manifest = match &champion {
        Some(c) => Some(registry.manifest(&c.version).await?),
        None => None,
    };
    let lineage = champion_manifest
        .as_ref()
        .map_or(&[][..], |m| &m.inputs[..]);
    record.inputs = raw_inputs(lake, lineage).await?;
    if let Some(cm) = &champion_manifest {
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
        let detail = serde_json::json!({
            "matches": report.matches,
            "rows_quarantined": report.rows_quarantined(),
            "files_rejected": report.files_rejected(),
            "conflicts": report.conflicts(),
            "corrections": report.merge.corrections.len(),
            "matches_sha256": report.matches_sha256,
        });
        Ok((report, detail))
    })
    .await?;
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
    };
    let manifest = step(lake, record, "train", async {
        let m = train(lake, &train_options).await?;
        let detail = serde_json::json!({
            "version": m.version, "candidate": m.candidate, "matches": m.matches,
            "evaluation": m.evaluation,
        });
        Ok((m, detail))
    })
    .await?;
    record.version = Some(manifest.version.clone());
    let decision = step(lake, record, "promote", async {
        let d = promote(lake, Some(&manifest.version), false, options.tolerance).await?;
        let detail = serde_json::to_value(&d).unwrap_or_default();
        Ok((d, detail))
    })
    .await?;
    record.champion_after = registry.champion().await?.map(|c| c.version);
    record.message = if decision.promoted {
        format!("{} promoted: {}", manifest.version, decision.reason)
    } else {
        format!("{} not promoted: {}", manifest.version, decision.reason)
    };
    record.gate = Some(decision);
    record.status = RunStatus::Succeeded;
    Ok(())
}

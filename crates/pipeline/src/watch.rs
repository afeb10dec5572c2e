//! `futbr watch`: poll `raw/` (list + ETag and size, the same on a folder and on S3), debounce
//! bursts, and run the pipeline for new or changed objects, retrying failures with backoff.

use std::future::Future;
use std::time::Duration;

use futbr_lake::Lake;

use crate::orchestrate::{run_pipeline, PipelineOptions};
use crate::runs::{RunRecord, RunStatus};
use crate::PipelineError;

/// Settings of the watcher.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// How often `raw/` is listed.
    pub interval: Duration,
    /// A change must hold still this long before a run starts (files landing together give one run).
    pub debounce: Duration,
    /// Retries of a failed run before it is left failed.
    pub max_retries: u32,
    /// First retry delay; doubled each time.
    pub backoff: Duration,
    pub pipeline: PipelineOptions,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            interval: Duration::from_secs(2),
            debounce: Duration::from_millis(500),
            max_retries: 3,
            backoff: Duration::from_secs(1),
            pipeline: PipelineOptions::default(),
        }
    }
}

/// What `raw/` looks like: (key, ETag, size) per object.
pub type RawSnapshot = Vec<(String, Option<String>, u64)>;

/// Lists `raw/`.
pub async fn snapshot(lake: &Lake) -> Result<RawSnapshot, PipelineError> {
    Ok(lake
        .list_raw()
        .await?
        .objects
        .into_iter()
        .map(|o| (o.key, o.etag, o.size))
        .collect())
}

fn describe_change(before: &RawSnapshot, after: &RawSnapshot) -> String {
    let changed: Vec<&str> = after
        .iter()
        .filter(|o| !before.contains(o))
        .map(|o| o.0.as_str())
        .collect();
    if changed.is_empty() {
        "raw/ changed (objects removed)".into()
    } else {
        format!("raw/ changed: {}", changed.join(", "))
    }
}

/// Runs the pipeline, retrying a failed run up to `max_retries` times with doubling backoff.
/// A run blocked by another's lease waits and tries again without counting as a failure.
pub async fn run_with_retries(
    lake: &Lake,
    options: &WatchOptions,
    trigger: &str,
) -> Result<RunRecord, PipelineError> {
    let mut pipeline = options.pipeline.clone();
    let mut attempt = 0;
    let mut busy_waits = 0;
    loop {
        pipeline.trigger = if attempt == 0 {
            trigger.to_string()
        } else {
            format!("{trigger} (retry {attempt} of {})", options.max_retries)
        };
        let outcome = run_pipeline(lake, &pipeline).await;
        match outcome {
            Ok(record) if record.status != RunStatus::Failed => {
                tracing::info!(run = %record.run_id, status = ?record.status, "{}", record.message);
                return Ok(record);
            }
            Err(PipelineError::Busy { run_id, expires_at }) if busy_waits < 100 => {
                busy_waits += 1;
                tracing::info!(%run_id, %expires_at, "another run holds the lease; waiting");
                tokio::time::sleep(options.interval).await;
                continue;
            }
            Ok(record) => {
                tracing::warn!(run = %record.run_id, attempt, "run failed: {}", record.message);
                if attempt >= options.max_retries {
                    return Ok(record);
                }
            }
            Err(e) => {
                tracing::warn!(attempt, "run could not start: {e}");
                if attempt >= options.max_retries {
                    return Err(e);
                }
            }
        }
        tokio::time::sleep(options.backoff * 2u32.saturating_pow(attempt)).await;
        attempt += 1;
    }
}

/// Bootstraps an empty lake (an error ends the watch), runs once, then watches `raw/` until
/// `shutdown` completes.
pub async fn watch(
    lake: &Lake,
    options: &WatchOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), PipelineError> {
    tokio::pin!(shutdown);
    // A bootstrap that cannot work (no such file, no network, wrong checksum) will not work on
    // a retry either: give up at once with its error instead of idling over an empty lake.
    if let Some(source) = &options.pipeline.bootstrap {
        crate::bootstrap_if_empty(lake, source).await?;
    }
    // The baseline is what the first run read, not a listing taken after it: a file that lands
    // just as that run ends must start the next run, not vanish into the baseline.
    let mut last = match run_with_retries(lake, options, "start").await {
        Ok(record) if !record.inputs.is_empty() => record
            .inputs
            .iter()
            .map(|i| (i.key.clone(), i.etag.clone(), i.size))
            .collect(),
        Ok(_) => snapshot(lake).await?,
        Err(e) => {
            tracing::error!("first run failed: {e}");
            snapshot(lake).await?
        }
    };
    loop {
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            _ = tokio::time::sleep(options.interval) => {}
        }
        let mut current = match snapshot(lake).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("cannot list raw/: {e}");
                continue;
            }
        };
        if current == last {
            continue;
        }
        // Debounce: wait until raw/ holds still, so a burst of files gives one run.
        loop {
            tokio::time::sleep(options.debounce).await;
            let again = match snapshot(lake).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("cannot list raw/: {e}");
                    current.clone()
                }
            };
            if again == current {
                break;
            }
            current = again;
        }
        let trigger = describe_change(&last, &current);
        tracing::info!("{trigger}");
        if let Err(e) = run_with_retries(lake, options, &trigger).await {
            tracing::error!("run failed: {e}");
        }
        last = current;
    }
}

//! `futbr process`: every object under `raw/` → validated, merged matches in
//! `processed/matches.parquet`, their pre-match features in `processed/features.parquet`, bad rows
//! and files in `quarantine/<run>/`, and a report.

use chrono::{DateTime, NaiveDate, Utc};
use futbr_domain::history::MergeSummary;
use futbr_domain::validate::{validate_csv, FileReport, ValidateOptions};
use futbr_domain::{History, Match};
use futbr_features::{batch_features, EngineConfig};
use futbr_lake::{keys, tables, Lake};
use serde::Serialize;

use crate::{sha256_hex, PipelineError};

/// Settings of one processing run.
#[derive(Debug, Clone)]
pub struct ProcessOptions {
    /// The run this processing belongs to (names the quarantine folder).
    pub run_id: String,
    pub validate: ValidateOptions,
}

/// One raw input as processing saw it.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    pub key: String,
    pub size: u64,
    pub etag: Option<String>,
    pub sha256: String,
    pub last_modified: DateTime<Utc>,
    pub validation: FileReport,
    /// Where its quarantined rows (or the whole rejected file) went, if anywhere.
    pub quarantined_to: Option<String>,
}

/// What `futbr process` did, also written to `processed/report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessReport {
    pub run_id: String,
    pub processed_at: DateTime<Utc>,
    /// Inputs in upload order (the order in which later uploads win).
    pub inputs: Vec<InputFile>,
    pub merge: MergeSummary,
    pub matches: usize,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    pub seasons: Vec<i32>,
    /// SHA-256 of the matches table written.
    pub matches_sha256: String,
    /// SHA-256 of the features table written.
    pub features_sha256: String,
}

impl ProcessReport {
    /// Rows quarantined across all inputs.
    pub fn rows_quarantined(&self) -> u64 {
        self.inputs
            .iter()
            .map(|f| f.validation.rows_total - f.validation.rows_accepted)
            .sum()
    }

    /// Inputs rejected whole.
    pub fn files_rejected(&self) -> usize {
        self.inputs
            .iter()
            .filter(|f| f.validation.rejected.is_some())
            .count()
    }
}

/// Reads every object under `raw/` (in upload order), validates and merges them, and writes the
/// matches table, the quarantine and the report. Raw objects are only read.
pub async fn process(
    lake: &Lake,
    options: &ProcessOptions,
) -> Result<ProcessReport, PipelineError> {
    let mut objects = lake.list(keys::RAW).await?;
    if objects.is_empty() {
        return Err(PipelineError::NoInput);
    }
    // Upload order: the later upload wins a disagreement.
    objects.sort_by(|a, b| (a.last_modified, &a.key).cmp(&(b.last_modified, &b.key)));

    let quarantine = keys::quarantine_dir(&options.run_id);
    let mut inputs = Vec::with_capacity(objects.len());
    let mut files: Vec<(String, Vec<Match>)> = Vec::with_capacity(objects.len());
    for object in objects {
        let bytes = lake.get(&object.key).await?;
        let validated = validate_csv(&object.key, &bytes, &options.validate);
        let name = object
            .key
            .strip_prefix(keys::RAW)
            .unwrap_or(&object.key)
            .replace('/', "_");
        let mut quarantined_to = None;
        if validated.report.rejected.is_some() || validated.quarantine_csv.is_some() {
            let target = format!("{quarantine}{name}");
            let content = match &validated.quarantine_csv {
                Some(rows) if validated.report.rejected.is_none() => {
                    bytes::Bytes::from(rows.clone())
                }
                _ => bytes.clone(),
            };
            lake.put(&target, content).await?;
            lake.put(
                &format!("{target}.report.json"),
                crate::to_json("a validation report", &validated.report)?,
            )
            .await?;
            tracing::warn!(file = %object.key, quarantine = %target, "rows or file quarantined");
            quarantined_to = Some(target);
        }
        inputs.push(InputFile {
            key: object.key.clone(),
            size: object.size,
            etag: object.etag,
            sha256: sha256_hex(&bytes),
            last_modified: object.last_modified,
            validation: validated.report,
            quarantined_to,
        });
        files.push((object.key, validated.matches));
    }

    let sources: Vec<String> = files.iter().map(|(key, _)| key.clone()).collect();
    let (history, merge) = History::merge(files);
    let mut report = ProcessReport {
        run_id: options.run_id.clone(),
        processed_at: Utc::now(),
        matches: history.len(),
        first_date: history.matches().first().map(|m| m.date),
        last_date: history.matches().last().map(|m| m.date),
        seasons: {
            let mut s: Vec<i32> = history.matches().iter().map(|m| m.season).collect();
            s.dedup();
            s
        },
        inputs,
        merge,
        matches_sha256: String::new(),
        features_sha256: String::new(),
    };
    if history.is_empty() {
        let key = format!("{quarantine}report.json");
        lake.put(&key, crate::to_json("the processing report", &report)?)
            .await?;
        return Err(PipelineError::NoValidMatch { report: key });
    }
    let table = tables::matches_to_parquet(&history, &sources)?;
    report.matches_sha256 = sha256_hex(&table);
    let (rows, _) = batch_features(history.matches(), EngineConfig::default())?;
    let features = tables::features_to_parquet(history.matches(), &rows)?;
    report.features_sha256 = sha256_hex(&features);
    lake.put(keys::MATCHES, table).await?;
    lake.put(keys::FEATURES, features).await?;
    // The report goes last: a reader who sees it sees the table it describes.
    lake.put(
        keys::PROCESSING_REPORT,
        crate::to_json("the processing report", &report)?,
    )
    .await?;
    Ok(report)
}

//! `futbr process`: every object under `raw/` → validated, merged matches in
//! `processed/matches.parquet`, their pre-match features in `processed/features.parquet`, bad rows
//! and files in `quarantine/<run>/`, and a report.
//!
//! `raw/` is listed with [`Lake::list_raw`]: links and unreadable names are reported by name and
//! skipped, every other object is processed. A rejected object version is quarantined once (a
//! marker under `quarantine/.versions/` remembers where), and reports keep at most
//! [`PROBLEMS_PER_KIND`] problems of one kind and [`PROBLEMS_PER_FILE`] in all, then say how many
//! more there were.
//!
//! Club names are resolved with the lake's club table ([`crate::clubs::load`]); a score that
//! conflicts with a known one is quarantined (`quarantine/<run>/conflicts.json`) unless the
//! object is under `raw/corrections/`, whose scores replace known ones (recorded in the report).

use chrono::{DateTime, NaiveDate, Utc};
use futbr_domain::history::{MergeSummary, SourceFile};
use futbr_domain::validate::{validate_csv, FileReport, ValidateOptions};
use futbr_domain::History;
use futbr_features::{batch_features, EngineConfig};
use futbr_lake::{keys, tables, Lake, SkippedRaw};
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
    /// Entries of `raw/` reported and not read (links, names that cannot be keys).
    pub skipped: Vec<SkippedRaw>,
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

    /// Rows whose score conflicts with a known result, quarantined.
    pub fn conflicts(&self) -> usize {
        self.merge.conflicts.len()
    }
}

/// At most this many problems of one kind (severity, column and message) in a report.
pub const PROBLEMS_PER_KIND: usize = 20;
/// At most this many problems in one file's report.
pub const PROBLEMS_PER_FILE: usize = 200;

/// Where an object version's quarantine went (`quarantine/.versions/<sha256>.json`).
#[derive(Debug, Serialize, serde::Deserialize)]
struct QuarantineMarker {
    key: String,
    quarantined_to: String,
}

/// A key-safe, unique name in this run's quarantine folder for a raw object.
fn quarantine_target(
    folder: &str,
    key: &str,
    used: &mut std::collections::HashSet<String>,
) -> String {
    let name = keys::safe_file_name(&key.strip_prefix(keys::RAW).unwrap_or(key).replace('/', "_"));
    let mut candidate = name.clone();
    let mut n = 1;
    while !used.insert(candidate.clone()) {
        n += 1;
        candidate = format!("{n}-{name}");
    }
    format!("{folder}{candidate}")
}

/// Keeps a report's size bounded: the first [`PROBLEMS_PER_KIND`] problems of each kind (the
/// same severity and message, numbers aside) and [`PROBLEMS_PER_FILE`] in all, then one problem
/// per kind saying how many more there were.
fn bound_problems(report: &mut FileReport) {
    use futbr_domain::validate::{Problem, Severity};
    if report.problems.len() <= PROBLEMS_PER_KIND {
        return;
    }
    type Kind = (bool, String);
    let kind_of = |p: &Problem| -> Kind {
        let mut message = String::with_capacity(p.message.len());
        for c in p.message.chars() {
            if !c.is_ascii_digit() {
                message.push(c);
            } else if !message.ends_with('#') {
                message.push('#');
            }
        }
        (p.severity == Severity::Error, message)
    };
    let mut total: std::collections::HashMap<Kind, u64> = Default::default();
    let mut listed: std::collections::HashMap<Kind, u64> = Default::default();
    let mut order: Vec<(Kind, Problem)> = Vec::new();
    let mut kept = Vec::new();
    for p in std::mem::take(&mut report.problems) {
        let kind = kind_of(&p);
        let seen = total.entry(kind.clone()).or_insert(0);
        *seen += 1;
        if *seen == 1 {
            order.push((kind.clone(), p.clone()));
        }
        let shown = listed.entry(kind).or_insert(0);
        if (*shown as usize) < PROBLEMS_PER_KIND && kept.len() < PROBLEMS_PER_FILE {
            *shown += 1;
            kept.push(p);
        }
    }
    for (kind, first) in order {
        let more = total[&kind] - listed[&kind];
        if more > 0 && kept.len() < PROBLEMS_PER_FILE + PROBLEMS_PER_KIND {
            kept.push(Problem {
                line: first.line,
                column: None,
                value: String::new(),
                severity: first.severity,
                message: format!(
                    "{more} more problem(s) like \"{}\" (first at line {}) not listed",
                    first.message, first.line
                ),
            });
        }
    }
    report.problems = kept;
}

/// Reads every object under `raw/` (in upload order), validates and merges them, and writes the
/// matches table, the quarantine and the report. Raw objects are only read.
pub async fn process(
    lake: &Lake,
    options: &ProcessOptions,
) -> Result<ProcessReport, PipelineError> {
    let listing = lake.list_raw().await?;
    for s in &listing.skipped {
        tracing::warn!(name = %s.name, "raw/ entry skipped: {}", s.reason);
    }
    let mut objects = listing.objects;
    if objects.is_empty() {
        return Err(PipelineError::NoInput);
    }
    // Upload order: the later upload wins a disagreement.
    objects.sort_by(|a, b| (a.last_modified, &a.key).cmp(&(b.last_modified, &b.key)));

    let quarantine = keys::quarantine_dir(&options.run_id);
    let mut validate = options.validate.clone();
    if validate.clubs.is_none() {
        validate.clubs = Some(crate::clubs::load(lake).await?);
    }
    let mut inputs = Vec::with_capacity(objects.len());
    let mut files: Vec<SourceFile> = Vec::with_capacity(objects.len());
    let mut used_names = std::collections::HashSet::new();
    for object in objects {
        let bytes = lake.get_raw(&object.key).await?;
        let sha256 = sha256_hex(&bytes);
        let mut validated = validate_csv(&object.key, &bytes, &validate);
        bound_problems(&mut validated.report);
        let mut quarantined_to = None;
        if validated.report.rejected.is_some() || validated.quarantine_csv.is_some() {
            let marker = format!("{}.versions/{sha256}.json", keys::QUARANTINE);
            quarantined_to = match lake.get_opt(&marker).await? {
                // This object version was quarantined by an earlier run: not again.
                Some(known) => serde_json::from_slice::<QuarantineMarker>(&known)
                    .ok()
                    .map(|m| m.quarantined_to),
                None => None,
            };
            if quarantined_to.is_none() {
                let target = quarantine_target(&quarantine, &object.key, &mut used_names);
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
                let mark = QuarantineMarker {
                    key: object.key.clone(),
                    quarantined_to: target.clone(),
                };
                lake.put(&marker, crate::to_json("a quarantine marker", &mark)?)
                    .await?;
                tracing::warn!(file = %object.key, quarantine = %target, "rows or file quarantined");
                quarantined_to = Some(target);
            }
        }
        inputs.push(InputFile {
            key: object.key.clone(),
            size: object.size,
            etag: object.etag,
            sha256,
            last_modified: object.last_modified,
            validation: validated.report,
            quarantined_to,
        });
        files.push(SourceFile {
            corrects: object.key.starts_with(keys::CORRECTIONS),
            name: object.key,
            matches: validated.matches,
            lines: validated.lines,
        });
    }

    let sources: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    let (history, merge) = History::merge_sources(files);
    if !merge.conflicts.is_empty() {
        let target = format!("{quarantine}conflicts.json");
        lake.put(&target, crate::to_json("the conflicts", &merge.conflicts)?)
            .await?;
        tracing::warn!(
            conflicts = merge.conflicts.len(),
            quarantine = %target,
            "rows with a score conflicting with a known result quarantined"
        );
    }
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
        skipped: listing.skipped,
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

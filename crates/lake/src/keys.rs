//! The lake layout: every key the system reads or writes is built here.

/// Inputs exactly as uploaded; never modified or deleted by the system.
pub const RAW: &str = "raw/";
/// Objects under this prefix of `raw/` correct known results: their scores replace conflicting
/// ones (elsewhere a conflicting score is quarantined).
pub const CORRECTIONS: &str = "raw/corrections/";
/// The lake's extension of the club table (`club,state,aliases`), read by every job that
/// resolves club names.
pub const CLUB_TABLE: &str = "config/clubs.csv";
/// Rejected files and rows, one folder per run.
pub const QUARANTINE: &str = "quarantine/";
/// Validated, deduplicated, chronologically ordered matches.
pub const MATCHES: &str = "processed/matches.parquet";
/// One row per match with every pre-match feature.
pub const FEATURES: &str = "processed/features.parquet";
/// What the last processing did: files, problems, merge warnings.
pub const PROCESSING_REPORT: &str = "processed/report.json";

/// The model registry: `models/<version>/{model,manifest,backtest}.json`.
pub const MODELS: &str = "models/";
/// Which version serves.
pub const CHAMPION: &str = "models/champion.json";
/// Pipeline run records: `runs/<run-id>.json`.
pub const RUNS: &str = "runs/";
/// The single-flight lease of pipeline runs.
pub const LEASE: &str = "runs/lock.json";

/// The record of one run.
pub fn run_record(run: &str) -> String {
    format!("{RUNS}{run}.json")
}

/// The quarantine folder of one run.
pub fn quarantine_dir(run: &str) -> String {
    format!("{QUARANTINE}{run}/")
}

/// A file name safe as one key segment: letters, digits, `.`, `_` and `-`; anything else becomes `_`.
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let safe: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        "upload.csv".to_string()
    } else {
        safe.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_become_one_safe_segment() {
        assert_eq!(
            safe_file_name("../data/Série A 2024.csv"),
            "S_rie_A_2024.csv"
        );
        assert_eq!(safe_file_name("..."), "upload.csv");
        assert_eq!(safe_file_name("C:\\x\\y.csv"), "y.csv");
    }
}

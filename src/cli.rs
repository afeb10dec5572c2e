//! The command line: every subcommand and flag, with `--help` on each.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Predictor Fut BR: honest probabilities for Brazilian Série A matches, and the MLOps loop that
/// keeps them up to date.
#[derive(Debug, Parser)]
#[command(name = "futbr", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More log output (repeat for more); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors in the log.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

impl Cli {
    pub fn log_level(&self) -> &'static str {
        match (self.quiet, self.verbose) {
            (true, _) => "error",
            (false, 0) => "info",
            (false, 1) => "debug",
            (false, _) => "trace",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check match CSV files and report every problem (nothing is written).
    ///
    /// Exit status: 0 every row accepted (warnings allowed), 1 some rows would be quarantined,
    /// 2 a file was rejected whole.
    Validate {
        /// Print one JSON report per file (one per line) instead of text.
        #[arg(long)]
        json: bool,
        /// Match CSV files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Validate match CSV files, then copy them into the lake's raw/ (never overwriting).
    Ingest {
        #[command(flatten)]
        lake: LakeArgs,
        /// Match CSV files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Read every input in raw/ and write processed/matches.parquet, the quarantine and a report.
    Process {
        #[command(flatten)]
        lake: LakeArgs,
        #[command(flatten)]
        bootstrap: BootstrapArgs,
        /// Print the processing report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the pre-match features of a fixture, from the lake's processed matches.
    Features {
        #[command(flatten)]
        lake: LakeArgs,
        /// Home club, as named in the data (e.g. Flamengo).
        home: String,
        /// Away club.
        away: String,
        /// Match day, YYYY-MM-DD or dd/mm/yyyy [default: today, or the day after the latest match].
        #[arg(long, value_parser = parse_date)]
        date: Option<chrono::NaiveDate>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Walk-forward backtest of the candidate models on a match CSV (no lake needed).
    ///
    /// Every match dated on or after --test-from is predicted by models fitted only on matches
    /// dated strictly before it. Writes per-match predictions and a report (JSON, plus Markdown
    /// and SVG plots beside it).
    Backtest {
        /// Match CSV (the same schema as raw/).
        #[arg(long)]
        data: PathBuf,
        /// First day of the test window (YYYY-MM-DD or dd/mm/yyyy).
        #[arg(long, value_parser = parse_date)]
        test_from: chrono::NaiveDate,
        /// Last day of the test window [default: the last match].
        #[arg(long, value_parser = parse_date)]
        test_to: Option<chrono::NaiveDate>,
        /// A candidate (base-rates, logistic, elo, pi, features-ordered, dixon-coles, stack) or all.
        #[arg(long, default_value = "all")]
        model: String,
        /// Output CSV `ID,p_home,p_draw,p_away` of the served model (or of --model).
        #[arg(long)]
        predictions: PathBuf,
        /// Output JSON report; REPORT.md, REPORT.calibration.svg and REPORT.rolling-rps.svg go beside it.
        #[arg(long)]
        report: PathBuf,
    },
    /// Write a synthetic league history in the match CSV schema (for benchmarks and tests).
    Synth {
        /// Number of matches (20-team divisions over 27 seasons from 1998).
        #[arg(long, default_value_t = 1_000_000)]
        matches: usize,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Where the lake is.
#[derive(Debug, Args)]
pub struct LakeArgs {
    /// The data lake: a folder, file://PATH, memory:// or s3://BUCKET/PREFIX.
    #[arg(long = "lake", env = "FUTBR_LAKE", default_value = "./lake")]
    pub url: String,
}

/// Where an empty lake gets its first data.
#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// Fill an empty raw/ from this local file or http(s) URL [default: the pinned public
    /// Brasileirão data set, verified by SHA-256].
    #[arg(long = "bootstrap", env = "FUTBR_BOOTSTRAP")]
    pub source: Option<String>,
    /// Expected SHA-256 of the bootstrap source (a mismatch writes nothing).
    #[arg(long = "bootstrap-sha256", env = "FUTBR_BOOTSTRAP_SHA256")]
    pub sha256: Option<String>,
}

/// A date as `YYYY-MM-DD` or `dd/mm/yyyy`.
pub fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| futbr_domain::validate::parse_ddmmyyyy(s))
        .ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD or dd/mm/yyyy)"))
}

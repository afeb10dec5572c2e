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
    /// The log format: JSON only when `futbr serve --log-format json` asks for it.
    pub fn log_format(&self) -> futbr_server::LogFormat {
        match &self.command {
            Command::Serve { settings, .. } => settings.log_format,
            _ => futbr_server::LogFormat::Text,
        }
    }

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
    /// The whole product: serve predictions over HTTP from the champion, swap in new champions
    /// without a restart, and (unless --no-watch) keep the lake up to date by watching raw/.
    ///
    /// On an empty lake it first bootstraps and runs the pipeline; /ready answers 200 once a
    /// champion is loaded. SIGTERM/SIGINT finish in-flight requests, then stop.
    Serve {
        #[command(flatten)]
        lake: LakeArgs,
        #[command(flatten)]
        bootstrap: BootstrapArgs,
        #[command(flatten)]
        recipe: RecipeArgs,
        #[command(flatten)]
        watch: WatchArgs,
        #[command(flatten)]
        feeds: FeedArgs,
        #[command(flatten)]
        settings: futbr_server::Settings,
    },
    /// Check match CSV files and report every problem (nothing is written).
    ///
    /// Reads the Brazilian data set's layout and football-data.co.uk's (detected from the
    /// header). Files are also checked against each other in the order given (and, with
    /// --lake, against the lake's raw/): a row whose score conflicts with a known result is
    /// reported, as processing would quarantine it.
    ///
    /// Exit status: 0 every row accepted (warnings allowed), 1 some rows would be quarantined,
    /// 2 a file was rejected whole.
    Validate {
        /// Print one JSON report per file (one per line) instead of text.
        #[arg(long)]
        json: bool,
        /// Also check against this lake: its club table and the results its raw/ holds.
        #[arg(long = "lake")]
        lake: Option<String>,
        /// Match CSV files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Validate match CSV files, then copy them into the lake's raw/ (never overwriting).
    ///
    /// A row whose score conflicts with a result the lake already holds is reported; processing
    /// quarantines it and keeps the known result, unless the file is ingested with --corrects.
    ///
    /// Exit status: 0 every file stored, every row accepted; 1 stored, but some rows will be
    /// quarantined; 2 a file was not stored (rejected whole, or not one row accepted).
    Ingest {
        #[command(flatten)]
        lake: LakeArgs,
        /// The files correct known results: they go to raw/corrections/, whose scores replace
        /// conflicting ones (each replacement recorded in the processing report and run record).
        #[arg(long)]
        corrects: bool,
        /// Match CSV files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Read every input in raw/ and write processed/matches.parquet, features.parquet, the quarantine and a report.
    Process {
        #[command(flatten)]
        lake: LakeArgs,
        #[command(flatten)]
        bootstrap: BootstrapArgs,
        #[command(flatten)]
        trigger: TriggerArgs,
        #[command(flatten)]
        lease: StepLeaseArgs,
        /// Print the processing report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Train a new model version on the lake's processed matches (the champion is not touched).
    Train {
        #[command(flatten)]
        lake: LakeArgs,
        #[command(flatten)]
        recipe: RecipeArgs,
        #[command(flatten)]
        trigger: TriggerArgs,
        #[command(flatten)]
        lease: StepLeaseArgs,
    },
    /// Gate a version (default: the newest) against the champion and promote it if it passes.
    Promote {
        #[command(flatten)]
        lake: LakeArgs,
        /// The version to promote [default: the newest].
        version: Option<String>,
        /// Promote without applying the gate.
        #[arg(long)]
        force: bool,
        /// How much worse (RPS) than the champion on the same window the challenger may be.
        #[arg(long, default_value_t = futbr_pipeline::promote::DEFAULT_TOLERANCE)]
        tolerance: f64,
        #[command(flatten)]
        trigger: TriggerArgs,
        #[command(flatten)]
        lease: StepLeaseArgs,
    },
    /// Run the whole loop once: bootstrap, process, train, gate, promote; writes runs/<id>.json.
    Pipeline {
        #[command(subcommand)]
        command: PipelineCommand,
    },
    /// Run the loop once, then watch raw/ and run it again for every new or changed input.
    Watch {
        #[command(flatten)]
        lake: LakeArgs,
        #[command(flatten)]
        bootstrap: BootstrapArgs,
        #[command(flatten)]
        recipe: RecipeArgs,
        #[command(flatten)]
        watch: WatchArgs,
        #[command(flatten)]
        feeds: FeedArgs,
    },
    /// Pipeline run records.
    Runs {
        #[command(subcommand)]
        command: RunsCommand,
    },
    /// The model registry.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// The champion's probabilities for a fixture.
    Predict {
        #[command(flatten)]
        lake: LakeArgs,
        #[command(flatten)]
        fixture: FixtureArgs,
    },
    /// The clubs the champion knows (the latest season's first, marked *).
    Clubs {
        #[command(flatten)]
        lake: LakeArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the pre-match features of a fixture, from the lake's processed matches.
    Features {
        #[command(flatten)]
        lake: LakeArgs,
        #[command(flatten)]
        fixture: FixtureArgs,
    },
    /// Check every object the loop relies on (lease, champion, versions and their checksums,
    /// processed/, run records, raw/) and, with --repair, repair what can be repaired.
    ///
    /// Exit status: 0 healthy (or every problem repaired), 1 problems remain, 4 a run holds the
    /// lease (repairs wait for it), 5 the store cannot be reached.
    Doctor {
        #[command(flatten)]
        lake: LakeArgs,
        /// Repair: take over a garbled lease, point an unreadable or dangling champion at the
        /// newest sound version, delete versions a crash left without a manifest, rebuild a
        /// damaged processed/, mark runs left running as abandoned.
        #[arg(long)]
        repair: bool,
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Walk-forward backtest of the candidate models on a match CSV (no lake needed).
    ///
    /// Every match dated on or after --test-from is predicted by models fitted only on matches
    /// dated strictly before it. Writes per-match predictions and a report (JSON, plus Markdown
    /// and SVG plots beside it).
    Backtest {
        /// Match CSV (either layout raw/ takes); repeat to merge several files exactly as
        /// `process` merges raw/ (in the order given; one match across sources, odds kept).
        #[arg(long, required = true)]
        data: Vec<PathBuf>,
        /// Per-club match statistics CSV (campeonato-brasileiro-estatisticas-full.csv: shots, shots
        /// on target, possession), joined by match ID; feeds the statistics features.
        #[arg(long)]
        stats: Option<PathBuf>,
        /// First day of the test window (YYYY-MM-DD or dd/mm/yyyy).
        #[arg(long, value_parser = parse_date)]
        test_from: chrono::NaiveDate,
        /// Last day of the test window [default: the last match].
        #[arg(long, value_parser = parse_date)]
        test_to: Option<chrono::NaiveDate>,
        /// A candidate (base-rates, logistic, elo, pi, features-ordered, dixon-coles, market-elo,
        /// stack) or all.
        #[arg(long, default_value = "all")]
        model: String,
        /// Output CSV `ID,p_home,p_draw,p_away,date,home,away` of the served model (or of --model).
        #[arg(long, default_value = "backtest/predictions.csv")]
        predictions: PathBuf,
        /// The report: JSON, or Markdown when the name ends in .md. The other format and the
        /// plots (.calibration.svg, .rolling-rps.svg) go beside it under the same stem.
        #[arg(long, default_value = "backtest/report.json")]
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

#[derive(Debug, Subcommand)]
pub enum PipelineCommand {
    /// Run the loop once.
    Run {
        #[command(flatten)]
        lake: LakeArgs,
        #[command(flatten)]
        bootstrap: BootstrapArgs,
        #[command(flatten)]
        recipe: RecipeArgs,
        /// Seconds the run lease lasts unless renewed (a killed run blocks others this long).
        #[arg(long, env = "FUTBR_LEASE_SECONDS", default_value_t = 30)]
        lease_seconds: u64,
        /// Print the run record as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// One line per run.
    List {
        #[command(flatten)]
        lake: LakeArgs,
    },
    /// A run record, as JSON.
    Show {
        #[command(flatten)]
        lake: LakeArgs,
        run_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// One line per version; the champion is marked.
    List {
        #[command(flatten)]
        lake: LakeArgs,
    },
    /// A version's manifest, as JSON.
    Show {
        #[command(flatten)]
        lake: LakeArgs,
        version: String,
    },
    /// Make a version the champion without the gate, whatever the champion pointer holds now
    /// (even unreadable).
    Promote {
        #[command(flatten)]
        lake: LakeArgs,
        version: String,
    },
    /// Give the champion's place back to the previous champion, and pin it: the loop will not
    /// promote over it until raw/ holds data the rolled-back-from version had not seen, or until
    /// `futbr models release`.
    Rollback {
        #[command(flatten)]
        lake: LakeArgs,
    },
    /// Release a rollback's pin: the loop may promote over the champion again.
    Release {
        #[command(flatten)]
        lake: LakeArgs,
    },
}

/// What the loop trains.
#[derive(Debug, Args)]
pub struct RecipeArgs {
    /// The candidate to train (base-rates, logistic, elo, pi, features-ordered, dixon-coles,
    /// market-elo, stack); the default (market-elo) is the best on the 2019–2021 validation
    /// window.
    #[arg(long, env = "FUTBR_CANDIDATE", default_value_t = futbr_models::Candidate::SERVED_BY_DEFAULT)]
    pub candidate: futbr_models::Candidate,
    /// Matches (the most recent) in the evaluation window of the gate.
    #[arg(long, default_value_t = futbr_models::Recipe::DEFAULT_EVAL_MATCHES)]
    pub eval_matches: usize,
    /// Candidates compared with the trained one on its evaluation window (shown on the Modelo
    /// page), comma-separated names, `all` or `none`. The stack is most of the cost (~0.8 s of a
    /// 1.1 s run on the production data).
    #[arg(
        long,
        env = "FUTBR_COMPARE",
        value_delimiter = ',',
        default_value = "all"
    )]
    pub compare: Vec<String>,
}

impl RecipeArgs {
    /// The recipe these arguments name (default hyper-parameters).
    pub fn recipe(&self) -> futbr_models::Recipe {
        futbr_models::Recipe {
            eval_matches: self.eval_matches,
            ..futbr_models::Recipe::of(self.candidate)
        }
    }

    /// The candidates `--compare` names.
    pub fn compared(&self) -> anyhow::Result<Vec<futbr_models::Candidate>> {
        let mut out = Vec::new();
        for name in &self.compare {
            match name.trim() {
                "all" => out.extend(futbr_models::Candidate::ALL),
                "none" | "" => {}
                other => out.push(
                    other
                        .parse::<futbr_models::Candidate>()
                        .map_err(|e| anyhow::anyhow!("--compare / FUTBR_COMPARE: {e}"))?,
                ),
            }
        }
        Ok(out)
    }
}

/// How the watcher polls.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Seconds between listings of raw/.
    #[arg(long, env = "FUTBR_WATCH_INTERVAL", default_value_t = 2.0)]
    pub interval: f64,
    /// Seconds raw/ must hold still before a run starts.
    #[arg(long, default_value_t = 0.5)]
    pub debounce: f64,
    /// Retries of a failed run (doubling backoff from 1 s) before it is left failed.
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
    /// Seconds the run lease lasts unless renewed.
    #[arg(long, env = "FUTBR_LEASE_SECONDS", default_value_t = 30)]
    pub lease_seconds: u64,
}

/// Feeds that keep the lake current by themselves (e.g. football-data.co.uk's
/// https://www.football-data.co.uk/new/BRA.csv): each changed version is saved into
/// raw/feeds/ as a new object, which triggers the loop.
#[derive(Debug, Args)]
pub struct FeedArgs {
    /// A feed URL to poll (repeatable; FUTBR_FEEDS takes a comma-separated list).
    #[arg(long = "feed", env = "FUTBR_FEEDS", value_delimiter = ',')]
    pub urls: Vec<String>,
    /// Time between polls of each feed (conditional requests: ETag, Last-Modified, SHA-256),
    /// e.g. 6h, 30m, 90s.
    #[arg(long, env = "FUTBR_FEED_INTERVAL", default_value = "6h", value_parser = futbr_pipeline::feed::parse_duration)]
    pub feed_interval: std::time::Duration,
}

impl FeedArgs {
    /// The follower's options (a failed feed is retried after 1 min, doubling up to the interval).
    pub fn options(&self) -> futbr_pipeline::feed::FeedOptions {
        futbr_pipeline::feed::FeedOptions {
            urls: self
                .urls
                .iter()
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty())
                .collect(),
            interval: self.feed_interval,
            backoff: std::time::Duration::from_secs(60).min(self.feed_interval),
            ..futbr_pipeline::feed::FeedOptions::default()
        }
    }
}

/// A fixture asked about.
#[derive(Debug, Args)]
pub struct FixtureArgs {
    /// Home club, as people type it ("sao paulo", "São Paulo" and "SAO PAULO" all match).
    pub home: String,
    /// Away club.
    pub away: String,
    /// Accept a club with no history (it gets a newcomer's priors) instead of refusing it.
    #[arg(long)]
    pub new_club: bool,
    /// Match day, YYYY-MM-DD or dd/mm/yyyy [default: today, or the day after the latest match known].
    #[arg(long, value_parser = parse_date)]
    pub date: Option<chrono::NaiveDate>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

impl FixtureArgs {
    /// A fixture needs two different, named clubs.
    pub fn check(&self) -> Result<(), String> {
        let (home, away) = (self.home.trim(), self.away.trim());
        if home.is_empty() || away.is_empty() {
            return Err(format!(
                "both clubs must be named (home {:?}, away {:?})",
                self.home, self.away
            ));
        }
        if futbr_domain::clubs::fold(home) == futbr_domain::clubs::fold(away) {
            return Err(format!("home and away are the same club ({:?})", self.home));
        }
        Ok(())
    }
}

/// Where the lake is.
#[derive(Debug, Args)]
pub struct LakeArgs {
    /// The data lake: a folder, file://PATH, memory:// or s3://BUCKET/PREFIX.
    #[arg(long = "lake", env = "FUTBR_LAKE", default_value = "./lake")]
    pub url: String,
    /// Seconds one request to a remote store may take, retries included.
    #[arg(
        long = "store-timeout",
        env = "FUTBR_STORE_TIMEOUT",
        default_value_t = 30.0
    )]
    pub store_timeout: f64,
}

/// What started a job run on its own (the cloud's state machine passes the raw/ object that an
/// S3 event named).
#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// The raw/ object that triggered this job (e.g. raw/2025.csv, as in the S3 event, which may
    /// URL-encode it); logged, and the job fails unless the lake holds it.
    #[arg(long = "trigger-key", env = "FUTBR_TRIGGER_KEY")]
    pub key: Option<String>,
    /// The run this step belongs to (in the cloud, the state machine execution's name): the step
    /// adds itself to runs/<ID>.json, so `futbr runs list` and the web page show the run.
    #[arg(long = "run-id", env = "FUTBR_RUN_ID", value_parser = parse_run_id)]
    pub run_id: Option<String>,
}

/// A run id names an object (`runs/<id>.json`): letters, digits, `-` and `_`, at most 80
/// (a Step Functions execution name always fits).
fn parse_run_id(s: &str) -> Result<String, String> {
    let fits = !s.is_empty()
        && s.len() <= 80
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if fits {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?} is not a run id: use 1 to 80 letters, digits, '-' or '_'"
        ))
    }
}

/// How a step job (process, train, promote) takes turns with other runs on the lake: it holds
/// the run lease while it works, and waits for it while another run holds it.
#[derive(Debug, Args)]
pub struct StepLeaseArgs {
    /// Seconds to wait for another run's lease before giving up (exit status 4).
    #[arg(long = "lease-wait", env = "FUTBR_LEASE_WAIT", default_value_t = 900)]
    pub wait_seconds: u64,
    /// Seconds the run lease lasts unless renewed (a killed step blocks others this long).
    #[arg(
        long = "lease-seconds",
        env = "FUTBR_LEASE_SECONDS",
        default_value_t = 30
    )]
    pub lease_seconds: u64,
}

impl StepLeaseArgs {
    /// The job of a step of the run `trigger` names (if it names one), started by `key`.
    pub fn step_job(
        &self,
        trigger: &TriggerArgs,
        key: Option<&str>,
    ) -> futbr_pipeline::orchestrate::StepJob {
        futbr_pipeline::orchestrate::StepJob {
            lease: futbr_pipeline::orchestrate::StepLease {
                ttl: std::time::Duration::from_secs(self.lease_seconds.max(1)),
                wait: std::time::Duration::from_secs(self.wait_seconds),
            },
            run_id: trigger.run_id.clone(),
            trigger: match key {
                Some(key) => format!("state machine: {key}"),
                None => "step jobs".into(),
            },
        }
    }
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

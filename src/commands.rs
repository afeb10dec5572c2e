//! What each subcommand does: parse arguments into library calls, print results, pick the exit code.

use std::process::ExitCode;

use anyhow::{Context, Result};
use bytes::Bytes;
use futbr_domain::validate::{validate_csv, FileReport, Severity, ValidateOptions};
use futbr_lake::Lake;
use futbr_pipeline::orchestrate::{step_job, JobStep};
use futbr_pipeline::{BootstrapSource, ProcessOptions};

use crate::cli::{
    BootstrapArgs, Cli, Command, FeedArgs, FixtureArgs, LakeArgs, ModelsCommand, PipelineCommand,
    RecipeArgs, RunsCommand, StepLeaseArgs, TriggerArgs, WatchArgs,
};

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Validate { json, lake, files } => {
            runtime()?.block_on(validate(json, lake.as_deref(), &files))
        }
        Command::Ingest {
            lake,
            corrects,
            files,
        } => runtime()?.block_on(ingest(lake, corrects, &files)),
        Command::Process {
            lake,
            bootstrap,
            trigger,
            lease,
            json,
        } => runtime()?.block_on(process(lake, bootstrap, trigger, lease, json)),
        Command::Features { lake, fixture } => runtime()?.block_on(features(lake, fixture)),
        Command::Backtest {
            data,
            stats,
            test_from,
            test_to,
            model,
            predictions,
            report,
        } => backtest(
            &data,
            stats.as_deref(),
            test_from,
            test_to,
            &model,
            &predictions,
            &report,
        ),
        Command::Synth { matches, out } => synth(matches, &out),
        Command::Train {
            lake,
            recipe,
            trigger,
            lease,
        } => runtime()?.block_on(train(lake, recipe, trigger, lease)),
        Command::Promote {
            lake,
            version,
            force,
            tolerance,
            trigger,
            lease,
        } => runtime()?.block_on(promote(lake, version, force, tolerance, trigger, lease)),
        Command::Pipeline {
            command:
                PipelineCommand::Run {
                    lake,
                    bootstrap,
                    recipe,
                    lease_seconds,
                    json,
                },
        } => runtime()?.block_on(pipeline_run(lake, bootstrap, recipe, lease_seconds, json)),
        Command::Watch {
            lake,
            bootstrap,
            recipe,
            watch,
            feeds,
        } => runtime()?.block_on(watch_raw(lake, bootstrap, recipe, watch, feeds)),
        Command::Runs { command } => runtime()?.block_on(runs(command)),
        Command::Doctor { lake, repair, json } => runtime()?.block_on(doctor(lake, repair, json)),
        Command::Models { command } => runtime()?.block_on(models(command)),
        Command::Predict { lake, fixture } => runtime()?.block_on(predict(lake, fixture)),
        Command::Clubs { lake, json } => runtime()?.block_on(clubs(lake, json)),
        Command::Serve {
            lake,
            bootstrap,
            recipe,
            watch,
            feeds,
            settings,
        } => runtime()?.block_on(serve(lake, bootstrap, recipe, watch, feeds, settings)),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn open_lake_with(args: &LakeArgs, must_exist: bool) -> Result<Lake> {
    let options = futbr_lake::OpenOptions {
        must_exist,
        timeout: std::time::Duration::from_secs_f64(args.store_timeout.clamp(0.1, 3600.0)),
    };
    Lake::open_with(&args.url, &options)
        .with_context(|| format!("cannot open the lake at {}", args.url))
}

/// Opens the lake and checks that its store answers (on S3: that the bucket exists). Read-only
/// commands pass `must_exist`: a missing local folder is "no lake at PATH", not a new empty lake.
async fn open_reachable(args: &LakeArgs, must_exist: bool) -> Result<Lake> {
    let lake = open_lake_with(args, must_exist)?;
    lake.check_reachable().await?;
    Ok(lake)
}

/// A job started for one raw/ object (by the cloud's state machine) checks that the lake holds
/// it, so that a misrouted event fails the job with a clear message instead of retraining on
/// something else. S3 event notifications may URL-encode keys ("red flower.csv" →
/// "red+flower.csv"): the decoded key is tried when the key as given is absent.
/// The raw/ object the trigger key names (as given or URL-decoded); an error if the lake does not
/// hold it.
async fn check_trigger(lake: &Lake, trigger: &TriggerArgs) -> Result<Option<String>> {
    let Some(given) = trigger.key.as_deref() else {
        return Ok(None);
    };
    let decoded: String = url::form_urlencoded::parse(format!("k={given}").as_bytes())
        .map(|(_, v)| v.into_owned())
        .next()
        .unwrap_or_default();
    for key in [given, decoded.as_str()] {
        if !key.starts_with(futbr_lake::keys::RAW) || key.len() == futbr_lake::keys::RAW.len() {
            continue;
        }
        if lake.head(key).await?.is_some() {
            tracing::info!(trigger = key, "triggered by {key}");
            return Ok(Some(key.to_string()));
        }
    }
    anyhow::bail!(
        "the trigger key {given:?} names no object under {} of the lake {}",
        futbr_lake::keys::RAW,
        lake.url()
    )
}

fn print_report_text(report: &FileReport) {
    let status = match (&report.rejected, report.exit_code()) {
        (Some(why), _) => format!("REJECTED: {why}"),
        (None, 0) => "ok".to_string(),
        (None, _) => "some rows quarantined".to_string(),
    };
    println!(
        "{}: {} rows, {} accepted, {} errors, {} warnings — {status}",
        report.file,
        report.rows_total,
        report.rows_accepted,
        report.count(Severity::Error),
        report.count(Severity::Warning)
    );
    for p in &report.problems {
        let severity = match p.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        let column = p
            .column
            .as_deref()
            .map(|c| format!(" column {c}"))
            .unwrap_or_default();
        println!(
            "  {}:{}:{column} {severity}: {} (value {:?})",
            report.file, p.line, p.message, p.value
        );
    }
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Validation options with a lake's club table (or the shipped one), and the results the
/// lake's raw/ holds (none without a lake).
async fn known_results(
    lake: Option<&Lake>,
) -> Result<(ValidateOptions, Vec<futbr_domain::history::SourceFile>)> {
    let Some(lake) = lake else {
        return Ok((ValidateOptions::with_shipped_clubs(), Vec::new()));
    };
    let options = ValidateOptions {
        clubs: Some(futbr_pipeline::clubs::load(lake).await?),
        ..ValidateOptions::default()
    };
    let known = futbr_pipeline::conflicts::raw_sources(lake, &options)
        .await
        .with_context(|| format!("cannot read the results of {}", lake.url()))?;
    Ok((options, known))
}

/// Adds the rows of a validated file that conflict with `known` to its report as errors (the
/// row would be quarantined), or, for a correction, as warnings; returns how many.
fn report_conflicts(
    known: &[futbr_domain::history::SourceFile],
    validated: &mut futbr_domain::validate::ValidatedFile,
    corrects: bool,
) -> usize {
    let name = validated.report.file.clone();
    let found = futbr_pipeline::conflicts::conflicts_with(known, &name, validated, corrects);
    for c in &found {
        validated
            .report
            .problems
            .push(futbr_domain::validate::Problem {
                line: c.other.line,
                column: None,
                value: c.other.result.clone(),
                severity: if corrects {
                    Severity::Warning
                } else {
                    Severity::Error
                },
                message: c.message.clone(),
            });
    }
    if !corrects {
        validated.report.rows_accepted = validated
            .report
            .rows_accepted
            .saturating_sub(found.len() as u64);
    }
    found.len()
}

/// The file as a merge source, for checking the files after it.
fn as_source(
    name: &str,
    validated: &futbr_domain::validate::ValidatedFile,
    corrects: bool,
) -> futbr_domain::history::SourceFile {
    futbr_domain::history::SourceFile {
        name: name.to_string(),
        matches: validated.matches.clone(),
        lines: validated.lines.clone(),
        corrects,
    }
}

async fn validate(
    json: bool,
    lake: Option<&str>,
    files: &[std::path::PathBuf],
) -> Result<ExitCode> {
    let lake = lake
        .map(|url| {
            open_lake_with(
                &LakeArgs {
                    url: url.to_string(),
                    store_timeout: futbr_lake::DEFAULT_STORE_TIMEOUT.as_secs_f64(),
                },
                true,
            )
        })
        .transpose()?;
    let (options, mut known) = known_results(lake.as_ref()).await?;
    let mut worst = 0;
    for path in files {
        let name = path.display().to_string();
        let report = match std::fs::read(path) {
            Ok(bytes) => {
                let mut validated = validate_csv(&name, &bytes, &options);
                report_conflicts(&known, &mut validated, false);
                known.push(as_source(&name, &validated, false));
                validated.report
            }
            Err(e) => FileReport {
                rejected: Some(format!("cannot read the file: {e}")),
                ..FileReport::empty(&name)
            },
        };
        worst = worst.max(report.exit_code());
        if json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            print_report_text(&report);
        }
    }
    Ok(ExitCode::from(worst as u8))
}

async fn ingest(lake: LakeArgs, corrects: bool, files: &[std::path::PathBuf]) -> Result<ExitCode> {
    let lake = open_reachable(&lake, false).await?;
    let (options, mut known) = known_results(Some(&lake)).await?;
    let mut worst = 0;
    for path in files {
        let bytes = read_file(path)?;
        let name = path.display().to_string();
        let mut validated = validate_csv(&name, &bytes, &options);
        let conflicts = report_conflicts(&known, &mut validated, corrects);
        let report = validated.report.clone();
        worst = worst.max(report.exit_code());
        if report.rejected.is_some() {
            print_report_text(&report);
            println!("  not ingested");
            continue;
        }
        if report.rows_total > 0 && report.rows_accepted == 0 && conflicts == 0 {
            // No row is even a candidate result: storing it would only fill the quarantine.
            // (A file of conflicting scores is stored: processing quarantines them visibly, with
            // both values, and --corrects makes them corrections.)
            print_report_text(&report);
            println!("  not ingested: no row was accepted");
            worst = 2;
            continue;
        }
        if report.exit_code() != 0 || conflicts > 0 {
            print_report_text(&report);
        }
        if conflicts > 0 {
            if corrects {
                println!("  corrects {conflicts} known result(s)");
            } else {
                println!(
                    "  warning: {conflicts} row(s) conflict with known results: processing will quarantine them and keep the known results (ingest with --corrects to replace them)"
                );
            }
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let folder = if corrects { "corrections/" } else { "" };
        let added = lake
            .add_raw_in(folder, &file_name, Bytes::from(bytes))
            .await?;
        known.push(as_source(&added.key, &validated, corrects));
        if added.created {
            println!(
                "{name} → {} ({} rows accepted)",
                added.key, report.rows_accepted
            );
        } else {
            println!("{name} is already in the lake as {}", added.key);
        }
    }
    Ok(ExitCode::from(worst as u8))
}

/// What `process` and `watch` say when the bootstrap source cannot be read.
const BOOTSTRAP_HINT: &str = "bootstrap failed (offline? point --bootstrap at a local copy of the match CSV, e.g. --bootstrap campeonato-brasileiro-full.csv)";

fn bootstrap_source(bootstrap: BootstrapArgs) -> BootstrapSource {
    match bootstrap.source {
        Some(location) => BootstrapSource::new(location, bootstrap.sha256),
        None => BootstrapSource::default(),
    }
}

async fn process(
    lake: LakeArgs,
    bootstrap: BootstrapArgs,
    trigger: TriggerArgs,
    lease: StepLeaseArgs,
    json: bool,
) -> Result<ExitCode> {
    let lake = open_reachable(&lake, false).await?;
    let key = check_trigger(&lake, &trigger).await?;
    warn_unused_bootstrap(&lake, &bootstrap).await;
    let source = bootstrap_source(bootstrap);
    if let Some(added) = futbr_pipeline::bootstrap_if_empty(&lake, &source)
        .await
        .context(BOOTSTRAP_HINT)?
    {
        println!("bootstrapped {} from {}", added.key, source.location);
    }
    let options = ProcessOptions {
        run_id: trigger
            .run_id
            .clone()
            .unwrap_or_else(futbr_pipeline::new_run_id),
        validate: ValidateOptions::default(),
    };
    // ValidateOptions::default() has no club table: process loads the lake's.
    let job = lease.step_job(&trigger, key.as_deref());
    let report = step_job(&lake, &job, JobStep::Process, |fenced| async move {
        futbr_pipeline::process(&fenced, &options).await
    })
    .await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "processed {} matches ({} to {}, seasons {}) from {} input(s) into {}",
            report.matches,
            report.first_date.map(|d| d.to_string()).unwrap_or_default(),
            report.last_date.map(|d| d.to_string()).unwrap_or_default(),
            match (report.seasons.first(), report.seasons.last()) {
                (Some(a), Some(b)) => format!("{a}–{b}"),
                _ => "none".into(),
            },
            report.inputs.len(),
            lake.url().trim_end_matches('/').to_string() + "/" + futbr_lake::keys::MATCHES,
        );
        println!(
            "{} row(s) quarantined, {} file(s) rejected, {} duplicate(s) dropped, {} match(es) replaced by a later upload",
            report.rows_quarantined(),
            report.files_rejected(),
            report.merge.duplicates_dropped,
            report.merge.replaced
        );
        if report.merge.combined > 0 {
            println!(
                "{} match(es) found in two sources and combined",
                report.merge.combined
            );
        }
        for w in &report.merge.warnings {
            println!("  warning: {}", w.message);
        }
        for skipped in &report.skipped {
            println!("  skipped {}: {}", skipped.name, skipped.reason);
        }
        for c in &report.merge.conflicts {
            println!("  warning: conflicting result quarantined: {}", c.message);
        }
        for c in &report.merge.corrections {
            println!("  correction applied: {}", c.message);
        }
    }
    // Quarantine is a normal outcome of processing, not a failure of the job.
    Ok(ExitCode::SUCCESS)
}

async fn features(lake: LakeArgs, fixture: FixtureArgs) -> Result<ExitCode> {
    fixture.check().map_err(anyhow::Error::msg)?;
    let lake = open_reachable(&lake, true).await?;
    let matches = futbr_pipeline::online::load_matches(&lake)
        .await
        .context("no processed matches in the lake: run `futbr process` first")?;
    let mut directory = futbr_domain::clubs::ClubDirectory::new(
        matches
            .iter()
            .flat_map(|m| [m.home.clone(), m.away.clone()]),
    );
    futbr_pipeline::clubs::load_or_shipped(&lake)
        .await
        .add_aliases_to(&mut directory);
    let resolve = |typed: &str| -> Result<String> {
        match directory.resolve(typed) {
            Ok(club) => Ok(club.to_string()),
            Err(_) if fixture.new_club => Ok(typed.trim().to_string()),
            Err(e) => Err(anyhow::anyhow!(
                "{e} (or pass --new-club for a club without history)"
            )),
        }
    };
    let (home, away) = (resolve(&fixture.home)?, resolve(&fixture.away)?);
    let date = fixture
        .date
        .unwrap_or_else(|| futbr_pipeline::online::default_fixture_date(&matches));
    let answer = futbr_pipeline::online::fixture_features(&matches, &home, &away, date)?;
    for (club, known) in [(&home, answer.home_known), (&away, answer.away_known)] {
        if !known {
            eprintln!("warning: no match of {club:?} before {date}; its features are the cold-start priors");
        }
    }
    if fixture.json {
        let out = serde_json::json!({
            "home": home, "away": away, "date": date,
            "state_through": answer.state_through,
            "features": futbr_pipeline::serving::FeatureSet(answer.row),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{home} x {away} on {date} (state through {}):",
            answer
                .state_through
                .map(|d| d.to_string())
                .unwrap_or_else(|| "no match".into())
        );
        for f in futbr_features::ALL {
            println!(
                "  {:<30} {:>10.4}  {}",
                f.name(),
                answer.row.get(*f),
                f.unit()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_stats(path: &std::path::Path) -> Result<futbr_domain::stats::StatsTable> {
    let bytes = read_file(path)?;
    let (table, report) = futbr_domain::stats::read_stats_csv(&path.display().to_string(), &bytes);
    if let Some(why) = &report.rejected {
        anyhow::bail!("{}: {why}", path.display());
    }
    if report.rows_accepted < report.rows_total {
        eprintln!(
            "warning: {} of {} statistics rows of {} were invalid and left out; first: line {} column {} value {:?}: {}",
            report.rows_total - report.rows_accepted,
            report.rows_total,
            path.display(),
            report.problems[0].line,
            report.problems[0].column.as_deref().unwrap_or("-"),
            report.problems[0].value,
            report.problems[0].message
        );
    }
    Ok(table)
}

fn backtest(
    data: &[std::path::PathBuf],
    stats: Option<&std::path::Path>,
    test_from: chrono::NaiveDate,
    test_to: Option<chrono::NaiveDate>,
    model: &str,
    predictions_path: &std::path::Path,
    report_path: &std::path::Path,
) -> Result<ExitCode> {
    use futbr_models::{report, BacktestConfig, Candidate, Hyper};
    let started = std::time::Instant::now();
    let candidates: Vec<Candidate> = if model == "all" {
        Candidate::ALL.to_vec()
    } else {
        vec![model
            .parse::<Candidate>()
            .map_err(|e| anyhow::anyhow!("{e} or all"))?]
    };
    // The files merge exactly as `process` merges raw/: the shipped club table, upload order =
    // the order given, one match across sources, conflicting scores left out and reported.
    let options = ValidateOptions::with_shipped_clubs();
    let mut sources = Vec::with_capacity(data.len());
    for path in data {
        let bytes = read_file(path)?;
        let validated = validate_csv(&path.display().to_string(), &bytes, &options);
        if let Some(why) = &validated.report.rejected {
            anyhow::bail!("{}: {why}", path.display());
        }
        if validated.report.exit_code() != 0 {
            eprintln!(
                "warning: {} row(s) of {} were invalid and left out (see `futbr validate {}`)",
                validated.report.rows_total - validated.report.rows_accepted,
                path.display(),
                path.display()
            );
        }
        sources.push(as_source(&path.display().to_string(), &validated, false));
    }
    let stats = stats.map(read_stats).transpose()?;
    let (history, merged) = futbr_domain::History::merge_sources(sources);
    for c in &merged.conflicts {
        eprintln!("warning: conflicting result left out: {}", c.message);
    }
    let matches = history.matches();
    let config = BacktestConfig {
        test_from,
        test_to,
        candidates: candidates.clone(),
        hyper: Hyper::default(),
        engine: futbr_features::EngineConfig::default(),
        stats,
    };
    let bars = indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template("{prefix:>16} {bar:30} {pos}/{len} days")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    let bar_of: Vec<(Candidate, indicatif::ProgressBar)> = Candidate::ALL
        .iter()
        .filter(|c| {
            candidates.contains(c)
                || (candidates.contains(&Candidate::Stack) && Candidate::STACK_BASES.contains(c))
        })
        .map(|&c| {
            let bar = bars.add(
                indicatif::ProgressBar::new(0)
                    .with_style(style.clone())
                    .with_prefix(c.name()),
            );
            (c, bar)
        })
        .collect();
    let progress = |c: Candidate, done: usize, total: usize| {
        if let Some((_, bar)) = bar_of.iter().find(|(k, _)| *k == c) {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let result = futbr_models::run_backtest(matches, &config, &progress)?;
    for (_, bar) in &bar_of {
        bar.finish_and_clear();
    }
    let built = report::build(
        &result,
        matches,
        &config.hyper,
        started.elapsed().as_secs_f64(),
    );
    let served = Candidate::parse(&built.served).unwrap_or(candidates[0]);
    let csv = report::predictions_csv(&result, matches, served).context("no predictions")?;
    let write = |path: &std::path::Path, bytes: &[u8]| -> Result<()> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
        }
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
    };
    write(predictions_path, csv.as_bytes())?;
    let paths = report_paths(report_path);
    let markdown = report::markdown(&built);
    write(&paths.json, &serde_json::to_vec_pretty(&built)?)?;
    write(&paths.markdown, markdown.as_bytes())?;
    write(
        &paths.calibration,
        futbr_models::charts::backtest_calibration_svg(&built).as_bytes(),
    )?;
    write(
        &paths.rolling_rps,
        futbr_models::charts::backtest_rolling_rps_svg(&result, matches, 100, &built.served)
            .as_bytes(),
    )?;
    print!("{markdown}");
    println!(
        "\ntotal {:.2} s (features {:.2} s)",
        started.elapsed().as_secs_f64(),
        result.feature_seconds
    );
    Ok(ExitCode::SUCCESS)
}

/// Where the backtest's report files go.
struct ReportPaths {
    json: std::path::PathBuf,
    markdown: std::path::PathBuf,
    calibration: std::path::PathBuf,
    rolling_rps: std::path::PathBuf,
}

/// `x.md` is the Markdown (the JSON goes to `x.json`); any other name is the JSON (the Markdown
/// goes to `x.md`); the plots share the stem. No two outputs ever share a name.
fn report_paths(report: &std::path::Path) -> ReportPaths {
    let markdown_given = report
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md"));
    let beside = |suffix: &str| report.with_extension(suffix);
    let (json, markdown) = if markdown_given {
        (beside("json"), report.to_path_buf())
    } else if report.extension().is_some_and(|e| e == "json") {
        (report.to_path_buf(), beside("md"))
    } else {
        // `x.txt` or `x`: keep the given name for the JSON, the Markdown beside it.
        let mut md = report.as_os_str().to_owned();
        md.push(".md");
        (report.to_path_buf(), md.into())
    };
    ReportPaths {
        json,
        markdown,
        calibration: beside("calibration.svg"),
        rolling_rps: beside("rolling-rps.svg"),
    }
}

fn synth(matches: usize, out: &std::path::Path) -> Result<ExitCode> {
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let shape = futbr_domain::synthetic::LeagueShape::with_matches(matches);
    let written = futbr_domain::synthetic::write_csv(&shape, file)
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!("wrote {written} matches to {}", out.display());
    Ok(ExitCode::SUCCESS)
}

fn pipeline_options(
    bootstrap: BootstrapArgs,
    recipe: &RecipeArgs,
    lease_seconds: u64,
    trigger: &str,
) -> Result<futbr_pipeline::orchestrate::PipelineOptions> {
    Ok(futbr_pipeline::orchestrate::PipelineOptions {
        trigger: trigger.to_string(),
        bootstrap: Some(bootstrap_source(bootstrap)),
        recipe: recipe.recipe(),
        compare: recipe.compared()?,
        lease: std::time::Duration::from_secs(lease_seconds.max(1)),
        ..Default::default()
    })
}

async fn train(
    lake: LakeArgs,
    recipe: RecipeArgs,
    trigger: TriggerArgs,
    lease: StepLeaseArgs,
) -> Result<ExitCode> {
    let lake = open_reachable(&lake, false).await?;
    let key = check_trigger(&lake, &trigger).await?;
    let options = futbr_pipeline::train::TrainOptions {
        run_id: trigger
            .run_id
            .clone()
            .unwrap_or_else(futbr_pipeline::new_run_id),
        recipe: recipe.recipe(),
        compare: recipe.compared()?,
    };
    let job = lease.step_job(&trigger, key.as_deref());
    let manifest = step_job(&lake, &job, JobStep::Train, |fenced| async move {
        futbr_pipeline::train::train(&fenced, &options).await
    })
    .await?;
    println!(
        "trained {} ({} on {} matches through {})",
        manifest.version, manifest.candidate, manifest.matches, manifest.trained_through
    );
    if let Some(e) = &manifest.evaluation {
        println!(
            "walk-forward RPS {:.4} on the {} matches from {} to {}",
            e.scores.rps, e.matches, e.from, e.to
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_decision(d: &futbr_pipeline::runs::GateDecision) {
    let champion = d
        .champion_rps
        .map(|r| format!("{r:.4}"))
        .unwrap_or_else(|| "-".into());
    println!(
        "gate: challenger {} RPS {:.4}, champion {} RPS {champion}, window {} to {} ({} matches): {}",
        d.challenger,
        d.challenger_rps,
        d.champion.as_deref().unwrap_or("none"),
        d.window_from,
        d.window_to,
        d.window_matches,
        if d.promoted { "PROMOTED" } else { "kept the champion" }
    );
    println!("  {}", d.reason);
}

async fn promote(
    lake: LakeArgs,
    version: Option<String>,
    force: bool,
    tolerance: f64,
    trigger: TriggerArgs,
    lease: StepLeaseArgs,
) -> Result<ExitCode> {
    let lake = open_reachable(&lake, false).await?;
    let key = check_trigger(&lake, &trigger).await?;
    let job = lease.step_job(&trigger, key.as_deref());
    let decision = step_job(&lake, &job, JobStep::Promote, |fenced| async move {
        futbr_pipeline::promote::promote(&fenced, version.as_deref(), force, tolerance).await
    })
    .await?;
    print_decision(&decision);
    Ok(ExitCode::SUCCESS)
}

fn print_run(r: &futbr_pipeline::runs::RunRecord) {
    println!(
        "run {} ({}): {:?} — {}",
        r.run_id, r.trigger, r.status, r.message
    );
    if r.conflicts > 0 {
        println!(
            "  warning: {} row(s) with a score conflicting with a known result quarantined (the known results stay)",
            r.conflicts
        );
    }
    if r.corrections > 0 {
        println!("  {} known result(s) corrected", r.corrections);
    }
    for note in &r.merge_notes {
        println!("    {note}");
    }
    for s in &r.steps {
        let took = s
            .finished_at
            .map(|f| {
                format!(
                    "{:.2} s",
                    (f - s.started_at).num_milliseconds() as f64 / 1000.0
                )
            })
            .unwrap_or_default();
        println!(
            "  {:<10} {:<8} {took}{}",
            s.name,
            s.outcome,
            s.error
                .as_deref()
                .map(|e| format!(" — {e}"))
                .unwrap_or_default()
        );
    }
    if let Some(g) = &r.gate {
        print_decision(g);
    }
}

async fn pipeline_run(
    lake: LakeArgs,
    bootstrap: BootstrapArgs,
    recipe: RecipeArgs,
    lease_seconds: u64,
    json: bool,
) -> Result<ExitCode> {
    let lake = open_reachable(&lake, false).await?;
    warn_unused_bootstrap(&lake, &bootstrap).await;
    let options = pipeline_options(
        bootstrap,
        &recipe,
        lease_seconds,
        "manual (futbr pipeline run)",
    )?;
    let record = futbr_pipeline::orchestrate::run_pipeline(&lake, &options).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&record)?);
    } else {
        print_run(&record);
    }
    Ok(
        if record.status == futbr_pipeline::runs::RunStatus::Failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

fn watch_options(
    bootstrap: BootstrapArgs,
    recipe: &RecipeArgs,
    watch: &WatchArgs,
) -> Result<futbr_pipeline::watch::WatchOptions> {
    let seconds = |s: f64| std::time::Duration::from_secs_f64(s.clamp(0.05, 3600.0));
    Ok(futbr_pipeline::watch::WatchOptions {
        interval: seconds(watch.interval),
        debounce: seconds(watch.debounce),
        max_retries: watch.retries,
        backoff: std::time::Duration::from_secs(1),
        pipeline: pipeline_options(bootstrap, recipe, watch.lease_seconds, "watch")?,
    })
}

/// The feed follower's options, every URL checked to be http(s).
fn checked_feeds(feeds: &FeedArgs) -> Result<futbr_pipeline::feed::FeedOptions> {
    let feed_options = feeds.options();
    for url in &feed_options.urls {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            anyhow::bail!("--feed {url:?} is not an http(s) URL");
        }
        eprintln!(
            "following {url} every {}",
            futbr_pipeline::feed::describe_duration(feed_options.interval)
        );
    }
    Ok(feed_options)
}

async fn watch_raw(
    lake: LakeArgs,
    bootstrap: BootstrapArgs,
    recipe: RecipeArgs,
    watch: WatchArgs,
    feeds: FeedArgs,
) -> Result<ExitCode> {
    let lake = open_reachable(&lake, false).await?;
    warn_unused_bootstrap(&lake, &bootstrap).await;
    let options = watch_options(bootstrap, &recipe, &watch)?;
    eprintln!(
        "watching {}/raw/ every {:.1} s (Ctrl-C to stop)",
        lake.url().trim_end_matches('/'),
        watch.interval
    );
    let feed_options = checked_feeds(&feeds)?;
    // One shutdown signal stops both the watcher and the feed follower.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|&stop| stop).await;
    };
    // Ctrl-C stops both; so does the watcher ending on its own (e.g. a bootstrap that cannot
    // work), so its error is not left waiting for a signal.
    let signal = async {
        tokio::select! {
            _ = shutdown_signal() => { let _ = stop.send(true); }
            _ = wait(stopped.clone()) => {}
        }
    };
    let watcher = async {
        let watched = futbr_pipeline::watch::watch(&lake, &options, wait(stopped.clone())).await;
        let _ = stop.send(true);
        watched
    };
    let (watched, _, _) = tokio::join!(
        watcher,
        futbr_pipeline::feed::follow(&lake, &feed_options, wait(stopped.clone())),
        signal,
    );
    watched.map_err(|e| match e {
        futbr_pipeline::PipelineError::BootstrapSource { .. }
        | futbr_pipeline::PipelineError::Checksum { .. } => {
            anyhow::Error::new(e).context(BOOTSTRAP_HINT)
        }
        e => e.into(),
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn doctor(lake: LakeArgs, repair: bool, json: bool) -> Result<ExitCode> {
    let lake = open_reachable(&lake, true).await?;
    let report = futbr_pipeline::doctor::doctor(&lake, repair).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for ok in &report.healthy {
            println!("ok        {ok}");
        }
        for f in &report.findings {
            let status = if f.repaired { "REPAIRED" } else { "PROBLEM " };
            let action = if f.repaired || !repair {
                if repair {
                    ""
                } else {
                    "--repair: "
                }
            } else {
                "not repaired: "
            };
            println!("{status}  {}: {}", f.object, f.problem);
            println!("          {action}{}", f.repair);
        }
    }
    let unresolved = report.unresolved();
    if unresolved > 0 {
        eprintln!(
            "{unresolved} problem(s) remain{}",
            if repair {
                ""
            } else {
                "; `futbr doctor --repair` repairs what it can"
            }
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

async fn runs(command: RunsCommand) -> Result<ExitCode> {
    match command {
        RunsCommand::List { lake } => {
            let lake = open_reachable(&lake, true).await?;
            for r in futbr_pipeline::runs::list_runs(&lake).await? {
                println!(
                    "{}  {:<10} {}",
                    r.run_id,
                    format!("{:?}", r.status),
                    r.message
                );
            }
        }
        RunsCommand::Show { lake, run_id } => {
            let lake = open_reachable(&lake, true).await?;
            let r = futbr_pipeline::runs::get_run(&lake, &run_id).await?;
            println!("{}", serde_json::to_string_pretty(&r)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn models(command: ModelsCommand) -> Result<ExitCode> {
    use futbr_lake::registry::Registry;
    match command {
        ModelsCommand::List { lake } => {
            let lake = open_reachable(&lake, true).await?;
            let registry = Registry::new(&lake);
            let mut healthy = true;
            let champion = match registry.champion_pointer().await? {
                futbr_lake::registry::ChampionPointer::Valid { champion, .. } => {
                    Some(champion.version)
                }
                futbr_lake::registry::ChampionPointer::Absent => None,
                futbr_lake::registry::ChampionPointer::Corrupt { reason, .. } => {
                    eprintln!("warning: models/champion.json is unreadable ({reason}); `futbr models promote VERSION` or `futbr doctor --repair` replaces it");
                    healthy = false;
                    None
                }
            };
            let versions = registry.versions().await?;
            if let Some(c) = &champion {
                if !versions.iter().any(|m| &m.version == c) {
                    eprintln!("warning: the champion {c} is not in the registry (its version folder is gone); `futbr doctor --repair` points the champion at a sound version");
                    healthy = false;
                }
            }
            if versions.is_empty() {
                eprintln!("no model version in the registry yet");
            }
            for m in versions {
                let mark = if Some(&m.version) == champion.as_ref() {
                    "*"
                } else {
                    " "
                };
                let rps = m
                    .evaluation
                    .as_ref()
                    .map(|e| format!("{:.4}", e.scores.rps))
                    .unwrap_or_else(|| "-".into());
                println!(
                    "{mark} {}  {:<16} {} matches through {}  RPS {rps}",
                    m.version, m.candidate, m.matches, m.trained_through
                );
            }
            if !healthy {
                return Ok(ExitCode::from(1));
            }
        }
        ModelsCommand::Show { lake, version } => {
            let lake = open_reachable(&lake, true).await?;
            let m = Registry::new(&lake).manifest(&version).await?;
            println!("{}", serde_json::to_string_pretty(&m)?);
        }
        ModelsCommand::Promote { lake, version } => {
            let lake = open_reachable(&lake, true).await?;
            let c = futbr_pipeline::promote::promote_by_hand(
                &lake,
                &version,
                "promoted by hand (futbr models promote)",
            )
            .await?;
            println!(
                "champion is now {} (previous {})",
                c.version,
                c.previous.as_deref().unwrap_or("none")
            );
        }
        ModelsCommand::Rollback { lake } => {
            let lake = open_reachable(&lake, true).await?;
            let c = futbr_pipeline::promote::rollback(&lake).await?;
            let from = c.previous.as_deref().unwrap_or("-");
            println!("champion is now {} (rolled back from {from}); pinned until raw/ holds data {from} had not seen, or `futbr models release`", c.version);
        }
        ModelsCommand::Release { lake } => {
            let lake = open_reachable(&lake, true).await?;
            match futbr_pipeline::promote::release(&lake).await? {
                Some(c) => println!(
                    "champion {} released: the loop may promote over it again",
                    c.version
                ),
                None => println!("the champion is not pinned"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn load_served(lake: &Lake) -> Result<futbr_pipeline::serving::ServedModel> {
    futbr_pipeline::serving::ServedModel::load(lake)
        .await?
        .context("no champion yet: run `futbr pipeline run` (or `futbr serve`) first")
}

async fn predict(lake: LakeArgs, fixture: FixtureArgs) -> Result<ExitCode> {
    fixture.check().map_err(anyhow::Error::msg)?;
    let lake = open_reachable(&lake, true).await?;
    let served = load_served(&lake).await?;
    let query = futbr_pipeline::serving::FixtureQuery {
        home: fixture.home.clone(),
        away: fixture.away.clone(),
        date: fixture.date,
        new_club: fixture.new_club,
    };
    let p = served.predict(&query).map_err(|e| match e {
        futbr_pipeline::serving::QueryError::NewClubNotAllowed { .. } => {
            anyhow::anyhow!("{e}")
        }
        other => anyhow::anyhow!("{other}"),
    })?;
    for w in &p.warnings {
        eprintln!("warning: {w}");
    }
    if fixture.json {
        println!("{}", serde_json::to_string_pretty(&p)?);
    } else {
        println!(
            "{} x {} on {} — champion {} ({}, trained through {})",
            p.home.name,
            p.away.name,
            p.date,
            p.model.version,
            p.model.candidate,
            p.model.trained_through
        );
        println!(
            "  home win {:5.1}%   draw {:5.1}%   away win {:5.1}%   most likely: {}",
            100.0 * p.probabilities.home,
            100.0 * p.probabilities.draw,
            100.0 * p.probabilities.away,
            p.most_likely.en
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn clubs(lake: LakeArgs, json: bool) -> Result<ExitCode> {
    let lake = open_reachable(&lake, true).await?;
    let served = load_served(&lake).await?;
    let clubs = served.clubs();
    if json {
        println!("{}", serde_json::to_string_pretty(&clubs)?);
    } else {
        for c in clubs {
            println!("{} {}", if c.in_latest_season { "*" } else { " " }, c.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Says so when `--bootstrap` is given for a lake whose raw/ already has inputs (it only fills an
/// empty raw/), instead of ignoring it silently.
async fn warn_unused_bootstrap(lake: &Lake, bootstrap: &BootstrapArgs) {
    if let Some(source) = &bootstrap.source {
        if let Ok(objects) = lake.list(futbr_lake::keys::RAW).await {
            if !objects.is_empty() {
                eprintln!(
                    "warning: --bootstrap {source} is ignored: {}/raw/ already holds {} input(s) (bootstrap only fills an empty lake; use a new --lake, or `futbr ingest FILE` to add data)",
                    lake.url().trim_end_matches('/'),
                    objects.len()
                );
            }
        }
    }
}

async fn serve(
    lake: LakeArgs,
    bootstrap: BootstrapArgs,
    recipe: RecipeArgs,
    watch: WatchArgs,
    feeds: FeedArgs,
    settings: futbr_server::Settings,
) -> Result<ExitCode> {
    let lake = open_reachable(&lake, false).await?;
    if !settings.no_watch {
        warn_unused_bootstrap(&lake, &bootstrap).await;
    }
    let options = watch_options(bootstrap, &recipe, &watch)?;
    let feed_options = checked_feeds(&feeds)?;
    let state = futbr_server::AppState::with_feeds(lake, settings, options, feed_options);
    let server = futbr_server::BoundServer::bind(state.clone())
        .await
        .with_context(|| format!("cannot listen on {}", state.settings.bind_addr()))?;
    let addr = server.local_addr()?;
    // Tests and scripts read this line to find the port (with --addr 127.0.0.1:0).
    println!("listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    tracing::info!(%addr, lake = %state.lake.url(), watch = !state.settings.no_watch, "serving");
    server.serve(shutdown_signal()).await.context(
        "futbr serve stopped (a bootstrap that cannot be read? offline, point --bootstrap at a local copy of the match CSV, e.g. --bootstrap campeonato-brasileiro-full.csv)",
    )?;
    Ok(ExitCode::SUCCESS)
}

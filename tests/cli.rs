//! End-to-end tests: the real `futbr` binary on real files in a temporary lake.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use futbr_testkit::{read_shared, shared_data};

fn futbr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_futbr"))
        .args(args)
        .env_remove("FUTBR_LAKE")
        .env_remove("FUTBR_BOOTSTRAP")
        .env_remove("FUTBR_CANDIDATE")
        .env("RUST_LOG", "warn")
        .output()
        .expect("futbr runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn lake_matches(lake: &Path) -> Vec<futbr_domain::Match> {
    let bytes = std::fs::read(lake.join("processed/matches.parquet")).expect("matches.parquet");
    futbr_lake::tables::matches_from_parquet("matches.parquet", bytes.into()).unwrap()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Reads a Parquet file with pyarrow, as a user would, and checks what `expression` (over the
/// table `t`) prints. CI installs pyarrow; elsewhere a missing pyarrow skips only this check.
fn pyarrow_reads(path: &Path, expression: &str, expected: &str) {
    let script = format!(
        "import sys, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1]); print({expression})"
    );
    match Command::new("python3")
        .args(["-c", &script])
        .arg(path)
        .output()
    {
        Ok(py) if py.status.success() => assert_eq!(stdout(&py).trim(), expected),
        other => {
            assert!(
                std::env::var_os("CI").is_none(),
                "pyarrow check failed under CI: {other:?}"
            );
            futbr_testkit::skipped(
                &format!("pyarrow check of {}", path.display()),
                &format!("python3 with pyarrow is not available ({other:?})"),
            );
        }
    }
}

#[test]
fn process_bootstraps_the_real_file_into_8785_matches() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let full = shared_data("campeonato-brasileiro-full.csv");
    let o = futbr(&[
        "process",
        "--lake",
        lake.to_str().unwrap(),
        "--bootstrap",
        full.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout(&o).contains("processed 8785 matches"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        std::fs::read(lake.join("raw/campeonato-brasileiro-full.csv")).unwrap(),
        read_shared("campeonato-brasileiro-full.csv")
    );
    let matches = lake_matches(&lake);
    assert_eq!(matches.len(), 8785);
    assert!(matches.windows(2).all(|w| w[0].date <= w[1].date));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lake.join("processed/report.json")).unwrap())
            .unwrap();
    assert_eq!(report["matches"], 8785);
    assert_eq!(
        report["inputs"][0]["sha256"],
        futbr_pipeline::bootstrap::DEFAULT_SHA256
    );

    pyarrow_reads(
        &lake.join("processed/matches.parquet"),
        "t.num_rows, t.schema.field('date').type",
        "8785 date32[day]",
    );
    pyarrow_reads(
        &lake.join("processed/features.parquet"),
        "t.num_rows, t.num_columns, t.column('id')[0], t.schema.field('form_pontos_mandante').type",
        &format!("8785 {} 1 double", 8 + futbr_features::COUNT),
    );

    // Online features of a fixture, from the same engine.
    let o = futbr(&[
        "features",
        "--lake",
        lake.to_str().unwrap(),
        "Internacional",
        "Bahia",
        "--date",
        "13/04/2024",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let f: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(f["state_through"], "2023-12-06");
    assert_eq!(f["features"]["eh_classico"], 0.0);
    let o = futbr(&[
        "features",
        "--lake",
        lake.to_str().unwrap(),
        "Clube Novo",
        "Bahia",
        "--date",
        "2024-04-13",
    ]);
    // A club without history is refused unless the caller says it is new.
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--new-club"));
    let o = futbr(&[
        "features",
        "--lake",
        lake.to_str().unwrap(),
        "Clube Novo",
        "bahia",
        "--date",
        "2024-04-13",
        "--new-club",
    ]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cold-start priors"));

    // A second process on the same lake changes nothing in raw/.
    let o = futbr(&[
        "process",
        "--lake",
        lake.to_str().unwrap(),
        "--bootstrap",
        "/nonexistent",
    ]);
    assert!(o.status.success());
    assert_eq!(files_under(&lake.join("raw")).len(), 1);
}

#[test]
fn a_bootstrap_checksum_mismatch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let prod = shared_data("dados_producao_inicial.csv");
    let o = futbr(&[
        "process",
        "--lake",
        lake.to_str().unwrap(),
        "--bootstrap",
        prod.to_str().unwrap(),
        "--bootstrap-sha256",
        futbr_pipeline::bootstrap::DEFAULT_SHA256,
    ]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("expected c09d03d3"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(files_under(&lake).is_empty());
}

/// Serves `body` once over real HTTP/1.1 on 127.0.0.1; returns the URL.
fn serve_once(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: text/csv\r\nConnection: close\r\n\r\n", body.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://127.0.0.1:{port}/data/campeonato-brasileiro-full.csv")
}

#[test]
fn bootstrap_fetches_a_url_and_verifies_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let url = serve_once(read_shared("campeonato-brasileiro-full.csv"));
    let o = Command::new(env!("CARGO_BIN_EXE_futbr"))
        .args(["process", "--lake", lake.to_str().unwrap()])
        .env("FUTBR_BOOTSTRAP", &url)
        .env(
            "FUTBR_BOOTSTRAP_SHA256",
            futbr_pipeline::bootstrap::DEFAULT_SHA256,
        )
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(lake_matches(&lake).len(), 8785);
}

#[test]
fn validate_json_reports_every_problem_and_sets_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let header = futbr_domain::synthetic::HEADER;
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, format!("{header}\n1,1,29/03/2003,16:00,Guarani,Vasco,,,,,Guarani,x,4,2,SP,RJ\n2,1,29/03/2003,16:00,Santos,Vasco,,,,,Santos,x,dois,2,SP,RJ\n")).unwrap();
    let o = futbr(&["validate", "--json", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(report["rows_total"], 2);
    assert_eq!(report["rows_accepted"], 1);
    assert_eq!(report["rejected"], serde_json::Value::Null);
    let p = &report["problems"][0];
    assert_eq!(
        (
            p["line"].as_u64(),
            p["column"].as_str(),
            p["value"].as_str(),
            p["severity"].as_str()
        ),
        (
            Some(3),
            Some("mandante_Placar"),
            Some("dois"),
            Some("error")
        )
    );

    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let full = shared_data("campeonato-brasileiro-full.csv");
    let o = futbr(&[
        "validate",
        "--json",
        full.to_str().unwrap(),
        empty.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["rows_accepted"], 8785);
    assert!(lines[1]["rejected"]
        .as_str()
        .unwrap()
        .starts_with("empty file"));

    let o = futbr(&["validate", full.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains(":1115: column vencedor warning"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn ingest_then_process_keeps_good_rows_and_quarantines_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake_arg = lake.to_str().unwrap();
    let prod = shared_data("dados_producao_inicial.csv");
    let full = shared_data("campeonato-brasileiro-full.csv");
    assert!(
        futbr(&["ingest", "--lake", lake_arg, prod.to_str().unwrap()])
            .status
            .success()
    );
    let again = futbr(&["ingest", "--lake", lake_arg, prod.to_str().unwrap()]);
    assert!(
        stdout(&again).contains("already in the lake"),
        "{}",
        stdout(&again)
    );
    // Three scores of the full file differ from the production file's: ingested, with a warning
    // (exit 1: those rows will be quarantined and the known results kept).
    let o = futbr(&["ingest", "--lake", lake_arg, full.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("3 row(s) conflict with known results"),
        "{}",
        stdout(&o)
    );

    let header = futbr_domain::synthetic::HEADER;
    let mixed = dir.path().join("mixed.csv");
    std::fs::write(&mixed, format!("{header}\n9001,1,01/02/2025,16:00,Time A,Time B,,,,,-,x,1,1,SP,RJ\n9002,1,01/02/2025,16:00,Time C,Time D,,,,,-,x,1,,SP,RJ\n")).unwrap();
    assert_eq!(
        futbr(&["ingest", "--lake", lake_arg, mixed.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
    // A file in which not one row is accepted is not stored.
    let bad = dir.path().join("all-bad.csv");
    std::fs::write(&bad, format!("{header}\n9003,1,31/02/2025,16:00,Time A,Time B,,,,,-,x,1,1,SP,RJ\n9004,1,01/02/2025,16:00,Time C,Time D,,,,,-,x,1,,SP,RJ\n")).unwrap();
    let o = futbr(&["ingest", "--lake", lake_arg, bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("not ingested: no row was accepted"),
        "{}",
        stdout(&o)
    );
    assert!(!lake.join("raw/all-bad.csv").exists());
    let junk = dir.path().join("junk.csv");
    std::fs::write(&junk, "nome,idade\nAna,30\n").unwrap();
    let o = futbr(&["ingest", "--lake", lake_arg, junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("not a match CSV"), "{}", stdout(&o));

    let o = futbr(&["process", "--lake", lake_arg, "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["matches"], 8786); // the real 8,785 plus the one good synthetic row
                                         // The rows, their report and the conflicts; `.versions/` remembers that this object version
                                         // is quarantined.
    let quarantine: Vec<PathBuf> = files_under(&lake.join("quarantine"))
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("/.versions/"))
        .collect();
    assert_eq!(quarantine.len(), 3, "{quarantine:?}");
    assert!(quarantine.iter().any(|p| p.ends_with("conflicts.json")));
    assert_eq!(report["merge"]["conflicts"].as_array().unwrap().len(), 3);
    let rows = std::fs::read_to_string(
        quarantine
            .iter()
            .find(|p| p.extension().unwrap() == "csv")
            .unwrap(),
    )
    .unwrap();
    assert!(rows.contains("9002") && !rows.contains("9001"));
    let q_report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            quarantine
                .iter()
                .find(|p| p.to_string_lossy().ends_with(".report.json"))
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    // The synthetic clubs are new to the club table (notes); the one error is the missing score.
    let errors: Vec<&serde_json::Value> = q_report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["column"], "visitante_Placar");
    // raw/ holds the three accepted uploads exactly as they were.
    assert_eq!(files_under(&lake.join("raw")).len(), 3);
}

#[test]
fn backtest_writes_reproducible_predictions_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let full = shared_data("campeonato-brasileiro-full.csv");
    let run = |name: &str| -> (String, serde_json::Value) {
        let csv = dir.path().join(format!("{name}.csv"));
        let report = dir.path().join(format!("{name}.json"));
        let o = futbr(&[
            "backtest",
            "--data",
            full.to_str().unwrap(),
            "--test-from",
            "2024-10-01",
            "--model",
            "all",
            "--predictions",
            csv.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(report.with_extension("md").is_file());
        for svg in ["calibration.svg", "rolling-rps.svg"] {
            assert!(std::fs::read_to_string(report.with_extension(svg))
                .unwrap()
                .starts_with("<svg"));
        }
        (
            std::fs::read_to_string(csv).unwrap(),
            serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap(),
        )
    };
    let (a, report) = run("a");
    let (b, _) = run("b");
    assert_eq!(a, b, "two runs must give identical bytes");
    let mut lines = a.lines();
    assert_eq!(lines.next(), Some("ID,p_home,p_draw,p_away,date,home,away"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len() as u64, report["matches"].as_u64().unwrap());
    for row in rows {
        let p: Vec<f64> = row
            .split(',')
            .skip(1)
            .take(3)
            .map(|v| v.parse().unwrap())
            .collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{row}");
    }
    assert_eq!(
        report["candidates"].as_array().unwrap().len(),
        futbr_models::Candidate::ALL.len()
    );
    assert!(
        report["comparison"]["ci95_low"].as_f64().unwrap()
            <= report["comparison"]["ci95_high"].as_f64().unwrap()
    );
    // The statistics file feeds the statistics features (2023's shots still shape late 2024).
    let stats = shared_data("campeonato-brasileiro-estatisticas-full.csv");
    let with_stats = |flag: bool| -> String {
        let csv = dir.path().join(format!("fo-{flag}.csv"));
        let report = dir.path().join("fo.json");
        let mut args = vec![
            "backtest",
            "--data",
            full.to_str().unwrap(),
            "--test-from",
            "2024-10-01",
            "--model",
            "features-ordered",
        ];
        if flag {
            args.extend(["--stats", stats.to_str().unwrap()]);
        }
        args.extend([
            "--predictions",
            csv.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ]);
        let o = futbr(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(csv).unwrap()
    };
    assert_ne!(with_stats(true), with_stats(false));
    let o = futbr(&[
        "backtest",
        "--data",
        full.to_str().unwrap(),
        "--test-from",
        "2024-10-01",
        "--model",
        "xgboost",
        "--predictions",
        "/dev/null",
        "--report",
        "/dev/null",
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown candidate \"xgboost\""));
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        "validate", "ingest", "process", "features", "backtest", "synth",
    ] {
        let o = futbr(&[sub, "--help"]);
        assert!(o.status.success(), "{sub}");
        assert!(stdout(&o).contains("Usage: futbr"), "{sub}");
    }
}

#[test]
fn the_loop_runs_the_same_on_a_real_s3_compatible_server() {
    // CI starts moto_server and sets FUTBR_TEST_S3_URL and the AWS_* settings; there its absence
    // is a failure (FUTBR_REQUIRE_S3), never a silent skip.
    let Some(url) =
        futbr_testkit::s3_test_url("the_loop_runs_the_same_on_a_real_s3_compatible_server")
    else {
        return;
    };
    let lake = format!(
        "{url}/e2e-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    let prod = shared_data("dados_producao_inicial.csv");
    let o = futbr(&[
        "pipeline",
        "run",
        "--lake",
        &lake,
        "--bootstrap",
        prod.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let first: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(first["status"], "succeeded");
    let novas = shared_data("novas_rodadas_simuladas.csv");
    assert!(futbr(&["ingest", "--lake", &lake, novas.to_str().unwrap()])
        .status
        .success());
    let o = futbr(&["pipeline", "run", "--lake", &lake, "--json"]);
    let second: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(second["status"], "succeeded", "{second:#}");
    assert!(second["gate"]["champion_rps"].as_f64().is_some());
    let o = futbr(&["pipeline", "run", "--lake", &lake, "--json"]);
    let third: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(third["status"], "up-to-date");
    let o = futbr(&[
        "predict",
        "--lake",
        &lake,
        "Flamengo",
        "Palmeiras",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(p["model"]["version"], second["champion_after"]);
    let o = futbr(&["models", "list", "--lake", &lake]);
    assert_eq!(stdout(&o).lines().count(), 2);
}

#[test]
fn models_can_be_promoted_by_hand_and_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let prod = shared_data("dados_producao_inicial.csv");
    assert!(futbr(&[
        "pipeline",
        "run",
        "--lake",
        lake,
        "--bootstrap",
        prod.to_str().unwrap()
    ])
    .status
    .success());
    let o = futbr(&["train", "--lake", lake, "--candidate", "base-rates"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = futbr(&["promote", "--lake", lake]);
    assert!(stdout(&o).contains("kept the champion"), "{}", stdout(&o));
    let versions: Vec<String> = stdout(&futbr(&["models", "list", "--lake", lake]))
        .lines()
        .map(|l| l[2..].split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(versions.len(), 2);
    let list = stdout(&futbr(&["models", "list", "--lake", lake]));
    assert!(list.lines().next().unwrap().starts_with("* "), "{list}");
    assert!(futbr(&["models", "promote", "--lake", lake, &versions[1]])
        .status
        .success());
    assert!(stdout(&futbr(&["models", "list", "--lake", lake]))
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("* "));
    let o = futbr(&["models", "rollback", "--lake", lake]);
    assert!(
        stdout(&o).contains(&format!("champion is now {}", versions[0])),
        "{}",
        stdout(&o)
    );
    let o = futbr(&["predict", "--lake", lake, "Flamengo", "flamengo"]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("same club"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = futbr(&[
        "predict",
        "--lake",
        lake,
        "Flamengo",
        "Palmeiras",
        "--date",
        "2020-01-01",
    ]);
    assert!(
        !o.status.success(),
        "a date inside the training window would leak"
    );
    let o = futbr(&["models", "show", "--lake", lake, &versions[0]]);
    let manifest: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        manifest["candidate"],
        futbr_models::Candidate::SERVED_BY_DEFAULT.name()
    );
    assert_eq!(
        manifest["inputs"][0]["key"],
        "raw/dados_producao_inicial.csv"
    );
    let o = futbr(&["runs", "list", "--lake", lake]);
    assert_eq!(stdout(&o).lines().count(), 1);
}

#[test]
fn backtest_with_closing_odds_reports_the_market_and_every_model_against_it() {
    // The anchor: Pinnacle's closing odds de-vigged proportionally score RPS 0.2033 on
    // the 1,140 matches of 2022–2024.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("market.json");
    let o = futbr(&[
        "backtest",
        "--data",
        shared_data("campeonato-brasileiro-full.csv")
            .to_str()
            .unwrap(),
        "--data",
        shared_data("football-data-BRA-2012-2024.csv")
            .to_str()
            .unwrap(),
        "--test-from",
        "2022-01-01",
        "--model",
        "market-elo",
        "--predictions",
        dir.path().join("market.csv").to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["matches"], 1140);
    let market = report["market"].as_array().unwrap();
    let names: Vec<&str> = market.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["market (proportional)", "market (shin)"]);
    for m in market {
        assert_eq!(m["matches"], 1140);
        let rps = m["overall"]["rps"].as_f64().unwrap();
        assert!((rps - 0.2033).abs() < 0.00005, "{rps}");
    }
    let versus = report["versus_market"].as_array().unwrap();
    assert_eq!(versus.len(), 2, "one model against two references");
    for v in versus {
        assert_eq!(v["candidate"], "market-elo");
        let (d, lo, hi) = (
            v["rps_difference"].as_f64().unwrap(),
            v["ci95_low"].as_f64().unwrap(),
            v["ci95_high"].as_f64().unwrap(),
        );
        assert!(lo < d && d < hi, "{v}");
        let gap = v["candidate_rps"].as_f64().unwrap() - v["market_rps"].as_f64().unwrap();
        assert!((gap - d).abs() < 1e-12);
    }
    let markdown = String::from_utf8_lossy(&o.stdout);
    assert!(markdown.contains("| *market (proportional)* (reference) | 0.2033 |"));
    assert!(markdown.contains("## Against the market"));
}

//! End-to-end: football-data.co.uk's file beside the Brazilian data set through the real binary
//! (validate, ingest with conflicts and corrections, process, backtest conveniences).

use std::path::Path;
use std::process::{Command, Output};

use futbr_testkit::shared_data;

fn futbr_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_futbr"))
        .args(args)
        .current_dir(dir)
        .env_remove("FUTBR_LAKE")
        .env_remove("FUTBR_BOOTSTRAP")
        .env_remove("FUTBR_FEEDS")
        .env("RUST_LOG", "warn")
        .output()
        .expect("futbr runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const FULL: &str = "campeonato-brasileiro-full.csv";
const FOOTBALL_DATA: &str = "football-data-BRA-2012-2024.csv";

#[test]
fn validate_reads_football_data_and_names_near_miss_clubs_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let fd = shared_data(FOOTBALL_DATA);
    let o = futbr_in(dir.path(), &["validate", fd.to_str().unwrap()]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("4940 rows, 4940 accepted, 0 errors"), "{out}");
    assert!(out.contains("note: fixture without a score"), "{out}");
    // A typo of a known club is not a new club: an error naming the line and the closest club.
    let typo = dir.path().join("typo.csv");
    std::fs::write(
        &typo,
        "Country,League,Season,Date,Time,Home,Away,HG,AG,Res\nBrazil,Serie A,2024,13/04/2024,22:00,Flamengo RJ,Vasco,2,1,H\nBrazil,Serie A,2024,14/04/2024,20:00,Palmeras,Sport Recife,1,1,D\n",
    )
    .unwrap();
    let o = futbr_in(dir.path(), &["validate", typo.to_str().unwrap()]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(
            ":3: column Home error: unknown club 'Palmeras', close to known club(s) Palmeiras"
        ),
        "{out}"
    );
}

#[test]
fn ingest_warns_about_conflicting_results_and_corrections_are_explicit() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let full = shared_data(FULL);
    let o = futbr_in(
        dir.path(),
        &["ingest", "--lake", lake, full.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    // The first match of the data set (Guarani 4-2 Vasco, line 2) with another score.
    let wrong = dir.path().join("wrong.csv");
    std::fs::write(
        &wrong,
        "ID,rodata,data,mandante,visitante,mandante_Placar,visitante_Placar\n1,1,29/03/2003,Guarani,Vasco,0,0\n",
    )
    .unwrap();
    let o = futbr_in(
        dir.path(),
        &["validate", "--lake", lake, wrong.to_str().unwrap()],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("raw/campeonato-brasileiro-full.csv line 2 says 29/03/2003 Guarani 4-2 Vasco"),
        "{out}"
    );
    assert!(
        out.contains("line 2 says 29/03/2003 Guarani 0-0 Vasco"),
        "{out}"
    );
    let o = futbr_in(
        dir.path(),
        &["ingest", "--lake", lake, wrong.to_str().unwrap()],
    );
    let out = text(&o);
    assert!(
        out.contains("1 row(s) conflict with known results"),
        "{out}"
    );
    let o = futbr_in(dir.path(), &["process", "--lake", lake]);
    let out = text(&o);
    assert!(
        out.contains("warning: conflicting result quarantined"),
        "{out}"
    );
    assert!(out.contains("processed 8785 matches"), "{out}");
    // Asked for explicitly, the correction lands in raw/corrections/ and replaces the score.
    let o = futbr_in(
        dir.path(),
        &[
            "ingest",
            "--corrects",
            "--lake",
            lake,
            wrong.to_str().unwrap(),
        ],
    );
    let out = text(&o);
    assert!(out.contains("corrects 1 known result(s)"), "{out}");
    assert!(out.contains("raw/corrections/wrong.csv"), "{out}");
    let o = futbr_in(dir.path(), &["process", "--lake", lake]);
    let out = text(&o);
    assert!(out.contains("correction applied"), "{out}");
}

#[test]
fn backtest_merges_repeated_data_writes_into_backtest_and_keeps_md_and_json_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (full, fd) = (shared_data(FULL), shared_data(FOOTBALL_DATA));
    let o = futbr_in(
        dir.path(),
        &[
            "backtest",
            "--data",
            full.to_str().unwrap(),
            "--data",
            fd.to_str().unwrap(),
            "--test-from",
            "2024-11-01",
            "--model",
            "elo",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let folder = dir.path().join("backtest");
    let csv = std::fs::read_to_string(folder.join("predictions.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("ID,p_home,p_draw,p_away,date,home,away"));
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert!(
        first[0].parse::<u64>().is_ok() && first[4].starts_with("2024-11-"),
        "{first:?}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("report.json")).unwrap()).unwrap();
    assert!(json["matches"].as_u64().unwrap() > 50);
    assert!(std::fs::read_to_string(folder.join("report.md"))
        .unwrap()
        .starts_with('#'));

    // --report x.md: the Markdown under that name, the JSON beside it, neither overwritten.
    let o = futbr_in(
        dir.path(),
        &[
            "backtest",
            "--data",
            full.to_str().unwrap(),
            "--test-from",
            "2024-11-01",
            "--model",
            "elo",
            "--report",
            "x.md",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::read_to_string(dir.path().join("x.md"))
        .unwrap()
        .starts_with('#'));
    let x: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("x.json")).unwrap()).unwrap();
    assert!(x["matches"].is_u64());

    // An empty window says which dates the data covers.
    let o = futbr_in(
        dir.path(),
        &[
            "backtest",
            "--data",
            full.to_str().unwrap(),
            "--test-from",
            "2030-01-01",
        ],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("no match to test from 2030-01-01 to the end of the data: the data covers 2003-03-29 to 2024-12-08"),
        "{}",
        text(&o)
    );
}

#[test]
fn predict_takes_the_other_sources_spelling_of_a_club() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let full = shared_data(FULL);
    let o = futbr_in(
        dir.path(),
        &[
            "pipeline",
            "run",
            "--lake",
            lake,
            "--bootstrap",
            full.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = futbr_in(
        dir.path(),
        &[
            "predict",
            "--lake",
            lake,
            "Flamengo RJ",
            "Sport Recife",
            "--date",
            "2025-04-06",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let answer: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let shown = answer.to_string();
    assert!(
        shown.contains("\"Flamengo\"") && shown.contains("\"Sport\""),
        "{shown}"
    );
}

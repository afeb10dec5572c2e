//! Validation and history on the real Brasileirão files.

use futbr_domain::history::SourceFile;
use futbr_domain::validate::{validate_csv, Severity, ValidateOptions};
use futbr_domain::{History, Outcome};
use futbr_testkit::read_shared;

#[test]
fn the_full_file_gives_all_8785_matches_with_one_contradicting_winner() {
    let v = validate_csv(
        "full.csv",
        &read_shared("campeonato-brasileiro-full.csv"),
        &ValidateOptions::default(),
    );
    assert_eq!(v.report.rejected, None);
    assert_eq!((v.report.rows_total, v.report.rows_accepted), (8785, 8785));
    assert_eq!(v.matches.len(), 8785);
    assert_eq!(v.report.count(Severity::Error), 0);
    let winners: Vec<_> = v
        .report
        .problems
        .iter()
        .filter(|p| p.column.as_deref() == Some("vencedor"))
        .collect();
    assert_eq!(winners.len(), 1, "{winners:?}");
    let m1114 = v.matches.iter().find(|m| m.id == Some(1114)).unwrap();
    assert_eq!(m1114.outcome(), Outcome::Away);
    assert!(v.matches.iter().all(|m| !m.arena.starts_with(' ')));
    assert!(v.matches.iter().any(|m| m
        .home_formation
        .as_deref()
        .is_some_and(|f| f.split('-').count() == 5)));
}

#[test]
fn seasons_come_from_the_data_and_2020_runs_into_2021() {
    let v = validate_csv(
        "full.csv",
        &read_shared("campeonato-brasileiro-full.csv"),
        &ValidateOptions::default(),
    );
    let h = History::from_matches(v.matches);
    let mut seasons: Vec<i32> = h.matches().iter().map(|m| m.season).collect();
    seasons.dedup();
    assert_eq!(seasons, (2003..=2024).collect::<Vec<_>>());
    let feb_2021 = h
        .matches()
        .iter()
        .filter(|m| m.date.to_string().starts_with("2021-02"))
        .collect::<Vec<_>>();
    assert!(!feb_2021.is_empty());
    assert!(feb_2021.iter().all(|m| m.season == 2020));
    let per_season = |s: i32| h.matches().iter().filter(|m| m.season == s).count();
    assert_eq!(per_season(2020), 380);
    assert_eq!(per_season(2003), 552);
}

#[test]
fn the_production_file_plus_the_full_file_yield_each_match_once() {
    let o = ValidateOptions::default();
    let prod = validate_csv("prod.csv", &read_shared("dados_producao_inicial.csv"), &o);
    let full = validate_csv(
        "full.csv",
        &read_shared("campeonato-brasileiro-full.csv"),
        &o,
    );
    assert_eq!(prod.report.exit_code(), 0);
    assert_eq!(prod.matches.len(), 8714);
    let source = |name: &str, v: futbr_domain::validate::ValidatedFile| SourceFile {
        name: name.into(),
        matches: v.matches,
        lines: v.lines,
        corrects: false,
    };
    let (h, summary) =
        History::merge_sources(vec![source("prod.csv", prod), source("full.csv", full)]);
    assert_eq!(h.len(), 8785);
    // Three scores differ between the two files (issue 9): each is a conflict naming both files
    // and lines; the known (earlier) result stays and the later row is quarantined.
    let conflicts: Vec<&str> = summary.conflicts.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        conflicts,
        [
            "27/04/2003 Athletico-PR x Criciuma",
            "06/10/2004 Criciuma x Internacional",
            "24/04/2005 Brasiliense x Vasco"
        ]
    );
    assert!(summary.conflicts.iter().all(|c| c.known.file == "prod.csv"
        && c.other.file == "full.csv"
        && c.known.line > 1
        && c.other.line > 1));
    assert_eq!(
        summary.duplicates_dropped + summary.replaced + summary.conflicts.len(),
        8714
    );
    // ID 2826 has home and away swapped between the two files: the later upload wins, named.
    let swapped = summary
        .warnings
        .iter()
        .find(|w| w.message.contains("ID 2826"))
        .unwrap();
    assert_eq!(
        (swapped.replaced_file.as_str(), swapped.kept_file.as_str()),
        ("prod.csv", "full.csv")
    );
    assert_eq!(
        &*h.matches()
            .iter()
            .find(|m| m.id == Some(2826))
            .unwrap()
            .home,
        "Flamengo"
    );
}

#[test]
fn the_new_rounds_file_is_valid() {
    let v = validate_csv(
        "novas.csv",
        &read_shared("novas_rodadas_simuladas.csv"),
        &ValidateOptions::default(),
    );
    assert_eq!(v.report.exit_code(), 0, "{:?}", v.report);
    assert_eq!(v.matches.len(), 71);
}

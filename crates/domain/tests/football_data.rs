//! football-data.co.uk's Brazil file beside the Brazilian data set: one club identity, one match
//! whatever the source, closing odds kept.

use std::collections::HashMap;

use futbr_domain::history::SourceFile;
use futbr_domain::validate::{validate_csv, Severity, ValidateOptions, ValidatedFile};
use futbr_domain::{History, Match};
use futbr_testkit::read_shared;

const FOOTBALL_DATA: &str = "football-data-BRA-2012-2024.csv";
const BRAZILIAN: &str = "campeonato-brasileiro-full.csv";

fn read(name: &str) -> ValidatedFile {
    validate_csv(
        name,
        &read_shared(name),
        &ValidateOptions::with_shipped_clubs(),
    )
}

fn source(name: &str, v: &ValidatedFile) -> SourceFile {
    SourceFile {
        name: name.into(),
        matches: v.matches.clone(),
        lines: v.lines.clone(),
        corrects: false,
    }
}

#[test]
fn the_football_data_file_reads_every_result_and_skips_the_fixture_with_a_note() {
    let v = read(FOOTBALL_DATA);
    assert_eq!(v.report.rejected, None);
    assert_eq!((v.report.rows_total, v.report.rows_accepted), (4940, 4940));
    assert_eq!(v.matches.len(), 4939);
    assert_eq!(
        v.report.count(Severity::Error),
        0,
        "{:?}",
        v.report.problems
    );
    let notes: Vec<_> = v
        .report
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Note)
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].message.contains("Chapecoense-SC x Atletico-MG"),
        "{}",
        notes[0].message
    );
    assert_eq!(v.report.exit_code(), 0);
    // Every club is a known one under its Brazilian spelling.
    let brazilian = read(BRAZILIAN);
    let known: std::collections::HashSet<&str> =
        brazilian.matches.iter().map(|m| &*m.home).collect();
    for m in &v.matches {
        assert!(
            known.contains(&*m.home) && known.contains(&*m.away),
            "{m:?}"
        );
        assert_eq!(m.id, None);
        assert!(!m.home_state.is_empty(), "state from the club table: {m:?}");
    }
    let with_pinnacle = v
        .matches
        .iter()
        .filter(|m| m.odds.and_then(|o| o.pinnacle).is_some())
        .count();
    let with_average = v
        .matches
        .iter()
        .filter(|m| m.odds.and_then(|o| o.average).is_some())
        .count();
    assert!(
        with_pinnacle > 4800 && with_average > 4800,
        "{with_pinnacle} {with_average}"
    );
    let first = &v.matches[0];
    assert_eq!((&*first.home, &*first.away), ("Palmeiras", "Portuguesa"));
    let pinnacle = first.odds.unwrap().pinnacle.unwrap();
    assert_eq!(
        (
            pinnacle.home.decimal(),
            pinnacle.draw.decimal(),
            pinnacle.away.decimal()
        ),
        (1.75, 3.86, 5.25)
    );
    // 22:30 UK on 19/05/2012 (BST) is 18:30 in Brasília.
    assert_eq!(first.time.unwrap().to_string(), "18:30:00");
}

#[test]
fn both_sources_give_exactly_the_brazilian_matches_of_2012_2024_with_odds_added() {
    let fd = read(FOOTBALL_DATA);
    let br = read(BRAZILIAN);
    let alone = History::from_matches(br.matches.clone());
    let dated = |m: &Match| m.date >= chrono::NaiveDate::from_ymd_opt(2012, 1, 1).unwrap();
    let alone_2012: usize = alone.matches().iter().filter(|m| dated(m)).count();
    assert_eq!(alone_2012, 4939);
    for order in [[0, 1], [1, 0]] {
        let files = [source(BRAZILIAN, &br), source(FOOTBALL_DATA, &fd)];
        let (both, summary) = History::merge_sources(order.map(|i| files[i].clone()).to_vec());
        assert_eq!(both.len(), alone.len(), "order {order:?}");
        assert!(
            summary.conflicts.is_empty(),
            "{:?}",
            &summary.conflicts[..3.min(summary.conflicts.len())]
        );
        assert_eq!(summary.combined, 4939);
        assert_eq!(summary.replaced, 0);
        // Everything but the odds is the Brazilian record, match for match, season for season.
        for (a, b) in alone.matches().iter().zip(both.matches()) {
            let mut b = b.clone();
            assert!(b.odds.is_none() || dated(&b));
            b.odds = None;
            assert_eq!(a, &b);
        }
        let with_odds = both.matches().iter().filter(|m| m.odds.is_some()).count();
        assert!(with_odds > 4800, "{with_odds}");
        let fd_index = order.iter().position(|&i| i == 1).unwrap();
        assert!(both
            .odds_sources()
            .iter()
            .all(|s| s.is_none() || *s == Some(fd_index)));
    }
}

#[test]
fn uk_dates_converted_to_brasilia_match_the_brazilian_dates() {
    // Measured for README: how many football-data dates equal the Brazilian date of the same
    // match once converted from UK time (the rest are one day later, recognised by the merge).
    let fd = read(FOOTBALL_DATA);
    let br = read(BRAZILIAN);
    let mut by_pair: HashMap<(&str, &str), Vec<chrono::NaiveDate>> = HashMap::new();
    for m in &br.matches {
        by_pair
            .entry((&*m.home, &*m.away))
            .or_default()
            .push(m.date);
    }
    let (mut same, mut off) = (0, 0);
    for m in &fd.matches {
        let dates = &by_pair[&(&*m.home, &*m.away)];
        if dates.contains(&m.date) {
            same += 1;
        } else if dates.iter().any(|d| (*d - m.date).num_days().abs() <= 1) {
            off += 1;
        }
    }
    eprintln!("football-data dates after UK→Brasília conversion: {same} same day, {off} other");
    assert_eq!((same, off), (4939, 0));
}

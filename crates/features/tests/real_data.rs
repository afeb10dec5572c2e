//! The feature engine on all 8,785 real matches: parity, no leakage, hand-checked values,
//! determinism, cold start.

use chrono::NaiveDate;
use futbr_domain::stats::{read_stats_csv, StatsTable};
use futbr_domain::validate::{validate_csv, ValidateOptions};
use futbr_domain::{History, Match};
use futbr_features::{
    batch_features, batch_features_with_stats, EngineConfig, Feature, FeatureEngine, FeatureRow,
    Fixture, ALL,
};
use futbr_testkit::read_shared;

fn history() -> Vec<Match> {
    let v = validate_csv(
        "full.csv",
        &read_shared("campeonato-brasileiro-full.csv"),
        &ValidateOptions::default(),
    );
    History::from_matches(v.matches).matches().to_vec()
}

fn stats_text() -> String {
    String::from_utf8(read_shared("campeonato-brasileiro-estatisticas-full.csv")).unwrap()
}

fn stats(text: &str) -> StatsTable {
    let (table, report) = read_stats_csv("stats.csv", text.as_bytes());
    assert_eq!(report.rejected, None);
    table
}

fn bits(row: &FeatureRow) -> Vec<u64> {
    row.values().iter().map(|v| v.to_bits()).collect()
}

#[test]
fn online_answers_equal_batch_rows_for_every_real_match() {
    let matches = history();
    let stats = stats(&stats_text());
    let (rows, _) =
        batch_features_with_stats(&matches, EngineConfig::default(), Some(&stats)).unwrap();
    assert_eq!(rows.len(), 8785);
    let mut start = 0;
    while start < matches.len() {
        let date = matches[start].date;
        // A fresh engine built the online way: every match strictly before the date.
        let engine =
            FeatureEngine::as_of_with_stats(&matches, date, EngineConfig::default(), Some(&stats))
                .unwrap();
        let mut i = start;
        while i < matches.len() && matches[i].date == date {
            let online = engine.features(&Fixture::of(&matches[i])).unwrap();
            assert_eq!(
                bits(&online),
                bits(&rows[i]),
                "match {} on {date}",
                matches[i].label()
            );
            i += 1;
        }
        start = i;
    }
}

#[test]
fn changing_results_on_or_after_a_date_changes_no_earlier_feature() {
    let matches = history();
    let text = stats_text();
    let (rows, _) =
        batch_features_with_stats(&matches, EngineConfig::default(), Some(&stats(&text))).unwrap();
    for cut in [(2005, 6, 1), (2015, 7, 19), (2021, 2, 25), (2024, 4, 13)] {
        let cut = NaiveDate::from_ymd_opt(cut.0, cut.1, cut.2).unwrap();
        let mut scrambled = matches.clone();
        for (k, m) in scrambled
            .iter_mut()
            .enumerate()
            .filter(|(_, m)| m.date >= cut)
        {
            m.home_goals = (k % 5) as u16;
            m.away_goals = (k % 3) as u16 + 1;
            m.home_formation = Some("3-5-2".into());
            m.away_formation = None;
        }
        // The statistics of those matches change too: twice the shots, no possession.
        let later: std::collections::HashSet<String> = matches
            .iter()
            .filter(|m| m.date >= cut)
            .filter_map(|m| m.id.map(|id| id.to_string()))
            .collect();
        let scrambled_text: String = text
            .lines()
            .map(|line| {
                let mut f: Vec<String> = line.split(',').map(String::from).collect();
                if later.contains(f[0].trim_matches('"')) {
                    let shots: u32 = f[3].trim_matches('"').parse().unwrap_or(0);
                    f[3] = (2 * shots + 1).min(200).to_string();
                    f[5] = "\"None\"".into();
                }
                f.join(",") + "\n"
            })
            .collect();
        let (scrambled_rows, _) = batch_features_with_stats(
            &scrambled,
            EngineConfig::default(),
            Some(&stats(&scrambled_text)),
        )
        .unwrap();
        let mut checked = 0;
        let mut changed_after = 0;
        for (i, m) in matches.iter().enumerate() {
            if m.date <= cut {
                // Before the cut, and on the cut date itself (same-day matches are invisible).
                assert_eq!(
                    bits(&rows[i]),
                    bits(&scrambled_rows[i]),
                    "match {} ({}) changed with results from {cut}",
                    m.label(),
                    m.date
                );
                checked += 1;
            } else if bits(&rows[i]) != bits(&scrambled_rows[i]) {
                changed_after += 1;
            }
        }
        assert!(checked > 0);
        // The scramble itself is real: later features do move.
        assert!(
            changed_after > 0,
            "scrambling from {cut} changed nothing at all"
        );
    }
}

#[test]
fn the_engine_refuses_to_answer_from_a_state_that_holds_the_day() {
    let matches = history();
    let last = matches.last().unwrap();
    let engine = FeatureEngine::as_of(&matches, NaiveDate::MAX, EngineConfig::default()).unwrap();
    assert!(engine.features(&Fixture::of(last)).is_err());
}

/// The original 16 features of a match, computed independently from the match list.
fn original_by_hand(matches: &[Match], target: &Match) -> Vec<f64> {
    let before: Vec<&Match> = matches.iter().filter(|m| m.date < target.date).collect();
    let form = |team: &str| -> (f64, f64, f64) {
        let played: Vec<&&Match> = before
            .iter()
            .filter(|m| &*m.home == team || &*m.away == team)
            .collect();
        let last5 = &played[played.len().saturating_sub(5)..];
        let n = last5.len() as f64;
        let mut gf = 0.0;
        let mut ga = 0.0;
        let mut pts = 0.0;
        for m in last5 {
            let (f, a) = if &*m.home == team {
                (m.home_goals, m.away_goals)
            } else {
                (m.away_goals, m.home_goals)
            };
            gf += f as f64;
            ga += a as f64;
            pts += match f.cmp(&a) {
                std::cmp::Ordering::Greater => 3.0,
                std::cmp::Ordering::Equal => 1.0,
                std::cmp::Ordering::Less => 0.0,
            };
        }
        (gf / n, ga / n, pts / n)
    };
    let formation = |team: &str| -> [f64; 3] {
        let last = before.iter().rev().find_map(|m| {
            if &*m.home == team {
                m.home_formation.clone()
            } else if &*m.away == team {
                m.away_formation.clone()
            } else {
                None
            }
        });
        let parts: Vec<f64> = last
            .as_deref()
            .unwrap_or("")
            .split('-')
            .filter_map(|p| p.parse().ok())
            .collect();
        match parts.len() {
            3 => [parts[0], parts[1], parts[2]],
            4 => [parts[0], parts[1] + parts[2], parts[3]],
            _ => [4.0, 4.0, 2.0],
        }
    };
    let (h, a) = (form(&target.home), form(&target.away));
    let (hf, af) = (formation(&target.home), formation(&target.away));
    let classico = if target.home_state == target.away_state {
        1.0
    } else {
        0.0
    };
    vec![
        h.0,
        h.1,
        h.2,
        a.0,
        a.1,
        a.2,
        classico,
        hf[0],
        hf[1],
        hf[2],
        af[0],
        af[1],
        af[2],
        hf[0] - af[0],
        hf[1] - af[1],
        hf[2] - af[2],
    ]
}

#[test]
fn original_features_match_hand_computed_values_on_real_matches() {
    let matches = history();
    let (rows, _) = batch_features(&matches, EngineConfig::default()).unwrap();
    let first_2024 = matches.iter().position(|m| m.season == 2024).unwrap();
    let first_2015 = matches.iter().position(|m| m.season == 2015).unwrap();
    let fla_pal = matches
        .iter()
        .rposition(|m| &*m.home == "Flamengo" && &*m.away == "Palmeiras")
        .unwrap();
    for i in [
        first_2024,
        first_2024 + 5,
        first_2015,
        fla_pal,
        matches.len() - 1,
    ] {
        let expected = original_by_hand(&matches, &matches[i]);
        let got: Vec<f64> = futbr_features::ORIGINAL
            .iter()
            .map(|&f| rows[i].get(f))
            .collect();
        for (k, (e, g)) in expected.iter().zip(&got).enumerate() {
            assert!(
                (e - g).abs() < 1e-12,
                "match {} feature {}: expected {e}, got {g}",
                matches[i].label(),
                ALL[k].name()
            );
        }
    }
    // One pinned by reading the data: 2024's first match, Internacional x Bahia on 13/04/2024.
    let m = &matches[first_2024];
    assert_eq!(
        (&*m.home, &*m.away, m.date),
        (
            "Internacional",
            "Bahia",
            NaiveDate::from_ymd_opt(2024, 4, 13).unwrap()
        )
    );
    assert_eq!(rows[first_2024].get(Feature::SameState), 0.0);
}

#[test]
fn features_are_deterministic_and_finite_even_at_cold_start() {
    let matches = history();
    let (a, _) = batch_features(&matches, EngineConfig::default()).unwrap();
    let (b, _) = batch_features(&matches, EngineConfig::default()).unwrap();
    assert_eq!(
        a.iter().map(bits).collect::<Vec<_>>(),
        b.iter().map(bits).collect::<Vec<_>>()
    );
    assert!(a.iter().all(|r| r.values().iter().all(|v| v.is_finite())));
    // The very first match: both clubs are newcomers with the documented priors.
    assert_eq!(a[0].get(Feature::NewcomerHome), 1.0);
    assert_eq!(
        a[0].get(Feature::FormPointsHome),
        futbr_features::PRIOR_POINTS
    );
    assert_eq!(
        a[0].get(Feature::EloHome),
        EngineConfig::default().elo_newcomer
    );
}

#[test]
fn docs_features_md_lists_every_feature_in_order() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/features.md"
    ))
    .unwrap();
    for (i, f) in ALL.iter().enumerate() {
        let row = format!(
            "| {} | `{}` | {} | {} |",
            i + 1,
            f.name(),
            f.unit(),
            f.meaning()
        );
        assert!(
            doc.contains(&row),
            "docs/features.md lacks or misstates: {row}"
        );
    }
}

//! The walk-forward backtest on real and synthetic leagues: no leakage, determinism, generality.

use chrono::NaiveDate;
use futbr_domain::history::SourceFile;
use futbr_domain::synthetic::{csv_bytes, LeagueShape};
use futbr_domain::validate::{validate_csv, ValidateOptions};
use futbr_domain::{ClosingOdds, History, Match, Odds1x2};
use futbr_features::EngineConfig;
use futbr_models::artifact::ModelArtifact;
use futbr_models::{run_backtest, BacktestConfig, Candidate, Hyper};
use futbr_testkit::read_shared;

fn real() -> Vec<Match> {
    let v = validate_csv(
        "full.csv",
        &read_shared("campeonato-brasileiro-full.csv"),
        &ValidateOptions::default(),
    );
    History::from_matches(v.matches).matches().to_vec()
}

/// The Brazilian file and football-data.co.uk's, merged as `process` merges them: 2003–2024 with
/// closing odds from 2012.
fn with_odds() -> Vec<Match> {
    let source = |name: &str| {
        let v = validate_csv(
            name,
            &read_shared(name),
            &ValidateOptions::with_shipped_clubs(),
        );
        SourceFile {
            name: name.into(),
            matches: v.matches,
            lines: v.lines,
            corrects: false,
        }
    };
    let (history, _) = History::merge_sources(vec![
        source("campeonato-brasileiro-full.csv"),
        source("football-data-BRA-2012-2024.csv"),
    ]);
    history.matches().to_vec()
}

/// Odds turned around: the home side's price given to the away side, and the reverse.
fn turned(odds: ClosingOdds) -> ClosingOdds {
    let turn = |o: Odds1x2| Odds1x2 {
        home: o.away,
        draw: o.draw,
        away: o.home,
    };
    ClosingOdds {
        pinnacle: odds.pinnacle.map(turn),
        average: odds.average.map(turn),
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn config(from: NaiveDate, to: Option<NaiveDate>) -> BacktestConfig {
    BacktestConfig {
        test_from: from,
        test_to: to,
        candidates: Candidate::ALL.to_vec(),
        hyper: Hyper::default(),
        engine: EngineConfig::default(),
        stats: None,
    }
}

fn quiet(_: Candidate, _: usize, _: usize) {}

#[test]
fn scrambling_results_and_odds_from_a_date_on_changes_no_prediction_up_to_it() {
    let matches = with_odds();
    let mut cfg = config(date(2023, 6, 1), Some(date(2023, 10, 31)));
    // With the match statistics too, so their path is covered (the features crate scrambles them).
    let stats_csv = read_shared("campeonato-brasileiro-estatisticas-full.csv");
    cfg.stats = Some(futbr_domain::stats::read_stats_csv("stats.csv", &stats_csv).0);
    let before = run_backtest(&matches, &cfg, &quiet).unwrap();
    let cut = date(2023, 8, 13);
    let mut scrambled = matches.clone();
    for (k, m) in scrambled
        .iter_mut()
        .enumerate()
        .filter(|(_, m)| m.date >= cut)
    {
        m.home_goals = (k % 4) as u16;
        m.away_goals = ((k / 4) % 3) as u16;
        m.odds = m.odds.map(turned);
    }
    let after = run_backtest(&scrambled, &cfg, &quiet).unwrap();
    let upto = before
        .test
        .iter()
        .filter(|&&i| matches[i].date <= cut)
        .count();
    assert!(upto > 50 && upto < before.test.len());
    for (a, b) in before.runs.iter().zip(&after.runs) {
        assert_eq!(a.candidate, b.candidate);
        for k in 0..upto {
            let (p, q) = (a.predictions[k], b.predictions[k]);
            assert_eq!(
                p.map(f64::to_bits),
                q.map(f64::to_bits),
                "{} changed for match {}",
                a.candidate.name(),
                matches[before.test[k]].label()
            );
        }
        if a.candidate != Candidate::BaseRates {
            // And the scramble is real: later predictions move.
            assert!(
                (upto..a.predictions.len()).any(|k| a.predictions[k] != b.predictions[k]),
                "{}",
                a.candidate.name()
            );
        }
    }
}

#[test]
fn odds_reach_only_the_market_candidate_and_only_after_they_close() {
    // Odds turned around from a date on: the market candidate's later predictions move, its
    // earlier ones do not; a results-only model moves nowhere.
    let matches = with_odds();
    let mut cfg = config(date(2023, 6, 1), Some(date(2023, 10, 31)));
    cfg.candidates = vec![Candidate::Elo, Candidate::MarketElo];
    let before = run_backtest(&matches, &cfg, &quiet).unwrap();
    let cut = date(2023, 8, 13);
    let mut scrambled = matches.clone();
    for m in scrambled.iter_mut().filter(|m| m.date >= cut) {
        m.odds = m.odds.map(turned);
    }
    let after = run_backtest(&scrambled, &cfg, &quiet).unwrap();
    let upto = before
        .test
        .iter()
        .filter(|&&i| matches[i].date <= cut)
        .count();
    let bits = |p: &[[f64; 3]]| p.iter().map(|v| v.map(f64::to_bits)).collect::<Vec<_>>();
    let (elo, market) = (&before.runs[0], &before.runs[1]);
    assert_eq!(elo.candidate, Candidate::Elo);
    assert_eq!(bits(&elo.predictions), bits(&after.runs[0].predictions));
    assert_eq!(
        bits(&market.predictions[..upto]),
        bits(&after.runs[1].predictions[..upto])
    );
    let moved = (upto..market.predictions.len())
        .filter(|&k| market.predictions[k] != after.runs[1].predictions[k])
        .count();
    assert!(moved > 100, "only {moved} later predictions moved");
}

#[test]
fn the_backtest_is_deterministic() {
    let matches = with_odds();
    let cfg = config(date(2024, 9, 1), None);
    let a = run_backtest(&matches, &cfg, &quiet).unwrap();
    let b = run_backtest(&matches, &cfg, &quiet).unwrap();
    for (x, y) in a.runs.iter().zip(&b.runs) {
        let bits = |r: &futbr_models::CandidateRun| {
            r.predictions
                .iter()
                .map(|p| p.map(f64::to_bits))
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(x), bits(y), "{}", x.candidate.name());
    }
}

#[test]
fn a_league_of_another_shape_backtests_without_code_changes() {
    // 18 clubs, 34 rounds, seasons from August across the new year.
    let v = validate_csv(
        "eu.csv",
        &csv_bytes(&LeagueShape::european(8)),
        &ValidateOptions::default(),
    );
    let history = History::from_matches(v.matches);
    let matches = history.matches();
    assert_eq!(matches.len(), 8 * 18 * 17);
    let result = run_backtest(matches, &config(date(2011, 8, 1), None), &quiet).unwrap();
    assert_eq!(result.test.len(), 2 * 18 * 17);
    let report = futbr_models::report::build(&result, matches, &Hyper::default(), 0.0);
    let base = report
        .candidates
        .iter()
        .find(|c| c.name == "base-rates")
        .unwrap()
        .overall
        .rps;
    for c in &report.candidates {
        assert!(
            c.overall.rps.is_finite() && c.overall.rps < 0.3,
            "{}: {}",
            c.name,
            c.overall.rps
        );
    }
    // The synthetic clubs have real strengths: the rating models must find them.
    let dc = report
        .candidates
        .iter()
        .find(|c| c.name == "dixon-coles")
        .unwrap()
        .overall
        .rps;
    assert!(dc < base, "dixon-coles {dc} vs base rates {base}");
    for run in &result.runs {
        for p in &run.predictions {
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9 && p.iter().all(|v| *v > 0.0));
        }
    }
}

#[test]
fn the_artifact_round_trips_and_predicts_offline() {
    let matches = real();
    let artifact = ModelArtifact::train(
        &matches,
        Candidate::Pi,
        &Hyper::default(),
        EngineConfig::default(),
    )
    .unwrap();
    let again = ModelArtifact::train(
        &matches,
        Candidate::Pi,
        &Hyper::default(),
        EngineConfig::default(),
    )
    .unwrap();
    assert_eq!(
        artifact.to_json().unwrap(),
        again.to_json().unwrap(),
        "the same data gives the same model, byte for byte"
    );
    let back = ModelArtifact::from_json(&artifact.to_json().unwrap()).unwrap();
    let fixture = futbr_features::Fixture {
        date: date(2025, 4, 1),
        home: "Flamengo",
        away: "Palmeiras",
        home_state: None,
        away_state: None,
    };
    assert_eq!(
        artifact.predict(&fixture).unwrap(),
        back.predict(&fixture).unwrap()
    );
    assert_eq!(back.trained_through, date(2024, 12, 8));
    // Refused: a fixture inside the training window (it could see its own result).
    assert!(back
        .predict(&futbr_features::Fixture {
            date: date(2024, 12, 8),
            ..fixture
        })
        .is_err());
    let mut tampered = serde_json::to_value(&artifact).unwrap();
    tampered["format_version"] = 99.into();
    assert!(ModelArtifact::from_json(&serde_json::to_vec(&tampered).unwrap()).is_err());
}

#[test]
fn the_market_candidate_serves_a_fixture_whose_odds_are_not_out() {
    // Trained on 2003–2024 with odds, it rates a 2025 fixture (which has no odds) from the club
    // ratings after the last match: the same numbers after a JSON round trip, bit for bit the
    // same when trained twice.
    let matches = with_odds();
    let train = |m: &[Match]| {
        ModelArtifact::train(
            m,
            Candidate::MarketElo,
            &Hyper::default(),
            EngineConfig::default(),
        )
        .unwrap()
    };
    let artifact = train(&matches);
    assert_eq!(
        artifact.to_json().unwrap(),
        train(&matches).to_json().unwrap()
    );
    let back = ModelArtifact::from_json(&artifact.to_json().unwrap()).unwrap();
    let fixture = futbr_features::Fixture {
        date: date(2025, 4, 1),
        home: "Flamengo",
        away: "Palmeiras",
        home_state: None,
        away_state: None,
    };
    let p = back.predict(&fixture).unwrap();
    assert_eq!(p, artifact.predict(&fixture).unwrap());
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12 && p.iter().all(|v| *v > 0.05));
    let swapped = back
        .predict(&futbr_features::Fixture {
            home: "Palmeiras",
            away: "Flamengo",
            ..fixture
        })
        .unwrap();
    assert_ne!(
        p, swapped,
        "the clubs' ratings and the home advantage matter"
    );

    // On a lake without odds (the Brazilian file alone) it still trains and answers: its ratings
    // are then a results Elo.
    let results_only = train(&real());
    let q = results_only.predict(&fixture).unwrap();
    assert!((q.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert_ne!(p, q);

    // An artifact whose market ratings were removed is refused, not answered with a default.
    let mut tampered = serde_json::to_value(&artifact).unwrap();
    tampered.as_object_mut().unwrap().remove("market");
    let broken = ModelArtifact::from_json(&serde_json::to_vec(&tampered).unwrap()).unwrap();
    assert!(broken.predict(&fixture).is_err());
}

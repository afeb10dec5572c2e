//! Adding football-data.co.uk's file to the Brazilian data set changes nothing the results-only
//! models see: the same matches, features bit for bit and walk-forward predictions bit for bit
//! for 2003–2024. Only the odds columns are new.

use chrono::NaiveDate;
use futbr_domain::history::SourceFile;
use futbr_domain::validate::{validate_csv, ValidateOptions};
use futbr_domain::{History, Match};
use futbr_features::{batch_features, EngineConfig};
use futbr_models::{run_backtest, BacktestConfig, Candidate, Hyper};
use futbr_testkit::read_shared;

fn source(name: &str) -> SourceFile {
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
}

/// The candidates that learn from results only (models reading odds are meant to change).
const RESULTS_ONLY: [Candidate; 7] = [
    Candidate::BaseRates,
    Candidate::Logistic,
    Candidate::Elo,
    Candidate::Pi,
    Candidate::FeaturesOrdered,
    Candidate::DixonColes,
    Candidate::Stack,
];

#[test]
fn features_and_backtest_do_not_change_when_the_second_source_is_added() {
    let brazilian = source("campeonato-brasileiro-full.csv");
    let football_data = source("football-data-BRA-2012-2024.csv");
    let (alone, _) = History::merge_sources(vec![brazilian.clone()]);
    let (both, summary) = History::merge_sources(vec![brazilian, football_data]);
    assert!(summary.conflicts.is_empty());
    assert_eq!(alone.len(), both.len());
    let without_odds: Vec<Match> = both
        .matches()
        .iter()
        .map(|m| Match {
            odds: None,
            ..m.clone()
        })
        .collect();
    assert_eq!(alone.matches(), &without_odds[..]);
    assert!(both.matches().iter().filter(|m| m.odds.is_some()).count() > 4800);

    let bits = |rows: &[futbr_features::FeatureRow]| -> Vec<u64> {
        rows.iter().flat_map(|r| r.0.map(f64::to_bits)).collect()
    };
    let (a, _) = batch_features(alone.matches(), EngineConfig::default()).unwrap();
    let (b, _) = batch_features(both.matches(), EngineConfig::default()).unwrap();
    assert_eq!(bits(&a), bits(&b), "features changed");

    let config = BacktestConfig {
        test_from: NaiveDate::from_ymd_opt(2022, 1, 1).unwrap(),
        test_to: None,
        candidates: RESULTS_ONLY.to_vec(),
        hyper: Hyper::default(),
        engine: EngineConfig::default(),
        stats: None,
    };
    let quiet = |_: Candidate, _: usize, _: usize| {};
    let x = run_backtest(alone.matches(), &config, &quiet).unwrap();
    let y = run_backtest(both.matches(), &config, &quiet).unwrap();
    assert_eq!(x.test, y.test);
    assert_eq!(x.test.len(), 1140);
    for (p, q) in x.runs.iter().zip(&y.runs) {
        assert_eq!(p.candidate, q.candidate);
        let pb: Vec<[u64; 3]> = p.predictions.iter().map(|v| v.map(f64::to_bits)).collect();
        let qb: Vec<[u64; 3]> = q.predictions.iter().map(|v| v.map(f64::to_bits)).collect();
        assert_eq!(pb, qb, "{} changed", p.candidate.name());
    }
}

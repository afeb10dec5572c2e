//! The hyper-parameter search behind the defaults, on the validation window 2019–2021 — before the
//! 2022–2024 test window, which it never reads.
//!
//! `cargo run --release -p futbr-models --example tune -- ../shared/data/campeonato-brasileiro-full.csv`

use chrono::NaiveDate;
use futbr_domain::validate::{validate_csv, ValidateOptions};
use futbr_domain::History;
use futbr_features::EngineConfig;
use futbr_models::{report, run_backtest, BacktestConfig, Candidate, Hyper};

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/campeonato-brasileiro-full.csv".into());
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2);
        }
    };
    let history =
        History::from_matches(validate_csv(&path, &bytes, &ValidateOptions::default()).matches);
    let matches = history.matches();
    let from = NaiveDate::from_ymd_opt(2019, 1, 1).expect("date");
    let to = NaiveDate::from_ymd_opt(2021, 12, 31);
    let rps = |engine: EngineConfig, hyper: Hyper, candidate: Candidate| -> f64 {
        let config = BacktestConfig {
            test_from: from,
            test_to: to,
            candidates: vec![candidate],
            hyper,
            engine,
            stats: None,
        };
        let result = run_backtest(matches, &config, &|_, _, _| {}).expect("backtest");
        report::build(&result, matches, &hyper, 0.0).candidates[0]
            .overall
            .rps
    };
    let base = EngineConfig::default();
    println!("validation window 2019-01-01 to 2021-12-31, walk-forward RPS (lower is better)");
    for k in [10.0, 15.0, 20.0, 25.0] {
        for regression in [0.0, 0.2, 0.4] {
            let e = EngineConfig {
                elo_k: k,
                elo_break_regression: regression,
                ..base
            };
            println!(
                "elo K={k} break regression={regression}: {:.4}",
                rps(e, Hyper::default(), Candidate::Elo)
            );
        }
    }
    for rate in [0.02, 0.035, 0.05] {
        for cross in [0.5, 0.7, 0.9] {
            let e = EngineConfig {
                pi_learning_rate: rate,
                pi_cross_rate: cross,
                ..base
            };
            println!(
                "pi λ={rate} γ={cross}: {:.4}",
                rps(e, Hyper::default(), Candidate::Pi)
            );
        }
    }
    for xi in [0.001, 0.002, 0.003] {
        let mut hyper = Hyper::default();
        hyper.dixon_coles.xi = xi;
        println!(
            "dixon-coles ξ={xi}/day: {:.4}",
            rps(base, hyper, Candidate::DixonColes)
        );
    }
    for half_life in [365.0, 730.0, 1095.0, 2000.0] {
        for years in [4, 8, 12] {
            let hyper = Hyper {
                sample_half_life_days: half_life,
                train_window_days: years * 365,
                ..Hyper::default()
            };
            println!(
                "training half-life {half_life} days, window {years} years: elo {:.4}, features-ordered {:.4}",
                rps(base, hyper, Candidate::Elo),
                rps(base, hyper, Candidate::FeaturesOrdered)
            );
        }
    }
    for l2 in [1.0, 30.0] {
        let hyper = Hyper {
            stack_l2: l2,
            ..Hyper::default()
        };
        println!("stack L2={l2}: {:.4}", rps(base, hyper, Candidate::Stack));
    }
    for candidate in Candidate::ALL {
        println!(
            "default {}: {:.4}",
            candidate.name(),
            rps(base, Hyper::default(), candidate)
        );
    }
}

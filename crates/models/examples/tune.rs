//! The hyper-parameter search behind the defaults, on the validation window 2019–2021 — before the
//! 2022–2024 test window, which it never reads.
//!
//! `cargo run --release -p futbr-models --example tune -- ../shared/data/campeonato-brasileiro-full.csv ../shared/data/football-data-BRA-2012-2024.csv`
//!
//! The files merge as `process` merges `raw/`; the second (football-data.co.uk, with closing
//! odds) feeds the market ratings of `market-elo`, and changes nothing the other candidates see.

use chrono::NaiveDate;
use futbr_domain::history::SourceFile;
use futbr_domain::validate::{validate_csv, ValidateOptions};
use futbr_domain::{History, Match};
use futbr_features::EngineConfig;
use futbr_models::market::{Devig, MarketRatingsConfig};
use futbr_models::{report, run_backtest, BacktestConfig, Candidate, Hyper};

fn read(path: &str) -> SourceFile {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2);
        }
    };
    let v = validate_csv(path, &bytes, &ValidateOptions::with_shipped_clubs());
    SourceFile {
        name: path.to_string(),
        matches: v.matches,
        lines: v.lines,
        corrects: false,
    }
}

fn main() {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        paths = vec![
            "../shared/data/campeonato-brasileiro-full.csv".into(),
            "../shared/data/football-data-BRA-2012-2024.csv".into(),
        ];
    }
    let (history, _) = History::merge_sources(paths.iter().map(|p| read(p)).collect());
    let matches = history.matches();
    let without_odds: Vec<Match> = matches
        .iter()
        .map(|m| Match {
            odds: None,
            ..m.clone()
        })
        .collect();
    let from = NaiveDate::from_ymd_opt(2019, 1, 1).expect("date");
    let to = NaiveDate::from_ymd_opt(2021, 12, 31);
    let scores_on =
        |matches: &[Match], engine: EngineConfig, hyper: Hyper, candidate: Candidate| {
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
                .clone()
        };
    let rps = |engine: EngineConfig, hyper: Hyper, candidate: Candidate| -> f64 {
        scores_on(matches, engine, hyper, candidate).rps
    };
    let market = |config: MarketRatingsConfig| -> String {
        let hyper = Hyper {
            market: config,
            ..Hyper::default()
        };
        let s = scores_on(
            matches,
            EngineConfig::default(),
            hyper,
            Candidate::MarketElo,
        );
        format!(
            "RPS {:.5}, ECE {:.4} (classwise {:.4})",
            s.rps, s.ece, s.ece_classwise
        )
    };
    let base = EngineConfig::default();
    println!("validation window 2019-01-01 to 2021-12-31, walk-forward RPS (lower is better)");
    let m = MarketRatingsConfig::default();
    for devig in Devig::ALL {
        for k in [20.0, 40.0, 60.0, 90.0, 130.0, 180.0, 250.0] {
            let config = MarketRatingsConfig {
                devig,
                k_market: k,
                ..m
            };
            println!("market-elo {} K={k}: {}", devig.name(), market(config));
        }
    }
    for k_result_priced in [0.0, 5.0, 10.0] {
        for k_home in [0.0, 0.5, 1.0, 2.0] {
            let config = MarketRatingsConfig {
                k_result_priced,
                k_home,
                ..m
            };
            println!(
                "market-elo K(result, priced)={k_result_priced} K(home)={k_home}: {}",
                market(config)
            );
        }
    }
    for break_regression in [0.0, 0.2, 0.4] {
        for newcomer in [1400.0, 1450.0, 1500.0] {
            let config = MarketRatingsConfig {
                break_regression,
                newcomer,
                ..m
            };
            println!(
                "market-elo break regression={break_regression} newcomer={newcomer}: {}",
                market(config)
            );
        }
    }
    // Without odds (the Brazilian file alone) the market ratings are a results Elo.
    for candidate in [Candidate::Elo, Candidate::MarketElo] {
        let s = scores_on(&without_odds, base, Hyper::default(), candidate);
        println!(
            "without odds, {}: RPS {:.5}, ECE {:.4}",
            candidate.name(),
            s.rps,
            s.ece
        );
    }
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

//! The walk-forward backtest: every match from the test date on is predicted by a model fitted only
//! on matches dated strictly before its date.

use std::time::Instant;

use chrono::NaiveDate;
use futbr_domain::stats::StatsTable;
use futbr_domain::Match;
use futbr_features::{batch_features_with_stats, EngineConfig, Fixture};
use serde::Serialize;

use crate::candidates::{
    fit, fit_combiner, outcome_index, stack_inputs, Candidate, Fitted, Hyper, PreMatch, Training,
};
use crate::glm::{Design, Multinomial};
use crate::market;
use crate::{ModelError, Probs};

/// What to backtest.
#[derive(Debug, Clone)]
pub struct BacktestConfig {
    pub test_from: NaiveDate,
    pub test_to: Option<NaiveDate>,
    pub candidates: Vec<Candidate>,
    pub hyper: Hyper,
    pub engine: EngineConfig,
    /// Per-club match statistics (shots, possession), folded into the features when given.
    pub stats: Option<StatsTable>,
}

/// One candidate's walk-forward predictions.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateRun {
    pub candidate: Candidate,
    /// One per test match, in test order.
    pub predictions: Vec<Probs>,
    /// Wall time of its fits and predictions, in seconds.
    pub seconds: f64,
    pub fits: usize,
    /// The model as fitted for the last test day.
    #[serde(skip)]
    pub last_fit: Option<Fitted>,
}

/// The result of a backtest.
#[derive(Debug, Clone)]
pub struct Backtest {
    /// Indices (into the history) of the test matches, chronological.
    pub test: Vec<usize>,
    pub runs: Vec<CandidateRun>,
    /// Seconds spent building the features of the whole history.
    pub feature_seconds: f64,
}

/// A base candidate's walk: its predictions (by history index), fits, last fit and seconds.
type BaseResult = (Candidate, Vec<Option<Probs>>, usize, Option<Fitted>, f64);

/// Progress of a backtest: (candidate, days done, days in all).
pub type Progress<'a> = &'a (dyn Fn(Candidate, usize, usize) + Sync);

/// Distinct match dates of `matches[from..to]`, with the index range of each.
fn days(matches: &[Match], from: usize, to: usize) -> Vec<(NaiveDate, usize, usize)> {
    futbr_domain::match_days(&matches[from..to])
        .map(|day| {
            (
                matches[from + day.start].date,
                from + day.start,
                from + day.end,
            )
        })
        .collect()
}

/// Walk-forward predictions of one base candidate for matches `from..to` of the history.
pub(crate) fn walk_forward(
    candidate: Candidate,
    history: &Training,
    from: usize,
    to: usize,
    daily_from: usize,
    hyper: &Hyper,
    progress: Progress,
) -> (Vec<Option<Probs>>, usize, Option<Fitted>) {
    let mut out = vec![None; history.matches.len()];
    let mut model: Option<Fitted> = None;
    let mut last_fit: Option<NaiveDate> = None;
    let mut fits = 0;
    let all_days = days(history.matches, from, to);
    for (k, &(date, i, j)) in all_days.iter().enumerate() {
        // Dixon–Coles is refitted every match day of the test window; the rest once a week.
        let every_day = candidate == Candidate::DixonColes && i >= daily_from;
        let due = match last_fit {
            None => true,
            Some(last) => every_day || (date - last).num_days() >= hyper.refit_days,
        };
        if due {
            model = fit(candidate, history, date, hyper, model.as_ref());
            last_fit = Some(date);
            fits += 1;
        }
        if let Some(model) = &model {
            for (idx, slot) in out.iter_mut().enumerate().take(j).skip(i) {
                let m = &history.matches[idx];
                *slot = Some(model.predict(&PreMatch {
                    fixture: &Fixture::of(m),
                    row: &history.rows[idx],
                    market: history.market[idx],
                }));
            }
        }
        progress(candidate, k + 1, all_days.len());
    }
    (out, fits, model)
}

/// Runs the backtest of `config` on a chronological history.
pub fn run(
    matches: &[Match],
    config: &BacktestConfig,
    progress: Progress,
) -> Result<Backtest, ModelError> {
    if matches.windows(2).any(|w| w[0].date > w[1].date) {
        return Err(ModelError::NotChronological);
    }
    let started = Instant::now();
    let (rows, _) = batch_features_with_stats(matches, config.engine, config.stats.as_ref())?;
    let odds: Vec<Option<market::Odds>> = matches.iter().map(market::closing_odds).collect();
    let (market, _) = market::walk(matches, &odds, config.hyper.market);
    let feature_seconds = started.elapsed().as_secs_f64();
    let history = Training {
        matches,
        rows: &rows,
        market: &market,
    };

    let test_from = history.end(config.test_from);
    let test_to = match config.test_to {
        Some(to) => matches.partition_point(|m| m.date <= to),
        None => matches.len(),
    };
    if test_from >= test_to {
        return Err(ModelError::EmptyTestWindow {
            from: config.test_from,
            to: config.test_to,
            covered: matches
                .first()
                .zip(matches.last())
                .map(|(a, b)| (a.date, b.date)),
        });
    }
    if test_from == 0 {
        return Err(ModelError::NoTrainingData {
            from: config.test_from,
        });
    }
    let wants_stack = config.candidates.contains(&Candidate::Stack);
    let mut bases: Vec<Candidate> = config
        .candidates
        .iter()
        .copied()
        .filter(|c| *c != Candidate::Stack)
        .collect();
    if wants_stack {
        for b in Candidate::STACK_BASES {
            if !bases.contains(&b) {
                bases.push(b);
            }
        }
    }
    // The stack learns from earlier walk-forward predictions, so its bases start earlier.
    let warm_from = if wants_stack {
        history
            .end(config.test_from - chrono::Duration::days(config.hyper.stack_window_days))
            .max(1)
    } else {
        test_from
    };

    let results: Vec<BaseResult> = std::thread::scope(|scope| {
        let handles: Vec<_> = bases
            .iter()
            .map(|&c| {
                let history = &history;
                let hyper = &config.hyper;
                let from = if Candidate::STACK_BASES.contains(&c) {
                    warm_from
                } else {
                    test_from
                };
                scope.spawn(move || {
                    let t = Instant::now();
                    let (preds, fits, last) =
                        walk_forward(c, history, from, test_to, test_from, hyper, progress);
                    (c, preds, fits, last, t.elapsed().as_secs_f64())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a backtest thread panicked"))
            .collect()
    });

    let test: Vec<usize> = (test_from..test_to).collect();
    let mut runs: Vec<CandidateRun> = Vec::new();
    for &c in &config.candidates {
        if c == Candidate::Stack {
            let t = Instant::now();
            let base_preds: Vec<&Vec<Option<Probs>>> = Candidate::STACK_BASES
                .iter()
                .map(|b| &results.iter().find(|r| r.0 == *b).expect("base ran").1)
                .collect();
            let (predictions, fits, last_fit) = walk_forward_stack(
                &history,
                &base_preds,
                test_from,
                test_to,
                &config.hyper,
                &results,
                progress,
            );
            runs.push(CandidateRun {
                candidate: c,
                predictions,
                seconds: t.elapsed().as_secs_f64(),
                fits,
                last_fit,
            });
            continue;
        }
        let r = results.iter().find(|r| r.0 == c).expect("candidate ran");
        runs.push(CandidateRun {
            candidate: c,
            predictions: test
                .iter()
                .map(|&i| r.1[i].unwrap_or([1.0 / 3.0; 3]))
                .collect(),
            seconds: r.4,
            fits: r.2,
            last_fit: r.3.clone(),
        });
    }
    Ok(Backtest {
        test,
        runs,
        feature_seconds,
    })
}

fn walk_forward_stack(
    history: &Training,
    base_preds: &[&Vec<Option<Probs>>],
    test_from: usize,
    test_to: usize,
    hyper: &Hyper,
    results: &[BaseResult],
    progress: Progress,
) -> (Vec<Probs>, usize, Option<Fitted>) {
    let inputs_of = |idx: usize| -> Option<Vec<f64>> {
        let base: Option<Vec<Probs>> = base_preds.iter().map(|p| p[idx]).collect();
        base.map(|b| stack_inputs(&b))
    };
    let mut out = Vec::with_capacity(test_to - test_from);
    let mut combiner: Option<Multinomial> = None;
    let mut last_fit: Option<NaiveDate> = None;
    let mut fits = 0;
    let all_days = days(history.matches, test_from, test_to);
    for (k, &(date, i, j)) in all_days.iter().enumerate() {
        if last_fit.is_none_or(|last| (date - last).num_days() >= hyper.refit_days) {
            let end = history.end(date);
            let start = history.end(date - chrono::Duration::days(hyper.stack_window_days));
            let mut x = Design::new(2 * base_preds.len());
            let mut y = Vec::new();
            for idx in start..end {
                if let Some(row) = inputs_of(idx) {
                    x.push(&row);
                    y.push(outcome_index(&history.matches[idx]));
                }
            }
            if !y.is_empty() {
                combiner = Some(fit_combiner(&x, &y, hyper, combiner.as_ref()));
                fits += 1;
            }
            last_fit = Some(date);
        }
        for idx in i..j {
            let p = match (&combiner, inputs_of(idx)) {
                (Some(combiner), Some(inputs)) => combiner.predict(&inputs),
                _ => [1.0 / 3.0; 3],
            };
            out.push(p);
        }
        progress(Candidate::Stack, k + 1, all_days.len());
    }
    // The servable stack: the bases' final fits with the last combiner.
    let model = combiner.map(|model| Fitted::Stack {
        bases: Candidate::STACK_BASES
            .iter()
            .filter_map(|b| results.iter().find(|r| r.0 == *b).and_then(|r| r.3.clone()))
            .collect(),
        model,
    });
    (out, fits, model)
}

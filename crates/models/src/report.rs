//! The backtest report: scores overall and per season, the calibration table, the paired
//! comparison of the served model with the best single one, and the market (de-vigged closing
//! odds) as the reference every candidate is measured against; as JSON, Markdown and CSV (its SVG
//! charts are drawn by [`crate::charts`]).

use futbr_domain::Match;
use serde::Serialize;

use crate::backtest::Backtest;
use crate::candidates::{outcome_index, Candidate, Hyper};
use crate::market::{self, Devig};
use crate::metrics::{
    paired_difference, rps, score, top_label_calibration, CalibrationBin, Scores,
};
use crate::Probs;

/// Scores of one season of the test window.
#[derive(Debug, Clone, Serialize)]
pub struct SeasonScores {
    pub season: i32,
    pub scores: Scores,
}

/// One candidate's results.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateReport {
    pub name: String,
    pub overall: Scores,
    pub per_season: Vec<SeasonScores>,
    pub calibration: Vec<CalibrationBin>,
    pub seconds: f64,
    pub fits: usize,
}

/// The served model against the best single model, match by match.
#[derive(Debug, Clone, Serialize)]
pub struct PairedComparison {
    pub served: String,
    pub best_single: String,
    /// Mean of served RPS − best single RPS (negative: the served model is better).
    pub rps_difference: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

/// The market as a reference model: the closing odds de-vigged one way, scored on the test
/// matches that had closing odds (Pinnacle's, else the market average).
#[derive(Debug, Clone, Serialize)]
pub struct MarketReference {
    pub name: String,
    pub devig: Devig,
    /// Test matches with closing odds (the rest of the window has none to score).
    pub matches: usize,
    pub overall: Scores,
    pub per_season: Vec<SeasonScores>,
}

/// A candidate against the market, match by match, on the test matches with closing odds.
#[derive(Debug, Clone, Serialize)]
pub struct VersusMarket {
    pub candidate: String,
    pub market: String,
    pub matches: usize,
    /// The candidate's mean RPS on those matches.
    pub candidate_rps: f64,
    pub market_rps: f64,
    /// Mean of candidate RPS − market RPS (positive: the market is better).
    pub rps_difference: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

/// Everything `futbr backtest --report` writes.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestReport {
    pub test_from: chrono::NaiveDate,
    pub test_to: chrono::NaiveDate,
    pub matches: usize,
    pub candidates: Vec<CandidateReport>,
    /// The model a deployment serves: [`Candidate::SERVED_BY_DEFAULT`] when it ran, else the best RPS.
    pub served: String,
    pub comparison: Option<PairedComparison>,
    /// The market, one reference per de-vig method; empty when no test match had closing odds.
    pub market: Vec<MarketReference>,
    /// Every candidate against every market reference.
    pub versus_market: Vec<VersusMarket>,
    pub hyper: Hyper,
    pub feature_seconds: f64,
    pub total_seconds: f64,
}

/// Normalised so the three probabilities sum to 1 (to rounding).
pub fn normalised(p: &Probs) -> Probs {
    let s: f64 = p.iter().sum();
    if s.is_finite() && s > 0.0 {
        p.map(|v| v / s)
    } else {
        [1.0 / 3.0; 3]
    }
}

/// Builds the report of a backtest over `matches`.
pub fn build(
    backtest: &Backtest,
    matches: &[Match],
    hyper: &Hyper,
    total_seconds: f64,
) -> BacktestReport {
    let outcomes: Vec<usize> = backtest
        .test
        .iter()
        .map(|&i| outcome_index(&matches[i]))
        .collect();
    let seasons: Vec<i32> = backtest.test.iter().map(|&i| matches[i].season).collect();
    let candidates: Vec<CandidateReport> = backtest
        .runs
        .iter()
        .map(|run| CandidateReport {
            name: run.candidate.name().to_string(),
            overall: score(&run.predictions, &outcomes),
            per_season: per_season(&run.predictions, &outcomes, &seasons),
            calibration: top_label_calibration(&run.predictions, &outcomes).0,
            seconds: run.seconds,
            fits: run.fits,
        })
        .collect();
    let best = |filter: &dyn Fn(&CandidateReport) -> bool| {
        candidates
            .iter()
            .filter(|c| filter(c))
            .min_by(|a, b| a.overall.rps.total_cmp(&b.overall.rps))
            .map(|c| c.name.clone())
    };
    let default = Candidate::SERVED_BY_DEFAULT.name();
    let served = if candidates.iter().any(|c| c.name == default) {
        default.to_string()
    } else {
        best(&|_| true).unwrap_or_default()
    };
    let stack = Candidate::Stack.name();
    let best_single = best(&|c| c.name != stack && c.name != served);
    let comparison = best_single.map(|single| {
        let per_match = |name: &str| -> Vec<f64> {
            let run = backtest
                .runs
                .iter()
                .find(|r| r.candidate.name() == name)
                .expect("ran");
            run.predictions
                .iter()
                .zip(&outcomes)
                .map(|(p, &o)| rps(p, o))
                .collect()
        };
        let (mean, low, high) = paired_difference(&per_match(&served), &per_match(&single));
        PairedComparison {
            served: served.clone(),
            best_single: single,
            rps_difference: mean,
            ci95_low: low,
            ci95_high: high,
        }
    });
    let (market, versus_market) = against_market(backtest, matches, &outcomes, &seasons);
    BacktestReport {
        test_from: matches[backtest.test[0]].date,
        test_to: matches[*backtest.test.last().unwrap_or(&0)].date,
        matches: backtest.test.len(),
        candidates,
        served,
        comparison,
        market,
        versus_market,
        hyper: *hyper,
        feature_seconds: backtest.feature_seconds,
        total_seconds,
    }
}

/// Scores per season (in the order seasons first appear) of predictions with their outcomes.
fn per_season(predictions: &[Probs], outcomes: &[usize], seasons: &[i32]) -> Vec<SeasonScores> {
    let mut distinct = seasons.to_vec();
    distinct.dedup();
    distinct
        .into_iter()
        .map(|season| {
            let (p, o): (Vec<Probs>, Vec<usize>) = predictions
                .iter()
                .zip(outcomes)
                .zip(seasons)
                .filter(|(_, &s)| s == season)
                .map(|((p, &o), _)| (*p, o))
                .unzip();
            SeasonScores {
                season,
                scores: score(&p, &o),
            }
        })
        .collect()
}

/// The market references and every candidate's paired RPS difference to each, on the test
/// matches with usable closing odds.
fn against_market(
    backtest: &Backtest,
    matches: &[Match],
    outcomes: &[usize],
    seasons: &[i32],
) -> (Vec<MarketReference>, Vec<VersusMarket>) {
    // Positions (in the test window) of the matches with odds, and the odds.
    let priced: Vec<(usize, market::Odds)> = backtest
        .test
        .iter()
        .enumerate()
        .filter_map(|(k, &i)| market::closing_odds(&matches[i]).map(|o| (k, o)))
        .filter(|(_, o)| Devig::ALL.iter().all(|d| d.probabilities(o).is_some()))
        .collect();
    if priced.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let outcomes: Vec<usize> = priced.iter().map(|&(k, _)| outcomes[k]).collect();
    let seasons: Vec<i32> = priced.iter().map(|&(k, _)| seasons[k]).collect();
    let rps_of =
        |p: &[Probs]| -> Vec<f64> { p.iter().zip(&outcomes).map(|(p, &o)| rps(p, o)).collect() };
    let mut references = Vec::new();
    let mut versus = Vec::new();
    for devig in Devig::ALL {
        let name = format!("market ({})", devig.name());
        let probs: Vec<Probs> = priced
            .iter()
            .filter_map(|(_, o)| devig.probabilities(o))
            .collect();
        let market_rps = rps_of(&probs);
        for run in &backtest.runs {
            let theirs: Vec<Probs> = priced.iter().map(|&(k, _)| run.predictions[k]).collect();
            let their_rps = rps_of(&theirs);
            let (mean, low, high) = paired_difference(&their_rps, &market_rps);
            let average = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            versus.push(VersusMarket {
                candidate: run.candidate.name().to_string(),
                market: name.clone(),
                matches: priced.len(),
                candidate_rps: average(&their_rps),
                market_rps: average(&market_rps),
                rps_difference: mean,
                ci95_low: low,
                ci95_high: high,
            });
        }
        references.push(MarketReference {
            name,
            devig,
            matches: priced.len(),
            overall: score(&probs, &outcomes),
            per_season: per_season(&probs, &outcomes, &seasons),
        });
    }
    (references, versus)
}

/// The per-match predictions of one candidate as CSV: `ID,p_home,p_draw,p_away,date,home,away`.
/// The first four columns are DESIGN.md's contract (the input's `ID`, so any outside tool can
/// score them); the match is also named (`date` as `yyyy-mm-dd`, canonical club names quoted
/// when they need it) since a match from a source without IDs (football-data.co.uk) has an empty
/// `ID`.
pub fn predictions_csv(
    backtest: &Backtest,
    matches: &[Match],
    candidate: Candidate,
) -> Option<String> {
    let run = backtest.runs.iter().find(|r| r.candidate == candidate)?;
    let mut out = String::from("ID,p_home,p_draw,p_away,date,home,away\n");
    for (&i, p) in backtest.test.iter().zip(&run.predictions) {
        let [h, d, a] = normalised(p);
        let m = &matches[i];
        out.push_str(&format!(
            "{},{h},{d},{a},{},{},{}\n",
            m.id.map(|id| id.to_string()).unwrap_or_default(),
            m.date.format("%Y-%m-%d"),
            csv_field(&m.home),
            csv_field(&m.away)
        ));
    }
    Some(out)
}

/// A CSV field, quoted (inner quotes doubled) when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// The report as Markdown.
pub fn markdown(report: &BacktestReport) -> String {
    let mut md = format!(
        "# Walk-forward backtest\n\nTest window {} to {}: {} matches, each predicted by models fitted only on matches dated strictly before it. Served model: **{}**.\n\n",
        report.test_from, report.test_to, report.matches, report.served
    );
    md.push_str("| model | RPS | log-loss | Brier | accuracy | ECE (top-label) | ECE (classwise) | fits | seconds |\n|---|---|---|---|---|---|---|---|---|\n");
    for c in &report.candidates {
        let s = &c.overall;
        md.push_str(&format!(
            "| {} | {:.4} | {:.4} | {:.4} | {:.1}% | {:.4} | {:.4} | {} | {:.2} |\n",
            c.name,
            s.rps,
            s.log_loss,
            s.brier,
            100.0 * s.accuracy,
            s.ece,
            s.ece_classwise,
            c.fits,
            c.seconds
        ));
    }
    for m in &report.market {
        let s = &m.overall;
        md.push_str(&format!(
            "| *{}* (reference) | {:.4} | {:.4} | {:.4} | {:.1}% | {:.4} | {:.4} | – | – |\n",
            m.name,
            s.rps,
            s.log_loss,
            s.brier,
            100.0 * s.accuracy,
            s.ece,
            s.ece_classwise,
        ));
    }
    if let Some(m) = report.market.first() {
        md.push_str(&format!(
            "\nThe market is the bookmakers' closing odds (Pinnacle's, else the market average) with the margin removed, scored on the {} of {} test matches that had them.\n",
            m.matches, report.matches
        ));
    }
    if let Some(cmp) = &report.comparison {
        md.push_str(&format!(
            "\nPaired RPS difference, {} − {}: {:+.4} (95% CI {:+.4} to {:+.4}).\n",
            cmp.served, cmp.best_single, cmp.rps_difference, cmp.ci95_low, cmp.ci95_high
        ));
    }
    if !report.versus_market.is_empty() {
        let references: Vec<&str> = report.market.iter().map(|m| m.name.as_str()).collect();
        md.push_str(&format!(
            "\n## Against the market\n\nPaired RPS difference, model − market, on the {} test matches with closing odds (95% CI; positive: the market is better).\n\n| model | RPS |",
            report.market[0].matches
        ));
        for r in &references {
            md.push_str(&format!(" − {r} |"));
        }
        md.push_str("\n|---|---|");
        md.push_str(&"---|".repeat(references.len()));
        md.push('\n');
        for c in &report.candidates {
            let rows: Vec<&VersusMarket> = report
                .versus_market
                .iter()
                .filter(|v| v.candidate == c.name)
                .collect();
            let Some(first) = rows.first() else { continue };
            md.push_str(&format!("| {} | {:.4} |", c.name, first.candidate_rps));
            for v in rows {
                md.push_str(&format!(
                    " {:+.4} ({:+.4} to {:+.4}) |",
                    v.rps_difference, v.ci95_low, v.ci95_high
                ));
            }
            md.push('\n');
        }
    }
    md.push_str("\n## RPS per season\n\n| model |");
    let seasons: Vec<i32> = report
        .candidates
        .first()
        .map(|c| c.per_season.iter().map(|s| s.season).collect())
        .unwrap_or_default();
    for s in &seasons {
        md.push_str(&format!(" {s} |"));
    }
    md.push_str("\n|---|");
    md.push_str(&"---|".repeat(seasons.len()));
    md.push('\n');
    for c in &report.candidates {
        md.push_str(&format!("| {} |", c.name));
        for s in &c.per_season {
            md.push_str(&format!(" {:.4} |", s.scores.rps));
        }
        md.push('\n');
    }
    for m in &report.market {
        md.push_str(&format!("| *{}* |", m.name));
        // A season without odds has no market score.
        for season in &seasons {
            match m.per_season.iter().find(|s| s.season == *season) {
                Some(s) => md.push_str(&format!(" {:.4} |", s.scores.rps)),
                None => md.push_str(" – |"),
            }
        }
        md.push('\n');
    }
    if let Some(served) = report.candidates.iter().find(|c| c.name == report.served) {
        md.push_str(&format!(
            "\n## Calibration of {} (top label)\n\n| confidence | matches | mean predicted | observed |\n|---|---|---|---|\n",
            served.name
        ));
        for b in &served.calibration {
            md.push_str(&format!(
                "| {:.1}–{:.1} | {} | {:.3} | {:.3} |\n",
                b.lower, b.upper, b.count, b.mean_predicted, b.observed_frequency
            ));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::CandidateRun;
    use chrono::NaiveDate;
    use futbr_domain::{ClosingOdds, Odds1x2, Price};

    fn game(day: u32, goals: (u16, u16), odds: Option<[u32; 3]>) -> Match {
        let empty: std::sync::Arc<str> = "".into();
        let price = |t: u32| Price::from_thousandths(t).unwrap();
        Match {
            id: Some(u64::from(day)),
            season: 2024,
            round: 1,
            date: NaiveDate::from_ymd_opt(2024, 5, day).unwrap(),
            time: None,
            home: format!("Home {day}").into(),
            away: format!("Away {day}").into(),
            home_formation: None,
            away_formation: None,
            home_coach: empty.clone(),
            away_coach: empty.clone(),
            arena: empty.clone(),
            home_goals: goals.0,
            away_goals: goals.1,
            home_state: empty.clone(),
            away_state: empty,
            odds: odds.map(|[h, d, a]| ClosingOdds {
                pinnacle: Some(Odds1x2 {
                    home: price(h),
                    draw: price(d),
                    away: price(a),
                }),
                average: None,
            }),
        }
    }

    #[test]
    fn the_market_is_scored_on_the_priced_matches_and_each_model_paired_with_it() {
        // Four test matches, three priced. Odds 2 / 4 / 4 have no margin: the market says
        // (0.5, 0.25, 0.25) under either de-vig method.
        let matches = vec![
            game(1, (1, 0), Some([2000, 4000, 4000])),
            game(2, (0, 0), Some([2000, 4000, 4000])),
            game(3, (0, 2), None),
            game(4, (0, 1), Some([2000, 4000, 4000])),
        ];
        let flat = [1.0 / 3.0; 3];
        let backtest = Backtest {
            test: vec![0, 1, 2, 3],
            runs: vec![CandidateRun {
                candidate: Candidate::BaseRates,
                predictions: vec![flat; 4],
                seconds: 0.0,
                fits: 1,
                last_fit: None,
            }],
            feature_seconds: 0.0,
        };
        let report = build(&backtest, &matches, &Hyper::default(), 0.0);
        assert_eq!(report.market.len(), 2);
        // Market RPS by hand: home win ((0.5−1)² + (0.75−1)²)/2 = 0.15625; draw (0.25 + 0.0625)/2
        // = 0.15625; away win (0.25 + 0.5625)/2 = 0.40625. Mean 0.71875/3.
        let market_rps = 0.71875 / 3.0;
        for m in &report.market {
            assert_eq!(m.matches, 3);
            assert!(
                (m.overall.rps - market_rps).abs() < 1e-12,
                "{}",
                m.overall.rps
            );
        }
        // The flat model on the same three: home win (4/9 + 1/9)/2, draw (1/9 + 1/9)/2, away win
        // (1/9 + 4/9)/2: mean (5/18 + 1/9 + 5/18)/3 = 2/9.
        let versus = &report.versus_market[0];
        assert_eq!(versus.matches, 3);
        assert!((versus.candidate_rps - 2.0 / 9.0).abs() < 1e-12);
        assert!((versus.rps_difference - (2.0 / 9.0 - market_rps)).abs() < 1e-12);
        assert!(
            versus.ci95_low < versus.rps_difference && versus.rps_difference < versus.ci95_high
        );
        // The model is still scored on all four.
        assert_eq!(report.candidates[0].overall.matches, 4);
        let md = markdown(&report);
        assert!(
            md.contains("scored on the 3 of 4 test matches that had them"),
            "{md}"
        );
        assert!(md.contains("| *market (shin)* (reference) |"));
    }

    #[test]
    fn a_window_without_odds_has_no_market_rows() {
        let matches = vec![game(1, (1, 0), None), game(2, (0, 0), None)];
        let backtest = Backtest {
            test: vec![0, 1],
            runs: vec![CandidateRun {
                candidate: Candidate::BaseRates,
                predictions: vec![[0.4, 0.3, 0.3]; 2],
                seconds: 0.0,
                fits: 1,
                last_fit: None,
            }],
            feature_seconds: 0.0,
        };
        let report = build(&backtest, &matches, &Hyper::default(), 0.0);
        assert!(report.market.is_empty() && report.versus_market.is_empty());
        assert!(!markdown(&report).contains("market"));
    }
}

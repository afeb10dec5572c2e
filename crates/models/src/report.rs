//! The backtest report: scores overall and per season, the calibration table, the paired
//! comparison of the served model with the best single one; as JSON, Markdown and CSV (its SVG
//! charts are drawn by [`crate::charts`]).

use futbr_domain::Match;
use serde::Serialize;

use crate::backtest::Backtest;
use crate::candidates::{outcome_index, Candidate, Hyper};
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
    let mut distinct = seasons.clone();
    distinct.dedup();
    let candidates: Vec<CandidateReport> = backtest
        .runs
        .iter()
        .map(|run| {
            let per_season = distinct
                .iter()
                .map(|&season| {
                    let (p, o): (Vec<Probs>, Vec<usize>) = run
                        .predictions
                        .iter()
                        .zip(&outcomes)
                        .zip(&seasons)
                        .filter(|(_, &s)| s == season)
                        .map(|((p, &o), _)| (*p, o))
                        .unzip();
                    SeasonScores {
                        season,
                        scores: score(&p, &o),
                    }
                })
                .collect();
            CandidateReport {
                name: run.candidate.name().to_string(),
                overall: score(&run.predictions, &outcomes),
                per_season,
                calibration: top_label_calibration(&run.predictions, &outcomes).0,
                seconds: run.seconds,
                fits: run.fits,
            }
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
    BacktestReport {
        test_from: matches[backtest.test[0]].date,
        test_to: matches[*backtest.test.last().unwrap_or(&0)].date,
        matches: backtest.test.len(),
        candidates,
        served,
        comparison,
        hyper: *hyper,
        feature_seconds: backtest.feature_seconds,
        total_seconds,
    }
}

/// The per-match predictions of one candidate as CSV: `ID,date,home,away,p_home,p_draw,p_away`
/// (`ID` empty for a match from a source without IDs; `date` as `yyyy-mm-dd`; canonical club
/// names, quoted when they need it).
pub fn predictions_csv(
    backtest: &Backtest,
    matches: &[Match],
    candidate: Candidate,
) -> Option<String> {
    let run = backtest.runs.iter().find(|r| r.candidate == candidate)?;
    let mut out = String::from("ID,date,home,away,p_home,p_draw,p_away\n");
    for (&i, p) in backtest.test.iter().zip(&run.predictions) {
        let [h, d, a] = normalised(p);
        let m = &matches[i];
        out.push_str(&format!(
            "{},{},{},{},{h},{d},{a}\n",
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
    if let Some(cmp) = &report.comparison {
        md.push_str(&format!(
            "\nPaired RPS difference, {} − {}: {:+.4} (95% CI {:+.4} to {:+.4}).\n",
            cmp.served, cmp.best_single, cmp.rps_difference, cmp.ci95_low, cmp.ci95_high
        ));
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

//! Scores of probabilistic predictions over the ordered outcomes home/draw/away.

use serde::{Deserialize, Serialize};

use crate::Probs;

/// Ranked probability score of one prediction: the mean squared difference of the cumulative
/// predicted and observed distributions over the ordered outcomes (0 is perfect).
pub fn rps(p: &Probs, outcome: usize) -> f64 {
    let mut observed = [0.0; 3];
    observed[outcome] = 1.0;
    let c1 = p[0] - observed[0];
    let c2 = p[0] + p[1] - observed[0] - observed[1];
    (c1 * c1 + c2 * c2) / 2.0
}

/// Negative natural log of the probability given to what happened (clamped at 1e-15).
pub fn log_loss(p: &Probs, outcome: usize) -> f64 {
    -p[outcome].max(1e-15).ln()
}

/// Multi-class Brier score: the sum of squared errors over the three outcomes (0 to 2).
pub fn brier(p: &Probs, outcome: usize) -> f64 {
    (0..3)
        .map(|k| {
            let o = if k == outcome { 1.0 } else { 0.0 };
            (p[k] - o) * (p[k] - o)
        })
        .sum()
}

/// The outcome with the highest probability (home wins ties, then draw).
pub fn predicted_outcome(p: &Probs) -> usize {
    let mut best = 0;
    for k in 1..3 {
        if p[k] > p[best] {
            best = k;
        }
    }
    best
}

/// Bins of the calibration table and of the expected calibration error.
pub const CALIBRATION_BINS: usize = 10;

/// One bin of the calibration table: predictions whose confidence fell in `[lower, upper)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    pub lower: f64,
    pub upper: f64,
    pub count: usize,
    /// Mean predicted probability of the outcome the bin is about.
    pub mean_predicted: f64,
    /// How often that outcome happened.
    pub observed_frequency: f64,
}

/// Scores of a set of predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub matches: usize,
    pub rps: f64,
    pub log_loss: f64,
    pub brier: f64,
    pub accuracy: f64,
    /// Expected calibration error (top-label, 10 equal-width bins of the highest probability).
    pub ece: f64,
    /// Classwise expected calibration error: for each outcome, 10 equal-width bins of its
    /// probability; the mean over the three outcomes.
    pub ece_classwise: f64,
}

/// Scores of `predictions` against `outcomes` (0 home, 1 draw, 2 away).
pub fn score(predictions: &[Probs], outcomes: &[usize]) -> Scores {
    let n = predictions.len().min(outcomes.len());
    if n == 0 {
        return Scores {
            matches: 0,
            rps: f64::NAN,
            log_loss: f64::NAN,
            brier: f64::NAN,
            accuracy: f64::NAN,
            ece: f64::NAN,
            ece_classwise: f64::NAN,
        };
    }
    let mean = |f: &dyn Fn(&Probs, usize) -> f64| {
        predictions
            .iter()
            .zip(outcomes)
            .map(|(p, &o)| f(p, o))
            .sum::<f64>()
            / n as f64
    };
    Scores {
        matches: n,
        rps: mean(&rps),
        log_loss: mean(&log_loss),
        brier: mean(&brier),
        accuracy: mean(&|p, o| if predicted_outcome(p) == o { 1.0 } else { 0.0 }),
        ece: top_label_calibration(predictions, outcomes).1,
        ece_classwise: classwise_ece(predictions, outcomes),
    }
}

/// Classwise ECE: the mean over the three outcomes of the count-weighted |mean predicted −
/// observed frequency| over 10 equal-width bins of that outcome's probability.
pub fn classwise_ece(predictions: &[Probs], outcomes: &[usize]) -> f64 {
    let mut total = 0.0;
    for k in 0..3 {
        let mut bins = [(0usize, 0.0f64, 0.0f64); CALIBRATION_BINS];
        for (p, &o) in predictions.iter().zip(outcomes) {
            let b = ((p[k] * CALIBRATION_BINS as f64) as usize).min(CALIBRATION_BINS - 1);
            bins[b].0 += 1;
            bins[b].1 += p[k];
            bins[b].2 += if o == k { 1.0 } else { 0.0 };
        }
        let n: usize = bins.iter().map(|b| b.0).sum();
        total += bins
            .iter()
            .filter(|b| b.0 > 0)
            .map(|&(c, sum_p, hits)| {
                c as f64 / n.max(1) as f64 * (sum_p / c as f64 - hits / c as f64).abs()
            })
            .sum::<f64>();
    }
    total / 3.0
}

/// The top-label calibration table and the expected calibration error: predictions are binned
/// by their highest probability; ECE is the count-weighted mean |confidence − accuracy|.
pub fn top_label_calibration(
    predictions: &[Probs],
    outcomes: &[usize],
) -> (Vec<CalibrationBin>, f64) {
    let mut sums = [(0usize, 0.0f64, 0.0f64); CALIBRATION_BINS];
    for (p, &o) in predictions.iter().zip(outcomes) {
        let k = predicted_outcome(p);
        let confidence = p[k];
        let bin = ((confidence * CALIBRATION_BINS as f64) as usize).min(CALIBRATION_BINS - 1);
        sums[bin].0 += 1;
        sums[bin].1 += confidence;
        sums[bin].2 += if k == o { 1.0 } else { 0.0 };
    }
    let total: usize = sums.iter().map(|s| s.0).sum();
    let mut ece = 0.0;
    let mut bins = Vec::new();
    for (b, &(count, conf, hits)) in sums.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let mean_predicted = conf / count as f64;
        let observed_frequency = hits / count as f64;
        ece += count as f64 / total as f64 * (mean_predicted - observed_frequency).abs();
        bins.push(CalibrationBin {
            lower: b as f64 / CALIBRATION_BINS as f64,
            upper: (b + 1) as f64 / CALIBRATION_BINS as f64,
            count,
            mean_predicted,
            observed_frequency,
        });
    }
    (bins, ece)
}

/// Mean and 95% confidence interval of the paired per-match difference `a − b`.
pub fn paired_difference(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let n = a.len().min(b.len());
    if n < 2 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let mean = d.iter().sum::<f64>() / n as f64;
    let var = d.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let half = 1.96 * (var / n as f64).sqrt();
    (mean, mean - half, mean + half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rps_by_hand() {
        // p = (0.5, 0.3, 0.2), home won: ((0.5-1)^2 + (0.8-1)^2)/2 = (0.25 + 0.04)/2.
        assert!((rps(&[0.5, 0.3, 0.2], 0) - 0.145).abs() < 1e-12);
        // Away won: (0.5^2 + 0.8^2)/2 = 0.445.
        assert!((rps(&[0.5, 0.3, 0.2], 2) - 0.445).abs() < 1e-12);
        assert_eq!(rps(&[1.0, 0.0, 0.0], 0), 0.0);
        // RPS rewards being close in order: for a draw, home-heavy beats nothing-on-draw equally split.
        assert!((rps(&[0.5, 0.0, 0.5], 1) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn log_loss_brier_accuracy_by_hand() {
        let p = [0.5, 0.3, 0.2];
        assert!((log_loss(&p, 1) + 0.3f64.ln()).abs() < 1e-12);
        assert!((brier(&p, 0) - (0.25 + 0.09 + 0.04)).abs() < 1e-12);
        let s = score(&[p, [0.2, 0.3, 0.5]], &[0, 0]);
        assert_eq!(s.accuracy, 0.5);
        assert!((s.rps - (0.145 + (0.64 + 0.25) / 2.0) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn ece_by_hand() {
        // Two predictions in the 0.6 bin with confidence 0.6; one hit: |0.6 − 0.5| = 0.1.
        let (bins, ece) = top_label_calibration(&[[0.6, 0.2, 0.2], [0.6, 0.3, 0.1]], &[0, 2]);
        assert_eq!(bins.len(), 1);
        assert!((ece - 0.1).abs() < 1e-12);
        // Perfectly calibrated.
        let (_, ece) = top_label_calibration(&[[0.5, 0.3, 0.2], [0.5, 0.3, 0.2]], &[0, 1]);
        assert!(ece.abs() < 1e-12);
    }

    #[test]
    fn classwise_ece_by_hand() {
        // Home: both at 0.6, one home win → |0.6 − 0.5| = 0.1. Draw: 0.2 and 0.3 fall in bins 2
        // and 3, no draw → (0.2 + 0.3)/2 = 0.25. Away: 0.2 and 0.1 in bins 2 and 1, one away win
        // → (|0.2 − 0| + |0.1 − 1|)/2 = 0.55. Mean: (0.1 + 0.25 + 0.55)/3 = 0.3.
        let e = classwise_ece(&[[0.6, 0.2, 0.2], [0.6, 0.3, 0.1]], &[0, 2]);
        assert!((e - 0.3).abs() < 1e-12, "{e}");
    }

    #[test]
    fn paired_difference_has_a_symmetric_interval() {
        let (mean, lo, hi) = paired_difference(&[1.0, 2.0, 3.0], &[0.0, 1.0, 1.0]);
        assert!((mean - 4.0 / 3.0).abs() < 1e-12);
        assert!((hi - mean - (mean - lo)).abs() < 1e-12);
    }
}

//! The two generalised linear models the predictors are built from: multinomial logistic
//! regression and the ordered logit (draw-aware, for one-dimensional strength signals), both with
//! sample weights and an L2 penalty, fitted by L-BFGS with analytic gradients.

use serde::{Deserialize, Serialize};

use crate::optimize::{minimize, Objective};
use crate::Probs;

/// A design matrix: `rows` rows of `width` values, row-major.
#[derive(Debug, Clone, Default)]
pub struct Design {
    pub values: Vec<f64>,
    pub width: usize,
}

impl Design {
    pub fn new(width: usize) -> Design {
        Design {
            values: Vec::new(),
            width,
        }
    }

    pub fn push(&mut self, row: &[f64]) {
        debug_assert_eq!(row.len(), self.width);
        self.values.extend_from_slice(row);
    }

    pub fn rows(&self) -> usize {
        self.values.len().checked_div(self.width).unwrap_or(0)
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.width..(i + 1) * self.width]
    }
}

/// Per-column mean and standard deviation, to put inputs on one scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Scaler {
    pub fn fit(x: &Design) -> Scaler {
        let n = x.rows().max(1) as f64;
        let mut mean = vec![0.0; x.width];
        for i in 0..x.rows() {
            for (m, v) in mean.iter_mut().zip(x.row(i)) {
                *m += v / n;
            }
        }
        let mut var = vec![0.0; x.width];
        for i in 0..x.rows() {
            for ((s, v), m) in var.iter_mut().zip(x.row(i)).zip(&mean) {
                *s += (v - m) * (v - m) / n;
            }
        }
        let std = var
            .into_iter()
            .map(|v| if v > 1e-12 { v.sqrt() } else { 1.0 })
            .collect();
        Scaler { mean, std }
    }

    pub fn apply(&self, row: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.extend(
            row.iter()
                .zip(&self.mean)
                .zip(&self.std)
                .map(|((v, m), s)| (v - m) / s),
        );
    }

    pub fn transform(&self, x: &Design) -> Design {
        let mut out = Design::new(x.width);
        let mut buf = Vec::with_capacity(x.width);
        for i in 0..x.rows() {
            self.apply(x.row(i), &mut buf);
            out.push(&buf);
        }
        out
    }
}

fn softmax(z: [f64; 3]) -> Probs {
    let m = z[0].max(z[1]).max(z[2]);
    let e = z.map(|v| (v - m).exp());
    let s = e[0] + e[1] + e[2];
    e.map(|v| v / s)
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Multinomial logistic regression over three outcomes: one intercept and one weight per input
/// for each outcome; the penalty applies to the weights only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Multinomial {
    /// `3 × (width + 1)`: for each outcome, the intercept then the weights.
    pub coefficients: Vec<f64>,
    pub width: usize,
}

struct MultinomialLoss<'a> {
    x: &'a Design,
    y: &'a [usize],
    w: &'a [f64],
    l2: f64,
}

impl Objective for MultinomialLoss<'_> {
    fn value_and_gradient(&self, beta: &[f64], g: &mut [f64]) -> f64 {
        let d = self.x.width + 1;
        g.iter_mut().for_each(|v| *v = 0.0);
        let mut loss = 0.0;
        for i in 0..self.x.rows() {
            let row = self.x.row(i);
            let mut z = [0.0; 3];
            for (k, zk) in z.iter_mut().enumerate() {
                let c = &beta[k * d..(k + 1) * d];
                *zk = c[0] + row.iter().zip(&c[1..]).map(|(a, b)| a * b).sum::<f64>();
            }
            let p = softmax(z);
            let wi = self.w[i];
            loss -= wi * p[self.y[i]].max(1e-300).ln();
            for k in 0..3 {
                let r = wi * (p[k] - if k == self.y[i] { 1.0 } else { 0.0 });
                let gk = &mut g[k * d..(k + 1) * d];
                gk[0] += r;
                for (gj, xj) in gk[1..].iter_mut().zip(row) {
                    *gj += r * xj;
                }
            }
        }
        for k in 0..3 {
            for j in 1..d {
                let b = beta[k * d + j];
                loss += 0.5 * self.l2 * b * b;
                g[k * d + j] += self.l2 * b;
            }
        }
        loss
    }
}

impl Multinomial {
    /// Fits on inputs `x`, outcomes `y` (0 home, 1 draw, 2 away) and sample weights `w`.
    pub fn fit(
        x: &Design,
        y: &[usize],
        w: &[f64],
        l2: f64,
        warm: Option<&Multinomial>,
    ) -> Multinomial {
        let size = 3 * (x.width + 1);
        let start = warm
            .filter(|m| m.coefficients.len() == size)
            .map(|m| m.coefficients.clone())
            .unwrap_or_else(|| vec![0.0; size]);
        let loss = MultinomialLoss { x, y, w, l2 };
        Multinomial {
            coefficients: minimize(&loss, start, 200),
            width: x.width,
        }
    }

    pub fn predict(&self, row: &[f64]) -> Probs {
        let d = self.width + 1;
        let mut z = [0.0; 3];
        for (k, zk) in z.iter_mut().enumerate() {
            let c = &self.coefficients[k * d..(k + 1) * d];
            *zk = c[0] + row.iter().zip(&c[1..]).map(|(a, b)| a * b).sum::<f64>();
        }
        softmax(z)
    }
}

/// Ordered logit: a latent strength `z = β·x`; P(away) = σ(θ₁ − z), P(away or draw) = σ(θ₂ − z),
/// with θ₂ = θ₁ + exp(δ) > θ₁, so the draw always gets the band between.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderedLogit {
    pub beta: Vec<f64>,
    pub theta1: f64,
    pub log_gap: f64,
}

struct OrderedLoss<'a> {
    x: &'a Design,
    y: &'a [usize],
    w: &'a [f64],
    l2: f64,
}

impl Objective for OrderedLoss<'_> {
    fn value_and_gradient(&self, p: &[f64], g: &mut [f64]) -> f64 {
        let width = self.x.width;
        let (theta1, log_gap) = (p[0], p[1]);
        let gap = log_gap.exp();
        let beta = &p[2..];
        g.iter_mut().for_each(|v| *v = 0.0);
        let mut loss = 0.0;
        for i in 0..self.x.rows() {
            let row = self.x.row(i);
            let z: f64 = row.iter().zip(beta).map(|(a, b)| a * b).sum();
            let a1 = theta1 - z;
            let a2 = theta1 + gap - z;
            let (s1, s2) = (sigmoid(a1), sigmoid(a2));
            let wi = self.w[i];
            // d(log-likelihood)/d a1 and / d a2.
            let (l, d1, d2) = match self.y[i] {
                2 => (s1.max(1e-300).ln(), 1.0 - s1, 0.0),
                0 => ((1.0 - s2).max(1e-300).ln(), 0.0, -s2),
                _ => {
                    let band = (s2 - s1).max(1e-300);
                    (band.ln(), -s1 * (1.0 - s1) / band, s2 * (1.0 - s2) / band)
                }
            };
            loss -= wi * l;
            g[0] -= wi * (d1 + d2);
            g[1] -= wi * d2 * gap;
            for (gj, xj) in g[2..2 + width].iter_mut().zip(row) {
                *gj += wi * (d1 + d2) * xj;
            }
        }
        for (j, b) in beta.iter().enumerate() {
            loss += 0.5 * self.l2 * b * b;
            g[2 + j] += self.l2 * b;
        }
        loss
    }
}

impl OrderedLogit {
    pub fn fit(
        x: &Design,
        y: &[usize],
        w: &[f64],
        l2: f64,
        warm: Option<&OrderedLogit>,
    ) -> OrderedLogit {
        let start = match warm.filter(|m| m.beta.len() == x.width) {
            Some(m) => [vec![m.theta1, m.log_gap], m.beta.clone()].concat(),
            None => [vec![-0.7, 0.0], vec![0.0; x.width]].concat(),
        };
        let loss = OrderedLoss { x, y, w, l2 };
        let p = minimize(&loss, start, 200);
        OrderedLogit {
            theta1: p[0],
            log_gap: p[1],
            beta: p[2..].to_vec(),
        }
    }

    pub fn predict(&self, row: &[f64]) -> Probs {
        let z: f64 = row.iter().zip(&self.beta).map(|(a, b)| a * b).sum();
        let s1 = sigmoid(self.theta1 - z);
        let s2 = sigmoid(self.theta1 + self.log_gap.exp() - z);
        [1.0 - s2, s2 - s1, s1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimize::gradient_check;

    fn toy() -> (Design, Vec<usize>, Vec<f64>) {
        let mut x = Design::new(2);
        let mut y = Vec::new();
        for i in 0..60 {
            let a = (i as f64 * 0.37).sin();
            let b = (i as f64 * 0.11).cos();
            x.push(&[a, b]);
            y.push(if a + 0.3 * b > 0.3 {
                0
            } else if a > -0.4 {
                1
            } else {
                2
            });
        }
        let w = (0..60).map(|i| 0.5 + (i % 3) as f64 * 0.25).collect();
        (x, y, w)
    }

    #[test]
    fn multinomial_gradient_is_right() {
        let (x, y, w) = toy();
        let loss = MultinomialLoss {
            x: &x,
            y: &y,
            w: &w,
            l2: 0.3,
        };
        let beta: Vec<f64> = (0..9).map(|i| (i as f64 * 0.7).sin()).collect();
        assert!(gradient_check(&loss, &beta) < 1e-5);
    }

    #[test]
    fn ordered_gradient_is_right() {
        let (x, y, w) = toy();
        let loss = OrderedLoss {
            x: &x,
            y: &y,
            w: &w,
            l2: 0.2,
        };
        assert!(gradient_check(&loss, &[-0.3, -0.5, 0.8, -0.4]) < 1e-5);
    }

    #[test]
    fn fitted_models_give_probabilities_that_follow_the_signal() {
        let (x, y, w) = toy();
        for p in [
            Multinomial::fit(&x, &y, &w, 0.01, None).predict(&[1.0, 0.0]),
            OrderedLogit::fit(&x, &y, &w, 0.01, None).predict(&[1.0, 0.0]),
        ] {
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(p[0] > p[2], "{p:?}");
        }
        let strong_away = OrderedLogit::fit(&x, &y, &w, 0.01, None).predict(&[-1.0, 0.0]);
        assert!(strong_away[2] > strong_away[0]);
    }
}

//! Dixon–Coles (1997): Poisson goals with per-club attack and defence, a home advantage and the
//! low-score dependence correction τ, with exponential time-decay weights; fitted by L-BFGS with
//! analytic gradients.

use chrono::NaiveDate;
use futbr_domain::Match;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::optimize::{minimize, Objective};
use crate::Probs;

/// Goals per side considered when turning rates into outcome probabilities.
const MAX_GOALS: usize = 10;
/// |ρ| is bounded so that τ stays positive for plausible rates.
const RHO_BOUND: f64 = 0.2;

/// Hyper-parameters of a fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DixonColesConfig {
    /// Time decay ξ per day: a match `t` days old weighs `exp(−ξ t)`.
    pub xi: f64,
    /// Only matches this many days before the fit date are used (their weight is tiny beyond).
    pub window_days: i64,
    /// L2 penalty on attack and defence (shrinks clubs with little data to the average).
    pub l2: f64,
}

impl Default for DixonColesConfig {
    fn default() -> Self {
        DixonColesConfig {
            xi: 0.002,
            window_days: 4 * 365,
            l2: 1.0,
        }
    }
}

/// A fitted Dixon–Coles model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DixonColes {
    /// (club, attack, defence): log-rate terms; higher defence means more goals conceded.
    pub teams: Vec<(String, f64, f64)>,
    pub intercept: f64,
    pub home_advantage: f64,
    pub rho: f64,
    pub config: DixonColesConfig,
    /// The fit used matches strictly before this date.
    pub as_of: NaiveDate,
}

struct Data {
    home: Vec<usize>,
    away: Vec<usize>,
    hg: Vec<f64>,
    ag: Vec<f64>,
    weight: Vec<f64>,
    teams: usize,
    l2: f64,
}

fn tau_terms(x: f64, y: f64, lambda: f64, mu: f64, rho: f64) -> (f64, f64, f64, f64) {
    // (τ, ∂log τ/∂log λ, ∂log τ/∂log μ, ∂log τ/∂ρ)
    match (x as u32, y as u32) {
        (0, 0) => {
            let t = (1.0 - lambda * mu * rho).max(1e-10);
            (
                t,
                -lambda * mu * rho / t,
                -lambda * mu * rho / t,
                -lambda * mu / t,
            )
        }
        (0, 1) => {
            let t = (1.0 + lambda * rho).max(1e-10);
            (t, lambda * rho / t, 0.0, lambda / t)
        }
        (1, 0) => {
            let t = (1.0 + mu * rho).max(1e-10);
            (t, 0.0, mu * rho / t, mu / t)
        }
        (1, 1) => {
            let t = (1.0 - rho).max(1e-10);
            (t, 0.0, 0.0, -1.0 / t)
        }
        _ => (1.0, 0.0, 0.0, 0.0),
    }
}

impl Objective for Data {
    /// Parameters: intercept, home advantage, raw ρ, attacks, defences.
    fn value_and_gradient(&self, p: &[f64], g: &mut [f64]) -> f64 {
        let n = self.teams;
        let (intercept, home_adv, raw_rho) = (p[0], p[1], p[2]);
        let rho = RHO_BOUND * raw_rho.tanh();
        let drho = RHO_BOUND * (1.0 - raw_rho.tanh().powi(2));
        let (attack, defence) = p[3..].split_at(n);
        g.iter_mut().for_each(|v| *v = 0.0);
        let mut loss = 0.0;
        let mut g_rho = 0.0;
        for i in 0..self.home.len() {
            let (h, a) = (self.home[i], self.away[i]);
            let (x, y, w) = (self.hg[i], self.ag[i], self.weight[i]);
            let log_lambda = intercept + home_adv + attack[h] + defence[a];
            let log_mu = intercept + attack[a] + defence[h];
            let (lambda, mu) = (log_lambda.exp(), log_mu.exp());
            let (tau, dt_l, dt_m, dt_r) = tau_terms(x, y, lambda, mu, rho);
            loss -= w * (tau.ln() + x * log_lambda - lambda + y * log_mu - mu);
            let d_l = -w * (x - lambda + dt_l);
            let d_m = -w * (y - mu + dt_m);
            g[0] += d_l + d_m;
            g[1] += d_l;
            g[3 + h] += d_l;
            g[3 + n + a] += d_l;
            g[3 + a] += d_m;
            g[3 + n + h] += d_m;
            g_rho -= w * dt_r;
        }
        g[2] = g_rho * drho;
        for j in 3..p.len() {
            loss += 0.5 * self.l2 * p[j] * p[j];
            g[j] += self.l2 * p[j];
        }
        loss
    }
}

impl DixonColes {
    /// Fits on the matches of `history` dated strictly before `as_of` (and within the window).
    /// `warm` (a previous fit) gives the starting point, so daily refits take few iterations.
    pub fn fit(
        history: &[Match],
        as_of: NaiveDate,
        config: DixonColesConfig,
        warm: Option<&DixonColes>,
    ) -> DixonColes {
        let earliest = as_of - chrono::Duration::days(config.window_days);
        let mut index: FxHashMap<&str, usize> = FxHashMap::default();
        let mut names: Vec<&str> = Vec::new();
        let mut data = Data {
            home: Vec::new(),
            away: Vec::new(),
            hg: Vec::new(),
            ag: Vec::new(),
            weight: Vec::new(),
            teams: 0,
            l2: config.l2,
        };
        let end = history.partition_point(|m| m.date < as_of);
        let start = history[..end].partition_point(|m| m.date < earliest);
        for m in &history[start..end] {
            let h = team_id(&m.home, &mut index, &mut names);
            let a = team_id(&m.away, &mut index, &mut names);
            data.home.push(h);
            data.away.push(a);
            data.hg.push(f64::from(m.home_goals));
            data.ag.push(f64::from(m.away_goals));
            data.weight
                .push((-config.xi * (as_of - m.date).num_days() as f64).exp());
        }
        data.teams = names.len();
        let n = names.len();
        let mut start_params = vec![0.0; 3 + 2 * n];
        start_params[0] = 0.1;
        start_params[1] = 0.3;
        if let Some(w) = warm {
            start_params[0] = w.intercept;
            start_params[1] = w.home_advantage;
            start_params[2] = (w.rho / RHO_BOUND).clamp(-0.99, 0.99).atanh();
            let previous: FxHashMap<&str, (f64, f64)> = w
                .teams
                .iter()
                .map(|(t, a, d)| (t.as_str(), (*a, *d)))
                .collect();
            for (i, name) in names.iter().enumerate() {
                if let Some(&(a, d)) = previous.get(name) {
                    start_params[3 + i] = a;
                    start_params[3 + n + i] = d;
                }
            }
        }
        let p = if data.home.is_empty() {
            start_params
        } else {
            minimize(&data, start_params, 300)
        };
        DixonColes {
            teams: names
                .iter()
                .enumerate()
                .map(|(i, name)| (name.to_string(), p[3 + i], p[3 + n + i]))
                .collect(),
            intercept: p[0],
            home_advantage: p[1],
            rho: RHO_BOUND * p[2].tanh(),
            config,
            as_of,
        }
    }

    fn club(&self, name: &str) -> (f64, f64) {
        // Clubs outside the window (promoted, new) get the average club: the penalty's centre.
        self.teams
            .iter()
            .find(|(t, _, _)| t == name)
            .map_or((0.0, 0.0), |&(_, a, d)| (a, d))
    }

    /// Expected goals (home, away) of a fixture.
    pub fn rates(&self, home: &str, away: &str) -> (f64, f64) {
        let (ha, hd) = self.club(home);
        let (aa, ad) = self.club(away);
        (
            (self.intercept + self.home_advantage + ha + ad).exp(),
            (self.intercept + aa + hd).exp(),
        )
    }

    /// Outcome probabilities of a fixture.
    pub fn predict(&self, home: &str, away: &str) -> Probs {
        let (lambda, mu) = self.rates(home, away);
        let poisson = |rate: f64| {
            let mut p = [0.0; MAX_GOALS + 1];
            p[0] = (-rate).exp();
            for k in 1..=MAX_GOALS {
                p[k] = p[k - 1] * rate / k as f64;
            }
            p
        };
        let (ph, pa) = (poisson(lambda), poisson(mu));
        let mut out = [0.0; 3];
        for (x, px) in ph.iter().enumerate() {
            for (y, py) in pa.iter().enumerate() {
                let tau = tau_terms(x as f64, y as f64, lambda, mu, self.rho).0;
                let k = match x.cmp(&y) {
                    std::cmp::Ordering::Greater => 0,
                    std::cmp::Ordering::Equal => 1,
                    std::cmp::Ordering::Less => 2,
                };
                out[k] += tau * px * py;
            }
        }
        let total: f64 = out.iter().sum();
        out.map(|v| v / total)
    }
}

fn team_id<'a>(
    name: &'a str,
    index: &mut FxHashMap<&'a str, usize>,
    names: &mut Vec<&'a str>,
) -> usize {
    if let Some(&i) = index.get(name) {
        return i;
    }
    names.push(name);
    index.insert(name, names.len() - 1);
    names.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimize::gradient_check;

    #[test]
    fn the_gradient_is_right() {
        let data = Data {
            home: vec![0, 1, 2, 0, 2, 1],
            away: vec![1, 2, 0, 2, 1, 0],
            hg: vec![0.0, 1.0, 0.0, 3.0, 1.0, 2.0],
            ag: vec![0.0, 0.0, 1.0, 1.0, 1.0, 2.0],
            weight: vec![1.0, 0.9, 0.8, 0.7, 0.6, 0.5],
            teams: 3,
            l2: 0.5,
        };
        let p = [0.1, 0.25, -0.4, 0.2, -0.1, 0.05, -0.2, 0.1, 0.15];
        assert!(gradient_check(&data, &p) < 1e-5);
    }

    #[test]
    fn probabilities_sum_to_one_and_favour_the_stronger_side() {
        let model = DixonColes {
            teams: vec![("A".into(), 0.3, -0.2), ("B".into(), -0.3, 0.2)],
            intercept: 0.1,
            home_advantage: 0.25,
            rho: -0.05,
            config: DixonColesConfig::default(),
            as_of: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        };
        let p = model.predict("A", "B");
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(p[0] > 0.6, "{p:?}");
        let q = model.predict("B", "A");
        assert!(q[2] > q[0]);
    }
}

//! The candidate models, their hyper-parameters, and how each is fitted on the matches before a
//! date.

use chrono::NaiveDate;
use futbr_domain::Match;
use futbr_features::{Feature, FeatureRow, Fixture, ORIGINAL};
use serde::{Deserialize, Serialize};

use crate::dixon_coles::{DixonColes, DixonColesConfig};
use crate::glm::{Design, Multinomial, OrderedLogit, Scaler};
use crate::Probs;

/// A kind of model the backtest can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Candidate {
    /// Outcome frequencies of the training matches (the floor).
    BaseRates,
    /// Multinomial logistic regression on the original system's 16 features.
    Logistic,
    /// Elo rating difference through a fitted ordered logit.
    Elo,
    /// Pi-rating expected goal difference through a fitted ordered logit.
    Pi,
    /// Ordered logit on ratings, goal rates, venue form, rest, newcomer, campaign and (when given)
    /// match-statistics features.
    FeaturesOrdered,
    /// Dixon–Coles with time decay, refitted every match day.
    DixonColes,
    /// Stacking: a multinomial logistic regression on the other models' walk-forward predictions.
    Stack,
}

impl Candidate {
    /// Every candidate, the stack last.
    pub const ALL: [Candidate; 7] = [
        Candidate::BaseRates,
        Candidate::Logistic,
        Candidate::Elo,
        Candidate::Pi,
        Candidate::FeaturesOrdered,
        Candidate::DixonColes,
        Candidate::Stack,
    ];

    /// The candidate a deployment serves unless told otherwise: the best walk-forward RPS on the
    /// 2019–2021 validation window, before the 2022–2024 test window (elo 0.2061, stack 0.2063,
    /// pi 0.2065, dixon-coles 0.2065; `examples/tune.rs`).
    pub const SERVED_BY_DEFAULT: Candidate = Candidate::Elo;

    /// The models the stack combines.
    pub const STACK_BASES: [Candidate; 5] = [
        Candidate::Logistic,
        Candidate::Elo,
        Candidate::Pi,
        Candidate::FeaturesOrdered,
        Candidate::DixonColes,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Candidate::BaseRates => "base-rates",
            Candidate::Logistic => "logistic",
            Candidate::Elo => "elo",
            Candidate::Pi => "pi",
            Candidate::FeaturesOrdered => "features-ordered",
            Candidate::DixonColes => "dixon-coles",
            Candidate::Stack => "stack",
        }
    }

    pub fn parse(name: &str) -> Option<Candidate> {
        Candidate::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Every candidate's name, comma-separated (for messages and help).
    pub fn names() -> String {
        Candidate::ALL.map(Candidate::name).join(", ")
    }

    /// The feature columns a feature-based candidate reads.
    pub fn columns(self) -> Vec<Feature> {
        use Feature::*;
        match self {
            Candidate::Logistic => ORIGINAL.to_vec(),
            Candidate::Elo => vec![EloDiff],
            Candidate::Pi => vec![PiGoalDiff],
            Candidate::FeaturesOrdered => vec![
                EloDiff,
                PiGoalDiff,
                GoalRateForHome,
                GoalRateAgainstHome,
                GoalRateForAway,
                GoalRateAgainstAway,
                HomeFormAtHome,
                AwayFormAway,
                FormPointsHome,
                FormPointsAway,
                RestDaysHome,
                RestDaysAway,
                NewcomerHome,
                NewcomerAway,
                CampaignPointsHome,
                CampaignPointsAway,
                H2hPointsHome,
                SameState,
                ShotShareHome,
                ShotShareAway,
                OnTargetShareHome,
                OnTargetShareAway,
                PossessionHome,
                PossessionAway,
            ],
            _ => Vec::new(),
        }
    }
}

impl std::fmt::Display for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// A name that is not a candidate's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown candidate {name:?}; choose one of {}", Candidate::names())]
pub struct UnknownCandidate {
    pub name: String,
}

impl std::str::FromStr for Candidate {
    type Err = UnknownCandidate;

    /// Parses a candidate's name (`elo`, `dixon-coles`, …), the one place names are checked.
    fn from_str(name: &str) -> Result<Candidate, UnknownCandidate> {
        Candidate::parse(name.trim()).ok_or_else(|| UnknownCandidate {
            name: name.to_string(),
        })
    }
}

/// How a served model is made: the candidate, its hyper-parameters, and the number of most recent
/// matches its walk-forward evaluation (and the gate) scores it on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    pub candidate: Candidate,
    pub hyper: Hyper,
    pub eval_matches: usize,
}

impl Recipe {
    /// Matches of the evaluation window by default: the most recent ones, about one season.
    pub const DEFAULT_EVAL_MATCHES: usize = 380;

    /// The default hyper-parameters and evaluation window for `candidate`.
    pub fn of(candidate: Candidate) -> Recipe {
        Recipe {
            candidate,
            hyper: Hyper::default(),
            eval_matches: Recipe::DEFAULT_EVAL_MATCHES,
        }
    }

    /// Whether two recipes train the same model (the evaluation window aside).
    pub fn same_model(&self, other: &Recipe) -> bool {
        self.candidate == other.candidate && self.hyper == other.hyper
    }
}

impl Default for Recipe {
    /// The candidate the loop serves unless told otherwise.
    fn default() -> Recipe {
        Recipe::of(Candidate::SERVED_BY_DEFAULT)
    }
}

/// Hyper-parameters of every candidate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Hyper {
    /// L2 penalty of the logistic regression (standardised inputs).
    pub logistic_l2: f64,
    /// L2 penalty of the ordered logits.
    pub ordered_l2: f64,
    /// Training matches of the feature models weigh `0.5^(age / half-life)`.
    pub sample_half_life_days: f64,
    /// Feature models train on at most this many days before the fit date.
    pub train_window_days: i64,
    pub dixon_coles: DixonColesConfig,
    /// L2 penalty of the stack's logistic regression.
    pub stack_l2: f64,
    /// The stack trains on the walk-forward predictions of this many days before the fit date.
    pub stack_window_days: i64,
    /// Models other than Dixon–Coles are refitted when this many days have passed since their last fit.
    pub refit_days: i64,
}

impl Default for Hyper {
    fn default() -> Self {
        Hyper {
            logistic_l2: 1.0,
            ordered_l2: 1.0,
            sample_half_life_days: 3.0 * 365.0,
            train_window_days: 8 * 365,
            dixon_coles: DixonColesConfig::default(),
            stack_l2: 30.0,
            stack_window_days: 4 * 365,
            refit_days: 7,
        }
    }
}

/// A fitted candidate, serialisable: everything needed to predict given a fixture's features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Fitted {
    BaseRates {
        probs: Probs,
    },
    Logistic {
        columns: Vec<usize>,
        scaler: Scaler,
        model: Multinomial,
    },
    Ordered {
        columns: Vec<usize>,
        scaler: Scaler,
        model: OrderedLogit,
    },
    DixonColes(DixonColes),
    Stack {
        bases: Vec<Fitted>,
        model: Multinomial,
    },
}

/// The outcome index (0 home, 1 draw, 2 away) of a match.
pub fn outcome_index(m: &Match) -> usize {
    m.outcome().index()
}

/// The training view of a history: everything a fit may read, cut at a date.
pub struct Training<'a> {
    pub matches: &'a [Match],
    pub rows: &'a [FeatureRow],
}

impl Training<'_> {
    /// Index of the first match dated on or after `date`: fits read only `..end`.
    pub fn end(&self, date: NaiveDate) -> usize {
        self.matches.partition_point(|m| m.date < date)
    }
}

fn sample_weights(matches: &[Match], as_of: NaiveDate, half_life: f64) -> Vec<f64> {
    matches
        .iter()
        .map(|m| 0.5f64.powf((as_of - m.date).num_days() as f64 / half_life))
        .collect()
}

fn design(rows: &[FeatureRow], columns: &[usize]) -> Design {
    let mut x = Design::new(columns.len());
    let mut buf = Vec::with_capacity(columns.len());
    for r in rows {
        buf.clear();
        buf.extend(columns.iter().map(|&c| r.0[c]));
        x.push(&buf);
    }
    x
}

/// The standardised design and sample weights of a feature-based candidate.
fn prepare(
    candidate: Candidate,
    matches: &[Match],
    rows: &[FeatureRow],
    as_of: NaiveDate,
    hyper: &Hyper,
) -> (Vec<usize>, Scaler, Design, Vec<f64>) {
    let columns: Vec<usize> = candidate.columns().iter().map(|&f| f as usize).collect();
    let raw = design(rows, &columns);
    let scaler = Scaler::fit(&raw);
    let x = scaler.transform(&raw);
    let w = sample_weights(matches, as_of, hyper.sample_half_life_days);
    (columns, scaler, x, w)
}

/// A row's feature columns, standardised.
fn scaled(columns: &[usize], scaler: &Scaler, row: &FeatureRow) -> Vec<f64> {
    let raw: Vec<f64> = columns.iter().map(|&c| row.0[c]).collect();
    let mut out = Vec::with_capacity(raw.len());
    scaler.apply(&raw, &mut out);
    out
}

/// Stack inputs from base predictions: for each base, log(p_home/p_draw) and log(p_away/p_draw).
pub fn stack_inputs(base: &[Probs]) -> Vec<f64> {
    base.iter()
        .flat_map(|p| {
            let d = p[1].max(1e-12);
            [(p[0].max(1e-12) / d).ln(), (p[2].max(1e-12) / d).ln()]
        })
        .collect()
}

/// Fits a candidate on the matches of `history` dated strictly before `as_of`. `None` for the
/// stack, which is fitted from base predictions by [`fit_combiner`].
pub fn fit(
    candidate: Candidate,
    history: &Training,
    as_of: NaiveDate,
    hyper: &Hyper,
    warm: Option<&Fitted>,
) -> Option<Fitted> {
    let end = history.end(as_of);
    let start = history.end(as_of - chrono::Duration::days(hyper.train_window_days));
    let (matches, rows) = (&history.matches[start..end], &history.rows[start..end]);
    let y: Vec<usize> = matches.iter().map(outcome_index).collect();
    Some(match candidate {
        Candidate::BaseRates => {
            let mut counts = [1.0; 3]; // Laplace: never a zero probability.
            for &o in &y {
                counts[o] += 1.0;
            }
            let total: f64 = counts.iter().sum();
            Fitted::BaseRates {
                probs: counts.map(|c| c / total),
            }
        }
        Candidate::Logistic => {
            let (columns, scaler, x, w) = prepare(candidate, matches, rows, as_of, hyper);
            let warm = match warm {
                Some(Fitted::Logistic { model, .. }) => Some(model),
                _ => None,
            };
            Fitted::Logistic {
                model: Multinomial::fit(&x, &y, &w, hyper.logistic_l2, warm),
                columns,
                scaler,
            }
        }
        Candidate::Elo | Candidate::Pi | Candidate::FeaturesOrdered => {
            let (columns, scaler, x, w) = prepare(candidate, matches, rows, as_of, hyper);
            let warm = match warm {
                Some(Fitted::Ordered { model, .. }) => Some(model),
                _ => None,
            };
            Fitted::Ordered {
                model: OrderedLogit::fit(&x, &y, &w, hyper.ordered_l2, warm),
                columns,
                scaler,
            }
        }
        Candidate::DixonColes => {
            let warm = match warm {
                Some(Fitted::DixonColes(m)) => Some(m),
                _ => None,
            };
            Fitted::DixonColes(DixonColes::fit(
                &history.matches[..end],
                as_of,
                hyper.dixon_coles,
                warm,
            ))
        }
        Candidate::Stack => return None,
    })
}

/// Fits the stack's combiner on base predictions (`inputs`, one per training match) and outcomes;
/// `warm` is the previous combiner.
pub fn fit_combiner(
    inputs: &Design,
    y: &[usize],
    hyper: &Hyper,
    warm: Option<&Multinomial>,
) -> Multinomial {
    Multinomial::fit(inputs, y, &vec![1.0; y.len()], hyper.stack_l2, warm)
}

impl Fitted {
    /// Outcome probabilities of a fixture with its pre-match features.
    pub fn predict(&self, fixture: &Fixture, row: &FeatureRow) -> Probs {
        match self {
            Fitted::BaseRates { probs } => *probs,
            Fitted::Logistic {
                columns,
                scaler,
                model,
            } => model.predict(&scaled(columns, scaler, row)),
            Fitted::Ordered {
                columns,
                scaler,
                model,
            } => model.predict(&scaled(columns, scaler, row)),
            Fitted::DixonColes(model) => model.predict(fixture.home, fixture.away),
            Fitted::Stack { bases, model } => {
                let base: Vec<Probs> = bases.iter().map(|b| b.predict(fixture, row)).collect();
                model.predict(&stack_inputs(&base))
            }
        }
    }
}

//! The betting market: de-vigging bookmakers' closing 1X2 odds into probabilities (proportional
//! normalisation and Shin's method), and market ratings — club ratings that learn from the closing
//! odds of *past* matches, so they can rate a fixture whose odds are not out yet.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use futbr_domain::{Match, Outcome};
use futbr_features::ratings::{elo_expectation, elo_goal_multiplier};
use serde::{Deserialize, Serialize};

use crate::Probs;

/// Decimal odds of home win, draw, away win (e.g. 2.10 pays 2.10 per unit staked).
pub type Odds = [f64; 3];

/// How the bookmaker's margin (the overround) is removed from the implied probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Devig {
    /// Each implied probability `1/odds` divided by their sum.
    Proportional,
    /// Shin (1993): the margin comes from the bookmaker's protection against insiders, so it
    /// weighs more on long shots; the insider share `z` is solved so the probabilities sum to 1.
    Shin,
}

impl Devig {
    pub const ALL: [Devig; 2] = [Devig::Proportional, Devig::Shin];

    pub fn name(self) -> &'static str {
        match self {
            Devig::Proportional => "proportional",
            Devig::Shin => "shin",
        }
    }

    /// The de-vigged probabilities of `odds`, or `None` when an odd is not a finite number above 1.
    pub fn probabilities(self, odds: &Odds) -> Option<Probs> {
        match self {
            Devig::Proportional => proportional(odds),
            Devig::Shin => shin(odds),
        }
    }
}

/// The implied probabilities `1/odds`, when every odd is a finite number above 1.
fn implied(odds: &Odds) -> Option<[f64; 3]> {
    odds.iter()
        .all(|o| o.is_finite() && *o > 1.0)
        .then(|| odds.map(|o| 1.0 / o))
}

/// Proportional normalisation: `(1/oᵢ) / Σ 1/oⱼ`.
pub fn proportional(odds: &Odds) -> Option<Probs> {
    let pi = implied(odds)?;
    let book: f64 = pi.iter().sum();
    Some(pi.map(|p| p / book))
}

/// Shin's probabilities for insider share `z`: `(√(z² + 4(1−z)πᵢ²/Π) − z) / (2(1−z))`.
fn shin_at(pi: &[f64; 3], book: f64, z: f64) -> [f64; 3] {
    pi.map(|p| ((z * z + 4.0 * (1.0 - z) * p * p / book).sqrt() - z) / (2.0 * (1.0 - z)))
}

/// Shin's method (Shin 1993; Štrumbelj 2014). Their sum falls as `z` grows from 0 (where it is
/// √Π > 1), so `z` is found by bisection: a fixed number of halvings, deterministic. A book with no
/// margin (Π ≤ 1, as on an exchange) has no insider share to remove and is normalised
/// proportionally.
pub fn shin(odds: &Odds) -> Option<Probs> {
    let pi = implied(odds)?;
    let book: f64 = pi.iter().sum();
    if book <= 1.0 {
        return proportional(odds);
    }
    let (mut low, mut high) = (0.0f64, 0.5f64);
    for _ in 0..80 {
        let mid = 0.5 * (low + high);
        if shin_at(&pi, book, mid).iter().sum::<f64>() > 1.0 {
            low = mid;
        } else {
            high = mid;
        }
    }
    let p = shin_at(&pi, book, 0.5 * (low + high));
    // The bisection leaves the sum within ~1e-16 of 1; normalise the rest away.
    let sum: f64 = p.iter().sum();
    Some(p.map(|v| v / sum))
}

/// The closing odds of a match, when its source had them: Pinnacle's (the sharpest book), else
/// the market average.
pub fn closing_odds(m: &Match) -> Option<Odds> {
    let odds = m.odds?;
    let prices = odds.pinnacle.or(odds.average)?;
    Some([prices.home, prices.draw, prices.away].map(|p| p.decimal()))
}

/// Tunable constants of the market ratings. Ratings are on the Elo scale (400 points: ten to one).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MarketRatingsConfig {
    /// Rating of a club never seen (the league mean is 1500; promoted clubs are usually weaker).
    pub newcomer: f64,
    /// K on a priced match: the ratings move by `k_market × (market expectation − theirs)`.
    pub k_market: f64,
    /// K on the result of a priced match (0: the market's view only).
    pub k_result_priced: f64,
    /// K on the result of a match without odds (the results-based Elo that carries the ratings
    /// through the years before odds, and a lake with no odds at all).
    pub k_result: f64,
    /// Home advantage, in rating points, before any match.
    pub home_advantage: f64,
    /// How fast the home advantage follows the market (and, without odds, the results).
    pub k_home: f64,
    /// Share of a club's distance to 1500 removed after a break of `break_days` or more.
    pub break_regression: f64,
    pub break_days: i64,
    /// How the closing odds become the market's probabilities.
    pub devig: Devig,
}

impl Default for MarketRatingsConfig {
    fn default() -> Self {
        MarketRatingsConfig {
            newcomer: 1450.0,
            k_market: 130.0,
            k_result_priced: 5.0,
            k_result: 20.0,
            home_advantage: 60.0,
            k_home: 1.0,
            break_regression: 0.2,
            break_days: 60,
            devig: Devig::Proportional,
        }
    }
}

/// One club's market rating and the date of its last match.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClubRating {
    pub rating: f64,
    pub last: NaiveDate,
}

/// Club ratings that follow the market: after each priced match, both clubs move towards the
/// ratings that would have given the market's expected score (home win + half a draw); after a
/// match without odds, towards its result. The home advantage is learned the same way (it fell
/// when stadiums were empty in 2020). The state holds only matches already folded in, so the
/// rating of a later fixture never reads its own odds or result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketRatings {
    pub config: MarketRatingsConfig,
    /// By club name, in name order (a deterministic serialisation).
    pub clubs: BTreeMap<String, ClubRating>,
    pub home_advantage: f64,
    /// The last date folded in: later fixtures only.
    pub through: Option<NaiveDate>,
}

impl MarketRatings {
    pub fn new(config: MarketRatingsConfig) -> MarketRatings {
        MarketRatings {
            config,
            clubs: BTreeMap::new(),
            home_advantage: config.home_advantage,
            through: None,
        }
    }

    /// A club's rating as of `date` (regressed to the mean after a break; a newcomer's otherwise).
    pub fn rating(&self, club: &str, date: NaiveDate) -> f64 {
        match self.clubs.get(club) {
            Some(c) if (date - c.last).num_days() >= self.config.break_days => {
                1500.0 + (c.rating - 1500.0) * (1.0 - self.config.break_regression)
            }
            Some(c) => c.rating,
            None => self.config.newcomer,
        }
    }

    /// The pre-match rating difference of a fixture, home advantage included.
    pub fn difference(&self, home: &str, away: &str, date: NaiveDate) -> f64 {
        self.rating(home, date) - self.rating(away, date) + self.home_advantage
    }

    /// Folds one match in: its closing odds when known, else its result.
    fn apply(&mut self, m: &Match, odds: Option<&Odds>) {
        let c = self.config;
        let (rh, ra) = (self.rating(&m.home, m.date), self.rating(&m.away, m.date));
        let expected = elo_expectation(rh - ra + self.home_advantage);
        let result = match m.outcome() {
            Outcome::Home => 1.0,
            Outcome::Draw => 0.5,
            Outcome::Away => 0.0,
        };
        let margin = elo_goal_multiplier(i32::from(m.home_goals) - i32::from(m.away_goals));
        let market = odds.and_then(|o| c.devig.probabilities(o));
        let (delta, surprise) = match market {
            Some(p) => {
                let target = p[0] + 0.5 * p[1];
                (
                    c.k_market * (target - expected)
                        + c.k_result_priced * margin * (result - expected),
                    target - expected,
                )
            }
            None => (c.k_result * margin * (result - expected), result - expected),
        };
        self.home_advantage += c.k_home * surprise;
        for (club, rating) in [(&m.home, rh + delta), (&m.away, ra - delta)] {
            let entry = ClubRating {
                rating,
                last: m.date,
            };
            // Look up before inserting: most clubs exist, and the key allocation is then avoided.
            match self.clubs.get_mut(&**club) {
                Some(c) => *c = entry,
                None => {
                    self.clubs.insert(club.to_string(), entry);
                }
            }
        }
        self.through = Some(m.date);
    }
}

/// Walks a chronological history: the pre-match rating difference of every match (computed from
/// the matches of earlier days only: all of a day's differences come before any of its updates),
/// and the state after the last match. `odds[i]` are the closing odds of `matches[i]`.
pub fn walk(
    matches: &[Match],
    odds: &[Option<Odds>],
    config: MarketRatingsConfig,
) -> (Vec<f64>, MarketRatings) {
    let mut state = MarketRatings::new(config);
    let mut out = Vec::with_capacity(matches.len());
    for day in futbr_domain::match_days(matches) {
        for m in &matches[day.clone()] {
            out.push(state.difference(&m.home, &m.away, m.date));
        }
        for (m, o) in matches[day.clone()].iter().zip(&odds[day]) {
            state.apply(m, o.as_ref());
        }
    }
    (out, state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futbr_domain::synthetic::{csv_bytes, LeagueShape};
    use futbr_domain::validate::{validate_csv, ValidateOptions};
    use futbr_domain::History;

    fn close(a: &[f64], b: &[f64], tolerance: f64) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < tolerance)
    }

    #[test]
    fn proportional_by_hand() {
        // 1/2 + 1/3.5 + 1/4 = 1/2 + 2/7 + 1/4 = 29/28; so 14/29, 8/29, 7/29.
        let p = proportional(&[2.0, 3.5, 4.0]).unwrap();
        assert!(
            close(&p, &[14.0 / 29.0, 8.0 / 29.0, 7.0 / 29.0], 1e-15),
            "{p:?}"
        );
        // A fair book is left as it is.
        let p = proportional(&[3.0, 3.0, 3.0]).unwrap();
        assert!(close(&p, &[1.0 / 3.0; 3], 1e-15));
    }

    #[test]
    fn shin_against_reference_values() {
        // Reference: the root of Σ pᵢ(z) = 1 solved with mpmath at 30 digits:
        // (2.0, 3.5, 4.0): z = 0.0178913117703045, p = below.
        let p = shin(&[2.0, 3.5, 4.0]).unwrap();
        assert!(
            close(
                &p,
                &[0.486733634762945, 0.274328396122804, 0.238937969114251],
                1e-12
            ),
            "{p:?}"
        );
        // (1.25, 6, 12): a strong favourite; z = 0.0259634908813402.
        let p = shin(&[1.25, 6.0, 12.0]).unwrap();
        assert!(
            close(
                &p,
                &[0.777841378478391, 0.152013773842551, 0.070144847679058],
                1e-12
            ),
            "{p:?}"
        );
        // The favourite–long-shot bias: Shin gives the favourite more than proportional does,
        // the long shot less.
        let q = proportional(&[1.25, 6.0, 12.0]).unwrap();
        assert!(p[0] > q[0] && p[2] < q[2]);
        // Symmetric odds stay symmetric; an exchange-like book without margin is normalised.
        assert!(close(
            &shin(&[2.9, 2.9, 2.9]).unwrap(),
            &[1.0 / 3.0; 3],
            1e-12
        ));
        assert!(close(
            &shin(&[2.0, 4.0, 4.2]).unwrap(),
            &proportional(&[2.0, 4.0, 4.2]).unwrap(),
            1e-15
        ));
    }

    #[test]
    fn odds_that_are_not_odds_give_no_probabilities() {
        for odds in [
            [1.0, 3.0, 4.0],
            [0.0, 3.0, 4.0],
            [-2.0, 3.0, 4.0],
            [f64::NAN, 3.0, 4.0],
            [f64::INFINITY, 3.0, 4.0],
        ] {
            for devig in Devig::ALL {
                assert_eq!(devig.probabilities(&odds), None, "{odds:?}");
            }
        }
    }

    fn league() -> Vec<Match> {
        let v = validate_csv(
            "s.csv",
            &csv_bytes(&LeagueShape::european(3)),
            &ValidateOptions::default(),
        );
        History::from_matches(v.matches).matches().to_vec()
    }

    #[test]
    fn without_odds_the_ratings_are_a_results_elo() {
        let matches = league();
        let none = vec![None; matches.len()];
        // No learned home advantage and no regression after breaks, so rating points are conserved.
        let config = MarketRatingsConfig {
            k_home: 0.0,
            break_regression: 0.0,
            ..MarketRatingsConfig::default()
        };
        let (diffs, state) = walk(&matches, &none, config);
        // The first match of two newcomers: only the home advantage.
        assert_eq!(diffs[0], config.home_advantage);
        // Every result moves the two clubs by the same amount in opposite directions.
        let total: f64 = state
            .clubs
            .values()
            .map(|c| c.rating - config.newcomer)
            .sum();
        assert!(total.abs() < 1e-6, "{total}");
        // And winners rise: the club with most points has a rating above the one with fewest.
        let mut points: BTreeMap<&str, u32> = BTreeMap::new();
        for m in &matches {
            let (h, a) = match m.outcome() {
                Outcome::Home => (3, 0),
                Outcome::Draw => (1, 1),
                Outcome::Away => (0, 3),
            };
            *points.entry(&m.home).or_default() += h;
            *points.entry(&m.away).or_default() += a;
        }
        let best = points.iter().max_by_key(|(_, p)| **p).unwrap().0;
        let worst = points.iter().min_by_key(|(_, p)| **p).unwrap().0;
        assert!(state.clubs[*best].rating > state.clubs[*worst].rating);
    }

    #[test]
    fn the_ratings_learn_the_markets_view_not_the_results() {
        // The market prices every match as if the club whose name sorts first were far stronger;
        // the results say otherwise. With k_result_priced = 0 the ratings follow the market.
        let matches = league();
        let first = matches.iter().map(|m| m.home.clone()).min().unwrap();
        let odds: Vec<Option<Odds>> = matches
            .iter()
            .map(|m| {
                Some(if m.home == first {
                    [1.2, 7.0, 15.0]
                } else if m.away == first {
                    [9.0, 5.5, 1.35]
                } else {
                    [2.5, 3.2, 3.0]
                })
            })
            .collect();
        let (_, state) = walk(&matches, &odds, MarketRatingsConfig::default());
        let top = state
            .clubs
            .iter()
            .max_by(|a, b| a.1.rating.total_cmp(&b.1.rating))
            .unwrap()
            .0;
        assert_eq!(**top, *first);
    }

    #[test]
    fn the_served_state_rates_a_fixture_as_the_walk_would() {
        // Serving rates a fixture from the state after the whole history; the walk rates the
        // same fixture as a match appended to it. They must agree bit for bit.
        let matches = league();
        let odds: Vec<Option<Odds>> = (0..matches.len())
            .map(|k| (k % 3 != 0).then_some([1.9 + (k % 7) as f64 * 0.1, 3.4, 4.1]))
            .collect();
        let last = matches.last().unwrap().date;
        let cut = matches.partition_point(|m| m.date < last);
        let (_, state) = walk(
            &matches[..cut],
            &odds[..cut],
            MarketRatingsConfig::default(),
        );
        let (diffs, _) = walk(&matches, &odds, MarketRatingsConfig::default());
        for k in cut..matches.len() {
            let m = &matches[k];
            assert_eq!(
                state.difference(&m.home, &m.away, m.date).to_bits(),
                diffs[k].to_bits()
            );
        }
    }

    #[test]
    fn a_days_differences_come_before_its_updates() {
        let matches = league();
        let odds = vec![Some([1.5, 4.0, 6.0]); matches.len()];
        let (diffs, _) = walk(&matches, &odds, MarketRatingsConfig::default());
        // Recomputed from the state folded only through the day before, every difference agrees.
        let mut state = MarketRatings::new(MarketRatingsConfig::default());
        let mut i = 0;
        while i < matches.len() {
            let date = matches[i].date;
            let j = i + matches[i..].iter().take_while(|m| m.date == date).count();
            for k in i..j {
                let d = state.difference(&matches[k].home, &matches[k].away, date);
                assert_eq!(d.to_bits(), diffs[k].to_bits());
            }
            for k in i..j {
                state.apply(&matches[k], odds[k].as_ref());
            }
            i = j;
        }
    }
}

//! A played match, its outcome and the small value types around it.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;

/// A club's name as it appears in the data (trimmed). Names are interned, so clones are cheap.
pub type Team = Arc<str>;

/// The result of a match from the home side's point of view, in the order RPS ranks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Outcome {
    Home,
    Draw,
    Away,
}

impl Outcome {
    /// The outcome a score implies.
    pub fn from_score(home_goals: u16, away_goals: u16) -> Outcome {
        match home_goals.cmp(&away_goals) {
            Ordering::Greater => Outcome::Home,
            Ordering::Equal => Outcome::Draw,
            Ordering::Less => Outcome::Away,
        }
    }

    /// Index in the ordered outcomes home/draw/away (0, 1, 2).
    pub fn index(self) -> usize {
        self as usize
    }

    /// One-letter code used in the processed tables: `H`, `D` or `A`.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Home => "H",
            Outcome::Draw => "D",
            Outcome::Away => "A",
        }
    }
}

/// A decimal price (European odds, e.g. 2.35) held exactly in thousandths, so that matches
/// carrying odds still compare equal bit for bit (a float would break `Eq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Price(u32);

impl Price {
    /// The lowest price accepted: 1.001 (a price of 1 or less pays nothing back).
    pub const MIN_THOUSANDTHS: u32 = 1_001;
    /// The highest price accepted: 1000.
    pub const MAX_THOUSANDTHS: u32 = 1_000_000;

    /// A price from thousandths (2350 is 2.35), if within [`Price::MIN_THOUSANDTHS`]..=[`Price::MAX_THOUSANDTHS`].
    pub fn from_thousandths(thousandths: u32) -> Option<Price> {
        (Price::MIN_THOUSANDTHS..=Price::MAX_THOUSANDTHS)
            .contains(&thousandths)
            .then_some(Price(thousandths))
    }

    /// Parses a decimal price such as `2.35`, `3` or `1.875` (at most three decimals).
    pub fn parse(s: &str) -> Option<Price> {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty()
            || int.len() > 4
            || frac.len() > 3
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut value: u32 = int.parse().ok()?;
        for i in 0..3 {
            let digit = frac.as_bytes().get(i).map_or(0, |b| u32::from(b - b'0'));
            value = value * 10 + digit;
        }
        Price::from_thousandths(value)
    }

    pub fn thousandths(self) -> u32 {
        self.0
    }

    /// The price as a decimal number (exactly the double nearest the written price).
    pub fn decimal(self) -> f64 {
        f64::from(self.0) / 1000.0
    }
}

impl std::fmt::Display for Price {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = format!("{}.{:03}", self.0 / 1000, self.0 % 1000);
        f.write_str(text.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// Prices of the three outcomes of one match (1X2: home, draw, away).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Odds1x2 {
    pub home: Price,
    pub draw: Price,
    pub away: Price,
}

impl Odds1x2 {
    /// The raw implied probabilities `1/price`, in the order home, draw, away. They sum to more
    /// than 1 by the bookmaker's margin; de-vigging is the models' business.
    pub fn implied(&self) -> [f64; 3] {
        [self.home, self.draw, self.away].map(|p| 1.0 / p.decimal())
    }

    /// The bookmaker's margin: the implied probabilities' sum minus 1.
    pub fn overround(&self) -> f64 {
        self.implied().iter().sum::<f64>() - 1.0
    }
}

/// The closing 1X2 odds known for a match (football-data.co.uk's `PSC*` and `AvgC*` columns).
/// Closing odds are published at kick-off: a model may use them only for matches dated strictly
/// before the one it predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct ClosingOdds {
    /// Pinnacle's closing prices.
    pub pinnacle: Option<Odds1x2>,
    /// The market average of the closing prices.
    pub average: Option<Odds1x2>,
}

impl ClosingOdds {
    /// Whether no price is known (such odds are stored as `None` on a [`Match`]).
    pub fn is_empty(&self) -> bool {
        self.pinnacle.is_none() && self.average.is_none()
    }

    /// The prices of `self`, completed by those of `other` where `self` has none.
    pub fn or(self, other: ClosingOdds) -> ClosingOdds {
        ClosingOdds {
            pinnacle: self.pinnacle.or(other.pinnacle),
            average: self.average.or(other.average),
        }
    }
}

/// One validated match result.
///
/// Built only by [`crate::validate`]; `season` is 0 until the match enters a
/// [`crate::history::History`], which derives seasons from the whole data set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    /// The input's `ID` column; `None` for sources without one (football-data.co.uk).
    pub id: Option<u64>,
    /// Season label: the calendar year in which the season started (see [`crate::history`]).
    pub season: i32,
    /// The input's `rodata` column; 0 when the source does not say (football-data.co.uk).
    pub round: u16,
    pub date: NaiveDate,
    /// Kick-off time, when known.
    pub time: Option<NaiveTime>,
    pub home: Team,
    pub away: Team,
    /// Normalised formation such as `4-2-3-1`, when known and well formed.
    pub home_formation: Option<Arc<str>>,
    pub away_formation: Option<Arc<str>>,
    pub home_coach: Arc<str>,
    pub away_coach: Arc<str>,
    pub arena: Arc<str>,
    pub home_goals: u16,
    pub away_goals: u16,
    /// Federation state of each club (e.g. `SP`); empty when unknown.
    pub home_state: Arc<str>,
    pub away_state: Arc<str>,
    /// Closing odds, when a source gave them.
    pub odds: Option<ClosingOdds>,
}

impl Match {
    /// The outcome implied by the score (the score is trusted over the `vencedor` column).
    pub fn outcome(&self) -> Outcome {
        Outcome::from_score(self.home_goals, self.away_goals)
    }

    /// The natural key that identifies a match across files: the date and the two clubs.
    pub fn natural_key(&self) -> NaturalKey {
        let (first, second) = if self.home <= self.away {
            (&self.home, &self.away)
        } else {
            (&self.away, &self.home)
        };
        NaturalKey {
            date: self.date,
            first: first.clone(),
            second: second.clone(),
        }
    }

    /// Chronological order: date, then kick-off time (unknown first), then ID (none first), then
    /// the clubs' names, so the order never depends on the order of the input.
    pub fn chronological_cmp(&self, other: &Match) -> Ordering {
        (self.date, self.time, self.id, &self.home, &self.away).cmp(&(
            other.date,
            other.time,
            other.id,
            &other.home,
            &other.away,
        ))
    }

    /// `ID 123` or, for a source without IDs, the date and the clubs; for messages.
    pub fn label(&self) -> String {
        match self.id {
            Some(id) => format!("ID {id}"),
            None => format!(
                "{} {} x {}",
                self.date.format("%d/%m/%Y"),
                self.home,
                self.away
            ),
        }
    }

    /// True when both clubs come from the same federation state (a "clássico" in the original).
    pub fn same_state(&self) -> bool {
        !self.home_state.is_empty() && self.home_state == self.away_state
    }
}

/// Identifies one match independently of the `ID` column: the date and the two clubs in either
/// order. A club plays at most once a day, and a source that swapped home and away (the real
/// production file does, for ID 2826) must not turn one match into two.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NaturalKey {
    pub date: NaiveDate,
    /// The club whose name sorts first.
    pub first: Team,
    pub second: Team,
}

impl std::fmt::Display for NaturalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} x {}",
            self.date.format("%d/%m/%Y"),
            self.first,
            self.second
        )
    }
}

/// The matches of each day of a chronological slice, as index ranges in order. Walks that must
/// not leak (features, ratings, backtests) compute everything for a day from the state before it,
/// then fold the day's results in.
pub fn match_days(matches: &[Match]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        let date = matches.get(start)?.date;
        let end = start
            + matches[start..]
                .iter()
                .take_while(|m| m.date == date)
                .count();
        let day = start..end;
        start = end;
        Some(day)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn match_days_split_a_chronological_slice_by_date() {
        let csv = crate::synthetic::csv_bytes(&crate::synthetic::LeagueShape::serie_a(1));
        let matches = crate::validate::validate_csv("s.csv", &csv, &Default::default()).matches;
        assert_eq!(matches.len(), 380);
        let days: Vec<_> = super::match_days(&matches).collect();
        assert_eq!(days.first().map(|d| d.start), Some(0));
        assert_eq!(days.last().map(|d| d.end), Some(matches.len()));
        for (a, b) in days.iter().zip(days.iter().skip(1)) {
            assert_eq!(a.end, b.start);
            assert!(matches[a.start].date < matches[b.start].date);
        }
        for day in &days {
            assert!(!day.is_empty());
            assert!(matches[day.clone()]
                .iter()
                .all(|m| m.date == matches[day.start].date));
        }
        assert_eq!(super::match_days(&[]).count(), 0);
    }
    use super::*;

    #[test]
    fn outcome_follows_the_score() {
        assert_eq!(Outcome::from_score(2, 0), Outcome::Home);
        assert_eq!(Outcome::from_score(1, 1), Outcome::Draw);
        assert_eq!(Outcome::from_score(0, 1), Outcome::Away);
        assert_eq!(Outcome::Away.index(), 2);
    }

    #[test]
    fn prices_are_exact_and_checked() {
        assert_eq!(Price::parse("2.35").map(Price::thousandths), Some(2350));
        assert_eq!(Price::parse("3").map(Price::thousandths), Some(3000));
        assert_eq!(Price::parse("1.875").map(Price::thousandths), Some(1875));
        assert_eq!(Price::parse("2.35").unwrap().decimal(), 2.35);
        assert_eq!(Price::parse("2.35").unwrap().to_string(), "2.35");
        assert_eq!(Price::parse("12").unwrap().to_string(), "12");
        for bad in [
            "", "1", "0.5", "1.0001", "-2", "2,35", "abc", "1e3", "10000", ".5",
        ] {
            assert_eq!(Price::parse(bad), None, "{bad}");
        }
        let odds = Odds1x2 {
            home: Price::parse("2").unwrap(),
            draw: Price::parse("4").unwrap(),
            away: Price::parse("4").unwrap(),
        };
        assert_eq!(odds.implied(), [0.5, 0.25, 0.25]);
        assert_eq!(odds.overround(), 0.0);
    }
}

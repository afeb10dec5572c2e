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

/// One validated match result.
///
/// Built only by [`crate::validate`]; `season` is 0 until the match enters a
/// [`crate::history::History`], which derives seasons from the whole data set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    /// The input's `ID` column.
    pub id: u64,
    /// Season label: the calendar year in which the season started (see [`crate::history`]).
    pub season: i32,
    /// The input's `rodata` column.
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

    /// Chronological order: date, then kick-off time (unknown first), then ID.
    pub fn chronological_cmp(&self, other: &Match) -> Ordering {
        (self.date, self.time, self.id).cmp(&(other.date, other.time, other.id))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_follows_the_score() {
        assert_eq!(Outcome::from_score(2, 0), Outcome::Home);
        assert_eq!(Outcome::from_score(1, 1), Outcome::Draw);
        assert_eq!(Outcome::from_score(0, 1), Outcome::Away);
        assert_eq!(Outcome::Away.index(), 2);
    }
}

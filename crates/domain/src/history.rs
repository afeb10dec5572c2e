//! The league history: matches from every uploaded file merged, deduplicated, ordered and split
//! into seasons.
//!
//! Merge rule: files are merged in upload order; a match (by its natural key: the date and the two clubs) seen
//! again with the same content is a silent duplicate, with different content the later upload wins
//! and a warning names both files.
//!
//! Season rule: seasons are derived from the data, not from calendar years. In date order, a new
//! season starts at a match day that comes at least [`SEASON_BREAK_DAYS`] days after the previous
//! one and whose round number is lower than the previous match's, or that comes at least
//! [`LONG_BREAK_DAYS`] days after the previous one whatever the rounds say. A season is labelled
//! with the calendar year of its first match, so the 2020 season that ended in February 2021 is
//! season 2020. Mid-season breaks (a World Cup pause of ~45 days) keep counting rounds up and so
//! stay inside their season; a league whose season crosses the new year works unchanged.

use chrono::Datelike;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::matches::{Match, NaturalKey};

/// A gap of at least this many days, together with the round number going down, starts a season.
pub const SEASON_BREAK_DAYS: i64 = 30;
/// A gap of at least this many days starts a season on its own.
pub const LONG_BREAK_DAYS: i64 = 120;

/// A warning from merging files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeWarning {
    pub key: String,
    /// The earlier file whose version of the match was replaced.
    pub replaced_file: String,
    /// The later file whose version is kept.
    pub kept_file: String,
    pub message: String,
}

/// Validated matches of all files, deduplicated, in chronological order, with seasons assigned.
#[derive(Debug, Clone, Default)]
pub struct History {
    matches: Vec<Match>,
    /// For each match, the index of the file (in merge order) it came from.
    sources: Vec<usize>,
}

/// What merging did, for the processing report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MergeSummary {
    pub matches: usize,
    pub duplicates_dropped: usize,
    pub replaced: usize,
    pub warnings: Vec<MergeWarning>,
}

impl History {
    /// Merges files given in upload order as `(file name, its valid matches)`; the returned
    /// history's [`History::sources`] index into `files`.
    pub fn merge(files: Vec<(String, Vec<Match>)>) -> (History, MergeSummary) {
        let mut summary = MergeSummary::default();
        let total: usize = files.iter().map(|(_, m)| m.len()).sum();
        let mut by_key: FxHashMap<NaturalKey, usize> = FxHashMap::default();
        by_key.reserve(total);
        let mut matches: Vec<Match> = Vec::with_capacity(total);
        let mut sources: Vec<usize> = Vec::with_capacity(total);
        let names: Vec<String> = files.iter().map(|(name, _)| name.clone()).collect();
        for (file_index, (file, file_matches)) in files.into_iter().enumerate() {
            for m in file_matches {
                let key = m.natural_key();
                match by_key.get(&key) {
                    Some(&at) if matches[at] == m => summary.duplicates_dropped += 1,
                    Some(&at) => {
                        let earlier = &names[sources[at]];
                        summary.replaced += 1;
                        summary.warnings.push(MergeWarning {
                            key: key.to_string(),
                            replaced_file: earlier.clone(),
                            kept_file: file.clone(),
                            message: format!(
                                "{key} differs between {earlier} (ID {}, {} {}-{} {}) and {file} (ID {}, {} {}-{} {}); the later upload {file} wins",
                                matches[at].id,
                                matches[at].home,
                                matches[at].home_goals,
                                matches[at].away_goals,
                                matches[at].away,
                                m.id,
                                m.home,
                                m.home_goals,
                                m.away_goals,
                                m.away,
                            ),
                        });
                        matches[at] = m;
                        sources[at] = file_index;
                    }
                    None => {
                        by_key.insert(key, matches.len());
                        matches.push(m);
                        sources.push(file_index);
                    }
                }
            }
        }
        let mut order: Vec<usize> = (0..matches.len()).collect();
        order.sort_by(|&a, &b| matches[a].chronological_cmp(&matches[b]));
        let mut slots: Vec<Option<Match>> = matches.into_iter().map(Some).collect();
        let matches: Vec<Match> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let sources = order.iter().map(|&i| sources[i]).collect();
        let mut history = History { matches, sources };
        assign_seasons(&mut history.matches);
        summary.matches = history.matches.len();
        (history, summary)
    }

    /// Builds a history from matches of one source.
    pub fn from_matches(matches: Vec<Match>) -> History {
        History::merge(vec![(String::new(), matches)]).0
    }

    /// The matches in chronological order.
    pub fn matches(&self) -> &[Match] {
        &self.matches
    }

    /// Index (in merge order) of the file each match came from.
    pub fn sources(&self) -> &[usize] {
        &self.sources
    }

    pub fn len(&self) -> usize {
        self.matches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.matches.is_empty()
    }
}

/// Assigns `season` to matches already in chronological order (see the module docs for the rule).
pub fn assign_seasons(matches: &mut [Match]) {
    let mut season = 0;
    let mut previous: Option<(chrono::NaiveDate, u16)> = None;
    for m in matches.iter_mut() {
        let starts_season = match previous {
            None => true,
            Some((date, round)) => {
                let gap = (m.date - date).num_days();
                gap >= LONG_BREAK_DAYS || (gap >= SEASON_BREAK_DAYS && m.round < round)
            }
        };
        if starts_season {
            season = m.date.year();
        }
        m.season = season;
        previous = Some((m.date, m.round));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matches::Team;
    use chrono::NaiveDate;

    fn m(
        id: u64,
        date: (i32, u32, u32),
        round: u16,
        home: &str,
        away: &str,
        score: (u16, u16),
    ) -> Match {
        let t = |s: &str| -> Team { s.into() };
        Match {
            id,
            season: 0,
            round,
            date: NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap(),
            time: None,
            home: t(home),
            away: t(away),
            home_formation: None,
            away_formation: None,
            home_coach: t(""),
            away_coach: t(""),
            arena: t(""),
            home_goals: score.0,
            away_goals: score.1,
            home_state: t(""),
            away_state: t(""),
        }
    }

    #[test]
    fn a_season_that_runs_into_the_next_year_keeps_its_label() {
        let h = History::from_matches(vec![
            m(1, (2020, 8, 8), 1, "A", "B", (1, 0)),
            m(2, (2020, 11, 20), 20, "A", "B", (1, 0)),
            m(3, (2021, 1, 20), 30, "A", "B", (1, 0)),
            m(4, (2021, 2, 25), 38, "B", "A", (1, 0)),
            m(5, (2021, 5, 29), 1, "A", "B", (1, 0)),
        ]);
        let seasons: Vec<i32> = h.matches().iter().map(|m| m.season).collect();
        assert_eq!(seasons, [2020, 2020, 2020, 2020, 2021]);
    }

    #[test]
    fn a_mid_season_break_does_not_start_a_season() {
        let h = History::from_matches(vec![
            m(1, (2014, 6, 1), 9, "A", "B", (1, 0)),
            m(2, (2014, 7, 16), 10, "B", "A", (1, 0)),
        ]);
        assert_eq!(h.matches()[1].season, 2014);
    }

    #[test]
    fn later_upload_wins_and_names_both_files() {
        let files = vec![
            (
                "a.csv".to_string(),
                vec![
                    m(1, (2024, 1, 1), 1, "A", "B", (1, 0)),
                    m(2, (2024, 1, 2), 1, "C", "D", (0, 0)),
                ],
            ),
            (
                "b.csv".to_string(),
                vec![
                    m(1, (2024, 1, 1), 1, "A", "B", (2, 2)),
                    m(2, (2024, 1, 2), 1, "C", "D", (0, 0)),
                ],
            ),
        ];
        let (h, s) = History::merge(files);
        assert_eq!(h.len(), 2);
        assert_eq!(h.matches()[0].home_goals, 2);
        assert_eq!((s.duplicates_dropped, s.replaced), (1, 1));
        assert_eq!(s.warnings[0].replaced_file, "a.csv");
        assert_eq!(s.warnings[0].kept_file, "b.csv");
    }

    #[test]
    fn matches_come_out_in_chronological_order() {
        let h = History::from_matches(vec![
            m(2, (2024, 1, 2), 1, "A", "B", (1, 0)),
            m(1, (2024, 1, 1), 1, "C", "D", (1, 0)),
        ]);
        assert_eq!(h.matches()[0].id, 1);
        assert_eq!(h.sources(), [0, 0]);
    }
}

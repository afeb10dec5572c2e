//! The league history: matches from every uploaded file merged, deduplicated, ordered and split
//! into seasons.
//!
//! Merge rule: files are merged in upload order. A match is recognised again — in the same or
//! another source — by the same two clubs on the same date (in either order: a source that
//! swapped home and away must not make two matches), or by the same ordered pair of clubs on
//! dates at most one day apart (football-data.co.uk dates matches in UK time; a club never
//! plays the same opponent at home on two consecutive days). Then:
//! - the same content: a silent duplicate;
//! - the same result, other content: the two are combined. The record with an `ID` (the
//!   Brazilian data set's, with formations, coaches, arena and local date) is the base whatever
//!   the upload order; between two records of the same kind the later upload wins with a
//!   warning naming both files. Closing odds are taken from whichever has them, the later
//!   upload first;
//! - a **different score**: a conflict. The later row is quarantined (both values, files and
//!   lines named) and the known result stays, unless the later file is a correction
//!   ([`SourceFile::corrects`]), whose score then replaces the known score (and nothing else
//!   of the known record), recorded in [`MergeSummary::corrections`].
//!
//! Season rule: seasons are derived from the data, not from calendar years. In date order, a new
//! season starts at a match day that comes at least [`SEASON_BREAK_DAYS`] days after the previous
//! one and whose round number is lower than the previous match's, or that comes at least
//! [`LONG_BREAK_DAYS`] days after the previous one whatever the rounds say. Where a round is
//! unknown (0: football-data.co.uk has none), a gap of [`UNKNOWN_ROUND_BREAK_DAYS`] days starts a
//! season. A season is labelled
//! with the calendar year of its first match, so the 2020 season that ended in February 2021 is
//! season 2020. Mid-season breaks (a World Cup pause of ~45 days) keep counting rounds up and so
//! stay inside their season; a league whose season crosses the new year works unchanged.

use chrono::{Datelike, Duration, NaiveDate};
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::matches::{Match, NaturalKey, Team};

/// A gap of at least this many days, together with the round number going down, starts a season.
pub const SEASON_BREAK_DAYS: i64 = 30;
/// A gap of at least this many days starts a season on its own.
pub const LONG_BREAK_DAYS: i64 = 120;
/// A gap of at least this many days starts a season when a round number is unknown (longer
/// than a World Cup break, shorter than the Brazilian off-season).
pub const UNKNOWN_ROUND_BREAK_DAYS: i64 = 60;

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

/// One side of a conflict or correction: where a result was read and what it said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultAt {
    pub file: String,
    /// 1-based physical line (header = 1); 0 when the caller gave no lines.
    pub line: u64,
    /// `Home 2-1 Away`.
    pub result: String,
}

/// The same match with a different score in a later file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeConflict {
    /// The match: date and clubs.
    pub key: String,
    /// The result known before (kept, unless corrected).
    pub known: ResultAt,
    /// The later file's result (quarantined, unless it is a correction).
    pub other: ResultAt,
    /// Index in merge order of the later file, for quarantining its row.
    #[serde(skip)]
    pub other_file_index: usize,
    pub message: String,
}

/// One input file of a merge.
#[derive(Debug, Clone, Default)]
pub struct SourceFile {
    pub name: String,
    pub matches: Vec<Match>,
    /// The physical line of each match (empty when unknown).
    pub lines: Vec<u64>,
    /// Whether this file corrects known results: its scores replace conflicting ones.
    pub corrects: bool,
}

/// Validated matches of all files, deduplicated, in chronological order, with seasons assigned.
#[derive(Debug, Clone, Default)]
pub struct History {
    matches: Vec<Match>,
    /// For each match, the index of the file (in merge order) its base record came from.
    sources: Vec<usize>,
    /// For each match with odds, the index of the file its odds came from.
    odds_sources: Vec<Option<usize>>,
}

/// What merging did, for the processing report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MergeSummary {
    pub matches: usize,
    pub duplicates_dropped: usize,
    /// Matches whose record was replaced by a later upload's (same result).
    pub replaced: usize,
    /// Matches found in two sources (different kinds of record) and combined.
    pub combined: usize,
    pub warnings: Vec<MergeWarning>,
    /// Later rows with a different score, quarantined (the known result kept).
    pub conflicts: Vec<MergeConflict>,
    /// Scores replaced by a correction file.
    pub corrections: Vec<MergeConflict>,
}

/// Whether two records of one match (maybe with home and away swapped) give the same score.
fn same_result(a: &Match, b: &Match) -> bool {
    if a.home == b.home {
        (a.home_goals, a.away_goals) == (b.home_goals, b.away_goals)
    } else {
        (a.home_goals, a.away_goals) == (b.away_goals, b.home_goals)
    }
}

fn result_text(m: &Match) -> String {
    format!(
        "{} {} {}-{} {}",
        m.date.format("%d/%m/%Y"),
        m.home,
        m.home_goals,
        m.away_goals,
        m.away
    )
}

impl History {
    /// Merges files given in upload order as `(file name, its valid matches)`; the returned
    /// history's [`History::sources`] index into `files`.
    pub fn merge(files: Vec<(String, Vec<Match>)>) -> (History, MergeSummary) {
        History::merge_sources(
            files
                .into_iter()
                .map(|(name, matches)| SourceFile {
                    name,
                    matches,
                    ..SourceFile::default()
                })
                .collect(),
        )
    }

    /// Merges files in upload order by the rule of the module docs; the returned history's
    /// [`History::sources`] index into `files`.
    pub fn merge_sources(files: Vec<SourceFile>) -> (History, MergeSummary) {
        let mut summary = MergeSummary::default();
        let total: usize = files.iter().map(|f| f.matches.len()).sum();
        let mut by_key: FxHashMap<NaturalKey, usize> = FxHashMap::default();
        by_key.reserve(total);
        let mut by_pair: FxHashMap<(NaiveDate, Team, Team), usize> = FxHashMap::default();
        by_pair.reserve(total);
        let mut matches: Vec<Match> = Vec::with_capacity(total);
        let mut sources: Vec<usize> = Vec::with_capacity(total);
        let mut lines: Vec<u64> = Vec::with_capacity(total);
        let mut odds_sources: Vec<Option<usize>> = Vec::with_capacity(total);
        let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
        for (file_index, file) in files.into_iter().enumerate() {
            let name = &names[file_index];
            for (row, m) in file.matches.into_iter().enumerate() {
                let line = file.lines.get(row).copied().unwrap_or(0);
                let key = m.natural_key();
                let found = by_key.get(&key).copied().or_else(|| {
                    [m.date - Duration::days(1), m.date + Duration::days(1)]
                        .into_iter()
                        .filter_map(|d| by_pair.get(&(d, m.home.clone(), m.away.clone())))
                        .copied()
                        .find(|&at| (matches[at].date - m.date).num_days().abs() <= 1)
                });
                let Some(at) = found else {
                    by_key.insert(key, matches.len());
                    by_pair.insert((m.date, m.home.clone(), m.away.clone()), matches.len());
                    odds_sources.push(m.odds.map(|_| file_index));
                    matches.push(m);
                    sources.push(file_index);
                    lines.push(line);
                    continue;
                };
                if matches[at] == m {
                    summary.duplicates_dropped += 1;
                    continue;
                }
                let earlier = &names[sources[at]];
                if !same_result(&matches[at], &m) {
                    let conflict = MergeConflict {
                        key: key.to_string(),
                        known: ResultAt {
                            file: earlier.clone(),
                            line: lines[at],
                            result: result_text(&matches[at]),
                        },
                        other: ResultAt {
                            file: name.clone(),
                            line,
                            result: result_text(&m),
                        },
                        other_file_index: file_index,
                        message: if file.corrects {
                            format!(
                                "{key}: {earlier} line {} says {}, the correction {name} line {line} says {}; corrected",
                                lines[at],
                                result_text(&matches[at]),
                                result_text(&m)
                            )
                        } else {
                            format!(
                                "{key}: {earlier} line {} says {}, {name} line {line} says {}; the known result is kept and the row quarantined (upload the file as a correction to replace it)",
                                lines[at],
                                result_text(&matches[at]),
                                result_text(&m)
                            )
                        },
                    };
                    if !file.corrects {
                        summary.conflicts.push(conflict);
                        continue;
                    }
                    summary.corrections.push(conflict);
                    // A correction replaces the score (read from the known record's side) and
                    // nothing else the known record holds; it adds odds it carries.
                    let known = &mut matches[at];
                    (known.home_goals, known.away_goals) = if known.home == m.home {
                        (m.home_goals, m.away_goals)
                    } else {
                        (m.away_goals, m.home_goals)
                    };
                    if m.odds.is_some() {
                        known.odds = m.odds.map(|new| match known.odds {
                            Some(old) => new.or(old),
                            None => new,
                        });
                        odds_sources[at] = Some(file_index);
                    }
                    continue;
                }
                let old = &matches[at];
                let odds = match (m.odds, old.odds) {
                    (Some(new), Some(known)) => Some(new.or(known)),
                    (new, known) => new.or(known),
                };
                let odds_source = if m.odds.is_some() {
                    Some(file_index)
                } else {
                    odds_sources[at]
                };
                // The record with an ID carries the richer, local-time facts: it is the base.
                let incoming_is_base = m.id.is_some() || old.id.is_none();
                let same_kind = m.id.is_some() == old.id.is_some();
                if same_kind {
                    summary.replaced += 1;
                    summary.warnings.push(MergeWarning {
                        key: key.to_string(),
                        replaced_file: earlier.clone(),
                        kept_file: name.clone(),
                        message: format!(
                            "{key} differs between {earlier} ({}, {}) and {name} ({}, {}); the later upload {name} wins",
                            old.label(),
                            result_text(old),
                            m.label(),
                            result_text(&m),
                        ),
                    });
                } else {
                    summary.combined += 1;
                }
                if incoming_is_base {
                    let date_changed = m.date != matches[at].date;
                    matches[at] = m;
                    sources[at] = file_index;
                    lines[at] = line;
                    if date_changed {
                        let m = &matches[at];
                        by_key.insert(m.natural_key(), at);
                        by_pair.insert((m.date, m.home.clone(), m.away.clone()), at);
                    }
                }
                matches[at].odds = odds;
                odds_sources[at] = odds_source;
            }
        }
        let mut order: Vec<usize> = (0..matches.len()).collect();
        order.sort_by(|&a, &b| matches[a].chronological_cmp(&matches[b]));
        let mut slots: Vec<Option<Match>> = matches.into_iter().map(Some).collect();
        let matches: Vec<Match> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let sources = order.iter().map(|&i| sources[i]).collect();
        let odds_sources = order.iter().map(|&i| odds_sources[i]).collect();
        let mut history = History {
            matches,
            sources,
            odds_sources,
        };
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

    /// Index (in merge order) of the file each match's record came from.
    pub fn sources(&self) -> &[usize] {
        &self.sources
    }

    /// Index (in merge order) of the file each match's closing odds came from, if any.
    pub fn odds_sources(&self) -> &[Option<usize>] {
        &self.odds_sources
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
                let unknown_round = m.round == 0 || round == 0;
                gap >= LONG_BREAK_DAYS
                    || (gap >= SEASON_BREAK_DAYS && !unknown_round && m.round < round)
                    || (gap >= UNKNOWN_ROUND_BREAK_DAYS && unknown_round)
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
            id: Some(id),
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
            odds: None,
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

    fn file(name: &str, matches: Vec<Match>, corrects: bool) -> SourceFile {
        SourceFile {
            name: name.into(),
            lines: (2..).take(matches.len()).collect(),
            matches,
            corrects,
        }
    }

    fn odds(home: u32) -> Option<crate::ClosingOdds> {
        let price = |t| crate::Price::from_thousandths(t).unwrap();
        Some(crate::ClosingOdds {
            pinnacle: Some(crate::Odds1x2 {
                home: price(home),
                draw: price(3400),
                away: price(4000),
            }),
            average: None,
        })
    }

    #[test]
    fn later_upload_wins_and_names_both_files() {
        let mut changed = m(1, (2024, 1, 1), 1, "A", "B", (1, 0));
        changed.arena = "Maracana".into();
        let (h, s) = History::merge_sources(vec![
            file(
                "a.csv",
                vec![
                    m(1, (2024, 1, 1), 1, "A", "B", (1, 0)),
                    m(2, (2024, 1, 2), 1, "C", "D", (0, 0)),
                ],
                false,
            ),
            file(
                "b.csv",
                vec![changed, m(2, (2024, 1, 2), 1, "C", "D", (0, 0))],
                false,
            ),
        ]);
        assert_eq!(h.len(), 2);
        assert_eq!(&*h.matches()[0].arena, "Maracana");
        assert_eq!((s.duplicates_dropped, s.replaced), (1, 1));
        assert_eq!(s.warnings[0].replaced_file, "a.csv");
        assert_eq!(s.warnings[0].kept_file, "b.csv");
        assert_eq!(h.sources(), [1, 0]);
    }

    #[test]
    fn a_different_score_is_a_conflict_quarantined_unless_it_is_a_correction() {
        let known = || {
            file(
                "a.csv",
                vec![m(1, (2024, 1, 1), 1, "A", "B", (1, 0))],
                false,
            )
        };
        let later = |corrects| {
            file(
                "b.csv",
                vec![m(1, (2024, 1, 1), 1, "A", "B", (2, 2))],
                corrects,
            )
        };
        let (h, s) = History::merge_sources(vec![known(), later(false)]);
        assert_eq!(h.matches()[0].home_goals, 1, "the known result stays");
        assert_eq!(s.conflicts.len(), 1);
        let c = &s.conflicts[0];
        assert_eq!((c.known.file.as_str(), c.known.line), ("a.csv", 2));
        assert_eq!((c.other.file.as_str(), c.other.line), ("b.csv", 2));
        assert!(c.known.result.contains("A 1-0 B") && c.other.result.contains("A 2-2 B"));
        assert_eq!(c.other_file_index, 1);
        assert!(s.corrections.is_empty());

        let (h, s) = History::merge_sources(vec![known(), later(true)]);
        assert_eq!(
            h.matches()[0].home_goals,
            2,
            "a correction replaces the score"
        );
        assert!(s.conflicts.is_empty());
        assert_eq!(s.corrections.len(), 1);

        // Home and away swapped with the same score read from each side is not a conflict.
        let (_, s) = History::merge_sources(vec![
            known(),
            file(
                "c.csv",
                vec![m(9, (2024, 1, 1), 1, "B", "A", (0, 1))],
                false,
            ),
        ]);
        assert!(s.conflicts.is_empty());
    }

    #[test]
    fn one_match_across_sources_a_day_apart_is_combined_whatever_the_order() {
        let brazilian = m(7, (2024, 5, 4), 3, "A", "B", (2, 1));
        let mut uk = m(0, (2024, 5, 5), 0, "A", "B", (2, 1));
        uk.id = None;
        uk.odds = odds(1900);
        let other_uk = {
            let mut o = m(0, (2024, 5, 12), 0, "C", "A", (0, 0));
            o.id = None;
            o.odds = odds(2500);
            o
        };
        for reversed in [false, true] {
            let mut files = vec![
                file("br.csv", vec![brazilian.clone()], false),
                file("fd.csv", vec![uk.clone(), other_uk.clone()], false),
            ];
            if reversed {
                files.reverse();
            }
            let (h, s) = History::merge_sources(files);
            assert_eq!(h.len(), 2, "one match, plus the one only football-data has");
            let combined = &h.matches()[0];
            assert_eq!(combined.id, Some(7));
            assert_eq!(
                combined.date, brazilian.date,
                "the Brazilian local date is kept"
            );
            assert_eq!(combined.round, 3);
            assert_eq!(combined.odds, uk.odds);
            let (br, fd) = if reversed { (1, 0) } else { (0, 1) };
            assert_eq!(h.sources()[0], br);
            assert_eq!(h.odds_sources(), [Some(fd), Some(fd)]);
            assert_eq!((s.combined, s.replaced, s.conflicts.len()), (1, 0, 0));
        }
        // Two days apart is another match.
        let mut far = uk.clone();
        far.date = NaiveDate::from_ymd_opt(2024, 5, 6).unwrap();
        let (h, _) = History::merge_sources(vec![
            file("br.csv", vec![brazilian], false),
            file("fd.csv", vec![far], false),
        ]);
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn seasons_without_rounds_break_on_long_gaps_only() {
        let mut ms = vec![
            m(1, (2026, 4, 1), 0, "A", "B", (1, 0)),
            m(2, (2026, 5, 30), 0, "B", "A", (1, 0)),
            m(3, (2026, 7, 20), 0, "A", "B", (1, 0)),
            m(4, (2027, 1, 29), 0, "A", "B", (1, 0)),
        ];
        for x in &mut ms {
            x.id = None;
        }
        let h = History::from_matches(ms);
        let seasons: Vec<i32> = h.matches().iter().map(|m| m.season).collect();
        assert_eq!(
            seasons,
            [2026, 2026, 2026, 2027],
            "a 51-day World Cup break stays inside"
        );
    }

    #[test]
    fn matches_come_out_in_chronological_order() {
        let h = History::from_matches(vec![
            m(2, (2024, 1, 2), 1, "A", "B", (1, 0)),
            m(1, (2024, 1, 1), 1, "C", "D", (1, 0)),
        ]);
        assert_eq!(h.matches()[0].id, Some(1));
        assert_eq!(h.sources(), [0, 0]);
    }
}

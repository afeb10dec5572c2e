//! Per-club match statistics (`campeonato-brasileiro-estatisticas-full.csv`): shots, shots on
//! target and possession, joined to matches by the match `ID`.
//!
//! The public file records zeros where nothing was collected (every match before 2014, all of
//! 2024), so a value counts only when it can be real: shots when either side has a shot, shots on
//! target when either side has one, possession when it is a percentage. Like
//! [`crate::validate`], reading never fails: bad rows are reported by line, column and value and
//! left out.

use rustc_hash::FxHashMap;

use crate::validate::{FileReport, Problem, Severity};

/// One club's statistics in one match; `None` where the file has nothing real.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClubStats {
    pub shots: Option<f64>,
    pub shots_on_target: Option<f64>,
    /// Percent of possession, 0–100.
    pub possession: Option<f64>,
}

/// Statistics by match ID and club.
#[derive(Debug, Clone, Default)]
pub struct StatsTable {
    by_match: FxHashMap<u64, Vec<(String, ClubStats)>>,
}

impl StatsTable {
    /// Both clubs' statistics of a match (home first), when the file has a row for each.
    pub fn pair(&self, match_id: u64, home: &str, away: &str) -> Option<(ClubStats, ClubStats)> {
        let rows = self.by_match.get(&match_id)?;
        let find = |club: &str| rows.iter().find(|(c, _)| c == club).map(|(_, s)| *s);
        let (mut h, mut a) = (find(home)?, find(away)?);
        // Zeros on both sides mean "not collected", not "no shot".
        if h.shots.unwrap_or(0.0) + a.shots.unwrap_or(0.0) == 0.0 {
            h.shots = None;
            a.shots = None;
        }
        if h.shots_on_target.unwrap_or(0.0) + a.shots_on_target.unwrap_or(0.0) == 0.0 {
            h.shots_on_target = None;
            a.shots_on_target = None;
        }
        Some((h, a))
    }

    /// Number of matches with at least one row.
    pub fn matches(&self) -> usize {
        self.by_match.len()
    }
}

const REQUIRED: [&str; 4] = ["partida_id", "clube", "chutes", "chutes_no_alvo"];

/// Reads a statistics CSV.
pub fn read_stats_csv(file: &str, bytes: &[u8]) -> (StatsTable, FileReport) {
    let mut report = FileReport::empty(file);
    let mut table = StatsTable::default();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(bytes);
    let mut header = csv::StringRecord::new();
    match reader.read_record(&mut header) {
        Ok(true) => {}
        Ok(false) => {
            report.rejected = Some("empty file: no header and no rows".into());
            return (table, report);
        }
        Err(e) => {
            report.rejected = Some(format!("not a UTF-8 CSV: {e}"));
            return (table, report);
        }
    }
    let find = |name: &str| header.iter().position(|h| h.trim() == name);
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| find(c).is_none())
        .collect();
    if !missing.is_empty() {
        report.rejected = Some(format!(
            "missing required column(s): {}",
            missing.join(", ")
        ));
        return (table, report);
    }
    let col = |name: &str| find(name).unwrap_or(usize::MAX);
    let (id_col, club_col, shots_col, sot_col) = (
        col("partida_id"),
        col("clube"),
        col("chutes"),
        col("chutes_no_alvo"),
    );
    let possession_col = find("posse_de_bola");
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
                // One row that is not UTF-8: report it and read on.
                report.rows_total += 1;
                report.problems.push(Problem::unreadable(&e));
                continue;
            }
            Err(e) => {
                report.problems.push(Problem::unreadable(&e));
                break;
            }
        }
        report.rows_total += 1;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let mut error = |column: &str, value: &str, message: &str| {
            report.problems.push(Problem {
                line,
                column: Some(column.to_string()),
                value: value.to_string(),
                severity: Severity::Error,
                message: message.to_string(),
            });
        };
        let Ok(id) = field(id_col).parse::<u64>() else {
            error(
                "partida_id",
                field(id_col),
                "match ID must be a non-negative integer",
            );
            continue;
        };
        let club = field(club_col);
        if club.is_empty() {
            error("clube", club, "club is empty");
            continue;
        }
        let count = |column: &str,
                     value: &str,
                     error: &mut dyn FnMut(&str, &str, &str)|
         -> Result<Option<f64>, ()> {
            match value {
                "" | "None" => Ok(None),
                v => match v.parse::<u16>() {
                    Ok(n) if n <= 200 => Ok(Some(f64::from(n))),
                    _ => {
                        error(column, v, "expected a count from 0 to 200");
                        Err(())
                    }
                },
            }
        };
        let Ok(shots) = count("chutes", field(shots_col), &mut error) else {
            continue;
        };
        let Ok(shots_on_target) = count("chutes_no_alvo", field(sot_col), &mut error) else {
            continue;
        };
        if let (Some(s), Some(t)) = (shots, shots_on_target) {
            if t > s {
                error(
                    "chutes_no_alvo",
                    field(sot_col),
                    "more shots on target than shots",
                );
                continue;
            }
        }
        let possession = match possession_col.map(field).unwrap_or("") {
            "" | "None" => None,
            v => match v.trim_end_matches('%').parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => Some(p),
                _ => {
                    error("posse_de_bola", v, "expected a percentage such as 51%");
                    continue;
                }
            },
        };
        report.rows_accepted += 1;
        table.by_match.entry(id).or_default().push((
            club.to_string(),
            ClubStats {
                shots,
                shots_on_target,
                possession,
            },
        ));
    }
    (table, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "partida_id,rodata,clube,chutes,chutes_no_alvo,posse_de_bola";

    #[test]
    fn rows_join_by_match_and_club_and_zeros_mean_not_collected() {
        let text = format!(
            "{HEADER}\n1,1,A,10,4,55%\n1,1,B,6,2,45%\n2,1,C,0,0,None\n2,1,D,0,0,\n3,1,E,x,1,50%\n"
        );
        let (table, report) = read_stats_csv("s.csv", text.as_bytes());
        assert_eq!((report.rows_total, report.rows_accepted), (5, 4));
        assert_eq!(
            (
                report.problems[0].line,
                report.problems[0].column.as_deref()
            ),
            (6, Some("chutes"))
        );
        let (a, b) = table.pair(1, "A", "B").unwrap();
        assert_eq!(
            (a.shots, b.shots_on_target, a.possession),
            (Some(10.0), Some(2.0), Some(55.0))
        );
        let (c, d) = table.pair(2, "C", "D").unwrap();
        assert_eq!((c.shots, d.shots, c.possession), (None, None, None));
        assert!(table.pair(1, "A", "Z").is_none());
    }

    #[test]
    fn a_row_that_is_not_utf8_is_reported_and_the_rest_kept() {
        let mut bytes = format!("{HEADER}\n").into_bytes();
        bytes.extend_from_slice(b"1,1,Gr\xeamio,3,1,50%\n1,1,B,2,1,50%\n");
        let (table, report) = read_stats_csv("s.csv", &bytes);
        assert_eq!((report.rows_total, report.rows_accepted), (2, 1));
        assert_eq!(report.problems[0].line, 2);
        assert!(table.pair(1, "B", "B").is_some());
    }

    #[test]
    fn a_file_without_the_columns_is_rejected() {
        let (_, report) = read_stats_csv("s.csv", b"a,b\n1,2\n");
        assert!(report
            .rejected
            .unwrap()
            .starts_with("missing required column(s): partida_id"));
    }
}

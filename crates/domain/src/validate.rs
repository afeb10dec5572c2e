//! Parsing and validation of one match CSV.
//!
//! [`validate_csv`] never fails and never panics: it returns the valid matches, the rows it had to
//! quarantine, and a [`FileReport`] naming every problem by physical line, column and value. A file
//! that is not a match CSV at all is rejected whole, with the reason in [`FileReport::rejected`].
//!
//! Policies (documented in README):
//! - Encoding: UTF-8 with or without BOM. Input that is not valid UTF-8 is decoded as Latin-1
//!   (ISO-8859-1, where every byte is a character) with a warning; UTF-16 and binary data are rejected.
//! - Delimiter: `,` or, when the header has no comma but has semicolons, `;`.
//! - `vencedor` that contradicts the score: the score is trusted and a warning is reported.
//! - Identical repeated rows collapse into one with a single summarising warning.
//! - The same `ID` with different content: the later row is an error (quarantined).
//! - The same match (date and the two clubs) under a different `ID`: the later line wins, with a warning.
//!
//! Layouts, detected from the header:
//! - the Brazilian data set's (`ID, rodata, data, mandante, …`), any column order;
//! - football-data.co.uk's "extra leagues" layout (`Country,League,Season,Date,Time,Home,Away,HG,AG,
//!   Res,PSCH,…,AvgCH,…`) and its main-leagues layout (`Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,
//!   FTR,…`), columns found by name. These have no ID and no round; their dates and times are UK
//!   time and are converted to Brasília time (UTC−3) when the time is given; closing odds
//!   (`PSCH/PSCD/PSCA`, `AvgCH/AvgCD/AvgCA`) are kept, a bad price is a warning that drops the
//!   prices of that bookmaker; a row without a score is a fixture, skipped with a note.
//!
//! With a [`ClubTable`] in the options, club names are resolved to their canonical spelling; a
//! near miss of a known club is an error naming the closest clubs (see [`crate::identity`]).

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveTime};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::identity::{ClubTable, Resolution};
use crate::matches::{ClosingOdds, Match, Odds1x2, Outcome, Price};

/// Columns a match CSV must have; a file missing any of them is rejected.
pub const REQUIRED_COLUMNS: [&str; 7] = [
    "ID",
    "rodata",
    "data",
    "mandante",
    "visitante",
    "mandante_Placar",
    "visitante_Placar",
];

/// Columns of the schema that may be absent (their values are then treated as empty).
pub const OPTIONAL_COLUMNS: [&str; 9] = [
    "hora",
    "formacao_mandante",
    "formacao_visitante",
    "tecnico_mandante",
    "tecnico_visitante",
    "vencedor",
    "arena",
    "mandante_Estado",
    "visitante_Estado",
];

/// Longest team name accepted, in characters; longer ones cannot be real.
pub const MAX_TEAM_NAME_CHARS: usize = 60;
/// Longest free-text value (coach, arena, state) accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 120;
/// Most goals one side may score in a match before the value is treated as impossible.
pub const MAX_GOALS: u16 = 30;
/// Highest round number accepted.
pub const MAX_ROUND: u16 = 999;
/// Earliest match date accepted.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1870, 1, 1) {
    Some(d) => d,
    None => panic!("valid constant"),
};

/// How serious a problem is: errors quarantine the row, warnings keep it, notes say what was
/// done with a row that is fine but not a result (a fixture) or a name seen for the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// 1-based physical line in the file; the header is line 1.
    pub line: u64,
    /// The column concerned, when one is.
    pub column: Option<String>,
    /// The offending value, as found (trimmed).
    pub value: String,
    pub severity: Severity,
    pub message: String,
}

impl Problem {
    /// A CSV the reader could not go on reading (at the error's line).
    pub(crate) fn unreadable(e: &csv::Error) -> Problem {
        Problem {
            line: e.position().map_or(0, |p| p.line()),
            column: None,
            value: String::new(),
            severity: Severity::Error,
            message: format!("unreadable CSV: {e}"),
        }
    }
}

/// What validation says about one file: the JSON of `futbr validate --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReport {
    pub file: String,
    /// Data rows read (the header excluded).
    pub rows_total: u64,
    /// Rows not quarantined (collapsed duplicates and skipped fixtures count as accepted).
    pub rows_accepted: u64,
    pub problems: Vec<Problem>,
    /// Why the whole file was rejected, if it was.
    pub rejected: Option<String>,
}

impl FileReport {
    /// The report of a file not read yet.
    pub fn empty(file: &str) -> FileReport {
        FileReport {
            file: file.to_string(),
            rows_total: 0,
            rows_accepted: 0,
            problems: Vec::new(),
            rejected: None,
        }
    }

    /// Exit status of `futbr validate`: 0 all rows accepted, 1 some quarantined, 2 file rejected.
    pub fn exit_code(&self) -> i32 {
        if self.rejected.is_some() {
            2
        } else if self.rows_accepted < self.rows_total {
            1
        } else {
            0
        }
    }

    /// Number of problems of one severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == severity)
            .count()
    }
}

/// The result of validating one file.
#[derive(Debug, Clone)]
pub struct ValidatedFile {
    pub report: FileReport,
    /// Valid matches in file order, deduplicated within the file.
    pub matches: Vec<Match>,
    /// The physical line (header = 1) of each match of `matches`.
    pub lines: Vec<u64>,
    /// The quarantined rows as CSV (the file's header, then each bad row), if any row was bad.
    pub quarantine_csv: Option<Vec<u8>>,
}

/// Settings of validation that come from outside the file.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// Matches dated after this day cannot have a result yet and are errors.
    pub today: NaiveDate,
    /// Resolves club names to one identity across sources; `None` keeps names as written.
    pub clubs: Option<Arc<ClubTable>>,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            today: chrono::Local::now().date_naive(),
            clubs: None,
        }
    }
}

impl ValidateOptions {
    /// Today's options with the club table that ships with the project.
    pub fn with_shipped_clubs() -> ValidateOptions {
        ValidateOptions {
            clubs: Some(Arc::new(ClubTable::shipped())),
            ..ValidateOptions::default()
        }
    }
}

/// Validates the bytes of one match CSV named `file` (used only in messages).
pub fn validate_csv(file: &str, bytes: &[u8], options: &ValidateOptions) -> ValidatedFile {
    let mut report = FileReport::empty(file);
    let reject = |mut report: FileReport, why: String| ValidatedFile {
        report: {
            report.rejected = Some(why);
            report
        },
        matches: Vec::new(),
        lines: Vec::new(),
        quarantine_csv: None,
    };

    let decoded;
    let text: &[u8] = match decode(bytes) {
        Decoded::Utf8(text) => text,
        Decoded::Latin1 { text, line } => {
            report.problems.push(Problem {
                line,
                column: None,
                value: String::new(),
                severity: Severity::Warning,
                message: "file is not valid UTF-8; decoded as Latin-1 (ISO-8859-1)".into(),
            });
            decoded = text;
            decoded.as_bytes()
        }
        Decoded::Rejected(why) => return reject(report, why),
    };

    let header_end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
    let header_line = &text[..header_end];
    let delimiter = if !header_line.contains(&b',') && header_line.contains(&b';') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text);
    let mut header = csv::ByteRecord::new();
    match reader.read_byte_record(&mut header) {
        Ok(true) => {}
        Ok(false) => return reject(report, "empty file: no header and no rows".into()),
        Err(e) => return reject(report, format!("unreadable CSV header: {e}")),
    }
    let layout = match Layout::locate(&header, &mut report.problems) {
        Ok(layout) => layout,
        Err(why) => return reject(report, why),
    };

    let mut ctx = RowContext {
        layout: &layout,
        options,
        interner: Interner::default(),
        width: header.len(),
        resolved: FxHashMap::default(),
    };
    // Sized from the header's length so that large files do not regrow their tables.
    let expected_rows = text.len() / (header_end + 1).max(64) + 16;
    let mut matches: Vec<Match> = Vec::with_capacity(expected_rows);
    let mut lines: Vec<u64> = Vec::with_capacity(expected_rows);
    let mut by_id: FxHashMap<u64, usize> = FxHashMap::default();
    by_id.reserve(expected_rows);
    // Team names are interned per file, so the pointers of the two names identify the pair.
    let mut by_key: FxHashMap<(NaiveDate, usize, usize), usize> = FxHashMap::default();
    by_key.reserve(expected_rows);
    let mut removed: Vec<bool> = Vec::with_capacity(expected_rows);
    let mut quarantined: Vec<csv::ByteRecord> = Vec::new();
    let mut collapsed = 0u64;
    let mut first_collapsed_line = 0u64;
    let ends_with_newline = text.last() == Some(&b'\n');

    let mut record = csv::ByteRecord::new();
    // After an unmatched quote the reader restarts on the next line: its lines and bytes then
    // count from there.
    let (mut base_line, mut base_byte) = (0u64, 0usize);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // Only I/O errors remain with a flexible byte reader over memory; stop, keep what we have.
                report.problems.push(Problem::unreadable(&e));
                break;
            }
        }
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // a blank line is not a row
        }
        report.rows_total += 1;
        let line = base_line + record.position().map_or(0, |p| p.line());
        let spans = reader.position().line() > record.position().map_or(0, |p| p.line()) + 1;
        if spans && record.iter().any(|f| f.contains(&b'\n')) {
            // A quote opened on this line and closed lines later (or never) swallowed the rows
            // after it: quarantine this line alone and read on from the next one.
            let start = base_byte + record.position().map_or(0, |p| p.byte() as usize);
            let end = text[start..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(text.len(), |i| start + i + 1);
            let own = &text[start..end];
            report.problems.push(Problem {
                line,
                column: None,
                value: String::from_utf8_lossy(own).trim().chars().take(80).collect(),
                severity: Severity::Error,
                message: format!(
                    "unmatched quote: the quoted field that begins on this line is not closed on it (it ran on to line {}); this line is quarantined and reading goes on at the next line",
                    base_line + reader.position().line().saturating_sub(1)
                ),
            });
            quarantined.push(csv::ByteRecord::from(vec![own
                .strip_suffix(b"\n")
                .unwrap_or(own)]));
            reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .has_headers(false)
                .from_reader(&text[end..]);
            base_line = line;
            base_byte = end;
            continue;
        }
        let at_end = base_byte + reader.position().byte() as usize >= text.len();
        let before = report.problems.len();
        match ctx.parse_row(
            &record,
            line,
            at_end && !ends_with_newline,
            &mut report.problems,
        ) {
            Row::Fixture => {}
            Row::Result(m) => {
                if let Some(&first) = m.id.and_then(|id| by_id.get(&id)) {
                    if !removed[first] && matches[first] == m {
                        collapsed += 1;
                        if first_collapsed_line == 0 {
                            first_collapsed_line = line;
                        }
                        report.problems.truncate(before); // its warnings were reported once already
                        continue;
                    }
                    if !removed[first] {
                        report.problems.push(Problem {
                            line,
                            column: Some("ID".into()),
                            value: m.id.map(|id| id.to_string()).unwrap_or_default(),
                            severity: Severity::Error,
                            message: format!(
                                "duplicate {} with different content (first seen at line {})",
                                m.label(),
                                lines[first]
                            ),
                        });
                        quarantined.push(record.clone());
                        continue;
                    }
                }
                let key = interned_key(&m);
                if let Some(&earlier) = by_key.get(&key) {
                    report.problems.push(Problem {
                        line,
                        column: None,
                        value: m.natural_key().to_string(),
                        severity: Severity::Warning,
                        message: match (matches[earlier].id, m.id) {
                            (Some(was), Some(id)) => format!(
                                "same match as line {} (ID {was}) under ID {id}; this later line wins",
                                lines[earlier]
                            ),
                            _ => format!(
                                "same match as line {}; this later line wins",
                                lines[earlier]
                            ),
                        },
                    });
                    removed[earlier] = true;
                }
                by_key.insert(key, matches.len());
                if let Some(id) = m.id {
                    by_id.insert(id, matches.len());
                }
                matches.push(m);
                lines.push(line);
                removed.push(false);
            }
            Row::Bad => quarantined.push(record.clone()),
        }
    }

    if report.rows_total == 0 {
        return reject(report, "header only: the file has no data rows".into());
    }
    if collapsed > 0 {
        report.problems.push(Problem {
            line: first_collapsed_line,
            column: None,
            value: String::new(),
            severity: Severity::Warning,
            message: format!(
                "{collapsed} identical repeated row(s) collapsed into one (first repeat at line {first_collapsed_line})"
            ),
        });
    }
    report.rows_accepted = report.rows_total - quarantined.len() as u64;
    if removed.iter().any(|&r| r) {
        let mut keep = removed.iter().map(|r| !r);
        matches.retain(|_| keep.next().unwrap_or(true));
        let mut keep = removed.iter().map(|r| !r);
        lines.retain(|_| keep.next().unwrap_or(true));
    }
    let quarantine_csv = (!quarantined.is_empty()).then(|| {
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        // Writing to a Vec cannot fail.
        let _ = writer.write_byte_record(&header);
        for row in &quarantined {
            let _ = writer.write_byte_record(row);
        }
        writer.into_inner().unwrap_or_default()
    });
    ValidatedFile {
        report,
        matches,
        lines,
        quarantine_csv,
    }
}

/// The natural key of a match whose names come from this file's interner: the date and the two
/// names' addresses in either order.
fn interned_key(m: &Match) -> (NaiveDate, usize, usize) {
    let a = Arc::as_ptr(&m.home) as *const u8 as usize;
    let b = Arc::as_ptr(&m.away) as *const u8 as usize;
    (m.date, a.min(b), a.max(b))
}

enum Decoded<'a> {
    Utf8(&'a [u8]),
    Latin1 { text: String, line: u64 },
    Rejected(String),
}

fn decode(bytes: &[u8]) -> Decoded<'_> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Decoded::Rejected("UTF-16 encoded file; save it as UTF-8".into());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Decoded::Rejected("empty file: no header and no rows".into());
    }
    // Binary files show NUL bytes early; a NUL further down fails its row as a control character.
    if let Some(at) = bytes[..bytes.len().min(8192)].iter().position(|&b| b == 0) {
        return Decoded::Rejected(format!(
            "binary data (NUL byte at offset {at}); not a match CSV"
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => Decoded::Utf8(bytes),
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            Decoded::Latin1 {
                text: bytes.iter().map(|&b| b as char).collect(),
                line,
            }
        }
    }
}

/// The layout of a file, detected from its header.
enum Layout {
    Brazilian(Columns),
    FootballData(FootballDataColumns),
}

impl Layout {
    fn locate(header: &csv::ByteRecord, problems: &mut Vec<Problem>) -> Result<Layout, String> {
        let names: Vec<String> = header
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect();
        if let Some(columns) = FootballDataColumns::locate(&names)? {
            return Ok(Layout::FootballData(columns));
        }
        Columns::locate(header, problems).map(Layout::Brazilian)
    }
}

/// The column names of one football-data.co.uk layout.
struct FootballDataNames {
    date: &'static str,
    home: &'static str,
    away: &'static str,
    home_goals: &'static str,
    away_goals: &'static str,
    result: &'static str,
}

/// The "extra leagues" layout (`new/BRA.csv`).
const EXTRA_LEAGUES: FootballDataNames = FootballDataNames {
    date: "Date",
    home: "Home",
    away: "Away",
    home_goals: "HG",
    away_goals: "AG",
    result: "Res",
};

/// The main-leagues layout (`mmz4281/2425/E0.csv`).
const MAIN_LEAGUES: FootballDataNames = FootballDataNames {
    date: "Date",
    home: "HomeTeam",
    away: "AwayTeam",
    home_goals: "FTHG",
    away_goals: "FTAG",
    result: "FTR",
};

/// The closing-odds columns kept: Pinnacle's and the market average's.
const PINNACLE_CLOSING: [&str; 3] = ["PSCH", "PSCD", "PSCA"];
const AVERAGE_CLOSING: [&str; 3] = ["AvgCH", "AvgCD", "AvgCA"];

/// Where football-data.co.uk's columns sit in the file; other columns are ignored.
struct FootballDataColumns {
    names: &'static FootballDataNames,
    date: usize,
    time: Option<usize>,
    home: usize,
    away: usize,
    home_goals: usize,
    away_goals: usize,
    result: Option<usize>,
    pinnacle: Option<[usize; 3]>,
    average: Option<[usize; 3]>,
}

impl FootballDataColumns {
    /// `Ok(None)` when the header is not football-data's; an error when it is but lacks a
    /// column a result needs.
    fn locate(names: &[String]) -> Result<Option<FootballDataColumns>, String> {
        let find = |name: &str| names.iter().position(|n| n == name);
        let layout = if find("HG").is_some() && find("AG").is_some() && find("Home").is_some() {
            &EXTRA_LEAGUES
        } else if find("FTHG").is_some() && find("HomeTeam").is_some() {
            &MAIN_LEAGUES
        } else {
            return Ok(None);
        };
        let required = [
            layout.date,
            layout.home,
            layout.away,
            layout.home_goals,
            layout.away_goals,
        ];
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| find(c).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "missing required column(s) of the football-data.co.uk layout: {}",
                missing.join(", ")
            ));
        }
        let triple = |columns: [&str; 3]| -> Option<[usize; 3]> {
            Some([find(columns[0])?, find(columns[1])?, find(columns[2])?])
        };
        let req = |name: &str| find(name).unwrap_or(usize::MAX);
        Ok(Some(FootballDataColumns {
            names: layout,
            date: req(layout.date),
            time: find("Time"),
            home: req(layout.home),
            away: req(layout.away),
            home_goals: req(layout.home_goals),
            away_goals: req(layout.away_goals),
            result: find(layout.result),
            pinnacle: triple(PINNACLE_CLOSING),
            average: triple(AVERAGE_CLOSING),
        }))
    }
}

/// Where each known column sits in the file.
struct Columns {
    id: usize,
    round: usize,
    date: usize,
    home: usize,
    away: usize,
    home_goals: usize,
    away_goals: usize,
    time: Option<usize>,
    home_formation: Option<usize>,
    away_formation: Option<usize>,
    home_coach: Option<usize>,
    away_coach: Option<usize>,
    winner: Option<usize>,
    arena: Option<usize>,
    home_state: Option<usize>,
    away_state: Option<usize>,
}

impl Columns {
    fn locate(header: &csv::ByteRecord, problems: &mut Vec<Problem>) -> Result<Columns, String> {
        let names: Vec<String> = header
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect();
        let find = |name: &str| names.iter().position(|n| n == name);
        let known = REQUIRED_COLUMNS.iter().chain(OPTIONAL_COLUMNS.iter());
        if !names.iter().any(|n| known.clone().any(|k| k == n)) {
            let shown: String = names.join(",").chars().take(80).collect();
            return Err(format!(
                "not a match CSV: the header ({shown}) has none of the expected columns ({})",
                REQUIRED_COLUMNS.join(", ")
            ));
        }
        let missing: Vec<&str> = REQUIRED_COLUMNS
            .iter()
            .copied()
            .filter(|c| find(c).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "missing required column(s): {}",
                missing.join(", ")
            ));
        }
        for (i, name) in names.iter().enumerate() {
            if !known.clone().any(|k| k == name) {
                problems.push(Problem {
                    line: 1,
                    column: Some(name.clone()),
                    value: name.clone(),
                    severity: Severity::Warning,
                    message: format!("unknown column {} ignored", i + 1),
                });
            } else if names[..i].contains(name) {
                problems.push(Problem {
                    line: 1,
                    column: Some(name.clone()),
                    value: name.clone(),
                    severity: Severity::Warning,
                    message: format!(
                        "column repeated at position {}; the first one is used",
                        i + 1
                    ),
                });
            }
        }
        for optional in OPTIONAL_COLUMNS {
            if find(optional).is_none() {
                problems.push(Problem {
                    line: 1,
                    column: Some(optional.into()),
                    value: String::new(),
                    severity: Severity::Warning,
                    message: "optional column absent; its values are treated as empty".into(),
                });
            }
        }
        let req = |name: &str| find(name).unwrap_or(usize::MAX);
        Ok(Columns {
            id: req("ID"),
            round: req("rodata"),
            date: req("data"),
            home: req("mandante"),
            away: req("visitante"),
            home_goals: req("mandante_Placar"),
            away_goals: req("visitante_Placar"),
            time: find("hora"),
            home_formation: find("formacao_mandante"),
            away_formation: find("formacao_visitante"),
            home_coach: find("tecnico_mandante"),
            away_coach: find("tecnico_visitante"),
            winner: find("vencedor"),
            arena: find("arena"),
            home_state: find("mandante_Estado"),
            away_state: find("visitante_Estado"),
        })
    }
}

/// Shares repeated strings (team names, states, arenas) between matches.
#[derive(Default)]
struct Interner(FxHashSet<Arc<str>>);

impl Interner {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(found) = self.0.get(s) {
            return found.clone();
        }
        let new: Arc<str> = Arc::from(s);
        self.0.insert(new.clone());
        new
    }
}

struct RowContext<'a> {
    layout: &'a Layout,
    options: &'a ValidateOptions,
    interner: Interner,
    width: usize,
    /// Club names as written → canonical name (`None`: a near miss, reported).
    resolved: FxHashMap<Arc<str>, Option<Arc<str>>>,
}

/// What one data row turned out to be.
// Moved once per row; boxing the match would cost an allocation per row on the hot path.
#[allow(clippy::large_enum_variant)]
enum Row {
    Result(Match),
    /// A match without a score (not played yet, or never): skipped with a note.
    Fixture,
    /// Quarantined; its problems are reported.
    Bad,
}

/// Collects the problems of one row.
struct RowProblems<'a> {
    line: u64,
    problems: &'a mut Vec<Problem>,
    errors: usize,
}

impl RowProblems<'_> {
    fn push(&mut self, column: &str, value: &str, severity: Severity, message: String) {
        if severity == Severity::Error {
            self.errors += 1;
        }
        self.problems.push(Problem {
            line: self.line,
            column: Some(column.to_string()),
            value: value.to_string(),
            severity,
            message,
        });
    }
}

impl RowContext<'_> {
    fn parse_row(
        &mut self,
        record: &csv::ByteRecord,
        line: u64,
        is_unterminated_last: bool,
        problems: &mut Vec<Problem>,
    ) -> Row {
        if record.len() != self.width {
            let message = if is_unterminated_last && record.len() < self.width {
                format!(
                    "truncated last line: {} of {} fields and no final newline",
                    record.len(),
                    self.width
                )
            } else {
                format!(
                    "row has {} fields, the header has {}",
                    record.len(),
                    self.width
                )
            };
            // The fields as the line gave them (the record keeps them without delimiters).
            let value = record
                .iter()
                .map(String::from_utf8_lossy)
                .collect::<Vec<_>>()
                .join(",");
            problems.push(Problem {
                line,
                column: None,
                value: value.chars().take(200).collect(),
                severity: Severity::Error,
                message,
            });
            return Row::Bad;
        }
        let mut p = RowProblems {
            line,
            problems,
            errors: 0,
        };
        let row = match self.layout {
            Layout::Brazilian(columns) => self.parse_brazilian(columns, record, &mut p),
            Layout::FootballData(columns) => self.parse_football_data(columns, record, &mut p),
        };
        match row {
            Row::Result(m) if p.errors == 0 => Row::Result(m),
            Row::Fixture => Row::Fixture,
            _ => Row::Bad,
        }
    }

    fn parse_brazilian(
        &mut self,
        c: &Columns,
        record: &csv::ByteRecord,
        p: &mut RowProblems,
    ) -> Row {
        // The whole file is valid UTF-8 and the CSV splits fields on ASCII bytes, so the record's
        // bytes are UTF-8 and every field range falls on character boundaries: check once per row.
        let all = std::str::from_utf8(record.as_slice()).unwrap_or_default();
        let field = |i: usize| -> &str {
            record
                .range(i)
                .and_then(|r| all.get(r))
                .unwrap_or_default()
                .trim_ascii()
        };
        let opt_field = |i: Option<usize>| i.map(field).unwrap_or("");

        let id = parse_id(field(c.id), p);
        let round = parse_round(field(c.round), p);
        let date = self.parse_date(field(c.date), p);
        let time = parse_time(opt_field(c.time), p);
        let home = self.team("mandante", field(c.home), p);
        let away = self.team("visitante", field(c.away), p);
        if let (Some(h), Some(a)) = (&home, &away) {
            if same_name(h, a) {
                p.push(
                    "visitante",
                    a,
                    Severity::Error,
                    "home and away are the same club".into(),
                );
            }
        }
        let home_goals = parse_goals("mandante_Placar", field(c.home_goals), p);
        let away_goals = parse_goals("visitante_Placar", field(c.away_goals), p);
        let home_formation = self.formation("formacao_mandante", opt_field(c.home_formation), p);
        let away_formation = self.formation("formacao_visitante", opt_field(c.away_formation), p);
        let home_coach = self.text("tecnico_mandante", opt_field(c.home_coach), p);
        let away_coach = self.text("tecnico_visitante", opt_field(c.away_coach), p);
        let arena = self.text("arena", opt_field(c.arena), p);
        let home_state = self.text("mandante_Estado", opt_field(c.home_state), p);
        let away_state = self.text("visitante_Estado", opt_field(c.away_state), p);

        let (
            Some(id),
            Some(round),
            Some(date),
            Some(time),
            Some(home),
            Some(away),
            Some(home_goals),
            Some(away_goals),
        ) = (id, round, date, time, home, away, home_goals, away_goals)
        else {
            return Row::Bad;
        };
        if c.winner.is_some() {
            check_winner(opt_field(c.winner), &home, &away, home_goals, away_goals, p);
        }
        if p.errors > 0 {
            return Row::Bad;
        }
        Row::Result(Match {
            id: Some(id),
            season: 0,
            round,
            date,
            time,
            home,
            away,
            home_formation,
            away_formation,
            home_coach,
            away_coach,
            arena,
            home_goals,
            away_goals,
            home_state,
            away_state,
            odds: None,
        })
    }

    fn parse_football_data(
        &mut self,
        c: &FootballDataColumns,
        record: &csv::ByteRecord,
        p: &mut RowProblems,
    ) -> Row {
        let all = std::str::from_utf8(record.as_slice()).unwrap_or_default();
        let field = |i: usize| -> &str {
            record
                .range(i)
                .and_then(|r| all.get(r))
                .unwrap_or_default()
                .trim_ascii()
        };
        let names = c.names;
        let (hg, ag) = (field(c.home_goals), field(c.away_goals));
        if hg.is_empty() && ag.is_empty() {
            p.push(
                names.home_goals,
                "",
                Severity::Note,
                format!(
                    "fixture without a score ({} x {} on {}): not a result, skipped",
                    field(c.home),
                    field(c.away),
                    field(c.date)
                ),
            );
            return Row::Fixture;
        }
        let date = match parse_day_month_year(field(c.date)) {
            Some(date) => self.check_date(names.date, field(c.date), date, p),
            None => {
                p.push(
                    names.date,
                    field(c.date),
                    Severity::Error,
                    bad_date("dd/mm/yyyy or dd/mm/yy", field(c.date)),
                );
                None
            }
        };
        let time = c
            .time
            .and_then(|i| parse_time_in("Time", field(i), p))
            .flatten();
        let home = self.team(names.home, field(c.home), p);
        let away = self.team(names.away, field(c.away), p);
        if let (Some(h), Some(a)) = (&home, &away) {
            if same_name(h, a) {
                p.push(
                    names.away,
                    a,
                    Severity::Error,
                    "home and away are the same club".into(),
                );
            }
        }
        let home_goals = parse_goals(names.home_goals, hg, p);
        let away_goals = parse_goals(names.away_goals, ag, p);
        let odds = ClosingOdds {
            pinnacle: c
                .pinnacle
                .and_then(|at| prices(at.map(field), PINNACLE_CLOSING, p)),
            average: c
                .average
                .and_then(|at| prices(at.map(field), AVERAGE_CLOSING, p)),
        };
        let (Some(date), Some(home), Some(away), Some(home_goals), Some(away_goals)) =
            (date, home, away, home_goals, away_goals)
        else {
            return Row::Bad;
        };
        if let Some(i) = c.result {
            let expected = Outcome::from_score(home_goals, away_goals);
            let written = field(i);
            let code = match written {
                "H" => Some(Outcome::Home),
                "D" => Some(Outcome::Draw),
                "A" => Some(Outcome::Away),
                _ => None,
            };
            if code != Some(expected) {
                p.push(
                    names.result,
                    written,
                    Severity::Warning,
                    format!(
                        "result '{written}' contradicts the score {home_goals}-{away_goals} (expected '{}'); the score is trusted",
                        expected.code()
                    ),
                );
            }
        }
        // football-data.co.uk dates and times are UK time; the product's clock is Brasília's.
        let (date, time) = match time {
            Some(t) => {
                let local = uk_to_brasilia(date.and_time(t));
                (local.date(), Some(local.time()))
            }
            None => (date, None),
        };
        let state = |club: &str| -> Arc<str> {
            let table = self.options.clubs.as_deref();
            let found = table.and_then(|t| t.known(club)).map(|c| c.state.clone());
            found.unwrap_or_else(|| Arc::from(""))
        };
        let (home_state, away_state) = (state(&home), state(&away));
        let empty = self.interner.get("");
        Row::Result(Match {
            id: None,
            season: 0,
            round: 0,
            date,
            time,
            home,
            away,
            home_formation: None,
            away_formation: None,
            home_coach: empty.clone(),
            away_coach: empty.clone(),
            arena: empty,
            home_goals,
            away_goals,
            home_state: self.interner.get(&home_state),
            away_state: self.interner.get(&away_state),
            odds: (!odds.is_empty()).then_some(odds),
        })
    }

    /// Checks that a parsed date can hold a result: not after today, not before 1870.
    fn check_date(
        &self,
        column: &str,
        s: &str,
        date: NaiveDate,
        p: &mut RowProblems,
    ) -> Option<NaiveDate> {
        if date > self.options.today {
            p.push(
                column,
                s,
                Severity::Error,
                format!(
                    "date is after today ({}): a result cannot exist yet",
                    self.options.today.format("%d/%m/%Y")
                ),
            );
            return None;
        }
        if date < EARLIEST_DATE {
            p.push(
                column,
                s,
                Severity::Error,
                format!("implausible year {}", date.year()),
            );
            return None;
        }
        Some(date)
    }

    fn parse_date(&self, s: &str, p: &mut RowProblems) -> Option<NaiveDate> {
        let Some(date) = parse_ddmmyyyy(s) else {
            p.push("data", s, Severity::Error, bad_date("dd/mm/yyyy", s));
            return None;
        };
        self.check_date("data", s, date, p)
    }

    fn team(&mut self, column: &str, s: &str, p: &mut RowProblems) -> Option<Arc<str>> {
        if s.is_empty() {
            p.push(column, s, Severity::Error, "team name is empty".into());
            return None;
        }
        if s.len() > MAX_TEAM_NAME_CHARS && s.chars().count() > MAX_TEAM_NAME_CHARS {
            p.push(
                column,
                &s.chars().take(80).collect::<String>(),
                Severity::Error,
                format!("team name longer than {MAX_TEAM_NAME_CHARS} characters"),
            );
            return None;
        }
        if s.chars().any(char::is_control) {
            p.push(
                column,
                s,
                Severity::Error,
                "team name has control characters".into(),
            );
            return None;
        }
        let written = self.interner.get(s);
        let Some(table) = self.options.clubs.as_deref() else {
            return Some(written);
        };
        if let Some(resolved) = self.resolved.get(&written) {
            if resolved.is_none() {
                report_near_miss(table, column, s, p);
            }
            return resolved.clone();
        }
        let resolved = match table.resolve(s) {
            Resolution::Known(club) => Some(self.interner.get(&club)),
            Resolution::New => {
                p.push(
                    column,
                    s,
                    Severity::Note,
                    format!("club '{s}' is not in the club table: taken as a new club (first seen here)"),
                );
                Some(written.clone())
            }
            Resolution::NearMiss(_) => {
                report_near_miss(table, column, s, p);
                None
            }
        };
        self.resolved.insert(written, resolved.clone());
        resolved
    }

    fn text(&mut self, column: &str, s: &str, p: &mut RowProblems) -> Arc<str> {
        if (s.len() > MAX_TEXT_CHARS && s.chars().count() > MAX_TEXT_CHARS)
            || s.bytes().any(|b| b < 0x20 || b == 0x7f)
        {
            p.push(
                column,
                &s.chars().take(80).collect::<String>(),
                Severity::Error,
                format!("value longer than {MAX_TEXT_CHARS} characters or with control characters"),
            );
        }
        self.interner.get(s)
    }

    fn formation(&mut self, column: &str, s: &str, p: &mut RowProblems) -> Option<Arc<str>> {
        if s.is_empty() {
            return None;
        }
        let (well_formed, parts) = formation_shape(s);
        if !(well_formed && (2..=6).contains(&parts)) {
            p.push(
                column,
                s,
                Severity::Warning,
                "unrecognised formation (expected 2 to 6 lines of 1 to 9 players joined by '-', e.g. 4-3-3); treated as unknown".into(),
            );
            return None;
        }
        if s.contains(' ') {
            return Some(self.interner.get(&s.replace(' ', "")));
        }
        Some(self.interner.get(s))
    }
}

/// A name close to known clubs but not one of their spellings: an error naming the closest.
fn report_near_miss(table: &ClubTable, column: &str, s: &str, p: &mut RowProblems) {
    let closest = match table.resolve(s) {
        Resolution::NearMiss(clubs) => clubs.join(", "),
        _ => String::new(),
    };
    p.push(
        column,
        s,
        Severity::Error,
        format!(
            "unknown club '{s}', close to known club(s) {closest}: if it is one of them, add the spelling to the club table (config/clubs.csv in the lake); if it is a new club, add it there"
        ),
    );
}

/// The three prices of one bookmaker, or `None` with a warning when any is unusable; all empty
/// is simply no prices.
fn prices(values: [&str; 3], columns: [&str; 3], p: &mut RowProblems) -> Option<Odds1x2> {
    if values.iter().all(|v| v.is_empty()) {
        return None;
    }
    let mut parsed = [None; 3];
    for i in 0..3 {
        parsed[i] = Price::parse(values[i]);
        if parsed[i].is_none() {
            p.push(
                columns[i],
                values[i],
                Severity::Warning,
                format!(
                    "not a decimal price above 1 (e.g. 2.35); the {}/{}/{} prices of this row are dropped",
                    columns[0], columns[1], columns[2]
                ),
            );
            return None;
        }
    }
    let [Some(home), Some(draw), Some(away)] = parsed else {
        return None;
    };
    let odds = Odds1x2 { home, draw, away };
    // Real closing books carry a margin of 0–15 %; outside a wide band the prices are garbage.
    let book = odds.implied().iter().sum::<f64>();
    if !(0.95..=1.5).contains(&book) {
        p.push(
            columns[0],
            &format!("{}/{}/{}", values[0], values[1], values[2]),
            Severity::Warning,
            format!(
                "implausible prices: implied probabilities sum to {book:.3} (a real book is 1.00–1.15); dropped"
            ),
        );
        return None;
    }
    Some(odds)
}

/// Converts a UK wall-clock time (GMT, or BST from the last Sunday of March to the last Sunday
/// of October, 01:00 UTC) to Brasília time (UTC−3; Brazil's daylight saving time, abolished in
/// 2019, is not modelled: it moved kick-offs by one hour, never across midnight in practice).
pub fn uk_to_brasilia(uk: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    let year = uk.date().year();
    let last_sunday = |month: u32| -> chrono::NaiveDateTime {
        let last = NaiveDate::from_ymd_opt(year, month, 31).unwrap_or(NaiveDate::MIN);
        let back = last.weekday().num_days_from_sunday();
        (last - chrono::Duration::days(i64::from(back)))
            .and_hms_opt(1, 0, 0)
            .unwrap_or_default()
    };
    // Compare in UTC: as GMT wall time, BST starts at 01:00 and ends at 02:00 (01:00 UTC).
    let summer = uk >= last_sunday(3) && uk - chrono::Duration::hours(1) < last_sunday(10);
    let utc = if summer {
        uk - chrono::Duration::hours(1)
    } else {
        uk
    };
    utc - chrono::Duration::hours(3)
}

/// Whether a formation is digits 1–9 joined by `-` (spaces allowed around them), and its part count.
/// Why a date did not parse: three numbers that name no day (31/02/2025) are told apart from
/// text of another shape.
fn bad_date(expected: &str, s: &str) -> String {
    let parts: Vec<&str> = s.split('/').collect();
    let numeric = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if numeric {
        format!("no such day in the calendar (a date {expected})")
    } else {
        format!("expected a date {expected}")
    }
}

fn formation_shape(s: &str) -> (bool, usize) {
    let mut parts = 0;
    let mut expect_digit = true;
    for b in s.bytes() {
        match b {
            b' ' => {}
            b'1'..=b'9' if expect_digit => {
                parts += 1;
                expect_digit = false;
            }
            b'-' if !expect_digit => expect_digit = true,
            _ => return (false, parts),
        }
    }
    (!expect_digit, parts)
}

/// Whether two club names are the same ignoring case.
fn same_name(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_id(s: &str, p: &mut RowProblems) -> Option<u64> {
    let id = digits(s);
    if id.is_none() {
        p.push(
            "ID",
            s,
            Severity::Error,
            "ID must be a non-negative integer".into(),
        );
    }
    id
}

fn parse_round(s: &str, p: &mut RowProblems) -> Option<u16> {
    match digits(s) {
        Some(r) if (1..=MAX_ROUND as u64).contains(&r) => Some(r as u16),
        _ => {
            p.push(
                "rodata",
                s,
                Severity::Error,
                format!("round must be an integer from 1 to {MAX_ROUND}"),
            );
            None
        }
    }
}

fn parse_goals(column: &str, s: &str, p: &mut RowProblems) -> Option<u16> {
    match digits(s) {
        Some(g) if g <= MAX_GOALS as u64 => Some(g as u16),
        Some(_) => {
            p.push(
                column,
                s,
                Severity::Error,
                format!("more than {MAX_GOALS} goals cannot be real"),
            );
            None
        }
        None => {
            p.push(
                column,
                s,
                Severity::Error,
                "score must be a non-negative integer".into(),
            );
            None
        }
    }
}

/// `Some(None)` for an empty time, `Some(Some(t))` for a valid one, `None` for an invalid one.
fn parse_time(s: &str, p: &mut RowProblems) -> Option<Option<NaiveTime>> {
    parse_time_in("hora", s, p)
}

fn parse_time_in(column: &str, s: &str, p: &mut RowProblems) -> Option<Option<NaiveTime>> {
    if s.is_empty() {
        return Some(None);
    }
    let parsed = s.split_once(':').and_then(|(h, m)| {
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return None;
        }
        NaiveTime::from_hms_opt(digits(h)? as u32, digits(m)? as u32, 0)
    });
    if parsed.is_none() {
        p.push(
            column,
            s,
            Severity::Error,
            "expected a time HH:MM or nothing".into(),
        );
        return None;
    }
    Some(parsed)
}

/// Parses `dd/mm/yyyy` (one-digit day and month accepted).
pub fn parse_ddmmyyyy(s: &str) -> Option<NaiveDate> {
    if let [d1, d2, b'/', m1, m2, b'/', y1, y2, y3, y4] = *s.as_bytes() {
        // The common shape, without splitting.
        let n = |digits: &[u8]| -> Option<u32> {
            digits.iter().try_fold(0u32, |acc, &b| {
                b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
            })
        };
        return NaiveDate::from_ymd_opt(n(&[y1, y2, y3, y4])? as i32, n(&[m1, m2])?, n(&[d1, d2])?);
    }
    let mut parts = s.split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || d.len() > 2 || m.len() > 2 || y.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(digits(y)? as i32, digits(m)? as u32, digits(d)? as u32)
}

/// Parses football-data.co.uk's `dd/mm/yyyy` or `dd/mm/yy` (years 00–69 are 20xx, 70–99 19xx).
pub fn parse_day_month_year(s: &str) -> Option<NaiveDate> {
    if let Some(date) = parse_ddmmyyyy(s) {
        return Some(date);
    }
    let (rest, yy) = s.rsplit_once('/')?;
    if yy.len() != 2 {
        return None;
    }
    let yy = digits(yy)? as i32;
    let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
    parse_ddmmyyyy(&format!("{rest}/{year}"))
}

fn check_winner(winner: &str, home: &str, away: &str, hg: u16, ag: u16, p: &mut RowProblems) {
    let expected = match Outcome::from_score(hg, ag) {
        Outcome::Home => home,
        Outcome::Draw => "-",
        Outcome::Away => away,
    };
    if winner == expected {
        return;
    }
    let message = if winner.is_empty() {
        format!("vencedor is empty; the score {hg}-{ag} gives '{expected}'")
    } else {
        format!("vencedor '{winner}' contradicts the score {hg}-{ag} (expected '{expected}'); the score is trusted")
    };
    p.push("vencedor", winner, Severity::Warning, message);
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_row_with_too_few_fields_is_quoted_with_its_commas() {
        let csv = format!("{}\n9007,2,11/04/2025\n", crate::synthetic::HEADER);
        let v = super::validate_csv("t.csv", csv.as_bytes(), &Default::default());
        let p = &v.report.problems[0];
        assert_eq!((p.line, p.value.as_str()), (2, "9007,2,11/04/2025"));
    }

    #[test]
    fn a_date_that_is_no_day_is_told_apart_from_one_of_another_shape() {
        assert_eq!(
            super::bad_date("dd/mm/yyyy", "31/02/2025"),
            "no such day in the calendar (a date dd/mm/yyyy)"
        );
        assert_eq!(
            super::bad_date("dd/mm/yyyy", "2025-02-28"),
            "expected a date dd/mm/yyyy"
        );
        assert_eq!(
            super::bad_date("dd/mm/yyyy", "3l/02/2025"),
            "expected a date dd/mm/yyyy"
        );
    }

    use super::*;

    const HEADER: &str = "ID,rodata,data,hora,mandante,visitante,formacao_mandante,formacao_visitante,tecnico_mandante,tecnico_visitante,vencedor,arena,mandante_Placar,visitante_Placar,mandante_Estado,visitante_Estado";

    fn opts() -> ValidateOptions {
        ValidateOptions {
            today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            clubs: None,
        }
    }

    fn check(rows: &[&str]) -> ValidatedFile {
        let text = format!("{HEADER}\n{}\n", rows.join("\n"));
        validate_csv("t.csv", text.as_bytes(), &opts())
    }

    fn only_problem(v: &ValidatedFile) -> &Problem {
        assert_eq!(v.report.problems.len(), 1, "{:#?}", v.report.problems);
        &v.report.problems[0]
    }

    const GOOD: &str = "1,1,29/03/2003,16:00,Guarani,Vasco,,,,,Guarani, Brinco de Ouro,4,2,SP,RJ";

    #[test]
    fn an_unmatched_quote_costs_one_line_not_the_rest_of_the_file() {
        let league = crate::synthetic::csv_bytes(&crate::synthetic::LeagueShape::serie_a(2));
        let text = String::from_utf8(league).unwrap();
        let mut lines: Vec<String> = text.lines().take(401).map(String::from).collect();
        // Line 11 (row 10): an arena opened with a quote that never closes.
        lines[10] = lines[10].replacen(",Estadio", ",\"Estadio", 1);
        assert!(lines[10].contains("\"Estadio"), "{}", lines[10]);
        let file = format!("{}\n", lines.join("\n"));
        let v = validate_csv("q.csv", file.as_bytes(), &opts());
        assert_eq!(v.report.rows_total, 400);
        assert_eq!(v.report.rows_accepted, 399, "{:#?}", v.report.problems);
        let p = only_problem(&v);
        assert_eq!(p.line, 11);
        assert!(p.message.starts_with("unmatched quote"), "{}", p.message);
        // The rows after it keep their own line numbers.
        lines[20] = lines[20].replacen(",1,", ",x,", 1);
        let file = format!("{}\n", lines.join("\n"));
        let v = validate_csv("q.csv", file.as_bytes(), &opts());
        let lines_reported: Vec<u64> = v.report.problems.iter().map(|p| p.line).collect();
        assert!(lines_reported.contains(&21), "{:#?}", v.report.problems);
    }

    #[test]
    fn a_good_row_is_accepted_and_trimmed() {
        let v = check(&[GOOD]);
        assert!(v.report.problems.is_empty());
        assert_eq!(v.report.exit_code(), 0);
        let m = &v.matches[0];
        assert_eq!(&*m.arena, "Brinco de Ouro");
        assert_eq!(m.outcome(), Outcome::Home);
        assert_eq!(m.time, NaiveTime::from_hms_opt(16, 0, 0));
    }

    #[test]
    fn each_bad_value_names_line_column_and_value() {
        let cases = [
            (
                "1,1,2003-03-29,16:00,A,B,,,,,A,x,1,0,SP,RJ",
                "data",
                "2003-03-29",
            ),
            (
                "1,1,31/02/2003,16:00,A,B,,,,,A,x,1,0,SP,RJ",
                "data",
                "31/02/2003",
            ),
            (
                "1,1,01/01/2030,16:00,A,B,,,,,A,x,1,0,SP,RJ",
                "data",
                "01/01/2030",
            ),
            (
                "1,1,01/01/2003,25:00,A,B,,,,,A,x,1,0,SP,RJ",
                "hora",
                "25:00",
            ),
            ("1,1,01/01/2003,16h,A,B,,,,,A,x,1,0,SP,RJ", "hora", "16h"),
            (
                "1,1,01/01/2003,16:00,A,B,,,,,A,x,-1,0,SP,RJ",
                "mandante_Placar",
                "-1",
            ),
            (
                "1,1,01/01/2003,16:00,A,B,,,,,A,x,1.5,0,SP,RJ",
                "mandante_Placar",
                "1.5",
            ),
            (
                "1,1,01/01/2003,16:00,A,B,,,,,A,x,1,99,SP,RJ",
                "visitante_Placar",
                "99",
            ),
            (
                "1,1,01/01/2003,16:00,A,A,,,,,A,x,1,0,SP,RJ",
                "visitante",
                "A",
            ),
            ("1,1,01/01/2003,16:00,,B,,,,,A,x,1,0,SP,RJ", "mandante", ""),
            ("x,1,01/01/2003,16:00,A,B,,,,,A,x,1,0,SP,RJ", "ID", "x"),
            ("1,0,01/01/2003,16:00,A,B,,,,,A,x,1,0,SP,RJ", "rodata", "0"),
        ];
        for (row, column, value) in cases {
            let v = check(&[row]);
            let p = only_problem(&v);
            assert_eq!(
                (p.line, p.column.as_deref(), p.value.as_str()),
                (2, Some(column), value),
                "{row}"
            );
            assert_eq!(p.severity, Severity::Error);
            assert_eq!(v.report.exit_code(), 1);
            assert!(v.matches.is_empty());
            assert!(v.quarantine_csv.is_some());
        }
    }

    #[test]
    fn absurdly_long_team_name_is_an_error() {
        let long = "X".repeat(200);
        let row = format!("1,1,01/01/2003,16:00,{long},B,,,,,B,x,0,1,SP,RJ");
        let v = check(&[&row]);
        assert_eq!(only_problem(&v).column.as_deref(), Some("mandante"));
    }

    #[test]
    fn winner_contradicting_score_trusts_the_score_with_a_warning() {
        // The real file's ID 1114: Brasiliense 0-1 Vasco with vencedor "-".
        let v = check(&["1114,1,24/04/2005,16:00,Brasiliense,Vasco,,,,,-,x,0,1,DF,RJ"]);
        let p = only_problem(&v);
        assert_eq!(
            (p.severity, p.column.as_deref(), p.value.as_str()),
            (Severity::Warning, Some("vencedor"), "-")
        );
        assert_eq!(v.matches[0].outcome(), Outcome::Away);
        assert_eq!(v.report.exit_code(), 0);
    }

    #[test]
    fn good_rows_survive_beside_bad_ones() {
        let v = check(&[
            GOOD,
            "2,1,xx,16:00,A,B,,,,,A,x,1,0,SP,RJ",
            "3,1,30/03/2003,,C,D,4-4-2,4-1-2-1-2,,,-,x,1,1,SP,SP",
        ]);
        assert_eq!(v.matches.len(), 2);
        assert_eq!((v.report.rows_total, v.report.rows_accepted), (3, 2));
        assert_eq!(v.report.problems[0].line, 3);
        let q = String::from_utf8(v.quarantine_csv.unwrap()).unwrap();
        assert_eq!(q.lines().count(), 2);
        assert!(q.lines().nth(1).unwrap().starts_with("2,1,xx"));
        assert_eq!(v.matches[1].away_formation.as_deref(), Some("4-1-2-1-2"));
    }

    #[test]
    fn identical_rows_collapse_with_one_warning() {
        let v = check(&[GOOD, GOOD, GOOD]);
        assert_eq!(v.matches.len(), 1);
        let p = only_problem(&v);
        assert_eq!(p.line, 3);
        assert!(p.message.starts_with("2 identical"), "{}", p.message);
        assert_eq!(v.report.exit_code(), 0);
    }

    #[test]
    fn duplicate_id_with_different_content_is_flagged() {
        let v = check(&[GOOD, "1,1,30/03/2003,16:00,C,D,,,,,C,x,1,0,SP,RJ"]);
        let p = only_problem(&v);
        assert_eq!(
            (p.line, p.column.as_deref(), p.severity),
            (3, Some("ID"), Severity::Error)
        );
        assert_eq!(v.matches.len(), 1);
    }

    #[test]
    fn same_match_under_another_id_keeps_the_later_line() {
        let v = check(&[
            GOOD,
            "7,1,29/03/2003,16:00,Guarani,Vasco,,,,,-, Brinco de Ouro,2,2,SP,RJ",
        ]);
        assert_eq!(only_problem(&v).severity, Severity::Warning);
        assert_eq!(v.matches.len(), 1);
        assert_eq!(v.matches[0].id, Some(7));
    }

    #[test]
    fn missing_required_column_rejects_the_file_naming_it() {
        let text = "ID,rodata,data,mandante,visitante,mandante_Placar\n1,1,01/01/2003,A,B,1\n";
        let v = validate_csv("t.csv", text.as_bytes(), &opts());
        assert_eq!(
            v.report.rejected.as_deref(),
            Some("missing required column(s): visitante_Placar")
        );
        assert_eq!(v.report.exit_code(), 2);
    }

    #[test]
    fn unknown_columns_are_ignored_with_a_warning() {
        let text = format!("{HEADER},publico\n{GOOD},30000\n");
        let v = validate_csv("t.csv", text.as_bytes(), &opts());
        let p = only_problem(&v);
        assert_eq!((p.line, p.column.as_deref()), (1, Some("publico")));
        assert_eq!(v.matches.len(), 1);
    }

    #[test]
    fn not_a_match_csv_is_rejected_whole() {
        for (bytes, why) in [
            (&b""[..], "empty file"),
            (&b"\xEF\xBB\xBF\n\n"[..], "empty file"),
            (&b"\x00\x01\x02binary"[..], "binary data"),
            (&b"\xFF\xFEI\x00D\x00"[..], "UTF-16"),
            (&b"a,b,c\n1,2,3\n"[..], "not a match CSV"),
            (HEADER.as_bytes(), "header only"),
        ] {
            let v = validate_csv("t.csv", bytes, &opts());
            let rejected = v.report.rejected.unwrap_or_default();
            assert!(rejected.starts_with(why), "{rejected}");
            assert!(v.matches.is_empty());
        }
    }

    #[test]
    fn truncated_last_line_is_reported() {
        let text = format!("{HEADER}\n{GOOD}\n2,1,30/03/2003,16:00,C,D,,");
        let v = validate_csv("t.csv", text.as_bytes(), &opts());
        let p = only_problem(&v);
        assert_eq!(p.line, 3);
        assert!(
            p.message.starts_with("truncated last line"),
            "{}",
            p.message
        );
        assert_eq!(v.matches.len(), 1);
    }

    #[test]
    fn bom_crlf_quotes_and_semicolons_are_read() {
        let quoted = format!(
            "\u{FEFF}{}\r\n\"{}\"\r\n",
            HEADER.replace(',', "\",\"").replacen("ID", "\"ID", 1) + "\"",
            GOOD.replace(',', "\",\"")
        );
        let v = validate_csv("t.csv", quoted.as_bytes(), &opts());
        assert!(v.report.problems.is_empty(), "{:?}", v.report.problems);
        assert_eq!(v.matches.len(), 1);
        let semi = format!("{}\n{}\n", HEADER.replace(',', ";"), GOOD.replace(',', ";"));
        let v = validate_csv("t.csv", semi.as_bytes(), &opts());
        assert_eq!(v.matches.len(), 1);
    }

    #[test]
    fn latin1_is_decoded_with_a_warning() {
        let mut bytes = format!("{HEADER}\n").into_bytes();
        bytes.extend_from_slice(b"1,1,29/03/2003,16:00,Gr\xeamio,Vasco,,,,,-,x,1,1,RS,RJ\n");
        let v = validate_csv("t.csv", &bytes, &opts());
        let p = only_problem(&v);
        assert_eq!((p.line, p.severity), (2, Severity::Warning));
        assert_eq!(&*v.matches[0].home, "Grêmio");
    }

    #[test]
    fn bad_formation_is_a_warning_and_unknown() {
        let v = check(&["1,1,29/03/2003,16:00,A,B,4-4-x,,,,A,x,1,0,SP,RJ"]);
        assert_eq!(only_problem(&v).severity, Severity::Warning);
        assert_eq!(v.matches[0].home_formation, None);
    }
}

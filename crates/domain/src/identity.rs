//! One club identity across sources: the club table.
//!
//! The sources spell clubs differently (the Brazilian data set's `Flamengo`, football-data.co.uk's
//! `Flamengo RJ`). The table maps every known spelling to one canonical name, the Brazilian data
//! set's. It ships with the project (`data/clubs.csv`: `club,state,aliases[,display]` with aliases
//! separated by `|`, and the name as people write it, accents included, when it differs from the
//! data set's unaccented spelling) and a lake may extend it with a file of the same format
//! (`config/clubs.csv`). The display name is for showing only: matching stays accent-insensitive.
//!
//! Built on [`crate::clubs`]: spellings are compared by their [`fold`]ed form and the closest
//! names reported are [`ClubDirectory::closest`]'s, the same the CLI and the API give for a
//! typed name ([`ClubTable::add_aliases_to`] puts the table's spellings into such a directory).
//!
//! Resolving a name (see [`ClubTable::resolve`]):
//! - a known spelling, compared case-, accent- and punctuation-insensitively (`botafogo rj` is
//!   `Botafogo-RJ`), gives its canonical club;
//! - a name close to a known spelling (a typo, or a known name with a word added) is a
//!   **near miss**: it is not made a new club silently; the caller reports it with the closest
//!   known names;
//! - anything else is a new club, kept under its own name.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::clubs::{fold, ClubDirectory};
use crate::matches::Team;

/// The table that ships with the project.
pub const SHIPPED_CSV: &str = include_str!("../data/clubs.csv");

/// One club of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Club {
    /// The canonical name (the Brazilian data set's spelling).
    pub name: Team,
    /// Federation state, e.g. `RJ`; empty when unknown.
    pub state: Arc<str>,
    /// The name as shown to people (`São Paulo`); empty: the canonical name.
    pub display: Arc<str>,
}

/// What a name resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A known spelling of this club.
    Known(Team),
    /// Not a known spelling, but close to these known clubs (closest first).
    NearMiss(Vec<Team>),
    /// Far from every known club: a new club.
    New,
}

/// A problem in a club table file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}: {message}")]
pub struct TableError {
    pub file: String,
    pub line: u64,
    pub message: String,
}

/// Known clubs and every spelling of each.
#[derive(Debug, Clone, Default)]
pub struct ClubTable {
    clubs: Vec<Club>,
    /// Folded spelling → index in `clubs`.
    spellings: FxHashMap<String, usize>,
    /// Every spelling as written (canonical names included) → index in `clubs`, in the order added.
    written: Vec<(String, usize)>,
}

impl ClubTable {
    /// The table shipped with the project.
    pub fn shipped() -> ClubTable {
        let mut table = ClubTable::default();
        // The shipped file is part of the source and checked by a unit test.
        let _ = table.extend_csv("clubs.csv (shipped)", SHIPPED_CSV.as_bytes());
        table
    }

    /// Adds the clubs and spellings of a table file (`club,state,aliases`). A spelling already
    /// given to another club is an error naming both; a club already known gains the aliases.
    /// Returns how many rows were read. Nothing is added when the file has an error.
    pub fn extend_csv(&mut self, file: &str, bytes: &[u8]) -> Result<usize, TableError> {
        let error = |line: u64, message: String| TableError {
            file: file.to_string(),
            line,
            message,
        };
        let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
            .map_err(|e| error(1, format!("not UTF-8: {e}")))?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let header = reader
            .headers()
            .map_err(|e| error(1, format!("unreadable header: {e}")))?
            .clone();
        let column = |name: &str| header.iter().position(|h| h.trim() == name);
        let display_at = column("display");
        let (Some(club_at), state_at, aliases_at) =
            (column("club"), column("state"), column("aliases"))
        else {
            return Err(error(1, "expected the columns club,state,aliases".into()));
        };
        let mut next = self.clone();
        let mut rows = 0;
        for record in reader.records() {
            let record = record.map_err(|e| {
                error(
                    e.position().map_or(0, |p| p.line()),
                    format!("unreadable row: {e}"),
                )
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let get = |at: Option<usize>| at.and_then(|i| record.get(i)).unwrap_or("").trim();
            let name = get(Some(club_at));
            if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
                return Err(error(
                    line,
                    format!("club name '{name}' is empty, too long or has control characters"),
                ));
            }
            let display = get(display_at);
            if display.chars().count() > 60 || display.chars().any(char::is_control) {
                return Err(error(
                    line,
                    format!(
                        "display name '{display}' of {name} is too long or has control characters"
                    ),
                ));
            }
            if !display.is_empty() && fold(display) != fold(name) {
                // A display name is the same name written properly, never another club's.
                return Err(error(
                    line,
                    format!("display name '{display}' is not a spelling of {name} (only accents, capitals and punctuation may differ)"),
                ));
            }
            let index = match next.spellings.get(&fold(name)) {
                Some(&i) => {
                    if !display.is_empty() {
                        next.clubs[i].display = display.into();
                    }
                    i
                }
                None => {
                    next.clubs.push(Club {
                        name: name.into(),
                        state: get(state_at).into(),
                        display: display.into(),
                    });
                    next.spellings.insert(fold(name), next.clubs.len() - 1);
                    next.written.push((name.to_string(), next.clubs.len() - 1));
                    next.clubs.len() - 1
                }
            };
            for alias in get(aliases_at)
                .split('|')
                .map(str::trim)
                .filter(|a| !a.is_empty())
            {
                match next.spellings.get(&fold(alias)) {
                    Some(&other) if other != index => {
                        return Err(error(
                            line,
                            format!(
                                "spelling '{alias}' of {name} already names {}",
                                next.clubs[other].name
                            ),
                        ))
                    }
                    Some(_) => {}
                    None => {
                        next.spellings.insert(fold(alias), index);
                        next.written.push((alias.to_string(), index));
                    }
                }
            }
            rows += 1;
        }
        *self = next;
        Ok(rows)
    }

    /// The clubs of the table, in the order they were added.
    pub fn clubs(&self) -> &[Club] {
        &self.clubs
    }

    /// The club a spelling names, if it is a known spelling.
    pub fn known(&self, name: &str) -> Option<&Club> {
        self.spellings.get(&fold(name)).map(|&i| &self.clubs[i])
    }

    /// Resolves a name as the module docs describe. A near miss lists the closest known clubs
    /// as [`ClubDirectory::closest`] ranks them.
    pub fn resolve(&self, name: &str) -> Resolution {
        if let Some(club) = self.known(name) {
            return Resolution::Known(club.name.clone());
        }
        let folded = fold(name);
        let mut near: Vec<(usize, &Team)> = Vec::new();
        for (spelling, &i) in &self.spellings {
            if let Some(distance) = near_miss(&folded, spelling) {
                let club = &self.clubs[i].name;
                match near.iter_mut().find(|(_, c)| *c == club) {
                    Some(entry) => entry.0 = entry.0.min(distance),
                    None => near.push((distance, club)),
                }
            }
        }
        if near.is_empty() {
            return Resolution::New;
        }
        near.sort();
        let mut directory = self.directory();
        self.add_aliases_to(&mut directory);
        let mut closest = directory.closest(name, 3);
        if closest.is_empty() {
            closest = near.into_iter().take(3).map(|(_, c)| c.clone()).collect();
        }
        Resolution::NearMiss(closest)
    }

    /// How a club is shown to people: its display name (`São Paulo` for `Sao Paulo`) when the
    /// table has one, else the name as given.
    pub fn display(&self, name: &str) -> String {
        match self.known(name) {
            Some(c) if !c.display.is_empty() => c.display.to_string(),
            _ => name.to_string(),
        }
    }

    /// A directory of the table's canonical clubs.
    pub fn directory(&self) -> ClubDirectory {
        ClubDirectory::new(self.clubs.iter().map(|c| c.name.clone()))
    }

    /// Adds every spelling of the table whose club `directory` knows as an alias of it, so a
    /// typed `Flamengo RJ` resolves like the data's `Flamengo`.
    pub fn add_aliases_to(&self, directory: &mut ClubDirectory) {
        for (spelling, i) in &self.written {
            directory.add_alias(spelling, &self.clubs[*i].name);
        }
    }
}

/// The edit distance between two folded names when one is a near miss of the other: at most
/// one edit per four characters (at least one), or one a known name with a word added
/// (`sport recife` for `sport`).
fn near_miss(a: &str, b: &str) -> Option<usize> {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() >= 3 && long.starts_with(short) && long[short.len()..].starts_with(' ') {
        return Some(long.len() - short.len());
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let allowed = (a.len().min(b.len()) / 4).max(1);
    if a.len().abs_diff(b.len()) > allowed {
        return None;
    }
    let distance = levenshtein(&a, &b);
    (distance <= allowed).then_some(distance)
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(table: &ClubTable, name: &str) -> Option<String> {
        match table.resolve(name) {
            Resolution::Known(c) => Some(c.to_string()),
            _ => None,
        }
    }

    #[test]
    fn every_spelling_of_both_sources_resolves_to_the_brazilian_name() {
        let table = ClubTable::shipped();
        assert!(table.clubs().len() >= 45);
        for (spelling, club) in [
            ("Flamengo RJ", "Flamengo"),
            ("Botafogo RJ", "Botafogo-RJ"),
            ("Sport Recife", "Sport"),
            ("America MG", "America-MG"),
            ("Atletico GO", "Atletico-GO"),
            ("Chapecoense-SC", "Chapecoense"),
            ("Grêmio", "Gremio"),
            ("SÃO PAULO", "Sao Paulo"),
            ("Flamengo", "Flamengo"),
        ] {
            assert_eq!(known(&table, spelling).as_deref(), Some(club), "{spelling}");
        }
    }

    #[test]
    fn a_near_miss_names_the_closest_clubs_and_a_stranger_is_new() {
        let table = ClubTable::shipped();
        assert_eq!(
            table.resolve("Flamengp"),
            Resolution::NearMiss(vec!["Flamengo".into()])
        );
        match table.resolve("Palmeiras SP") {
            Resolution::NearMiss(c) => assert_eq!(&*c[0], "Palmeiras"),
            other => panic!("{other:?}"),
        }
        assert_eq!(table.resolve("Clube 00017"), Resolution::New);
        assert_eq!(table.resolve("Operario-PR"), Resolution::New);
    }

    #[test]
    fn clubs_are_shown_with_their_accents_and_matched_without() {
        let mut table = ClubTable::shipped();
        for (data, shown) in [
            ("Sao Paulo", "São Paulo"),
            ("Gremio", "Grêmio"),
            ("Ceara", "Ceará"),
            ("Atletico-MG", "Atlético-MG"),
            ("Goias", "Goiás"),
            ("Avai", "Avaí"),
            ("Criciuma", "Criciúma"),
            ("Vitoria", "Vitória"),
            ("Cuiaba", "Cuiabá"),
            ("America-MG", "América-MG"),
            ("Parana", "Paraná"),
            ("Flamengo", "Flamengo"),
        ] {
            assert_eq!(table.display(data), shown);
            // The display name is a spelling of the same club.
            assert_eq!(known(&table, shown).as_deref(), Some(data));
        }
        assert_eq!(table.display("Clube Novo"), "Clube Novo");
        // A lake file may give one; never another club's name.
        table
            .extend_csv(
                "config/clubs.csv",
                "club,state,aliases,display\nRemo,PA,,Clube do Remo\n".as_bytes(),
            )
            .unwrap_err();
        table
            .extend_csv(
                "config/clubs.csv",
                "club,state,aliases,display\nSport,PE,,SPORT\n".as_bytes(),
            )
            .unwrap();
        assert_eq!(table.display("sport"), "SPORT");
    }

    #[test]
    fn a_directory_of_the_data_clubs_gains_the_spellings_of_the_other_source() {
        let table = ClubTable::shipped();
        let mut directory = ClubDirectory::new(["Flamengo", "Sport", "Vasco"]);
        table.add_aliases_to(&mut directory);
        assert_eq!(directory.get("flamengo rj").map(|t| &**t), Some("Flamengo"));
        assert_eq!(directory.get("Sport Recife").map(|t| &**t), Some("Sport"));
        assert_eq!(
            directory.get("Chapecoense-SC"),
            None,
            "not a club of this directory"
        );
        assert_eq!(directory.clubs().len(), 3);
    }

    #[test]
    fn a_lake_file_extends_the_table_and_conflicts_are_named() {
        let mut table = ClubTable::shipped();
        let rows = table
            .extend_csv(
                "config/clubs.csv",
                b"club,state,aliases\nOperario-PR,PR,Operario Ferroviario\nFlamengo,RJ,Mengao\n",
            )
            .unwrap();
        assert_eq!(rows, 2);
        assert_eq!(
            known(&table, "Operario Ferroviario").as_deref(),
            Some("Operario-PR")
        );
        assert_eq!(known(&table, "Mengão").as_deref(), Some("Flamengo"));
        let e = table
            .extend_csv("x.csv", b"club,state,aliases\nVasco,RJ,\nFoo,SP,Vasco\n")
            .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("x.csv", 3));
        assert!(e.message.contains("already names Vasco"), "{}", e.message);
        assert!(
            table.known("Foo").is_none(),
            "nothing added from a file with an error"
        );
    }
}

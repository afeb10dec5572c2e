//! Club names as people type them: "sao paulo", "São Paulo" and "SAO PAULO" all mean `Sao Paulo`.
//!
//! A [`ClubDirectory`] holds the canonical names of the known clubs (the data's spelling) and
//! resolves a typed name by its [`fold`]ed form: case, accents, punctuation and spacing do not
//! matter. A name that matches no club is an error carrying the closest known names, so a
//! near-miss ("Flamengp") is never silently taken for a new club.

use rustc_hash::FxHashMap;
use unicode_normalization::UnicodeNormalization;

use crate::matches::Team;

/// The comparable form of a club name: lower case, accents removed (NFD, combining marks
/// dropped), every run of characters other than letters and digits turned into one space, trimmed.
/// `"  São-Paulo "` and `"sao paulo"` fold to the same `"sao paulo"`.
pub fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut space = false;
    for c in name.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else {
            space = true;
        }
    }
    out
}

/// A typed name that names no known club.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown club {name:?}{}", suggestion(.closest))]
pub struct UnknownClub {
    /// The name as typed.
    pub name: String,
    /// The most similar known clubs, most similar first (may be empty).
    pub closest: Vec<Team>,
}

fn suggestion(closest: &[Team]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = closest.iter().map(|t| &**t).collect();
        format!("; did you mean {}?", names.join(", "))
    }
}

/// The known clubs, resolvable by any spelling that folds to a known name or alias.
#[derive(Debug, Clone, Default)]
pub struct ClubDirectory {
    /// Canonical names, sorted.
    clubs: Vec<Team>,
    /// Folded name or alias → canonical name.
    by_fold: FxHashMap<String, Team>,
}

impl ClubDirectory {
    /// A directory of these canonical names (duplicates collapse).
    pub fn new<I, S>(clubs: I) -> ClubDirectory
    where
        I: IntoIterator<Item = S>,
        S: Into<Team>,
    {
        let mut directory = ClubDirectory::default();
        for club in clubs {
            directory.insert(club.into());
        }
        directory
    }

    fn insert(&mut self, club: Team) {
        if let Err(at) = self.clubs.binary_search(&club) {
            self.clubs.insert(at, club.clone());
        }
        self.by_fold.entry(fold(&club)).or_insert(club);
    }

    /// Makes `spelling` another name of the known club `canonical` (e.g. "Flamengo RJ" →
    /// "Flamengo"). Returns false, changing nothing, when `canonical` is not a known club.
    pub fn add_alias(&mut self, spelling: &str, canonical: &str) -> bool {
        let Some(club) = self.by_fold.get(&fold(canonical)).cloned() else {
            return false;
        };
        self.by_fold.insert(fold(spelling), club);
        true
    }

    /// Every canonical name, sorted.
    pub fn clubs(&self) -> &[Team] {
        &self.clubs
    }

    /// Whether the directory knows no club.
    pub fn is_empty(&self) -> bool {
        self.clubs.is_empty()
    }

    /// The canonical club `typed` names, if any.
    pub fn get(&self, typed: &str) -> Option<&Team> {
        self.by_fold.get(&fold(typed))
    }

    /// The canonical club `typed` names, or an error with the closest known names.
    pub fn resolve(&self, typed: &str) -> Result<Team, UnknownClub> {
        self.get(typed).cloned().ok_or_else(|| UnknownClub {
            name: typed.to_string(),
            closest: self.closest(typed, 3),
        })
    }

    /// Up to `n` known clubs most similar to `typed` (Jaro–Winkler on folded names and aliases,
    /// a prefix counting as a strong match), most similar first; clubs too far away to be a
    /// plausible misspelling are left out.
    pub fn closest(&self, typed: &str, n: usize) -> Vec<Team> {
        let folded = fold(typed);
        if folded.is_empty() {
            return Vec::new();
        }
        let mut best: FxHashMap<&Team, f64> = FxHashMap::default();
        for (name, club) in &self.by_fold {
            let mut score = strsim::jaro_winkler(&folded, name);
            if name.starts_with(&folded) || folded.starts_with(name.as_str()) {
                score = score.max(0.9);
            }
            let entry = best.entry(club).or_insert(0.0);
            *entry = entry.max(score);
        }
        let mut ranked: Vec<(&Team, f64)> = best.into_iter().filter(|(_, s)| *s >= 0.75).collect();
        // Ties broken by name so the answer is deterministic.
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        ranked.into_iter().take(n).map(|(c, _)| c.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> ClubDirectory {
        ClubDirectory::new([
            "Sao Paulo",
            "Flamengo",
            "Palmeiras",
            "Atletico-MG",
            "Athletico-PR",
            "Gremio",
            "Vasco",
        ])
    }

    #[test]
    fn folding_ignores_case_accents_punctuation_and_spacing() {
        assert_eq!(fold("São Paulo"), "sao paulo");
        assert_eq!(fold("  SAO   PAULO "), "sao paulo");
        assert_eq!(fold("Atlético-MG"), "atletico mg");
        assert_eq!(fold("Grêmio"), "gremio");
        assert_eq!(fold("🙂"), "");
    }

    #[test]
    fn typed_names_resolve_to_the_canonical_spelling() {
        let d = directory();
        for typed in ["sao paulo", "São Paulo", "SAO PAULO", "são-paulo"] {
            assert_eq!(&*d.resolve(typed).unwrap(), "Sao Paulo", "{typed}");
        }
        assert_eq!(&*d.resolve("flamengo").unwrap(), "Flamengo");
        assert_eq!(&*d.resolve("atlético mg").unwrap(), "Atletico-MG");
    }

    #[test]
    fn an_unknown_name_lists_the_closest_clubs() {
        let d = directory();
        let e = d.resolve("Flamengp").unwrap_err();
        assert_eq!(e.closest.first().map(|t| &**t), Some("Flamengo"));
        assert!(e.to_string().contains("did you mean Flamengo"), "{e}");
        let e = d.resolve("Atletico").unwrap_err();
        let names: Vec<&str> = e.closest.iter().map(|t| &**t).collect();
        assert!(names.contains(&"Atletico-MG"), "{names:?}");
        assert!(d.resolve("Zzzzzz").unwrap_err().closest.is_empty());
    }

    #[test]
    fn aliases_resolve_to_their_club() {
        let mut d = directory();
        assert!(d.add_alias("Flamengo RJ", "flamengo"));
        assert!(!d.add_alias("Nowhere FC", "Nowhere"));
        assert_eq!(&*d.resolve("flamengo rj").unwrap(), "Flamengo");
        assert_eq!(d.clubs().len(), 7);
    }
}

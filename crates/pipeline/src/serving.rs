//! The served model: the champion loaded from the registry, answering fixture questions by club
//! name. `futbr predict`, the HTTP API and the web page all call this, so they cannot disagree.
//!
//! A [`ServedModel`] is immutable once loaded: it holds one version's artifact, the original
//! 16-feature model trained with it, and the matches that version saw. A server swaps whole
//! `ServedModel`s, so no answer ever mixes two versions.

use std::sync::Arc;

use chrono::NaiveDate;
use futbr_domain::clubs::{ClubDirectory, UnknownClub};
use futbr_domain::identity::ClubTable;
use futbr_domain::{Match, Outcome, Team};
use futbr_features::{ClubRatings, Feature, FeatureRow, Fixture, ALL, ORIGINAL};
use futbr_lake::registry::{Champion, Manifest, Registry};
use futbr_lake::{keys, tables, Lake};
use futbr_models::artifact::ModelArtifact;
use futbr_models::{Candidate, Probs};
use serde::Serialize;

use crate::PipelineError;

/// A prediction for a date this many days or more after the champion's last training match
/// carries a staleness warning.
pub const STALE_AFTER_DAYS: i64 = 120;

/// Matches listed as a club's recent form.
pub const RECENT_MATCHES: usize = 5;

/// The one rule for the day a fixture is assumed to be played when none is given: today, or the
/// day after the latest known match if that is later.
pub fn default_fixture_date(known_through: Option<NaiveDate>, today: NaiveDate) -> NaiveDate {
    match known_through.and_then(|d| d.succ_opt()) {
        Some(next) if next > today => next,
        _ => today,
    }
}

/// Today's date where the service runs.
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// An outcome with its labels in the page's two languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OutcomeLabel {
    /// `H`, `D` or `A`.
    pub code: &'static str,
    /// 0 home win, 1 draw, 2 away win (the original system's `prediction_numeric`).
    pub index: usize,
    /// Brazilian Portuguese, as the original system answered ("Vitória do Mandante").
    pub pt: &'static str,
    pub en: &'static str,
}

impl OutcomeLabel {
    pub fn of(outcome: Outcome) -> OutcomeLabel {
        let (pt, en) = match outcome {
            Outcome::Home => ("Vitória do Mandante", "Home win"),
            Outcome::Draw => ("Empate", "Draw"),
            Outcome::Away => ("Vitória do Visitante", "Away win"),
        };
        OutcomeLabel {
            code: outcome.code(),
            index: outcome.index(),
            pt,
            en,
        }
    }

    /// The most likely outcome of three probabilities (ties go to the earlier outcome).
    pub fn most_likely(p: &Probs) -> OutcomeLabel {
        let mut best = 0;
        for i in 1..3 {
            if p[i] > p[best] {
                best = i;
            }
        }
        OutcomeLabel::of([Outcome::Home, Outcome::Draw, Outcome::Away][best])
    }
}

/// Probabilities of the three outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Probabilities {
    pub home: f64,
    pub draw: f64,
    pub away: f64,
}

impl From<Probs> for Probabilities {
    fn from(p: Probs) -> Probabilities {
        Probabilities {
            home: p[0],
            draw: p[1],
            away: p[2],
        }
    }
}

/// Which model answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    pub version: String,
    pub candidate: Candidate,
    pub trained_from: NaiveDate,
    pub trained_through: NaiveDate,
    pub matches: usize,
    /// Whether this version learned from closing odds: the same candidate name is a different
    /// model with and without them (market-elo without odds is a results Elo).
    pub closing_odds_in_training: OddsInTraining,
}

/// Closing odds in a version's training data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OddsInTraining {
    /// The candidate reads odds (market ratings) and at least one training match had them.
    pub used: bool,
    /// Training matches with closing odds.
    pub matches: usize,
}

/// What the market candidate read for a fixture: each club's market rating (Elo scale, learned
/// from past closing odds and results) on the fixture's date, the learned home advantage, and the
/// home club's expected score (win + half a draw) from their difference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MarketInputs {
    pub home_rating: f64,
    pub away_rating: f64,
    pub home_advantage: f64,
    /// home_rating − away_rating + home_advantage: the model's input.
    pub difference: f64,
    /// The Elo expectation of that difference.
    pub home_expectation: f64,
}

/// The pre-match features of a fixture; serialised as an object from feature name to value, in
/// catalog order (see [`futbr_features::catalog`] for each one's unit and meaning).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSet(pub FeatureRow);

impl FeatureSet {
    /// (feature, value) in catalog order.
    pub fn iter(&self) -> impl Iterator<Item = (Feature, f64)> + '_ {
        ALL.iter().map(|f| (*f, self.0.get(*f)))
    }
}

impl Serialize for FeatureSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(ALL.len()))?;
        for (f, v) in self.iter() {
            map.serialize_entry(f.name(), &v)?;
        }
        map.end()
    }
}

/// A club of the question as the model knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClubInQuestion {
    /// The canonical name (or, for a new club, the name as given).
    pub name: String,
    /// The name as people write it, accents included (`São Paulo`).
    pub display: String,
    /// Whether the champion has seen the club play; false: newcomer priors were used.
    pub known: bool,
}

/// The answer to "what are the chances of HOME against AWAY on DATE?".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    pub home: ClubInQuestion,
    pub away: ClubInQuestion,
    pub date: NaiveDate,
    pub probabilities: Probabilities,
    pub most_likely: OutcomeLabel,
    pub model: ModelInfo,
    /// The pre-match features the model read, by name, in catalog order.
    pub features: FeatureSet,
    /// The market ratings the model read (market candidates only; absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub market: Option<MarketInputs>,
    /// True when a club without history was accepted and its features are the newcomer priors.
    pub newcomer_priors_used: bool,
    /// Plain-language cautions (e.g. a date far past the champion's training data).
    pub warnings: Vec<String>,
}

/// The original system's answer to `POST /predict`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OriginalPrediction {
    pub prediction_numeric: usize,
    pub prediction_text: &'static str,
    pub probabilities: Probabilities,
    pub model_version: String,
}

/// A fixture question as a person asks it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FixtureQuery {
    pub home: String,
    pub away: String,
    /// The match day; default: [`default_fixture_date`].
    pub date: Option<NaiveDate>,
    /// Accept a club the champion has never seen (newcomer priors).
    pub new_club: bool,
}

/// Why a fixture question cannot be answered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    UnknownClub(#[from] UnknownClub),
    #[error("{name:?} is not a club the champion knows; say it is a new club (new_club=true / --new-club) to predict with newcomer priors")]
    NewClubNotAllowed { name: String },
    #[error("the home and away clubs are the same club ({club})")]
    SameClub { club: String },
    #[error("a club name is empty")]
    EmptyClub,
    #[error("the champion already knows results up to {trained_through}; ask about a later date")]
    DateNotAfterTraining {
        date: NaiveDate,
        trained_through: NaiveDate,
    },
    #[error("feature {name} is {value}, not a finite number")]
    NotFinite { name: String, value: f64 },
    #[error("the model could not predict: {0}")]
    Model(String),
}

/// One played match from a club's point of view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClubMatch {
    pub date: NaiveDate,
    pub season: i32,
    pub round: u16,
    pub opponent: String,
    /// True when the club played at home.
    pub at_home: bool,
    pub goals_for: u16,
    pub goals_against: u16,
    /// `W`, `D` or `L` for the club.
    pub result: &'static str,
}

/// A club as the champion knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClubSummary {
    pub name: String,
    /// The name as people write it, accents included.
    pub display: String,
    /// Whether the club played in the latest season of the data.
    pub in_latest_season: bool,
    /// The ratings after the club's latest match (what it earned).
    pub ratings: Option<ClubRatings>,
    /// The ratings a prediction reads for a match on the default fixture date: after an
    /// off-season break both are pulled toward the league mean, so they differ from `ratings`.
    pub for_next_match: Option<RatingsForNextMatch>,
    /// Latest matches, newest first.
    pub recent: Vec<ClubMatch>,
    /// Results of the recent matches, oldest first (e.g. `WWDLW`).
    pub form: String,
    /// Points per match over the recent matches.
    pub points_per_match: Option<f64>,
    pub matches_played: usize,
}

/// A club's ratings as a prediction on `date` reads them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RatingsForNextMatch {
    pub date: NaiveDate,
    /// Elo, the `elo_home`/`elo_away` feature for that date.
    pub elo: f64,
    /// The market rating, when the served model reads market ratings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub market: Option<f64>,
}

/// A club in the directory listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClubEntry {
    pub name: String,
    /// The name as people write it, accents included.
    pub display: String,
    pub in_latest_season: bool,
}

/// The champion, loaded and ready to answer.
#[derive(Debug)]
pub struct ServedModel {
    pub champion: Champion,
    /// ETag of the champion pointer this was loaded from (hot-swap change detection).
    pub pointer_etag: Option<String>,
    pub manifest: Manifest,
    artifact: ModelArtifact,
    /// The logistic model on the original 16 features, trained with this version.
    original: Option<ModelArtifact>,
    /// The matches this version was trained on (chronological).
    matches: Arc<[Match]>,
    clubs: ClubDirectory,
    latest_season: Vec<Team>,
    /// The club table: display names (accents) of the clubs.
    table: Arc<ClubTable>,
    /// The latest season with a full round of matches (see [`latest_full_season`]).
    latest_season_label: Option<i32>,
    /// Training matches with closing odds.
    odds_matches: usize,
}

/// Matches a season needs to count as "the latest season" on the pages: one full round of a
/// 20-club league. A single uploaded match of a new season must not make two clubs its field.
pub const FULL_ROUND: usize = 10;

/// The latest season with at least [`FULL_ROUND`] matches, else the one before it (a season
/// that has just started), else the latest there is; `seasons`: each match's season.
pub fn latest_full_season(seasons: impl IntoIterator<Item = i32>) -> Option<i32> {
    let mut counts = std::collections::BTreeMap::<i32, usize>::new();
    for season in seasons {
        *counts.entry(season).or_default() += 1;
    }
    let mut newest_first = counts.iter().rev();
    let (&latest, &n) = newest_first.next()?;
    if n >= FULL_ROUND {
        return Some(latest);
    }
    Some(newest_first.next().map_or(latest, |(&s, _)| s))
}

impl ServedModel {
    /// Loads the current champion, or `None` when the lake has none yet.
    pub async fn load(lake: &Lake) -> Result<Option<ServedModel>, PipelineError> {
        let registry = Registry::new(lake);
        let Some((champion, pointer_etag)) = registry.champion_with_etag().await? else {
            return Ok(None);
        };
        let manifest = registry.manifest(&champion.version).await?;
        let artifact = ModelArtifact::from_json(&registry.artifact(&champion.version).await?)?;
        // Versions trained before the original contract existed have none (a logistic champion
        // serves it itself).
        let original = match registry.original_artifact(&champion.version).await? {
            Some(bytes) => Some(ModelArtifact::from_json(&bytes)?),
            None => None,
        };
        let matches: Vec<Match> = match lake.get_opt(keys::MATCHES).await? {
            Some(bytes) => tables::matches_from_parquet(keys::MATCHES, bytes)?
                .into_iter()
                .filter(|m| m.date <= artifact.trained_through)
                .collect(),
            None => Vec::new(),
        };
        let mut served = ServedModel::new(
            champion,
            pointer_etag,
            manifest,
            artifact,
            original,
            matches,
        );
        // The club table's spellings (football-data.co.uk's "Flamengo RJ") name the same clubs.
        let table = crate::clubs::load_or_shipped(lake).await;
        table.add_aliases_to(&mut served.clubs);
        served.table = table;
        Ok(Some(served))
    }

    /// Assembles a served model from its parts (`matches`: those the version saw, in order).
    pub fn new(
        champion: Champion,
        pointer_etag: Option<String>,
        manifest: Manifest,
        artifact: ModelArtifact,
        original: Option<ModelArtifact>,
        matches: Vec<Match>,
    ) -> ServedModel {
        let clubs = ClubDirectory::new(artifact.engine.teams().map(Team::from));
        let latest = latest_full_season(matches.iter().map(|m| m.season));
        let odds_matches = matches
            .iter()
            .filter(|m| futbr_models::market::closing_odds(m).is_some())
            .count();
        let mut latest_season: Vec<Team> = matches
            .iter()
            .filter(|m| Some(m.season) == latest)
            .flat_map(|m| [m.home.clone(), m.away.clone()])
            .collect();
        latest_season.sort();
        latest_season.dedup();
        ServedModel {
            champion,
            pointer_etag,
            manifest,
            artifact,
            original,
            matches: matches.into(),
            clubs,
            latest_season,
            table: Arc::new(ClubTable::shipped()),
            latest_season_label: latest,
            odds_matches,
        }
    }

    /// How a club is shown to people: the club table's display name (`São Paulo` for the data's
    /// `Sao Paulo`), else the name as given.
    pub fn display(&self, name: &str) -> String {
        self.table.display(name)
    }

    /// The season whose clubs the pages list first (see [`latest_full_season`]).
    pub fn latest_season(&self) -> Option<i32> {
        self.latest_season_label
    }

    /// The version serving.
    pub fn version(&self) -> &str {
        &self.champion.version
    }

    /// Which model this is.
    pub fn info(&self) -> ModelInfo {
        ModelInfo {
            version: self.champion.version.clone(),
            candidate: self.artifact.candidate,
            trained_from: self.artifact.trained_from,
            trained_through: self.artifact.trained_through,
            matches: self.artifact.matches,
            closing_odds_in_training: OddsInTraining {
                used: self.artifact.candidate.uses_market() && self.odds_matches > 0,
                matches: self.odds_matches,
            },
        }
    }

    /// The artifact serving.
    pub fn artifact(&self) -> &ModelArtifact {
        &self.artifact
    }

    /// The matches this version saw, chronological.
    pub fn matches(&self) -> &[Match] {
        &self.matches
    }

    /// The clubs this version knows.
    pub fn directory(&self) -> &ClubDirectory {
        &self.clubs
    }

    /// Every known club, the latest season's first (each group alphabetical).
    pub fn clubs(&self) -> Vec<ClubEntry> {
        let mut out: Vec<ClubEntry> = self
            .clubs
            .clubs()
            .iter()
            .map(|c| ClubEntry {
                name: c.to_string(),
                display: self.display(c),
                in_latest_season: self.latest_season.binary_search(c).is_ok(),
            })
            .collect();
        out.sort_by(|a, b| {
            b.in_latest_season
                .cmp(&a.in_latest_season)
                .then_with(|| a.name.cmp(&b.name))
        });
        out
    }

    /// The default match day for this model.
    pub fn default_date(&self) -> NaiveDate {
        default_fixture_date(Some(self.artifact.trained_through), today())
    }

    fn club_of(&self, typed: &str, new_club: bool) -> Result<ClubInQuestion, QueryError> {
        let typed = typed.trim();
        if typed.is_empty() {
            return Err(QueryError::EmptyClub);
        }
        match self.clubs.resolve(typed) {
            Ok(club) => Ok(ClubInQuestion {
                display: self.display(&club),
                name: club.to_string(),
                known: true,
            }),
            Err(_) if new_club => Ok(ClubInQuestion {
                display: self.display(typed),
                name: typed.to_string(),
                known: false,
            }),
            Err(e) if e.closest.is_empty() => Err(QueryError::NewClubNotAllowed {
                name: typed.to_string(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The champion's answer for a fixture.
    pub fn predict(&self, query: &FixtureQuery) -> Result<Prediction, QueryError> {
        let home = self.club_of(&query.home, query.new_club)?;
        let away = self.club_of(&query.away, query.new_club)?;
        if futbr_domain::clubs::fold(&home.name) == futbr_domain::clubs::fold(&away.name) {
            return Err(QueryError::SameClub { club: home.name });
        }
        let trained_through = self.artifact.trained_through;
        let date = query.date.unwrap_or_else(|| self.default_date());
        if date <= trained_through {
            return Err(QueryError::DateNotAfterTraining {
                date,
                trained_through,
            });
        }
        let fixture = Fixture {
            date,
            home: &home.name,
            away: &away.name,
            home_state: None,
            away_state: None,
        };
        // Through the artifact: a candidate may read more than the feature row (market ratings).
        let (p, row) = self
            .artifact
            .predict_with_features(&fixture)
            .map_err(|e| QueryError::Model(e.to_string()))?;
        let market = self.artifact.market.as_ref().map(|r| {
            let (home_rating, away_rating) =
                (r.rating(&home.name, date), r.rating(&away.name, date));
            let difference = r.difference(&home.name, &away.name, date);
            MarketInputs {
                home_rating,
                away_rating,
                home_advantage: r.home_advantage,
                difference,
                home_expectation: futbr_features::ratings::elo_expectation(difference),
            }
        });
        let mut warnings = Vec::new();
        let days = (date - trained_through).num_days();
        if days >= STALE_AFTER_DAYS {
            warnings.push(format!(
                "stale: the champion knows results only up to {trained_through}, {days} days before {date}; everything played since is not in this prediction"
            ));
        }
        for club in [&home, &away] {
            if !club.known {
                warnings.push(format!(
                    "{} has no match in the champion's data: its features are a newcomer's priors",
                    club.name
                ));
            }
        }
        let newcomer_priors_used = !home.known || !away.known;
        Ok(Prediction {
            home,
            away,
            date,
            probabilities: p.into(),
            most_likely: OutcomeLabel::most_likely(&p),
            model: self.info(),
            features: FeatureSet(row),
            market,
            newcomer_priors_used,
            warnings,
        })
    }

    /// The original system's contract: its 16 features in catalog order (see
    /// [`futbr_features::ORIGINAL`]), answered by this version's logistic model on them.
    pub fn predict_original(&self, values: &[f64; 16]) -> Result<OriginalPrediction, QueryError> {
        for (f, v) in ORIGINAL.iter().zip(values) {
            if !v.is_finite() {
                return Err(QueryError::NotFinite {
                    name: f.name().to_string(),
                    value: *v,
                });
            }
        }
        let model = self.original.as_ref().unwrap_or(&self.artifact);
        if model.candidate != Candidate::Logistic {
            return Err(QueryError::Model(format!(
                "version {} has no model on the original 16 features (trained before this contract existed); train a new version",
                self.version()
            )));
        }
        let mut row = FeatureRow([0.0; futbr_features::COUNT]);
        for (f, v) in ORIGINAL.iter().zip(values) {
            row.0[*f as usize] = *v;
        }
        let fixture = Fixture {
            date: model
                .trained_through
                .succ_opt()
                .unwrap_or(model.trained_through),
            home: "",
            away: "",
            home_state: None,
            away_state: None,
        };
        let p = futbr_models::report::normalised(&model.model.predict(
            &futbr_models::candidates::PreMatch {
                fixture: &fixture,
                row: &row,
                market: 0.0,
            },
        ));
        let label = OutcomeLabel::most_likely(&p);
        Ok(OriginalPrediction {
            prediction_numeric: label.index,
            prediction_text: label.pt,
            probabilities: p.into(),
            model_version: self.version().to_string(),
        })
    }

    /// A club's recent matches, form and ratings.
    pub fn club(&self, typed: &str) -> Result<ClubSummary, UnknownClub> {
        let club = self.clubs.resolve(typed)?;
        let played: Vec<&Match> = self
            .matches
            .iter()
            .filter(|m| m.home == club || m.away == club)
            .collect();
        let recent: Vec<ClubMatch> = played
            .iter()
            .rev()
            .take(RECENT_MATCHES)
            .map(|m| club_match(m, &club))
            .collect();
        let points: u32 = recent
            .iter()
            .map(|m| match m.result {
                "W" => 3,
                "D" => 1,
                _ => 0,
            })
            .sum();
        Ok(ClubSummary {
            display: self.display(&club),
            name: club.to_string(),
            in_latest_season: self.latest_season.binary_search(&club).is_ok(),
            ratings: self.artifact.engine.ratings(&club),
            for_next_match: {
                let date = self.default_date();
                self.artifact
                    .engine
                    .elo_as_of(&club, date)
                    .map(|elo| RatingsForNextMatch {
                        date,
                        elo,
                        market: self.artifact.market.as_ref().map(|m| m.rating(&club, date)),
                    })
            },
            form: recent.iter().rev().map(|m| m.result).collect(),
            points_per_match: (!recent.is_empty()).then(|| points as f64 / recent.len() as f64),
            recent,
            matches_played: played.len(),
        })
    }

    /// The latest meetings of two known clubs (either venue), newest first, from `home`'s side.
    pub fn head_to_head(&self, home: &str, away: &str, n: usize) -> Vec<ClubMatch> {
        self.matches
            .iter()
            .rev()
            .filter(|m| {
                (&*m.home == home && &*m.away == away) || (&*m.home == away && &*m.away == home)
            })
            .take(n)
            .map(|m| club_match(m, home))
            .collect()
    }
}

fn club_match(m: &Match, club: &str) -> ClubMatch {
    let at_home = &*m.home == club;
    let (goals_for, goals_against, opponent) = if at_home {
        (m.home_goals, m.away_goals, &m.away)
    } else {
        (m.away_goals, m.home_goals, &m.home)
    };
    ClubMatch {
        date: m.date,
        season: m.season,
        round: m.round,
        opponent: opponent.to_string(),
        at_home,
        goals_for,
        goals_against,
        result: match goals_for.cmp(&goals_against) {
            std::cmp::Ordering::Greater => "W",
            std::cmp::Ordering::Equal => "D",
            std::cmp::Ordering::Less => "L",
        },
    }
}

/// Whether a later lake state holds another champion than `loaded` (compares the pointer's ETag;
/// a store without ETags always reports a change, so the caller reloads and compares versions).
pub async fn champion_changed(lake: &Lake, loaded: Option<&str>) -> Result<bool, PipelineError> {
    let now = Registry::new(lake).champion_etag().await?;
    Ok(now.is_none() || now.as_deref() != loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_default_date_rule() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Data in the past: today.
        assert_eq!(
            default_fixture_date(Some(d("2024-12-08")), d("2026-11-29")),
            d("2026-11-29")
        );
        // Data through today (or later): the day after.
        assert_eq!(
            default_fixture_date(Some(d("2026-11-29")), d("2026-11-29")),
            d("2026-11-30")
        );
        assert_eq!(default_fixture_date(None, d("2026-11-29")), d("2026-11-29"));
    }

    #[test]
    fn the_latest_season_needs_a_full_round() {
        let seasons = |spec: &[(i32, usize)]| {
            spec.iter()
                .flat_map(|&(s, n)| std::iter::repeat_n(s, n))
                .collect::<Vec<_>>()
        };
        // One uploaded 2025 match does not make 2025 the latest season: 2024 stays.
        assert_eq!(
            latest_full_season(seasons(&[(2023, 380), (2024, 380), (2025, 1)])),
            Some(2024)
        );
        assert_eq!(
            latest_full_season(seasons(&[(2024, 380), (2025, 9)])),
            Some(2024)
        );
        // A full round is enough.
        assert_eq!(
            latest_full_season(seasons(&[(2024, 380), (2025, FULL_ROUND)])),
            Some(2025)
        );
        // Only a short season: that one; nothing: none.
        assert_eq!(latest_full_season(seasons(&[(2025, 3)])), Some(2025));
        assert_eq!(latest_full_season(Vec::new()), None);
    }

    #[test]
    fn most_likely_outcome_and_labels() {
        let l = OutcomeLabel::most_likely(&[0.2, 0.3, 0.5]);
        assert_eq!(
            (l.code, l.index, l.pt, l.en),
            ("A", 2, "Vitória do Visitante", "Away win")
        );
        assert_eq!(
            OutcomeLabel::most_likely(&[0.5, 0.3, 0.2]).pt,
            "Vitória do Mandante"
        );
        assert_eq!(OutcomeLabel::most_likely(&[0.3, 0.4, 0.3]).pt, "Empate");
    }
}

//! Online questions answered from the lake's processed matches, with the same feature engine the
//! batch tables use.

use chrono::NaiveDate;
use futbr_domain::Match;
use futbr_features::{EngineConfig, FeatureEngine, FeatureRow, Fixture};
use futbr_lake::{keys, tables, Lake};

use crate::PipelineError;

/// The pre-match features of one fixture.
#[derive(Debug, Clone)]
pub struct FixtureFeatures {
    pub date: NaiveDate,
    pub row: FeatureRow,
    /// Whether each club has history (false: cold-start priors were used).
    pub home_known: bool,
    pub away_known: bool,
    /// The latest match the state holds.
    pub state_through: Option<NaiveDate>,
}

/// The processed matches of the lake, in chronological order.
pub async fn load_matches(lake: &Lake) -> Result<Vec<Match>, PipelineError> {
    Ok(load_matches_with_sha256(lake).await?.0)
}

/// The processed matches and the SHA-256 of their table (the data hash of the lineage), from one read.
pub async fn load_matches_with_sha256(lake: &Lake) -> Result<(Vec<Match>, String), PipelineError> {
    let bytes = lake.get(keys::MATCHES).await?;
    let sha256 = crate::sha256_hex(&bytes);
    Ok((tables::matches_from_parquet(keys::MATCHES, bytes)?, sha256))
}

/// The day a fixture is assumed to be played when none is given
/// ([`crate::serving::default_fixture_date`], the one rule).
pub fn default_fixture_date(matches: &[Match]) -> NaiveDate {
    crate::serving::default_fixture_date(matches.last().map(|m| m.date), crate::serving::today())
}

/// Features of `home` vs `away` on `date`, from every match strictly before `date`.
pub fn fixture_features(
    matches: &[Match],
    home: &str,
    away: &str,
    date: NaiveDate,
) -> Result<FixtureFeatures, PipelineError> {
    let engine = FeatureEngine::as_of(matches, date, EngineConfig::default())?;
    let row = engine.features(&Fixture {
        date,
        home,
        away,
        home_state: None,
        away_state: None,
    })?;
    Ok(FixtureFeatures {
        date,
        row,
        home_known: engine.knows(home),
        away_known: engine.knows(away),
        state_through: engine.last_date(),
    })
}

//! The served model's artifact: a versioned, self-contained file with everything needed to predict
//! a fixture offline — the fitted parameters, the feature engine's club state, the feature schema,
//! the training window and the hyper-parameters.

use chrono::NaiveDate;
use futbr_domain::Match;
use futbr_features::{batch_features, EngineConfig, FeatureEngine, FeatureRow, Fixture, ALL};
use serde::{Deserialize, Serialize};

use crate::backtest::{walk_forward, Progress};
use crate::candidates::{
    fit, fit_combiner, outcome_index, stack_inputs, Candidate, Fitted, Hyper, PreMatch, Training,
};
use crate::glm::Design;
use crate::market::{self, MarketRatings};
use crate::{ModelError, Probs};

/// Version of the artifact format; a reader refuses any other.
pub const FORMAT_VERSION: u32 = 1;

/// A trained model ready to serve.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelArtifact {
    pub format_version: u32,
    pub candidate: Candidate,
    pub model: Fitted,
    /// Club state after every training match: the online features come from it.
    pub engine: FeatureEngine,
    /// Club market ratings after every training match, for a candidate that reads them (absent
    /// from artifacts of the others, and from those written before market ratings existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<MarketRatings>,
    /// Feature names in column order, as the model was trained.
    pub feature_schema: Vec<String>,
    pub trained_from: NaiveDate,
    pub trained_through: NaiveDate,
    pub matches: usize,
    pub hyper: Hyper,
}

fn no_progress(_: Candidate, _: usize, _: usize) {}

impl ModelArtifact {
    /// Trains `candidate` on every match of a chronological history.
    pub fn train(
        matches: &[Match],
        candidate: Candidate,
        hyper: &Hyper,
        engine: EngineConfig,
    ) -> Result<ModelArtifact, ModelError> {
        let (first, last) = match (matches.first(), matches.last()) {
            (Some(f), Some(l)) => (f.date, l.date),
            _ => {
                return Err(ModelError::NoTrainingData {
                    from: NaiveDate::MIN,
                })
            }
        };
        if matches.windows(2).any(|w| w[0].date > w[1].date) {
            return Err(ModelError::NotChronological);
        }
        let (rows, state) = batch_features(matches, engine)?;
        let odds: Vec<Option<market::Odds>> = matches.iter().map(market::closing_odds).collect();
        let (market_diffs, market_state) = market::walk(matches, &odds, hyper.market);
        let history = Training {
            matches,
            rows: &rows,
            market: &market_diffs,
        };
        let as_of = last.succ_opt().unwrap_or(last);
        let model = match candidate {
            Candidate::Stack => {
                // The combiner learns from the bases' walk-forward predictions of the last window.
                let from = history
                    .end(last - chrono::Duration::days(hyper.stack_window_days))
                    .max(1);
                let progress: Progress = &no_progress;
                let mut preds = Vec::new();
                let mut bases = Vec::new();
                for base in Candidate::STACK_BASES {
                    let (p, _, _) = walk_forward(
                        base,
                        &history,
                        from,
                        matches.len(),
                        matches.len(),
                        hyper,
                        progress,
                    );
                    preds.push(p);
                    bases.push(
                        fit(base, &history, as_of, hyper, None)
                            .ok_or_else(|| ModelError::Artifact("base did not fit".into()))?,
                    );
                }
                let mut x = Design::new(2 * preds.len());
                let mut y = Vec::new();
                for idx in from..matches.len() {
                    let base: Option<Vec<Probs>> = preds.iter().map(|p| p[idx]).collect();
                    if let Some(base) = base {
                        x.push(&stack_inputs(&base));
                        y.push(outcome_index(&matches[idx]));
                    }
                }
                Fitted::Stack {
                    bases,
                    model: fit_combiner(&x, &y, hyper, None),
                }
            }
            other => fit(other, &history, as_of, hyper, None)
                .ok_or_else(|| ModelError::Artifact("candidate did not fit".into()))?,
        };
        Ok(ModelArtifact {
            format_version: FORMAT_VERSION,
            candidate,
            model,
            engine: state,
            market: candidate.uses_market().then_some(market_state),
            feature_schema: ALL.iter().map(|f| f.name().to_string()).collect(),
            trained_from: first,
            trained_through: last,
            matches: matches.len(),
            hyper: *hyper,
        })
    }

    /// Probabilities (home, draw, away) for a fixture after the training window.
    pub fn predict(&self, fixture: &Fixture) -> Result<Probs, ModelError> {
        self.predict_with_features(fixture).map(|(p, _)| p)
    }

    /// Probabilities (home, draw, away) for a fixture after the training window, with the
    /// fixture's pre-match features (to show why).
    pub fn predict_with_features(
        &self,
        fixture: &Fixture,
    ) -> Result<(Probs, FeatureRow), ModelError> {
        let row = self.engine.features(fixture)?;
        let market = match (&self.market, self.candidate.uses_market()) {
            (Some(ratings), _) => ratings.difference(fixture.home, fixture.away, fixture.date),
            (None, false) => 0.0,
            (None, true) => {
                return Err(ModelError::Artifact(format!(
                    "{} needs market ratings and the artifact has none",
                    self.candidate.name()
                )))
            }
        };
        let p = crate::report::normalised(&self.model.predict(&PreMatch {
            fixture,
            row: &row,
            market,
        }));
        Ok((p, row))
    }

    /// The artifact as JSON; an error (never empty bytes) when it cannot be encoded, e.g. a
    /// parameter that is not a finite number.
    pub fn to_json(&self) -> Result<Vec<u8>, ModelError> {
        serde_json::to_vec(self)
            .map_err(|e| ModelError::Artifact(format!("cannot be encoded as JSON: {e}")))
    }

    /// Reads an artifact, refusing another format version or feature schema.
    pub fn from_json(bytes: &[u8]) -> Result<ModelArtifact, ModelError> {
        #[derive(Deserialize)]
        struct Version {
            format_version: u32,
        }
        let version: Version = serde_json::from_slice(bytes)
            .map_err(|e| ModelError::Artifact(format!("unreadable: {e}")))?;
        if version.format_version != FORMAT_VERSION {
            return Err(ModelError::Artifact(format!(
                "format version {} (this build reads {FORMAT_VERSION})",
                version.format_version
            )));
        }
        let artifact: ModelArtifact = serde_json::from_slice(bytes)
            .map_err(|e| ModelError::Artifact(format!("unreadable: {e}")))?;
        let schema: Vec<&str> = ALL.iter().map(|f| f.name()).collect();
        if artifact.feature_schema != schema {
            return Err(ModelError::Artifact(
                "its feature schema differs from this build's".into(),
            ));
        }
        Ok(artifact)
    }
}

//! `futbr train`: processed matches → a new immutable version in the registry (the champion is
//! not touched).

use bytes::Bytes;
use chrono::Utc;
use futbr_domain::Match;
use futbr_features::EngineConfig;
use futbr_lake::registry::{
    new_version_id, Evaluation, InputObject, Manifest, Registry, MODEL_FILE, ORIGINAL_FILE,
    REPORT_FILE,
};
use futbr_lake::{keys, Lake};
use futbr_models::artifact::ModelArtifact;
use futbr_models::{report, run_backtest, BacktestConfig, Candidate, Hyper, Recipe};

use crate::{online, PipelineError};

/// Settings of a training job.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub run_id: String,
    /// What to train and how to evaluate it.
    pub recipe: Recipe,
}

impl TrainOptions {
    /// The default recipe, for run `run_id`.
    pub fn new(run_id: &str) -> TrainOptions {
        TrainOptions {
            run_id: run_id.to_string(),
            recipe: Recipe::default(),
        }
    }
}

/// First date of the evaluation window: the date of the `n`-th most recent match.
pub fn eval_window_start(matches: &[Match], n: usize) -> Option<chrono::NaiveDate> {
    let k = matches.len().checked_sub(n.max(1))?;
    // Never the first day: something must come before to train on.
    let date = matches[k].date;
    (matches[0].date < date).then_some(date)
}

/// Walk-forward scores of a recipe over the matches dated from `from` on, and the report JSON.
pub fn evaluate(
    matches: &[Match],
    candidate: Candidate,
    hyper: &Hyper,
    from: chrono::NaiveDate,
) -> Result<(Evaluation, Vec<u8>), PipelineError> {
    let started = std::time::Instant::now();
    let config = BacktestConfig {
        test_from: from,
        test_to: None,
        candidates: vec![candidate],
        hyper: *hyper,
        engine: EngineConfig::default(),
        stats: None,
    };
    let result = run_backtest(matches, &config, &|_, _, _| {})?;
    let built = report::build(&result, matches, hyper, started.elapsed().as_secs_f64());
    let scores = built.candidates[0].overall.clone();
    let evaluation = Evaluation {
        from: built.test_from,
        to: built.test_to,
        matches: built.matches,
        scores,
    };
    Ok((evaluation, crate::to_json("the backtest report", &built)?))
}

/// Trains a new version on the lake's processed matches and publishes it.
pub async fn train(lake: &Lake, options: &TrainOptions) -> Result<Manifest, PipelineError> {
    let (matches, data_sha256) = online::load_matches_with_sha256(lake).await?;
    /// The part of `processed/report.json` the lineage needs.
    #[derive(serde::Deserialize)]
    struct Processed {
        inputs: Vec<InputObject>,
    }
    let processed: Processed = serde_json::from_slice(&lake.get(keys::PROCESSING_REPORT).await?)
        .map_err(|e| PipelineError::Corrupt {
            key: keys::PROCESSING_REPORT.into(),
            reason: e.to_string(),
        })?;
    let Recipe {
        candidate,
        hyper,
        eval_matches,
    } = options.recipe;
    let (artifact, original, evaluation) =
        tokio::task::spawn_blocking(move || -> Result<_, PipelineError> {
            let artifact =
                ModelArtifact::train(&matches, candidate, &hyper, EngineConfig::default())?;
            // The original system's contract (16 features in, a class out) is served by the
            // logistic candidate on those features, trained on the same data as the champion.
            let original = match candidate {
                Candidate::Logistic => None,
                _ => Some(ModelArtifact::train(
                    &matches,
                    Candidate::Logistic,
                    &hyper,
                    EngineConfig::default(),
                )?),
            };
            let evaluation = match eval_window_start(&matches, eval_matches) {
                Some(from) => Some(evaluate(&matches, candidate, &hyper, from)?),
                None => None,
            };
            Ok((artifact, original, evaluation))
        })
        .await
        .map_err(|e| PipelineError::Job(e.to_string()))??;
    let manifest = Manifest {
        version: new_version_id(),
        created_at: Utc::now(),
        run_id: options.run_id.clone(),
        candidate,
        hyper,
        code_version: env!("CARGO_PKG_VERSION").to_string(),
        inputs: processed.inputs,
        data_sha256,
        matches: artifact.matches,
        trained_from: artifact.trained_from,
        trained_through: artifact.trained_through,
        evaluation: evaluation.as_ref().map(|(e, _)| e.clone()),
        artifact_sha256: None,
        original_sha256: None,
    };
    let report = evaluation.map(|(_, r)| r).unwrap_or_else(|| b"{}".to_vec());
    let original = original.as_ref().unwrap_or(&artifact).to_json()?;
    let manifest = Registry::new(lake)
        .publish_files(
            &manifest,
            vec![
                (MODEL_FILE, Bytes::from(artifact.to_json()?)),
                (ORIGINAL_FILE, Bytes::from(original)),
                (REPORT_FILE, Bytes::from(report)),
            ],
        )
        .await?;
    Ok(manifest)
}

//! `futbr train`: processed matches → a new immutable version in the registry (the champion is
//! not touched).

use bytes::Bytes;
use chrono::Utc;
use futbr_domain::Match;
use futbr_features::EngineConfig;
use futbr_lake::registry::{new_version_id, Evaluation, InputObject, Manifest, Registry};
use futbr_lake::{keys, Lake};
use futbr_models::artifact::ModelArtifact;
use futbr_models::{report, run_backtest, BacktestConfig, Candidate, Hyper};

use crate::{online, PipelineError};

/// The candidate the loop trains unless told otherwise.
pub const DEFAULT_CANDIDATE: Candidate = Candidate::SERVED_BY_DEFAULT;
/// Matches of the evaluation window: the most recent ones, about one season.
pub const DEFAULT_EVAL_MATCHES: usize = 380;

/// Settings of a training job.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub run_id: String,
    pub candidate: Candidate,
    pub hyper: Hyper,
    pub eval_matches: usize,
}

impl TrainOptions {
    pub fn new(run_id: &str) -> TrainOptions {
        TrainOptions {
            run_id: run_id.to_string(),
            candidate: DEFAULT_CANDIDATE,
            hyper: Hyper::default(),
            eval_matches: DEFAULT_EVAL_MATCHES,
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
    let (candidate, hyper, eval_matches) = (options.candidate, options.hyper, options.eval_matches);
    let (artifact, evaluation) =
        tokio::task::spawn_blocking(move || -> Result<_, PipelineError> {
            let artifact =
                ModelArtifact::train(&matches, candidate, &hyper, EngineConfig::default())?;
            let evaluation = match eval_window_start(&matches, eval_matches) {
                Some(from) => Some(evaluate(&matches, candidate, &hyper, from)?),
                None => None,
            };
            Ok((artifact, evaluation))
        })
        .await
        .map_err(|e| PipelineError::Job(e.to_string()))??;
    let manifest = Manifest {
        version: new_version_id(),
        created_at: Utc::now(),
        run_id: options.run_id.clone(),
        candidate: candidate.name().to_string(),
        hyper: serde_json::to_value(hyper).map_err(|e| PipelineError::Encode {
            what: "the hyper-parameters".into(),
            reason: e.to_string(),
        })?,
        code_version: env!("CARGO_PKG_VERSION").to_string(),
        inputs: processed.inputs,
        data_sha256,
        matches: artifact.matches,
        trained_from: artifact.trained_from,
        trained_through: artifact.trained_through,
        evaluation: evaluation.as_ref().map(|(e, _)| e.clone()),
        artifact_sha256: None,
    };
    let report = evaluation.map(|(_, r)| r).unwrap_or_else(|| b"{}".to_vec());
    let manifest = Registry::new(lake)
        .publish(
            &manifest,
            Bytes::from(artifact.to_json()?),
            Bytes::from(report),
        )
        .await?;
    Ok(manifest)
}

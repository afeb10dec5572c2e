//! `futbr train`: processed matches → a new immutable version in the registry (the champion is
//! not touched).

use bytes::Bytes;
use chrono::Utc;
use futbr_domain::Match;
use futbr_features::EngineConfig;
use futbr_lake::registry::{
    new_version_id, Evaluation, InputObject, Manifest, Registry, COMPARISON_FILE, MODEL_FILE,
    ORIGINAL_FILE, REPORT_FILE,
};
use futbr_lake::{keys, Lake};
use futbr_models::artifact::ModelArtifact;
use futbr_models::metrics::Scores;
use futbr_models::{report, run_backtest, BacktestConfig, Candidate, Hyper, Recipe};
use serde::{Deserialize, Serialize};

use crate::track_record::{base_rate, score_stretches, StretchScore, STRETCH_MATCHES};
use crate::{online, PipelineError};

/// Settings of a training job.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub run_id: String,
    /// What to train and how to evaluate it.
    pub recipe: Recipe,
    /// Candidates compared with the trained one on its evaluation window, in the same walk-forward
    /// pass (recorded in the version's `candidates.json`); the trained one is always evaluated.
    pub compare: Vec<Candidate>,
}

impl TrainOptions {
    /// The default recipe and comparison, for run `run_id`.
    pub fn new(run_id: &str) -> TrainOptions {
        TrainOptions {
            run_id: run_id.to_string(),
            recipe: Recipe::default(),
            compare: DEFAULT_COMPARED.to_vec(),
        }
    }
}

/// The candidates a training compares by default: all eight. A pipeline run on the production
/// data takes 1.1 s with them instead of 0.12 s with none (release, idle 2 cores; README), well
/// inside the loop's 5 s budget from a file landing to a new champion; the stack is most of it
/// (without it, 0.34 s), as its five bases walk from a year before the window. `--compare`
/// chooses fewer.
pub const DEFAULT_COMPARED: &[Candidate] = &Candidate::ALL;

/// One candidate's scores on a training's evaluation window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparedCandidate {
    pub candidate: Candidate,
    pub scores: Scores,
}

/// The candidates compared when a version was trained (its `candidates.json`): every one
/// walked forward over the same evaluation window, each prediction from a fit on matches dated
/// strictly before it. Holds no timing, so the same inputs give the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub matches: usize,
    /// The candidate the version trained.
    pub trained: Candidate,
    /// Every candidate compared (the trained one included), in [`Candidate::ALL`] order.
    pub candidates: Vec<ComparedCandidate>,
    /// The trained candidate's walk-forward scores per stretch of about a round's matches, in
    /// date order, against the base rate of the matches before the window.
    pub stretches: Vec<StretchScore>,
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
    let (evaluation, report, _) = evaluate_compared(matches, candidate, &[], hyper, from)?;
    Ok((evaluation, report))
}

/// Like [`evaluate`], with the `compared` candidates walked forward over the same window in the
/// same pass: the trained candidate's evaluation, the report JSON (the trained candidate first,
/// named as served) and the comparison.
pub fn evaluate_compared(
    matches: &[Match],
    candidate: Candidate,
    compared: &[Candidate],
    hyper: &Hyper,
    from: chrono::NaiveDate,
) -> Result<(Evaluation, Vec<u8>, Comparison), PipelineError> {
    let started = std::time::Instant::now();
    let mut candidates = vec![candidate];
    candidates.extend(
        Candidate::ALL
            .into_iter()
            .filter(|c| *c != candidate && compared.contains(c)),
    );
    let config = BacktestConfig {
        test_from: from,
        test_to: None,
        candidates,
        hyper: *hyper,
        engine: EngineConfig::default(),
        stats: None,
    };
    let result = run_backtest(matches, &config, &|_, _, _| {})?;
    let mut built = report::build(&result, matches, hyper, started.elapsed().as_secs_f64());
    // The report names the candidate this version serves, whatever the default is.
    built.served = candidate.name().to_string();
    let scores = built.candidates[0].overall.clone();
    let evaluation = Evaluation {
        from: built.test_from,
        to: built.test_to,
        matches: built.matches,
        scores,
    };
    let mut compared: Vec<ComparedCandidate> = result
        .runs
        .iter()
        .zip(&built.candidates)
        .map(|(run, c)| ComparedCandidate {
            candidate: run.candidate,
            scores: c.overall.clone(),
        })
        .collect();
    compared.sort_by_key(|c| Candidate::ALL.iter().position(|a| *a == c.candidate));
    let base = base_rate(matches, from - chrono::Duration::days(1));
    let predictions: Vec<(usize, futbr_models::Probs)> = result
        .test
        .iter()
        .copied()
        .zip(result.runs[0].predictions.iter().copied())
        .collect();
    let comparison = Comparison {
        from: evaluation.from,
        to: evaluation.to,
        matches: evaluation.matches,
        trained: candidate,
        candidates: compared,
        stretches: score_stretches(&predictions, matches, &base, STRETCH_MATCHES),
    };
    Ok((
        evaluation,
        crate::to_json("the backtest report", &built)?,
        comparison,
    ))
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
    let compare = options.compare.clone();
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
                Some(from) => Some(evaluate_compared(
                    &matches, candidate, &compare, &hyper, from,
                )?),
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
        evaluation: evaluation.as_ref().map(|(e, _, _)| e.clone()),
        artifact_sha256: None,
        original_sha256: None,
    };
    let (report, comparison) = match evaluation {
        Some((_, report, comparison)) => (report, Some(comparison)),
        None => (b"{}".to_vec(), None),
    };
    let original = original.as_ref().unwrap_or(&artifact).to_json()?;
    let mut files = vec![
        (MODEL_FILE, Bytes::from(artifact.to_json()?)),
        (ORIGINAL_FILE, Bytes::from(original)),
        (REPORT_FILE, Bytes::from(report)),
    ];
    if let Some(c) = comparison {
        files.push((
            COMPARISON_FILE,
            Bytes::from(crate::to_json("the candidates compared", &c)?),
        ));
    }
    let manifest = Registry::new(lake).publish_files(&manifest, files).await?;
    Ok(manifest)
}

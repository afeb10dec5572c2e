//! `futbr promote`: the quality gate between a challenger version and the champion.
//!
//! The gate reads the champion pointer once, with its ETag, and promotes by compare-and-swap on
//! that ETag: if another run or the operator changed the champion meanwhile, nothing is written
//! and the promotion fails ([`futbr_lake::LakeError::ChampionChanged`]).

use chrono::Utc;
use futbr_lake::registry::{Champion, ChampionPointer, Registry};
use futbr_lake::LakeError;
use futbr_lake::{keys, tables, Lake};

use crate::runs::GateDecision;
use crate::{sha256_hex, train, PipelineError};

/// How much worse (in RPS) a challenger may be than the champion on the same window and still
/// be promoted: about a third of the standard error of an RPS difference on one season.
pub const DEFAULT_TOLERANCE: f64 = 0.0005;

/// Gates `version` (default: the newest) against the champion and promotes it if it passes or
/// `force` is set. Both are scored walk-forward on the challenger's evaluation window over the
/// current processed data. With `force`, an unreadable champion pointer or a champion whose
/// version is gone is replaced; without it, an unreadable pointer is an error.
pub async fn promote(
    lake: &Lake,
    version: Option<&str>,
    force: bool,
    tolerance: f64,
) -> Result<GateDecision, PipelineError> {
    let registry = Registry::new(lake);
    let challenger = match version {
        Some(v) => registry.manifest(v).await?,
        None => registry
            .versions()
            .await?
            .pop()
            .ok_or(PipelineError::NoVersion)?,
    };
    let read = registry.champion_pointer().await?;
    let champion = match &read {
        ChampionPointer::Valid { champion, .. } => Some(champion.clone()),
        ChampionPointer::Absent => None,
        ChampionPointer::Corrupt { .. } if force => None,
        ChampionPointer::Corrupt { .. } => {
            // The same clear error (with its repair hint) as any other read of the pointer.
            registry.champion_with_etag().await?;
            None
        }
    };
    let evaluation = challenger.evaluation.clone();
    let mut decision = GateDecision {
        challenger: challenger.version.clone(),
        champion: champion.as_ref().map(|c| c.version.clone()),
        challenger_rps: evaluation.as_ref().map_or(f64::NAN, |e| e.scores.rps),
        champion_rps: None,
        tolerance,
        window_from: evaluation
            .as_ref()
            .map_or(challenger.trained_from, |e| e.from),
        window_to: evaluation
            .as_ref()
            .map_or(challenger.trained_through, |e| e.to),
        window_matches: evaluation.as_ref().map_or(0, |e| e.matches),
        promoted: false,
        reason: String::new(),
    };
    let champion_manifest = match &champion {
        Some(c) if c.version == challenger.version => {
            decision.promoted = false;
            decision.reason = "the challenger already is the champion".into();
            return Ok(decision);
        }
        Some(c) => match registry.manifest(&c.version).await {
            Ok(m) => Some(m),
            // A champion whose version was deleted cannot be judged or served: it is replaced.
            Err(LakeError::NotFound { .. }) => {
                tracing::warn!(champion = %c.version, "the champion's version is missing from the registry");
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    if force {
        decision.promoted = true;
        decision.reason = "forced (--force): the gate was not applied".into();
    } else if let (Some(cm), Some(eval)) = (&champion_manifest, &evaluation) {
        let table = lake.get(keys::MATCHES).await?;
        if sha256_hex(&table) != challenger.data_sha256 {
            return Err(PipelineError::StaleChallenger {
                version: challenger.version.clone(),
            });
        }
        let champion_rps = if cm.candidate == challenger.candidate && cm.hyper == challenger.hyper {
            // Same recipe on the same data and window: walk-forward is deterministic, so the
            // champion's score there is the challenger's.
            eval.scores.rps
        } else {
            // The manifest's recipe is typed: an unreadable one failed when it was loaded, so the
            // champion is scored with its own recipe or not at all, never with defaults.
            let (candidate, hyper) = (cm.candidate, cm.hyper);
            // Decoded only here: the same bytes whose hash was just checked.
            let matches = tables::matches_from_parquet(keys::MATCHES, table)?;
            let from = eval.from;
            tokio::task::spawn_blocking(move || train::evaluate(&matches, candidate, &hyper, from))
                .await
                .map_err(|e| PipelineError::Job(e.to_string()))??
                .0
                .scores
                .rps
        };
        decision.champion_rps = Some(champion_rps);
        decision.promoted = eval.scores.rps <= champion_rps + tolerance;
        decision.reason = if decision.promoted {
            format!(
                "challenger RPS {:.4} is within {tolerance} of the champion's {:.4} on the same {} matches",
                eval.scores.rps, champion_rps, eval.matches
            )
        } else {
            format!(
                "challenger RPS {:.4} is worse than the champion's {:.4} by more than {tolerance} on the same {} matches; the champion stays",
                eval.scores.rps, champion_rps, eval.matches
            )
        };
    } else if champion_manifest.is_none() {
        decision.promoted = true;
        decision.reason = match &champion {
            None => "no champion yet: the first version is promoted".into(),
            Some(c) => format!(
                "the champion {} has no manifest any more (its version is gone): the challenger replaces it",
                c.version
            ),
        };
    } else {
        decision.reason =
            "the challenger has no evaluation window (too little data); the champion stays".into();
    }
    if decision.promoted {
        let next = Champion {
            version: challenger.version.clone(),
            since: Utc::now(),
            previous: champion.map(|c| c.version),
            reason: decision.reason.clone(),
            pinned: None,
        };
        registry.replace_champion(&read, &next).await?;
    }
    Ok(decision)
}

/// Makes a published version the champion by hand, without the gate.
pub async fn promote_by_hand(
    lake: &Lake,
    version: &str,
    reason: &str,
) -> Result<futbr_lake::registry::Champion, PipelineError> {
    Ok(Registry::new(lake).set_champion(version, reason).await?)
}

/// Makes the champion's previous version the champion again and pins it there: the loop does not
/// promote over it until `raw/` holds data the rolled-back-from version had not seen, or until
/// [`release`].
pub async fn rollback(lake: &Lake) -> Result<futbr_lake::registry::Champion, PipelineError> {
    let registry = Registry::new(lake);
    let current = registry
        .champion()
        .await?
        .ok_or_else(|| PipelineError::NothingToRollBack("there is no champion".into()))?;
    if current.previous.is_none() {
        return Err(PipelineError::NothingToRollBack(format!(
            "champion {} has no previous version",
            current.version
        )));
    }
    Ok(registry.rollback().await?)
}

/// Releases a rollback's pin; `None` when the champion was not pinned.
pub async fn release(lake: &Lake) -> Result<Option<futbr_lake::registry::Champion>, PipelineError> {
    Ok(Registry::new(lake).release_pin().await?)
}

//! The served models' track record: for every version that was champion, the predictions it
//! would have made for the matches that landed after its training data (dated after its
//! `trained_through`), scored per round against the base rate it knew.
//!
//! Invariant (no leakage): a version predicts a match only when the match is dated strictly after
//! the version's `trained_through`, from the club state frozen in its artifact — exactly what the
//! server answered while that version was serving. Its base rate comes from the matches it was
//! trained on (dated up to `trained_through`), never from the matches it is scored on.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use futbr_domain::{Match, Outcome};
use futbr_features::Fixture;
use futbr_lake::registry::{Manifest, Registry};
use futbr_lake::{Lake, LakeError};
use futbr_models::artifact::ModelArtifact;
use futbr_models::metrics::{predicted_outcome, rps};
use futbr_models::{Candidate, Probs};
use serde::Serialize;

use crate::PipelineError;

/// Scores of one round (season and `rodata`) of matches a version had not seen.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RoundScore {
    pub season: i32,
    pub round: u16,
    /// First and last match day of the round among the scored matches.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub matches: usize,
    /// Mean ranked probability score of the version (lower is better).
    pub rps: f64,
    /// Share of matches whose most likely outcome happened.
    pub accuracy: f64,
    /// The same scores for the base rate (the outcome frequencies the version was trained on).
    pub base_rps: f64,
    pub base_accuracy: f64,
}

/// How one version did on the matches after its training data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionTrack {
    pub version: String,
    pub candidate: Candidate,
    pub trained_through: NaiveDate,
    /// Whether it is the champion now.
    pub serving: bool,
    /// Home/draw/away frequencies of its training matches.
    pub base_rate: Probs,
    pub matches: usize,
    pub rps: f64,
    pub accuracy: f64,
    pub base_rps: f64,
    pub base_accuracy: f64,
    /// Per round, chronological.
    pub rounds: Vec<RoundScore>,
    /// Per stretch of about [`STRETCH_MATCHES`] matches, in date order (the chart's points).
    pub stretches: Vec<StretchScore>,
}

/// Outcome frequencies (home, draw, away) of the matches dated up to `through`; uniform when none.
pub fn base_rate(matches: &[Match], through: NaiveDate) -> Probs {
    let mut counts = [0usize; 3];
    for m in matches.iter().filter(|m| m.date <= through) {
        counts[Outcome::from_score(m.home_goals, m.away_goals).index()] += 1;
    }
    let n: usize = counts.iter().sum();
    if n == 0 {
        return [1.0 / 3.0; 3];
    }
    counts.map(|c| c as f64 / n as f64)
}

/// The version's predictions for every match dated after its `trained_through`: (index into
/// `matches`, probabilities). Results of those matches are never read.
pub fn predictions_after(
    artifact: &ModelArtifact,
    matches: &[Match],
) -> Result<Vec<(usize, Probs)>, PipelineError> {
    let mut out = Vec::new();
    for (i, m) in matches.iter().enumerate() {
        if m.date <= artifact.trained_through {
            continue;
        }
        out.push((i, artifact.predict(&Fixture::of(m))?));
    }
    Ok(out)
}

fn outcome(m: &Match) -> usize {
    Outcome::from_score(m.home_goals, m.away_goals).index()
}

fn hit(p: &Probs, o: usize) -> f64 {
    if predicted_outcome(p) == o {
        1.0
    } else {
        0.0
    }
}

/// Scores a version's predictions (from [`predictions_after`]) per round, against `base`.
pub fn score_rounds(
    predictions: &[(usize, Probs)],
    matches: &[Match],
    base: &Probs,
) -> Vec<RoundScore> {
    #[derive(Default)]
    struct Acc {
        n: usize,
        rps: f64,
        hits: f64,
        base_rps: f64,
        base_hits: f64,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    }
    let mut rounds: std::collections::BTreeMap<(i32, u16), Acc> = Default::default();
    for (i, p) in predictions {
        let m = &matches[*i];
        let o = outcome(m);
        let a = rounds.entry((m.season, m.round)).or_default();
        a.n += 1;
        a.rps += rps(p, o);
        a.hits += hit(p, o);
        a.base_rps += rps(base, o);
        a.base_hits += hit(base, o);
        a.from = Some(a.from.map_or(m.date, |d| d.min(m.date)));
        a.to = Some(a.to.map_or(m.date, |d| d.max(m.date)));
    }
    let mut out: Vec<RoundScore> = rounds
        .into_iter()
        .filter_map(|((season, round), a)| {
            let n = a.n as f64;
            Some(RoundScore {
                season,
                round,
                from: a.from?,
                to: a.to?,
                matches: a.n,
                rps: a.rps / n,
                accuracy: a.hits / n,
                base_rps: a.base_rps / n,
                base_accuracy: a.base_hits / n,
            })
        })
        .collect();
    out.sort_by_key(|r| (r.from, r.season, r.round));
    out
}

/// Scores of a stretch of consecutive match days (in date order) of one season: the points of an
/// RPS-over-time curve. Unlike rounds (a postponed match keeps its round number months later),
/// stretches never overlap, so their dates only move forward.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct StretchScore {
    pub season: i32,
    /// First and last match day of the stretch.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub matches: usize,
    pub rps: f64,
    pub accuracy: f64,
    pub base_rps: f64,
    pub base_accuracy: f64,
}

/// Matches per stretch: about one round of a 20-club league.
pub const STRETCH_MATCHES: usize = 10;

/// Scores predictions (from [`predictions_after`] or a walk-forward, in date order) per stretch:
/// whole match days are added until the stretch holds at least `size` matches or the season
/// changes.
pub fn score_stretches(
    predictions: &[(usize, Probs)],
    matches: &[Match],
    base: &Probs,
    size: usize,
) -> Vec<StretchScore> {
    let mut sorted: Vec<&(usize, Probs)> = predictions.iter().collect();
    sorted.sort_by_key(|(i, _)| (matches[*i].date, *i));
    let mut out: Vec<StretchScore> = Vec::new();
    let mut open: Option<StretchScore> = None;
    let close = |s: StretchScore| {
        let n = s.matches as f64;
        StretchScore {
            rps: s.rps / n,
            accuracy: s.accuracy / n,
            base_rps: s.base_rps / n,
            base_accuracy: s.base_accuracy / n,
            ..s
        }
    };
    for (i, p) in sorted {
        let m = &matches[*i];
        let o = outcome(m);
        // A stretch closes at a new day once full, or at a new season.
        if let Some(s) = open.take() {
            if s.season != m.season || (s.matches >= size.max(1) && m.date > s.to) {
                out.push(close(s));
            } else {
                open = Some(s);
            }
        }
        let s = open.get_or_insert(StretchScore {
            season: m.season,
            from: m.date,
            to: m.date,
            matches: 0,
            rps: 0.0,
            accuracy: 0.0,
            base_rps: 0.0,
            base_accuracy: 0.0,
        });
        s.to = m.date;
        s.matches += 1;
        s.rps += rps(p, o);
        s.accuracy += hit(p, o);
        s.base_rps += rps(base, o);
        s.base_accuracy += hit(base, o);
    }
    if let Some(s) = open {
        out.push(close(s));
    }
    out
}

/// The whole track of one version over `matches` (the lake's processed matches, chronological).
pub fn track(
    manifest: &Manifest,
    artifact: &ModelArtifact,
    matches: &[Match],
    serving: bool,
) -> Result<VersionTrack, PipelineError> {
    let base = base_rate(matches, artifact.trained_through);
    let predictions = predictions_after(artifact, matches)?;
    let rounds = score_rounds(&predictions, matches, &base);
    let stretches = score_stretches(&predictions, matches, &base, STRETCH_MATCHES);
    let n: usize = rounds.iter().map(|r| r.matches).sum();
    let weighted = |f: &dyn Fn(&RoundScore) -> f64| {
        if n == 0 {
            f64::NAN
        } else {
            rounds.iter().map(|r| f(r) * r.matches as f64).sum::<f64>() / n as f64
        }
    };
    Ok(VersionTrack {
        version: manifest.version.clone(),
        candidate: artifact.candidate,
        trained_through: artifact.trained_through,
        serving,
        base_rate: base,
        matches: n,
        rps: weighted(&|r| r.rps),
        accuracy: weighted(&|r| r.accuracy),
        base_rps: weighted(&|r| r.base_rps),
        base_accuracy: weighted(&|r| r.base_accuracy),
        rounds,
        stretches,
    })
}

/// The versions that have been champion: every version a run promoted, the current champion
/// and the one before it (hand promotions and rollbacks included), oldest training data first.
pub async fn champion_versions(lake: &Lake) -> Result<Vec<Manifest>, PipelineError> {
    let registry = Registry::new(lake);
    let mut names: BTreeSet<String> = BTreeSet::new();
    for run in crate::runs::list_runs(lake).await? {
        if let Some(v) = run.champion_after {
            names.insert(v);
        }
        if let Some(v) = run.champion_before {
            names.insert(v);
        }
    }
    if let Some(c) = registry.champion().await? {
        names.insert(c.version);
        if let Some(p) = c.previous {
            names.insert(p);
        }
    }
    let mut out = Vec::new();
    for name in names {
        match registry.manifest(&name).await {
            Ok(m) => out.push(m),
            // A run may name a version whose publication it did not finish.
            Err(LakeError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    out.sort_by(|a, b| (a.trained_through, &a.created_at).cmp(&(b.trained_through, &b.created_at)));
    Ok(out)
}

/// The track record of every version that was champion, over the lake's processed matches.
pub async fn track_record(lake: &Lake) -> Result<Vec<VersionTrack>, PipelineError> {
    let registry = Registry::new(lake);
    let champion = registry.champion().await?.map(|c| c.version);
    let manifests = champion_versions(lake).await?;
    let matches = crate::online::load_matches(lake).await?;
    let mut artifacts = Vec::with_capacity(manifests.len());
    for m in &manifests {
        artifacts.push(ModelArtifact::from_json(
            &registry.artifact(&m.version).await?,
        )?);
    }
    tokio::task::spawn_blocking(move || {
        manifests
            .iter()
            .zip(&artifacts)
            .map(|(m, a)| track(m, a, &matches, champion.as_deref() == Some(&m.version)))
            .collect()
    })
    .await
    .map_err(|e| PipelineError::Job(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use futbr_domain::synthetic::{csv_bytes, LeagueShape};
    use futbr_domain::validate::{validate_csv, ValidateOptions};
    use futbr_domain::History;
    use futbr_features::EngineConfig;
    use futbr_models::Hyper;

    fn league() -> Vec<Match> {
        let v = validate_csv(
            "league.csv",
            &csv_bytes(&LeagueShape::serie_a(2)),
            &ValidateOptions::default(),
        );
        History::from_matches(v.matches).matches().to_vec()
    }

    fn trained(matches: &[Match], through: usize) -> ModelArtifact {
        ModelArtifact::train(
            &matches[..through],
            Candidate::Elo,
            &Hyper::default(),
            EngineConfig::default(),
        )
        .unwrap()
    }

    #[test]
    fn predicts_only_later_matches_and_never_reads_their_results() {
        let matches = league();
        // Cut at a day boundary so the training data ends on a whole day.
        let mut cut = 600;
        while matches[cut].date == matches[cut - 1].date {
            cut += 1;
        }
        let artifact = trained(&matches, cut);
        let before = predictions_after(&artifact, &matches).unwrap();
        assert!(!before.is_empty());
        assert!(before
            .iter()
            .all(|(i, _)| matches[*i].date > artifact.trained_through));
        assert_eq!(before.len(), matches.len() - cut);
        // Change every later result: the predictions must not move (no leakage).
        let mut changed = matches.clone();
        for m in changed.iter_mut().skip(cut) {
            std::mem::swap(&mut m.home_goals, &mut m.away_goals);
            m.home_goals += 1;
        }
        let after = predictions_after(&artifact, &changed).unwrap();
        assert_eq!(before, after);
        // ...but the scores do.
        let base = base_rate(&matches, artifact.trained_through);
        assert_eq!(base, base_rate(&changed, artifact.trained_through));
        assert_ne!(
            score_rounds(&before, &matches, &base),
            score_rounds(&after, &changed, &base)
        );
    }

    #[test]
    fn stretches_move_forward_hold_whole_days_and_keep_every_match() {
        let matches = league();
        let predictions: Vec<(usize, Probs)> = (0..matches.len())
            .filter(|i| i % 3 != 0)
            .map(|i| (i, [0.5, 0.3, 0.2]))
            .collect();
        let base = [0.45, 0.3, 0.25];
        let stretches = score_stretches(&predictions, &matches, &base, STRETCH_MATCHES);
        let n: usize = stretches.iter().map(|s| s.matches).sum();
        assert_eq!(n, predictions.len());
        assert!(stretches.windows(2).all(|w| w[0].to < w[1].from));
        assert!(stretches.iter().all(|s| s.matches >= 1));
        // Only a season's last stretch may be short; a day is never split.
        for w in stretches.windows(2) {
            assert!(w[0].matches >= STRETCH_MATCHES || w[0].season != w[1].season);
        }
        let mean = stretches
            .iter()
            .map(|s| s.rps * s.matches as f64)
            .sum::<f64>()
            / n as f64;
        let direct = predictions
            .iter()
            .map(|(i, p)| rps(p, outcome(&matches[*i])))
            .sum::<f64>()
            / n as f64;
        assert!((mean - direct).abs() < 1e-12);
    }

    #[test]
    fn rounds_are_scored_against_the_base_rate() {
        let matches = league();
        let artifact = trained(&matches, 560);
        let base = base_rate(&matches, artifact.trained_through);
        assert!((base.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let predictions = predictions_after(&artifact, &matches).unwrap();
        let rounds = score_rounds(&predictions, &matches, &base);
        let n: usize = rounds.iter().map(|r| r.matches).sum();
        assert_eq!(n, predictions.len());
        // One round by hand.
        let r = &rounds[0];
        let in_round: Vec<&(usize, Probs)> = predictions
            .iter()
            .filter(|(i, _)| matches[*i].season == r.season && matches[*i].round == r.round)
            .collect();
        let mean = |f: &dyn Fn(&(usize, Probs)) -> f64| {
            in_round.iter().map(|x| f(x)).sum::<f64>() / in_round.len() as f64
        };
        assert_eq!(r.matches, in_round.len());
        assert!((r.rps - mean(&|(i, p)| rps(p, outcome(&matches[*i])))).abs() < 1e-12);
        assert!((r.base_rps - mean(&|(i, _)| rps(&base, outcome(&matches[*i])))).abs() < 1e-12);
        assert!(
            (r.base_accuracy - mean(&|(i, _)| hit(&base, outcome(&matches[*i])))).abs() < 1e-12
        );
        // Rounds come in date order.
        assert!(rounds.windows(2).all(|w| w[0].from <= w[1].from));
    }

    #[test]
    fn a_version_trained_on_everything_has_nothing_to_score() {
        let matches = league();
        let artifact = trained(&matches, matches.len());
        assert!(predictions_after(&artifact, &matches).unwrap().is_empty());
    }
}

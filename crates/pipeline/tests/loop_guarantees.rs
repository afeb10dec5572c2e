//! The loop's guarantees through the library: single-flight, retries with backoff, the gate
//! keeping a better champion, rollback-free failure, idempotence.

use std::time::Duration;

use bytes::Bytes;
use futbr_lake::registry::Registry;
use futbr_lake::Lake;
use futbr_models::Candidate;
use futbr_pipeline::orchestrate::{run_pipeline, PipelineOptions};
use futbr_pipeline::promote::promote;
use futbr_pipeline::runs::{list_runs, RunStatus};
use futbr_pipeline::train::{train, Comparison, TrainOptions};
use futbr_pipeline::watch::{run_with_retries, WatchOptions};
use futbr_pipeline::PipelineError;
use futbr_testkit::read_shared;

async fn lake_with_production_data() -> Lake {
    let lake = Lake::open("memory://").unwrap();
    lake.add_raw(
        "dados_producao_inicial.csv",
        Bytes::from(read_shared("dados_producao_inicial.csv")),
    )
    .await
    .unwrap();
    lake
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_never_overlap_on_one_lake() {
    let lake = lake_with_production_data().await;
    let options = PipelineOptions::default();
    let (a, b) = tokio::join!(run_pipeline(&lake, &options), run_pipeline(&lake, &options));
    let outcomes = [a, b];
    let busy = outcomes
        .iter()
        .filter(|o| matches!(o, Err(PipelineError::Busy { .. })))
        .count();
    let done = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(r) if r.status == RunStatus::Succeeded))
        .count();
    assert_eq!((busy, done), (1, 1), "{outcomes:?}");
    // Once the first is done, the next run goes through and finds nothing to do.
    let again = run_pipeline(&lake, &options).await.unwrap();
    assert_eq!(again.status, RunStatus::UpToDate, "{}", again.message);
}

#[tokio::test]
async fn a_failing_run_is_retried_with_backoff_then_left_failed() {
    let lake = Lake::open("memory://").unwrap();
    // Only a file with no valid row: processing fails every time.
    let header = futbr_domain::synthetic::HEADER;
    lake.add_raw(
        "ruim.csv",
        Bytes::from(format!(
            "{header}\n1,1,xx/01/2024,16:00,A,B,,,,,A,x,1,0,SP,RJ\n"
        )),
    )
    .await
    .unwrap();
    let options = WatchOptions {
        max_retries: 2,
        backoff: Duration::from_millis(10),
        ..WatchOptions::default()
    };
    let record = run_with_retries(&lake, &options, "test").await.unwrap();
    assert_eq!(record.status, RunStatus::Failed);
    let runs = list_runs(&lake).await.unwrap();
    assert_eq!(runs.len(), 3, "one run and two retries");
    assert!(runs
        .iter()
        .all(|r| r.status == RunStatus::Failed && r.message.contains("no valid match")));
    assert_eq!(runs[2].trigger, "test (retry 2 of 2)");
    assert!(lake
        .list("quarantine/")
        .await
        .unwrap()
        .iter()
        .any(|o| o.key.ends_with("ruim.csv.report.json")));
    assert_eq!(Registry::new(&lake).champion().await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_keeps_a_better_champion_and_says_why_with_both_numbers() {
    let lake = lake_with_production_data().await;
    let first = run_pipeline(&lake, &PipelineOptions::default())
        .await
        .unwrap();
    let champion = first.champion_after.clone().unwrap();
    // A worse recipe: base rates.
    let mut options = TrainOptions::new("manual");
    options.recipe = futbr_models::Recipe::of(Candidate::BaseRates);
    let challenger = train(&lake, &options).await.unwrap();
    // Both trainings compared every candidate on the same window, in one walk-forward pass each:
    // the same inputs gave the same scores (read back from the same bytes); each marks its own trained candidate,
    // whose entry is exactly the manifest's evaluation, and its rounds add up to it.
    let registry = Registry::new(&lake);
    let comparison = |version: String| {
        let registry = &registry;
        async move {
            let bytes = registry.comparison(&version).await.unwrap().unwrap();
            serde_json::from_slice::<Comparison>(&bytes).unwrap()
        }
    };
    let (a, b) = (
        comparison(champion.clone()).await,
        comparison(challenger.version.clone()).await,
    );
    assert_eq!(a.candidates, b.candidates);
    assert_eq!((a.from, a.to, a.matches), (b.from, b.to, b.matches));
    assert_eq!(
        a.candidates.iter().map(|c| c.candidate).collect::<Vec<_>>(),
        futbr_pipeline::train::DEFAULT_COMPARED.to_vec()
    );
    assert_eq!(
        (a.trained, b.trained),
        (Candidate::SERVED_BY_DEFAULT, Candidate::BaseRates)
    );
    // The same recipe on the same data again: the same candidates.json, byte for byte.
    let again = train(&lake, &options).await.unwrap();
    assert_ne!(again.version, challenger.version);
    assert_eq!(
        registry.comparison(&again.version).await.unwrap(),
        registry.comparison(&challenger.version).await.unwrap()
    );
    let champion_manifest = registry.manifest(&champion).await.unwrap();
    for (c, m) in [(&a, &champion_manifest), (&b, &challenger)] {
        let e = m.evaluation.as_ref().unwrap();
        let trained = c
            .candidates
            .iter()
            .find(|x| x.candidate == c.trained)
            .unwrap();
        // (Equal up to JSON's float parsing, which may move the last bit.)
        let (x, y) = (&trained.scores, &e.scores);
        assert_eq!(x.matches, y.matches);
        for (p, q) in [
            (x.rps, y.rps),
            (x.accuracy, y.accuracy),
            (x.log_loss, y.log_loss),
            (x.ece, y.ece),
        ] {
            assert!((p - q).abs() < 1e-12, "{x:?} vs {y:?}");
        }
        assert_eq!((c.from, c.to, c.matches), (e.from, e.to, e.matches));
        let n: usize = c.stretches.iter().map(|r| r.matches).sum();
        assert_eq!(n, e.matches);
        let mean = c
            .stretches
            .iter()
            .map(|r| r.rps * r.matches as f64)
            .sum::<f64>()
            / n as f64;
        assert!(
            (mean - e.scores.rps).abs() < 1e-12,
            "{mean} vs {}",
            e.scores.rps
        );
        assert!(
            c.stretches.len() > 30,
            "about a season: {}",
            c.stretches.len()
        );
        assert!(c.stretches.windows(2).all(|w| w[0].to < w[1].from));
    }
    let decision = promote(&lake, Some(&challenger.version), false, 0.0005)
        .await
        .unwrap();
    assert!(!decision.promoted, "{decision:?}");
    let (c, k) = (decision.challenger_rps, decision.champion_rps.unwrap());
    assert!(c > k + 0.0005, "base rates {c} should lose to elo {k}");
    assert!(decision.reason.contains("the champion stays"));
    assert_eq!(
        Registry::new(&lake)
            .champion()
            .await
            .unwrap()
            .unwrap()
            .version,
        champion
    );
    // --force skips the gate.
    let forced = promote(&lake, Some(&challenger.version), true, 0.0005)
        .await
        .unwrap();
    assert!(forced.promoted);
    let now = Registry::new(&lake).champion().await.unwrap().unwrap();
    assert_eq!(
        (now.version.as_str(), now.previous.as_deref()),
        (challenger.version.as_str(), Some(champion.as_str()))
    );
}

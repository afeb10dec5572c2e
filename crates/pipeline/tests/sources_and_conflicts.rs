//! Two sources in one lake, and conflicting results through the loop: a file that repeats the
//! 380 matches of 2024 with other scores changes neither the history nor the champion; the
//! same rows under raw/corrections/ do, and are recorded.

use bytes::Bytes;
use futbr_domain::validate::{validate_csv, ValidateOptions};
use futbr_domain::{History, Match};
use futbr_lake::registry::Registry;
use futbr_lake::{keys, tables, Lake};
use futbr_pipeline::orchestrate::{run_pipeline, PipelineOptions};
use futbr_pipeline::runs::RunStatus;
use futbr_pipeline::{process, ProcessOptions};
use futbr_testkit::read_shared;

const FULL: &str = "campeonato-brasileiro-full.csv";
const FOOTBALL_DATA: &str = "football-data-BRA-2012-2024.csv";

fn full_matches() -> Vec<Match> {
    let v = validate_csv(FULL, &read_shared(FULL), &ValidateOptions::default());
    History::from_matches(v.matches).matches().to_vec()
}

/// The 2024 matches of the real file, in the Brazilian layout, each with one more home goal.
fn season_2024_with_other_scores() -> String {
    let mut out =
        String::from("ID,rodata,data,hora,mandante,visitante,mandante_Placar,visitante_Placar\n");
    for m in full_matches().iter().filter(|m| m.season == 2024) {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            m.id.unwrap(),
            m.round,
            m.date.format("%d/%m/%Y"),
            m.time
                .map(|t| t.format("%H:%M").to_string())
                .unwrap_or_default(),
            m.home,
            m.away,
            m.home_goals + 1,
            m.away_goals
        ));
    }
    out
}

async fn processed(lake: &Lake) -> Vec<Match> {
    let bytes = lake.get(keys::MATCHES).await.unwrap();
    tables::matches_from_parquet(keys::MATCHES, bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_season_repeated_with_other_scores_changes_neither_history_nor_champion() {
    let lake = Lake::open("memory://").unwrap();
    lake.add_raw(FULL, Bytes::from(read_shared(FULL)))
        .await
        .unwrap();
    let first = run_pipeline(&lake, &PipelineOptions::default())
        .await
        .unwrap();
    assert_eq!(first.status, RunStatus::Succeeded, "{}", first.message);
    let champion = first.champion_after.clone().unwrap();
    let before = processed(&lake).await;

    let falsified = season_2024_with_other_scores();
    assert_eq!(falsified.lines().count(), 381);
    lake.add_raw("2024-falsified.csv", Bytes::from(falsified.clone()))
        .await
        .unwrap();
    let second = run_pipeline(&lake, &PipelineOptions::default())
        .await
        .unwrap();
    assert_eq!(second.status, RunStatus::UpToDate, "{}", second.message);
    assert_eq!(second.conflicts, 380);
    assert_eq!(second.merge_notes.len(), 10, "bounded");
    assert!(second.merge_notes[0].contains(&format!("raw/{FULL} line")));
    assert!(second.merge_notes[0].contains("raw/2024-falsified.csv line 2"));
    assert_eq!(processed(&lake).await, before, "the history is unchanged");
    let now = Registry::new(&lake).champion().await.unwrap().unwrap();
    assert_eq!(now.version, champion, "the champion is unchanged");
    let quarantined = lake
        .list(keys::QUARANTINE)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.key.ends_with("conflicts.json"))
        .expect("the conflicts are in quarantine");
    let conflicts: serde_json::Value =
        serde_json::from_slice(&lake.get(&quarantined.key).await.unwrap()).unwrap();
    assert_eq!(conflicts.as_array().unwrap().len(), 380);

    // Asked for explicitly, the same rows correct the results, and the run says so.
    lake.add_raw_in("corrections/", "2024-corrected.csv", Bytes::from(falsified))
        .await
        .unwrap();
    let third = run_pipeline(&lake, &PipelineOptions::default())
        .await
        .unwrap();
    assert_eq!(third.status, RunStatus::Succeeded, "{}", third.message);
    assert_eq!(third.corrections, 380);
    let after = processed(&lake).await;
    assert_eq!(after.len(), before.len());
    let changed = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a.home_goals + 1 == b.home_goals)
        .count();
    assert_eq!(changed, 380);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_sources_in_a_lake_give_the_brazilian_matches_with_closing_odds() {
    let lake = Lake::open("memory://").unwrap();
    lake.add_raw(FULL, Bytes::from(read_shared(FULL)))
        .await
        .unwrap();
    lake.add_raw(FOOTBALL_DATA, Bytes::from(read_shared(FOOTBALL_DATA)))
        .await
        .unwrap();
    let options = ProcessOptions {
        run_id: "r1".into(),
        validate: ValidateOptions::default(),
    };
    let report = process(&lake, &options).await.unwrap();
    assert_eq!(report.matches, 8785);
    assert_eq!(report.merge.combined, 4939);
    assert_eq!(report.conflicts(), 0);
    let fd = &report.inputs[1].validation;
    assert_eq!((fd.rows_total, fd.rows_accepted), (4940, 4940));
    let matches = processed(&lake).await;
    assert_eq!(matches.len(), 8785);
    assert!(
        matches.iter().all(|m| m.id.is_some()),
        "Brazilian records are the base"
    );
    let with_odds = matches.iter().filter(|m| m.odds.is_some()).count();
    assert!(with_odds > 4800, "{with_odds}");
    // The columns themselves (nullable prices, odds_source) are checked in futbr-lake's tables.
}

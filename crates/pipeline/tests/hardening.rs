//! The loop under faults (issue 9), through the library: `raw/` cannot leak or stall the loop, the
//! quarantine stays bounded, the registry heals, a rollback holds, a stale run is fenced.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use futbr_domain::synthetic::{csv_bytes, LeagueShape, HEADER};
use futbr_lake::registry::{ChampionPointer, Registry};
use futbr_lake::{keys, Expect, Lake, LakeError};
use futbr_pipeline::orchestrate::{run_pipeline, PipelineOptions};
use futbr_pipeline::process::{PROBLEMS_PER_FILE, PROBLEMS_PER_KIND};
use futbr_pipeline::runs::RunStatus;
use futbr_pipeline::train::TrainOptions;
use futbr_pipeline::{process, PipelineError, ProcessOptions};

/// Two synthetic Série A seasons (760 matches): enough to train and gate in a second.
fn league() -> Vec<u8> {
    csv_bytes(&LeagueShape::serie_a(2))
}

/// The header and the first `n` rows of a CSV.
fn head(csv: &[u8], n: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(csv);
    let mut out: Vec<&str> = text.lines().take(n + 1).collect();
    out.push("");
    out.join("\n").into_bytes()
}

fn options(run: &str) -> ProcessOptions {
    ProcessOptions {
        run_id: run.into(),
        validate: Default::default(),
    }
}

/// Every regular file under `dir` (links are not followed), with its bytes.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let kind = std::fs::symlink_metadata(entry.path()).unwrap().file_type();
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                out.push((entry.path(), std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    out
}

fn size_under(dir: &Path) -> u64 {
    files_under(dir).iter().map(|(_, b)| b.len() as u64).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_links_are_reported_never_followed_and_odd_names_never_block_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lake");
    let lake = Lake::open(root.to_str().unwrap()).unwrap();
    let raw = root.join("raw");
    std::fs::create_dir_all(&raw).unwrap();
    let secret = "root:SEGREDO-9F3A-NAO-VAZAR:19000:0:99999:7:::";
    let outside = dir.path().join("shadow");
    std::fs::write(&outside, format!("{secret}\n{secret}\n")).unwrap();
    let outside_dir = dir.path().join("elsewhere");
    std::fs::create_dir_all(&outside_dir).unwrap();
    std::fs::write(outside_dir.join("inner.csv"), secret).unwrap();

    let csv = league();
    std::fs::write(raw.join("base.csv"), &csv).unwrap();
    std::os::unix::fs::symlink(&outside, raw.join("x.csv")).unwrap();
    std::os::unix::fs::symlink(&outside_dir, raw.join("pasta")).unwrap();
    std::os::unix::fs::symlink(raw.join("laco"), raw.join("laco")).unwrap();
    let odd = [
        "é.csv",
        "⚽ rodada 38.csv",
        "100%.csv",
        "x#1.csv",
        "linha\nnova.csv",
    ];
    for name in odd {
        std::fs::write(raw.join(name), head(&csv, 10)).unwrap();
    }
    std::fs::write(raw.join("x.csv#1"), head(&csv, 10)).unwrap();
    let not_utf8 = std::ffi::OsStr::from_bytes(b"jogos-\xff.csv");
    std::fs::write(raw.join(not_utf8), head(&csv, 10)).unwrap();

    let report = process(&lake, &options("r1")).await.unwrap();
    let read: Vec<&str> = report.inputs.iter().map(|i| i.key.as_str()).collect();
    for name in odd.iter().chain(&["base.csv"]) {
        assert!(
            read.contains(&format!("raw/{name}").as_str()),
            "{name:?} not read: {read:?}"
        );
    }
    assert!(report
        .inputs
        .iter()
        .all(|i| i.validation.rejected.is_none()));
    let skipped: Vec<(&str, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.name.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 5, "{skipped:?}");
    // Named as object_store names a file it is still writing: reported, never read.
    assert!(skipped
        .iter()
        .any(|(n, why)| *n == "raw/x.csv#1" && why.contains("rename it")));
    for link in ["raw/x.csv", "raw/pasta", "raw/laco"] {
        assert!(
            skipped
                .iter()
                .any(|(n, why)| *n == link && why.contains("symbolic link")),
            "{link}: {skipped:?}"
        );
    }
    assert!(skipped
        .iter()
        .any(|(n, why)| n.starts_with("raw/jogos-") && why.contains("UTF-8")));

    // The whole loop goes through, and the secret is nowhere in the lake.
    let record = run_pipeline(&lake, &PipelineOptions::default())
        .await
        .unwrap();
    assert_eq!(record.status, RunStatus::Succeeded, "{}", record.message);
    for (path, bytes) in files_under(&root) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("SEGREDO-9F3A"),
            "the secret leaked into {}",
            path.display()
        );
    }
}

#[tokio::test]
async fn a_rejected_object_is_quarantined_once_and_reports_stay_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lake");
    let lake = Lake::open(root.to_str().unwrap()).unwrap();
    let csv = league();
    lake.add_raw("base.csv", Bytes::from(csv.clone()))
        .await
        .unwrap();
    // A 2 MB upload that is no CSV of matches at all: rejected whole.
    let junk: Vec<u8> = (0..2_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    lake.add_raw("lixo.csv", Bytes::from(junk)).await.unwrap();
    // A header with 100,000 extra columns and a few rows: 100,000 warnings.
    let mut wide = HEADER.to_string();
    for i in 0..100_000 {
        wide.push_str(&format!(",extra{i}"));
    }
    let rows = String::from_utf8(head(&csv, 5)).unwrap();
    let rows: Vec<&str> = rows.lines().skip(1).collect();
    let wide = format!("{wide}\n{}\n", rows.join("\n"));
    lake.add_raw("largo.csv", Bytes::from(wide)).await.unwrap();

    let first = process(&lake, &options("r1")).await.unwrap();
    let quarantine = root.join("quarantine");
    let after_first = size_under(&quarantine);
    assert!(after_first >= 2_000_000, "{after_first}");
    for run in ["r2", "r3", "r4"] {
        let again = process(&lake, &options(run)).await.unwrap();
        assert_eq!(again.matches, first.matches);
        let junk = again
            .inputs
            .iter()
            .find(|i| i.key == "raw/lixo.csv")
            .unwrap();
        assert_eq!(
            junk.quarantined_to.as_deref(),
            Some("quarantine/r1/lixo.csv")
        );
    }
    assert_eq!(
        size_under(&quarantine),
        after_first,
        "quarantine grew on later runs"
    );

    let wide = first
        .inputs
        .iter()
        .find(|i| i.key == "raw/largo.csv")
        .unwrap();
    let problems = &wide.validation.problems;
    assert!(
        problems.len() <= PROBLEMS_PER_FILE + PROBLEMS_PER_KIND,
        "{}",
        problems.len()
    );
    assert!(
        problems.iter().any(|p| p
            .message
            .starts_with("99980 more problem(s) like \"unknown column")),
        "{:?}",
        problems.last()
    );
    let report = std::fs::metadata(root.join(keys::PROCESSING_REPORT))
        .unwrap()
        .len();
    assert!(report < 200_000, "processed/report.json is {report} bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_heals_from_corruption_of_each_of_its_objects() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lake");
    let lake = Lake::open(root.to_str().unwrap()).unwrap();
    lake.add_raw("base.csv", Bytes::from(league()))
        .await
        .unwrap();
    let short_lease = PipelineOptions {
        lease: Duration::from_secs(1),
        ..PipelineOptions::default()
    };
    let first = run_pipeline(&lake, &short_lease).await.unwrap();
    let v1 = first.champion_after.clone().unwrap();
    let registry = Registry::new(&lake);

    // A garbled lease blocks nobody.
    let etag = lake
        .get_with_etag(keys::LEASE)
        .await
        .unwrap()
        .unwrap()
        .1
        .unwrap();
    lake.swap(keys::LEASE, Expect::ETag(&etag), "{\"run_id\": ")
        .await
        .unwrap();
    let again = run_pipeline(&lake, &short_lease).await.unwrap();
    assert_eq!(again.status, RunStatus::UpToDate, "{}", again.message);

    // processed/ damaged or missing: the next run rebuilds it instead of saying "up to date".
    std::fs::remove_file(root.join(keys::FEATURES)).unwrap();
    std::fs::write(root.join(keys::MATCHES), b"not parquet").unwrap();
    let rebuilt = run_pipeline(&lake, &short_lease).await.unwrap();
    assert!(rebuilt
        .steps
        .iter()
        .any(|s| s.name == "process" && s.outcome == "ok"));
    assert!(root.join(keys::FEATURES).is_file());
    assert_ne!(
        std::fs::read(root.join(keys::MATCHES)).unwrap(),
        b"not parquet"
    );

    // A version a crash left without a manifest is removed once the lease is held and it is old.
    let orphan = root.join("models/v00000000T000000000Z-dead");
    std::fs::create_dir_all(&orphan).unwrap();
    std::fs::write(orphan.join("model.json"), b"{}").unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    run_pipeline(&lake, &short_lease).await.unwrap();
    assert!(!orphan.join("model.json").exists());

    // An altered artifact is refused on load.
    let model = root.join(format!("models/{v1}/model.json"));
    let original = std::fs::read(&model).unwrap();
    let mut tampered = original.clone();
    tampered.extend_from_slice(b" ");
    std::fs::write(&model, &tampered).unwrap();
    assert!(matches!(
        registry.artifact(&v1).await,
        Err(LakeError::Corrupt { .. })
    ));
    std::fs::write(&model, &original).unwrap();

    // A truncated champion pointer: runs say how to repair it; an explicit promotion does.
    let (bytes, etag) = lake.get_with_etag(keys::CHAMPION).await.unwrap().unwrap();
    let etag = etag.unwrap();
    lake.swap(
        keys::CHAMPION,
        Expect::ETag(&etag),
        bytes.slice(..bytes.len() / 2),
    )
    .await
    .unwrap();
    let failed = run_pipeline(&lake, &short_lease).await.unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    assert!(
        failed.message.contains("futbr models promote"),
        "{}",
        failed.message
    );
    let forced = futbr_pipeline::promote::promote(&lake, Some(&v1), true, 0.0)
        .await
        .unwrap();
    assert!(forced.promoted);
    assert_eq!(registry.champion().await.unwrap().unwrap().version, v1);

    // The champion's version folder deleted: the next run trains and replaces it.
    std::fs::remove_dir_all(root.join(format!("models/{v1}"))).unwrap();
    let replaced = run_pipeline(&lake, &short_lease).await.unwrap();
    assert_eq!(
        replaced.status,
        RunStatus::Succeeded,
        "{}",
        replaced.message
    );
    let v2 = replaced.champion_after.clone().unwrap();
    assert_ne!(v2, v1);
    assert!(registry.artifact(&v2).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_holds_until_new_data_arrives_or_the_pin_is_released() {
    let lake = Lake::open("memory://").unwrap();
    let csv = league();
    let text = String::from_utf8(csv.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (early, late) = lines.split_at(lines.len() - 40);
    lake.add_raw("a.csv", Bytes::from(format!("{}\n", early.join("\n"))))
        .await
        .unwrap();
    let v1 = run_pipeline(&lake, &PipelineOptions::default())
        .await
        .unwrap()
        .champion_after
        .unwrap();
    lake.add_raw(
        "b.csv",
        Bytes::from(format!("{HEADER}\n{}\n", late[..20].join("\n"))),
    )
    .await
    .unwrap();
    let second = run_pipeline(&lake, &PipelineOptions::default())
        .await
        .unwrap();
    let v2 = second.champion_after.clone().unwrap();
    assert_ne!(v1, v2, "{}", second.message);

    let registry = Registry::new(&lake);
    let rolled = registry.rollback().await.unwrap();
    assert_eq!(rolled.version, v1);
    // A restart of the loop (watch's first run) does nothing and says why.
    let held = run_pipeline(&lake, &PipelineOptions::default())
        .await
        .unwrap();
    assert_eq!(held.status, RunStatus::Pinned, "{}", held.message);
    assert!(held.message.contains(&v2), "{}", held.message);
    assert_eq!(registry.champion().await.unwrap().unwrap().version, v1);

    // New data that v2 had not seen lifts the hold: the gate runs again.
    lake.add_raw(
        "c.csv",
        Bytes::from(format!("{HEADER}\n{}\n", late[20..].join("\n"))),
    )
    .await
    .unwrap();
    let resumed = run_pipeline(&lake, &PipelineOptions::default())
        .await
        .unwrap();
    assert_eq!(resumed.status, RunStatus::Succeeded, "{}", resumed.message);
    assert!(resumed.gate.is_some());

    // The operator can release a pin by hand too.
    let v3 = resumed.champion_after.unwrap();
    if v3 != v1 {
        registry.rollback().await.unwrap();
    }
    assert!(registry.release_pin().await.unwrap().is_some() || v3 == v1);
    assert!(registry.champion().await.unwrap().unwrap().pinned.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_lost_its_lease_writes_nothing_more() {
    let lake = Lake::open("memory://").unwrap();
    lake.add_raw("base.csv", Bytes::from(league()))
        .await
        .unwrap();
    let first = run_pipeline(&lake, &PipelineOptions::default())
        .await
        .unwrap();
    assert!(first.champion_after.is_some());
    // A stale run: it holds generation g, is paused past its lease and taken over.
    let stale = lake
        .acquire_lease("stale", chrono::Duration::milliseconds(1))
        .await
        .unwrap()
        .unwrap();
    let fenced = lake.fenced(&stale);
    tokio::time::sleep(Duration::from_millis(20)).await;
    lake.add_raw("more.csv", Bytes::from(head(&league(), 3)))
        .await
        .unwrap();
    // The newer run takes over the expired lease and finishes.
    let newer = run_pipeline(&lake, &PipelineOptions::default())
        .await
        .unwrap();
    assert_ne!(newer.status, RunStatus::Failed, "{}", newer.message);
    let processed = lake.get(keys::MATCHES).await.unwrap();
    let champion = Registry::new(&lake).champion_pointer().await.unwrap();
    // The stale run wakes up: each of its jobs fails on its first write.
    let err = process(&fenced, &options("stale")).await.unwrap_err();
    assert!(
        matches!(err, PipelineError::Lake(LakeError::Fenced { .. })),
        "{err}"
    );
    let versions = Registry::new(&lake).versions().await.unwrap().len();
    let err = futbr_pipeline::train::train(&fenced, &TrainOptions::new("stale"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no longer holds the run lease"),
        "{err}"
    );
    let err = futbr_pipeline::runs::RunRecord::new("stale", "test")
        .save(&fenced)
        .await
        .unwrap_err();
    assert!(matches!(err, LakeError::Fenced { .. }), "{err}");
    assert_eq!(
        Registry::new(&lake).versions().await.unwrap().len(),
        versions
    );
    assert_eq!(lake.get(keys::MATCHES).await.unwrap(), processed);
    assert_eq!(
        Registry::new(&lake).champion_pointer().await.unwrap(),
        champion
    );
    assert!(matches!(champion, ChampionPointer::Valid { .. }));
}

//! One contract for every store the lake runs on: the same checks — store, lease (fencing, the
//! expired-lease takeover race between tasks and between processes, repeated) and registry
//! (champion compare-and-swap, artifact checksums, rollback pins) — on the in-memory store, on a
//! local folder and on an S3-compatible server (`FUTBR_TEST_S3_URL`; under CI, where
//! `FUTBR_REQUIRE_S3` is set, its absence fails instead of skipping).

use bytes::Bytes;
use chrono::Duration;
use futbr_lake::registry::{ChampionPointer, InputObject, Manifest, Registry};
use futbr_lake::{keys, Busy, Expect, Lake, LakeError, LeaseState};

/// Single-flight: one lease at a time; an expired one is taken over, and its old holder learns it.
async fn lease_contract(lake: &Lake) {
    let a = lake
        .acquire_lease("run-a", Duration::seconds(60))
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(lake.acquire_lease("run-b", Duration::seconds(60)).await.unwrap(), Err(Busy::HeldBy(r)) if r.run_id == "run-a")
    );
    assert!(lake.renew_lease(&a).await.unwrap());
    lake.release_lease(&a).await.unwrap();
    let b = lake
        .acquire_lease("run-b", Duration::milliseconds(1))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let c = lake
        .acquire_lease("run-c", Duration::seconds(60))
        .await
        .unwrap()
        .unwrap();
    assert!(!lake.renew_lease(&b).await.unwrap());
    lake.release_lease(&b).await.unwrap();
    assert_eq!(lake.current_lease().await.unwrap().unwrap().run_id, "run-c");
    lake.release_lease(&c).await.unwrap();
    assert_eq!(lake.current_lease().await.unwrap(), None);
}

/// Versions are immutable; the champion pointer names a published version and its predecessor.
async fn registry_contract(lake: &Lake) {
    let registry = Registry::new(lake);
    let manifest = |v: &str| Manifest {
        version: v.into(),
        created_at: chrono::Utc::now(),
        run_id: "r".into(),
        candidate: futbr_models::Candidate::Elo,
        hyper: futbr_models::Hyper::default(),
        code_version: "test".into(),
        inputs: vec![],
        data_sha256: "00".into(),
        matches: 1,
        trained_from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        trained_through: chrono::NaiveDate::from_ymd_opt(2020, 1, 2).unwrap(),
        evaluation: None,
        artifact_sha256: None,
        original_sha256: None,
    };
    assert_eq!(registry.champion().await.unwrap(), None);
    registry
        .publish(
            &manifest("v1"),
            Bytes::from_static(b"{}"),
            Bytes::from_static(b"{}"),
        )
        .await
        .unwrap();
    assert!(registry
        .publish(
            &manifest("v1"),
            Bytes::from_static(b"{\"x\":1}"),
            Bytes::from_static(b"{}")
        )
        .await
        .is_err());
    assert_eq!(&registry.artifact("v1").await.unwrap()[..], b"{}");
    registry
        .publish(
            &manifest("v2"),
            Bytes::from_static(b"{}"),
            Bytes::from_static(b"{}"),
        )
        .await
        .unwrap();
    assert!(registry
        .set_champion("v9", "no such version")
        .await
        .is_err());
    registry.set_champion("v1", "first").await.unwrap();
    let c = registry.set_champion("v2", "better").await.unwrap();
    assert_eq!(c.previous.as_deref(), Some("v1"));
    let versions: Vec<String> = registry
        .versions()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(versions, ["v1", "v2"]);
}

async fn contract(lake: &Lake) {
    // Whole-object put and get.
    lake.put("processed/a.json", "1").await.unwrap();
    lake.put("processed/a.json", "22").await.unwrap();
    assert_eq!(&lake.get("processed/a.json").await.unwrap()[..], b"22");
    assert!(matches!(
        lake.get("processed/missing").await,
        Err(LakeError::NotFound { .. })
    ));
    assert_eq!(lake.get_opt("processed/missing").await.unwrap(), None);

    // Create-only writes.
    assert!(lake.put_if_absent("runs/lock", "me").await.unwrap());
    assert!(!lake.put_if_absent("runs/lock", "you").await.unwrap());
    assert_eq!(&lake.get("runs/lock").await.unwrap()[..], b"me");
    lake.delete("runs/lock").await.unwrap();
    lake.delete("runs/lock").await.unwrap(); // absent is fine
    assert!(lake.put_if_absent("runs/lock", "you").await.unwrap());

    // raw/ is append-only: never overwritten, never deleted.
    let first = lake
        .add_raw("dir/jogos 2024.csv", Bytes::from_static(b"a"))
        .await
        .unwrap();
    assert_eq!(
        (first.key.as_str(), first.created),
        ("raw/jogos_2024.csv", true)
    );
    let same = lake
        .add_raw("jogos 2024.csv", Bytes::from_static(b"a"))
        .await
        .unwrap();
    assert_eq!(
        (same.key.as_str(), same.created),
        ("raw/jogos_2024.csv", false)
    );
    let other = lake
        .add_raw("jogos 2024.csv", Bytes::from_static(b"b"))
        .await
        .unwrap();
    assert_eq!(
        (other.key.as_str(), other.created),
        ("raw/jogos_2024-2.csv", true)
    );
    assert_eq!(&lake.get("raw/jogos_2024.csv").await.unwrap()[..], b"a");
    assert!(matches!(
        lake.put("raw/jogos_2024.csv", "x").await,
        Err(LakeError::RawIsReadOnly { .. })
    ));
    assert!(matches!(
        lake.delete("raw/jogos_2024.csv").await,
        Err(LakeError::RawIsReadOnly { .. })
    ));
    assert!(matches!(
        lake.put_if_absent("raw/new.csv", "x").await,
        Err(LakeError::RawIsReadOnly { .. })
    ));

    // Listings are relative to the lake root, sorted, with sizes.
    let raw = lake.list("raw/").await.unwrap();
    let keys: Vec<&str> = raw.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["raw/jogos_2024-2.csv", "raw/jogos_2024.csv"]);
    assert!(raw.iter().all(|o| o.size == 1));
    let head = lake.head("processed/a.json").await.unwrap().unwrap();
    assert_eq!(head.size, 2);
    assert_eq!(lake.head("processed/none").await.unwrap(), None);
    assert!(lake.list("nothing/").await.unwrap().is_empty());
}

/// A run paused past its lease and taken over writes nothing more: every write through its fenced
/// handle fails naming the new holder, and its gate cannot replace the champion it read.
async fn fencing_contract(lake: &Lake) {
    let old = lake
        .acquire_lease("run-old", Duration::milliseconds(1))
        .await
        .unwrap()
        .unwrap();
    let fenced_old = lake.fenced(&old);
    fenced_old.put("processed/f.json", "old").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let new = lake
        .acquire_lease("run-new", Duration::seconds(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new.generation, old.generation + 1);
    let fenced_new = lake.fenced(&new);
    fenced_new.put("processed/f.json", "new").await.unwrap();
    for result in [
        fenced_old.put("processed/f.json", "stale").await,
        fenced_old
            .put_if_absent("models/stale/model.json", "x")
            .await
            .map(|_| ()),
        fenced_old.delete("processed/f.json").await,
    ] {
        match result {
            Err(LakeError::Fenced { holder, .. }) => {
                assert!(holder.contains("run-new"), "{holder}")
            }
            other => panic!("a stale run wrote: {other:?}"),
        }
    }
    assert!(!lake.renew_lease(&old).await.unwrap());
    lake.release_lease(&old).await.unwrap(); // not ours any more: a no-op
    assert_eq!(&lake.get("processed/f.json").await.unwrap()[..], b"new");
    assert_eq!(lake.head("models/stale/model.json").await.unwrap(), None);
    assert_eq!(
        lake.current_lease().await.unwrap().unwrap().run_id,
        "run-new"
    );
    // A released lease keeps its generation; the next one follows it.
    lake.release_lease(&new).await.unwrap();
    assert!(fenced_new.put("processed/f.json", "after").await.is_err());
    assert_eq!(lake.current_lease().await.unwrap(), None);
    let next = lake
        .acquire_lease("run-next", Duration::seconds(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.generation, new.generation + 1);
    lake.release_lease(&next).await.unwrap();
    // The pointers are never written blind.
    assert!(matches!(
        lake.put(keys::LEASE, "x").await,
        Err(LakeError::PointerNeedsSwap { .. })
    ));
    assert!(matches!(
        lake.put(keys::CHAMPION, "x").await,
        Err(LakeError::PointerNeedsSwap { .. })
    ));
    // A garbled lease blocks nobody: it is taken over like an expired one.
    let LeaseState::Held { etag, .. } = lake.lease_state().await.unwrap() else {
        panic!("the released lease stays as a record")
    };
    assert!(lake
        .swap(keys::LEASE, Expect::ETag(&etag), "{\"run_id\": \"tru")
        .await
        .unwrap());
    assert!(matches!(
        lake.lease_state().await.unwrap(),
        LeaseState::Garbled { .. }
    ));
    let healed = lake
        .acquire_lease("run-healed", Duration::seconds(60))
        .await
        .unwrap()
        .unwrap();
    lake.release_lease(&healed).await.unwrap();
}

/// Several takers race for one expired lease, `rounds` times: exactly one wins each round. Each
/// taker is a thread with its own runtime and its own handle on the lake.
async fn takeover_race(url: &str, takers: usize, rounds: usize) {
    for round in 0..rounds {
        let lake = Lake::open(url).unwrap();
        let held = lake
            .acquire_lease(&format!("dead-{round}"), Duration::milliseconds(1))
            .await
            .unwrap()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(takers));
        let threads: Vec<_> =
            (0..takers)
                .map(|t| {
                    let (url, barrier) = (url.to_string(), barrier.clone());
                    std::thread::spawn(move || {
                        let runtime = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .unwrap();
                        let lake = Lake::open(&url).unwrap();
                        barrier.wait();
                        runtime
                            .block_on(lake.acquire_lease(
                                &format!("taker-{round}-{t}"),
                                Duration::seconds(60),
                            ))
                            .unwrap()
                            .ok()
                    })
                })
                .collect();
        let winners: Vec<_> = threads
            .into_iter()
            .filter_map(|t| t.join().unwrap())
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        assert_eq!(winners[0].generation, held.generation + 1);
        lake.release_lease(&winners[0]).await.unwrap();
    }
}

/// The same race between processes: this test binary run again as `takers` children, each
/// trying once to take the expired lease; exactly one reports winning.
async fn takeover_race_between_processes(url: &str, takers: usize, rounds: usize) {
    for round in 0..rounds {
        let lake = Lake::open(url).unwrap();
        lake.acquire_lease(&format!("dead-p{round}"), Duration::milliseconds(1))
            .await
            .unwrap()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let start_at = chrono::Utc::now() + Duration::milliseconds(400);
        let children: Vec<_> = (0..takers)
            .map(|t| {
                std::process::Command::new(std::env::current_exe().unwrap())
                    .args([
                        "--exact",
                        "lease_taker_child",
                        "--nocapture",
                        "--test-threads=1",
                    ])
                    .env("FUTBR_TAKER_URL", url)
                    .env("FUTBR_TAKER_ID", format!("ptaker-{round}-{t}"))
                    .env("FUTBR_TAKER_AT", start_at.to_rfc3339())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut won = 0;
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success());
            won += String::from_utf8_lossy(&out.stdout)
                .matches("TAKER WON")
                .count();
        }
        assert_eq!(won, 1, "round {round}: {won} processes took the lease");
        let winner = lake.current_lease().await.unwrap().unwrap();
        assert!(winner.run_id.starts_with(&format!("ptaker-{round}-")));
        let LeaseState::Held { etag, record } = lake.lease_state().await.unwrap() else {
            unreachable!()
        };
        let released = futbr_lake::LeaseRecord {
            released: true,
            ..record
        };
        lake.swap(
            keys::LEASE,
            Expect::ETag(&etag),
            serde_json::to_vec(&released).unwrap(),
        )
        .await
        .unwrap();
    }
}

/// The child side of [`takeover_race_between_processes`] (does nothing when run normally).
#[tokio::test]
async fn lease_taker_child() {
    let (Ok(url), Ok(id), Ok(at)) = (
        std::env::var("FUTBR_TAKER_URL"),
        std::env::var("FUTBR_TAKER_ID"),
        std::env::var("FUTBR_TAKER_AT"),
    ) else {
        return;
    };
    let at = chrono::DateTime::parse_from_rfc3339(&at).unwrap();
    let lake = Lake::open(&url).unwrap();
    if let Ok(wait) = (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
    if lake
        .acquire_lease(&id, Duration::seconds(60))
        .await
        .unwrap()
        .is_ok()
    {
        println!("TAKER WON");
    }
}

/// The gate's compare-and-swap, checksummed artifacts, an unreadable pointer replaced by an
/// explicit promotion, and a rollback's pin.
async fn champion_contract(lake: &Lake) {
    let registry = Registry::new(lake);
    let manifest = |v: &str, sha: &str| Manifest {
        version: v.into(),
        created_at: chrono::Utc::now(),
        run_id: "r".into(),
        candidate: futbr_models::Candidate::Elo,
        hyper: futbr_models::Hyper::default(),
        code_version: "test".into(),
        inputs: vec![InputObject {
            key: "raw/a.csv".into(),
            size: 1,
            etag: None,
            sha256: sha.into(),
        }],
        data_sha256: "00".into(),
        matches: 1,
        trained_from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        trained_through: chrono::NaiveDate::from_ymd_opt(2020, 1, 2).unwrap(),
        evaluation: None,
        artifact_sha256: None,
        original_sha256: None,
    };
    for (v, sha) in [("c1", "aa"), ("c2", "bb"), ("c3", "cc")] {
        let published = registry
            .publish(
                &manifest(v, sha),
                Bytes::from(format!("{{\"v\":\"{v}\"}}")),
                Bytes::from_static(b"{}"),
            )
            .await
            .unwrap();
        assert_eq!(
            published.artifact_sha256.as_deref(),
            Some(
                futbr_lake::registry::sha256_hex(format!("{{\"v\":\"{v}\"}}").as_bytes()).as_str()
            )
        );
    }
    registry.set_champion("c1", "first").await.unwrap();
    // The gate read c1; meanwhile another run made c2 champion: the gate's swap fails.
    let read = registry.champion_pointer().await.unwrap();
    assert_eq!(read.version(), Some("c1"));
    let (_, etag) = registry.champion_with_etag().await.unwrap().unwrap();
    assert!(matches!(&read, ChampionPointer::Valid { etag: e, .. } if Some(e) == etag.as_ref()));
    registry.set_champion("c2", "newer run").await.unwrap();
    let stale = futbr_lake::registry::Champion {
        version: "c3".into(),
        since: chrono::Utc::now(),
        previous: Some("c1".into()),
        reason: "stale gate".into(),
        pinned: None,
    };
    match registry.replace_champion(&read, &stale).await {
        Err(LakeError::ChampionChanged { found }) => assert_eq!(found, "c2"),
        other => panic!("the stale gate replaced the champion: {other:?}"),
    }
    assert_eq!(registry.champion().await.unwrap().unwrap().version, "c2");

    // Artifacts are checked against the manifest's SHA-256.
    lake.put("models/c3/model.json", "{\"v\":\"tampered\"}")
        .await
        .unwrap();
    assert!(matches!(
        registry.artifact("c3").await,
        Err(LakeError::Corrupt { .. })
    ));
    assert_eq!(
        &registry.artifact("c2").await.unwrap()[..],
        b"{\"v\":\"c2\"}"
    );

    // Rollback pins the previous champion with the lineage of the one rolled back from.
    let rolled = registry.rollback().await.unwrap();
    assert_eq!(rolled.version, "c1");
    let pin = rolled.pinned.clone().unwrap();
    assert_eq!(pin.rolled_back_from, "c2");
    let input = |sha: &str| InputObject {
        key: "raw/a.csv".into(),
        size: 1,
        etag: None,
        sha256: sha.into(),
    };
    assert!(pin.holds_for(&[input("bb")]));
    assert!(!pin.holds_for(&[
        input("bb"),
        InputObject {
            key: "raw/new.csv".into(),
            ..input("dd")
        }
    ]));
    assert_eq!(
        registry.champion().await.unwrap().unwrap().pinned,
        Some(pin)
    );
    let released = registry.release_pin().await.unwrap().unwrap();
    assert_eq!((released.version.as_str(), released.pinned), ("c1", None));

    // An unreadable pointer: reading it says how to repair it; an explicit promotion replaces it.
    let ChampionPointer::Valid { etag, .. } = registry.champion_pointer().await.unwrap() else {
        unreachable!()
    };
    assert!(lake
        .swap(keys::CHAMPION, Expect::ETag(&etag), "{\"version\": \"c")
        .await
        .unwrap());
    let err = registry.champion().await.unwrap_err();
    assert!(err.to_string().contains("futbr models promote"), "{err}");
    assert!(registry.rollback().await.is_err());
    let healed = registry.set_champion("c2", "repaired").await.unwrap();
    assert_eq!((healed.version.as_str(), healed.previous), ("c2", None));
}

async fn full_contract(lake: &Lake) {
    contract(lake).await;
    lease_contract(lake).await;
    fencing_contract(lake).await;
    registry_contract(lake).await;
    champion_contract(lake).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_store_keeps_the_contract() {
    full_contract(&Lake::open("memory://").unwrap()).await;
    contract(&Lake::open("memory://some/prefix").unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_folder_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    full_contract(&Lake::open(dir.path().join("lake").to_str().unwrap()).unwrap()).await;
    let dir = tempfile::tempdir().unwrap();
    contract(&Lake::open(&format!("file://{}", dir.path().display())).unwrap()).await;
    assert!(dir.path().join("raw/jogos_2024.csv").is_file());
}

/// While object_store writes a file into a folder's raw/ (staged as `NAME#1`, then published
/// under `NAME`), a listing never offers the half-written staging file as an input: it is
/// reported, and the final name, once listed, is whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_being_written_into_raw_is_never_listed_as_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lake");
    let lake = Lake::open(root.to_str().unwrap()).unwrap();
    let big = Bytes::from(vec![b'7'; 32 << 20]);
    let mut caught = 0;
    for attempt in 0..20 {
        let name = format!("grande-{attempt}.csv");
        let writer = {
            let (lake, big, name) = (lake.clone(), big.clone(), name.clone());
            tokio::spawn(async move { lake.add_raw(&name, big).await })
        };
        while !writer.is_finished() {
            let listing = lake.list_raw().await.unwrap();
            for o in &listing.objects {
                assert!(
                    !o.key.contains('#'),
                    "a staging file listed as an input: {o:?}"
                );
                assert_eq!(o.size, big.len() as u64, "{} listed half written", o.key);
            }
            if let Some(s) = listing.skipped.iter().find(|s| s.name.contains('#')) {
                assert_eq!(s.name, format!("raw/{name}#1"));
                assert!(s.reason.contains("while it writes it"), "{}", s.reason);
                caught += 1;
            }
        }
        writer.await.unwrap().unwrap();
        std::fs::remove_file(root.join("raw").join(&name)).unwrap();
        if caught > 0 {
            break;
        }
    }
    assert!(
        caught > 0,
        "never saw object_store in the middle of a write"
    );
    // A file of the user's literally named like a staging file is reported, not ignored.
    std::fs::write(root.join("raw/x.csv#1"), "data,mandante\n").unwrap();
    let listing = lake.list_raw().await.unwrap();
    assert!(listing.objects.is_empty(), "{:?}", listing.objects);
    assert_eq!(listing.skipped.len(), 1);
    assert_eq!(listing.skipped[0].name, "raw/x.csv#1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_folder_takeover_race_has_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("lake").display().to_string();
    takeover_race(&url, 4, 30).await;
    takeover_race_between_processes(&url, 4, 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_store_keeps_the_contract() {
    let Some(url) = futbr_testkit::s3_test_prefix("s3_store_keeps_the_contract", "contract") else {
        return;
    };
    full_contract(&Lake::open(&url).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_takeover_race_has_one_winner() {
    let Some(url) = futbr_testkit::s3_test_prefix("s3_takeover_race_has_one_winner", "race") else {
        return;
    };
    takeover_race(&url, 4, 10).await;
    takeover_race_between_processes(&url, 4, 3).await;
}

#[test]
fn bad_lake_urls_are_clear_errors() {
    for url in ["", "ftp://x/y", "s3:///nobucket"] {
        let err = Lake::open(url).unwrap_err();
        assert!(matches!(err, LakeError::InvalidUrl { .. }), "{url}: {err}");
    }
}

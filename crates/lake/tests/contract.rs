//! One contract for every store the lake runs on: the same checks on the in-memory store and on a
//! local folder (and, when `FUTBR_TEST_S3_URL` is set, on that S3-compatible bucket).

use bytes::Bytes;
use chrono::Duration;
use futbr_lake::registry::{Manifest, Registry};
use futbr_lake::{Busy, Lake, LakeError};

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

async fn full_contract(lake: &Lake) {
    contract(lake).await;
    lease_contract(lake).await;
    registry_contract(lake).await;
}

#[tokio::test]
async fn in_memory_store_keeps_the_contract() {
    full_contract(&Lake::open("memory://").unwrap()).await;
    contract(&Lake::open("memory://some/prefix").unwrap()).await;
}

#[tokio::test]
async fn local_folder_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    full_contract(&Lake::open(dir.path().join("lake").to_str().unwrap()).unwrap()).await;
    let dir = tempfile::tempdir().unwrap();
    contract(&Lake::open(&format!("file://{}", dir.path().display())).unwrap()).await;
    assert!(dir.path().join("raw/jogos_2024.csv").is_file());
}

#[tokio::test]
async fn s3_store_keeps_the_contract_when_configured() {
    // CI sets FUTBR_TEST_S3_URL with a real S3-compatible server; there its absence is a failure.
    match std::env::var("FUTBR_TEST_S3_URL") {
        Ok(url) => {
            contract(&Lake::open(&format!("{url}/contract-{}", std::process::id())).unwrap()).await
        }
        Err(_) => assert!(
            std::env::var_os("FUTBR_REQUIRE_S3").is_none(),
            "FUTBR_REQUIRE_S3 is set but FUTBR_TEST_S3_URL is not"
        ),
    }
}

#[test]
fn bad_lake_urls_are_clear_errors() {
    for url in ["", "ftp://x/y", "s3:///nobucket"] {
        let err = Lake::open(url).unwrap_err();
        assert!(matches!(err, LakeError::InvalidUrl { .. }), "{url}: {err}");
    }
}

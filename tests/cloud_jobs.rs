//! The jobs as the cloud runs them (deploy/aws/stack.yaml): each step a separate `futbr` process
//! given the raw/ key of the S3 event that started the state machine (`--trigger-key`).

use std::path::Path;
use std::process::{Command, Output};

use futbr_testkit::shared_data;

fn futbr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_futbr"))
        .args(args)
        .env_remove("FUTBR_LAKE")
        .env_remove("FUTBR_BOOTSTRAP")
        .env_remove("FUTBR_CANDIDATE")
        .env_remove("FUTBR_TRIGGER_KEY")
        .env("RUST_LOG", "info")
        .output()
        .expect("futbr runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn champion(lake: &Path) -> Option<String> {
    let bytes = std::fs::read(lake.join("models/champion.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v["version"].as_str().map(String::from)
}

/// A folder lake whose raw/ holds the production data set under `name`, as an upload leaves it.
fn folder_lake_holding(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(lake.join("raw")).unwrap();
    std::fs::copy(
        shared_data("dados_producao_inicial.csv"),
        lake.join("raw").join(name),
    )
    .unwrap();
    (dir, lake)
}

#[test]
fn the_state_machine_steps_run_as_separate_processes_for_the_triggering_key() {
    // Uploaded straight into raw/ (as `aws s3 cp` does), under a name with a space: S3 event
    // notifications may hand such a key over URL-encoded ("+", "%20").
    let (_dir, lake) = folder_lake_holding("dados producao.csv");
    let lake_arg = lake.to_str().unwrap();

    // A key the lake does not hold fails the step before it touches anything.
    for wrong in [
        "raw/other.csv",
        "models/champion.json",
        "raw/",
        "dados producao.csv",
    ] {
        let o = futbr(&["process", "--lake", lake_arg, "--trigger-key", wrong]);
        assert!(!o.status.success(), "{wrong}");
        assert!(
            stderr(&o).contains(&format!(
                "the trigger key {wrong:?} names no object under raw/"
            )),
            "{wrong}: {}",
            stderr(&o)
        );
    }
    assert!(!lake.join("processed").exists());

    // Process → Train → Promote, as the three ECS tasks of one execution, with the key as the
    // event spells it (URL-encoded) and as it is.
    for (step, key) in [
        ("process", "raw/dados+producao.csv"),
        ("train", "raw/dados%20producao.csv"),
        ("promote", "raw/dados producao.csv"),
    ] {
        let o = futbr(&[step, "--lake", lake_arg, "--trigger-key", key]);
        assert!(o.status.success(), "{step}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("triggered by raw/dados producao.csv"),
            "{step} logs its trigger: {}",
            stderr(&o)
        );
    }
    assert!(
        champion(&lake).is_some(),
        "the promote step published a champion"
    );
}

#[test]
fn a_step_job_takes_turns_with_another_run_through_the_run_lease() {
    let (_dir, lake) = folder_lake_holding("dados.csv");
    let lake_arg = lake.to_str().unwrap();
    // Another run (a second execution's step, or a watcher on the same lake) holds the lease
    // for four seconds and, as if killed, never renews it.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = futbr_lake::Lake::open(lake_arg).unwrap();
    let other = runtime
        .block_on(store.acquire_lease("other-run", chrono::Duration::seconds(4)))
        .unwrap()
        .expect("the lease is free");

    // Told not to wait, the step gives up at once with the lease's exit status, naming the
    // holder, and writes nothing.
    let o = futbr(&["process", "--lake", lake_arg, "--lease-wait", "0"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("other-run"), "{}", stderr(&o));
    assert!(!lake.join(futbr_lake::keys::MATCHES).exists());

    // Allowed to wait, it starts once that lease has expired, works under its own (the next
    // generation) and releases it.
    let o = futbr(&["process", "--lake", lake_arg, "--lease-wait", "120"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("waiting for it"), "{}", stderr(&o));
    assert!(lake.join(futbr_lake::keys::MATCHES).exists());
    match runtime.block_on(store.lease_state()).unwrap() {
        futbr_lake::LeaseState::Held { record, .. } => {
            assert_ne!(record.run_id, "other-run");
            assert_eq!(record.generation, other.generation + 1);
            assert!(record.released, "{record:?}");
        }
        state => panic!("unexpected lease state {state:?}"),
    }
}

fn run_record(lake: &Path, run_id: &str) -> serde_json::Value {
    let bytes = std::fs::read(lake.join(format!("runs/{run_id}.json"))).expect("a run record");
    serde_json::from_slice(&bytes).unwrap()
}

fn step_names(record: &serde_json::Value) -> Vec<(String, String)> {
    record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_steps_of_one_execution_keep_one_run_record() {
    let (_dir, lake) = folder_lake_holding("dados.csv");
    let lake_arg = lake.to_str().unwrap();
    let id = "5f0c3a9e-exec";
    let step = |name: &str| {
        futbr(&[
            name,
            "--lake",
            lake_arg,
            "--trigger-key",
            "raw/dados.csv",
            "--run-id",
            id,
        ])
    };

    let o = step("process");
    assert!(o.status.success(), "{}", stderr(&o));
    let record = run_record(&lake, id);
    assert_eq!(record["status"], "running");
    assert_eq!(record["trigger"], "state machine: raw/dados.csv");
    assert!(record["next_step_by"].is_string(), "{record}");
    assert_eq!(step_names(&record), [("process".into(), "ok".into())]);
    // Between its steps the run holds no lease, yet it is not abandoned: neither as shown, nor
    // by a local run on the same lake, which marks dead runs.
    let shown = futbr(&["runs", "show", "--lake", lake_arg, id]);
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains(r#""status": "running""#),
        "{}",
        String::from_utf8_lossy(&shown.stdout)
    );
    let o = futbr(&["pipeline", "run", "--lake", lake_arg]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(run_record(&lake, id)["status"], "running");

    for name in ["train", "promote"] {
        let o = step(name);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
    }
    let record = run_record(&lake, id);
    assert_eq!(record["status"], "succeeded", "{record}");
    assert_eq!(
        step_names(&record),
        [
            ("process".into(), "ok".into()),
            ("train".into(), "ok".into()),
            ("promote".into(), "ok".into())
        ]
    );
    assert!(record["next_step_by"].is_null(), "{record}");
    assert!(record["finished_at"].is_string());
    assert_eq!(record["gate"]["challenger"], record["version"]);
    assert_eq!(
        record["champion_after"].as_str(),
        champion(&lake).as_deref(),
        "{record}"
    );

    // A step that fails marks its run failed, with the error.
    let o = futbr(&[
        "promote",
        "--lake",
        lake_arg,
        "v-that-does-not-exist",
        "--run-id",
        "exec-failing",
    ]);
    assert!(!o.status.success());
    let record = run_record(&lake, "exec-failing");
    assert_eq!(record["status"], "failed", "{record}");
    assert!(
        record["message"]
            .as_str()
            .unwrap()
            .contains("v-that-does-not-exist"),
        "{record}"
    );
    assert_eq!(step_names(&record), [("promote".into(), "failed".into())]);

    // A run id names an object: nothing else is accepted.
    let o = futbr(&["process", "--lake", lake_arg, "--run-id", "../models/x"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is not a run id"), "{}", stderr(&o));
}

/// The S3 lake of the test server (`FUTBR_TEST_S3_URL`, a fresh prefix per test); `None` (the
/// test says it skipped) when unset, a failure under `FUTBR_REQUIRE_S3` (CI).
fn s3_lake(name: &str) -> Option<String> {
    futbr_testkit::s3_test_prefix(&format!("cloud job on S3 ({name})"), name)
}

/// Every key of the lake with its ETag.
async fn lake_objects(url: &str) -> Vec<(String, Option<String>)> {
    let lake = futbr_lake::Lake::open(url).unwrap();
    let mut out = Vec::new();
    for prefix in ["raw/", "processed/", "models/", "runs/", "quarantine/"] {
        for o in lake.list(prefix).await.unwrap() {
            out.push((o.key, o.etag));
        }
    }
    out
}

/// A running `futbr serve`, killed on drop.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .no_proxy()
        .build()
        .unwrap()
}

async fn ready_version(base: &str) -> Option<String> {
    let r = client().get(format!("{base}/ready")).send().await.ok()?;
    if r.status() != 200 {
        return None;
    }
    let body: serde_json::Value = r.json().await.ok()?;
    body["version"].as_str().map(String::from)
}

/// The cloud's shape on a real S3-compatible server: the API (`serve --no-watch`, as on App
/// Runner) only reads the lake, and picks up a model that a separate `pipeline run` process
/// promotes, under load, without a failed request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_s3_hot_swaps_a_model_promoted_by_another_process() {
    use std::io::BufRead;
    use std::time::{Duration, Instant};

    let Some(lake) = s3_lake("serve") else {
        return;
    };
    let prod = shared_data("dados_producao_inicial.csv");
    let o = futbr(&[
        "pipeline",
        "run",
        "--lake",
        &lake,
        "--bootstrap",
        prod.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let first: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let v1 = first["champion_after"].as_str().unwrap().to_string();

    let mut child = Command::new(env!("CARGO_BIN_EXE_futbr"))
        .args(["serve", "--no-watch", "--addr", "127.0.0.1:0"])
        .args(["--reload-interval", "0.2"])
        .env("FUTBR_LAKE", &lake)
        .env_remove("FUTBR_BOOTSTRAP")
        .env_remove("FUTBR_ADMIN_TOKEN")
        .env_remove("PORT")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("futbr serve starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let server = Server(child);
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let started = Instant::now();
    while ready_version(&base).await.as_deref() != Some(v1.as_str()) {
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Load: bounded (at most 20 s and 10,000 requests per worker, paced), loopback only.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (base, stop) = (base.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let c = client();
            let mut seen = Vec::new();
            let started = Instant::now();
            while !stop.load(std::sync::atomic::Ordering::Relaxed)
                && seen.len() < 10_000
                && started.elapsed() < Duration::from_secs(20)
            {
                let r = c
                    .get(format!(
                        "{base}/v1/predict?home=Flamengo&away=Palmeiras&date=2025-06-01"
                    ))
                    .send()
                    .await
                    .expect("no connection error");
                let status = r.status().as_u16();
                let body: serde_json::Value = r.json().await.unwrap();
                seen.push((status, body["model"]["version"].as_str().map(String::from)));
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            seen
        }));
    }

    // The API alone writes nothing: a read-only role (the stack's API role) is enough.
    let before = lake_objects(&lake).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        lake_objects(&lake).await,
        before,
        "serve --no-watch wrote to the lake"
    );

    // Another process (the cloud's jobs) adds data and promotes v2.
    let novas = shared_data("novas_rodadas_simuladas.csv");
    let o = futbr(&["ingest", "--lake", &lake, novas.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = futbr(&["pipeline", "run", "--lake", &lake, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let second: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(second["status"], "succeeded", "{second:#}");
    let v2 = second["champion_after"].as_str().unwrap().to_string();
    assert_ne!(v1, v2);

    let promoted = Instant::now();
    while ready_version(&base).await.as_deref() != Some(v2.as_str()) {
        assert!(
            promoted.elapsed() < Duration::from_secs(10),
            "the API did not pick up {v2}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "promoted on S3 → served in {:.2} s",
        promoted.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut total, mut saw_v1, mut saw_v2) = (0, false, false);
    for w in workers {
        for (status, version) in w.await.unwrap() {
            total += 1;
            assert_eq!(status, 200, "a request failed during the swap");
            let version = version.expect("every answer names its model version");
            assert!(version == v1 || version == v2, "{version}");
            saw_v1 |= version == v1;
            saw_v2 |= version == v2;
        }
    }
    assert!(saw_v1 && saw_v2, "{total} requests saw both versions");
    drop(server);
}

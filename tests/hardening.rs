//! The loop under faults, with the real binary (issue 9): a run paused past its lease (SIGSTOP)
//! writes nothing when it wakes, on a folder and on the S3-compatible server; a rollback survives
//! a restart of `watch`; the registry heals with `models promote` and `doctor`; the edges of the
//! command line (closed pipe, missing lake, held lease, a store that never answers).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use futbr_lake::Lake;
use futbr_testkit::shared_data;
use serde_json::Value;

fn futbr() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_futbr"));
    c.env_remove("FUTBR_LAKE")
        .env_remove("FUTBR_BOOTSTRAP")
        .env_remove("FUTBR_CANDIDATE")
        .env("RUST_LOG", "warn");
    c
}

fn run(args: &[&str]) -> Output {
    futbr().args(args).output().expect("futbr runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn wait_for<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

/// Reads a lake from the test's side, whatever its store.
struct Reader {
    lake: Lake,
    runtime: tokio::runtime::Runtime,
}

impl Reader {
    fn new(url: &str) -> Reader {
        Reader {
            lake: Lake::open(url).unwrap(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.runtime
            .block_on(self.lake.get_opt(key))
            .unwrap()
            .map(|b| b.to_vec())
    }

    fn keys(&self, prefix: &str) -> Vec<String> {
        let listed = self.runtime.block_on(self.lake.list(prefix)).unwrap();
        listed.into_iter().map(|o| o.key).collect()
    }

    fn runs(&self) -> Vec<Value> {
        self.keys("runs/")
            .iter()
            .filter(|k| k.as_str() != "runs/lock.json" && k.ends_with(".json"))
            .filter_map(|k| serde_json::from_slice(&self.get(k)?).ok())
            .collect()
    }

    fn champion(&self) -> Option<String> {
        let c: Value = serde_json::from_slice(&self.get("models/champion.json")?).ok()?;
        c["version"].as_str().map(String::from)
    }
}

/// Run A is stopped while it works, its lease expires, run B takes over and promotes; A wakes up
/// and must fail with a clear message, leaving everything as B left it.
fn paused_run_is_fenced(lake: &str) {
    let prod = shared_data("dados_producao_inicial.csv");
    let novas = shared_data("novas_rodadas_simuladas.csv");
    let reader = Reader::new(lake);
    let first = run(&[
        "pipeline",
        "run",
        "--lake",
        lake,
        "--bootstrap",
        prod.to_str().unwrap(),
    ]);
    assert!(first.status.success(), "{}", text(&first));
    let o = run(&["ingest", "--lake", lake, novas.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));

    let a = futbr()
        .args(["pipeline", "run", "--lake", lake, "--lease-seconds", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Paused in the middle of processing (seconds of work), not at the instant a record write
    // becomes visible: a pause lands at an arbitrary point of the work, as a real one would.
    let a_run = wait_for("run A to start processing", Duration::from_secs(30), || {
        reader.runs().into_iter().find(|r| {
            r["status"] == "running"
                && r["steps"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|s| s["name"] == "process"))
        })
    });
    std::thread::sleep(Duration::from_millis(100));
    signal(a.id(), "-STOP");
    std::thread::sleep(Duration::from_millis(2500)); // A's one-second lease expires

    let b = run(&["pipeline", "run", "--lake", lake, "--json"]);
    assert!(b.status.success(), "{}", text(&b));
    let b_record: Value = serde_json::from_slice(&b.stdout).unwrap();
    assert_eq!(
        b_record["status"],
        "succeeded",
        "{b_record:#}\n{}",
        text(&b)
    );
    let champion = reader.get("models/champion.json").unwrap();
    let processed = reader.get("processed/matches.parquet").unwrap();
    // Published versions (a manifest makes a version visible). A request the paused process had
    // already sent when it was stopped may still land — a file of an unpublished version, which the
    // next run deletes as an orphan — but nothing visible changes.
    let published = |r: &Reader| -> Vec<String> {
        r.keys("models/")
            .into_iter()
            .filter(|k| k.ends_with("/manifest.json"))
            .collect()
    };
    let models = published(&reader);

    signal(a.id(), "-CONT");
    let a_out = a.wait_with_output().unwrap();
    let said = text(&a_out);
    assert_eq!(a_out.status.code(), Some(4), "{said}");
    assert!(said.contains("no longer holds the run lease"), "{said}");
    assert_eq!(reader.get("models/champion.json").unwrap(), champion);
    assert_eq!(reader.get("processed/matches.parquet").unwrap(), processed);
    assert_eq!(published(&reader), models);
    assert_eq!(reader.champion().unwrap(), b_record["champion_after"]);
    let a_now = reader
        .runs()
        .into_iter()
        .find(|r| r["run_id"] == a_run["run_id"])
        .unwrap();
    assert_eq!(a_now["status"], "abandoned", "{a_now:#}");
}

#[test]
fn a_run_paused_past_its_lease_writes_nothing_when_it_wakes_on_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    paused_run_is_fenced(dir.path().join("lake").to_str().unwrap());
}

#[test]
fn a_run_paused_past_its_lease_writes_nothing_when_it_wakes_on_s3() {
    let Some(url) = futbr_testkit::s3_test_url("a_run_paused_past_its_lease_..._on_s3") else {
        return;
    };
    let unique = format!(
        "{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    paused_run_is_fenced(&format!("{url}/fencing-{unique}"));
}

/// A small synthetic league split in two uploads.
fn two_uploads(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let all = dir.join("all.csv");
    let o = run(&["synth", "--matches", "800", "--out", all.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(&all).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    let (early, late) = lines.split_at(lines.len() - 60);
    let a = dir.join("a.csv");
    let b = dir.join("b.csv");
    std::fs::write(&a, format!("{}\n", early.join("\n"))).unwrap();
    std::fs::write(&b, format!("{}\n{}\n", lines[0], late.join("\n"))).unwrap();
    (a, b)
}

#[test]
fn a_rollback_holds_across_a_restart_of_watch() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake_arg = lake.to_str().unwrap();
    let (a, b) = two_uploads(dir.path());
    let reader = Reader::new(lake_arg);
    for file in [&a, &b] {
        let o = run(&["ingest", "--lake", lake_arg, file.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
        let o = run(&["pipeline", "run", "--lake", lake_arg]);
        assert!(o.status.success(), "{}", text(&o));
    }
    let v2 = reader.champion().unwrap();
    let o = run(&["models", "rollback", "--lake", lake_arg]);
    assert!(o.status.success(), "{}", text(&o));
    let v1 = reader.champion().unwrap();
    assert_ne!(v1, v2);

    let before = reader.runs().len();
    let mut watch = futbr()
        .args(["watch", "--lake", lake_arg, "--interval", "0.2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let first = wait_for("watch's first run", Duration::from_secs(60), || {
        let runs = reader.runs();
        runs.into_iter()
            .filter(|r| r["status"] != "running")
            .nth(before)
    });
    let _ = watch.kill();
    let _ = watch.wait();
    assert_eq!(first["status"], "pinned", "{first:#}");
    assert!(
        first["message"].as_str().unwrap().contains(&v2),
        "{first:#}"
    );
    assert_eq!(reader.champion().unwrap(), v1);

    // Released by the operator: the next run may promote again.
    let o = run(&["models", "release", "--lake", lake_arg]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&["pipeline", "run", "--lake", lake_arg, "--json"]);
    let record: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_ne!(record["status"], "pinned", "{record:#}");
}

#[test]
fn the_registry_heals_without_hand_editing() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake_arg = lake.to_str().unwrap();
    let (a, b) = two_uploads(dir.path());
    for file in [&a, &b] {
        let o = run(&["ingest", "--lake", lake_arg, file.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
        let o = run(&["pipeline", "run", "--lake", lake_arg]);
        assert!(o.status.success(), "{}", text(&o));
    }
    let reader = Reader::new(lake_arg);
    let v2 = reader.champion().unwrap();
    let champion_file = lake.join("models/champion.json");
    let whole = std::fs::read(&champion_file).unwrap();

    // A truncated pointer: reads fail with a hint; `models promote V` replaces it.
    std::fs::write(&champion_file, &whole[..whole.len() / 2]).unwrap();
    let o = run(&["predict", "--lake", lake_arg, "Clube 00001", "Clube 00002"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("futbr models promote"), "{}", text(&o));
    let o = run(&["models", "list", "--lake", lake_arg]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let o = run(&["models", "promote", "--lake", lake_arg, &v2]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(reader.champion().unwrap(), v2);

    // Several objects broken at once: doctor lists them, --repair repairs them.
    std::fs::write(&champion_file, b"{\"version\": ").unwrap();
    std::fs::write(lake.join("runs/lock.json"), b"\0\0garbled").unwrap();
    std::fs::remove_file(lake.join("processed/features.parquet")).unwrap();
    std::fs::create_dir_all(lake.join("models/v00000000T000000000Z-orfa")).unwrap();
    std::fs::write(
        lake.join("models/v00000000T000000000Z-orfa/model.json"),
        b"{}",
    )
    .unwrap();
    let o = run(&["doctor", "--lake", lake_arg]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let said = text(&o);
    for object in [
        "models/champion.json",
        "runs/lock.json",
        "processed/",
        "-orfa",
    ] {
        assert!(said.contains(object), "{object} not reported: {said}");
    }
    let o = run(&["doctor", "--lake", lake_arg, "--repair"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&["doctor", "--lake", lake_arg]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(reader.champion().is_some());
    assert!(lake.join("processed/features.parquet").is_file());
    assert!(!lake
        .join("models/v00000000T000000000Z-orfa/model.json")
        .exists());
    let o = run(&["models", "list", "--lake", lake_arg]);
    assert!(o.status.success(), "{}", text(&o));

    // The champion's version folder deleted: `models list` says so and fails; a run replaces it.
    let c = reader.champion().unwrap();
    std::fs::remove_dir_all(lake.join(format!("models/{c}"))).unwrap();
    let o = run(&["models", "list", "--lake", lake_arg]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("not in the registry"), "{}", text(&o));
    let o = run(&["pipeline", "run", "--lake", lake_arg]);
    assert!(o.status.success(), "{}", text(&o));
    assert_ne!(reader.champion().unwrap(), c);
}

#[test]
fn command_line_edges_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-lake-here");
    let missing_arg = missing.to_str().unwrap();
    for args in [
        vec!["models", "list"],
        vec!["runs", "list"],
        vec!["predict", "A", "B"],
    ] {
        let mut args = args.clone();
        args.extend(["--lake", missing_arg]);
        let o = run(&args);
        assert!(!o.status.success(), "{args:?}");
        assert!(text(&o).contains("no lake at"), "{args:?}: {}", text(&o));
        assert!(!missing.exists(), "{args:?} created the lake folder");
    }

    // `runs list | head -1`: a closed pipe ends the command quietly, no panic.
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(lake.join("runs")).unwrap();
    for i in 0..2000 {
        let record = serde_json::json!({
            "run_id": format!("20240101T000000000Z-{i:05}"), "trigger": "test",
            "status": "succeeded", "started_at": "2024-01-01T00:00:00Z", "finished_at": null,
            "inputs": [], "steps": [], "champion_before": null, "champion_after": null,
            "version": null, "gate": null, "message": "x".repeat(200),
        });
        std::fs::write(
            lake.join(format!("runs/20240101T000000000Z-{i:05}.json")),
            record.to_string(),
        )
        .unwrap();
    }
    let mut child = futbr()
        .args(["runs", "list", "--lake", lake.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read_exact(&mut out, &mut first).unwrap();
    drop(out);
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");

    // `watch` with a bootstrap that cannot work gives up at once, with process's hint.
    let started = Instant::now();
    let o = run(&[
        "watch",
        "--lake",
        dir.path().join("empty").to_str().unwrap(),
        "--bootstrap",
        "/nonexistent/jogos.csv",
    ]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!o.status.success());
    assert!(
        text(&o).contains("point --bootstrap at a local copy"),
        "{}",
        text(&o)
    );

    // A live lease held by another run: exit status 4, naming the holder.
    let now = chrono::Utc::now();
    std::fs::write(
        lake.join("runs/lock.json"),
        serde_json::json!({"run_id": "outra-execucao", "acquired_at": now,
            "expires_at": now + chrono::Duration::minutes(5), "generation": 7})
        .to_string(),
    )
    .unwrap();
    let o = run(&["pipeline", "run", "--lake", lake.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(text(&o).contains("outra-execucao"), "{}", text(&o));

    // A store that accepts connections and never answers: a clear error within the timeout,
    // exit status 5 (store error).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let started = Instant::now();
    let o = futbr()
        .args([
            "models",
            "list",
            "--lake",
            "s3://silencio/x",
            "--store-timeout",
            "1",
        ])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(text(&o).contains("does not answer"), "{}", text(&o));
    // The same endpoint without AWS_ALLOW_HTTP, or without credentials: one clear line.
    let o = futbr()
        .args(["models", "list", "--lake", "s3://silencio/x"])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env_remove("AWS_ALLOW_HTTP")
        .env("AWS_ACCESS_KEY_ID", "test")
        .output()
        .unwrap();
    assert!(text(&o).contains("AWS_ALLOW_HTTP=true"), "{}", text(&o));
    let o = futbr()
        .args(["models", "list", "--lake", "s3://silencio/x"])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .output()
        .unwrap();
    assert!(text(&o).contains("no S3 credentials"), "{}", text(&o));
    assert_eq!(text(&o).lines().count(), 1, "{}", text(&o));

    // A bucket that does not exist on a real S3-compatible server is named as such.
    if let Some(url) = futbr_testkit::s3_test_url("command_line_edges_are_clear (missing bucket)") {
        let _ = url;
        let o = run(&["runs", "list", "--lake", "s3://balde-que-nao-existe/x"]);
        assert_eq!(o.status.code(), Some(5), "{}", text(&o));
        assert!(text(&o).contains("does not exist"), "{}", text(&o));
    }
}

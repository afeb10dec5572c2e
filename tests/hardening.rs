//! The loop under faults, with the real binary (issue 9): a run paused past its lease (SIGSTOP)
//! writes nothing when it wakes, on a folder and on the S3-compatible server; a rollback survives
//! a restart of `watch`; the registry heals with `models promote` and `doctor`; the edges of the
//! command line (closed pipe, missing lake, held lease, a store that never answers, S3 without
//! credentials); a full disk (a tmpfs in a user + mount namespace); S3 keys object_store cannot
//! parse.

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
        .args([
            "watch",
            "--lake",
            lake_arg,
            "--interval",
            "0.2",
            "--lease-seconds",
            "1",
        ])
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
    // The killed watcher may have been inside its next run: its one-second lease expires first.
    let o = wait_for(
        "the killed watcher's lease",
        Duration::from_secs(30),
        || {
            let o = run(&["pipeline", "run", "--lake", lake_arg, "--json"]);
            (o.status.code() != Some(4)).then_some(o)
        },
    );
    let record: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
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

/// S3 without any credentials, and no custom endpoint: object_store falls back to the instance
/// metadata endpoint, pointed here at a 127.0.0.1 listener this test holds (it accepts and hangs
/// up). The command says so in one line, once. object_store fetches the credential before it
/// signs and sends any S3 request (`aws/client.rs`), so nothing is sent to AWS.
#[test]
fn s3_without_credentials_says_so_in_one_line() {
    let metadata = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", metadata.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    {
        let seen = seen.clone();
        std::thread::spawn(move || {
            for stream in metadata.incoming().flatten() {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(stream);
            }
        });
    }
    let started = Instant::now();
    for args in [
        vec!["models", "list", "--lake", "s3://sem-credenciais/x"],
        vec!["pipeline", "run", "--lake", "s3://sem-credenciais/x"],
    ] {
        let mut command = futbr();
        // No AWS_* variable at all (CI sets keys and an endpoint), except the metadata endpoint.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("AWS_") {
                command.env_remove(&name);
            }
        }
        let o = command
            .args(&args)
            .env("AWS_METADATA_ENDPOINT", &endpoint)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(5), "{args:?}: {}", text(&o));
        assert_eq!(
            stderr.matches("no S3 credentials found").count(),
            1,
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains("instance credentials"), "{stderr}");
    }
    assert!(started.elapsed() < Duration::from_secs(60));
    // The failure came from the endpoint this test holds, not from some other address.
    assert!(seen.load(std::sync::atomic::Ordering::SeqCst) >= 2);
}

/// Whether this machine lets an unprivileged test mount a tmpfs in its own user and mount
/// namespace; `Err` says why not.
fn tmpfs_in_a_namespace(dir: &Path) -> Result<(), String> {
    let probe = dir.join("probe");
    std::fs::create_dir_all(&probe).unwrap();
    let o = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(r#"mount -t tmpfs -o size=1m tmpfs "$1" && umount "$1""#)
        .arg("sh")
        .arg(&probe)
        .output()
        .map_err(|e| format!("cannot run unshare: {e}"))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "unshare --user --map-root-user --mount cannot mount a tmpfs: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ))
    }
}

/// The lake on a small tmpfs, mounted in a user + mount namespace (no privilege needed), all in
/// one `sh -c` so the mount lives while every step runs. What each step said is kept outside the
/// mount (`out/`), and copies of the lake after each failure and at the end.
const FULL_DISK_SCRIPT: &str = r#"
set -u
futbr=$1; disk=$2; out=$3; prod=$4; novas=$5
lake=$disk/lake
used_kib() { df -k "$disk" | awk 'NR==2 {print $3}'; }
step() { name=$1; shift; "$futbr" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr"; echo $? >"$out/$name.code"; }
mount -t tmpfs -o size=20m tmpfs "$disk" || exit 90
step boot pipeline run --lake "$lake" --bootstrap "$prod"
step ingest ingest --lake "$lake" "$novas"
# 1. Room for the run record, not for the processed tables: the run fails at processed/.
mount -o remount,size=$(( $(used_kib) + 32 ))k "$disk" || exit 91
step full pipeline run --lake "$lake"
step full-list runs list --lake "$lake"
cp -a "$lake" "$out/after-full"
# 2. Room for one page: the record is created, then not even a short record fits, nor the
#    lease's release. With a one-second lease the run is shown abandoned once it expires.
mount -o remount,size=$(( $(used_kib) + 4 ))k "$disk" || exit 92
step stuck pipeline run --lake "$lake" --lease-seconds 1
sleep 2
step stuck-list runs list --lake "$lake"
cp -a "$lake" "$out/after-stuck"
# 3. Room again: the next run succeeds and nothing half-written was taken as valid.
mount -o remount,size=20m "$disk" || exit 93
step rerun pipeline run --lake "$lake" --json
step rerun-list runs list --lake "$lake"
step doctor doctor --lake "$lake"
cp -a "$lake" "$out/final"
umount "$disk"
"#;

/// A run that fills the disk fails with the cause (ENOSPC and the key), is never left `running`,
/// leaves the champion and no half-written file behind, and the run after it succeeds.
#[test]
fn a_full_disk_fails_the_run_with_its_cause_and_the_next_run_recovers() {
    let dir = tempfile::tempdir().unwrap();
    if let Err(why) = tmpfs_in_a_namespace(dir.path()) {
        assert!(
            std::env::var_os("CI").is_none() && std::env::var_os("FUTBR_REQUIRE_S3").is_none(),
            "CI must run the full-disk test, but {why}"
        );
        futbr_testkit::skipped(
            "a_full_disk_fails_the_run_with_its_cause_and_the_next_run_recovers",
            &why,
        );
        return;
    }
    let (disk, out) = (dir.path().join("disk"), dir.path().join("out"));
    std::fs::create_dir_all(&disk).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let o = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(FULL_DISK_SCRIPT)
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_futbr"))
        .arg(&disk)
        .arg(&out)
        .arg(shared_data("dados_producao_inicial.csv"))
        .arg(shared_data("novas_rodadas_simuladas.csv"))
        .env_remove("FUTBR_LAKE")
        .env_remove("FUTBR_BOOTSTRAP")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(o.status.success(), "the script stopped: {}", text(&o));
    let said = |step: &str| {
        let read = |ext: &str| std::fs::read_to_string(out.join(format!("{step}.{ext}"))).unwrap();
        (
            read("code").trim().parse::<i32>().unwrap(),
            read("stdout"),
            read("stderr"),
        )
    };
    let (code, stdout, stderr) = said("boot");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(said("ingest").0, 0);
    let champion = |lake: &str| {
        let bytes = std::fs::read(out.join(lake).join("models/champion.json")).unwrap();
        serde_json::from_slice::<Value>(&bytes).unwrap()["version"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let runs = |lake: &str| -> Vec<Value> {
        let mut runs: Vec<Value> = std::fs::read_dir(out.join(lake).join("runs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter(|p| !p.ends_with("lock.json"))
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect();
        runs.sort_by_key(|r| r["run_id"].as_str().unwrap().to_string());
        runs
    };
    // Nothing half-written stays behind: no object_store staging file, no CAS temporary file.
    let leftovers = |lake: &str| {
        let mut found = Vec::new();
        let mut pending = vec![out.join(lake)];
        while let Some(d) = pending.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                if p.is_dir() {
                    pending.push(p);
                } else if name.contains('#') || name.ends_with(".tmp") {
                    found.push(p.display().to_string());
                }
            }
        }
        found
    };
    let first = runs("after-full")[0].clone();
    let champion_before = first["version"].as_str().unwrap().to_string();

    // 1. The processed tables do not fit: the run fails, saying so and naming the key.
    let (code, stdout, stderr) = said("full");
    assert_ne!(code, 0, "{stdout}{stderr}");
    let all = format!("{stdout}{stderr}");
    let cause = all
        .lines()
        .find(|l| l.contains("no space left on the lake's disk while writing processed/"))
        .unwrap_or_else(|| panic!("no one-line cause naming ENOSPC and the key: {all}"));
    assert!(cause.contains("ENOSPC"), "{cause}");
    let full = runs("after-full").pop().unwrap();
    assert_eq!(full["status"], "failed", "{full}");
    assert!(
        full["message"].as_str().unwrap().contains("no space left"),
        "{full}"
    );
    let (_, list, _) = said("full-list");
    let line = list.lines().last().unwrap();
    assert!(
        line.contains("Failed") && line.contains("no space left"),
        "{list}"
    );
    assert_eq!(champion("after-full"), champion_before);
    assert_eq!(leftovers("after-full"), Vec::<String>::new());

    // 2. Not even the run record fits: exit status 5 with one line naming ENOSPC and the run
    // record's key; the stored record still says running, but `runs list` shows it abandoned.
    let (code, stdout, stderr) = said("stuck");
    assert_eq!(code, 5, "{stdout}{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: run ")
            && last.contains("no space left on the lake's disk while writing runs/"),
        "{stderr}"
    );
    let stuck = runs("after-stuck").pop().unwrap();
    let stuck_id = stuck["run_id"].as_str().unwrap().to_string();
    assert_ne!(stuck_id, full["run_id"].as_str().unwrap());
    assert_eq!(
        stuck["status"], "running",
        "the disk was to be too full: {stuck}"
    );
    let (_, list, _) = said("stuck-list");
    let line = list.lines().find(|l| l.starts_with(&stuck_id)).unwrap();
    assert!(line.contains("Abandoned"), "{list}");
    assert!(!list.contains("Running"), "{list}");
    assert_eq!(champion("after-stuck"), champion_before);
    assert_eq!(leftovers("after-stuck"), Vec::<String>::new());

    // 3. With room again the next run succeeds, marks the stuck run abandoned in the lake, and
    // the lake is sound.
    let (code, stdout, stderr) = said("rerun");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let rerun: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rerun["status"], "succeeded", "{rerun}");
    assert_eq!(rerun["champion_before"], champion_before.as_str());
    let stored = runs("final");
    assert!(
        stored.iter().all(|r| r["status"] != "running"),
        "{stored:?}"
    );
    let marked = stored
        .iter()
        .find(|r| r["run_id"] == stuck_id.as_str())
        .unwrap();
    assert_eq!(marked["status"], "abandoned", "{marked}");
    let (code, stdout, stderr) = said("doctor");
    assert_eq!(code, 0, "doctor: {stdout}{stderr}");
    assert_eq!(leftovers("final"), Vec::<String>::new());
}

/// Writes an object to the S3-compatible server with a browser-style form upload (`POST` to the
/// bucket, the key a form field), which takes any key exactly as given: object_store cannot
/// write keys with control characters or `//`, `.`, `..` segments, and HTTP clients normalise
/// such paths in a URL. moto does not check signatures, so no signing is needed.
fn post_object(endpoint: &str, bucket: &str, key: &str, body: &[u8]) {
    use std::io::{Read, Write};
    let authority = endpoint
        .strip_prefix("http://")
        .expect("the test S3 endpoint is plain HTTP on 127.0.0.1")
        .trim_end_matches('/');
    let boundary = "futbr-boundary-7f3a9c";
    let mut form = Vec::new();
    form.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n{key}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .bytes(),
    );
    form.extend_from_slice(body);
    form.extend(format!("\r\n--{boundary}--\r\n").bytes());
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST /{bucket} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        form.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&form).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.lines().next().unwrap_or_default();
    assert!(
        status.contains(" 204 ") || status.contains(" 200 ") || status.contains(" 201 "),
        "uploading {key:?}: {answer}"
    );
}

/// Keys S3 accepts and object_store cannot parse (a newline, a tab, `//`, `.` and `..`
/// segments) are reported by name while every valid file of raw/ is processed (today one such key
/// fails the whole listing page, and with it every run).
#[test]
fn keys_object_store_cannot_parse_are_reported_and_the_others_processed_on_s3() {
    let Some(url) = futbr_testkit::s3_test_url(
        "keys_object_store_cannot_parse_are_reported_and_the_others_processed_on_s3",
    ) else {
        return;
    };
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL for the test S3");
    let bucket = url.trim_start_matches("s3://").split('/').next().unwrap();
    let root = format!(
        "odd-keys-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    let lake = format!("s3://{bucket}/{root}");
    let prod = std::fs::read(shared_data("dados_producao_inicial.csv")).unwrap();
    let novas = std::fs::read(shared_data("novas_rodadas_simuladas.csv")).unwrap();
    // In key order the bad keys come before, between and after the valid ones.
    let bad = [
        "raw//x.csv",
        "raw/./x.csv",
        "raw/../x.csv",
        "raw/m\tx.csv",
        "raw/m\nx.csv",
        "raw/z\n.csv",
    ];
    for key in bad {
        post_object(&endpoint, bucket, &format!("{root}/{key}"), &novas);
    }
    post_object(&endpoint, bucket, &format!("{root}/raw/a-dados.csv"), &prod);
    post_object(&endpoint, bucket, &format!("{root}/raw/mx.csv"), &novas);

    let o = run(&["pipeline", "run", "--lake", &lake, "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let record: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(record["status"], "succeeded", "{record}");
    let inputs: Vec<&str> = record["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, ["raw/a-dados.csv", "raw/mx.csv"], "{record}");
    // Both valid files were processed: the production history plus the new rounds.
    let reader = Reader::new(&lake);
    let report: Value =
        serde_json::from_slice(&reader.get("processed/report.json").unwrap()).unwrap();
    let skipped: Vec<String> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    let stderr = String::from_utf8_lossy(&o.stderr);
    for key in bad {
        let shown = key.escape_debug().to_string();
        assert!(skipped.contains(&shown), "{shown} not in {skipped:?}");
        assert!(
            stderr.contains(&shown),
            "{shown} not warned about: {stderr}"
        );
    }
    assert_eq!(skipped.len(), bad.len(), "{skipped:?}");
    let mut files: Vec<&str> = report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["raw/a-dados.csv", "raw/mx.csv"], "{report}");
    // The listing commands see the lake too (the first page holds bad keys).
    let o = run(&["runs", "list", "--lake", &lake]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&["doctor", "--lake", &lake]);
    assert!(text(&o).contains("raw/m\\nx.csv"), "{}", text(&o));
}

/// The S3 listing around keys object_store cannot parse, over several pages: bad keys first,
/// inside the first page, at the page boundary and last; every valid key is listed once, every
/// bad key is reported once, in order.
#[test]
fn an_s3_listing_keeps_every_valid_key_across_pages_around_bad_keys() {
    let Some(url) = futbr_testkit::s3_test_url(
        "an_s3_listing_keeps_every_valid_key_across_pages_around_bad_keys",
    ) else {
        return;
    };
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL for the test S3");
    let bucket = url.trim_start_matches("s3://").split('/').next().unwrap();
    let root = format!(
        "many-keys-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    let lake = Lake::open(&format!("s3://{bucket}/{root}")).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let valid: Vec<String> = (0..1205).map(|i| format!("many/k{i:04}")).collect();
    runtime.block_on(async {
        for chunk in valid.chunks(64) {
            let mut puts = tokio::task::JoinSet::new();
            for key in chunk {
                let (lake, key) = (lake.clone(), key.clone());
                puts.spawn(async move { lake.put(&key, key.clone()).await });
            }
            while let Some(done) = puts.join_next().await {
                done.unwrap().unwrap();
            }
        }
    });
    let bad = [
        "many//first",
        "many/k0000\n",
        "many/k0500\tx",
        "many/k0998/../x",
        "many/k0999/./x",
        "many/k1204\n",
    ];
    for key in bad {
        post_object(&endpoint, bucket, &format!("{root}/{key}"), b"x");
    }
    let (objects, unnamable) = runtime.block_on(lake.list_reporting("many/")).unwrap();
    let listed: Vec<&str> = objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(listed, valid.iter().map(String::as_str).collect::<Vec<_>>());
    let reported: Vec<&str> = unnamable.iter().map(|u| u.key.as_str()).collect();
    assert_eq!(reported, bad);
    assert!(
        unnamable[1].reason.contains("control character"),
        "{:?}",
        unnamable[1]
    );
    assert!(
        unnamable[0].reason.contains("empty segment"),
        "{:?}",
        unnamable[0]
    );
}

//! The self-updating loop end to end, with the real binary and the real files, on a folder and on
//! a real S3-compatible server: bootstrap → v1; new rounds dropped into raw/ while `futbr watch`
//! runs → v2 gated and promoted; the same file again → up to date; a malformed file → quarantined,
//! champion unchanged; a run killed mid-training → champion and versions intact, the next run marks
//! it abandoned and succeeds.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use futbr_lake::Lake;
use futbr_testkit::shared_data;
use serde_json::Value;

fn futbr() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_futbr"));
    c.env_remove("FUTBR_LAKE")
        .env_remove("FUTBR_BOOTSTRAP")
        .env("RUST_LOG", "info");
    c
}

fn run(args: &[&str]) -> Output {
    futbr().args(args).output().expect("futbr runs")
}

/// The scenario's lake, read through the lake library so that the same checks hold on a folder
/// and on S3; uploads go where a user would put them (a file moved into the folder's raw/, a
/// create-only put on S3, like `aws s3 cp` of a new name).
struct TestLake {
    url: String,
    lake: Lake,
    folder: Option<tempfile::TempDir>,
    rt: tokio::runtime::Runtime,
}

impl TestLake {
    fn folder() -> TestLake {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("lake").to_str().unwrap().to_string();
        TestLake::open(url, Some(dir))
    }

    /// A fresh prefix of the bucket in `FUTBR_TEST_S3_URL`; `None` (the test says it skipped)
    /// when unset, a failure when `FUTBR_REQUIRE_S3` is set (CI).
    fn s3() -> Option<TestLake> {
        let url = futbr_testkit::s3_test_prefix("the loop scenario on S3", "loop")?;
        Some(TestLake::open(url, None))
    }

    fn open(url: String, folder: Option<tempfile::TempDir>) -> TestLake {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let lake = Lake::open(&url).unwrap();
        TestLake {
            url,
            lake,
            folder,
            rt,
        }
    }

    fn upload(&self, name: &str, bytes: &[u8]) {
        match &self.folder {
            Some(dir) => {
                // Written beside the lake, then renamed in: the watcher never lists half a file
                // (on S3 a put is atomic by itself).
                let raw = std::path::Path::new(&self.url).join("raw");
                std::fs::create_dir_all(&raw).unwrap();
                let staged = dir.path().join(name);
                std::fs::write(&staged, bytes).unwrap();
                std::fs::rename(&staged, raw.join(name)).unwrap();
            }
            None => {
                self.rt
                    .block_on(self.lake.add_raw(name, bytes.to_vec().into()))
                    .unwrap();
            }
        }
    }

    fn exists(&self, key: &str) -> bool {
        self.rt.block_on(self.lake.head(key)).unwrap().is_some()
    }

    fn read_json(&self, key: &str) -> Option<Value> {
        let bytes = self.rt.block_on(self.lake.get_opt(key)).ok()??;
        serde_json::from_slice(&bytes).ok()
    }

    fn keys(&self, prefix: &str) -> Vec<String> {
        self.rt
            .block_on(self.lake.list(prefix))
            .unwrap_or_default()
            .into_iter()
            .map(|o| o.key)
            .collect()
    }

    fn champion(&self) -> Option<String> {
        self.read_json("models/champion.json")
            .and_then(|c| c["version"].as_str().map(String::from))
    }

    /// Run records in key (= start) order.
    fn runs(&self) -> Vec<Value> {
        self.keys("runs/")
            .into_iter()
            .filter(|k| k != "runs/lock.json")
            // A folder stages each write as `<key>#<n>` before renaming it into place: a listing
            // can see the staged copy of a record, which is not a run of its own.
            .filter(|k| k.ends_with(".json"))
            .filter_map(|k| self.read_json(&k))
            .collect()
    }

    /// Published versions (those with a manifest).
    fn versions(&self) -> Vec<String> {
        self.keys("models/")
            .into_iter()
            .filter_map(|k| k.strip_suffix("/manifest.json").map(String::from))
            .collect()
    }

    /// Finished runs (not running) beyond the first `n`.
    fn finished_after(&self, n: usize) -> Option<Value> {
        let all = self.runs();
        all.get(n).filter(|r| r["status"] != "running").cloned()
    }
}

fn wait_for<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct KillOnDrop(Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_loop_updates_itself_and_survives_bad_input_and_a_kill_on_a_folder() {
    with_watch_log(TestLake::folder());
}

#[test]
fn the_loop_updates_itself_and_survives_bad_input_and_a_kill_on_s3() {
    if let Some(lake) = TestLake::s3() {
        with_watch_log(lake);
    }
}

/// Runs the scenario; on failure, prints what the watcher logged.
fn with_watch_log(lake: TestLake) {
    let watch_log = tempfile::NamedTempFile::new().unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        the_loop_updates_itself_and_survives_bad_input_and_a_kill(lake, watch_log.as_file())
    }));
    if let Err(panic) = result {
        let log = std::fs::read_to_string(watch_log.path()).unwrap_or_default();
        eprintln!("--- futbr watch logged:\n{log}");
        std::panic::resume_unwind(panic);
    }
}

fn the_loop_updates_itself_and_survives_bad_input_and_a_kill(
    lake: TestLake,
    watch_log: &std::fs::File,
) {
    let lake_arg = lake.url.clone();
    let prod = shared_data("dados_producao_inicial.csv");
    let novas = shared_data("novas_rodadas_simuladas.csv");

    let watcher = futbr()
        .args([
            "watch",
            "--lake",
            &lake_arg,
            "--bootstrap",
            prod.to_str().unwrap(),
            "--interval",
            "0.2",
            "--debounce",
            "0.2",
            "--lease-seconds",
            "2",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::from(watch_log.try_clone().unwrap()))
        .spawn()
        .unwrap();
    let watcher = KillOnDrop(watcher);

    // v1 from the bootstrap.
    let v1 = wait_for("the first champion", Duration::from_secs(60), || {
        lake.champion()
    });
    wait_for("the first run to finish", Duration::from_secs(30), || {
        lake.finished_after(0)
    });

    // New rounds land in raw/ → a run trains v2, the gate decides with both numbers.
    let landed = Instant::now();
    let novas = std::fs::read(novas).unwrap();
    lake.upload("novas_rodadas_simuladas.csv", &novas);
    let second = wait_for(
        "the run for the new rounds",
        Duration::from_secs(60),
        || lake.finished_after(1),
    );
    let v2 = lake.champion().unwrap();
    eprintln!(
        "new file → run finished in {:.2} s",
        landed.elapsed().as_secs_f64()
    );
    assert_eq!(second["status"], "succeeded", "{second:#}");
    let gate = &second["gate"];
    assert!(gate["challenger_rps"].as_f64().unwrap() > 0.0);
    assert!(gate["champion_rps"].as_f64().unwrap() > 0.0, "{gate:#}");
    assert_eq!(gate["champion"], v1.as_str());
    assert_ne!(v1, v2, "the gate promoted the retrained model");
    assert_eq!(second["champion_after"], v2.as_str());
    let manifest = lake
        .read_json(&format!("models/{v2}/manifest.json"))
        .unwrap();
    assert_eq!(manifest["matches"], 8785);
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), 2);

    // predict answers from the champion.
    let o = run(&[
        "predict",
        "--lake",
        &lake_arg,
        "Flamengo",
        "Palmeiras",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(p["model"]["version"], v2.as_str());
    let total = p["probabilities"]["home"].as_f64().unwrap()
        + p["probabilities"]["draw"].as_f64().unwrap()
        + p["probabilities"]["away"].as_f64().unwrap();
    assert!((total - 1.0).abs() < 1e-9);

    // The same file again, under another name → up to date, nothing trained.
    // A later upload, as a person makes it: files with equal modification times (a folder's
    // clock ticks every few ms) merge in key order, which would make the copy the source.
    std::thread::sleep(Duration::from_millis(50));
    lake.upload("novas-de-novo.csv", &novas);
    let third = wait_for(
        "the run for the repeated file",
        Duration::from_secs(60),
        || lake.finished_after(2),
    );
    assert_eq!(third["status"], "up-to-date", "{third:#}");
    assert_eq!(lake.champion().unwrap(), v2);

    // A malformed file → quarantined with its report, champion unchanged.
    let header = futbr_domain::synthetic::HEADER;
    lake.upload(
        "ruim.csv",
        format!("{header}\n9999,40,15/12/2024,16:00,Flamengo,Palmeiras,,,,,-,x,dois,1,RJ,SP\n")
            .as_bytes(),
    );
    let fourth = wait_for(
        "the run for the malformed file",
        Duration::from_secs(60),
        || lake.finished_after(3),
    );
    assert_eq!(fourth["status"], "up-to-date", "{fourth:#}");
    assert_eq!(lake.champion().unwrap(), v2);
    let run_id = fourth["run_id"].as_str().unwrap();
    let report = lake
        .read_json(&format!("quarantine/{run_id}/ruim.csv.report.json"))
        .unwrap();
    assert_eq!(report["problems"][0]["column"], "mandante_Placar");
    assert!(lake.exists(&format!("quarantine/{run_id}/ruim.csv")));
    drop(watcher);

    // A run killed mid-training: a slow recipe (the stack) on new data, killed once `train` starts.
    lake.upload(
        "extra.csv",
        format!("{header}\n9998,38,09/12/2024,16:00,Flamengo,Palmeiras,,,,,-,x,1,1,RJ,SP\n")
            .as_bytes(),
    );
    let versions_before = lake.versions();
    // The killed watcher may have died holding the lease (between its last run record and the
    // release): it lasts 2 s, after which the victim takes it over.
    if lake.exists("runs/lock.json") {
        std::thread::sleep(Duration::from_millis(2500));
    }
    let mut victim = futbr()
        .args([
            "pipeline",
            "run",
            "--lake",
            &lake_arg,
            "--candidate",
            "stack",
            "--lease-seconds",
            "2",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let killed = wait_for(
        "the victim to start training",
        Duration::from_secs(60),
        || {
            if let Ok(Some(status)) = victim.try_wait() {
                let mut err = String::new();
                let _ = std::io::Read::read_to_string(victim.stderr.as_mut().unwrap(), &mut err);
                panic!("the victim ended ({status}) before it was seen training: {err}");
            }
            lake.runs().into_iter().find(|r| {
                r["status"] == "running"
                    && r["steps"].as_array().is_some_and(|s| {
                        s.iter()
                            .any(|s| s["name"] == "train" && s["outcome"] == "running")
                    })
            })
        },
    );
    victim.kill().unwrap(); // SIGKILL
    victim.wait().unwrap();
    assert_eq!(
        lake.champion().unwrap(),
        v2,
        "the champion survived the kill"
    );
    let versions = lake.versions();
    for version in &versions {
        assert!(
            lake.read_json(&format!("{version}/manifest.json"))
                .is_some()
                && lake.exists(&format!("{version}/model.json")),
            "{version}"
        );
    }
    assert!(versions.len() >= versions_before.len());

    // The next run waits out the dead lease, marks the killed run abandoned and succeeds.
    let o = run(&[
        "pipeline",
        "run",
        "--lake",
        &lake_arg,
        "--lease-seconds",
        "2",
        "--json",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let o = if stderr.contains("holds the lake's run lease") {
        std::thread::sleep(Duration::from_secs(3));
        run(&[
            "pipeline",
            "run",
            "--lake",
            &lake_arg,
            "--lease-seconds",
            "2",
            "--json",
        ])
    } else {
        assert!(o.status.success(), "{stdout}\n{stderr}");
        o
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let next: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(next["status"], "succeeded", "{next:#}");
    let killed_now = lake
        .read_json(&format!("runs/{}.json", killed["run_id"].as_str().unwrap()))
        .unwrap();
    assert_eq!(killed_now["status"], "abandoned");
    // Released, not deleted: the record keeps its generation (the fencing token) for the next run.
    let lease = lake.read_json("runs/lock.json").unwrap();
    assert_eq!(lease["released"], true, "the lease was released: {lease:#}");
}

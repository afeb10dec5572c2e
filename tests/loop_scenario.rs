//! The self-updating loop end to end, with the real binary and the real files: bootstrap → v1;
//! new rounds dropped into raw/ while `futbr watch` runs → v2 gated and promoted; the same file
//! again → up to date; a malformed file → quarantined, champion unchanged; a run killed mid-training
//! → champion and versions intact, the next run marks it abandoned and succeeds.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn champion(lake: &Path) -> Option<String> {
    read_json(&lake.join("models/champion.json"))
        .and_then(|c| c["version"].as_str().map(String::from))
}

fn runs(lake: &Path) -> Vec<Value> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(lake.join("runs"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name() != "lock.json")
                .filter_map(|e| {
                    Some((
                        e.file_name().to_string_lossy().into_owned(),
                        read_json(&e.path())?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, v)| v).collect()
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

/// Finished runs (not running) beyond the first `n`.
fn finished_after(lake: &Path, n: usize) -> Option<Value> {
    let all = runs(lake);
    all.get(n).filter(|r| r["status"] != "running").cloned()
}

#[test]
fn the_loop_updates_itself_and_survives_bad_input_and_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let lake: PathBuf = dir.path().join("lake");
    let lake_arg = lake.to_str().unwrap().to_string();
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
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let watcher = KillOnDrop(watcher);

    // v1 from the bootstrap.
    let v1 = wait_for("the first champion", Duration::from_secs(60), || {
        champion(&lake)
    });
    wait_for("the first run to finish", Duration::from_secs(30), || {
        finished_after(&lake, 0)
    });

    // New rounds land in raw/ → a run trains v2, the gate decides with both numbers.
    let landed = Instant::now();
    std::fs::copy(&novas, lake.join("raw/novas_rodadas_simuladas.csv")).unwrap();
    let second = wait_for(
        "the run for the new rounds",
        Duration::from_secs(60),
        || finished_after(&lake, 1),
    );
    let v2 = champion(&lake).unwrap();
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
    let manifest = read_json(&lake.join(format!("models/{v2}/manifest.json"))).unwrap();
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

    // The same file again → up to date, nothing trained.
    std::fs::copy(&novas, lake.join("raw/novas_rodadas_simuladas.csv")).unwrap();
    std::fs::copy(&novas, lake.join("raw/novas-de-novo.csv")).unwrap();
    let third = wait_for(
        "the run for the repeated file",
        Duration::from_secs(60),
        || finished_after(&lake, 2),
    );
    assert_eq!(third["status"], "up-to-date", "{third:#}");
    assert_eq!(champion(&lake).unwrap(), v2);

    // A malformed file → quarantined with its report, champion unchanged.
    let header = futbr_domain::synthetic::HEADER;
    std::fs::write(
        lake.join("raw/ruim.csv"),
        format!("{header}\n9999,40,15/12/2024,16:00,Flamengo,Palmeiras,,,,,-,x,dois,1,RJ,SP\n"),
    )
    .unwrap();
    let fourth = wait_for(
        "the run for the malformed file",
        Duration::from_secs(60),
        || finished_after(&lake, 3),
    );
    assert_eq!(fourth["status"], "up-to-date", "{fourth:#}");
    assert_eq!(champion(&lake).unwrap(), v2);
    let run_id = fourth["run_id"].as_str().unwrap();
    let report =
        read_json(&lake.join(format!("quarantine/{run_id}/ruim.csv.report.json"))).unwrap();
    assert_eq!(report["problems"][0]["column"], "mandante_Placar");
    assert!(lake.join(format!("quarantine/{run_id}/ruim.csv")).is_file());
    drop(watcher);

    // A run killed mid-training: a slow recipe (the stack) on new data, killed once `train` starts.
    std::fs::write(
        lake.join("raw/extra.csv"),
        format!("{header}\n9998,38,09/12/2024,16:00,Flamengo,Palmeiras,,,,,-,x,1,1,RJ,SP\n"),
    )
    .unwrap();
    let versions_before = std::fs::read_dir(lake.join("models")).unwrap().count();
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
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let killed = wait_for(
        "the victim to start training",
        Duration::from_secs(60),
        || {
            runs(&lake).into_iter().find(|r| {
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
        champion(&lake).unwrap(),
        v2,
        "the champion survived the kill"
    );
    for entry in std::fs::read_dir(lake.join("models")).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() && path.join("manifest.json").exists() {
            assert!(
                read_json(&path.join("manifest.json")).is_some()
                    && path.join("model.json").is_file(),
                "{path:?}"
            );
        }
    }
    assert!(std::fs::read_dir(lake.join("models")).unwrap().count() >= versions_before);

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
    let killed_now =
        read_json(&lake.join(format!("runs/{}.json", killed["run_id"].as_str().unwrap()))).unwrap();
    assert_eq!(killed_now["status"], "abandoned");
    // Released, not deleted: the record keeps its generation (the fencing token) for the next run.
    let lease = read_json(&lake.join("runs/lock.json")).unwrap();
    assert_eq!(lease["released"], true, "the lease was released: {lease:#}");
}

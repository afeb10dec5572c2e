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

#[test]
fn the_state_machine_steps_run_as_separate_processes_for_the_triggering_key() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake_arg = lake.to_str().unwrap();
    // Uploaded straight into raw/ (as `aws s3 cp` does), under a name with a space: S3 event
    // notifications may hand such a key over URL-encoded ("+", "%20").
    std::fs::create_dir_all(lake.join("raw")).unwrap();
    std::fs::copy(
        shared_data("dados_producao_inicial.csv"),
        lake.join("raw/dados producao.csv"),
    )
    .unwrap();

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

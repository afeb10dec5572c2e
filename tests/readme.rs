//! README's walkthrough, run as written: the block after `<!-- walkthrough -->`, with the built
//! binary standing for `cargo run --release --` and a free port for 8080, in a fresh folder whose
//! `../shared/data` is the real data set.

use std::process::Command;

#[test]
fn readme_walkthrough_works_verbatim() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("<!-- walkthrough -->")
        .expect("README has a walkthrough");
    let block = &readme[start..];
    let open = block.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let close = open + block[open..].find("```").expect("closed block");
    let commands = &block[open..close];
    assert!(
        commands.contains("cargo run --release -- serve"),
        "{commands}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = commands
        .replace(
            "cargo run --release --",
            &format!("'{}'", env!("CARGO_BIN_EXE_futbr")),
        )
        .replace("8080", &port.to_string());

    let root = tempfile::tempdir().unwrap();
    let work = root.path().join("work");
    std::fs::create_dir_all(root.path().join("shared")).unwrap();
    std::os::unix::fs::symlink(
        futbr_testkit::shared_data_dir(),
        root.path().join("shared/data"),
    )
    .unwrap();
    std::fs::create_dir(&work).unwrap();
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(&work)
        .env_remove("FUTBR_LAKE")
        .env_remove("FUTBR_BOOTSTRAP")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "walkthrough failed\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("\"status\":\"ready\""), "{stdout}");
    let versions = stdout
        .lines()
        .filter(|l| l.starts_with("* v") || l.starts_with("  v"))
        .count();
    assert_eq!(versions, 2, "models list shows v1 and v2\n{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.contains("\"name\":\"Sao Paulo\""), "{last}");
    // The served answer comes from the new champion (the second version listed).
    let champion = stdout
        .lines()
        .find(|l| l.starts_with("* v"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap();
    assert!(last.contains(champion), "{champion} in {last}");
}

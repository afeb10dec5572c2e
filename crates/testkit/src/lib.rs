//! Test helpers shared by the futbr crates: where the real data set lives. Only `dev-dependencies`
//! may name this crate.

use std::path::PathBuf;

/// The folder with the real Brasileirão files: `$FUTBR_SHARED_DATA`, or `shared/data` beside the
/// repository. Panics (failing the test, never skipping it) when the folder is missing.
pub fn shared_data_dir() -> PathBuf {
    let dir = match std::env::var_os("FUTBR_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    assert!(
        dir.is_dir(),
        "the real data set is missing at {}: put ../shared beside the repository or set FUTBR_SHARED_DATA",
        dir.display()
    );
    dir
}

/// Path of one file of the real data set, e.g. `campeonato-brasileiro-full.csv`.
pub fn shared_data(name: &str) -> PathBuf {
    let path = shared_data_dir().join(name);
    assert!(path.is_file(), "missing real data file {}", path.display());
    path
}

/// Bytes of one file of the real data set.
pub fn read_shared(name: &str) -> Vec<u8> {
    std::fs::read(shared_data(name)).expect("readable real data file")
}

/// Says on the terminal that a test (or one of its checks) was skipped and why. Written straight
/// to the process's stderr, which cargo's output capture does not intercept, so a skip is never
/// reported as a silent `ok`.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// The S3 lake URL of the tests (`FUTBR_TEST_S3_URL`), or `None` with a printed skip. Under CI
/// (`FUTBR_REQUIRE_S3` set) a missing setting fails the test instead.
pub fn s3_test_url(test: &str) -> Option<String> {
    match std::env::var("FUTBR_TEST_S3_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var_os("FUTBR_REQUIRE_S3").is_none(),
                "FUTBR_REQUIRE_S3 is set but FUTBR_TEST_S3_URL is not"
            );
            skipped(
                test,
                "FUTBR_TEST_S3_URL is not set (no S3-compatible server)",
            );
            None
        }
    }
}

/// A fresh prefix of the tests' S3 bucket for one test, `{FUTBR_TEST_S3_URL}/{name}-{pid}-{ms}`,
/// or `None` (and a printed skip) as [`s3_test_url`].
pub fn s3_test_prefix(test: &str, name: &str) -> Option<String> {
    let bucket = s3_test_url(test)?;
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Some(format!(
        "{}/{name}-{}-{millis}",
        bucket.trim_end_matches('/'),
        std::process::id()
    ))
}

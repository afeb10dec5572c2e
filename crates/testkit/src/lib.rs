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

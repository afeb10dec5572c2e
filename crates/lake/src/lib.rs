//! The data lake of Predictor Fut BR: the only crate that does I/O on the object store.
//!
//! - [`Lake`] opens a store by URL (local folder, `memory://`, `s3://bucket/prefix`) and offers
//!   whole-object reads and writes, create-only writes, compare-and-swap ([`Lake::swap`], for the
//!   lease and the champion pointer), listings with ETags, and writes fenced by the run lease
//!   ([`Lake::fenced`]).
//! - `raw/` is listed and read with [`Lake::list_raw`] / [`Lake::get_raw`]: links are never
//!   followed and odd names never block the others.
//! - [`keys`] is the lake layout (DESIGN.md): `raw/`, `quarantine/`, `processed/`, ...
//! - [`tables`] encodes and decodes the processed tables as Parquet.
//!
//! ```
//! # tokio_test_block_on(async {
//! let lake = futbr_lake::Lake::open("memory://").unwrap();
//! lake.put("processed/hello.txt", "olá").await.unwrap();
//! assert_eq!(&lake.get("processed/hello.txt").await.unwrap()[..], "olá".as_bytes());
//! assert!(lake.put("raw/x.csv", "no").await.is_err()); // raw/ is never written in place
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
//! # }
//! ```

mod credentials;
pub mod keys;
mod lease;
mod raw;
pub mod registry;
mod store;
pub mod tables;

pub use lease::{Busy, Lease, LeaseRecord, LeaseState};
pub use raw::{RawListing, SkippedRaw};
pub use store::{
    Expect, Lake, ObjectInfo, OpenOptions, RawAdded, StoreKind, Swapped, UnnamableKey,
    DEFAULT_STORE_TIMEOUT,
};

/// Errors of the lake, each naming the key (or URL) concerned.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("invalid lake location {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("object {key} not found in the lake")]
    NotFound { key: String },
    #[error("object store error on {key}: {chain}", chain = store::error_chain(source))]
    Store {
        key: String,
        #[source]
        source: object_store::Error,
    },
    #[error(
        "refusing to write {key}: raw/ holds inputs exactly as uploaded and is never modified"
    )]
    RawIsReadOnly { key: String },
    #[error("table {key} is unreadable: {reason}")]
    Table { key: String, reason: String },
    #[error("{key} is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("no lake at {path} (the folder does not exist; `futbr pipeline run --lake {path}` creates one)")]
    NoLake { path: String },
    #[error("the bucket of {url} does not exist at {endpoint}: the bucket name or the endpoint is wrong")]
    NoBucket { url: String, endpoint: String },
    #[error("the store of {url} does not answer: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("no S3 credentials found (tried AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a web identity token, container and instance credentials): {cause}")]
    NoCredentials { cause: String },
    #[error("no space left on the lake's disk while writing {key} (ENOSPC): {reason}")]
    NoSpace { key: String, reason: String },
    #[error("I/O error on {key}: {reason}")]
    Io { key: String, reason: String },
    #[error("refusing a blind write to {key}: it is a pointer, replaced only by compare-and-swap")]
    PointerNeedsSwap { key: String },
    #[error("refusing to write {key}: run {run_id} (lease generation {generation}) no longer holds the run lease, {holder} does; a newer run took over, so this run stops and leaves the lake as that run left it")]
    Fenced {
        key: String,
        run_id: String,
        generation: u64,
        holder: String,
    },
    #[error(
        "{key} changed since this run last wrote it (a newer run marked it); nothing was written"
    )]
    RecordChanged { key: String },
    #[error("the champion pointer changed since it was read (it now names {found}); another promotion or rollback happened, nothing was written")]
    ChampionChanged { found: String },
}

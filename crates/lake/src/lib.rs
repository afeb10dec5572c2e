//! The data lake of Predictor Fut BR: the only crate that does I/O on the object store.
//!
//! - [`Lake`] opens a store by URL (local folder, `memory://`, `s3://bucket/prefix`) and offers
//!   whole-object reads and writes, create-only writes, and listings with ETags.
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

pub mod keys;
mod lease;
pub mod registry;
mod store;
pub mod tables;

pub use lease::{Busy, Lease, LeaseRecord};
pub use store::{Lake, ObjectInfo, RawAdded, StoreKind};

/// Errors of the lake, each naming the key (or URL) concerned.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("invalid lake location {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("object {key} not found in the lake")]
    NotFound { key: String },
    #[error("object store error on {key}: {source}")]
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
}

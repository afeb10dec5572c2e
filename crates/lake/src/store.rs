//! [`Lake`]: the one door to the object store.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use crate::keys;
use crate::LakeError;

/// Which kind of store backs a lake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Local,
    Memory,
    S3,
}

/// What a listing says about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Key relative to the lake root, e.g. `raw/2024.csv`.
    pub key: String,
    pub size: u64,
    /// The store's version tag (ETag on S3; derived from inode, size and mtime on a folder).
    pub etag: Option<String>,
    pub last_modified: DateTime<Utc>,
}

/// A data lake on an object store, chosen by URL.
///
/// Every write is a whole-object put, so a reader sees the old object or the new one, never a
/// part. Keys under `raw/` can only be added with [`Lake::add_raw`], which never overwrites.
#[derive(Debug, Clone)]
pub struct Lake {
    store: Arc<dyn ObjectStore>,
    root: Option<Path>,
    url: String,
    kind: StoreKind,
}

impl Lake {
    /// Opens a lake: a local path or `file://` URL (created if missing), `memory://` (a fresh
    /// in-memory store), or `s3://bucket/prefix` (endpoint, region and credentials from the
    /// standard `AWS_*` environment, including `AWS_ENDPOINT_URL` and `AWS_ALLOW_HTTP`).
    pub fn open(url: &str) -> Result<Lake, LakeError> {
        let invalid = |reason: String| LakeError::InvalidUrl {
            url: url.to_string(),
            reason,
        };
        let url = url.trim();
        if url.is_empty() {
            return Err(invalid("empty lake location".into()));
        }
        if let Some(rest) = url.strip_prefix("memory://") {
            return Ok(Lake {
                store: Arc::new(InMemory::new()),
                root: root_path(rest),
                url: url.to_string(),
                kind: StoreKind::Memory,
            });
        }
        if url.starts_with("s3://") || url.starts_with("s3a://") {
            let parsed = url::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
            let bucket = parsed
                .host_str()
                .filter(|b| !b.is_empty())
                .ok_or_else(|| invalid("no bucket name".into()))?;
            let store = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|e| invalid(e.to_string()))?;
            return Ok(Lake {
                store: Arc::new(store),
                root: root_path(parsed.path()),
                url: url.to_string(),
                kind: StoreKind::S3,
            });
        }
        let local = if let Some(rest) = url.strip_prefix("file://") {
            std::path::PathBuf::from(rest)
        } else if url.contains("://") {
            return Err(invalid(
                "unsupported scheme; use a local path, file://, memory:// or s3://".into(),
            ));
        } else {
            std::path::PathBuf::from(url)
        };
        std::fs::create_dir_all(&local)
            .map_err(|e| invalid(format!("cannot create folder: {e}")))?;
        let store = LocalFileSystem::new_with_prefix(&local).map_err(|e| invalid(e.to_string()))?;
        Ok(Lake {
            store: Arc::new(store.with_automatic_cleanup(true)),
            root: None,
            url: url.to_string(),
            kind: StoreKind::Local,
        })
    }

    /// The URL the lake was opened with.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    fn path(&self, key: &str) -> Path {
        let key = Path::from(key);
        match &self.root {
            Some(root) => Path::from_iter(root.parts().chain(key.parts())),
            None => key,
        }
    }

    fn key_of(&self, path: &Path) -> String {
        let full = path.as_ref();
        match &self.root {
            Some(root) => full
                .strip_prefix(root.as_ref())
                .map(|k| k.trim_start_matches('/'))
                .unwrap_or(full)
                .to_string(),
            None => full.to_string(),
        }
    }

    fn store_error(key: &str, source: object_store::Error) -> LakeError {
        match source {
            object_store::Error::NotFound { .. } => LakeError::NotFound {
                key: key.to_string(),
            },
            source => LakeError::Store {
                key: key.to_string(),
                source,
            },
        }
    }

    /// Every object whose key starts with `prefix` (a folder such as `raw/`), sorted by key.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, LakeError> {
        let folder = prefix.trim_end_matches('/');
        let path = (!folder.is_empty()).then(|| self.path(folder));
        let path = match (&path, &self.root) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(root)) => Some(root.clone()),
            (None, None) => None,
        };
        let metas: Vec<object_store::ObjectMeta> = self
            .store
            .list(path.as_ref())
            .try_collect()
            .await
            .map_err(|e| Self::store_error(prefix, e))?;
        let mut out: Vec<ObjectInfo> = metas
            .into_iter()
            .map(|m| ObjectInfo {
                key: self.key_of(&m.location),
                size: m.size,
                etag: m.e_tag,
                last_modified: m.last_modified,
            })
            .filter(|o| o.key.starts_with(prefix))
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// The bytes of one object.
    pub async fn get(&self, key: &str) -> Result<Bytes, LakeError> {
        let result = self
            .store
            .get(&self.path(key))
            .await
            .map_err(|e| Self::store_error(key, e))?;
        result.bytes().await.map_err(|e| Self::store_error(key, e))
    }

    /// The bytes of one object with the ETag of exactly those bytes (one read, so the tag cannot
    /// belong to a newer object), or `None` when it does not exist.
    pub async fn get_with_etag(
        &self,
        key: &str,
    ) -> Result<Option<(Bytes, Option<String>)>, LakeError> {
        let result = match self.store.get(&self.path(key)).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(Self::store_error(key, e)),
        };
        let etag = result.meta.e_tag.clone();
        let bytes = result
            .bytes()
            .await
            .map_err(|e| Self::store_error(key, e))?;
        Ok(Some((bytes, etag)))
    }

    /// The bytes of one object, or `None` when it does not exist.
    pub async fn get_opt(&self, key: &str) -> Result<Option<Bytes>, LakeError> {
        match self.get(key).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(LakeError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Metadata of one object, or `None` when it does not exist.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, LakeError> {
        match self.store.head(&self.path(key)).await {
            Ok(m) => Ok(Some(ObjectInfo {
                key: key.to_string(),
                size: m.size,
                etag: m.e_tag,
                last_modified: m.last_modified,
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(Self::store_error(key, e)),
        }
    }

    /// Writes a whole object, replacing any previous one. Refuses `raw/`.
    pub async fn put(&self, key: &str, bytes: impl Into<Bytes>) -> Result<(), LakeError> {
        guard_raw(key)?;
        self.store
            .put(&self.path(key), PutPayload::from_bytes(bytes.into()))
            .await
            .map_err(|e| Self::store_error(key, e))?;
        Ok(())
    }

    /// Writes a whole object only if none exists at `key`; returns whether it was written.
    /// Refuses `raw/` (use [`Lake::add_raw`]).
    pub async fn put_if_absent(
        &self,
        key: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<bool, LakeError> {
        guard_raw(key)?;
        self.create(key, bytes.into()).await
    }

    async fn create(&self, key: &str, bytes: Bytes) -> Result<bool, LakeError> {
        let options = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .store
            .put_opts(&self.path(key), PutPayload::from_bytes(bytes), options)
            .await
        {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(Self::store_error(key, e)),
        }
    }

    /// A put with explicit options (conditional writes). Refuses `raw/`.
    pub(crate) async fn put_opts_raw(
        &self,
        key: &str,
        bytes: Bytes,
        options: PutOptions,
    ) -> Result<(), LakeError> {
        guard_raw(key)?;
        self.store
            .put_opts(&self.path(key), PutPayload::from_bytes(bytes), options)
            .await
            .map_err(|e| Self::store_error(key, e))?;
        Ok(())
    }

    /// Adds an input file to `raw/` under a safe version of `name`, never overwriting: when an
    /// object of that name already holds the same bytes nothing is written; when it holds other
    /// bytes the file gets a numbered name (`name-2.csv`, ...).
    pub async fn add_raw(&self, name: &str, bytes: Bytes) -> Result<RawAdded, LakeError> {
        self.add_raw_in("", name, bytes).await
    }

    /// [`Lake::add_raw`] into a folder of `raw/` (`corrections/`, `feeds/`): `folder` is empty or
    /// safe key segments each ending in `/`.
    pub async fn add_raw_in(
        &self,
        folder: &str,
        name: &str,
        bytes: Bytes,
    ) -> Result<RawAdded, LakeError> {
        let safe = keys::safe_file_name(name);
        let raw = format!("{}{folder}", keys::RAW);
        let (stem, ext) = match safe.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => (stem.to_string(), format!(".{ext}")),
            _ => (safe.clone(), String::new()),
        };
        for n in 1..1000 {
            let key = if n == 1 {
                format!("{raw}{safe}")
            } else {
                format!("{raw}{stem}-{n}{ext}")
            };
            if self.create(&key, bytes.clone()).await? {
                return Ok(RawAdded { key, created: true });
            }
            if self.get(&key).await? == bytes {
                return Ok(RawAdded {
                    key,
                    created: false,
                });
            }
        }
        Err(LakeError::Store {
            key: format!("{raw}{safe}"),
            source: object_store::Error::Generic {
                store: "lake",
                source: "too many different files with this name in raw/".into(),
            },
        })
    }

    /// Deletes an object (absent is fine). Refuses `raw/`.
    pub async fn delete(&self, key: &str) -> Result<(), LakeError> {
        guard_raw(key)?;
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Self::store_error(key, e)),
        }
    }
}

/// What [`Lake::add_raw`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAdded {
    pub key: String,
    /// False when the same bytes were already there under that key.
    pub created: bool,
}

fn guard_raw(key: &str) -> Result<(), LakeError> {
    if key.starts_with(keys::RAW) {
        return Err(LakeError::RawIsReadOnly {
            key: key.to_string(),
        });
    }
    Ok(())
}

fn root_path(path: &str) -> Option<Path> {
    let trimmed = path.trim_matches('/');
    (!trimmed.is_empty()).then(|| Path::from(trimmed))
}

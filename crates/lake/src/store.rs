//! [`Lake`]: the one door to the object store.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};

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
    /// The folder of a local lake (compare-and-swap takes a file lock there).
    local_root: Option<std::path::PathBuf>,
    /// When set, every write first checks that this lease still holds (see [`Lake::fenced`]).
    fence: Option<Arc<Fence>>,
    /// The same store when it is S3, for listings that survive keys object_store cannot parse.
    s3: Option<Arc<AmazonS3>>,
}

/// A key the store holds but object_store cannot name (S3 accepts keys with control characters,
/// empty segments `a//b` and `.`/`..` segments; object_store's paths refuse them). Listings skip
/// it and report it instead of failing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnnamableKey {
    /// The key relative to the lake root, exactly as stored.
    pub key: String,
    pub reason: String,
}

/// The lease a fenced lake writes under: its run and generation (the fencing token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fence {
    pub(crate) run_id: String,
    pub(crate) generation: u64,
}

/// What a compare-and-swap did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Swapped {
    /// Written; the new object's ETag, when the store gives one.
    Written { etag: Option<String> },
    /// The object was not as expected: nothing was written.
    Conflict,
}

/// What a compare-and-swap expects to find at its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect<'a> {
    /// No object.
    Absent,
    /// An object with this ETag (as read with [`Lake::get_with_etag`]).
    ETag(&'a str),
}

/// How a lake is opened.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Refuse a local folder that does not exist instead of creating it (read-only commands).
    pub must_exist: bool,
    /// How long one request to a remote store may take, retries included.
    pub timeout: std::time::Duration,
}

/// The store timeout unless `FUTBR_STORE_TIMEOUT` (seconds) says otherwise.
pub const DEFAULT_STORE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl Default for OpenOptions {
    fn default() -> Self {
        let timeout = std::env::var("FUTBR_STORE_TIMEOUT")
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .map_or(DEFAULT_STORE_TIMEOUT, std::time::Duration::from_secs_f64);
        OpenOptions {
            must_exist: false,
            timeout,
        }
    }
}

impl Lake {
    /// Opens a lake: a local path or `file://` URL (created if missing), `memory://` (a fresh
    /// in-memory store), or `s3://bucket/prefix` (endpoint, region and credentials from the
    /// standard `AWS_*` environment, including `AWS_ENDPOINT_URL` and `AWS_ALLOW_HTTP`).
    pub fn open(url: &str) -> Result<Lake, LakeError> {
        Lake::open_with(url, &OpenOptions::default())
    }

    /// Opens a lake with explicit [`OpenOptions`].
    pub fn open_with(url: &str, options: &OpenOptions) -> Result<Lake, LakeError> {
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
                local_root: None,
                fence: None,
                s3: None,
            });
        }
        if url.starts_with("s3://") || url.starts_with("s3a://") {
            let parsed = url::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
            let bucket = parsed
                .host_str()
                .filter(|b| !b.is_empty())
                .ok_or_else(|| invalid("no bucket name".into()))?;
            let endpoint = std::env::var("AWS_ENDPOINT_URL")
                .or_else(|_| std::env::var("AWS_ENDPOINT"))
                .ok();
            let allow_http = std::env::var("AWS_ALLOW_HTTP")
                .is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"));
            if let Some(e) = endpoint.as_deref().filter(|e| e.starts_with("http://")) {
                if !allow_http {
                    return Err(invalid(format!(
                        "the endpoint {e} is plain HTTP; set AWS_ALLOW_HTTP=true to allow it (or use https)"
                    )));
                }
            }
            let has_credentials = [
                "AWS_ACCESS_KEY_ID",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_WEB_IDENTITY_TOKEN_FILE",
            ]
            .iter()
            .any(|k| std::env::var_os(k).is_some());
            if endpoint.is_some() && !has_credentials {
                // Off AWS the instance-metadata fallback can only time out, several times over.
                return Err(invalid(format!(
                    "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the endpoint {}",
                    endpoint.as_deref().unwrap_or_default()
                )));
            }
            let timeout = humantime_secs(options.timeout);
            let configured = || {
                AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_config(
                        object_store::aws::AmazonS3ConfigKey::Client(
                            object_store::ClientConfigKey::Timeout,
                        ),
                        &timeout,
                    )
                    .with_config(
                        object_store::aws::AmazonS3ConfigKey::Client(
                            object_store::ClientConfigKey::ConnectTimeout,
                        ),
                        &timeout,
                    )
                    .with_retry(object_store::RetryConfig {
                        max_retries: 3,
                        retry_timeout: options.timeout,
                        ..Default::default()
                    })
            };
            let built = |b: AmazonS3Builder| {
                b.build()
                    .map_err(|e| invalid(format!("{e} ({})", error_chain(&e))))
            };
            // Built twice: once to let object_store choose the credential provider from the
            // environment (keys, web identity, container, instance metadata), then with that
            // provider wrapped, so that a failure to find credentials is told apart from any other
            // store error: one clear line instead of the metadata endpoint's error per attempt.
            let provider = built(configured())?.credentials().clone();
            let store = Arc::new(built(
                configured()
                    .with_credentials(Arc::new(crate::credentials::Reporting::new(provider))),
            )?);
            return Ok(Lake {
                store: store.clone(),
                root: root_path(parsed.path()),
                url: url.to_string(),
                kind: StoreKind::S3,
                local_root: None,
                fence: None,
                s3: Some(store),
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
        if options.must_exist && !local.is_dir() {
            return Err(LakeError::NoLake {
                path: local.display().to_string(),
            });
        }
        std::fs::create_dir_all(&local)
            .map_err(|e| invalid(format!("cannot create folder: {e}")))?;
        let local = std::fs::canonicalize(&local)
            .map_err(|e| invalid(format!("cannot resolve the folder: {e}")))?;
        let store = LocalFileSystem::new_with_prefix(&local).map_err(|e| invalid(e.to_string()))?;
        Ok(Lake {
            store: Arc::new(store.with_automatic_cleanup(true)),
            root: None,
            url: url.to_string(),
            kind: StoreKind::Local,
            local_root: Some(local),
            fence: None,
            s3: None,
        })
    }

    /// The URL the lake was opened with.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// Checks that the store answers and, on S3, that the bucket exists (one listing request):
    /// a wrong bucket or endpoint is named as such instead of surfacing later as "object not
    /// found" or "no champion yet".
    pub async fn check_reachable(&self) -> Result<(), LakeError> {
        if self.kind != StoreKind::S3 {
            return Ok(());
        }
        let first = self.store.list(self.root.as_ref()).try_next().await;
        let missing_bucket = |e: &object_store::Error| {
            matches!(e, object_store::Error::NotFound { .. })
                || error_chain(e).contains("NoSuchBucket")
        };
        match first {
            // The store answered; a key object_store cannot parse is reported by the listings.
            Ok(_) | Err(object_store::Error::InvalidPath { .. }) => Ok(()),
            Err(e) if crate::credentials::no_credentials(&e).is_some() => {
                Err(Self::store_error("", e))
            }
            Err(e) if missing_bucket(&e) => Err(LakeError::NoBucket {
                url: self.url.clone(),
                endpoint: std::env::var("AWS_ENDPOINT_URL")
                    .or_else(|_| std::env::var("AWS_ENDPOINT"))
                    .unwrap_or_else(|_| "AWS S3".into()),
            }),
            Err(e) => Err(LakeError::Unreachable {
                url: self.url.clone(),
                reason: error_chain(&e),
            }),
        }
    }

    /// The folder of a local lake.
    pub(crate) fn local_root(&self) -> Option<&std::path::Path> {
        self.local_root.as_deref()
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

    pub(crate) fn store_error(key: &str, source: object_store::Error) -> LakeError {
        if let Some(cause) = crate::credentials::no_credentials(&source) {
            return LakeError::NoCredentials { cause };
        }
        if is_no_space(&source) {
            return LakeError::NoSpace {
                key: key.to_string(),
                reason: error_chain(&source),
            };
        }
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

    /// Every object whose key starts with `prefix` (a folder such as `raw/`), sorted by key. Keys
    /// object_store cannot name (S3 only, see [`UnnamableKey`]) are skipped with a warning;
    /// [`Lake::list_reporting`] returns them.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, LakeError> {
        let (objects, unnamable) = self.list_reporting(prefix).await?;
        for u in unnamable {
            tracing::warn!(key = %u.key.escape_debug(), "object skipped in a listing: {}", u.reason);
        }
        Ok(objects)
    }

    /// [`Lake::list`], also returning the keys that were skipped because object_store cannot
    /// name them.
    pub async fn list_reporting(
        &self,
        prefix: &str,
    ) -> Result<(Vec<ObjectInfo>, Vec<UnnamableKey>), LakeError> {
        let folder = prefix.trim_end_matches('/');
        let path = (!folder.is_empty()).then(|| self.path(folder));
        let path = match (&path, &self.root) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(root)) => Some(root.clone()),
            (None, None) => None,
        };
        let (metas, unnamable) = match &self.s3 {
            Some(s3) => self.list_s3(s3, path.as_ref(), prefix).await?,
            None => (
                self.store
                    .list(path.as_ref())
                    .try_collect()
                    .await
                    .map_err(|e| Self::store_error(prefix, e))?,
                Vec::new(),
            ),
        };
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
        Ok((out, unnamable))
    }

    /// Lists an S3 prefix page by page. object_store parses every key of a `ListObjectsV2` page
    /// into a path and fails the whole page on one key it cannot parse; such a page is listed
    /// again with fewer keys (`max-keys`, a binary search) to keep the keys before the bad one,
    /// and the listing resumes with `start-after` the bad key itself (a raw string, so exactly
    /// that key is skipped).
    async fn list_s3(
        &self,
        s3: &AmazonS3,
        path: Option<&Path>,
        shown: &str,
    ) -> Result<(Vec<object_store::ObjectMeta>, Vec<UnnamableKey>), LakeError> {
        use object_store::list::{PaginatedListOptions, PaginatedListStore};
        /// S3's (and object_store's) page size.
        const PAGE: usize = 1000;
        // As object_store's own listing: the folder and its delimiter.
        let prefix = path.map(|p| format!("{p}{}", object_store::path::DELIMITER));
        let page = |offset: Option<String>, token: Option<String>, max_keys: Option<usize>| {
            let options = PaginatedListOptions {
                offset,
                page_token: token,
                max_keys,
                ..Default::default()
            };
            let prefix = prefix.clone();
            async move { s3.list_paginated(prefix.as_deref(), options).await }
        };
        let (mut objects, mut unnamable) = (Vec::new(), Vec::new());
        let (mut offset, mut token) = (None::<String>, None::<String>);
        loop {
            let first_bad = match page(offset.clone(), token.clone(), None).await {
                Ok(listed) => {
                    objects.extend(listed.result.objects);
                    match listed.page_token {
                        Some(next) => {
                            token = Some(next);
                            continue;
                        }
                        None => break,
                    }
                }
                Err(e) => match unparsable_key(&e) {
                    Some(key) => key,
                    None => return Err(Self::store_error(shown, e)),
                },
            };
            if offset.as_deref() == Some(first_bad.as_str()) {
                // The store lists the key it was asked to start after: no way forward.
                return Err(LakeError::Unreachable {
                    url: self.url.clone(),
                    reason: format!(
                        "the listing of {shown} does not move past the key {:?}",
                        first_bad
                    ),
                });
            }
            // The first `good` keys of this page parse and key number `good` does not.
            let (mut good, mut bad, mut bad_key) = (0usize, PAGE, first_bad);
            let mut kept = Vec::new();
            while bad - good > 1 {
                let mid = good + (bad - good) / 2;
                match page(offset.clone(), token.clone(), Some(mid)).await {
                    Ok(listed) => {
                        good = mid;
                        kept = listed.result.objects;
                    }
                    Err(e) => match unparsable_key(&e) {
                        Some(key) => {
                            bad = mid;
                            bad_key = key;
                        }
                        None => return Err(Self::store_error(shown, e)),
                    },
                }
            }
            objects.extend(kept);
            unnamable.push(UnnamableKey {
                key: self.raw_key_of(&bad_key),
                reason: unnamable_reason(&bad_key),
            });
            offset = Some(bad_key);
            token = None;
        }
        Ok((objects, unnamable))
    }

    /// A raw store key relative to the lake root.
    fn raw_key_of(&self, key: &str) -> String {
        match &self.root {
            Some(root) => key
                .strip_prefix(root.as_ref())
                .and_then(|k| k.strip_prefix('/'))
                .unwrap_or(key)
                .to_string(),
            None => key.to_string(),
        }
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
        guard_pointer(key)?;
        self.check_fence(key).await?;
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
        guard_pointer(key)?;
        self.check_fence(key).await?;
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

    /// Replaces the object at `key` only if it is as `expect`ed (compare-and-swap); returns
    /// whether it was written. For the pointers (`runs/lock.json`, `models/champion.json`), which
    /// are only ever written this way.
    ///
    /// On S3 and in memory this is a conditional put (`If-None-Match` / `If-Match` on the ETag).
    /// A local folder has no conditional update, so there the check and the rename that replaces
    /// the file happen under an exclusive `flock` on `.futbr/cas.lock` in the lake folder, which
    /// every process and task writing a pointer takes: atomic among them.
    pub async fn swap(
        &self,
        key: &str,
        expect: Expect<'_>,
        bytes: impl Into<Bytes>,
    ) -> Result<bool, LakeError> {
        Ok(matches!(
            self.swap_tagged(key, expect, bytes).await?,
            Swapped::Written { .. }
        ))
    }

    /// [`Lake::swap`], also giving the ETag of the object written (for the next swap).
    pub async fn swap_tagged(
        &self,
        key: &str,
        expect: Expect<'_>,
        bytes: impl Into<Bytes>,
    ) -> Result<Swapped, LakeError> {
        guard_raw(key)?;
        if key != keys::LEASE {
            self.check_fence(key).await?;
        }
        let bytes = bytes.into();
        if let Some(root) = &self.local_root {
            return local_swap(root, key, expect, bytes).await;
        }
        let mode = match expect {
            Expect::Absent => PutMode::Create,
            Expect::ETag(e) => PutMode::Update(UpdateVersion {
                e_tag: Some(e.to_string()),
                version: None,
            }),
        };
        let options = PutOptions {
            mode,
            ..Default::default()
        };
        match self
            .store
            .put_opts(&self.path(key), PutPayload::from_bytes(bytes), options)
            .await
        {
            Ok(written) => Ok(Swapped::Written {
                etag: written.e_tag,
            }),
            Err(
                object_store::Error::Precondition { .. }
                | object_store::Error::AlreadyExists { .. },
            ) => Ok(Swapped::Conflict),
            Err(e) => Err(Self::store_error(key, e)),
        }
    }

    /// A handle on the same lake whose every write (except to the lease itself) first checks that
    /// `lease` still holds: same run, same generation. A run that lost its lease (paused past it
    /// and taken over) then fails with [`LakeError::Fenced`] instead of writing.
    pub fn fenced(&self, lease: &crate::Lease) -> Lake {
        Lake {
            fence: Some(Arc::new(Fence {
                run_id: lease.run_id.clone(),
                generation: lease.generation,
            })),
            ..self.clone()
        }
    }

    async fn check_fence(&self, key: &str) -> Result<(), LakeError> {
        let Some(fence) = &self.fence else {
            return Ok(());
        };
        let holder = match self.lease_state().await? {
            crate::lease::LeaseState::Held { record, .. }
                if !record.released
                    && record.run_id == fence.run_id
                    && record.generation == fence.generation =>
            {
                return Ok(())
            }
            crate::lease::LeaseState::Held { record, .. } if record.released => {
                "nobody (released)".to_string()
            }
            crate::lease::LeaseState::Held { record, .. } => {
                format!("run {} generation {}", record.run_id, record.generation)
            }
            crate::lease::LeaseState::Absent => "nobody".to_string(),
            crate::lease::LeaseState::Garbled { .. } => "an unreadable lease object".to_string(),
        };
        Err(LakeError::Fenced {
            key: key.to_string(),
            run_id: fence.run_id.clone(),
            generation: fence.generation,
            holder,
        })
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
        guard_pointer(key)?;
        self.check_fence(key).await?;
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

/// An error and its sources on one line (object_store's top-level messages can be as terse as
/// "builder error").
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The raw key object_store refused to parse, when that is what `error` is.
fn unparsable_key(error: &object_store::Error) -> Option<String> {
    match error {
        object_store::Error::InvalidPath {
            source:
                object_store::path::Error::EmptySegment { path }
                | object_store::path::Error::BadSegment { path, .. },
        } => Some(path.clone()),
        _ => None,
    }
}

/// Why object_store cannot name `key`, in words.
fn unnamable_reason(key: &str) -> String {
    let why = if let Some(c) = key.chars().find(char::is_ascii_control) {
        format!("it holds the control character {c:?}")
    } else if key.trim_matches('/').split('/').any(str::is_empty) {
        "it has an empty segment (`//`)".to_string()
    } else if key.split('/').any(|s| s == "." || s == "..") {
        "it has a `.` or `..` segment".to_string()
    } else {
        "object_store cannot parse it".to_string()
    };
    format!("the key cannot be read through object_store: {why}; rename or delete the object")
}

/// Whether the disk is full somewhere in `error`'s chain (ENOSPC, or a quota: EDQUOT).
pub(crate) fn is_no_space(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if is_io_no_space(io) {
                return true;
            }
        }
        current = e.source();
    }
    false
}

fn is_io_no_space(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) || e.raw_os_error() == Some(rustix::io::Errno::NOSPC.raw_os_error())
}

/// A file-system error on `key` as a lake error (a full disk is named as such).
pub(crate) fn io_error(key: &str, e: &std::io::Error) -> LakeError {
    if is_io_no_space(e) {
        LakeError::NoSpace {
            key: key.to_string(),
            reason: e.to_string(),
        }
    } else {
        LakeError::Io {
            key: key.to_string(),
            reason: e.to_string(),
        }
    }
}

fn humantime_secs(d: std::time::Duration) -> String {
    format!("{}ms", d.as_millis().max(1))
}

/// The pointers are replaced only by [`Lake::swap`], never by a blind write.
fn guard_pointer(key: &str) -> Result<(), LakeError> {
    if key == keys::LEASE || key == keys::CHAMPION {
        return Err(LakeError::PointerNeedsSwap {
            key: key.to_string(),
        });
    }
    Ok(())
}

/// How long a compare-and-swap waits for the folder's lock.
const CAS_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Takes the lake folder's compare-and-swap lock (blocking `flock`, off the async threads); the
/// lock holds until the returned file is dropped.
async fn local_swap(
    root: &std::path::Path,
    key: &str,
    expect: Expect<'_>,
    bytes: Bytes,
) -> Result<Swapped, LakeError> {
    let (root, owned_key) = (root.to_path_buf(), key.to_string());
    let expected = match expect {
        Expect::Absent => None,
        Expect::ETag(e) => Some(e.to_string()),
    };
    tokio::task::spawn_blocking(move || blocking_local_swap(&root, &owned_key, expected, &bytes))
        .await
        .map_err(|e| LakeError::Io {
            key: key.to_string(),
            reason: e.to_string(),
        })?
        .map_err(|e| io_error(key, &e))
}

/// The folder's compare-and-swap: the new bytes go to a temporary file first (outside the lock),
/// then, under the lock, one `stat` compares the ETag and one `rename` replaces the file — so the
/// lock is held for microseconds, and a process paused (SIGSTOP) is very unlikely to hold it.
fn blocking_local_swap(
    root: &std::path::Path,
    key: &str,
    expected: Option<String>,
    bytes: &[u8],
) -> std::io::Result<Swapped> {
    use std::io::Write;
    let target = root.join(key);
    let dir = target.parent().unwrap_or(root).to_path_buf();
    std::fs::create_dir_all(&dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let temp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
    let written = std::fs::File::create(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written {
        // A full disk must not also leave a partial temporary file behind, run after run.
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    let outcome = (|| {
        let _lock = cas_lock(root)?;
        let current = match std::fs::metadata(&target) {
            Ok(m) => Some(crate::raw::local_etag(&m)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        if current != expected {
            return Ok(Swapped::Conflict);
        }
        std::fs::rename(&temp, &target)?;
        Ok(Swapped::Written {
            etag: Some(crate::raw::local_etag(&std::fs::metadata(&target)?)),
        })
    })();
    if !matches!(outcome, Ok(Swapped::Written { .. })) {
        let _ = std::fs::remove_file(&temp);
    }
    outcome
}

/// Takes the lake folder's compare-and-swap lock (`flock` on `.futbr/cas.lock`); it holds until
/// the returned file is dropped.
fn cas_lock(root: &std::path::Path) -> std::io::Result<std::fs::File> {
    let dir = root.join(".futbr");
    std::fs::create_dir_all(&dir)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("cas.lock"))?;
    // Held for one stat and one rename; a holder paused right there must not hang the others
    // forever, so they give up after a while with a clear error.
    let deadline = std::time::Instant::now() + CAS_LOCK_WAIT;
    loop {
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(file),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK && std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                return Err(std::io::Error::other(format!(
                    "the lock {}/cas.lock has been held by another process for over {} s (paused or hung?)",
                    dir.display(),
                    CAS_LOCK_WAIT.as_secs()
                )))
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn root_path(path: &str) -> Option<Path> {
    let trimmed = path.trim_matches('/');
    (!trimmed.is_empty()).then(|| Path::from(trimmed))
}

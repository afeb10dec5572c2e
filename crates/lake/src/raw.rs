//! Listing and reading `raw/` so that no object there can leak data or stall the loop.
//!
//! On a local folder `raw/` is walked with the file system's own calls instead of the object
//! store's: symbolic links are reported and never followed (a link to `/etc/shadow` must not be
//! copied into the lake, a link loop must not stop every run), entries that are not regular files
//! (FIFOs, sockets) are reported instead of read, and every regular file with a UTF-8 name —
//! accents, emoji, `%`, `#`, spaces, newlines — is listed and read, so one odd name never blocks
//! the others. Names that are not UTF-8 cannot be keys; they are reported by their escaped name.
//! A name ending in `#` and digits is how object_store's local store names a file while writing
//! it (`raw/x.csv#1` until it becomes `raw/x.csv`): such a file may be half written, so it is
//! reported and never read (a user's file named like that is reported too, never ignored).
//! On S3 a key object_store cannot parse (a control character, an empty or `.`/`..` segment —
//! S3 accepts them) is reported by name and skipped while every other key is listed
//! ([`Lake::list_reporting`]); in memory every key is a valid path.

use std::path::{Path as FsPath, PathBuf};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{keys, Lake, LakeError, ObjectInfo};

/// An entry of `raw/` that is reported and not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedRaw {
    /// Its name under the lake, escaped where it is not printable UTF-8.
    pub name: String,
    pub reason: String,
}

/// What `raw/` holds: the objects to read, and the entries reported instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawListing {
    /// Sorted by key.
    pub objects: Vec<ObjectInfo>,
    pub skipped: Vec<SkippedRaw>,
}

impl Lake {
    /// Lists `raw/` (see the module documentation for what is skipped and why).
    pub async fn list_raw(&self) -> Result<RawListing, LakeError> {
        let Some(root) = self.local_root().map(FsPath::to_path_buf) else {
            let (objects, unnamable) = self.list_reporting(keys::RAW).await?;
            return Ok(RawListing {
                objects,
                skipped: unnamable
                    .into_iter()
                    .map(|u| SkippedRaw {
                        name: u.key.escape_debug().to_string(),
                        reason: u.reason,
                    })
                    .collect(),
            });
        };
        tokio::task::spawn_blocking(move || walk_raw(&root))
            .await
            .map_err(|e| LakeError::Io {
                key: keys::RAW.into(),
                reason: e.to_string(),
            })?
    }

    /// The bytes of a listed raw object. On a folder the file is opened without following a link
    /// (a link swapped in after the listing is refused, not read).
    pub async fn get_raw(&self, key: &str) -> Result<Bytes, LakeError> {
        let Some(root) = self.local_root() else {
            return self.get(key).await;
        };
        let path = root.join(key);
        let key = key.to_string();
        tokio::task::spawn_blocking(move || {
            use std::io::Read;
            use std::os::unix::fs::OpenOptionsExt;
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc_o_nofollow())
                .open(&path)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => LakeError::NotFound { key: key.clone() },
                    _ => LakeError::Io {
                        key: key.clone(),
                        reason: e.to_string(),
                    },
                })?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map_err(|e| LakeError::Io {
                key: key.clone(),
                reason: e.to_string(),
            })?;
            Ok(Bytes::from(bytes))
        })
        .await
        .map_err(|e| LakeError::Io {
            key: keys::RAW.into(),
            reason: e.to_string(),
        })?
    }
}

fn libc_o_nofollow() -> i32 {
    rustix::fs::OFlags::NOFOLLOW.bits() as i32
}

/// The ETag object_store's local store gives a file (inode, mtime in µs, size), so lineages
/// recorded through either path agree.
pub(crate) fn local_etag(metadata: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    let mtime = metadata
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::SystemTime::UNIX_EPOCH).ok())
        .unwrap_or_default()
        .as_micros();
    format!("\"{:x}-{:x}-{:x}\"", metadata.ino(), mtime, metadata.len())
}

/// Why a `NAME#<digits>` file is not read.
const STAGING_REASON: &str = "its name ends in '#' and digits, as object_store names a file while it writes it (`x.csv#1` becomes `x.csv` when complete), so it is never read as an input; if it is a file of yours, rename it";

/// Whether a file name is one object_store's local store gives a file it is still writing: the
/// final name plus `#` and a number. Such a file may be half written, so it is never read; a
/// user's file named like that is reported, never silently ignored.
pub(crate) fn is_staging_name(name: &str) -> bool {
    name.rsplit_once('#').is_some_and(|(stem, suffix)| {
        !stem.is_empty() && !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit())
    })
}

fn walk_raw(root: &FsPath) -> Result<RawListing, LakeError> {
    let mut listing = RawListing::default();
    let mut pending: Vec<(PathBuf, String)> = vec![(root.join("raw"), keys::RAW.to_string())];
    while let Some((dir, prefix)) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && prefix == keys::RAW => continue,
            Err(e) => {
                listing.skipped.push(SkippedRaw {
                    name: prefix.clone(),
                    reason: format!("cannot list this folder: {e}"),
                });
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    listing.skipped.push(SkippedRaw {
                        name: prefix.clone(),
                        reason: format!("cannot read an entry of this folder: {e}"),
                    });
                    continue;
                }
            };
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str() else {
                listing.skipped.push(SkippedRaw {
                    name: format!("{prefix}{}", file_name.to_string_lossy().escape_debug()),
                    reason: "the name is not valid UTF-8, so it cannot be a key; rename the file"
                        .into(),
                });
                continue;
            };
            let key = format!("{prefix}{name}");
            let shown = key.escape_debug().to_string();
            // `symlink_metadata`: the entry itself, never what a link points to.
            let metadata = match std::fs::symlink_metadata(entry.path()) {
                Ok(m) => m,
                // A staging file is renamed to its final name when its write ends, possibly
                // between reading the folder and reading the entry: it was being written.
                Err(_) if is_staging_name(name) => {
                    listing.skipped.push(SkippedRaw {
                        name: shown,
                        reason: STAGING_REASON.into(),
                    });
                    continue;
                }
                Err(e) => {
                    listing.skipped.push(SkippedRaw {
                        name: shown,
                        reason: format!("cannot read its metadata: {e}"),
                    });
                    continue;
                }
            };
            let kind = metadata.file_type();
            if kind.is_symlink() {
                listing.skipped.push(SkippedRaw {
                    name: shown,
                    reason: "a symbolic link: links in raw/ are not followed; copy the file itself"
                        .into(),
                });
            } else if kind.is_dir() {
                pending.push((entry.path(), format!("{key}/")));
            } else if !kind.is_file() {
                listing.skipped.push(SkippedRaw {
                    name: shown,
                    reason: "not a regular file (a FIFO, socket or device)".into(),
                });
            } else if is_staging_name(name) {
                listing.skipped.push(SkippedRaw {
                    name: shown,
                    reason: STAGING_REASON.into(),
                });
            } else {
                let last_modified: DateTime<Utc> = metadata
                    .modified()
                    .map(DateTime::<Utc>::from)
                    .unwrap_or_default();
                listing.objects.push(ObjectInfo {
                    key,
                    size: metadata.len(),
                    etag: Some(local_etag(&metadata)),
                    last_modified,
                });
            }
        }
    }
    listing.objects.sort_by(|a, b| a.key.cmp(&b.key));
    listing.skipped.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(listing)
}

#[cfg(test)]
mod tests {
    use super::is_staging_name;

    #[test]
    fn staging_names_are_the_final_name_plus_hash_and_digits() {
        for staging in ["x.csv#1", "x.csv#12", "a#b.csv#3", "é.csv#7"] {
            assert!(is_staging_name(staging), "{staging}");
        }
        for name in [
            "x.csv",
            "x#1.csv",
            "#1",
            "x.csv#",
            "x.csv#1a",
            "100%#.csv",
            "a#b",
        ] {
            assert!(!is_staging_name(name), "{name}");
        }
    }
}

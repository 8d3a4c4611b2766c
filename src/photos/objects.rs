//! Where the photo store keeps its objects: a folder of the data directory (the embedded
//! default) or a bucket of S3-compatible object storage shared by every node. Both hold
//! the same keys (`<2 hex>/<sha256>` for photos, `uploads/<id>/<offset>` for the parts of
//! unfinished resumable uploads) with the same guarantees: an object is whole or absent,
//! and a put is durable before it returns.
//!
//! A put takes a staged file from the node's own disk (`photos/tmp`) and streams it, so
//! memory stays flat whatever the object's size.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_web::web::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore, PutPayload, RetryConfig, WriteMultipart};
use tokio::io::AsyncReadExt;

use crate::config::PhotoStoreTarget;
use crate::domain::Message;
use crate::error::ApiError;

/// Parts of a streamed put held in memory at once: S3's smallest multipart part. A photo
/// of at most this size is one PUT; a larger one goes up in parts of this size.
const PUT_BUFFER_BYTES: usize = 5 * 1024 * 1024;
/// How long a client of a shared store waits for an answer, and for retries of a request
/// that failed, before the phone is told 503 and asked to try later.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const RETRY_TIMEOUT: Duration = Duration::from_secs(15);

/// One object as listed: its key under the store's root and when it was last written.
#[derive(Debug, Clone)]
pub struct Listed {
    pub key: String,
    pub size: u64,
    pub modified: SystemTime,
}

/// The bytes of one object, streamed.
pub struct Fetched {
    pub size: u64,
    pub body: BoxStream<'static, Result<Bytes, ApiError>>,
}

#[derive(Clone)]
pub enum Objects {
    /// Files under this folder, written durably (synced, renamed, the folder synced).
    Folder(PathBuf),
    /// A bucket (and prefix) of S3-compatible storage.
    Bucket {
        store: Arc<dyn ObjectStore>,
        /// `s3://bucket/prefix`, for the logs.
        name: String,
    },
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Folder(root) => write!(f, "Folder({})", root.display()),
            Self::Bucket { name, .. } => write!(f, "Bucket({name})"),
        }
    }
}

impl Objects {
    /// The configured place; `folder` is the data directory's photo folder.
    pub fn open(target: &PhotoStoreTarget, folder: &Path) -> anyhow::Result<Self> {
        match target {
            PhotoStoreTarget::DataDir => Ok(Self::Folder(folder.to_owned())),
            PhotoStoreTarget::S3 {
                bucket,
                prefix,
                options,
            } => {
                // Timeouts first: the `AWS_*` options (AWS_ALLOW_HTTP, say) adjust them.
                let mut builder = AmazonS3Builder::new()
                    .with_client_options(
                        ClientOptions::new()
                            .with_timeout(REQUEST_TIMEOUT)
                            .with_connect_timeout(Duration::from_secs(5)),
                    )
                    .with_retry(RetryConfig {
                        max_retries: 3,
                        retry_timeout: RETRY_TIMEOUT,
                        ..RetryConfig::default()
                    });
                // As object_store's own `from_env`: the variables it knows, others ignored.
                for (key, value) in options {
                    if let Ok(key) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                        builder = builder.with_config(key, value);
                    }
                }
                let store = builder.with_bucket_name(bucket).build()?;
                let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    Arc::new(store)
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(
                        store,
                        prefix.as_str(),
                    ))
                };
                Ok(Self::Bucket {
                    store,
                    name: format!("s3://{bucket}/{prefix}"),
                })
            }
        }
    }

    pub fn describe(&self) -> String {
        format!("{self:?}")
    }

    fn path(root: &Path, key: &str) -> PathBuf {
        root.join(key)
    }

    /// Stores the staged file `staged` under `key`, replacing what was there, and only
    /// then returns: a reader sees the old object or the whole new one. The staged file
    /// is moved (a folder) or copied and left to its owner (a bucket).
    pub async fn put_file(&self, key: &str, staged: &Path) -> Result<(), ApiError> {
        match self {
            Self::Folder(root) => {
                let target = Self::path(root, key);
                let parent = target.parent().unwrap_or(root).to_owned();
                crate::private_files::create_dir_all_async(&parent)
                    .await
                    .map_err(super::store::storage_error)?;
                tokio::fs::rename(staged, &target)
                    .await
                    .map_err(super::store::storage_error)?;
                actix_web::web::block(move || {
                    std::fs::File::open(&parent).and_then(|dir| dir.sync_all())
                })
                .await?
                .map_err(super::store::storage_error)
            }
            Self::Bucket { store, name } => {
                put_streamed(store, key, staged)
                    .await
                    .map_err(|error| match error {
                        PutError::Local(error) => super::store::storage_error(error),
                        PutError::Store(error) => unavailable(name, "put", key, error),
                    })
            }
        }
    }

    /// When `key` was last written, if it exists.
    pub async fn modified(&self, key: &str) -> Result<Option<SystemTime>, ApiError> {
        match self {
            Self::Folder(root) => match tokio::fs::metadata(Self::path(root, key)).await {
                Ok(meta) => Ok(Some(meta.modified().map_err(ApiError::internal)?)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(super::store::storage_error(error)),
            },
            Self::Bucket { store, name } => match store.head(&ObjectPath::from(key)).await {
                Ok(meta) => Ok(Some(meta.last_modified.into())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(error) => Err(unavailable(name, "head", key, error)),
            },
        }
    }

    /// The object's bytes as a stream; 404 when there is none.
    pub async fn get(&self, key: &str) -> Result<Fetched, ApiError> {
        match self {
            Self::Folder(root) => {
                let file = tokio::fs::File::open(Self::path(root, key))
                    .await
                    .map_err(|error| match error.kind() {
                        std::io::ErrorKind::NotFound => ApiError::NotFound,
                        _ => super::store::storage_error(error),
                    })?;
                let size = file
                    .metadata()
                    .await
                    .map_err(super::store::storage_error)?
                    .len();
                let body = futures_util::stream::try_unfold(file, |mut file| async move {
                    let mut chunk = vec![0u8; 64 * 1024];
                    let read = file
                        .read(&mut chunk)
                        .await
                        .map_err(super::store::storage_error)?;
                    if read == 0 {
                        return Ok(None);
                    }
                    chunk.truncate(read);
                    Ok(Some((Bytes::from(chunk), file)))
                });
                Ok(Fetched {
                    size,
                    body: body.boxed(),
                })
            }
            Self::Bucket { store, name } => match store.get(&ObjectPath::from(key)).await {
                Ok(result) => {
                    let (name, key) = (name.clone(), key.to_owned());
                    Ok(Fetched {
                        size: result.meta.size,
                        body: result
                            .into_stream()
                            .map_err(move |error| unavailable(&name, "read", &key, error))
                            .boxed(),
                    })
                }
                Err(object_store::Error::NotFound { .. }) => Err(ApiError::NotFound),
                Err(error) => Err(unavailable(name, "get", key, error)),
            },
        }
    }

    /// Removes `key`; one already gone is fine.
    pub async fn delete(&self, key: &str) -> Result<(), ApiError> {
        match self {
            Self::Folder(root) => match tokio::fs::remove_file(Self::path(root, key)).await {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                    Err(super::store::storage_error(error))
                }
                _ => Ok(()),
            },
            Self::Bucket { store, name } => match store.delete(&ObjectPath::from(key)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(error) => Err(unavailable(name, "delete", key, error)),
            },
        }
    }

    /// The objects whose keys start with `folder/`, in no particular order.
    pub async fn list(&self, folder: &str) -> Result<Vec<Listed>, ApiError> {
        match self {
            Self::Folder(root) => {
                let (root, folder) = (root.clone(), folder.to_owned());
                actix_web::web::block(move || list_folder(&root, &folder))
                    .await?
                    .map_err(super::store::storage_error)
            }
            Self::Bucket { store, name } => store
                .list(Some(&ObjectPath::from(folder)))
                .map_ok(|meta| Listed {
                    key: meta.location.to_string(),
                    size: meta.size,
                    modified: meta.last_modified.into(),
                })
                .try_collect()
                .await
                .map_err(|error| unavailable(name, "list", folder, error)),
        }
    }

    /// Removes what is left of an emptied folder (the local store's upload folders;
    /// a bucket has no folders).
    pub async fn forget_folder(&self, folder: &str) {
        if let Self::Folder(root) = self {
            let _ = tokio::fs::remove_dir(Self::path(root, folder)).await;
        }
    }
}

enum PutError {
    Local(std::io::Error),
    Store(object_store::Error),
}

/// Streams the staged file to the bucket: one PUT when it is small, else a multipart
/// upload of parts of [`PUT_BUFFER_BYTES`], two in flight at most. The object exists
/// only once the PUT or the multipart upload's completion succeeds.
async fn put_streamed(
    store: &Arc<dyn ObjectStore>,
    key: &str,
    staged: &Path,
) -> Result<(), PutError> {
    let location = ObjectPath::from(key);
    let mut file = tokio::fs::File::open(staged)
        .await
        .map_err(PutError::Local)?;
    let size = file.metadata().await.map_err(PutError::Local)?.len();
    if size <= PUT_BUFFER_BYTES as u64 {
        let mut bytes = Vec::with_capacity(size as usize);
        file.read_to_end(&mut bytes)
            .await
            .map_err(PutError::Local)?;
        store
            .put(&location, PutPayload::from(bytes))
            .await
            .map_err(PutError::Store)?;
        return Ok(());
    }
    let upload = store
        .put_multipart(&location)
        .await
        .map_err(PutError::Store)?;
    let mut parts = WriteMultipart::new_with_chunk_size(upload, PUT_BUFFER_BYTES);
    let mut buffer = vec![0u8; 256 * 1024];
    let sent: Result<(), PutError> = async {
        loop {
            let read = file.read(&mut buffer).await.map_err(PutError::Local)?;
            if read == 0 {
                return Ok(());
            }
            parts.wait_for_capacity(2).await.map_err(PutError::Store)?;
            parts.write(&buffer[..read]);
        }
    }
    .await;
    match sent {
        Ok(()) => parts.finish().await.map(|_| ()).map_err(PutError::Store),
        Err(error) => {
            // Abandoned parts would be billed and kept until a lifecycle rule ends them.
            let _ = parts.abort().await;
            Err(error)
        }
    }
}

/// Every file under `root/folder`, recursively, with keys relative to `root`.
fn list_folder(root: &Path, folder: &str) -> std::io::Result<Vec<Listed>> {
    let mut found = Vec::new();
    let mut pending = vec![root.join(folder)];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                pending.push(entry.path());
            } else if let Ok(key) = entry.path().strip_prefix(root) {
                found.push(Listed {
                    key: key.to_string_lossy().into_owned(),
                    size: meta.len(),
                    modified: meta.modified()?,
                });
            }
        }
    }
    Ok(found)
}

/// A shared store that failed or did not answer: the client is told 503 with
/// `Retry-After` (nothing it sent is acknowledged), and the log says which object.
fn unavailable(name: &str, operation: &str, key: &str, error: impl std::fmt::Display) -> ApiError {
    tracing::warn!(store = name, operation, key, error = %error, "photo store unavailable");
    ApiError::ServiceUnavailable(Message::new(
        "the photo store is not answering; try again later",
        "ระบบจัดเก็บรูปภาพไม่ตอบสนองชั่วคราว กรุณาลองใหม่ภายหลัง",
    ))
}

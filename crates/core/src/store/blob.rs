//! Blocking access to the store's files through `object_store`, on one runtime that
//! the store owns: a local directory by default, S3-compatible storage by URI.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use url::Url;

use crate::error::{Error, Result};

/// The store's root: an object store, the prefix of the store inside it, its URL, and
/// the runtime every async call runs on.
#[derive(Clone)]
pub(crate) struct Blob {
    pub(crate) objects: Arc<dyn ObjectStore>,
    pub(crate) root: Path,
    pub(crate) url: Url,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob").field("url", &self.url.as_str()).finish()
    }
}

/// An `object_store` error as a store error at `location`.
pub(crate) fn store_error(location: impl std::fmt::Display, e: impl std::fmt::Display) -> Error {
    Error::Store {
        location: location.to_string(),
        reason: e.to_string(),
    }
}

/// An S3 store for the bucket of `url`, configured from the `AWS_*` environment, with
/// conditional puts so that Delta commits are atomic (`If-None-Match`).
fn s3_store(url: &Url) -> std::result::Result<Arc<dyn ObjectStore>, object_store::Error> {
    let bucket = url.host_str().unwrap_or_default();
    let store = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_conditional_put(object_store::aws::S3ConditionalPut::ETagMatch)
        .build()?;
    Ok(Arc::new(store))
}

/// Teach deltalake-core the `s3://` scheme (once per process): our S3 object store and
/// Delta's default log store, whose commits are conditional puts. Left alone if
/// something (such as the `deltalake-aws` crate) registered `s3://` already.
fn register_s3() {
    use deltalake_core::logstore::{
        default_logstore, logstore_factories, object_store_factories, LogStore, LogStoreFactory,
        ObjectStoreFactory, ObjectStoreRef, StorageConfig,
    };
    use deltalake_core::{DeltaResult, DeltaTableError};

    struct S3Objects;
    impl ObjectStoreFactory for S3Objects {
        fn parse_url_opts(&self, url: &Url, _config: &StorageConfig) -> DeltaResult<(ObjectStoreRef, Path)> {
            let store = s3_store(url).map_err(|e| DeltaTableError::Generic(e.to_string()))?;
            Ok((store, Path::from(url.path().trim_matches('/'))))
        }
    }
    struct S3Logs;
    impl LogStoreFactory for S3Logs {
        fn with_options(
            &self,
            prefixed_store: ObjectStoreRef,
            root_store: ObjectStoreRef,
            location: &Url,
            options: &StorageConfig,
        ) -> DeltaResult<Arc<dyn LogStore>> {
            Ok(default_logstore(prefixed_store, root_store, location, options))
        }
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(scheme) = Url::parse("s3://") else { return };
        let objects = object_store_factories();
        if !objects.contains_key(&scheme) {
            objects.insert(scheme.clone(), Arc::new(S3Objects));
        }
        let logs = logstore_factories();
        if !logs.contains_key(&scheme) {
            logs.insert(scheme, Arc::new(S3Logs));
        }
    });
}

impl Blob {
    /// Open the store at `uri`: a local directory path (created if missing) or a
    /// `file://` / `s3://` URL.
    pub(crate) fn open(uri: &str) -> Result<Blob> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ferrops-store")
            .enable_all()
            .build()
            .map_err(|e| store_error(uri, format!("cannot start the I/O runtime: {e}")))?;
        let (objects, root, url): (Arc<dyn ObjectStore>, Path, Url) = if uri.contains("://") {
            let url = Url::parse(uri).map_err(|e| store_error(uri, format!("not a valid URL: {e}")))?;
            match url.scheme() {
                "file" => {
                    let dir = url
                        .to_file_path()
                        .map_err(|()| store_error(uri, "a file:// URL must hold an absolute path"))?;
                    return Blob::open_local(&dir, runtime);
                }
                "s3" => {
                    register_s3();
                    let store = s3_store(&url).map_err(|e| {
                        store_error(
                            uri,
                            format!("cannot configure S3 (set AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): {e}"),
                        )
                    })?;
                    let root = Path::from(url.path().trim_matches('/'));
                    (store, root, url)
                }
                other => {
                    return Err(store_error(
                        uri,
                        format!("unsupported scheme `{other}`: use a local path, file:// or s3://"),
                    ))
                }
            }
        } else {
            return Blob::open_local(std::path::Path::new(uri), runtime);
        };
        Ok(Blob {
            objects,
            root,
            url,
            runtime: Arc::new(runtime),
        })
    }

    fn open_local(dir: &std::path::Path, runtime: tokio::runtime::Runtime) -> Result<Blob> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let dir = dir.canonicalize().map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let objects = LocalFileSystem::new_with_prefix(&dir).map_err(|e| store_error(dir.display(), e))?;
        let url = Url::from_directory_path(&dir)
            .map_err(|()| store_error(dir.display(), "cannot be written as a file:// URL"))?;
        Ok(Blob {
            objects: Arc::new(objects),
            root: Path::default(),
            url,
            runtime: Arc::new(runtime),
        })
    }

    /// Run a future on the store's runtime and wait for it.
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The path of `relative` (slash-separated, already checked names) under the root.
    pub(crate) fn path(&self, relative: &str) -> Path {
        let mut path = self.root.clone();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            path = path.clone().join(part);
        }
        path
    }

    /// The URL of `relative` under the root (for Delta tables).
    pub(crate) fn url_of(&self, relative: &str) -> Result<Url> {
        let mut base = self.url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        base.join(&format!("{}/", relative.trim_matches('/')))
            .map_err(|e| store_error(relative, e))
    }

    /// Read an object; `None` if it does not exist.
    pub(crate) fn get(&self, relative: &str) -> Result<Option<Bytes>> {
        let path = self.path(relative);
        self.block_on(async {
            match self.objects.get(&path).await {
                Ok(result) => result.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .map_err(|e| store_error(&path, e))
    }

    /// Write an object atomically, replacing any previous one.
    pub(crate) fn put(&self, relative: &str, bytes: Bytes) -> Result<()> {
        let path = self.path(relative);
        self.block_on(self.objects.put(&path, PutPayload::from_bytes(bytes)))
            .map(|_| ())
            .map_err(|e| store_error(&path, e))
    }

    /// Write an object only if none exists; `Ok(false)` if one did.
    pub(crate) fn put_if_absent(&self, relative: &str, bytes: Bytes) -> Result<bool> {
        let path = self.path(relative);
        let options = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match self.block_on(
            self.objects
                .put_opts(&path, PutPayload::from_bytes(bytes), options),
        ) {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(store_error(&path, e)),
        }
    }

    /// The names (last path component) of the objects directly under `relative`.
    pub(crate) fn list_names(&self, relative: &str) -> Result<Vec<String>> {
        let prefix = self.path(relative);
        let listing = self
            .block_on(self.objects.list_with_delimiter(Some(&prefix)))
            .map_err(|e| store_error(&prefix, e))?;
        let mut names: Vec<String> = listing
            .objects
            .iter()
            .filter_map(|o| o.location.filename().map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    /// The names of the "directories" (common prefixes) directly under `relative`.
    pub(crate) fn list_dirs(&self, relative: &str) -> Result<Vec<String>> {
        let prefix = self.path(relative);
        let listing = self
            .block_on(self.objects.list_with_delimiter(Some(&prefix)))
            .map_err(|e| store_error(&prefix, e))?;
        let mut names: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    /// The store's URL.
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// Delete an object (missing is fine).
    pub(crate) fn delete(&self, relative: &str) -> Result<()> {
        let path = self.path(relative);
        match self.block_on(self.objects.delete(&path)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_error(&path, e)),
        }
    }

    /// Delete every object under `relative`.
    pub(crate) fn delete_prefix(&self, relative: &str) -> Result<()> {
        let prefix = self.path(relative);
        let objects = self.objects.clone();
        self.block_on(async move {
            let locations: Vec<Path> = objects
                .list(Some(&prefix))
                .map_ok(|meta| meta.location)
                .try_collect()
                .await?;
            for location in locations {
                match objects.delete(&location).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
        .map_err(|e| store_error(relative, e))
    }
}

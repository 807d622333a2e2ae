//! The model registry: immutable, verified model versions with their lineage, and
//! aliases (`champion`, `challenger`, any name) moved by compare-and-swap with an
//! append-only audit log, "which version served at time T" and N-deep rollback.
//!
//! Storage (a local directory by default, or `s3://bucket/prefix` through
//! `object_store`, as the feature store):
//!
//! ```text
//! <root>/<model>/objects/<sha256>          artifact files and profiles, by content hash
//! <root>/<model>/versions/<n:010>.json     one immutable record per version (create-once)
//! <root>/<model>/log/<seq:012>.json        one alias event per entry (create-once)
//! ```
//!
//! A version becomes visible in one atomic create of its record, after every file it
//! names is stored: a process killed mid-registration leaves at most unreferenced
//! objects, never a half version. Version numbers and log entries are claimed with
//! create-if-absent writes, so concurrent processes get unique numbers without gaps,
//! and an alias move whose expectation no longer holds fails instead of overwriting.
//!
//! ```
//! use ferrops::prelude::*;
//! use ferrops::registry::{Expected, ModelMetadata, ModelRegistry};
//! use std::sync::Arc;
//! use arrow::array::{Float64Array, StringArray};
//! use arrow::record_batch::RecordBatch;
//!
//! # fn main() -> ferrops::Result<()> {
//! let table = RecordBatch::try_from_iter([
//!     ("x", Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0, 4.0])) as _),
//!     ("y", Arc::new(StringArray::from(vec!["a", "a", "b", "b"])) as _),
//! ])?;
//! let fitted = Pipeline::new().train(LogisticRegression::default()).fit(&table, "y")?;
//! let dir = tempfile::tempdir().map_err(|e| ferrops::Error::InvalidData(e.to_string()))?;
//! let registry = ModelRegistry::open(dir.path().to_str().unwrap_or("."))?;
//! let v1 = registry.register("churn", &fitted, ModelMetadata::new().metric("accuracy", 0.9))?;
//! registry.set_alias("churn", "champion", v1.version, Expected::Absent, "first model")?;
//! let served = registry.load("churn", "champion")?; // hashes verified
//! assert_eq!(served.predict(&table)?.len(), 4);
//! # Ok(()) }
//! ```

mod html;
mod log;
mod search;
mod version;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

pub use crate::store::ViewVersion;
pub use log::{AliasAction, AliasEvent, Expected};
pub use search::{MetricFilter, Search};
pub use version::{FileEntry, Lineage, ModelMetadata, ModelVersion, TableFingerprint};

use crate::drift::Profile;
use crate::error::{Error, Result};
use crate::pipeline::artifact::sha256_hex;
use crate::pipeline::FittedPipeline;
use crate::serve::ServedModel;
use crate::store::blob::Blob;
use crate::store::names::check_name;
use log::LogState;
use version::{RECORD_FORMAT, RECORD_FORMAT_VERSION};

/// How many times a registration retries after losing a version number to another
/// process before giving up.
const MAX_CLAIM_ATTEMPTS: usize = 10_000;

/// Aliases that look like versions or that the registry resolves itself.
const RESERVED_ALIASES: [&str; 1] = ["latest"];

/// The registry of models. Cheap to clone (clones share the cache and storage).
#[derive(Clone)]
pub struct ModelRegistry {
    inner: Arc<Inner>,
    actor: String,
}

struct Inner {
    blob: Blob,
    uri: String,
    /// Replayed alias logs, per model.
    logs: Mutex<HashMap<String, LogState>>,
    /// Version records read so far (they never change).
    records: Mutex<HashMap<(String, u64), Arc<ModelVersion>>>,
}

impl std::fmt::Debug for ModelRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelRegistry")
            .field("uri", &self.inner.uri)
            .field("actor", &self.actor)
            .finish()
    }
}

/// µs since the epoch as RFC 3339 text (UTC).
pub(crate) fn micros_to_rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .unwrap_or_else(|| micros.to_string())
}

fn default_actor() -> String {
    ["FERROPS_ACTOR", "USER", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn json_err(e: serde_json::Error) -> Error {
    Error::Serialization(e.to_string())
}

/// Check an alias name: a store name (letters, digits, `_`), not `latest` and not
/// version-like (`3`, `v3`).
fn check_alias(alias: &str) -> Result<()> {
    check_name("alias", alias)?;
    let lower = alias.to_ascii_lowercase();
    let version_like = lower
        .strip_prefix('v')
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()));
    if RESERVED_ALIASES.contains(&lower.as_str()) || version_like {
        return Err(Error::InvalidName {
            what: "alias",
            name: alias.to_string(),
            reason: "`latest` and version-like names (`v3`) are reserved: they always resolve to versions; choose another name such as `champion`".into(),
        });
    }
    Ok(())
}

/// A version reference: a number (`3`, `v3`) or `latest`, else an alias.
enum Reference<'a> {
    Version(u64),
    Latest,
    Alias(&'a str),
}

fn parse_reference(reference: &str) -> Reference<'_> {
    let trimmed = reference.trim();
    let digits = trimmed
        .strip_prefix('v')
        .or_else(|| trimmed.strip_prefix('V'))
        .unwrap_or(trimmed);
    if let Ok(v) = digits.parse::<u64>() {
        return Reference::Version(v);
    }
    if trimmed.eq_ignore_ascii_case("latest") {
        return Reference::Latest;
    }
    Reference::Alias(trimmed)
}

impl ModelRegistry {
    /// Open (creating if needed) the registry at `uri`: a local directory, a `file://`
    /// URL, or `s3://bucket/prefix` (configured from the `AWS_*` environment, as the
    /// feature store).
    ///
    /// Alias moves are attributed to `$FERROPS_ACTOR`, else `$USER`; set another with
    /// [`with_actor`](ModelRegistry::with_actor).
    ///
    /// # Errors
    /// [`Error::Store`] for an unusable URI; [`Error::Io`] if the directory cannot be created.
    pub fn open(uri: &str) -> Result<ModelRegistry> {
        let blob = Blob::open(uri)?;
        Ok(ModelRegistry {
            inner: Arc::new(Inner {
                blob,
                uri: uri.to_string(),
                logs: Mutex::new(HashMap::new()),
                records: Mutex::new(HashMap::new()),
            }),
            actor: default_actor(),
        })
    }

    /// The same registry, with alias moves attributed to `actor` (e.g. `ci:github/run-81`).
    pub fn with_actor(&self, actor: impl Into<String>) -> ModelRegistry {
        ModelRegistry {
            inner: self.inner.clone(),
            actor: actor.into(),
        }
    }

    /// Who alias moves are attributed to.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The URI the registry was opened with.
    pub fn uri(&self) -> &str {
        &self.inner.uri
    }

    /// The registry's root as a URL.
    pub fn url(&self) -> String {
        self.inner.blob.url().to_string()
    }

    fn blob(&self) -> &Blob {
        &self.inner.blob
    }

    // ---------------------------------------------------------------- versions

    /// Store `pipeline` as the next version of model `name`, with `metadata`.
    ///
    /// The artifact's files (manifest with per-file SHA-256, stages, model) and the
    /// profile are written first, by content hash; the version record last, in one
    /// create-if-absent write that claims the next free number (retrying on a number
    /// another process took). A failure at any point leaves no version visible.
    ///
    /// # Errors
    /// [`Error::InvalidName`] for a name that cannot be a path; [`Error::InvalidParameter`]
    /// for non-finite metrics; [`Error::Store`] if storage fails.
    pub fn register(
        &self,
        name: &str,
        pipeline: &FittedPipeline,
        metadata: ModelMetadata,
    ) -> Result<ModelVersion> {
        check_name("model", name)?;
        metadata.check()?;
        let (_, files) = pipeline.to_files()?;
        let mut entries = BTreeMap::new();
        for (relative, bytes) in files {
            let entry = self.put_object(name, bytes)?;
            entries.insert(relative, entry);
        }
        let profile = match &metadata.profile {
            Some(p) => Some(self.put_object(name, p.to_json()?.into_bytes())?),
            None => None,
        };
        let mut record = ModelVersion {
            format: RECORD_FORMAT.into(),
            format_version: RECORD_FORMAT_VERSION,
            name: name.to_string(),
            version: 0,
            created_micros: 0,
            created_by: self.actor.clone(),
            description: metadata.description,
            ferrops_version: env!("CARGO_PKG_VERSION").into(),
            seed: metadata.seed,
            params: metadata.params,
            metrics: metadata.metrics,
            tags: metadata.tags,
            lineage: metadata.lineage,
            signature: pipeline.signature().clone(),
            target: pipeline.target().cloned(),
            files: entries,
            profile,
            record_sha256: String::new(),
        };
        for _ in 0..MAX_CLAIM_ATTEMPTS {
            record.version = self.latest_number(name)?.unwrap_or(0) + 1;
            record.created_micros = crate::store::now_micros();
            let bytes = serde_json::to_vec_pretty(&record).map_err(json_err)?;
            let sha = sha256_hex(&bytes);
            if self
                .blob()
                .put_if_absent(&version_path(name, record.version), Bytes::from(bytes))?
            {
                record.record_sha256 = sha;
                lock(&self.inner.records)
                    .insert((name.to_string(), record.version), Arc::new(record.clone()));
                return Ok(record);
            }
        }
        Err(Error::Store {
            location: format!("{}/{name}/versions", self.inner.uri),
            reason: format!("could not claim a version number in {MAX_CLAIM_ATTEMPTS} attempts; too many concurrent registrations"),
        })
    }

    /// Store `bytes` under their hash (skipped if an intact copy is there already).
    fn put_object(&self, model: &str, bytes: Vec<u8>) -> Result<FileEntry> {
        let sha = sha256_hex(&bytes);
        let entry = FileEntry {
            sha256: sha.clone(),
            bytes: bytes.len() as u64,
        };
        let path = object_path(model, &sha);
        let bytes = Bytes::from(bytes);
        if !self.blob().put_if_absent(&path, bytes.clone())? {
            // A copy exists: keep it if intact, else replace the damaged one.
            let intact = self.blob().get(&path)?.is_some_and(|b| sha256_hex(&b) == sha);
            if !intact {
                self.blob().put(&path, bytes)?;
            }
        }
        Ok(entry)
    }

    /// The highest registered version number of `name`, if any.
    fn latest_number(&self, name: &str) -> Result<Option<u64>> {
        Ok(self
            .blob()
            .list_names(&format!("{name}/versions"))?
            .iter()
            .filter_map(|f| f.strip_suffix(".json").and_then(|n| n.parse::<u64>().ok()))
            .max())
    }

    /// The names of the registered models.
    ///
    /// # Errors
    /// [`Error::Store`] if storage fails.
    pub fn models(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for dir in self.blob().list_dirs("")? {
            if check_name("model", &dir).is_ok() && self.latest_number(&dir)?.is_some() {
                out.push(dir);
            }
        }
        Ok(out)
    }

    fn not_registered(&self, name: &str) -> Error {
        Error::NotRegistered {
            what: "model",
            name: name.to_string(),
            available: self.models().unwrap_or_default(),
        }
    }

    /// Version `version` of model `name`.
    ///
    /// # Errors
    /// [`Error::NotRegistered`] if there is no such version; [`Error::Store`] for an
    /// unreadable or inconsistent record.
    pub fn version(&self, name: &str, version: u64) -> Result<ModelVersion> {
        Ok(self.record(name, version)?.as_ref().clone())
    }

    fn record(&self, name: &str, version: u64) -> Result<Arc<ModelVersion>> {
        check_name("model", name)?;
        if let Some(r) = lock(&self.inner.records).get(&(name.to_string(), version)) {
            return Ok(r.clone());
        }
        let path = version_path(name, version);
        let Some(bytes) = self.blob().get(&path)? else {
            return match self.latest_number(name)? {
                None => Err(self.not_registered(name)),
                Some(latest) => Err(Error::NotRegistered {
                    what: "model version",
                    name: format!("{name} v{version}"),
                    available: (1..=latest).map(|v| format!("v{v}")).collect(),
                }),
            };
        };
        let mut record: ModelVersion = serde_json::from_slice(&bytes).map_err(|e| Error::Store {
            location: path.clone(),
            reason: format!("not a readable version record ({e}); it was damaged or edited"),
        })?;
        if record.format != RECORD_FORMAT
            || record.format_version == 0
            || record.format_version > RECORD_FORMAT_VERSION
        {
            return Err(Error::Store {
                location: path,
                reason: format!(
                    "record format `{}` v{} is not one this ferrops ({}) reads: upgrade ferrops",
                    record.format,
                    record.format_version,
                    env!("CARGO_PKG_VERSION")
                ),
            });
        }
        if record.name != name || record.version != version {
            return Err(Error::Store {
                location: path,
                reason: format!(
                    "the record says it is `{}` v{}: the file was moved or edited",
                    record.name, record.version
                ),
            });
        }
        record.record_sha256 = sha256_hex(&bytes);
        let record = Arc::new(record);
        lock(&self.inner.records).insert((name.to_string(), version), record.clone());
        Ok(record)
    }

    /// Every version of model `name`, oldest first.
    ///
    /// # Errors
    /// [`Error::NotRegistered`] for an unknown model; [`Error::Store`] if storage fails.
    pub fn versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        check_name("model", name)?;
        let latest = self
            .latest_number(name)?
            .ok_or_else(|| self.not_registered(name))?;
        (1..=latest).map(|v| self.version(name, v)).collect()
    }

    /// Resolve a reference to a version: a number (`3`, `v3`), `latest`, or an alias.
    ///
    /// # Errors
    /// [`Error::NotRegistered`] for an unknown model, version or alias;
    /// [`Error::Integrity`] if the record changed since the alias was pointed at it.
    pub fn resolve(&self, name: &str, reference: &str) -> Result<ModelVersion> {
        check_name("model", name)?;
        match parse_reference(reference) {
            Reference::Version(v) => self.version(name, v),
            Reference::Latest => {
                let latest = self
                    .latest_number(name)?
                    .ok_or_else(|| self.not_registered(name))?;
                self.version(name, latest)
            }
            Reference::Alias(alias) => {
                let (version, pinned) = {
                    let logs = self.synced(name)?;
                    let state = logs.get(name).and_then(|l| l.alias(alias));
                    match state.and_then(|s| s.current().map(|v| (v, s.current_sha().map(str::to_string)))) {
                        Some(found) => found,
                        None => {
                            let known: Vec<String> = logs
                                .get(name)
                                .map(|l| {
                                    l.aliases
                                        .iter()
                                        .filter(|(_, s)| s.current().is_some())
                                        .map(|(a, _)| a.clone())
                                        .collect()
                                })
                                .unwrap_or_default();
                            return Err(Error::NotRegistered {
                                what: "alias",
                                name: format!("{name}@{alias}"),
                                available: known,
                            });
                        }
                    }
                };
                let record = self.version(name, version)?;
                if let Some(pinned) = pinned {
                    if pinned != record.record_sha256 {
                        return Err(Error::Integrity {
                            file: version_path(name, version),
                            expected: pinned,
                            found: record.record_sha256,
                        });
                    }
                }
                Ok(record)
            }
        }
    }

    /// Load and verify the pipeline `reference` names (see [`resolve`](ModelRegistry::resolve)).
    ///
    /// Every file's SHA-256 is checked against the version record and the artifact's
    /// manifest before anything is parsed; nothing from storage is executed.
    ///
    /// # Errors
    /// [`Error::Integrity`] for a modified or corrupted file; as [`resolve`](ModelRegistry::resolve).
    pub fn load(&self, name: &str, reference: &str) -> Result<FittedPipeline> {
        let record = self.resolve(name, reference)?;
        self.load_version(&record)
    }

    /// Load and verify the pipeline of a resolved version.
    ///
    /// # Errors
    /// As [`load`](ModelRegistry::load).
    pub fn load_version(&self, record: &ModelVersion) -> Result<FittedPipeline> {
        let name = &record.name;
        let manifest = record.files.get("manifest.json").ok_or_else(|| Error::Store {
            location: version_path(name, record.version),
            reason: "the record lists no manifest.json".into(),
        })?;
        let mut files = BTreeMap::new();
        for (relative, entry) in &record.files {
            let bytes = self.get_object(name, relative, entry)?;
            files.insert(relative.clone(), Vec::from(bytes));
        }
        // The manifest is verified here; every other file against the manifest while
        // the pipeline is rebuilt (each byte is hashed once). The record and the
        // manifest must name the same hashes.
        let manifest_bytes = files.get("manifest.json").map(Vec::as_slice).unwrap_or_default();
        let found = sha256_hex(manifest_bytes);
        if found != manifest.sha256 {
            return Err(Error::Integrity {
                file: format!("{name} v{} manifest.json", record.version),
                expected: manifest.sha256.clone(),
                found,
            });
        }
        let parsed: crate::pipeline::artifact::Manifest =
            serde_json::from_slice(manifest_bytes).map_err(|e| Error::Artifact {
                path: version_path(name, record.version).into(),
                reason: format!("malformed manifest: {e}"),
            })?;
        for (relative, entry) in record.files.iter().filter(|(k, _)| k.as_str() != "manifest.json") {
            match parsed.files.get(relative) {
                Some(sha) if sha.eq_ignore_ascii_case(&entry.sha256) => {}
                other => {
                    return Err(Error::Integrity {
                        file: format!("{name} v{} {relative}", record.version),
                        expected: entry.sha256.clone(),
                        found: other.cloned().unwrap_or_else(|| "(not in the manifest)".into()),
                    })
                }
            }
        }
        FittedPipeline::from_files(format!("{}/{name}/v{}", self.inner.uri, record.version), files)
    }

    fn get_object(&self, model: &str, relative: &str, entry: &FileEntry) -> Result<Bytes> {
        if entry.sha256.len() != 64 || !entry.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::Store {
                location: format!("{model}: {relative}"),
                reason: format!("`{}` is not a SHA-256: the record was edited", entry.sha256),
            });
        }
        let path = object_path(model, &entry.sha256.to_ascii_lowercase());
        let bytes = self.blob().get(&path)?.ok_or_else(|| Error::Integrity {
            file: format!("{model}: {relative}"),
            expected: entry.sha256.clone(),
            found: "(missing)".into(),
        })?;
        if bytes.len() as u64 != entry.bytes {
            return Err(Error::Integrity {
                file: format!("{model}: {relative}"),
                expected: format!("{} ({} bytes)", entry.sha256, entry.bytes),
                found: format!("a file of {} bytes", bytes.len()),
            });
        }
        Ok(bytes)
    }

    /// Load a version as a [`ServedModel`] for a [`Router`](crate::serve::Router).
    ///
    /// # Errors
    /// As [`load`](ModelRegistry::load).
    pub fn load_served(&self, name: &str, reference: &str) -> Result<ServedModel> {
        let record = self.resolve(name, reference)?;
        let pipeline = self.load_version(&record)?;
        Ok(ServedModel::new(name, record.version, Arc::new(pipeline)))
    }

    /// The drift reference profile stored with a version, if one was.
    ///
    /// # Errors
    /// [`Error::Integrity`] for a modified profile; as [`resolve`](ModelRegistry::resolve).
    pub fn load_profile(&self, name: &str, reference: &str) -> Result<Option<Profile>> {
        let record = self.resolve(name, reference)?;
        let Some(entry) = &record.profile else {
            return Ok(None);
        };
        let bytes = self.get_object(name, "profile.json", entry)?;
        let found = sha256_hex(&bytes);
        if found != entry.sha256 {
            return Err(Error::Integrity {
                file: format!("{name} v{} profile.json", record.version),
                expected: entry.sha256.clone(),
                found,
            });
        }
        let text = std::str::from_utf8(&bytes).map_err(|e| Error::Serialization(e.to_string()))?;
        Profile::from_json(text).map(Some)
    }

    /// Versions matching `search` (all models unless it names one), in its order.
    ///
    /// # Errors
    /// [`Error::Store`] if storage fails.
    pub fn search(&self, search: &Search) -> Result<Vec<ModelVersion>> {
        let models = match &search.model {
            Some(m) => vec![m.clone()],
            None => self.models()?,
        };
        let mut found = Vec::new();
        for model in models {
            for v in self.versions(&model)? {
                if search.matches(&v) {
                    found.push(v);
                }
            }
        }
        search.sort_and_limit(&mut found);
        Ok(found)
    }

    // ---------------------------------------------------------------- aliases

    /// The alias logs with `name`'s replayed up to its last entry.
    fn synced(&self, name: &str) -> Result<MutexGuard<'_, HashMap<String, LogState>>> {
        let mut logs = lock(&self.inner.logs);
        let state = logs.entry(name.to_string()).or_default();
        let fresh = state.events.is_empty();
        let result = self.read_tail(name, state, fresh);
        if let Err(e) = result {
            // Forget the partial replay: the next call replays (and fails) from the start.
            logs.remove(name);
            return Err(e);
        }
        Ok(logs)
    }

    /// Apply the log entries after those `state` holds. On a fresh replay, also check
    /// that no entry exists past the first missing one (an entry removed by hand).
    fn read_tail(&self, name: &str, state: &mut LogState, fresh: bool) -> Result<()> {
        loop {
            loop {
                let seq = state.next_seq();
                let path = log_path(name, seq);
                let Some(bytes) = self.blob().get(&path)? else {
                    break;
                };
                let event: AliasEvent = serde_json::from_slice(&bytes).map_err(|e| Error::Store {
                    location: path.clone(),
                    reason: format!("not a readable alias event ({e}); the log was damaged or edited"),
                })?;
                state.apply(event, &bytes)?;
            }
            if !fresh {
                return Ok(());
            }
            let last = state.next_seq() - 1;
            let beyond = self
                .blob()
                .list_names(&format!("{name}/log"))?
                .iter()
                .filter_map(|f| f.strip_suffix(".json").and_then(|n| n.parse::<u64>().ok()))
                .filter(|&n| n > last)
                .min();
            match beyond {
                None => return Ok(()),
                // Another process appended after our last read: read on.
                Some(n) if n == last + 1 => continue,
                Some(n) => {
                    return Err(Error::Store {
                        location: log_path(name, last + 1),
                        reason: format!(
                            "alias log entry {} is missing but entry {n} exists: an entry was removed; restore it from a backup",
                            last + 1
                        ),
                    })
                }
            }
        }
    }

    /// As [`synced`](Self::synced), and an error for a model without versions (an empty
    /// log is then checked against the versions, so reads of a known model stay one GET).
    fn synced_known(&self, name: &str) -> Result<MutexGuard<'_, HashMap<String, LogState>>> {
        check_name("model", name)?;
        let logs = self.synced(name)?;
        if logs.get(name).is_none_or(|l| l.events.is_empty()) && self.latest_number(name)?.is_none() {
            return Err(self.not_registered(name));
        }
        Ok(logs)
    }

    /// Append the event `make` builds from the current state, retrying when another
    /// writer appended first (then `make` re-checks its expectation).
    fn append<F>(&self, name: &str, mut make: F) -> Result<AliasEvent>
    where
        F: FnMut(&LogState) -> Result<AliasEvent>,
    {
        for _ in 0..MAX_CLAIM_ATTEMPTS {
            let mut logs = self.synced(name)?;
            let state = logs.entry(name.to_string()).or_default();
            let mut event = make(state)?;
            event.seq = state.next_seq();
            event.at_micros = crate::store::now_micros().max(state.last_micros());
            event.prev_sha256 = state.last_sha256.clone();
            let bytes = serde_json::to_vec_pretty(&event).map_err(json_err)?;
            if self
                .blob()
                .put_if_absent(&log_path(name, event.seq), Bytes::from(bytes.clone()))?
            {
                state.apply(event.clone(), &bytes)?;
                return Ok(event);
            }
        }
        Err(Error::Store {
            location: format!("{}/{name}/log", self.inner.uri),
            reason: format!("could not append to the alias log in {MAX_CLAIM_ATTEMPTS} attempts"),
        })
    }

    /// Point `alias` of model `name` at `version`, if it currently points where
    /// `expected` says (compare-and-swap), recording who, when, from, to and `reason`.
    ///
    /// # Errors
    /// [`Error::AliasConflict`] if the alias is elsewhere (nothing is written);
    /// [`Error::InvalidName`] for a reserved alias (`latest`, `v3`);
    /// [`Error::NotRegistered`] for an unknown version.
    pub fn set_alias(
        &self,
        name: &str,
        alias: &str,
        version: u64,
        expected: Expected,
        reason: &str,
    ) -> Result<AliasEvent> {
        check_alias(alias)?;
        let record = self.record(name, version)?;
        self.append(name, |state| {
            state.check_expected(name, alias, expected)?;
            Ok(AliasEvent {
                seq: 0,
                alias: alias.to_string(),
                action: AliasAction::Set,
                from: state.alias(alias).and_then(|s| s.current()),
                to: Some(version),
                to_record_sha256: Some(record.record_sha256.clone()),
                actor: self.actor.clone(),
                reason: reason.to_string(),
                at_micros: 0,
                prev_sha256: None,
            })
        })
    }

    /// Move `alias` back to its previous target (N-deep: each rollback goes one step
    /// further back), recording why.
    ///
    /// # Errors
    /// [`Error::InvalidData`] if the alias has no earlier target; [`Error::NotRegistered`]
    /// for an unknown alias.
    pub fn rollback(&self, name: &str, alias: &str, reason: &str) -> Result<AliasEvent> {
        check_alias(alias)?;
        check_name("model", name)?;
        self.append(name, |state| {
            let Some(current) = state.alias(alias) else {
                return Err(Error::NotRegistered {
                    what: "alias",
                    name: format!("{name}@{alias}"),
                    available: state.aliases.keys().cloned().collect(),
                });
            };
            let Some((to, sha)) = current.previous().cloned() else {
                return Err(Error::InvalidData(format!(
                    "alias `{alias}` of `{name}` has no earlier target to roll back to (it was set once); set it explicitly with set_alias"
                )));
            };
            Ok(AliasEvent {
                seq: 0,
                alias: alias.to_string(),
                action: AliasAction::Rollback,
                from: current.current(),
                to,
                to_record_sha256: sha,
                actor: self.actor.clone(),
                reason: reason.to_string(),
                at_micros: 0,
                prev_sha256: None,
            })
        })
    }

    /// Remove `alias` (compare-and-swap as [`set_alias`](ModelRegistry::set_alias));
    /// a later rollback restores the target it had.
    ///
    /// # Errors
    /// [`Error::AliasConflict`] if the alias is not where `expected` says.
    pub fn delete_alias(
        &self,
        name: &str,
        alias: &str,
        expected: Expected,
        reason: &str,
    ) -> Result<AliasEvent> {
        check_alias(alias)?;
        check_name("model", name)?;
        self.append(name, |state| {
            state.check_expected(name, alias, expected)?;
            if state.alias(alias).and_then(|s| s.current()).is_none() {
                return Err(Error::NotRegistered {
                    what: "alias",
                    name: format!("{name}@{alias}"),
                    available: state
                        .aliases
                        .iter()
                        .filter(|(_, s)| s.current().is_some())
                        .map(|(a, _)| a.clone())
                        .collect(),
                });
            }
            Ok(AliasEvent {
                seq: 0,
                alias: alias.to_string(),
                action: AliasAction::Delete,
                from: state.alias(alias).and_then(|s| s.current()),
                to: None,
                to_record_sha256: None,
                actor: self.actor.clone(),
                reason: reason.to_string(),
                at_micros: 0,
                prev_sha256: None,
            })
        })
    }

    /// The version `alias` points at now, if it is set.
    ///
    /// # Errors
    /// [`Error::Store`] if the log cannot be read.
    pub fn alias(&self, name: &str, alias: &str) -> Result<Option<u64>> {
        check_alias(alias)?;
        let logs = self.synced_known(name)?;
        Ok(logs
            .get(name)
            .and_then(|l| l.alias(alias))
            .and_then(|s| s.current()))
    }

    /// Every set alias of model `name` and its version.
    ///
    /// # Errors
    /// [`Error::Store`] if the log cannot be read.
    pub fn aliases(&self, name: &str) -> Result<BTreeMap<String, u64>> {
        check_name("model", name)?;
        let logs = self.synced_known(name)?;
        Ok(logs
            .get(name)
            .map(|l| {
                l.aliases
                    .iter()
                    .filter_map(|(a, s)| s.current().map(|v| (a.clone(), v)))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The audit trail: every alias event of model `name` (of one alias if given), oldest first.
    ///
    /// # Errors
    /// [`Error::Store`] if the log cannot be read.
    pub fn history(&self, name: &str, alias: Option<&str>) -> Result<Vec<AliasEvent>> {
        check_name("model", name)?;
        let logs = self.synced_known(name)?;
        Ok(logs
            .get(name)
            .map(|l| {
                l.events
                    .iter()
                    .filter(|e| alias.is_none_or(|a| e.alias == a))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The version `alias` pointed at at time `at_micros` (µs since the epoch, UTC;
    /// inclusive), replaying the log: "which version served at time T".
    ///
    /// # Errors
    /// [`Error::Store`] if the log cannot be read.
    pub fn alias_at(&self, name: &str, alias: &str, at_micros: i64) -> Result<Option<u64>> {
        check_alias(alias)?;
        let logs = self.synced_known(name)?;
        Ok(logs.get(name).and_then(|l| l.target_at(alias, at_micros)))
    }

    /// An HTML table of model `name`'s versions with their aliases and metrics
    /// (Jupyter's `_repr_html_`).
    ///
    /// # Errors
    /// As [`versions`](ModelRegistry::versions).
    pub fn to_html(&self, name: &str) -> Result<String> {
        let versions = self.versions(name)?;
        let aliases = self.aliases(name)?;
        let history = self.history(name, None)?;
        Ok(html::model_html(name, &versions, &aliases, &history))
    }
}

fn version_path(name: &str, version: u64) -> String {
    format!("{name}/versions/{version:010}.json")
}

fn object_path(name: &str, sha: &str) -> String {
    format!("{name}/objects/{sha}")
}

fn log_path(name: &str, seq: u64) -> String {
    format!("{name}/log/{seq:012}.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        assert!(matches!(parse_reference("3"), Reference::Version(3)));
        assert!(matches!(parse_reference("v12"), Reference::Version(12)));
        assert!(matches!(parse_reference("latest"), Reference::Latest));
        assert!(matches!(
            parse_reference("champion"),
            Reference::Alias("champion")
        ));
    }

    #[test]
    fn reserved_aliases_refused() {
        for bad in ["latest", "LATEST", "v3", "3", "", "../x", "a/b"] {
            assert!(check_alias(bad).is_err(), "{bad}");
        }
        for good in ["champion", "challenger", "shadow_1", "v", "vip"] {
            assert!(check_alias(good).is_ok(), "{good}");
        }
    }
}

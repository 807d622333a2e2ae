//! Saving and loading a [`FittedPipeline`] as a verified directory.
//!
//! Layout:
//!
//! ```text
//! <dir>/manifest.json         format, format_version, ferrops_version, signature, target,
//!                             stage tags, feature names, and the SHA-256 of every other file
//! <dir>/stages/000_<tag>.json one file per fitted transform (its serde form)
//! <dir>/model.json            the fitted model, if any
//! ```
//!
//! Loading reads only data: JSON parsed into registered types. It never runs code
//! from the artifact. Every file's hash is checked before it is parsed.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{FittedPipeline, Signature, TargetInfo};
use crate::error::{Error, Result};
use crate::features::FittedTransform;
use crate::train::Model;

/// The artifact format this version writes. Older versions keep loading.
pub const FORMAT_VERSION: u32 = 1;
const FORMAT: &str = "ferrops.fitted_pipeline";
const MANIFEST: &str = "manifest.json";
/// Artifacts are small (parameters, not data); refuse absurd files before reading them.
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// The manifest of a saved pipeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `ferrops.fitted_pipeline`.
    pub format: String,
    /// The layout version.
    pub format_version: u32,
    /// The ferrops version that wrote it.
    pub ferrops_version: String,
    /// Input signature.
    pub signature: Signature,
    /// Target, if any.
    pub target: Option<TargetInfo>,
    /// Output feature names.
    pub feature_names: Vec<String>,
    /// One entry per fitted transform, in order.
    pub stages: Vec<StageEntry>,
    /// The model, if any.
    pub model: Option<StageEntry>,
    /// SHA-256 (hex) of every file, by path relative to the artifact directory.
    pub files: BTreeMap<String, String>,
}

/// A stage in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageEntry {
    /// The stage's registered tag.
    pub tag: String,
    /// Its file, relative to the artifact directory.
    pub file: String,
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn artifact_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::Artifact {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn safe_tag(tag: &str) -> String {
    tag.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl FittedPipeline {
    /// Save to directory `dir`, which must not exist yet (or be empty).
    ///
    /// The files are written to a sibling temporary directory and renamed into place,
    /// so a failed save leaves nothing half-written and never touches an existing
    /// artifact.
    ///
    /// # Errors
    /// [`Error::Artifact`] if `dir` exists and is not empty; [`Error::Io`] on a write failure.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<Manifest> {
        let dir = dir.as_ref();
        if dir.exists() {
            let mut entries = fs::read_dir(dir).map_err(io(dir))?;
            if entries.next().is_some() {
                return Err(artifact_err(
                    dir,
                    "the directory exists and is not empty; choose a new path or remove it first",
                ));
            }
            fs::remove_dir(dir).map_err(io(dir))?;
        }
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        let name = dir
            .file_name()
            .ok_or_else(|| artifact_err(dir, "not a directory path"))?;
        let tmp = parent.join(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
        }
        let result = self.write_into(&tmp).and_then(|manifest| {
            fs::rename(&tmp, dir).map_err(io(dir))?;
            Ok(manifest)
        });
        if result.is_err() {
            let _ = fs::remove_dir_all(&tmp);
        }
        result
    }

    fn write_into(&self, dir: &Path) -> Result<Manifest> {
        let (manifest, files) = self.to_files()?;
        let stages_dir = dir.join("stages");
        fs::create_dir_all(&stages_dir).map_err(io(&stages_dir))?;
        for (relative, bytes) in &files {
            let path = safe_join(dir, relative)?;
            fs::write(&path, bytes).map_err(io(&path))?;
        }
        Ok(manifest)
    }

    /// The artifact's files in memory, by path relative to the artifact directory:
    /// `manifest.json` (with the SHA-256 of every other file), one file per stage and
    /// `model.json`. [`save`](FittedPipeline::save) writes exactly these; the model
    /// registry stores them as content-addressed objects.
    pub fn to_files(&self) -> Result<(Manifest, BTreeMap<String, Vec<u8>>)> {
        let mut out: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut files = BTreeMap::new();
        // Stage files are compact JSON written straight from the objects, so the
        // `type` tag comes first and loading never buffers a stage (a large model
        // parses in one pass).
        let mut write = |relative: String, bytes: Vec<u8>| -> String {
            files.insert(relative.clone(), sha256_hex(&bytes));
            out.insert(relative.clone(), bytes);
            relative
        };
        let mut stages = Vec::with_capacity(self.transforms.len());
        for (i, stage) in self.transforms.iter().enumerate() {
            let bytes = serde_json::to_vec(stage).map_err(|e| Error::Serialization(e.to_string()))?;
            let tag = stage.typetag_name().to_string();
            let file = write(format!("stages/{i:03}_{}.json", safe_tag(&tag)), bytes);
            stages.push(StageEntry { tag, file });
        }
        let model = match &self.model {
            Some(model) => {
                let bytes = serde_json::to_vec(model).map_err(|e| Error::Serialization(e.to_string()))?;
                let tag = model.typetag_name().to_string();
                Some(StageEntry {
                    tag,
                    file: write("model.json".into(), bytes),
                })
            }
            None => None,
        };
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            ferrops_version: env!("CARGO_PKG_VERSION").into(),
            signature: self.signature.clone(),
            target: self.target.clone(),
            feature_names: self.feature_names.clone(),
            stages,
            model,
            files,
        };
        let bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Serialization(e.to_string()))?;
        out.insert(MANIFEST.to_string(), bytes);
        Ok((manifest, out))
    }

    /// Load a pipeline saved by [`save`](FittedPipeline::save) (this version or an earlier one).
    ///
    /// Every file listed in the manifest is hashed and compared before it is parsed;
    /// paths that leave the directory are refused. Nothing from the artifact is executed.
    ///
    /// # Errors
    /// [`Error::Integrity`] if a file was modified; [`Error::Artifact`] for a malformed
    /// manifest, an unknown format version, a hostile path or an unknown stage tag;
    /// [`Error::Io`] if a file cannot be read.
    pub fn load(dir: impl AsRef<Path>) -> Result<FittedPipeline> {
        let dir = dir.as_ref();
        let manifest_path = dir.join(MANIFEST);
        let bytes = read_bounded(&manifest_path)?;
        let manifest = parse_manifest(dir, &bytes)?;
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for relative in manifest.files.keys() {
            let path = safe_join(dir, relative)?;
            files.insert(relative.clone(), read_bounded(&path)?);
        }
        files.insert(MANIFEST.to_string(), bytes);
        FittedPipeline::from_files(dir, files)
    }

    /// Rebuild a pipeline from the files [`to_files`](FittedPipeline::to_files) gave.
    ///
    /// `origin` only names the artifact in error messages. Every file listed in the
    /// manifest is hashed and compared before it is parsed; a file the manifest does
    /// not list is refused. Nothing from the artifact is executed.
    ///
    /// # Errors
    /// As [`load`](FittedPipeline::load).
    pub fn from_files(origin: impl AsRef<Path>, files: BTreeMap<String, Vec<u8>>) -> Result<FittedPipeline> {
        let dir = origin.as_ref();
        let manifest_bytes = files
            .get(MANIFEST)
            .ok_or_else(|| artifact_err(dir, "no manifest.json: not a saved ferrops pipeline"))?;
        let manifest = parse_manifest(dir, manifest_bytes)?;
        for relative in manifest.files.keys() {
            safe_join(dir, relative)?;
            if !files.contains_key(relative) {
                return Err(artifact_err(
                    dir,
                    format!("file `{relative}` listed in the manifest is missing"),
                ));
            }
        }
        if let Some(extra) = files
            .keys()
            .find(|k| k.as_str() != MANIFEST && !manifest.files.contains_key(k.as_str()))
        {
            return Err(artifact_err(
                dir,
                format!("file `{extra}` is not listed in the manifest"),
            ));
        }
        let read = |entry: &StageEntry| -> Result<&Vec<u8>> {
            if !manifest.files.contains_key(&entry.file) {
                return Err(artifact_err(
                    dir,
                    format!("stage file `{}` has no hash in the manifest", entry.file),
                ));
            }
            files
                .get(&entry.file)
                .ok_or_else(|| artifact_err(dir, format!("stage file `{}` is missing", entry.file)))
        };
        // Hash every file while the stages parse (parsing untrusted bytes is safe; the
        // result is used only if every hash matches), so a large model loads at the
        // speed of the slower of the two rather than their sum.
        let verify = || -> Result<()> {
            for (relative, expected) in &manifest.files {
                let bytes = files.get(relative).map(Vec::as_slice).unwrap_or_default();
                let found = sha256_hex(bytes);
                if !found.eq_ignore_ascii_case(expected) {
                    return Err(Error::Integrity {
                        file: relative.clone(),
                        expected: expected.clone(),
                        found,
                    });
                }
            }
            Ok(())
        };
        let parse = || -> Result<Stages> {
            let mut transforms: Vec<Box<dyn FittedTransform>> = Vec::with_capacity(manifest.stages.len());
            for entry in &manifest.stages {
                let stage = serde_json::from_slice(read(entry)?).map_err(|e| unknown_stage(dir, entry, e))?;
                transforms.push(stage);
            }
            let model: Option<Box<dyn Model>> = match &manifest.model {
                Some(entry) => {
                    Some(serde_json::from_slice(read(entry)?).map_err(|e| unknown_stage(dir, entry, e))?)
                }
                None => None,
            };
            Ok((transforms, model))
        };
        let (verified, parsed) = rayon::join(verify, parse);
        verified?;
        let (transforms, model) = parsed?;
        Ok(FittedPipeline {
            signature: manifest.signature,
            transforms,
            model,
            target: manifest.target,
            feature_names: manifest.feature_names,
            row_plan: OnceLock::new(),
        })
    }

    /// Serialize to bytes (JSON), e.g. for pickling or sending to a worker.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(&Envelope {
            format_version: FORMAT_VERSION,
            pipeline: self,
        })
        .map_err(|e| Error::Serialization(e.to_string()))
    }

    /// Deserialize bytes written by [`to_bytes`](FittedPipeline::to_bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<FittedPipeline> {
        let envelope: OwnedEnvelope = serde_json::from_slice(bytes)
            .map_err(|e| Error::Serialization(format!("not a serialized ferrops pipeline: {e}")))?;
        if envelope.format_version > FORMAT_VERSION {
            return Err(Error::Serialization(format!(
                "format version {} is newer than this ferrops reads ({FORMAT_VERSION}): upgrade ferrops",
                envelope.format_version
            )));
        }
        Ok(envelope.pipeline)
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    format_version: u32,
    pipeline: &'a FittedPipeline,
}

#[derive(Deserialize)]
struct OwnedEnvelope {
    format_version: u32,
    pipeline: FittedPipeline,
}

/// The parsed transforms and model of an artifact.
type Stages = (Vec<Box<dyn FittedTransform>>, Option<Box<dyn Model>>);

fn parse_manifest(dir: &Path, bytes: &[u8]) -> Result<Manifest> {
    let manifest: Manifest = serde_json::from_slice(bytes)
        .map_err(|e| artifact_err(&dir.join(MANIFEST), format!("malformed manifest: {e}")))?;
    if manifest.format != FORMAT {
        return Err(artifact_err(
            dir,
            format!("not a fitted pipeline (format `{}`)", manifest.format),
        ));
    }
    if manifest.format_version == 0 || manifest.format_version > FORMAT_VERSION {
        return Err(artifact_err(
            dir,
            format!(
                "format version {} was written by ferrops {}; this ferrops ({}) reads versions 1..={FORMAT_VERSION}: upgrade ferrops",
                manifest.format_version,
                manifest.ferrops_version,
                env!("CARGO_PKG_VERSION")
            ),
        ));
    }
    Ok(manifest)
}

fn unknown_stage(dir: &Path, entry: &StageEntry, e: serde_json::Error) -> Error {
    artifact_err(
        dir,
        format!(
            "cannot load stage `{}` from `{}`: {e}. If `{}` is your own stage, link the crate that registers it (#[typetag::serde(name = \"{}\")])",
            entry.tag, entry.file, entry.tag, entry.tag
        ),
    )
}

fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    let meta = fs::metadata(path).map_err(io(path))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(artifact_err(
            path,
            format!(
                "file is {} bytes, larger than any artifact file should be",
                meta.len()
            ),
        ));
    }
    fs::read(path).map_err(io(path))
}

/// Join `relative` to `dir`, refusing absolute paths and `..` components.
fn safe_join(dir: &Path, relative: &str) -> Result<PathBuf> {
    let rel = Path::new(relative);
    let ok = !relative.is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_)));
    if !ok {
        return Err(artifact_err(
            dir,
            format!("manifest names a file outside the artifact: `{relative}`"),
        ));
    }
    Ok(dir.join(rel))
}

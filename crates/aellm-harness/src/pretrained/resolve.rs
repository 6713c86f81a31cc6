//! From what a user types (`--model …`) to a file on this machine: a path,
//! a model fetched into the aellm cache, or a Hugging Face cache entry.
//! Nothing is downloaded here.

use super::checkpoint::Pretrained;
use super::error::{PretrainedError, Result};
use super::{gguf, hf};
use candle_core::Device;
use std::path::{Path, PathBuf};

/// Models `scripts/fetch-model.sh` knows: (name, file inside the aellm cache).
pub const FETCHABLE: [(&str, &str); 1] = [(
    "smollm2-135m",
    "models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf",
)];

/// The aellm cache: `$AELLM_CACHE`, else `~/.cache/aellm`.
pub fn aellm_cache() -> PathBuf {
    match std::env::var_os("AELLM_CACHE") {
        Some(p) => PathBuf::from(p),
        None => home().join(".cache").join("aellm"),
    }
}

/// The Hugging Face hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
pub fn hf_hub_cache() -> PathBuf {
    if let Some(p) = std::env::var_os("HF_HUB_CACHE") {
        return PathBuf::from(p);
    }
    match std::env::var_os("HF_HOME") {
        Some(p) => PathBuf::from(p).join("hub"),
        None => home().join(".cache").join("huggingface").join("hub"),
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The checkpoint `model` names: an existing path (`~` expanded), a name
/// of [`FETCHABLE`] present in the aellm cache, or `org/name` found in the
/// Hugging Face hub cache (`models--org--name/snapshots/<rev>`).
///
/// ```
/// use aellm_harness::pretrained::resolve;
/// let e = resolve("no-such-org/no-such-model").unwrap_err().to_string();
/// assert!(e.contains("no-such-org/no-such-model"));
/// ```
pub fn resolve(model: &str) -> Result<PathBuf> {
    let expanded = match model.strip_prefix("~/") {
        Some(rest) => home().join(rest),
        None => PathBuf::from(model),
    };
    if expanded.exists() {
        return Ok(expanded);
    }
    if let Some((_, rel)) = FETCHABLE.iter().find(|(n, _)| *n == model) {
        let p = aellm_cache().join(rel);
        if p.is_file() {
            return Ok(p);
        }
        let why = format!(
            "{} is absent; fetch it once with `scripts/fetch-model.sh {model}`",
            p.display()
        );
        return Err(PretrainedError::NotFound {
            model: model.into(),
            why,
        });
    }
    if let Some(p) = hf_snapshot(&hf_hub_cache(), model)? {
        return Ok(p);
    }
    let why = format!(
        "not a path, not one of {:?}, and not in the Hugging Face cache {}; give a local path",
        FETCHABLE.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        hf_hub_cache().display()
    );
    Err(PretrainedError::NotFound {
        model: model.into(),
        why,
    })
}

/// The snapshot folder of `org/name` in `hub`: the one `refs/main` names,
/// else the most recently modified.
pub fn hf_snapshot(hub: &Path, model: &str) -> Result<Option<PathBuf>> {
    let Some((org, name)) = model.split_once('/') else {
        return Ok(None);
    };
    let repo = hub.join(format!("models--{org}--{name}"));
    let snapshots = repo.join("snapshots");
    if !snapshots.is_dir() {
        return Ok(None);
    }
    if let Ok(rev) = std::fs::read_to_string(repo.join("refs").join("main")) {
        let p = snapshots.join(rev.trim());
        if p.is_dir() {
            return Ok(Some(p));
        }
    }
    let newest = std::fs::read_dir(&snapshots)
        .map_err(|e| PretrainedError::io(&snapshots, e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok());
    Ok(newest.map(|e| e.path()))
}

/// Resolves `model` and reads it (GGUF file, a folder holding one GGUF, or
/// a Hugging Face folder) onto `device`, after checking it fits in memory.
pub fn load(model: &str, device: &Device) -> Result<Pretrained> {
    let path = resolve(model)?;
    if path.is_file() {
        return gguf::read_gguf(&path, device);
    }
    if path.join("config.json").is_file() {
        return hf::read_hf(&path, device);
    }
    let ggufs: Vec<PathBuf> = std::fs::read_dir(&path)
        .map_err(|e| PretrainedError::io(&path, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "gguf"))
        .collect();
    match ggufs.as_slice() {
        [one] => gguf::read_gguf(one, device),
        _ => Err(PretrainedError::format(
            &path,
            format!(
                "holds no config.json and {} .gguf files; point at one file",
                ggufs.len()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_snapshot_refs_main_names() {
        let hub = tempfile::tempdir().unwrap();
        let repo = hub.path().join("models--org--tiny");
        for rev in ["aaa", "bbb"] {
            std::fs::create_dir_all(repo.join("snapshots").join(rev)).unwrap();
        }
        std::fs::create_dir_all(repo.join("refs")).unwrap();
        std::fs::write(repo.join("refs").join("main"), "aaa\n").unwrap();
        let p = hf_snapshot(hub.path(), "org/tiny").unwrap().unwrap();
        assert!(p.ends_with("snapshots/aaa"), "{}", p.display());
        assert_eq!(hf_snapshot(hub.path(), "org/other").unwrap(), None);
        assert_eq!(hf_snapshot(hub.path(), "no-slash").unwrap(), None);
    }
}

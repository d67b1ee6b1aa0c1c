//! Provenance of a PDF: which commit (and whether the working tree was dirty) and which input files,
//! by SHA-256, it was built from. The manifest is attached to the PDF as `tongbao-manifest.json`, so
//! `tongbao verify` can rebuild from the recorded commit and compare, naming the inputs that differ.

use std::collections::BTreeMap;
use std::io::Read;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::output::Plan;
use crate::project::{DIGEST_CACHE, INPUTS, Project};

/// The name of the attachment inside the PDF.
pub(crate) const ATTACHMENT: &str = "tongbao-manifest.json";

/// What a PDF records about how it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// tongbao's version.
    pub tool: String,
    pub month: String,
    /// The commit checked out when it was built, if the project is a git repository.
    pub commit: Option<String>,
    /// Whether inputs had uncommitted changes.
    pub dirty: bool,
    /// What the build made and how (outputs, PDF standard, tagging, fonts).
    #[serde(default)]
    pub plan: Plan,
    /// Every input file (root-relative, `/`-separated) and its SHA-256.
    pub inputs: BTreeMap<String, String>,
    /// Every other file the same build made (web page, fragment, Word file …) and its SHA-256.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, String>,
}

/// SHA-256 of bytes, as lowercase hex.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Digests files, remembering each file's digest by size and modification time (as git's index
/// does) so that a build does not hash 20 MB of fonts every time. The memory is kept in the session
/// and in `out/.tongbao-digests.json` between runs.
#[derive(Default)]
pub struct Digester {
    cache: std::collections::HashMap<String, (u64, u128, String)>,
    loaded: bool,
    changed: bool,
}

impl Digester {
    fn load(&mut self, project: &Project) {
        self.loaded = true;
        if let Ok(bytes) = std::fs::read(project.path(DIGEST_CACHE))
            && let Ok(cache) = serde_json::from_slice(&bytes)
        {
            self.cache = cache;
        }
    }

    /// Saves what was learnt (best effort: the cache is only a shortcut).
    fn save(&mut self, project: &Project) {
        if self.changed
            && let Ok(json) = serde_json::to_vec(&self.cache)
        {
            let _ = project.write_unsynced(std::path::Path::new(DIGEST_CACHE), &json);
            self.changed = false;
        }
    }

    /// Digests of the inputs of a month's build (the month's own files and those of the months its
    /// text compares with, and everything else a build reads). Files are read through the
    /// project's gate: one outside the root is left out (the build refuses it anyway).
    pub(crate) fn digests(&mut self, project: &Project, month: &str) -> BTreeMap<String, String> {
        if !self.loaded {
            self.load(project);
        }
        let compared = crate::load::compared_months(project, month);
        let digests = project
            .inputs(month, &compared)
            .into_iter()
            .filter_map(|f| {
                let path = project.path(&f);
                let meta = std::fs::metadata(&path).ok()?;
                let modified = meta
                    .modified()
                    .ok()?
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()?
                    .as_nanos();
                let stamp = (meta.len(), modified);
                if let Some((len, modified, digest)) = self.cache.get(&f)
                    && (*len, *modified) == stamp
                {
                    return Some((f, digest.clone()));
                }
                let digest = sha256(&project.read(std::path::Path::new(&f)).ok()?);
                self.cache.insert(f.clone(), (stamp.0, stamp.1, digest.clone()));
                self.changed = true;
                Some((f, digest))
            })
            .collect();
        self.save(project);
        digests
    }
}

/// The commit checked out and whether any input has uncommitted changes; None outside git.
fn git_state(project: &Project) -> Option<(String, bool)> {
    // One git call: the v2 porcelain format names the checked-out commit in its header.
    let mut args = vec!["status", "--porcelain=v2", "--branch", "--untracked-files=all", "--"];
    args.extend(INPUTS);
    let text = crate::git::run(project.root(), &args).ok()?;
    let commit = text
        .lines()
        .find_map(|l| l.strip_prefix("# branch.oid "))?
        .trim()
        .to_string();
    if commit == "(initial)" {
        return None;
    }
    let dirty = text.lines().any(|l| !l.starts_with('#'));
    Some((commit, dirty))
}

/// The manifest of a build about to happen.
pub(crate) fn manifest(project: &Project, month: &str, plan: &Plan, digester: &mut Digester) -> Manifest {
    let (commit, dirty) = match git_state(project) {
        Some((c, d)) => (Some(c), d),
        None => (None, true),
    };
    Manifest {
        tool: format!("tongbao {}", env!("CARGO_PKG_VERSION")),
        month: month.to_string(),
        commit,
        dirty,
        plan: plan.clone(),
        inputs: digester.digests(project, month),
        outputs: BTreeMap::new(),
    }
}

impl Manifest {
    /// The manifest as JSON (what the PDF carries).
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// What the attachment says about itself in a PDF reader.
pub(crate) const DESCRIPTION: &str = "tongbao 构建清单：源提交与输入文件摘要";

/// Finds the manifest attached to a PDF written by tongbao.
pub fn read_manifest(pdf: &[u8]) -> Option<Manifest> {
    // Embedded files are stream objects (never inside object streams): find each stream whose
    // dictionary says /EmbeddedFile, inflate it, and keep the one that parses as a manifest.
    let mut at = 0;
    while let Some(found) = find(&pdf[at..], b"stream") {
        let start = at + found;
        at = start + 6;
        if pdf[..start].ends_with(b"end") {
            continue;
        }
        let dict_start = pdf[..start]
            .iter()
            .rposition(|&b| b == b'<')
            .unwrap_or(0)
            .saturating_sub(400);
        let dict = &pdf[dict_start..start];
        if find(dict, b"EmbeddedFile").is_none() {
            continue;
        }
        let mut body = start + 6;
        while body < pdf.len() && (pdf[body] == b'\r' || pdf[body] == b'\n') {
            body += 1;
        }
        let Some(len) = find(&pdf[body..], b"endstream") else {
            continue;
        };
        let raw = &pdf[body..body + len];
        let mut text = Vec::new();
        let inflated = flate2::read::ZlibDecoder::new(raw).read_to_end(&mut text).is_ok();
        let bytes = if inflated { &text[..] } else { raw };
        if let Ok(m) = serde_json::from_slice::<Manifest>(bytes) {
            return Some(m);
        }
    }
    None
}

/// Who made a PDF, as its XMP metadata says, when it was tongbao: `tongbao 0.1.0`, and the
/// PDF/A level it claims (`PDF/A-2b`), if any. What `verify` says of a PDF without a manifest.
#[derive(Debug, PartialEq)]
pub struct Origin {
    pub tool: String,
    pub pdfa: Option<String>,
}

/// The [`Origin`] of a PDF tongbao made (its XMP packet is never compressed); `None` for others.
pub fn origin(pdf: &[u8]) -> Option<Origin> {
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = find(pdf, open.as_bytes())? + open.len();
        let len = find(&pdf[start..], format!("</{name}>").as_bytes())?;
        String::from_utf8(pdf[start..start + len].to_vec()).ok()
    };
    let tool = element("xmp:CreatorTool").filter(|t| t.starts_with("tongbao "))?;
    let pdfa = element("pdfaid:part").map(|part| {
        let conformance = element("pdfaid:conformance").unwrap_or_default().to_lowercase();
        format!("PDF/A-{part}{conformance}")
    });
    Some(Origin { tool, pdfa })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_standard() {
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

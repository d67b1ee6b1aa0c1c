//! Provenance of a PDF: which commit (and whether the working tree was dirty) and which input files,
//! by SHA-256, it was built from. The manifest is attached to the PDF as `tongbao-manifest.json`, so
//! `tongbao verify` can rebuild from the recorded commit and compare, naming the inputs that differ.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The name of the attachment inside the PDF.
pub const ATTACHMENT: &str = "tongbao-manifest.json";

/// What a PDF records about how it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// tongbao's version.
    pub tool: String,
    /// The month built.
    pub month: String,
    /// The commit checked out when it was built, if the project is a git repository.
    pub commit: Option<String>,
    /// Whether inputs had uncommitted changes.
    pub dirty: bool,
    /// Build options that change the bytes.
    pub options: BTreeMap<String, String>,
    /// Every input file (root-relative, `/`-separated) and its SHA-256.
    pub inputs: BTreeMap<String, String>,
}

/// The folders and files a month's build reads.
pub fn input_files(root: &Path, month: &str) -> Vec<String> {
    let mut files = Vec::new();
    let mut add_tree = |rel: &str| {
        let dir = root.join(rel);
        if dir.is_file() {
            files.push(rel.to_string());
            return;
        }
        for entry in walkdir::WalkDir::new(&dir)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
        {
            let hidden = entry
                .path()
                .strip_prefix(root)
                .into_iter()
                .flat_map(|p| p.components())
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
            if entry.file_type().is_file()
                && !hidden
                && let Ok(p) = entry.path().strip_prefix(root)
            {
                files.push(p.to_string_lossy().replace('\\', "/"));
            }
        }
    };
    add_tree(crate::project::CONFIG);
    add_tree("data/units.yaml");
    add_tree("data/tables");
    add_tree(&format!("data/{month}"));
    if let Some(id) = crate::load::month::MonthId::parse(month) {
        add_tree(&format!("data/{}", id.previous()));
    }
    add_tree("templates");
    add_tree("fonts");
    add_tree("assets");
    files.retain(|f| root.join(f).is_file());
    files.sort();
    files.dedup();
    files
}

/// SHA-256 of bytes, as lowercase hex.
pub fn sha256(bytes: &[u8]) -> String {
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

/// Where digests are remembered between runs (inside the build output, never committed).
pub const DIGEST_CACHE: &str = "out/.tongbao-digests.json";

impl Digester {
    fn load(&mut self, root: &Path) {
        self.loaded = true;
        if let Ok(bytes) = std::fs::read(root.join(DIGEST_CACHE))
            && let Ok(cache) = serde_json::from_slice(&bytes)
        {
            self.cache = cache;
        }
    }

    /// Saves what was learnt (best effort: the cache is only a shortcut).
    fn save(&mut self, root: &Path) {
        if self.changed
            && let Ok(json) = serde_json::to_vec(&self.cache)
        {
            let _ = crate::output::write_atomic_unsynced(&root.join(DIGEST_CACHE), &json);
            self.changed = false;
        }
    }

    /// Digests of the inputs of a month's build.
    pub fn digests(&mut self, root: &Path, month: &str) -> BTreeMap<String, String> {
        if !self.loaded {
            self.load(root);
        }
        let digests = input_files(root, month)
            .into_iter()
            .filter_map(|f| {
                let path = root.join(&f);
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
                let digest = sha256(&std::fs::read(&path).ok()?);
                self.cache.insert(f.clone(), (stamp.0, stamp.1, digest.clone()));
                self.changed = true;
                Some((f, digest))
            })
            .collect();
        self.save(root);
        digests
    }
}

/// The commit checked out at `root` and whether any input has uncommitted changes; None outside git.
pub fn git_state(root: &Path) -> Option<(String, bool)> {
    // One git call: the v2 porcelain format names the checked-out commit in its header.
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "status",
            "--porcelain=v2",
            "--branch",
            "--untracked-files=all",
            "--",
            "data",
            "templates",
            "fonts",
            "assets",
        ])
        .arg(crate::project::CONFIG)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
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
pub fn manifest(root: &Path, month: &str, options: BTreeMap<String, String>, digester: &mut Digester) -> Manifest {
    let (commit, dirty) = match git_state(root) {
        Some((c, d)) => (Some(c), d),
        None => (None, true),
    };
    Manifest {
        tool: format!("tongbao {}", env!("CARGO_PKG_VERSION")),
        month: month.to_string(),
        commit,
        dirty,
        options,
        inputs: digester.digests(root, month),
    }
}

/// Typst code that attaches the manifest to the PDF (appended to the generated source; the JSON
/// reaches Typst as a string literal).
pub fn attach_code(manifest: &Manifest) -> String {
    let json = serde_json::to_string_pretty(manifest).unwrap_or_default();
    format!(
        "\n#pdf.attach({}, bytes({}), mime-type: \"application/json\", description: \"tongbao 构建清单：源提交与输入文件摘要\")\n",
        crate::render::typst_string(ATTACHMENT),
        crate::render::typst_string(&json)
    )
}

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

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The PDF timestamp: SOURCE_DATE_EPOCH when set (reproducible builds convention), else `None`
/// (the caller uses the date of issue).
pub fn source_date_epoch() -> Option<(i32, u8, u8, u8, u8, u8)> {
    let secs: i64 = std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()?;
    Some(civil(secs))
}

/// UTC calendar date and time of seconds since 1970-01-01.
pub fn civil(secs: i64) -> (i32, u8, u8, u8, u8, u8) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (
        year,
        month,
        day,
        (rem / 3600) as u8,
        (rem / 60 % 60) as u8,
        (rem % 60) as u8,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_to_civil_time() {
        assert_eq!(civil(1_683_244_800), (2023, 5, 5, 0, 0, 0));
        assert_eq!(civil(951_782_400 + 3661), (2000, 2, 29, 1, 1, 1));
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
    }

    #[test]
    fn sha256_is_standard() {
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

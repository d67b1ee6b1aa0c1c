//! Provenance of a PDF: which commit (and whether the working tree was dirty) and which input files,
//! by SHA-256, it was built from. The manifest is attached to the PDF as `tongbao-manifest.json`, so
//! `tongbao verify` can rebuild from the recorded commit and compare, naming the inputs that differ.

use std::collections::BTreeMap;
use std::io::Read;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::background::Background;
use crate::diag::{Code, Diagnostic, Loc};
use crate::limits::{MANIFEST_BYTES, MANIFEST_CANDIDATES};
use crate::output::Plan;
use crate::project::{DATA, DIGEST_CACHE, HISTORY_CACHE, INPUTS, ISSUE_RECORD, Project, WITHDRAWN};

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

/// What a font file's digest is remembered by: its size, modification time, and (on Unix) the
/// time its inode last changed and its inode number, which no one can set back: an edit whose
/// modification time is restored is still seen.
type Stamp = (u64, u128, u128, u64);

fn stamp_of(meta: &std::fs::Metadata) -> Option<Stamp> {
    let nanos = |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_nanos());
    let modified = nanos(meta.modified().ok()?)?;
    #[cfg(unix)]
    let (changed, inode) = {
        use std::os::unix::fs::MetadataExt as _;
        (
            meta.ctime() as u128 * 1_000_000_000 + meta.ctime_nsec() as u128,
            meta.ino(),
        )
    };
    #[cfg(not(unix))]
    let (changed, inode) = (0, 0);
    Some((meta.len(), modified, changed, inode))
}

/// Digests files, remembering each file's digest by its [`Stamp`] (as git's index does) so that a build does not hash 20 MB of fonts every time. The memory is kept in the session
/// and in `out/.tongbao-digests.json` between runs.
#[derive(Default)]
pub struct Digester {
    cache: std::collections::HashMap<String, (Stamp, String)>,
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

    /// Digests of the inputs of a month's build: its own files and those of the months its text
    /// compares with (`compared`), and everything else a build reads ([`Project::inputs`]). Files
    /// are read through the project's gate, which hands out what the command read already (each
    /// input is read once); a font, which Typst reads itself, is remembered by its size and
    /// modification time. One outside the root is left out (the build refuses it anyway).
    pub(crate) fn digests(&mut self, project: &Project, month: &str, compared: &[String]) -> BTreeMap<String, String> {
        if !self.loaded {
            self.load(project);
        }
        let digests = project
            .inputs(month, compared)
            .into_iter()
            .filter_map(|f| {
                let rel = std::path::Path::new(&f);
                if !rel.starts_with(crate::project::FONTS) {
                    return project.digest(rel).ok().map(|d| (f, d));
                }
                let meta = std::fs::metadata(project.path(rel)).ok()?;
                let stamp = stamp_of(&meta)?;
                if let Some((known, digest)) = self.cache.get(&f)
                    && *known == stamp
                {
                    return Some((f, digest.clone()));
                }
                let digest = project.digest(rel).ok()?;
                self.cache.insert(f.clone(), (stamp, digest.clone()));
                self.changed = true;
                Some((f, digest))
            })
            .collect();
        self.save(project);
        digests
    }
}

/// The commit checked out and the dirty flag; `Ok(None)` outside git; the reason git could not
/// answer.
type GitState = Result<Option<(String, bool)>, String>;

/// What a command asks git once, on threads of their own while the data is read: the commit
/// checked out and whether an input has uncommitted changes; and which months' issue records
/// were deleted in the history.
pub(crate) struct GitProbe {
    /// Not asked for `check`, which records no commit.
    state: Option<Background<GitState>>,
    deleted: Background<BTreeMap<String, String>>,
}

impl GitProbe {
    /// Starts asking git about `project`.
    pub(crate) fn start(project: &Project) -> GitProbe {
        let (one, two) = (project.clone(), project.clone());
        GitProbe {
            state: Some(Background::start(move || git_state(&one))),
            deleted: Background::start(move || deleted_records(&two)),
        }
    }

    /// Starts asking git only which issue records were deleted (for `check`, which records no
    /// commit).
    pub(crate) fn history(project: &Project) -> GitProbe {
        let project = project.clone();
        GitProbe {
            state: None,
            deleted: Background::start(move || deleted_records(&project)),
        }
    }

    /// The commit and the dirty flag (a project outside git, before its first commit, or where
    /// git cannot answer: no commit, dirty). `None` only when the thread asking git died.
    pub(crate) fn state(&self) -> Option<(Option<String>, bool)> {
        Some(match self.state.as_ref().map_or(Some(&Ok(None)), Background::get)? {
            Ok(Some((commit, dirty))) => (Some(commit.clone()), *dirty),
            Ok(None) | Err(_) => (None, true),
        })
    }

    /// Why git could not tell the commit (git missing, or refusing the repository); `None` when
    /// it answered or the project is simply not in a repository.
    pub(crate) fn problem(&self) -> Option<String> {
        self.state.as_ref()?.get()?.as_ref().err().cloned()
    }

    /// An error when month `month` was issued and its issue record is gone without a withdrawal
    /// (a revert of the issue commit, which no hook sees): it must not be built anew as if never
    /// issued. `None` when git cannot tell.
    pub(crate) fn lost_record(&self, project: &Project, month: &str) -> Option<Diagnostic> {
        let commit = self.deleted.get()?.get(month)?;
        let dir = project.month_dir(month);
        if project.is_issued(month) || project.present(&dir.join(WITHDRAWN)).unwrap_or(true) {
            return None;
        }
        let record = dir.join(ISSUE_RECORD);
        let at = Loc::file(&crate::diag::Source::new(record.clone(), ""));
        if commit.is_empty() {
            return Some(
                Diagnostic::error(
                    Code::IssuedChanged,
                    &at,
                    format!("{month} 的通报已经发布，它的发布记录（{ISSUE_RECORD}）却被删除了（还没有提交）"),
                )
                .help(format!(
                    "恢复发布记录：git checkout HEAD -- {}；确要撤回这份通报，恢复后运行 tongbao issue {month} --withdraw \"原因\"",
                    dir.display()
                )),
            );
        }
        Some(
            Diagnostic::error(
                Code::IssuedChanged,
                &at,
                format!("{month} 的通报发布过，但提交 {commit} 删除了它的发布记录（{ISSUE_RECORD}），又没有撤回的记录"),
            )
            .help(format!(
                "恢复发布记录：git checkout {commit}^ -- {}；确要撤回这份通报，恢复后运行 tongbao issue {month} --withdraw \"原因\"",
                dir.display()
            )),
        )
    }
}

/// Each month whose issue record a commit deleted, with the newest such commit (short), from one
/// walk of the history, remembered for the commit checked out ([`HISTORY_CACHE`]: the walk takes
/// longer than a `check`); empty outside git.
fn deleted_records(project: &Project) -> BTreeMap<String, String> {
    /// What the history says as of commit `head`: the months whose record a commit deleted
    /// (with the commit), and the months whose record `head` holds (with no commit).
    #[derive(Serialize, Deserialize, PartialEq)]
    struct Known {
        head: String,
        deleted: BTreeMap<String, String>,
    }
    let Some(head) = crate::git::head(project.root()) else {
        return BTreeMap::new();
    };
    let cache = std::path::Path::new(HISTORY_CACHE);
    let known = crate::limits::read_bounded(&project.path(cache), 1 << 20)
        .ok()
        .and_then(|b| serde_json::from_slice::<Known>(&b).ok());
    if let Some(known) = known.filter(|k| k.head == head) {
        return known.deleted;
    }
    let Some(mut deleted) = walk_deleted_records(project) else {
        return BTreeMap::new();
    };
    // Records the commit holds: a month named with no commit, which `lost_record` finds gone
    // when its record was deleted on disk since.
    let pattern = format!(":(glob){DATA}/*/{ISSUE_RECORD}");
    let committed = crate::git::run(
        project.root(),
        &["ls-tree", "-r", "--name-only", "HEAD", "--", &pattern],
    );
    for rel in committed.unwrap_or_default().lines() {
        if let Some(month) = rel.split('/').nth(1) {
            deleted.insert(month.to_string(), String::new());
        }
    }
    let known = Known { head, deleted };
    if let Ok(json) = serde_json::to_vec(&known) {
        // Best effort: the memory is only a shortcut.
        let _ = project.write_unsynced(cache, &json);
    }
    known.deleted
}

/// `None` when git could not answer (nothing is remembered then).
fn walk_deleted_records(project: &Project) -> Option<BTreeMap<String, String>> {
    let pattern = format!(":(glob){DATA}/*/{ISSUE_RECORD}");
    let args = [
        "log",
        "--no-renames",
        "--diff-filter=D",
        "--format=@%h",
        "--name-only",
        "--relative",
        "--",
        &pattern,
    ];
    let text = crate::git::run(project.root(), &args).ok()?;
    let mut out = BTreeMap::new();
    let mut commit = "";
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(c) = line.strip_prefix('@') {
            commit = c;
        } else if let Some(month) = line.split('/').nth(1) {
            out.entry(month.to_string()).or_insert_with(|| commit.to_string());
        }
    }
    Some(out)
}

/// The commit checked out and whether any input has uncommitted changes; `Ok(None)` outside git
/// (or before the first commit), the reason when git cannot answer.
fn git_state(project: &Project) -> Result<Option<(String, bool)>, String> {
    // One git call: the v2 porcelain format names the checked-out commit in its header.
    let mut args = vec!["status", "--porcelain=v2", "--branch", "--untracked-files=all", "--"];
    args.extend(INPUTS);
    let text = match crate::git::run(project.root(), &args) {
        Ok(text) => text,
        Err(e) if e.0.ends_with("不在 git 仓库中") => return Ok(None),
        Err(e) => return Err(e.0),
    };
    let Some(commit) = text.lines().find_map(|l| l.strip_prefix("# branch.oid ")) else {
        return Ok(None);
    };
    let commit = commit.trim().to_string();
    if commit == "(initial)" {
        return Ok(None);
    }
    let dirty = text.lines().any(|l| !l.starts_with('#'));
    Ok(Some((commit, dirty)))
}

/// The manifest of a build: month `month` built with `plan` from `inputs` (their digests) at the
/// commit and dirty flag `git` tells.
pub(crate) fn manifest(
    month: &str,
    plan: &Plan,
    git: (Option<String>, bool),
    inputs: BTreeMap<String, String>,
) -> Manifest {
    let (commit, dirty) = git;
    Manifest {
        tool: format!("tongbao {}", env!("CARGO_PKG_VERSION")),
        month: month.to_string(),
        commit,
        dirty,
        plan: plan.clone(),
        inputs,
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
    manifest_json(pdf).and_then(|json| serde_json::from_str(&json).ok())
}

/// The manifest's JSON exactly as attached to a PDF (to attach it again when the issued PDF is
/// rebuilt), in bounded memory and time whatever the PDF holds: embedded files are stream objects
/// (never inside object streams); only the first [`MANIFEST_CANDIDATES`] whose dictionary says
/// `/EmbeddedFile` are looked at, each inflated to at most [`MANIFEST_BYTES`] (a zlib bomb is
/// cut there and skipped), and the first that parses as a manifest is it.
pub(crate) fn manifest_json(pdf: &[u8]) -> Option<String> {
    let mut at = 0;
    let mut candidates = 0;
    while let Some(found) = find(&pdf[at..], b"stream") {
        let start = at + found;
        at = start + 6;
        if pdf[..start].ends_with(b"end") {
            continue;
        }
        // The stream's dictionary: since its object began, at most 1 KiB back.
        let window = &pdf[start.saturating_sub(1024)..start];
        let dict = rfind(window, b" obj").map_or(window, |o| &window[o..]);
        if find(dict, b"/EmbeddedFile").is_none() {
            continue;
        }
        candidates += 1;
        if candidates > MANIFEST_CANDIDATES {
            return None;
        }
        let mut body = start + 6;
        while body < pdf.len() && (pdf[body] == b'\r' || pdf[body] == b'\n') {
            body += 1;
        }
        // The body by its /Length, else (a reference, or a damaged length) up to endstream.
        let by_length = stream_length(dict)
            .filter(|len| body.saturating_add(*len) <= pdf.len())
            .map(|len| &pdf[body..body + len]);
        let by_end = find(&pdf[body..], b"endstream").map(|len| &pdf[body..body + len]);
        for raw in by_length.into_iter().chain(by_end) {
            if let Some(json) = inflate_manifest(raw) {
                return Some(json);
            }
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
    // What a forged PDF claims is shown shortened: a message never quotes a whole packet.
    let tool = element("xmp:CreatorTool")
        .filter(|t| t.starts_with("tongbao "))
        .map(|t| crate::diag::shorten(&t, 60))?;
    let pdfa = element("pdfaid:part").map(|part| {
        let conformance = element("pdfaid:conformance").unwrap_or_default().to_lowercase();
        crate::diag::shorten(&format!("PDF/A-{part}{conformance}"), 20)
    });
    Some(Origin { tool, pdfa })
}

/// A stream's body as a manifest's JSON: inflated to at most [`MANIFEST_BYTES`] (a bomb is cut
/// there and refused), or as stored when it is not deflated.
fn inflate_manifest(raw: &[u8]) -> Option<String> {
    let mut text = Vec::new();
    let limited = flate2::read::ZlibDecoder::new(raw)
        .take(MANIFEST_BYTES + 1)
        .read_to_end(&mut text);
    let bytes = match limited {
        Ok(_) if text.len() as u64 > MANIFEST_BYTES => return None,
        Ok(_) => &text[..],
        Err(_) if raw.len() as u64 <= MANIFEST_BYTES => raw,
        Err(_) => return None,
    };
    let json = std::str::from_utf8(bytes).ok()?;
    serde_json::from_str::<Manifest>(json).ok()?;
    Some(json.to_string())
}

/// A direct `/Length N` of a stream dictionary (`/Length 12 0 R`, a reference, is not one).
fn stream_length(dict: &[u8]) -> Option<usize> {
    let rest = &dict[find(dict, b"/Length")? + 7..];
    let text = String::from_utf8_lossy(&rest[..rest.len().min(32)]);
    let mut words = text
        .split(|c: char| c.is_whitespace() || matches!(c, '/' | '>' | '<' | '['))
        .filter(|w| !w.is_empty());
    let n: usize = words.next()?.parse().ok()?;
    let (second, third) = (words.next(), words.next());
    if second.is_some_and(|w| w.bytes().all(|b| b.is_ascii_digit())) && third == Some("R") {
        return None;
    }
    Some(n)
}

/// The creation time a PDF records (`/CreationDate(D:20230505000000Z)`): year, month, day, hour,
/// minute, second.
pub(crate) fn creation_date(pdf: &[u8]) -> Option<(i32, u8, u8, u8, u8, u8)> {
    let at = rfind(pdf, b"/CreationDate(D:")? + 16;
    let digits = pdf.get(at..at + 14)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |from: usize, len: usize| std::str::from_utf8(&digits[from..from + len]).ok()?.parse::<u16>().ok();
    let byte = |from: usize| n(from, 2).and_then(|v| u8::try_from(v).ok());
    Some((i32::from(n(0, 4)?), byte(4)?, byte(6)?, byte(8)?, byte(10)?, byte(12)?))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Which tongbao is running: its version and its executable's size and modification time, so
/// that any rebuilt tongbao (new code, or a Typst upgrade that leaves the version number alone)
/// counts as another. When the executable cannot be examined, the process id stands in, so
/// nothing is taken as unchanged.
pub(crate) fn tool_identity() -> String {
    let exe = std::env::current_exe().and_then(std::fs::metadata).ok().and_then(|m| {
        let modified = m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
        Some(format!("{} bytes, {} ns", m.len(), modified.as_nanos()))
    });
    let exe = exe.unwrap_or_else(|| format!("process {}", std::process::id()));
    format!("tongbao {} ({exe})", env!("CARGO_PKG_VERSION"))
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

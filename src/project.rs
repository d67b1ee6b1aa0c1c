//! The project: its root folder, every path tongbao reads or writes under it, the one gate through
//! which every input file is read and the one gate through which every file is written.
//!
//! Paths are spelt here and nowhere else. A build reads the registry, the table descriptions, the
//! month's folder (and the months it compares with), the templates, the fonts, the assets and the
//! configuration: [`INPUTS`] names those top-level places and [`Project::is_input`] says which files
//! in them a build reads, for the watcher, the batch stamps, the hooks and the provenance manifest
//! alike. [`Project::read`] refuses any file whose real path (symlinks resolved) lies outside the
//! root, so a symlink committed into `data/` cannot publish a CI runner's files; [`Project::write`]
//! refuses to write anywhere but inside the root, so a linked `out/` or month folder cannot make
//! tongbao overwrite a file elsewhere. Writes are atomic: a temporary file in the same folder,
//! renamed into place, so a reader never sees half a file and a failed write leaves the old one.

use crate::diag::Code;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::calendar::MonthId;

pub(crate) const DATA: &str = "data";
pub(crate) const REGISTRY: &str = "data/units.yaml";
pub(crate) const TABLES: &str = "data/tables";
pub(crate) const TEMPLATES: &str = "templates";
pub(crate) const FONTS: &str = "fonts";
pub(crate) const ASSETS: &str = "assets";
pub(crate) const CONFIG: &str = "tongbao.yaml";
pub(crate) const OUT: &str = "out";
/// The GB/T 9704 page: paper, text block, lines and characters (read by the templates too).
pub(crate) const PAGE_SPEC: &str = "templates/page.yaml";
/// A month's own text and metadata, inside its folder.
pub(crate) const DOCUMENT: &str = "document.yaml";
/// The month's circular as staff type it, inside its folder.
pub(crate) const TEXT: &str = "通报.txt";
/// The record of an issued circular, inside its folder (with the issued PDF beside it).
pub(crate) const ISSUE_RECORD: &str = "issued.yaml";
/// A month's record of withdrawn circulars (`issue --withdraw`).
pub(crate) const WITHDRAWN: &str = "withdrawn.yaml";
pub(crate) const ISSUED_PDF: &str = "issued.pdf";
/// The issued circular as OFD, when the month's outputs name it.
pub(crate) const ISSUED_OFD: &str = "issued.ofd";
/// Where file digests are remembered between runs (build output, never committed).
pub(crate) const DIGEST_CACHE: &str = "out/.tongbao-digests.json";
/// Which months' issue records the history deleted, as of a commit (build output; a walk of the
/// history is done once per commit checked out).
pub(crate) const HISTORY_CACHE: &str = "out/.tongbao-history.json";

/// The top-level folders and files whose content can change what a build makes.
pub(crate) const INPUTS: [&str; 5] = [DATA, TEMPLATES, FONTS, ASSETS, CONFIG];

/// Why a file could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    Io(io::Error),
    /// The file's real path is outside the project root (a symlink pointing out, or `..`).
    Outside,
    /// The file is larger than any input may be ([`crate::limits::INPUT_BYTES`]): its size.
    TooBig(u64),
}

/// Why a file could not be written.
#[derive(Debug)]
pub(crate) enum WriteError {
    Io(io::Error),
    /// The file, or a folder on the way to it, resolves outside the project root.
    Outside,
}

impl WriteError {
    /// What went wrong, in Chinese.
    pub(crate) fn reason(&self) -> String {
        match self {
            WriteError::Io(e) => io_reason(e),
            WriteError::Outside => "它（或它所在的文件夹）是指向项目文件夹之外的链接，为安全起见不予写入".into(),
        }
    }

    /// The stable code of the problem, for diagnostics.
    pub(crate) fn code(&self) -> Code {
        match self {
            WriteError::Io(_) => Code::Io,
            WriteError::Outside => Code::OutsideRoot,
        }
    }
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason())
    }
}

/// Files an editor or a tool leaves beside the real ones while saving: never inputs.
pub(crate) fn is_scratch(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name == "4913"
        || [".swp", ".swx", ".swo", ".tmp", ".bak", ".orig", ".part", ".crdownload"]
            .iter()
            .any(|x| name.ends_with(x))
}

/// Extensions of the font files Typst reads.
const FONT_FILES: [&str; 4] = ["ttf", "otf", "ttc", "otc"];

#[derive(Clone)]
pub struct Project {
    root: PathBuf,
    /// The root with symlinks resolved, for the inside-the-root test.
    real: PathBuf,
    /// The inputs read so far (root-relative path → bytes), shared by every clone: what one command
    /// reads, each file once, whoever asks (the loader, the templates, Typst, the manifest).
    /// [`Project::write`] drops a file it replaces; a long-lived command (watch) starts each
    /// rebuild with [`Project::forget`].
    reads: Arc<Mutex<HashMap<PathBuf, Arc<[u8]>>>>,
    /// How many times each file was read from the disk (the tests count them).
    #[cfg(test)]
    disk: Arc<Mutex<HashMap<PathBuf, usize>>>,
}

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl Project {
    /// The project rooted at `root` (which must exist for reads to succeed). A relative root is
    /// made absolute first, so paths found by walking a folder of the project (fonts/) and paths
    /// joined to the root name the same files.
    pub fn new(root: &Path) -> Project {
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        let real = root.canonicalize().unwrap_or_else(|_| root.clone());
        Project {
            root,
            real,
            reads: Default::default(),
            #[cfg(test)]
            disk: Default::default(),
        }
    }

    /// `--root` if given, else the current folder or the nearest parent holding
    /// `data/units.yaml` or `tongbao.yaml`.
    pub(crate) fn locate(given: Option<&Path>) -> Result<Project, String> {
        match given {
            Some(p) if p.join(DATA).is_dir() => Ok(Project::new(p)),
            Some(p) => Err(format!("{} 不是 tongbao 项目（其中没有 data/ 文件夹）", p.display())),
            None => {
                let cwd = std::env::current_dir().map_err(|e| format!("无法读取当前目录：{e}"))?;
                cwd.ancestors()
                    .find(|dir| dir.join(REGISTRY).is_file() || dir.join(CONFIG).is_file())
                    .map(Project::new)
                    .ok_or_else(|| {
                        "当前目录及其上级中没有 tongbao 项目（找不到 data/units.yaml）；请进入项目目录，或用 --root 指定"
                            .to_string()
                    })
            }
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of a root-relative one.
    pub(crate) fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root.join(rel)
    }

    pub(crate) fn month_dir(&self, month: &str) -> PathBuf {
        Path::new(DATA).join(month)
    }

    pub(crate) fn document(&self, month: &str) -> PathBuf {
        self.month_dir(month).join(DOCUMENT)
    }

    pub(crate) fn month_text(&self, month: &str) -> PathBuf {
        self.month_dir(month).join(TEXT)
    }

    /// A month's file for table `id`.
    pub(crate) fn table_file(&self, month: &str, id: &str) -> PathBuf {
        self.month_dir(month).join(format!("{id}.yaml"))
    }

    /// Whether month `month` has been issued (its issue record exists): the one question every
    /// path that writes or checks a month asks first. Nothing but the issued files is ever placed
    /// in `out/` for such a month.
    /// A record that cannot even be looked at (no permission) counts as there: reading it then
    /// says why, and nothing is written meanwhile.
    pub(crate) fn is_issued(&self, month: &str) -> bool {
        !matches!(self.present(&self.month_dir(month).join(ISSUE_RECORD)), Ok(false))
    }

    /// Whether root-relative `rel` is there (a dangling link counts); the reason when that cannot
    /// be told (a folder on the way that may not be read). Never "absent" for a file that could
    /// not be looked at.
    pub(crate) fn present(&self, rel: &Path) -> io::Result<bool> {
        match std::fs::symlink_metadata(self.path(rel)) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn out_dir(&self, month: &str) -> PathBuf {
        Path::new(OUT).join(month)
    }

    /// The generated Typst source, as the root-relative `/`-separated path Typst sees.
    pub(crate) fn typst_source(&self, month: &str) -> String {
        format!("{OUT}/{month}/circular.typ")
    }

    /// The folder names under `data/` other than the table descriptions, sorted (valid months or
    /// not: `check` reports the misnamed ones).
    pub(crate) fn month_dirs(&self) -> io::Result<Vec<String>> {
        let mut names: Vec<String> = std::fs::read_dir(self.path(DATA))?
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir() || t.is_symlink()))
            .filter(|e| self.path(DATA).join(e.file_name()).is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| Path::new(TABLES).file_name().is_none_or(|t| t != n.as_str()) && !n.starts_with('.'))
            .collect();
        names.sort();
        Ok(names)
    }

    /// The month folders with valid names, oldest first.
    pub fn months(&self) -> Vec<String> {
        self.month_dirs()
            .unwrap_or_default()
            .into_iter()
            .filter(|m| MonthId::parse(m).is_some())
            .collect()
    }

    /// Whether a root-relative path names a file a build reads: the configuration, the registry,
    /// a table description, a month's files (its settings, its text, its tables and the issued
    /// PDF, OFD and record), anything in templates/ and assets/, a font file in fonts/. Hidden files and
    /// editors' scratch files never are.
    pub(crate) fn is_input(&self, rel: &Path) -> bool {
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts.iter().any(|p| is_scratch(p)) {
            return false;
        }
        let ext = rel
            .extension()
            .map(|x| x.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let yaml = ext == "yaml" || ext == "yml";
        let tables = Path::new(TABLES).file_name().map(|n| n.to_string_lossy().into_owned());
        match parts.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            [CONFIG] => true,
            [DATA, "units.yaml"] => true,
            [DATA, dir, _] if Some(dir.to_string()) == tables => yaml,
            [DATA, month, name] if MonthId::parse(month).is_some() => {
                yaml || *name == TEXT || *name == ISSUED_PDF || *name == ISSUED_OFD
            }
            [TEMPLATES | ASSETS, _, ..] => true,
            [FONTS, _, ..] => FONT_FILES.contains(&ext.as_str()),
            _ => false,
        }
    }

    /// Every input file of a month's build, root-relative and `/`-separated, sorted: the
    /// configuration, the registry and descriptions, the month and the months it compares with
    /// (`compared`, folder names), the templates, the fonts and the assets.
    pub(crate) fn inputs(&self, month: &str, compared: &[String]) -> Vec<String> {
        let mut places: Vec<String> = vec![CONFIG.into(), REGISTRY.into(), TABLES.into()];
        places.push(format!("{DATA}/{month}"));
        places.extend(compared.iter().map(|m| format!("{DATA}/{m}")));
        places.extend([TEMPLATES, FONTS, ASSETS].map(String::from));
        let mut files = Vec::new();
        for place in places {
            for entry in walkdir::WalkDir::new(self.path(&place))
                .follow_links(true)
                .sort_by_file_name()
                .into_iter()
                .filter_map(Result::ok)
            {
                let Ok(rel) = entry.path().strip_prefix(&self.root) else {
                    continue;
                };
                if entry.file_type().is_file() && self.is_input(rel) {
                    files.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        files.sort();
        files.dedup();
        files
    }

    /// Whether `path` (absolute or root-relative) resolves, symlinks followed, inside the root.
    pub(crate) fn contains(&self, path: &Path) -> bool {
        self.path(path)
            .canonicalize()
            .is_ok_and(|real| real.starts_with(&self.real))
    }

    /// Reads a file of the project: the only way input files are read. Refuses a file whose real
    /// path is outside the root, without opening it, and one larger than
    /// [`crate::limits::INPUT_BYTES`] (or that is not a regular file), without reading it. An input
    /// ([`Project::is_input`]) is read once per command: later calls get the same bytes.
    pub(crate) fn read(&self, rel: &Path) -> Result<Vec<u8>, ReadError> {
        self.read_shared(rel).map(|bytes| bytes.to_vec())
    }

    /// Like [`Project::read`], without copying what was read already.
    pub(crate) fn read_shared(&self, rel: &Path) -> Result<Arc<[u8]>, ReadError> {
        let rel = rel.strip_prefix(&self.root).unwrap_or(rel);
        let input = self.is_input(rel);
        if input && let Some(bytes) = self.remembered(rel) {
            return Ok(bytes);
        }
        let real = self.path(rel).canonicalize().map_err(ReadError::Io)?;
        if !real.starts_with(&self.real) {
            return Err(ReadError::Outside);
        }
        let bytes: Arc<[u8]> = crate::limits::read_bounded(&real, crate::limits::INPUT_BYTES)
            .map_err(|e| match e {
                crate::limits::Refused::Io(e) => ReadError::Io(e),
                crate::limits::Refused::TooBig(n) => ReadError::TooBig(n),
                crate::limits::Refused::NotAFile => {
                    ReadError::Io(io::Error::new(io::ErrorKind::InvalidInput, "不是普通文件"))
                }
            })?
            .into();
        #[cfg(test)]
        {
            *self
                .disk
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(rel.to_path_buf())
                .or_default() += 1;
        }
        if input {
            self.reads
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(rel.to_path_buf(), bytes.clone());
        }
        Ok(bytes)
    }

    /// The bytes of input `rel` if this command has read it.
    fn remembered(&self, rel: &Path) -> Option<Arc<[u8]>> {
        self.reads.lock().unwrap_or_else(|e| e.into_inner()).get(rel).cloned()
    }

    /// Each file read from the disk so far with how many times (root-relative), sorted.
    #[cfg(test)]
    pub(crate) fn disk_reads(&self) -> Vec<(PathBuf, usize)> {
        let mut reads: Vec<(PathBuf, usize)> = self
            .disk
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(p, n)| (p.clone(), *n))
            .collect();
        reads.sort();
        reads
    }

    /// Takes `bytes` as input file `rel`'s content for this command (an editor's unsaved text:
    /// `tongbao lsp`), as if read from the disk.
    pub(crate) fn overlay(&self, rel: &Path, bytes: Arc<[u8]>) {
        if self.is_input(rel) {
            self.reads
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(rel.to_path_buf(), bytes);
        }
    }

    /// Forgets what was read, so that the next reads see the files as they are now (a long-lived
    /// command, before each rebuild).
    pub(crate) fn forget(&self) {
        self.reads.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The SHA-256 of a file of the project, read through the same gate: of the bytes the
    /// command read (a data file, a template), or, for a font, read in pieces (a font of 100 MB is
    /// digested without holding it; Typst reads fonts itself, lazily).
    pub(crate) fn digest(&self, rel: &Path) -> Result<String, ReadError> {
        use sha2::Digest as _;
        use std::io::Read as _;
        let is_font = rel.starts_with(FONTS);
        if !is_font {
            return self.read_shared(rel).map(|bytes| hex(&sha2::Sha256::digest(&bytes)));
        }
        let real = self.path(rel).canonicalize().map_err(ReadError::Io)?;
        if !real.starts_with(&self.real) {
            return Err(ReadError::Outside);
        }
        let mut file = std::fs::File::open(&real).map_err(ReadError::Io)?;
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf).map_err(ReadError::Io)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(hex(&hasher.finalize()))
    }

    /// The size of a file, through the same gate (to refuse oversized files before reading).
    pub(crate) fn size(&self, rel: &Path) -> Result<u64, ReadError> {
        let real = self.path(rel).canonicalize().map_err(ReadError::Io)?;
        if !real.starts_with(&self.real) {
            return Err(ReadError::Outside);
        }
        std::fs::metadata(&real).map(|m| m.len()).map_err(ReadError::Io)
    }
}

impl Project {
    /// The absolute path at which root-relative `rel` may be written, with the folders on the way
    /// created: every folder that exists must resolve inside the root (a symlinked `out/` or
    /// month folder pointing elsewhere is refused, and no folder is created through one), and so
    /// must the file itself if it is already there as a link.
    pub(crate) fn writable(&self, rel: &Path) -> Result<PathBuf, WriteError> {
        let rel = rel.strip_prefix(&self.root).unwrap_or(rel);
        if !rel.components().all(|c| matches!(c, std::path::Component::Normal(_))) {
            return Err(WriteError::Outside);
        }
        let mut dir = self.real.clone();
        let parent = rel.parent().unwrap_or(Path::new(""));
        for part in parent.components() {
            let next = dir.join(part);
            match std::fs::symlink_metadata(&next) {
                Ok(_) => {
                    let real = next.canonicalize().map_err(WriteError::Io)?;
                    if !real.starts_with(&self.real) || !real.is_dir() {
                        return Err(if real.is_dir() {
                            WriteError::Outside
                        } else {
                            WriteError::Io(io::Error::new(io::ErrorKind::NotADirectory, "不是文件夹"))
                        });
                    }
                    dir = real;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    std::fs::create_dir(&next)
                        .or_else(|e| {
                            if e.kind() == io::ErrorKind::AlreadyExists {
                                Ok(())
                            } else {
                                Err(e)
                            }
                        })
                        .map_err(WriteError::Io)?;
                    dir = next;
                }
                Err(e) => return Err(WriteError::Io(e)),
            }
        }
        let Some(name) = rel.file_name() else {
            return Ok(dir);
        };
        let target = dir.join(name);
        if std::fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink())
            && !target.canonicalize().is_ok_and(|real| real.starts_with(&self.real))
        {
            return Err(WriteError::Outside);
        }
        Ok(target)
    }

    /// Writes root-relative `rel` atomically and durably (synced before the rename), through the
    /// gate of [`Project::writable`].
    pub(crate) fn write(&self, rel: &Path, bytes: &[u8]) -> Result<(), WriteError> {
        self.write_together(&[(rel, bytes, true)]).map_err(|f| f.error)
    }

    /// Writes `bytes` to a new temporary file for root-relative `rel` (synced when `durable`):
    /// the temporary file and the target it is to replace.
    fn stage(&self, &(rel, bytes, durable): &(&Path, &[u8], bool)) -> Result<(PathBuf, PathBuf), WriteError> {
        let target = self.writable(rel)?;
        let tmp = self.scratch_file(&target)?;
        write_new(&tmp, bytes, durable).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            WriteError::Io(e)
        })?;
        Ok((tmp, target))
    }

    /// Writes several files so that they are replaced together: each is written and synced to a
    /// temporary file first, and only when every one is complete are they renamed into place. When
    /// a file cannot be written (a full disk), none is replaced; the failure says which files were
    /// replaced in the rare case a rename fails. Each file is synced to the disk before the
    /// renames when its flag says so (not a file that can be made again, such as the generated
    /// source).
    pub(crate) fn write_together(&self, files: &[(&Path, &[u8], bool)]) -> Result<(), WriteFailure> {
        self.write_together_on(files, true)
    }

    /// [`Project::write_together`], the files staged side by side on rayon's pool only when
    /// `pool` says so: a thread outside a pool that is busy (a batch's writer, beside its
    /// workers) stages them in turn rather than wait for a free thread of it.
    pub(crate) fn write_together_on(&self, files: &[(&Path, &[u8], bool)], pool: bool) -> Result<(), WriteFailure> {
        let undo = |staged: &[(PathBuf, PathBuf)]| {
            for (tmp, _) in staged {
                let _ = std::fs::remove_file(tmp);
            }
        };
        // Several files are written and synced side by side (on rayon's threads, already
        // running): the disk commits their syncs together.
        let staging: Vec<Result<(PathBuf, PathBuf), WriteError>> = match files {
            [one] => vec![self.stage(one)],
            _ if !pool => files.iter().map(|f| self.stage(f)).collect(),
            _ => {
                use rayon::prelude::*;
                files
                    .par_iter()
                    .map(|f| {
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.stage(f)))
                            .unwrap_or_else(|_| Err(WriteError::Io(io::Error::other("写入时出现内部错误"))))
                    })
                    .collect()
            }
        };
        let (mut staged, mut failed) = (Vec::new(), None);
        for (i, s) in staging.into_iter().enumerate() {
            match s {
                Ok(pair) => staged.push(pair),
                Err(error) => {
                    failed.get_or_insert((i, error));
                }
            }
        }
        if let Some((at, error)) = failed {
            undo(&staged);
            return Err(WriteFailure::new(files[at].0, error, Vec::new()));
        }
        crate::crash::point("write:staged");
        // Several files: the renames to come are written down first, so that a run killed
        // among them is finished by the next one ([`sweep`]) rather than left half replaced.
        let journal = (staged.len() > 1).then(|| journal_path(&staged[0].0));
        if let Some(journal) = &journal {
            let lines: String = staged
                .iter()
                .zip(files)
                .map(|((tmp, _), (rel, ..))| {
                    let name = tmp
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let rel = rel.strip_prefix(&self.root).unwrap_or(rel);
                    format!("{name}\t{}\n", rel.display())
                })
                .collect();
            // Not synced: it is for a run killed among the renames, whose written files the
            // system keeps.
            if let Err(e) = write_new(journal, lines.as_bytes(), false) {
                undo(&staged);
                let _ = std::fs::remove_file(journal);
                return Err(WriteFailure::new(files[0].0, WriteError::Io(e), Vec::new()));
            }
        }
        crate::crash::point("write:journalled");
        let mut replaced = Vec::new();
        for (i, ((tmp, target), (rel, ..))) in staged.iter().zip(files).enumerate() {
            if i == 1 {
                crate::crash::point("write:renaming");
            }
            self.forget_file(rel);
            if let Err(e) = rename(tmp, target) {
                undo(&staged[i..]);
                if let Some(journal) = &journal {
                    let _ = std::fs::remove_file(journal);
                }
                return Err(WriteFailure::new(rel, WriteError::Io(e), replaced));
            }
            replaced.push(rel.to_path_buf());
        }
        if let Some(journal) = &journal {
            let _ = std::fs::remove_file(journal);
        }
        Ok(())
    }

    /// Finishes or removes what a killed run left in the scratch folder ([`sweep`]), once per
    /// process and project: before a command reads the outputs or writes new ones.
    pub(crate) fn recover(&self) {
        static SWEPT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
        let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
        if !swept.contains(&self.real) {
            swept.push(self.real.clone());
            sweep(self);
        }
    }

    /// A new temporary file for writing `target`: in `out/.tongbao-tmp/` (never beside a file
    /// under data/ or schemas/, where `git add` would stage it), left there only by a killed run,
    /// whose leftovers the next run removes ([`sweep`]).
    fn scratch_file(&self, target: &Path) -> Result<PathBuf, WriteError> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let dir = self.create_dir(Path::new(SCRATCH))?;
        self.recover();
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        Ok(dir.join(format!("{}-{n}-{name}", std::process::id())))
    }

    /// Drops what was read of `rel` (about to be replaced).
    fn forget_file(&self, rel: &Path) {
        let rel = rel.strip_prefix(&self.root).unwrap_or(rel);
        self.reads.lock().unwrap_or_else(|e| e.into_inner()).remove(rel);
    }

    /// Like [`Project::write`] without waiting for the disk: for files that can be regenerated
    /// (the generated Typst source, stamps, caches). Readers still never see half a file.
    pub(crate) fn write_unsynced(&self, rel: &Path, bytes: &[u8]) -> Result<(), WriteError> {
        let target = self.writable(rel)?;
        let tmp = self.scratch_file(&target)?;
        self.forget_file(rel);
        let written = std::fs::write(&tmp, bytes).and_then(|()| rename(&tmp, &target));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.map_err(WriteError::Io)
    }

    /// Creates folder `rel` (and the folders on the way) through the gate; returns its path.
    pub(crate) fn create_dir(&self, rel: &Path) -> Result<PathBuf, WriteError> {
        let path = self.writable(&rel.join("x"))?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or(path);
        Ok(dir)
    }
}

/// Where temporary files are written before they are renamed into place (build output, ignored
/// by git with the rest of out/).
pub(crate) const SCRATCH: &str = "out/.tongbao-tmp";

/// Writes a new file, synced to the disk when `durable`.
fn write_new(path: &Path, bytes: &[u8], durable: bool) -> io::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    if durable { file.sync_all() } else { Ok(()) }
}

/// Renames `tmp` to `target`; across file systems (an out/ mounted elsewhere) by a copy beside
/// the target first, so the target is still replaced in one step.
fn rename(tmp: &Path, target: &Path) -> io::Result<()> {
    match std::fs::rename(tmp, target) {
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
            let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
            let beside = target.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
            let copied = std::fs::copy(tmp, &beside).and_then(|_| std::fs::rename(&beside, target));
            let _ = std::fs::remove_file(if copied.is_ok() { tmp } else { &beside });
            copied
        }
        other => other,
    }
}

/// The journal of a set of renames, named after its first temporary file's process.
/// Named after its first file (`<pid>-<n>-…` → `<pid>-<n>-journal`), so that the builds of one
/// process writing at once (`build --all`) keep a journal each.
fn journal_path(first_tmp: &Path) -> PathBuf {
    let name = first_tmp
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem: Vec<&str> = name.splitn(3, '-').take(2).collect();
    first_tmp.with_file_name(format!("{}-journal", stem.join("-")))
}

/// Whether `name` is one of tongbao's own in the scratch folder (`<pid>-…`): nothing else there
/// is ever touched.
fn ours(name: &str) -> Option<u32> {
    let (pid, rest) = name.split_once('-')?;
    (!rest.is_empty() && !rest.contains(['/', '\\'])).then_some(())?;
    pid.parse().ok()
}

/// Finishes the renames a killed run wrote down in its journal (`<temporary file>\t<root-relative
/// target>` a line): each temporary file still there, in the scratch folder itself, is renamed to
/// its target through the write gate, unless the target is newer (a later run wrote it: never
/// rolled back).
fn finish(project: &Project, scratch: &Path, journal: &Path) {
    let text = std::fs::read_to_string(journal).unwrap_or_default();
    for line in text.lines() {
        let Some((name, rel)) = line.split_once('\t') else {
            continue;
        };
        if ours(name).is_none() {
            continue;
        }
        let tmp = scratch.join(name);
        let Ok(target) = project.writable(Path::new(rel)) else {
            continue;
        };
        let modified = |p: &Path| std::fs::symlink_metadata(p).and_then(|m| m.modified()).ok();
        let newer = matches!((modified(&target), modified(&tmp)), (Some(t), Some(s)) if t > s);
        if std::fs::symlink_metadata(&tmp).is_ok_and(|m| m.is_file()) && !newer {
            let _ = rename(&tmp, &target);
        }
    }
    let _ = std::fs::remove_file(journal);
}

/// Removes what killed runs left in the scratch folder (a real folder inside the project, never
/// a link): tongbao's own entries of processes that no longer run (on Linux, told by /proc; a
/// process's own from an earlier run under the same number too, since this runs before the
/// process writes anything), or older than a day elsewhere; a journal of renames is finished
/// first ([`finish`]).
fn sweep(project: &Project) {
    let scratch = project.path(SCRATCH);
    let real = std::fs::symlink_metadata(&scratch).is_ok_and(|m| m.is_dir())
        && scratch.canonicalize().is_ok_and(|r| r.starts_with(&project.real));
    let Ok(entries) = std::fs::read_dir(&scratch).map(|e| e.filter_map(Result::ok).collect::<Vec<_>>()) else {
        return;
    };
    if !real {
        return;
    }
    let mut entries = entries;
    // Journals first: their files are still needed.
    entries.sort_by_key(|e| !e.file_name().to_string_lossy().ends_with("-journal"));
    let proc = Path::new("/proc/self").exists();
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = ours(&name) else { continue };
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let gone = if proc {
            !Path::new(&format!("/proc/{pid}")).exists() || pid == std::process::id()
        } else {
            meta.modified()
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(24 * 3600))
        };
        if !gone {
            continue;
        }
        let _ = if name.ends_with("-journal") {
            finish(project, &scratch, &path);
            Ok(())
        } else if meta.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
}

/// Files that could not all be written: the one that failed and why, and those already replaced.
#[derive(Debug)]
pub(crate) struct WriteFailure {
    pub file: PathBuf,
    pub error: WriteError,
    pub replaced: Vec<PathBuf>,
}

impl WriteFailure {
    fn new(file: &Path, error: WriteError, replaced: Vec<PathBuf>) -> WriteFailure {
        WriteFailure {
            file: file.to_path_buf(),
            error,
            replaced,
        }
    }
}

/// Bytes as lowercase hex (a digest as manifests write it).
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A short Chinese reason for an I/O error: what the system said, in Chinese (its number kept
/// for the rare error not named here).
pub(crate) fn io_reason(e: &io::Error) -> String {
    use io::ErrorKind as K;
    // tongbao's own errors carry their Chinese words.
    if let Some(own) = e.get_ref().map(ToString::to_string).filter(|m| !m.is_ascii()) {
        return own;
    }
    let named = match e.kind() {
        K::NotFound => "文件不存在",
        K::PermissionDenied => "没有权限",
        K::StorageFull => "磁盘已满",
        K::QuotaExceeded => "超出了磁盘配额",
        K::ReadOnlyFilesystem => "所在的磁盘是只读的",
        K::AlreadyExists => "文件已存在",
        K::IsADirectory => "这是文件夹，不是文件",
        K::NotADirectory => "路径中有一段不是文件夹",
        K::DirectoryNotEmpty => "文件夹不是空的",
        K::FileTooLarge => "文件超过了文件系统允许的大小",
        K::ResourceBusy => "文件正被其他程序占用",
        K::InvalidFilename => "文件名不合规（过长或含有不允许的字符）",
        K::TimedOut => "操作超时",
        K::OutOfMemory => "内存不足",
        K::CrossesDevices => "不能跨磁盘移动",
        K::TooManyLinks => "链接过多",
        K::StaleNetworkFileHandle => "网络文件已失效（网络驱动器断开过）",
        K::UnexpectedEof => "文件在读完之前就结束了（文件不完整）",
        K::InvalidData => "文件内容无效",
        _ => match e.raw_os_error() {
            Some(5) => "读写出错（磁盘或网络驱动器故障）",
            Some(23 | 24) => "打开的文件太多（已到系统的上限）",
            Some(n) => return format!("系统错误（错误号 {n}）"),
            None => "系统错误",
        },
    };
    named.to_string()
}

impl ReadError {
    /// What went wrong, in Chinese, never quoting the file's content.
    pub(crate) fn reason(&self) -> String {
        match self {
            ReadError::Io(e) => io_reason(e),
            ReadError::Outside => "它指向项目文件夹之外（符号链接或 ..），为安全起见不予读取".into(),
            ReadError::TooBig(n) => format!(
                "文件过大（{}，任何输入文件都不能超过 {}）",
                crate::limits::size(*n),
                crate::limits::size(crate::limits::INPUT_BYTES)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every write goes through out/.tongbao-tmp: nothing temporary is created beside a file under
    /// data/ or schemas/ (where `git add` would stage it), and nothing is left after a write.
    #[test]
    fn temporary_files_are_made_in_the_scratch_folder_only() {
        let dir = tempfile::tempdir().unwrap();
        let project = Project::new(dir.path());
        for rel in [
            "data/2023-03/12345.yaml",
            "schemas/12345.json",
            "out/2023-03/circular.pdf",
        ] {
            let target = project.writable(Path::new(rel)).unwrap();
            let tmp = project.scratch_file(&target).unwrap();
            assert!(tmp.starts_with(project.path(SCRATCH)), "{rel}: {}", tmp.display());
            project.write(Path::new(rel), b"x").unwrap();
            assert_eq!(std::fs::read(project.path(rel)).unwrap(), b"x");
        }
        for folder in ["data/2023-03", "schemas", "out/2023-03", SCRATCH] {
            let names: Vec<_> = std::fs::read_dir(project.path(folder))
                .unwrap()
                .flatten()
                .map(|e| e.file_name())
                .collect();
            assert!(names.len() <= 1, "{folder}: {names:?}");
        }
    }

    /// A journal of renames left by a killed run is finished: the files it staged are put in
    /// place, all of them.
    #[test]
    fn a_killed_runs_renames_are_finished() {
        let dir = tempfile::tempdir().unwrap();
        let project = Project::new(dir.path());
        let scratch = project.create_dir(Path::new(SCRATCH)).unwrap();
        let dead = 999_999_999u32;
        let mut lines = String::new();
        for name in ["circular.pdf", "circular.html"] {
            let tmp = format!("{dead}-0-{name}");
            std::fs::write(scratch.join(&tmp), name).unwrap();
            lines.push_str(&format!("{tmp}\tout/2023-03/{name}\n"));
        }
        // A journal may not move a file from elsewhere, nor to outside the project.
        let outside = dir.path().parent().unwrap().join("tongbao-test-outside.txt");
        lines.push_str(&format!(
            "../../etc/passwd\tout/x\n{dead}-0-circular.pdf\t../{}\n",
            outside.display()
        ));
        std::fs::write(scratch.join(format!("{dead}-0-journal")), lines).unwrap();
        std::fs::write(scratch.join(format!("{dead}-1-orphan")), "x").unwrap();
        std::fs::write(scratch.join("not-ours"), "x").unwrap();
        sweep(&project);
        assert!(!outside.exists());
        assert!(!project.path("out/x").exists());
        assert!(
            scratch.join("not-ours").exists(),
            "only tongbao's own entries are touched"
        );
        std::fs::remove_file(scratch.join("not-ours")).unwrap();
        assert_eq!(
            std::fs::read_to_string(project.path("out/2023-03/circular.pdf")).unwrap(),
            "circular.pdf"
        );
        assert_eq!(
            std::fs::read_to_string(project.path("out/2023-03/circular.html")).unwrap(),
            "circular.html"
        );
        assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0);
    }

    /// Builds of one process writing at once keep their own journals and all their files.
    #[test]
    fn writes_at_once_in_one_process_keep_apart() {
        let dir = tempfile::tempdir().unwrap();
        let project = Project::new(dir.path());
        std::thread::scope(|scope| {
            for month in ["2023-01", "2023-02", "2023-03", "2023-04"] {
                let project = &project;
                scope.spawn(move || {
                    for round in 0..20 {
                        let pdf = PathBuf::from(format!("out/{month}/circular.pdf"));
                        let html = PathBuf::from(format!("out/{month}/circular.html"));
                        let body = format!("{month} {round}");
                        let files = [
                            (pdf.as_path(), body.as_bytes(), false),
                            (html.as_path(), body.as_bytes(), false),
                        ];
                        project.write_together(&files).unwrap();
                    }
                });
            }
        });
        for month in ["2023-01", "2023-02", "2023-03", "2023-04"] {
            for file in ["circular.pdf", "circular.html"] {
                let text = std::fs::read_to_string(project.path(format!("out/{month}/{file}"))).unwrap();
                assert_eq!(text, format!("{month} 19"));
            }
        }
        assert_eq!(
            std::fs::read_dir(project.path(SCRATCH)).unwrap().count(),
            0,
            "journals and files left"
        );
        let a = journal_path(Path::new("/s/12-3-circular.pdf"));
        let b = journal_path(Path::new("/s/12-4-circular.pdf"));
        assert_ne!(a, b);
        assert_eq!(a, Path::new("/s/12-3-journal"));
    }

    #[test]
    fn the_systems_errors_are_said_in_chinese() {
        for (kind, said) in [
            (io::ErrorKind::StorageFull, "磁盘已满"),
            (io::ErrorKind::ReadOnlyFilesystem, "所在的磁盘是只读的"),
            (io::ErrorKind::PermissionDenied, "没有权限"),
        ] {
            assert_eq!(io_reason(&io::Error::from(kind)), said);
        }
        assert_eq!(
            io_reason(&io::Error::from_raw_os_error(24)),
            "打开的文件太多（已到系统的上限）"
        );
        assert!(io_reason(&io::Error::from_raw_os_error(4095)).starts_with("系统错误"));
        assert_eq!(io_reason(&io::Error::other("没有这个表")), "没有这个表");
        assert!(!io_reason(&io::Error::other("disk on fire")).contains("fire"));
    }
}

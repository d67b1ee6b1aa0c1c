//! The project: its root folder, every path tongbao reads or writes under it, and the one gate
//! through which every input file is read.
//!
//! Paths are spelt here and nowhere else. A build reads the registry, the table descriptions, the
//! month's folder (and the months it compares with), the templates, the fonts, the assets and the
//! configuration; [`INPUTS`] names those top-level places for the watcher, the hooks and the
//! provenance manifest. [`Project::read`] refuses any file whose real path (symlinks resolved) lies
//! outside the root, so a symlink committed into `data/` cannot publish a CI runner's files.

use std::io;
use std::path::{Path, PathBuf};

use crate::calendar::MonthId;

pub(crate) const DATA: &str = "data";
pub(crate) const REGISTRY: &str = "data/units.yaml";
pub(crate) const TABLES: &str = "data/tables";
pub(crate) const TEMPLATES: &str = "templates";
pub(crate) const FONTS: &str = "fonts";
pub(crate) const ASSETS: &str = "assets";
pub(crate) const CONFIG: &str = "tongbao.yaml";
pub(crate) const OUT: &str = "out";
/// A month's own text and metadata, inside its folder.
pub(crate) const DOCUMENT: &str = "document.yaml";
/// The month's circular as staff type it, inside its folder.
pub(crate) const TEXT: &str = "通报.txt";
/// The record of an issued circular, inside its folder (with the issued PDF beside it).
pub(crate) const ISSUE_RECORD: &str = "issued.yaml";
pub(crate) const ISSUED_PDF: &str = "issued.pdf";
/// Where file digests are remembered between runs (build output, never committed).
pub(crate) const DIGEST_CACHE: &str = "out/.tongbao-digests.json";

/// The top-level folders and files whose content can change what a build makes.
pub(crate) const INPUTS: [&str; 5] = [DATA, TEMPLATES, FONTS, ASSETS, CONFIG];

/// Why a file could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    Io(io::Error),
    /// The file's real path is outside the project root (a symlink pointing out, or `..`).
    Outside,
}

#[derive(Debug, Clone)]
pub struct Project {
    root: PathBuf,
    /// The root with symlinks resolved, for the inside-the-root test.
    real: PathBuf,
}

impl Project {
    /// The project rooted at `root` (which must exist for reads to succeed). A relative root is
    /// made absolute first, so paths found by walking a folder of the project (fonts/) and paths
    /// joined to the root name the same files.
    pub fn new(root: &Path) -> Project {
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        let real = root.canonicalize().unwrap_or_else(|_| root.clone());
        Project { root, real }
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

    pub(crate) fn out_dir(&self, month: &str) -> PathBuf {
        Path::new(OUT).join(month)
    }

    pub fn pdf(&self, month: &str) -> PathBuf {
        self.out_dir(month).join("circular.pdf")
    }

    /// The circular as a web page for the portal.
    pub(crate) fn html(&self, month: &str) -> PathBuf {
        self.out_dir(month).join("circular.html")
    }

    /// The web page's body and tables alone, for a CMS editor.
    pub(crate) fn html_fragment(&self, month: &str) -> PathBuf {
        self.out_dir(month).join("circular.fragment.html")
    }

    /// The circular as a Word file.
    pub(crate) fn docx(&self, month: &str) -> PathBuf {
        self.out_dir(month).join("circular.docx")
    }

    /// The generated Typst source, as the root-relative `/`-separated path Typst sees.
    pub(crate) fn typst_source(&self, month: &str) -> String {
        format!("{OUT}/{month}/circular.typ")
    }

    /// The months a month's circular may compare with: the months before it (a period of up to
    /// three months compares with the month before the period) and the same month a year before.
    pub(crate) fn compared(&self, month: &MonthId) -> [MonthId; 4] {
        [month.plus(-1), month.plus(-2), month.plus(-3), month.year_before()]
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

    /// Every input file of a month's build, root-relative and `/`-separated, sorted: the
    /// configuration, the registry and descriptions, the month and the months it compares with,
    /// the templates, the fonts and the assets. Hidden files and issue records are left out.
    pub(crate) fn inputs(&self, month: &str) -> Vec<String> {
        let mut places: Vec<String> = vec![CONFIG.into(), REGISTRY.into(), TABLES.into()];
        places.push(format!("{DATA}/{month}"));
        if let Some(id) = MonthId::parse(month) {
            places.extend(self.compared(&id).iter().map(|m| format!("{DATA}/{}", m.name())));
        }
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
                let hidden = rel
                    .components()
                    .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
                if entry.file_type().is_file() && !hidden {
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
    /// path is outside the root, without opening it.
    pub(crate) fn read(&self, rel: &Path) -> Result<Vec<u8>, ReadError> {
        let real = self.path(rel).canonicalize().map_err(ReadError::Io)?;
        if !real.starts_with(&self.real) {
            return Err(ReadError::Outside);
        }
        std::fs::read(&real).map_err(ReadError::Io)
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

/// A short Chinese reason for an I/O error.
pub(crate) fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "文件不存在".into(),
        io::ErrorKind::PermissionDenied => "没有权限".into(),
        _ => e.to_string(),
    }
}

impl ReadError {
    /// What went wrong, in Chinese, never quoting the file's content.
    pub(crate) fn reason(&self) -> String {
        match self {
            ReadError::Io(e) => io_reason(e),
            ReadError::Outside => "它指向项目文件夹之外（符号链接或 ..），为安全起见不予读取".into(),
        }
    }
}

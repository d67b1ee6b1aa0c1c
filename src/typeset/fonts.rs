//! Fonts: the project's `fonts/` folder (official faces an office adds, plus the bundled open
//! stand-ins), typst-assets' Latin fonts, and with `--system-fonts` the machine's fonts. Each role
//! (title, body, headings, page numbers, Latin) has a preference list, official faces first; the
//! first family present serves the role.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use typst::text::{Font, FontBook, FontInfo, FontStretch, FontStyle, FontVariant, FontWeight};
use typst::utils::LazyHash;
use typst_kit::fonts::{self, FontPath, FontStore};

use crate::load::config::Config;
use crate::project::{FONTS, Project};

/// Where a font came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Origin {
    /// A file in the project's `fonts/` folder (path relative to the root).
    Project(PathBuf),
    /// A font installed on the machine (only with `--system-fonts`).
    System(PathBuf),
    /// Compiled into tongbao (typst-assets' Latin fonts).
    Embedded,
}

/// A typographic role of the circular and the families that may serve it, best first.
#[derive(Debug, Clone, Serialize)]
pub struct Role {
    /// Key used by the templates (`title`, `body`, …).
    pub key: &'static str,
    /// Chinese name of the role, for reports.
    pub name: &'static str,
    /// Family names, official faces first, then the bundled stand-ins.
    pub families: Vec<String>,
    /// The weight the templates ask for (700 for the title, 400 otherwise).
    pub weight: u16,
}

/// The punctuation of Chinese text (GB/T 15834), one character wide in every role.
pub(crate) const MARKS: &str = "，。、；：？！“”‘’（）《》〈〉【】〔〕「」『』…—·";

/// A mark narrower than this (in em) is not full-width (a Latin-style quote is about 0.35 em).
const FULL_WIDTH: f64 = 0.85;

/// The roles whose faces may lend a mark to another role, in order of preference: the body's
/// 仿宋 first (closest to 楷体 and plain enough for any role), the Latin face never.
const LENDERS: [&str; 5] = ["body", "heading2", "title", "heading1", "page"];

/// The open stand-in families bundled in `fonts/` (everything else counts as an official face).
pub(crate) const STANDINS: &[&str] = &[
    "Noto Serif CJK SC",
    "FandolFang",
    "Noto Sans CJK SC",
    "WenKai GB2312",
    "Liberation Serif",
];

/// Whether `family` is one of the bundled stand-ins.
pub(crate) fn is_standin(family: &str) -> bool {
    STANDINS.iter().any(|s| s.eq_ignore_ascii_case(family))
}

/// The roles with the configuration's preferences applied over the defaults.
pub(crate) fn roles(config: &Config) -> Vec<Role> {
    let mut roles = default_roles();
    for (key, families) in &config.fonts {
        if let Some(role) = roles.iter_mut().find(|r| r.key == *key) {
            role.families = families.clone();
        }
    }
    roles
}

/// The default roles (GB/T 9704-2012 styles and their open stand-ins).
fn default_roles() -> Vec<Role> {
    let role = |key, name, official: &[&str], standins: &[&str]| Role {
        key,
        name,
        families: official.iter().chain(standins).map(|s| s.to_string()).collect(),
        weight: if key == "title" { 700 } else { 400 },
    };
    vec![
        role(
            "title",
            "标题（小标宋）",
            &["方正小标宋简体", "FZXiaoBiaoSong-B05S", "方正小标宋_GBK"],
            &["Noto Serif CJK SC"],
        ),
        role(
            "body",
            "正文（仿宋）",
            &["仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong"],
            &["FandolFang"],
        ),
        role(
            "heading1",
            "一级标题（黑体）",
            &["黑体", "SimHei"],
            &["Noto Sans CJK SC"],
        ),
        role(
            "heading2",
            "二级标题（楷体）",
            &["楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi"],
            &["WenKai GB2312"],
        ),
        role("page", "页码（宋体）", &["宋体", "SimSun"], &["Noto Serif CJK SC"]),
        role("latin", "西文与数字", &["Times New Roman"], &["Liberation Serif"]),
    ]
}

/// The extensions of the font files fontdb reads.
const FONT_FILES: [&str; 4] = ["ttf", "otf", "ttc", "otc"];

/// The font files under fonts/ the scan did not take (found: taken; refused: outside the
/// project), root-relative, each with why it could not be used.
fn unreadable(project: &Project, found: &[(FontPath, FontInfo)], refused: &[PathBuf]) -> Vec<(PathBuf, String)> {
    let root = project.root();
    let taken: std::collections::HashSet<&Path> = found.iter().map(|(p, _)| p.path.as_path()).collect();
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(project.path(FONTS)).follow_links(true) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) if e.io_error().is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) => continue,
            Err(e) => {
                let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| project.path(FONTS));
                let why = e
                    .io_error()
                    .map_or_else(|| "无法读取".to_string(), crate::project::io_reason);
                out.push((path.strip_prefix(root).unwrap_or(&path).to_path_buf(), why));
                continue;
            }
        };
        let path = entry.path();
        let font = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| FONT_FILES.contains(&e.to_ascii_lowercase().as_str()));
        let rel = path.strip_prefix(root).unwrap_or(path).to_path_buf();
        // A link is taken under its real path; one leading outside is the refused fonts' warning;
        // hidden files (`._SimSun.ttf` from a Mac) are never inputs.
        let real = path.canonicalize().ok();
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        let known = taken.contains(path)
            || real
                .as_deref()
                .is_some_and(|r| taken.contains(r) || !project.contains(&rel))
            || refused.contains(&rel);
        if font && entry.file_type().is_file() && !hidden && !known {
            out.push((rel, reason(path)));
        }
    }
    out
}

/// Why a font file could not be used: what the system says when it is opened, or that it is not
/// a font it can read.
fn reason(path: &Path) -> String {
    // Read whole only on this failing path, and within a bound far above any font.
    match crate::limits::read_bounded(path, 1 << 29) {
        Err(crate::limits::Refused::Io(e)) => crate::project::io_reason(&e),
        Err(_) => "不是可用的字体文件（文件过大或不是普通文件）".to_string(),
        // Readable and a font now: it could not be opened when the fonts were scanned.
        Ok(bytes) if ttf_parser::Face::parse(&bytes, 0).is_ok() => {
            "扫描字体时打不开它（多半是打开的文件太多，已到系统的上限）；请关掉一些程序后重新运行".to_string()
        }
        Ok(_) => "不是可用的字体文件（文件损坏或格式不对）".to_string(),
    }
}

/// The loaded fonts and where each came from.
pub struct FontSet {
    root: PathBuf,
    store: FontStore,
    origins: Vec<Origin>,
    /// Font files under fonts/ that were skipped because their real path is outside the project.
    refused: Vec<PathBuf>,
    /// Font files under fonts/ that could not be read or are not fonts, with the reason
    /// (root-relative): a build from such a folder fails rather than set the text in another face.
    unreadable: Vec<(PathBuf, String)>,
    /// Fonts Typst asked for that could not be loaded then (a file gone or unreadable since the
    /// scan, too many open files): by index.
    failed: std::sync::Mutex<std::collections::BTreeSet<usize>>,
    /// Each font's coverage of the Basic Multilingual Plane as a bit set, made when first asked
    /// (typst's `Coverage::contains` walks the font's runs, thousands for a Chinese face).
    bmp: Vec<std::sync::OnceLock<Vec<u64>>>,
    /// Where each font is, when it is a file (a project's or the machine's): its path and index.
    files: Vec<Option<(PathBuf, u32)>>,
    /// The marks each face (family, weight) sets full-width, measured once.
    full: std::sync::Mutex<std::collections::HashMap<(String, u16), Vec<char>>>,
}

impl FontSet {
    /// Scans the project's `fonts/` (recursively), adds typst-assets' fonts and, if asked, the
    /// system's. Project fonts come first so that an office's own faces win over everything else;
    /// a font file whose real path is outside the project (a symlink pointing out) is skipped.
    pub(crate) fn load(project: &Project, system: bool) -> FontSet {
        let mut store = FontStore::new();
        let mut origins = Vec::new();
        let mut files = Vec::new();
        let root = project.root();
        let (mut found, outside): (Vec<(FontPath, FontInfo)>, Vec<_>) =
            fonts::scan(&project.path(FONTS)).partition(|(path, _)| project.contains(&path.path));
        let mut refused: Vec<PathBuf> = outside
            .into_iter()
            .map(|(path, _)| path.path.strip_prefix(root).unwrap_or(&path.path).to_path_buf())
            .collect();
        refused.sort();
        refused.dedup();
        let unreadable = unreadable(project, &found, &refused);
        // fontdb's order follows the directory listing; sort so every machine builds the same book.
        found.sort_by(|a, b| (&a.0.path, a.0.index).cmp(&(&b.0.path, b.0.index)));
        for (path, info) in found {
            let rel = path.path.strip_prefix(root).unwrap_or(&path.path).to_path_buf();
            origins.push(Origin::Project(rel));
            files.push(Some((path.path.clone(), path.index)));
            store.push((path, info));
        }
        if system {
            let mut sys: Vec<(FontPath, FontInfo)> = fonts::system().collect();
            sys.sort_by(|a, b| (&a.0.path, a.0.index).cmp(&(&b.0.path, b.0.index)));
            for (path, info) in sys {
                origins.push(Origin::System(path.path.clone()));
                files.push(Some((path.path.clone(), path.index)));
                store.push((path, info));
            }
        }
        for (font, info) in fonts::embedded() {
            origins.push(Origin::Embedded);
            files.push(None);
            store.push((font, info));
        }
        FontSet {
            root: root.to_path_buf(),
            bmp: origins.iter().map(|_| std::sync::OnceLock::new()).collect(),
            full: Default::default(),
            files,
            store,
            origins,
            refused,
            unreadable,
            failed: Default::default(),
        }
    }

    /// Font files under fonts/ that could not be read or are not fonts, with the reason: each
    /// fails a build.
    pub(crate) fn unreadable(&self) -> &[(PathBuf, String)] {
        &self.unreadable
    }

    /// Fonts that could not be loaded when Typst asked for them, with the reason: each fails the
    /// build that asked.
    pub(crate) fn failed_loads(&self) -> Vec<(PathBuf, String)> {
        let failed = self.failed.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut out: Vec<(PathBuf, String)> = failed
            .into_iter()
            .filter_map(|index| match self.files.get(index) {
                Some(Some((path, _))) => Some((
                    path.strip_prefix(&self.root).unwrap_or(path).to_path_buf(),
                    reason(path),
                )),
                _ => None,
            })
            .collect();
        out.dedup();
        out
    }

    /// Font files under fonts/ skipped because they lead outside the project (root-relative).
    pub(crate) fn refused(&self) -> &[PathBuf] {
        &self.refused
    }

    /// The font book (for `World::book`).
    pub(crate) fn book(&self) -> &LazyHash<FontBook> {
        self.store.book()
    }

    /// Font `index` (for `World::font`).
    pub(crate) fn font(&self, index: usize) -> Option<Font> {
        let font = self.store.font(index);
        if font.is_none() && self.files.get(index).is_some_and(Option::is_some) {
            self.failed.lock().unwrap_or_else(|e| e.into_inner()).insert(index);
        }
        font
    }

    /// Whether some font covers character `c`.
    pub(crate) fn covers(&self, c: char) -> bool {
        let book = self.store.book();
        let n = c as usize;
        (0..self.origins.len()).any(|i| {
            let Some(info) = book.info(i) else { return false };
            if n >= 0x10000 {
                return info.coverage.contains(c as u32);
            }
            let bits = self.bmp[i].get_or_init(|| {
                let mut bits = vec![0u64; 0x10000 / 64];
                for cp in info.coverage.iter().take_while(|cp| *cp < 0x10000) {
                    bits[cp as usize / 64] |= 1 << (cp % 64);
                }
                bits
            });
            bits[n / 64] & (1 << (n % 64)) != 0
        })
    }

    /// Which of [`MARKS`] `family` at `weight` (the face Typst would pick) sets full-width: the
    /// face is parsed once for all of them. Empty when there is no such face.
    fn full_width_marks(&self, family: &str, weight: u16) -> Vec<char> {
        let variant = FontVariant::new(FontStyle::Normal, FontWeight::from_number(weight), FontStretch::NORMAL);
        let Some(index) = self.store.book().select(&family.to_lowercase(), variant) else {
            return Vec::new();
        };
        // A font file is mapped rather than read: only its character map and advances are
        // touched, and the layout loads it only if it sets text in it.
        let mapped = self.files.get(index).cloned().flatten().and_then(|(path, i)| {
            let file = std::fs::File::open(path).ok()?;
            // SAFETY: the font files are the project's inputs, not changed while a build runs; a
            // file changed meanwhile gives wrong widths at worst (ttf-parser checks every offset).
            let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
            Some((map, i))
        });
        let loaded;
        let (data, face_index): (&[u8], u32) = match &mapped {
            Some((map, i)) => (map, *i),
            None => {
                let Some(font) = self.store.font(index) else {
                    return Vec::new();
                };
                loaded = font;
                (loaded.data(), loaded.index())
            }
        };
        let Ok(face) = ttf_parser::Face::parse(data, face_index) else {
            return Vec::new();
        };
        let em = f64::from(face.units_per_em());
        MARKS
            .chars()
            .filter(|c| {
                face.glyph_index(*c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .is_some_and(|a| f64::from(a) / em >= FULL_WIDTH)
            })
            .collect()
    }

    /// For each Chinese role, the marks of [`MARKS`] its face lacks or sets narrower than full
    /// width, grouped by the face of another role that has them full-width (see [`LENDERS`]), as
    /// (marks, family). The templates put those faces before the role's own for those marks, so a
    /// Chinese mark never falls to the Latin face or to a narrow glyph.
    pub(crate) fn mark_fallbacks(&self, resolved: &[Resolved]) -> BTreeMap<&'static str, Vec<(String, String)>> {
        let chosen = |key: &str| {
            resolved
                .iter()
                .find(|r| r.role.key == key)
                .and_then(|r| r.chosen.as_ref().map(|c| (c.family.clone(), r.role.weight)))
        };
        // Each face's full-width marks, measured once.
        let full_width = |family: &str, weight: u16, c: char| {
            let key = (family.to_string(), weight);
            if let Some(marks) = self.full.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
                return marks.contains(&c);
            }
            let marks = self.full_width_marks(family, weight);
            let found = marks.contains(&c);
            self.full.lock().unwrap_or_else(|e| e.into_inner()).insert(key, marks);
            found
        };
        let mut out = BTreeMap::new();
        for role in resolved.iter().filter(|r| LENDERS.contains(&r.role.key)) {
            let Some(own) = &role.chosen else { continue };
            let mut groups: Vec<(String, String)> = Vec::new();
            for c in MARKS.chars() {
                if full_width(&own.family, role.role.weight, c) {
                    continue;
                }
                let lender = LENDERS
                    .iter()
                    .filter(|k| **k != role.role.key)
                    .filter_map(|k| chosen(k))
                    .find(|(family, _)| full_width(family, role.role.weight, c));
                let Some((family, _)) = lender else { continue };
                match groups.iter_mut().find(|(_, f)| *f == family) {
                    Some((marks, _)) => marks.push(c),
                    None => groups.push((c.to_string(), family)),
                }
            }
            if !groups.is_empty() {
                out.insert(role.role.key, groups);
            }
        }
        out
    }

    /// Loads the faces that serve `roles` and measures their marks, so that a build finds them
    /// ready (the session does this on the thread that scans the fonts, while the data is read).
    pub(crate) fn warm(&self, roles: &[Role]) {
        let resolved = self.resolve(roles);
        let _ = self.mark_fallbacks(&resolved);
    }

    /// Resolves each role to the families present, in preference order.
    pub(crate) fn resolve(&self, roles: &[Role]) -> Vec<Resolved> {
        let book = self.store.book();
        roles
            .iter()
            .map(|role| {
                let present: Vec<(usize, &String)> = role
                    .families
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| book.contains_family(&f.to_lowercase()))
                    .collect();
                let chosen = present.first().map(|(_, family)| {
                    let variant = FontVariant::new(
                        FontStyle::Normal,
                        FontWeight::from_number(role.weight),
                        FontStretch::NORMAL,
                    );
                    let index = book.select(&family.to_lowercase(), variant).unwrap_or(0);
                    let origin = self.origins.get(index).cloned().unwrap_or(Origin::Embedded);
                    Chosen {
                        family: (*family).clone(),
                        licence: licence(&self.root, &origin, family),
                        origin,
                        official: !is_standin(family),
                    }
                });
                Resolved {
                    role: role.clone(),
                    present: present.into_iter().map(|(_, f)| f.clone()).collect(),
                    chosen,
                }
            })
            .collect()
    }
}

/// The family chosen for a role.
#[derive(Debug, Clone, Serialize)]
pub struct Chosen {
    pub family: String,
    pub origin: Origin,
    /// Whether it is one of the official faces (false: an open stand-in).
    pub official: bool,
    /// Its licence, where known.
    pub licence: Option<String>,
}

/// The licence of a font: the bundled stand-ins' are known; for other files in `fonts/`, a licence
/// file beside the font sharing its name's first letters (e.g. `NotoCJK-LICENSE.txt`) is named.
fn licence(root: &Path, origin: &Origin, family: &str) -> Option<String> {
    let known = match family {
        "Noto Serif CJK SC" | "Noto Sans CJK SC" | "WenKai GB2312" => Some("SIL OFL 1.1"),
        "FandolFang" => Some("GPL v3 + 字体例外"),
        "Liberation Serif" => Some("GPL v2 + 字体例外"),
        _ => None,
    };
    let Origin::Project(rel) = origin else {
        return known.map(str::to_string);
    };
    let file = rel.file_name()?.to_string_lossy().to_string();
    let prefix: String = file.chars().take(4).collect();
    let dir = root.join(rel.parent()?);
    let mut beside: Vec<String> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| {
            n.starts_with(&prefix)
                && ["LICENSE", "LICENCE", "OFL", "COPYING"]
                    .iter()
                    .any(|k| n.to_uppercase().contains(k))
        })
        .collect();
    beside.sort();
    match (known, beside.first()) {
        (Some(k), Some(f)) => Some(format!("{k}，见 {}", rel.with_file_name(f).display())),
        (None, Some(f)) => Some(format!("见 {}", rel.with_file_name(f).display())),
        (Some(k), None) => Some(k.to_string()),
        (None, None) => None,
    }
}

/// A role and the families that can serve it on this machine.
#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    pub role: Role,
    /// Families present, in preference order (what the template passes to Typst).
    pub present: Vec<String>,
    /// The family that serves the role, if any.
    pub chosen: Option<Chosen>,
}

impl Resolved {
    /// One line for the build report: role, face, where it was found, and whether it stands in.
    pub(crate) fn describe(&self) -> String {
        match &self.chosen {
            None => format!("{}：没有可用字体（请把字体文件放入 fonts/）", self.role.name),
            Some(c) => {
                let place = match &c.origin {
                    Origin::Project(p) => p.display().to_string(),
                    Origin::System(p) => format!("系统字体 {}", p.display()),
                    Origin::Embedded => "内置".to_string(),
                };
                let kind = if c.official {
                    "正式字体".to_string()
                } else {
                    {
                        let wanted: Vec<&str> = self
                            .role
                            .families
                            .iter()
                            .map(String::as_str)
                            .filter(|f| !is_standin(f))
                            .collect();
                        format!("代用字体，未找到 {}", wanted.join("/"))
                    }
                };
                let licence = match &c.licence {
                    Some(l) => format!("；许可：{l}"),
                    None if c.official => "；许可：未知，请确认本单位有使用授权".to_string(),
                    None => String::new(),
                };
                format!("{}：{}（{}；{}{licence}）", self.role.name, c.family, place, kind)
            }
        }
    }
}

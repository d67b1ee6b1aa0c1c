//! Runs the stages in order for one month: load → check → aggregate → render → typeset → output.
//! `build`, `watch`, the tests and the benchmarks all call [`Session::build`]; nothing else builds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use typst_layout::PagedDocument;

use crate::calendar::MonthId;
use crate::diag::{Diagnostic, Severity, Source};
use crate::project::Project;
use crate::typeset::{self, FontSet, Resolved, TongbaoWorld};
use crate::{aggregate, check, load, output, provenance, render};

#[cfg(test)]
pub(crate) mod fuzz;

/// Options of a build session.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Also use the machine's installed fonts (default: only the project's, for reproducibility).
    pub system_fonts: bool,
    /// Write a tagged (accessible) PDF; off by default to keep the file small.
    pub tagged: bool,
    /// Also write the web page and its fragment (`circular.html`, `circular.fragment.html`).
    pub html: bool,
    /// Also write the Word file (`circular.docx`).
    pub docx: bool,
    /// An archival PDF: `a-2b` or `a-3b` (PDF/A); `None` for a plain PDF.
    pub pdf_standard: Option<PdfStandard>,
}

/// The archival standards a circular's PDF can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdfStandard {
    /// PDF/A-2b: no attachments, so the provenance manifest is left out.
    A2b,
    /// PDF/A-3b: the manifest stays attached.
    A3b,
}

impl PdfStandard {
    pub(crate) fn name(self) -> &'static str {
        match self {
            PdfStandard::A2b => "a-2b",
            PdfStandard::A3b => "a-3b",
        }
    }
}

/// Time spent in each stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub load: Duration,
    pub check: Duration,
    pub aggregate: Duration,
    pub render: Duration,
    /// Typst compile (layout).
    pub compile: Duration,
    pub pdf: Duration,
    pub write: Duration,
}

impl std::ops::AddAssign<&Timings> for Timings {
    fn add_assign(&mut self, other: &Timings) {
        self.load += other.load;
        self.check += other.check;
        self.aggregate += other.aggregate;
        self.render += other.render;
        self.compile += other.compile;
        self.pdf += other.pdf;
        self.write += other.write;
    }
}

/// What a build produced.
#[derive(Default)]
pub struct Outcome {
    /// Every diagnostic, errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// The PDF written (None when the build failed: the previous PDF is untouched).
    pub pdf: Option<PathBuf>,
    /// The generated Typst source written for inspection.
    pub typst: Option<PathBuf>,
    pub pages: usize,
    /// PDF size in bytes.
    pub bytes: usize,
    pub fonts: Vec<Resolved>,
    pub timings: Timings,
    /// The laid-out pages, when the build succeeded (for the preview and the layout tests).
    pub document: Option<PagedDocument>,
    /// The PDF's bytes, for a build that writes nothing ([`Session::content`]).
    pub(crate) content: Option<Vec<u8>>,
    /// The other outputs written (web page, fragment), root-relative.
    pub outputs: Vec<PathBuf>,
}

impl Outcome {
    /// Whether the build failed.
    pub fn failed(&self) -> bool {
        self.pdf.is_none()
    }
}

/// A long-lived build context: fonts, templates and the Typst world are kept between builds.
pub struct Session {
    project: Project,
    fonts: Arc<FontSet>,
    options: Options,
    env: minijinja::Environment<'static>,
    world: Option<TongbaoWorld>,
    digester: provenance::Digester,
}

impl Session {
    /// Opens a session on the project at `root`, loading its fonts.
    pub fn new(root: &Path, options: &Options) -> Session {
        Session::open(&Project::new(root), options)
    }

    /// Opens a session on `project`, loading its fonts.
    pub(crate) fn open(project: &Project, options: &Options) -> Session {
        Session {
            project: project.clone(),
            fonts: Arc::new(FontSet::load(project, options.system_fonts)),
            options: options.clone(),
            env: render::environment(project),
            world: None,
            digester: Default::default(),
        }
    }

    /// A new session on the same project and options sharing this one's fonts (for another thread;
    /// Typst's caches are shared by the whole process).
    pub(crate) fn sharing(&self) -> Session {
        Session {
            project: self.project.clone(),
            fonts: self.fonts.clone(),
            options: self.options.clone(),
            env: render::environment(&self.project),
            world: None,
            digester: Default::default(),
        }
    }

    /// Builds month `month` (folder name). On any error nothing is written but the generated Typst
    /// source (when rendering got that far); the previous PDF stays in place.
    pub fn build(&mut self, month: &str) -> Outcome {
        self.build_showing(month, &mut |_| {})
    }

    /// Builds month `month` like [`Session::build`], handing the laid-out pages to `laid_out` as
    /// soon as the compile succeeded, before the PDF is exported and written (the live preview
    /// shows them meanwhile). Not called when the build fails before or during the compile.
    pub(crate) fn build_showing(&mut self, month: &str, laid_out: &mut dyn FnMut(&PagedDocument)) -> Outcome {
        // The provenance manifest (git state and input digests) is computed on a second thread
        // while the data is loaded, checked and rendered.
        let project = self.project.clone();
        let mut options = BTreeMap::from([
            ("system_fonts".to_string(), self.options.system_fonts.to_string()),
            ("tagged".to_string(), self.options.tagged.to_string()),
        ]);
        if let Some(s) = self.options.pdf_standard {
            options.insert("pdf_standard".to_string(), s.name().to_string());
        }
        let mut digester = std::mem::take(&mut self.digester);
        let month_name = month.to_string();
        std::thread::scope(|scope| {
            let mut provenance = Some(scope.spawn(move || {
                let manifest = provenance::manifest(&project, &month_name, options, &mut digester);
                (manifest, digester)
            }));
            let out = self.build_with(month, &mut provenance, true, laid_out);
            if let Some(handle) = provenance.take()
                && let Ok((_, digester)) = handle.join()
            {
                self.digester = digester;
            }
            out
        })
    }

    /// The month's PDF as its content alone, built in memory and written nowhere: no provenance
    /// manifest (which names the commit) and the date of issue as its timestamp whatever
    /// `SOURCE_DATE_EPOCH` says, so the same circular always gives the same bytes. What an issued
    /// circular is frozen to (`issue.rs`). `None` with the diagnostics when it cannot be built.
    pub(crate) fn content(&mut self, month: &str) -> (Option<Vec<u8>>, Vec<Diagnostic>) {
        let out = self.build_with(month, &mut None, false, &mut |_| {});
        (out.content, out.diagnostics)
    }

    /// Runs the stages. With `write`, the generated source and the PDF are written to `out/`;
    /// without, the PDF's bytes are returned in `Outcome::content`.
    fn build_with(
        &mut self,
        month: &str,
        provenance: &mut Option<Provenance<'_, '_>>,
        write: bool,
        laid_out: &mut dyn FnMut(&PagedDocument),
    ) -> Outcome {
        let mut out = Outcome::default();
        let started = Instant::now();
        let project = &self.project;
        let config = load::config::load(project, &mut out.diagnostics);
        let mut months = vec![month.to_string()];
        if let Some(id) = MonthId::parse(month) {
            // The months the text may compare with (a two-month period compares with the month
            // before it; which one is known once the month is loaded, so load both candidates).
            for other in project.compared(&id) {
                let name = other.name();
                if project.path(project.month_dir(&name)).is_dir() {
                    months.push(name);
                }
            }
        }
        if !project.path(project.month_dir(month)).is_dir() {
            out.diagnostics.push(
                Diagnostic::general(
                    Severity::Error,
                    "month-missing",
                    format!("没有找到月份文件夹 data/{month}"),
                )
                .help("新的月份请复制上个月的文件夹再修改，文件夹名为 YYYY-MM"),
            );
            return out;
        }
        let (data, mut diags) = load::load(project, &months);
        out.timings.load = started.elapsed();
        out.diagnostics.append(&mut diags);
        let Some(data) = data else { return out };

        let t = Instant::now();
        out.diagnostics.extend(check::check(&data, &[month.to_string()]));
        out.fonts = self.fonts.resolve(&typeset::fonts::roles(&config));
        typeset::uncovered(&self.fonts, &sources(&data, month), &mut out.diagnostics);
        if let Some(first) = self.fonts.refused().first() {
            let n = self.fonts.refused().len();
            out.diagnostics.push(
                Diagnostic::general(
                    Severity::Warning,
                    "outside-root",
                    format!(
                        "fonts/ 中有 {n} 个字体文件（如 {}）指向项目文件夹之外（符号链接），为安全起见不予读取",
                        first.display()
                    ),
                )
                .help("请把字体文件复制到项目的 fonts/ 文件夹中，而不是链接到别处"),
            );
        }
        for role in out.fonts.iter().filter(|r| r.chosen.is_none()) {
            out.diagnostics.push(
                Diagnostic::general(Severity::Warning, "font-missing", format!("{}没有可用的字体", role.role.name))
                    .help("fonts/ 文件夹中应有随项目提供的代用字体；运行 tongbao fonts 查看，或运行 fonts/regenerate.sh 重新生成"),
            );
        }
        out.timings.check = t.elapsed();
        if has_errors(&out.diagnostics) {
            return out;
        }

        let t = Instant::now();
        let (Some(this), Some(agg)) = (data.month(month), aggregate::aggregate(&data, month)) else {
            return out;
        };
        let date = this.text.as_ref().and_then(|t| t.date);
        out.timings.aggregate = t.elapsed();

        let t = Instant::now();
        let document = match render::document(&data, this, &agg) {
            Ok(d) => d,
            Err(mut errors) => {
                out.diagnostics.append(&mut errors);
                return out;
            }
        };
        self.env.clear_templates();
        let mut ctx = render::Circular {
            月份: agg.month,
            公文: document,
            表: agg.tables,
            字体: out.fonts.iter().map(|r| (r.role.key, r.present.clone())).collect(),
            片段: false,
        };
        let mut source = match render::render(&self.env, project, render::MAIN_TEMPLATE, &ctx) {
            Ok(s) => s,
            Err(d) => {
                out.diagnostics.push(d);
                return out;
            }
        };
        // The web page and its fragment come from the same context, before the PDF, so that the
        // manifest can name them with their digests.
        let mut pages = Vec::new();
        if self.options.html {
            for (fragment, rel) in [(false, project.html(month)), (true, project.html_fragment(month))] {
                ctx.片段 = fragment;
                match render::render(&self.env, project, render::HTML_TEMPLATE, &ctx) {
                    Ok(html) => pages.push((rel, html.into_bytes())),
                    Err(d) => {
                        out.diagnostics.push(d);
                        return out;
                    }
                }
            }
        }
        if self.options.docx {
            match crate::docx::docx(&ctx) {
                Ok(bytes) => pages.push((project.docx(month), bytes)),
                Err(message) => {
                    out.diagnostics
                        .push(Diagnostic::general(Severity::Error, "docx", message));
                    return out;
                }
            }
        }
        // Provenance: the commit, every input's digest and the other outputs' digests travel inside
        // the PDF (PDF/A-2b allows no attachment: there the manifest is left out).
        if let Some(Ok((mut manifest, digester))) = provenance.take().map(|h| h.join()) {
            for (rel, html) in &pages {
                manifest
                    .outputs
                    .insert(rel.to_string_lossy().replace('\\', "/"), provenance::sha256(html));
            }
            if self.options.pdf_standard != Some(PdfStandard::A2b) {
                source.push_str(&render::attachment(
                    provenance::ATTACHMENT,
                    &manifest.to_json(),
                    provenance::DESCRIPTION,
                ));
            }
            self.digester = digester;
        }
        out.timings.render = t.elapsed();

        let t = Instant::now();
        let main = project.typst_source(month);
        let today = typeset::datetime(date.unwrap_or(crate::calendar::Date {
            year: 2000,
            month: 1,
            day: 1,
        }));
        let world = match &mut self.world {
            Some(w) => {
                w.update(&main, &source, today);
                w
            }
            None => self.world.insert(TongbaoWorld::new(
                project,
                self.fonts.clone(),
                &main,
                source.clone(),
                today,
            )),
        };
        let mut compiled = typeset::compile(world);
        // The 版记 goes on the last even page: when the document does not end on an even page with
        // room for it, lay it out again with the 版记 on a page of its own (and a blank page before
        // it when needed).
        if let Ok(c) = &compiled
            && source.contains(typeset::COLOPHON_BREAK)
            && typeset::colophon_needs_own_page(&c.document)
        {
            source = source.replacen(typeset::COLOPHON_BREAK, "#pagebreak(to: \"even\")", 1);
            world.update(&main, &source, today);
            compiled = typeset::compile(world);
        }
        out.timings.compile = t.elapsed();

        let t = Instant::now();
        let typ_path = project.path(&main);
        if write {
            if let Err(e) = output::write_atomic_unsynced(&typ_path, source.as_bytes()) {
                out.diagnostics.push(io_error(&main, &e));
                return out;
            }
            out.typst = Some(PathBuf::from(&main));
        }
        out.timings.write = t.elapsed();

        let compiled = match compiled {
            Ok(c) => c,
            Err(mut errors) => {
                out.diagnostics.append(&mut errors);
                return out;
            }
        };
        out.diagnostics.extend(compiled.warnings);
        out.pages = compiled.document.pages().len();
        laid_out(&compiled.document);

        let t = Instant::now();
        let Some(date) = date else { return out };
        let timestamp = if write {
            typeset::timestamp(date)
        } else {
            typeset::datetime(date)
        };
        let standard = self.options.pdf_standard.map(PdfStandard::name);
        let ident = format!("tongbao/{month}");
        let bytes = match typeset::pdf(&compiled.document, &ident, timestamp, self.options.tagged, standard) {
            Ok(b) => b,
            Err(mut errors) => {
                out.diagnostics.append(&mut errors);
                return out;
            }
        };
        out.timings.pdf = t.elapsed();

        if !write {
            out.content = Some(bytes);
            return out;
        }
        let t = Instant::now();
        let rel = project.pdf(month);
        if let Err(e) = output::write_atomic(&project.path(&rel), &bytes) {
            out.diagnostics.push(io_error(&rel.display().to_string(), &e));
            return out;
        }
        for (rel, html) in &pages {
            if let Err(e) = output::write_atomic(&project.path(rel), html) {
                out.diagnostics.push(io_error(&rel.display().to_string(), &e));
                return out;
            }
            out.outputs.push(rel.clone());
        }
        out.timings.write += t.elapsed();
        out.bytes = bytes.len();
        out.pdf = Some(rel);
        out.document = Some(compiled.document);
        out
    }
}

/// The thread computing a build's provenance manifest.
type Provenance<'scope, 'env> = std::thread::ScopedJoinHandle<'scope, (provenance::Manifest, provenance::Digester)>;

fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}

fn io_error(path: &str, e: &std::io::Error) -> Diagnostic {
    Diagnostic::general(
        Severity::Error,
        "io",
        format!("无法写入 {path}：{}", crate::project::io_reason(e)),
    )
    .help("检查 out/ 文件夹是否可写、磁盘是否已满")
}

/// The data files a month's circular is made from (registry, descriptions, the month's files).
fn sources(data: &load::Data, month: &str) -> Vec<Arc<Source>> {
    let mut all: Vec<Arc<Source>> = Vec::new();
    let mut add = |s: &Arc<Source>| {
        if !all.iter().any(|x| x.path == s.path) {
            all.push(s.clone());
        }
    };
    data.registry.units.iter().for_each(|u| add(&u.loc.src));
    data.specs.iter().for_each(|s| add(&s.loc.src));
    if let Some(m) = data.month(month) {
        m.tables.iter().for_each(|t| add(&t.loc.src));
        if let Some(loc) = &m.document.loc {
            add(&loc.src);
        }
        if let Some(text) = &m.text {
            add(&text.src);
        }
    }
    all
}

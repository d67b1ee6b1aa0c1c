//! Runs the stages in order for one month: load → check → aggregate → render → typeset → output.
//!
//! [`prepare`] is the first four: what `check` reports and what `build` lays out, the same
//! functions for both, so `check` refuses exactly what `build` refuses but for a failure of Typst
//! itself. [`Session::build`] adds the last two. `build`, `check`, `watch`, the hooks, `verify`,
//! `issue`, the tests and the benchmarks all come through here; nothing else builds.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use typst_layout::PagedDocument;

use crate::calendar::Date;
use crate::diag::{self, Diagnostic, Severity, Source};
pub use crate::output::{Output, PdfStandard, Plan};
use crate::output::{Producer, pdf_path};
use crate::project::Project;
use crate::render::Circular;
use crate::typeset::{self, FontSet, Resolved, TongbaoWorld};
use crate::{aggregate, check, load, output, provenance, render};

#[cfg(test)]
pub(crate) mod fuzz;

/// Time spent in each stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub load: Duration,
    pub check: Duration,
    pub aggregate: Duration,
    pub render: Duration,
    /// Typst compile (layout), and the second layout with the page outputs' digests in the
    /// manifest when there are any.
    pub compile: Duration,
    /// The outputs made from the pages other than the PDF (the OFD).
    pub pages: Duration,
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
        self.pages += other.pages;
        self.pdf += other.pdf;
        self.write += other.write;
    }
}

impl Timings {
    /// The whole build.
    pub fn total(&self) -> Duration {
        self.load + self.check + self.aggregate + self.render + self.compile + self.pages + self.pdf + self.write
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
    /// The other outputs written (web page, fragment, Word file …), root-relative.
    pub outputs: Vec<PathBuf>,
    /// The month holds data only (no `通报.txt`): there is no circular to build.
    pub data_only: bool,
}

impl Outcome {
    /// Whether the build failed (a month of data only has nothing to build and does not fail).
    pub fn failed(&self) -> bool {
        self.pdf.is_none() && (!self.data_only || self.diagnostics.iter().any(Diagnostic::is_error))
    }
}

/// A file an output is made of, root-relative, with its bytes.
pub(crate) struct Artifact {
    pub rel: PathBuf,
    pub bytes: Vec<u8>,
}

/// A month after load → check → aggregate → render.
pub(crate) struct Prepared {
    pub diagnostics: Vec<Diagnostic>,
    /// The circular, rendered; `None` when something stopped it (a diagnostic says what) or the
    /// month holds data only.
    pub rendered: Option<Rendered>,
    pub data_only: bool,
    pub timings: Timings,
}

/// A month's circular, rendered and ready to lay out.
pub(crate) struct Rendered {
    /// The Typst source, without the provenance manifest.
    pub source: String,
    pub date: Option<Date>,
    /// What the producers from the rendered document made (web page, Word file, workbook).
    pub artifacts: Vec<Artifact>,
    /// The data files the circular is made from (for the glyph check).
    pub sources: Vec<Arc<Source>>,
    pub roles: Vec<typeset::Role>,
    /// The circular as rendered and the page it is laid out on, for the outputs made from the
    /// laid-out pages.
    pub circular: Circular,
    pub page: load::page::PageSpec,
}

/// Runs load → check → aggregate → render for month `month` (folder name) with the producers of
/// the rendered document that `plan` asks for. `fonts` fills the templates' font lists with the
/// families present; without (for `check`), every family of each role is listed.
pub(crate) fn prepare(
    project: &Project,
    env: &minijinja::Environment<'static>,
    plan: &Plan,
    fonts: Option<&FontSet>,
    month: &str,
) -> Prepared {
    let mut p = Prepared {
        diagnostics: Vec::new(),
        rendered: None,
        data_only: false,
        timings: Timings::default(),
    };
    let t = Instant::now();
    let config = load::config::load(project, &mut p.diagnostics);
    let page = load::page::load(project, &mut p.diagnostics);
    if !project.path(project.month_dir(month)).is_dir() {
        p.diagnostics.push(
            Diagnostic::general(
                Severity::Error,
                "month-missing",
                format!("没有找到月份文件夹 data/{month}"),
            )
            .help("新的月份用 tongbao new 建立，或复制上个月的文件夹再修改，文件夹名为 YYYY-MM"),
        );
        return p;
    }
    let (data, mut diags) = load::load_month(project, month);
    p.diagnostics.append(&mut diags);
    p.timings.load = t.elapsed();
    let Some(data) = data else { return p };

    let t = Instant::now();
    p.diagnostics.extend(check::check(&data, &[month.to_string()]));
    p.timings.check = t.elapsed();
    let Some(this) = data.month(month) else { return p };
    p.data_only = this.data_only();
    if has_errors(&p.diagnostics) || p.data_only {
        return p;
    }

    let t = Instant::now();
    let Some(agg) = aggregate::aggregate(&data, month) else {
        return p;
    };
    p.timings.aggregate = t.elapsed();

    let t = Instant::now();
    let document = match render::document(&data, this, &agg, &page) {
        Ok((d, mut warnings)) => {
            p.diagnostics.append(&mut warnings);
            d
        }
        Err(mut errors) => {
            p.diagnostics.append(&mut errors);
            return p;
        }
    };
    let roles = typeset::fonts::roles(&config);
    let circular = circular(&data, document, agg, &page, role_families(&roles, fonts));
    let rendered = render::render(env, project, render::MAIN_TEMPLATE, &circular)
        .map_err(|d| vec![d])
        .and_then(|source| {
            let made = output::Document {
                project,
                circular: &circular,
                env,
                roles: &roles,
                page: &page,
            };
            let artifacts = document_outputs(project, plan, month, &made)?;
            Ok((source, artifacts))
        });
    p.timings.render = t.elapsed();
    match rendered {
        Ok((source, artifacts)) => {
            p.rendered = Some(Rendered {
                date: this.text.as_ref().and_then(|t| t.date),
                sources: sources(&data, month),
                source,
                artifacts,
                roles,
                circular,
                page,
            })
        }
        Err(mut errors) => p.diagnostics.append(&mut errors),
    }
    p
}

/// Everything the circular's templates see: the document, the tables with their headers broken
/// into lines, the faces by role and where short texts may break.
fn circular(
    data: &load::Data,
    document: render::DocOut,
    mut agg: aggregate::Aggregate,
    page: &load::page::PageSpec,
    (families, marks): (render::Families, render::MarkFaces),
) -> Circular {
    let names = render::names(data, &document.署名);
    let words = render::layout_words(&names, &document, &agg.tables, page);
    render::break_headers(agg.tables.values_mut(), &names, page);
    Circular {
        月份: agg.month,
        公文: document,
        表: agg.tables,
        字体: families,
        标点: marks,
        分词: words,
    }
}

/// The font families the templates list for each role, and the faces of the Chinese marks a
/// role's face lacks: the families present in `fonts`, or without them (for `check`) every family
/// of each role and no mark fallbacks.
fn role_families(roles: &[typeset::fonts::Role], fonts: Option<&FontSet>) -> (render::Families, render::MarkFaces) {
    match fonts {
        Some(fonts) => {
            let resolved = fonts.resolve(roles);
            let families = resolved.iter().map(|r| (r.role.key, r.present.clone())).collect();
            (families, fonts.mark_fallbacks(&resolved))
        }
        None => (
            roles.iter().map(|r| (r.key, r.families.clone())).collect(),
            Default::default(),
        ),
    }
}

/// What a build of each of `months` would report before Typst (what `check` reports): the
/// configuration, the registry, the descriptions, each month and the tables of the months it
/// compares with, its text and the templates, rendered with the outputs the configuration asks
/// for. A problem found in several months (the registry's, a compared month's) is reported once.
pub(crate) fn check_months(project: &Project, months: &[String]) -> Vec<Diagnostic> {
    render::words::warm_up();
    let mut diags = Vec::new();
    let plan = configured_plan(project, &mut diags);
    if months.is_empty() {
        let (data, mut found) = load::load(project, &[]);
        diags.append(&mut found);
        if let Some(data) = data {
            diags.extend(check::check(&data, &[]));
        }
    }
    let env = render::environment(project);
    for month in months {
        diags.extend(prepare(project, &env, &plan, None, month).diagnostics);
    }
    once(&mut diags);
    diags
}

/// What `check MONTH` lists, from the diagnostics a build of the month gave: the build runs
/// [`prepare`], the function `check` runs for each month, so only the configuration's build plan
/// (an unknown output in `tongbao.yaml`, which a build skips) is added; the compile's own warnings
/// (fonts, Typst) stay. Repeats removed and sorted as `check` shows them. What the preview lists.
pub(crate) fn as_checked(project: &Project, built: &[Diagnostic]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    configured_plan(project, &mut diags);
    diags.extend_from_slice(built);
    once(&mut diags);
    diag::sort(&mut diags);
    diags
}

/// The plan `tongbao.yaml` asks for, with what is wrong in the configuration and the plan.
fn configured_plan(project: &Project, diags: &mut Vec<Diagnostic>) -> Plan {
    let config = load::config::load(project, diags);
    Plan::configured(&config, diags)
}

/// Keeps the first of diagnostics that say the same thing at the same place.
fn once(diags: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| seen.insert((d.file.clone(), d.line, d.column, d.code, d.message.clone())));
}

/// The files of the outputs made from the rendered document.
fn document_outputs(
    project: &Project,
    plan: &Plan,
    month: &str,
    doc: &output::Document<'_>,
) -> Result<Vec<Artifact>, Vec<Diagnostic>> {
    let mut artifacts = Vec::new();
    for output in &plan.outputs {
        if let Producer::Document(produce) = output.producer() {
            for (file, bytes) in produce(doc)? {
                artifacts.push(Artifact {
                    rel: project.out_dir(month).join(file),
                    bytes,
                });
            }
        }
    }
    Ok(artifacts)
}

/// A long-lived build context: fonts, templates and the Typst world are kept between builds.
pub struct Session {
    project: Project,
    fonts: Arc<FontSet>,
    plan: Plan,
    env: minijinja::Environment<'static>,
    world: Option<TongbaoWorld>,
    digester: provenance::Digester,
}

/// The thread computing a build's provenance manifest.
type Provenance<'scope> = std::thread::ScopedJoinHandle<'scope, (provenance::Manifest, provenance::Digester)>;

impl Session {
    /// Opens a session on the project at `root`, loading its fonts.
    pub fn new(root: &Path, plan: &Plan) -> Session {
        Session::open(&Project::new(root), plan)
    }

    /// Opens a session on `project`, loading its fonts.
    pub(crate) fn open(project: &Project, plan: &Plan) -> Session {
        // The title segmenter's dictionary loads meanwhile.
        render::words::warm_up();
        Session {
            project: project.clone(),
            fonts: Arc::new(FontSet::load(project, plan.system_fonts)),
            plan: plan.clone(),
            env: render::environment(project),
            world: None,
            digester: Default::default(),
        }
    }

    /// A new session on the same project and plan sharing this one's fonts (for another thread;
    /// Typst's caches are shared by the whole process).
    pub(crate) fn sharing(&self) -> Session {
        Session {
            project: self.project.clone(),
            fonts: self.fonts.clone(),
            plan: self.plan.clone(),
            env: render::environment(&self.project),
            world: None,
            digester: Default::default(),
        }
    }

    /// The plan this session builds with.
    pub(crate) fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Builds month `month` (folder name). On any error nothing is written but the generated Typst
    /// source (when rendering got that far); the previous outputs stay in place.
    pub fn build(&mut self, month: &str) -> Outcome {
        self.build_showing(month, &mut |_, _| {})
    }

    /// Builds month `month` like [`Session::build`], handing the laid-out pages and the
    /// diagnostics so far (every warning `check` gives and Typst's) to `laid_out` as soon as the
    /// compile succeeded, before the outputs are made and written (the live preview shows them
    /// meanwhile). Not called when the build fails before or during the compile.
    pub(crate) fn build_showing(
        &mut self,
        month: &str,
        laid_out: &mut dyn FnMut(&PagedDocument, &[Diagnostic]),
    ) -> Outcome {
        // The provenance manifest (git state and input digests) is computed on a second thread
        // while the data is loaded, checked and rendered.
        let project = self.project.clone();
        let plan = self.plan.clone();
        let mut digester = std::mem::take(&mut self.digester);
        let name = month.to_string();
        std::thread::scope(|scope| {
            let provenance: Provenance<'_> = scope.spawn(move || {
                let manifest = provenance::manifest(&project, &name, &plan, &mut digester);
                (manifest, digester)
            });
            self.build_with(month, provenance, laid_out)
        })
    }

    fn build_with(
        &mut self,
        month: &str,
        provenance: Provenance<'_>,
        laid_out: &mut dyn FnMut(&PagedDocument, &[Diagnostic]),
    ) -> Outcome {
        let prepared = prepare(&self.project, &self.env, &self.plan, Some(&self.fonts), month);
        let mut out = Outcome {
            diagnostics: prepared.diagnostics,
            timings: prepared.timings,
            data_only: prepared.data_only,
            ..Outcome::default()
        };
        let manifest = provenance.join().ok().map(|(manifest, digester)| {
            self.digester = digester;
            manifest
        });
        let Some(rendered) = prepared.rendered else { return out };
        self.font_warnings(&rendered, &mut out);
        if has_errors(&out.diagnostics) {
            return out;
        }
        let t = Instant::now();
        let mut manifest = manifest;
        if let Some(m) = &mut manifest {
            for a in &rendered.artifacts {
                m.outputs.insert(slashed(&a.rel), provenance::sha256(&a.bytes));
            }
        }
        let mut source = self.with_manifest(&rendered.source, manifest.as_ref());
        let compiled = self.lay_out(month, &mut source, rendered.date);
        out.timings.compile = t.elapsed();
        let typ = PathBuf::from(self.project.typst_source(month));
        if let Err(e) = self.project.write_unsynced(&typ, source.as_bytes()) {
            out.diagnostics.push(write_error(&typ, &e));
            return out;
        }
        out.typst = Some(typ);
        let compiled = match compiled {
            Ok(c) => c,
            Err(mut errors) => {
                out.diagnostics.append(&mut errors);
                return out;
            }
        };
        out.diagnostics.extend(compiled.warnings);
        out.pages = compiled.document.pages().len();
        laid_out(&compiled.document, &out.diagnostics);
        let Some(date) = rendered.date else { return out };
        let pages = match self.page_outputs(month, compiled.document, &rendered, date, manifest, &mut out.timings) {
            Ok(p) => p,
            Err(mut errors) => {
                out.diagnostics.append(&mut errors);
                return out;
            }
        };
        self.write(month, rendered.artifacts, pages, &mut out);
        out
    }

    /// The Typst source with the provenance manifest attached (PDF/A-2b allows no attachment).
    fn with_manifest(&self, source: &str, manifest: Option<&provenance::Manifest>) -> String {
        let mut source = source.to_string();
        if let Some(m) = manifest
            && self.plan.pdf_standard.is_none_or(PdfStandard::allows_attachments)
        {
            source.push_str(&render::attachment(
                provenance::ATTACHMENT,
                &m.to_json(),
                provenance::DESCRIPTION,
            ));
        }
        source
    }

    /// Font warnings: roles without a face, characters no face has, fonts linked from outside.
    fn font_warnings(&self, rendered: &Rendered, out: &mut Outcome) {
        out.fonts = self.fonts.resolve(&rendered.roles);
        typeset::uncovered(&self.fonts, &rendered.sources, &mut out.diagnostics);
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
    }

    /// Compiles `source` in the session's world. The signature never stands on a page without body
    /// text: when it would, the circular is laid out again with the body's last page fitted
    /// ([`typeset::signature_fits`]). The 版记 goes on the last even page: when the document does
    /// not end on an even page with room for it, it is laid out again with the 版记 on a page of
    /// its own (and a blank page before it when needed). `source` then holds what was laid out.
    fn lay_out(
        &mut self,
        month: &str,
        source: &mut String,
        date: Option<Date>,
    ) -> Result<typeset::Compiled, Vec<Diagnostic>> {
        let main = self.project.typst_source(month);
        let today = typeset::datetime(date.unwrap_or(Date {
            year: 2000,
            month: 1,
            day: 1,
        }));
        let world = match &mut self.world {
            Some(w) => {
                w.update(&main, source, today);
                w
            }
            None => self.world.insert(TongbaoWorld::new(
                &self.project,
                self.fonts.clone(),
                &main,
                source.clone(),
                today,
            )),
        };
        let page = load::page::load(&self.project, &mut Vec::new());
        let mut compiled = typeset::compile(world);
        if let Ok(c) = &compiled
            && source.contains(typeset::SIGNATURE_FIT)
            && let Some(at) = typeset::signature_alone(&c.document)
        {
            // Fitted as GB/T 9704 asks: the tightest spacing that keeps the signature with the
            // body, else the last paragraph carried over (the last attempt stands either way).
            let unfitted = source.clone();
            for fit in typeset::signature_fits(at, &page) {
                let attempt = unfitted.replacen(typeset::SIGNATURE_FIT, &fit, 1);
                world.update(&main, &attempt, today);
                compiled = typeset::compile(world);
                *source = attempt;
                if matches!(&compiled, Ok(c) if typeset::signature_alone(&c.document).is_none()) {
                    break;
                }
            }
        }
        if let Ok(c) = &compiled
            && source.contains(typeset::COLOPHON_BREAK)
            && typeset::colophon_needs_own_page(&c.document, &page)
        {
            *source = source.replacen(typeset::COLOPHON_BREAK, "#pagebreak(to: \"even\")", 1);
            world.update(&main, source, today);
            return typeset::compile(world);
        }
        compiled
    }

    /// The files of the outputs made from the laid-out pages: the PDF last, so that the digests of
    /// the others are in its manifest (the pages are laid out once more with them, which changes
    /// nothing on the pages, as is checked).
    fn page_outputs(
        &mut self,
        month: &str,
        document: PagedDocument,
        rendered: &Rendered,
        date: Date,
        mut manifest: Option<provenance::Manifest>,
        timings: &mut Timings,
    ) -> Result<(Vec<Artifact>, PagedDocument), Vec<Diagnostic>> {
        let others: Vec<Output> = self
            .plan
            .outputs
            .iter()
            .copied()
            .filter(|o| *o != Output::Pdf)
            .collect();
        let t = Instant::now();
        let mut artifacts = self.made_from_pages(month, &document, rendered, date, &others)?;
        timings.pages = t.elapsed();
        let t = Instant::now();
        let document = match (&mut manifest, artifacts.is_empty()) {
            (Some(m), false) => {
                for a in &artifacts {
                    m.outputs.insert(slashed(&a.rel), provenance::sha256(&a.bytes));
                }
                let mut source = self.with_manifest(&rendered.source, Some(m));
                let again = self.lay_out(month, &mut source, Some(date))?.document;
                same_pages(&document, &again)?;
                again
            }
            _ => document,
        };
        timings.compile += t.elapsed();
        let t = Instant::now();
        artifacts.extend(self.made_from_pages(month, &document, rendered, date, &[Output::Pdf])?);
        timings.pdf = t.elapsed();
        Ok((artifacts, document))
    }

    /// The files `outputs` make from the laid-out pages (and the document they were laid out from).
    fn made_from_pages(
        &self,
        month: &str,
        document: &PagedDocument,
        rendered: &Rendered,
        date: Date,
        outputs: &[Output],
    ) -> Result<Vec<Artifact>, Vec<Diagnostic>> {
        let made = output::Document {
            project: &self.project,
            circular: &rendered.circular,
            env: &self.env,
            roles: &rendered.roles,
            page: &rendered.page,
        };
        let pages = output::Pages {
            document,
            rendered: &made,
            plan: &self.plan,
            ident: format!("tongbao/{month}"),
            timestamp: typeset::timestamp(date),
        };
        let mut artifacts = Vec::new();
        for o in outputs {
            if let Producer::Pages(produce) = o.producer() {
                for (file, bytes) in produce(&pages)? {
                    artifacts.push(Artifact {
                        rel: self.project.out_dir(month).join(file),
                        bytes,
                    });
                }
            }
        }
        Ok(artifacts)
    }

    /// Writes every file through the project's gate, the PDF last.
    fn write(
        &self,
        month: &str,
        mut documents: Vec<Artifact>,
        pages: (Vec<Artifact>, PagedDocument),
        out: &mut Outcome,
    ) {
        let t = Instant::now();
        let (page_files, document) = pages;
        documents.extend(page_files);
        let pdf = pdf_path(&self.project, month);
        for a in &documents {
            if let Err(e) = self.project.write(&a.rel, &a.bytes) {
                out.diagnostics.push(write_error(&a.rel, &e));
                return;
            }
            if a.rel == pdf {
                out.bytes = a.bytes.len();
                out.pdf = Some(a.rel.clone());
            } else {
                out.outputs.push(a.rel.clone());
            }
        }
        out.timings.write = t.elapsed();
        out.document = Some(document);
    }

    /// The month's PDF as its content alone, built in memory and written nowhere: no provenance
    /// manifest (which names the commit) and the date of issue as its timestamp whatever
    /// `SOURCE_DATE_EPOCH` says, so the same circular always gives the same bytes. What an issued
    /// circular is frozen to (`issue.rs`). `None` with the diagnostics when it cannot be built.
    pub(crate) fn content(&mut self, month: &str) -> (Option<Vec<u8>>, Vec<Diagnostic>) {
        let plan = self.plan.clone();
        let (frozen, diags) = self.frozen(month, &plan, None, None);
        (frozen.map(|f| f.content), diags)
    }

    /// The month's content (as [`Session::content`]) and, from the same layout, the PDF as it was
    /// issued: with `attachment` (the manifest's JSON exactly as the issued PDF carries it)
    /// attached again and stamped `timestamp` (the issued PDF's own), with `plan`'s PDF
    /// standard. When the month's inputs still give the issued circular, that second PDF is the
    /// issued file byte for byte; when `issued.pdf` was swapped or altered, it is not.
    pub(crate) fn frozen(
        &mut self,
        month: &str,
        plan: &Plan,
        attachment: Option<&str>,
        timestamp: Option<typst::foundations::Datetime>,
    ) -> (Option<Rebuilt>, Vec<Diagnostic>) {
        let plan = Plan {
            outputs: [Output::Pdf].into(),
            ..plan.clone()
        };
        let prepared = prepare(&self.project, &self.env, &plan, Some(&self.fonts), month);
        let mut diags = prepared.diagnostics;
        let Some(rendered) = prepared.rendered else {
            return (None, diags);
        };
        let Some(date) = rendered.date else {
            return (None, diags);
        };
        let ident = format!("tongbao/{month}");
        let issued_at = typeset::datetime(date);
        let made: Result<Rebuilt, Vec<Diagnostic>> = (|| {
            let mut source = rendered.source.clone();
            let compiled = self.lay_out(month, &mut source, Some(date))?;
            let content = output::pdf::export(&compiled.document, &ident, issued_at, &plan)?;
            let stamp = timestamp.unwrap_or(issued_at);
            let issued = match attachment {
                None if stamp == issued_at => content.clone(),
                None => output::pdf::export(&compiled.document, &ident, stamp, &plan)?,
                Some(json) => {
                    let mut source = rendered.source.clone();
                    source.push_str(&render::attachment(
                        provenance::ATTACHMENT,
                        json,
                        provenance::DESCRIPTION,
                    ));
                    let again = self.lay_out(month, &mut source, Some(date))?;
                    output::pdf::export(&again.document, &ident, stamp, &plan)?
                }
            };
            Ok(Rebuilt { content, issued })
        })();
        match made {
            Ok(frozen) => (Some(frozen), diags),
            Err(mut errors) => {
                diags.append(&mut errors);
                (None, diags)
            }
        }
    }
}

/// A month rebuilt as it was frozen: its content and its PDF as issued.
pub(crate) struct Rebuilt {
    /// The PDF without the manifest, stamped with the date of issue (what 内容摘要 digests).
    pub content: Vec<u8>,
    /// The PDF with the issued manifest attached again and the issued PDF's timestamp.
    pub issued: Vec<u8>,
}

/// Laying the pages out again with the manifest must not change them.
/// What is printed is compared: introspection tags (which carry the attached manifest) are not.
fn same_pages(a: &PagedDocument, b: &PagedDocument) -> Result<(), Vec<Diagnostic>> {
    let hashes = |d: &PagedDocument| d.pages().iter().map(|p| visible(&p.frame)).collect::<Vec<_>>();
    if hashes(a) == hashes(b) {
        return Ok(());
    }
    Err(vec![
        Diagnostic::general(
            Severity::Error,
            "typst",
            "附上构建清单后版面发生了变化（这不应发生），未生成输出",
        )
        .help("请把 out/ 中的 circular.typ 和这条信息报告给 tongbao 的维护者"),
    ])
}

/// A hash of what a frame shows: every item but the introspection tags (the attached manifest is
/// an element of the document, so its tag differs with the manifest while nothing on the page
/// does) and the glyphs' places in the source.
fn visible(frame: &typst::layout::Frame) -> u128 {
    use typst::layout::FrameItem;
    let mut state = typst::utils::hash128(&frame.size());
    for (pos, item) in frame.items() {
        let item = match item {
            FrameItem::Tag(_) => continue,
            FrameItem::Group(g) => typst::utils::hash128(&(visible(&g.frame), g.transform, &g.clip)),
            // Without the glyphs' source spans: an edit renumbers the syntax tree's spans.
            FrameItem::Text(t) => typst::utils::hash128(&(
                (&t.font, t.size, &t.fill, &t.stroke, t.lang, t.region, &t.text),
                t.glyphs
                    .iter()
                    .map(|g| (g.id, g.x_advance, g.x_offset, g.y_advance, g.y_offset, &g.range))
                    .collect::<Vec<_>>(),
            )),
            other => typst::utils::hash128(other),
        };
        state = typst::utils::hash128(&(state, pos, item));
    }
    state
}

fn slashed(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}

/// A file the build could not write.
pub(crate) fn write_error(path: &Path, e: &crate::project::WriteError) -> Diagnostic {
    Diagnostic::general(
        Severity::Error,
        e.code(),
        format!("无法写入 {}：{}", slashed(path), e.reason()),
    )
    .help("检查 out/ 文件夹是否可写、磁盘是否已满；out/ 不能是指向项目之外的链接")
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

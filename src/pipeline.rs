//! Runs the stages in order for one month: load → check → aggregate → render → typeset → output.
//!
//! A command first reads what every month shares into one [`Resolved`] value (the configuration,
//! the page, the plan, the font roles, the registry and the table descriptions, with every problem
//! reading them found) and hands it down; nothing reads them again. Each month is then loaded once
//! ([`load_month`]: its files, its text parsed, the months it compares with), and [`prepare`]
//! runs check → aggregate → render: what `check` reports and what `build` lays out, the same
//! functions for both, so `check` refuses exactly what `build` refuses but for a failure of Typst
//! itself. [`Session`] adds the last two stages: one layout, from which every page output is made
//! (the PDF last, its provenance manifest attached as it is written). `build`, `check`, `watch`, the
//! hooks, `verify`, `issue`, the tests and the benchmarks all come through here; nothing else
//! builds.

mod session;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use typst_layout::PagedDocument;

use crate::calendar::Date;
use crate::diag::{self, Code, Diagnostic, Severity, Source};
use crate::load::page::PageSpec;
pub(crate) use crate::output::Asked;
use crate::output::Producer;
pub use crate::output::{Output, PdfStandard, Plan};
use crate::project::Project;
use crate::render::Circular;
use crate::typeset::{self, FontSet, Resolved as Face};
use crate::{aggregate, check, load, output, render};

pub use session::Session;
pub(crate) use session::write_out;

#[cfg(test)]
pub(crate) mod fuzz;
#[cfg(test)]
mod tests;

/// Time spent in each stage, and in making each output.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub load: Duration,
    pub check: Duration,
    pub aggregate: Duration,
    pub render: Duration,
    /// Typst's layout (with the attempts that fit the signature's page or move the 版记).
    pub compile: Duration,
    /// Each output made (those from the rendered document are made while rendering).
    pub outputs: BTreeMap<Output, Duration>,
    pub write: Duration,
}

impl std::ops::AddAssign<&Timings> for Timings {
    fn add_assign(&mut self, other: &Timings) {
        self.load += other.load;
        self.check += other.check;
        self.aggregate += other.aggregate;
        self.render += other.render;
        self.compile += other.compile;
        for (output, t) in &other.outputs {
            *self.outputs.entry(*output).or_default() += *t;
        }
        self.write += other.write;
    }
}

impl Timings {
    /// The whole build (outputs made from the rendered document are within `render`).
    pub fn total(&self) -> Duration {
        let pages: Duration = self
            .outputs
            .iter()
            .filter(|(o, _)| matches!(o.producer(), Producer::Pages(_)))
            .map(|(_, t)| *t)
            .sum();
        self.load + self.check + self.aggregate + self.render + self.compile + pages + self.write
    }

    /// Each stage and output with its Chinese label, in milliseconds divided by `months` (an
    /// average over a batch).
    pub(crate) fn describe(&self, months: u32) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0 / f64::from(months.max(1));
        let mut parts = vec![
            format!("读取 {:.1}", ms(self.load)),
            format!("检查 {:.1}", ms(self.check)),
            format!("汇总 {:.1}", ms(self.aggregate)),
            format!("模板 {:.1}", ms(self.render)),
            format!("排版 {:.1}", ms(self.compile)),
        ];
        parts.extend(self.outputs.iter().map(|(o, t)| format!("{} {:.1}", o.label(), ms(*t))));
        parts.push(format!("写入 {:.1}", ms(self.write)));
        parts.join("，")
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
    pub fonts: Vec<Face>,
    pub timings: Timings,
    /// The laid-out pages, when the build succeeded (for the preview and the layout tests).
    pub document: Option<PagedDocument>,
    /// The other outputs written (web page, fragment, Word file …), root-relative.
    pub outputs: Vec<PathBuf>,
    /// The month holds data only (no `通报.txt`): there is no circular to build.
    pub data_only: bool,
    /// A draft's mark (`草稿：3 处待填`) when this was a draft ([`Session::build_draft`]); its
    /// PDF is `draft.pdf`.
    pub draft: Option<String>,
    /// The month is issued: it was laid out (for the preview) and nothing was written, since an
    /// issued month's outputs are its issued files only (the commands place them: `build`,
    /// the hooks, `watch`).
    pub issued: bool,
    /// The date of issue of the circular built.
    pub(crate) date: Option<Date>,
    /// How many times the pages were laid out (more than once when the signature's page was
    /// fitted or the 版记 given a page of its own).
    pub(crate) layouts: usize,
    /// The digests of the inputs it was built from (root-relative path → SHA-256), as its manifest
    /// records them: what `build --all` stamps the month with.
    pub inputs: BTreeMap<String, String>,
    /// The files made and not written yet (a deferred build: [`Session::defer_writing`]).
    pub(crate) unwritten: Vec<Artifact>,
    /// The caller stopped the build once the pages were laid out ([`AfterLayout`]): nothing was
    /// made or written.
    pub(crate) stopped: bool,
}

/// What the caller of [`Session::build_loaded`] answers on seeing the laid-out pages: go on to
/// make and write the outputs, or stop there (the live preview: another save came meanwhile, so
/// these pages are out of date already).
pub(crate) type AfterLayout = std::ops::ControlFlow<()>;

/// The answer of a caller that only wants the outputs: go on.
pub(crate) fn go_on(_: &PagedDocument, _: &[Diagnostic]) -> AfterLayout {
    AfterLayout::Continue(())
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

/// What a command reads before it builds any month, read once and handed down (ripgrep's
/// `HiArgs`, mdBook's `MDBook::load`): the configuration, the page, the plan resolved from the
/// command line over the configuration, the font roles, the registry and the descriptions.
pub(crate) struct Resolved {
    pub project: Project,
    pub page: PageSpec,
    pub plan: Plan,
    pub roles: Vec<typeset::Role>,
    /// The registry and the table descriptions; `None` when they could not be read at all.
    pub base: Option<load::Base>,
    /// Every problem reading the above found (each month's diagnostics include them).
    pub diagnostics: Vec<Diagnostic>,
    /// The kinds of warning the office does not issue with (`发布前须解决`).
    pub blocking: Vec<Code>,
    /// The timestamp authority signatures are timestamped by (`时间戳服务`).
    pub timestamp: Option<url::Url>,
}

impl Resolved {
    /// Reads what every month shares and resolves the plan from `asked` over the configuration;
    /// a contradiction on the command line is refused (a usage error).
    pub(crate) fn read(project: &Project, asked: &Asked) -> Result<Resolved, String> {
        let mut diagnostics = Vec::new();
        let config = load::config::load(project, &mut diagnostics);
        let page = load::page::load(project, &mut diagnostics);
        let plan = Plan::resolve(asked, &config, &mut diagnostics)?;
        let roles = typeset::fonts::roles(&config);
        let base = load::base(project, &mut diagnostics);
        Ok(Resolved {
            project: project.clone(),
            page,
            plan,
            roles,
            base,
            blocking: config.blocking,
            timestamp: config.timestamp,
            diagnostics,
        })
    }

    /// With the plan the configuration asks for.
    pub(crate) fn configured(project: &Project) -> Resolved {
        Resolved::read(project, &Asked::default()).expect("the default options never contradict each other")
    }

    /// The same, building with `plan` (a rebuild as a manifest recorded it).
    pub(crate) fn with_plan(mut self, plan: &Plan) -> Resolved {
        self.plan = plan.clone();
        self
    }
}

/// A month as read for one command: its files loaded (its text parsed, once) with the tables of
/// the months it compares with.
pub(crate) struct Loaded {
    pub month: String,
    pub data: Option<load::Data>,
    pub diagnostics: Vec<Diagnostic>,
    /// The month folders its text compares with that exist (also inputs of its build).
    pub compared: Vec<String>,
    /// The digests of its inputs, once someone computed them (`build --all`, to compare with the
    /// month's stamp): the build records these rather than digest again.
    pub inputs: Option<BTreeMap<String, String>>,
    pub took: Duration,
}

/// Loads month `month` (folder name) over what `resolved` read: stage 1 for one month.
pub(crate) fn load_month(resolved: &Resolved, month: &str) -> Loaded {
    let t = Instant::now();
    let project = &resolved.project;
    let mut loaded = Loaded {
        month: month.to_string(),
        data: None,
        diagnostics: resolved.diagnostics.clone(),
        compared: Vec::new(),
        inputs: None,
        took: Duration::ZERO,
    };
    if !project.path(project.month_dir(month)).is_dir() {
        loaded.diagnostics.push(
            Diagnostic::general(
                Severity::Error,
                Code::MonthMissing,
                format!("没有找到月份文件夹 data/{month}"),
            )
            .help("新的月份用 tongbao new 建立，或复制上个月的文件夹再修改，文件夹名为 YYYY-MM"),
        );
    } else if let Some(base) = &resolved.base {
        let (data, mut diags) = base.month(project, month);
        loaded.diagnostics.append(&mut diags);
        loaded.compared = data.compared(month);
        loaded.data = Some(data);
    }
    loaded.took = t.elapsed();
    loaded
}

/// A month after load → check → aggregate → render.
pub(crate) struct Prepared {
    pub diagnostics: Vec<Diagnostic>,
    /// The circular, rendered; `None` when something stopped it (a diagnostic says what) or the
    /// month holds data only.
    pub rendered: Option<Rendered>,
    pub data_only: bool,
    pub compared: Vec<String>,
    pub inputs: Option<BTreeMap<String, String>>,
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
    /// The circular as rendered, for the outputs made from the laid-out pages.
    pub circular: Circular,
}

/// Runs check → aggregate → render for a loaded month with the producers of the rendered
/// document that `plan` asks for. `fonts` fills the templates' font lists with the families
/// present; without (for `check`), every family of each role is listed.
pub(crate) fn prepare(
    resolved: &Resolved,
    plan: &Plan,
    env: &minijinja::Environment<'static>,
    fonts: Option<&FontSet>,
    loaded: Loaded,
    draft: bool,
) -> Prepared {
    let month = loaded.month.as_str();
    let mut p = Prepared {
        diagnostics: loaded.diagnostics,
        rendered: None,
        data_only: false,
        compared: loaded.compared,
        inputs: loaded.inputs,
        timings: Timings {
            load: loaded.took,
            ..Timings::default()
        },
    };
    let Some(data) = loaded.data else { return p };

    let t = Instant::now();
    p.diagnostics.extend(check::check(&data, &[month.to_string()]));
    p.timings.check = t.elapsed();
    let Some(this) = data.month(month) else { return p };
    p.data_only = this.data_only();
    if (has_errors(&p.diagnostics) && !draft) || p.data_only {
        return p;
    }

    let t = Instant::now();
    let Some(agg) = aggregate::aggregate(&data, month) else {
        return p;
    };
    p.timings.aggregate = t.elapsed();

    let t = Instant::now();
    let page = &resolved.page;
    let document = match render::document(&data, this, &agg, page, draft) {
        Ok((d, mut warnings)) => {
            p.diagnostics.append(&mut warnings);
            d
        }
        Err(mut errors) => {
            p.diagnostics.append(&mut errors);
            return p;
        }
    };
    let mut circular = circular(&data, document, agg, page, role_families(&resolved.roles, fonts));
    if draft {
        circular.草稿 = Some(draft_label(&p.diagnostics));
    }
    let project = &resolved.project;
    let rendered = render::render(env, project, render::MAIN_TEMPLATE, &circular)
        .map_err(|d| vec![d])
        .and_then(|source| {
            let made = output::Document {
                project,
                circular: &circular,
                env,
                roles: &resolved.roles,
                page,
            };
            let artifacts = document_outputs(project, plan, month, &made, &mut p.timings)?;
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
                circular,
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
    page: &PageSpec,
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
        草稿: None,
    }
}

/// What a draft says of itself: `草稿：3 处待填，2 个错误` (or only what there is).
pub(crate) fn draft_label(diagnostics: &[Diagnostic]) -> String {
    let unfilled = diagnostics.iter().filter(|d| d.code == Code::Unfilled).count();
    let errors = diagnostics.iter().filter(|d| d.is_error()).count() - unfilled;
    let mut parts = Vec::new();
    if unfilled > 0 {
        parts.push(format!("{unfilled} 处待填"));
    }
    if errors > 0 {
        parts.push(format!("{errors} 个错误"));
    }
    if parts.is_empty() {
        "草稿".to_string()
    } else {
        format!("草稿：{}", parts.join("，"))
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
    check_resolved(&Resolved::configured(project), months)
}

/// [`check_months`] over what a command already resolved.
pub(crate) fn check_resolved(resolved: &Resolved, months: &[String]) -> Vec<Diagnostic> {
    let project = &resolved.project;
    let mut diags = resolved.diagnostics.clone();
    if months.is_empty()
        && let Some(base) = &resolved.base
    {
        diags.extend(check::check(&base.data(project, Vec::new()), &[]));
    }
    let env = render::environment(project);
    for month in months {
        let loaded = load_month(resolved, month);
        diags.extend(prepare(resolved, &resolved.plan, &env, None, loaded, false).diagnostics);
    }
    once(&mut diags);
    diags
}

/// What `check MONTH` lists, from the diagnostics a build of the month gave (the build runs
/// [`prepare`], the function `check` runs for each month, and the compile's own warnings —
/// fonts, Typst — stay): repeats removed and sorted as `check` shows them. What the preview lists.
pub(crate) fn as_checked(built: &[Diagnostic]) -> Vec<Diagnostic> {
    let mut diags = built.to_vec();
    once(&mut diags);
    diag::sort(&mut diags);
    diags
}

/// Keeps the first of diagnostics that say the same thing at the same place.
fn once(diags: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| seen.insert((d.file.clone(), d.line, d.column, d.code, d.message.clone())));
}

/// The files of the outputs made from the rendered document, each timed.
fn document_outputs(
    project: &Project,
    plan: &Plan,
    month: &str,
    doc: &output::Document<'_>,
    timings: &mut Timings,
) -> Result<Vec<Artifact>, Vec<Diagnostic>> {
    let mut artifacts = Vec::new();
    for output in &plan.outputs {
        if let Producer::Document(produce) = output.producer() {
            let t = Instant::now();
            for (file, bytes) in produce(doc)? {
                artifacts.push(Artifact {
                    rel: project.out_dir(month).join(file),
                    bytes,
                });
            }
            timings.outputs.insert(*output, t.elapsed());
        }
    }
    Ok(artifacts)
}

pub(crate) fn slashed(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

pub(crate) fn has_errors(diags: &[Diagnostic]) -> bool {
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

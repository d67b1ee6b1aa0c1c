//! A long-lived build context: what the command resolved, the fonts, the templates, Typst's world
//! and the provenance probes are kept between builds (watch, batches, the hooks), so a build pays
//! only for what changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use typst_layout::PagedDocument;

use super::{
    AfterLayout, Artifact, Loaded, Outcome, Plan, Rendered, Resolved, Timings, go_on, has_errors, load_month, prepare,
    slashed, write_error,
};
use crate::background::Background;
use crate::calendar::Date;
use crate::diag::{Code, Diagnostic, Severity};
use crate::output::{self, Output, Producer, pdf, pdf_path};
use crate::project::Project;
use crate::provenance::{self, Digester, GitProbe};
use crate::render;
use crate::typeset::{self, Decisions, FontSet, TongbaoWorld};

/// A build context on one project and plan.
pub struct Session {
    resolved: Arc<Resolved>,
    /// The fonts, scanned on a thread of their own while the first month is read and checked.
    fonts: Arc<Background<Arc<FontSet>>>,
    env: minijinja::Environment<'static>,
    world: Option<TongbaoWorld>,
    /// What git says of the inputs, asked once a command (again when the session reads everything
    /// again), shared by every session of the command.
    git: Arc<GitProbe>,
    /// The digests' memory, shared by every session of the command.
    digester: Arc<Mutex<Digester>>,
    /// Whether what the command resolved is still as read: true until the first build.
    fresh: bool,
    /// Whether this build is `issue`'s, the one path that may make the files of an issued month
    /// (a correction); every other build of an issued month writes nothing.
    issuing: bool,
    /// Whether a build leaves its files to its caller to write ([`write_out`]): a batch's workers
    /// go on to the next month while the files wait for the disk.
    deferred: bool,
}

/// A layout's result: the pages, or why not.
type LaidOut = Result<Laid, Vec<Diagnostic>>;

/// `plan` with only the outputs made from the laid-out pages.
fn page_outputs_only(plan: &Plan) -> Plan {
    Plan {
        outputs: plan
            .outputs
            .iter()
            .copied()
            .filter(|o| matches!(o.producer(), Producer::Pages(_)))
            .collect(),
        ..plan.clone()
    }
}

/// The laid-out pages, their warnings and count recorded in `out` and handed to `laid_out`;
/// `None`, with the errors in `out`, when the layout failed, or with `out.stopped` when
/// `laid_out` said to stop.
fn pages(
    laid: Result<typeset::Compiled, Vec<Diagnostic>>,
    out: &mut Outcome,
    laid_out: &mut dyn FnMut(&PagedDocument, &[Diagnostic]) -> AfterLayout,
) -> Option<PagedDocument> {
    match laid {
        Ok(compiled) => {
            out.diagnostics.extend(compiled.warnings);
            out.pages = compiled.document.pages().len();
            if laid_out(&compiled.document, &out.diagnostics).is_break() {
                out.stopped = true;
                return None;
            }
            Some(compiled.document)
        }
        Err(mut errors) => {
            out.diagnostics.append(&mut errors);
            None
        }
    }
}

/// What the pages were laid out from and with.
struct Laid {
    compiled: typeset::Compiled,
    decisions: Decisions,
    /// How many times the pages were laid out.
    layouts: usize,
}

/// A month rebuilt as it was frozen: its content and its PDF as issued.
pub(crate) struct Rebuilt {
    /// The PDF without the manifest, stamped with the date of issue (what 内容摘要 digests).
    pub content: Vec<u8>,
    /// The PDF with the issued manifest attached again and the issued PDF's timestamp.
    pub issued: Vec<u8>,
}

impl Session {
    /// Opens a session on the project at `root` with `plan` over its configuration (for the tests
    /// and the examples).
    pub fn new(root: &Path, plan: &Plan) -> Session {
        let project = Project::new(root);
        Session::open(Arc::new(Resolved::configured(&project).with_plan(plan)))
    }

    /// Opens a session on what a command resolved; the fonts are scanned and git is asked
    /// meanwhile.
    pub(crate) fn open(resolved: Arc<Resolved>) -> Session {
        let project = resolved.project.clone();
        project.recover();
        let (scanned, system, roles) = (project.clone(), resolved.plan.system_fonts, resolved.roles.clone());
        Session {
            fonts: Arc::new(Background::start(move || {
                let fonts = FontSet::load(&scanned, system);
                fonts.warm(&roles);
                Arc::new(fonts)
            })),
            env: render::environment(&project),
            world: None,
            git: Arc::new(GitProbe::start(&project)),
            digester: Default::default(),
            resolved,
            fresh: true,
            issuing: false,
            deferred: false,
        }
    }

    /// A new session sharing this one's resolved inputs, fonts and probes (for another thread;
    /// Typst's caches are shared by the whole process).
    pub(crate) fn sharing(&self) -> Session {
        Session {
            resolved: self.resolved.clone(),
            fonts: self.fonts.clone(),
            env: render::environment(&self.resolved.project),
            world: None,
            git: self.git.clone(),
            digester: self.digester.clone(),
            fresh: true,
            issuing: false,
            deferred: false,
        }
    }

    /// Builds from now on with what the command resolved again (watch, after a change), keeping
    /// the fonts and Typst's world; git is asked again (a commit may have happened meanwhile).
    pub(crate) fn refresh(&mut self, resolved: Arc<Resolved>) {
        self.env = render::environment(&resolved.project);
        self.git = Arc::new(GitProbe::start(&resolved.project));
        self.resolved = resolved;
    }

    /// Whether month `month` is issued and this is not `issue`'s build: then nothing is written.
    fn frozen_month(&self, month: &str) -> bool {
        !self.issuing && self.resolved.project.is_issued(month)
    }

    /// What this session builds from, to hand to another command's function.
    pub(crate) fn resolved_shared(&self) -> Arc<Resolved> {
        self.resolved.clone()
    }

    /// The fonts, once scanned (scanned here should the thread scanning them have died).
    fn fonts(&self) -> Arc<FontSet> {
        match self.fonts.get() {
            Some(fonts) => fonts.clone(),
            None => Arc::new(FontSet::load(&self.resolved.project, self.resolved.plan.system_fonts)),
        }
    }

    /// What this session builds from.
    pub(crate) fn resolved(&self) -> &Resolved {
        &self.resolved
    }

    /// The plan this session builds with.
    pub(crate) fn plan(&self) -> &Plan {
        &self.resolved.plan
    }

    /// Loads month `month` (stage 1), to build it with [`Session::build_loaded`].
    pub(crate) fn load(&self, month: &str) -> Loaded {
        load_month(&self.resolved, month)
    }

    /// The digests of month `month`'s inputs (its folder, the months in `compared`, and everything
    /// else a build reads), from what the command read.
    pub(crate) fn digests(&self, month: &str, compared: &[String]) -> BTreeMap<String, String> {
        let mut digester = self.digester.lock().unwrap_or_else(|e| e.into_inner());
        digester.digests(&self.resolved.project, month, compared)
    }

    /// Builds month `month` (folder name) as its files are now: a session that built before reads
    /// everything again (what the command resolved and each file), so that edits in between are
    /// seen. On any error nothing is written but the generated Typst source (when rendering got
    /// that far); the previous outputs stay in place.
    pub fn build(&mut self, month: &str) -> Outcome {
        if !self.fresh {
            let project = &self.resolved.project;
            project.forget();
            let again = Resolved::configured(project).with_plan(&self.resolved.plan);
            self.refresh(Arc::new(again));
        }
        self.fresh = false;
        let loaded = self.load(month);
        self.build_loaded(loaded, &mut go_on)
    }

    /// Builds a loaded month like [`Session::build`], handing the laid-out pages and the
    /// diagnostics so far (every warning `check` gives and Typst's) to `laid_out` as soon as the
    /// compile succeeded, before the outputs are made and written (the live preview shows them
    /// meanwhile). Not called when the build fails before or during the compile.
    pub(crate) fn build_loaded(
        &mut self,
        loaded: Loaded,
        laid_out: &mut dyn FnMut(&PagedDocument, &[Diagnostic]) -> AfterLayout,
    ) -> Outcome {
        let month = loaded.month.clone();
        let resolved = self.resolved.clone();
        let fonts = self.fonts();
        // Web page and workbook need no layout: they are made beside it (lay_out_beside_documents).
        let plan = page_outputs_only(&resolved.plan);
        let prepared = prepare(&resolved, &plan, &self.env, Some(&fonts), loaded, false);
        let mut out = Outcome {
            diagnostics: prepared.diagnostics,
            timings: prepared.timings,
            data_only: prepared.data_only,
            ..Outcome::default()
        };
        let Some(mut rendered) = prepared.rendered else {
            return out;
        };
        self.font_warnings(&rendered, &mut out);
        if has_errors(&out.diagnostics) {
            return out;
        }
        let t = Instant::now();
        let laid = match self.lay_out_beside_documents(&month, &mut rendered, &mut out.timings) {
            Ok(laid) => laid,
            Err(mut errors) => {
                out.diagnostics.append(&mut errors);
                return out;
            }
        };
        out.timings.compile = t.elapsed();
        out.layouts = laid.as_ref().map_or(1, |l| l.layouts);
        if self.frozen_month(&month) {
            out.document = pages(laid.map(|l| l.compiled), &mut out, laid_out);
            out.issued = true;
            return out;
        }
        let decisions = laid.as_ref().map(|l| l.decisions.clone()).unwrap_or_default();
        let typ = PathBuf::from(resolved.project.typst_source(&month));
        let source = generated(&rendered.source, &decisions).into_bytes();
        // A build that fails here leaves the generated source to look at (Typst's messages
        // point into it); a build that succeeds writes it with its other files, together.
        let failed = |mut out: Outcome| {
            match resolved.project.write_unsynced(&typ, &source) {
                Ok(()) => out.typst = Some(typ.clone()),
                Err(e) => out.diagnostics.push(write_error(&typ, &e)),
            }
            out
        };
        Self::font_errors(&self.fonts().failed_loads(), &mut out);
        if has_errors(&out.diagnostics) {
            return failed(out);
        }
        let Some(compiled) = pages(laid.map(|l| l.compiled), &mut out, laid_out) else {
            return if out.stopped { out } else { failed(out) };
        };
        let Some(date) = rendered.date else { return out };
        out.date = Some(date);
        out.inputs = match prepared.inputs {
            Some(inputs) => inputs,
            None => self.digests(&month, &prepared.compared),
        };
        let manifest = self
            .git
            .state()
            .map(|git| provenance::manifest(&month, &resolved.plan, git, out.inputs.clone()));
        if let Some(reason) = self.git.problem() {
            let message = format!("PDF 中没有记录源提交：{reason}");
            out.diagnostics
                .push(Diagnostic::general(Severity::Warning, Code::NoCommit, message));
        }
        let files = match self.page_outputs(&month, &compiled, &rendered, date, manifest, &mut out.timings) {
            Ok(files) => files,
            Err(mut errors) => {
                out.diagnostics.append(&mut errors);
                return out;
            }
        };
        // A month issued once whose record is gone is not built anew as if never issued.
        if let Some(lost) = self.git.lost_record(&resolved.project, &month) {
            out.diagnostics.push(lost);
            return out;
        }
        let mut all = rendered.artifacts;
        all.extend(files);
        all.push(Artifact {
            rel: typ.clone(),
            bytes: source,
        });
        out.document = Some(compiled);
        out.unwritten = all;
        if !self.deferred {
            write_out(&resolved.project, &month, &mut out, true);
        }
        out
    }

    /// From now on, a build leaves its files in its outcome's `unwritten`, for the caller to
    /// write with [`write_out`].
    pub(crate) fn defer_writing(&mut self) {
        self.deferred = true;
    }

    /// Builds a loaded month as a draft, whatever its state: a figure not known yet or an
    /// expression that fails prints as a placeholder, every page carries the draft's mark
    /// ([`crate::pipeline::draft_label`]), and only the PDF is made, written as
    /// `out/<month>/draft.pdf` (never the circular's own files, which stay as they were). Every
    /// problem is in the outcome's diagnostics; `laid_out` sees the pages as in
    /// [`Session::build_loaded`].
    pub(crate) fn build_draft(
        &mut self,
        loaded: Loaded,
        laid_out: &mut dyn FnMut(&PagedDocument, &[Diagnostic]) -> AfterLayout,
    ) -> Outcome {
        let month = loaded.month.clone();
        let resolved = self.resolved.clone();
        let plan = Plan {
            outputs: [Output::Pdf].into(),
            pdf_standard: None,
            ..resolved.plan.clone()
        };
        let fonts = self.fonts();
        let prepared = prepare(&resolved, &plan, &self.env, Some(&fonts), loaded, true);
        let mut out = Outcome {
            diagnostics: prepared.diagnostics,
            timings: prepared.timings,
            data_only: prepared.data_only,
            ..Outcome::default()
        };
        let Some(rendered) = prepared.rendered else { return out };
        self.font_warnings(&rendered, &mut out);
        out.draft = rendered.circular.草稿.clone();
        let laid = self.lay_out(&month, &rendered.source, rendered.date);
        let Some(compiled) = pages(laid.map(|l| l.compiled), &mut out, laid_out) else {
            return out;
        };
        let project = &resolved.project;
        if self.frozen_month(&month) {
            out.issued = true;
            out.document = Some(compiled);
            return out;
        }
        let made = output::Document {
            project,
            circular: &rendered.circular,
            env: &self.env,
            roles: &resolved.roles,
            page: &resolved.page,
        };
        let pages = output::Pages {
            document: &compiled,
            rendered: &made,
            plan: &plan,
            attachment: None,
            ident: format!("tongbao/{month}/draft"),
            timestamp: typeset::timestamp(rendered.date.unwrap_or(Date {
                year: 2000,
                month: 1,
                day: 1,
            })),
        };
        let Producer::Pages(produce) = Output::Pdf.producer() else {
            return out;
        };
        match produce(&pages) {
            Ok(files) => {
                let rel = output::draft_path(project, &month);
                for (_, bytes) in files {
                    match project.write(&rel, &bytes) {
                        Ok(()) => {
                            out.bytes = bytes.len();
                            out.pdf = Some(rel.clone());
                        }
                        Err(e) => out.diagnostics.push(write_error(&rel, &e)),
                    }
                }
            }
            Err(mut errors) => out.diagnostics.append(&mut errors),
        }
        out.document = Some(compiled);
        out
    }

    /// Fonts that could not be read (at the scan, or when Typst asked for them): errors naming
    /// the file and the reason, so nothing is set in another face without a word.
    fn font_errors(unreadable: &[(PathBuf, String)], out: &mut Outcome) {
        for (file, why) in unreadable {
            out.diagnostics.push(
                Diagnostic::in_file(
                    Severity::Error,
                    Code::Io,
                    file,
                    format!("无法读取字体文件 {}：{why}", file.display()),
                )
                .help("检查文件的权限，或换一份完好的字体文件；不用的字体从 fonts/ 中删去"),
            );
        }
    }

    /// Font warnings: roles without a face, characters no face has, fonts linked from outside;
    /// and the errors of fonts that could not be read.
    fn font_warnings(&self, rendered: &Rendered, out: &mut Outcome) {
        let fonts = self.fonts();
        Self::font_errors(fonts.unreadable(), out);
        out.fonts = fonts.resolve(&self.resolved.roles);
        typeset::uncovered(&fonts, &rendered.sources, &mut out.diagnostics);
        if let Some(first) = fonts.refused().first() {
            let n = fonts.refused().len();
            out.diagnostics.push(
                Diagnostic::general(
                    Severity::Warning,
                    Code::OutsideRoot,
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
                Diagnostic::general(Severity::Warning, Code::FontMissing, format!("{}没有可用的字体", role.role.name))
                    .help("fonts/ 文件夹中应有随项目提供的代用字体；运行 tongbao fonts 查看，或运行 fonts/regenerate.sh 重新生成"),
            );
        }
    }

    /// Lays `source` out in the session's world. The signature never stands on a page without
    /// body text: when it would, the circular is laid out again with the body's last page fitted
    /// ([`typeset::signature_fits`]). The 版记 goes on the last even page: when the document does
    /// not end on an even page with room for it, it is laid out again with the 版记 on a page of
    /// its own (and a blank page before it when needed). Both decisions reach the templates as
    /// `sys.inputs`; the source is never patched.
    fn lay_out(&mut self, month: &str, source: &str, date: Option<Date>) -> Result<Laid, Vec<Diagnostic>> {
        let main = self.resolved.project.typst_source(month);
        let today = typeset::datetime(date.unwrap_or(Date {
            year: 2000,
            month: 1,
            day: 1,
        }));
        let (project, fonts) = (self.resolved.project.clone(), self.fonts());
        let world = match &mut self.world {
            Some(w) => {
                w.update(&main, source, today);
                w
            }
            None => self.world.insert(TongbaoWorld::new(
                &project,
                fonts.clone(),
                &main,
                source.to_string(),
                today,
            )),
        };
        let page = &self.resolved.page;
        let mut decisions = Decisions::default();
        let mut compiled = typeset::compile(world);
        let mut layouts = 1;
        if let Ok(c) = &compiled
            && let Some(at) = typeset::signature_alone(&c.document)
        {
            // Fitted as GB/T 9704 asks: the tightest spacing that keeps the signature with the
            // body, else the last paragraph carried over (the last attempt stands either way).
            let fits = typeset::signature_fits(at, page);
            if !fits.is_empty() {
                let spare = || TongbaoWorld::new(&project, fonts.clone(), &main, source.to_string(), today);
                let (fit, laid, tried) = fitted(world, spare, fits);
                (decisions.fit, compiled, layouts) = (fit, laid, layouts + tried);
                world.decide(decisions.clone());
            }
        }
        if let Ok(c) = &compiled
            && source.contains(typeset::COLOPHON_HOOK)
            && typeset::colophon_needs_own_page(&c.document, page)
        {
            decisions.colophon_page = true;
            world.decide(decisions.clone());
            compiled = typeset::compile(world);
            layouts += 1;
        }
        compiled.map(|compiled| Laid {
            compiled,
            decisions,
            layouts,
        })
    }

    /// Lays the pages out ([`Session::lay_out`]) while, on another thread (only when any is
    /// asked for), the outputs made from the rendered document alone are made and added to
    /// `rendered`'s files, each timed in `timings`. The layout's result, or the errors of those
    /// outputs.
    fn lay_out_beside_documents(
        &mut self,
        month: &str,
        rendered: &mut Rendered,
        timings: &mut Timings,
    ) -> Result<LaidOut, Vec<Diagnostic>> {
        let resolved = self.resolved.clone();
        let asked = |o: &Output| matches!(o.producer(), Producer::Document(_));
        if !resolved.plan.outputs.iter().any(asked) {
            return Ok(self.lay_out(month, &rendered.source, rendered.date));
        }
        // The templates' environment is lent to the job while the world is laid out. The job runs
        // on rayon's pool, the layout on this thread (a batch's worker, or the command's own).
        let env = std::mem::replace(&mut self.env, minijinja::Environment::empty());
        let shown: &Rendered = rendered;
        let mut documents = Ok(Default::default());
        let laid = rayon::in_place_scope(|scope| {
            scope.spawn(|_| {
                let made = output::Document {
                    project: &resolved.project,
                    circular: &shown.circular,
                    env: &env,
                    roles: &resolved.roles,
                    page: &resolved.page,
                };
                documents = guarded(Code::Html, MADE, || {
                    let mut timings = Timings::default();
                    super::document_outputs(&resolved.project, &resolved.plan, month, &made, &mut timings)
                        .map(|f| (f, timings))
                });
            });
            self.lay_out(month, &shown.source, shown.date)
        });
        self.env = env;
        let (files, made) = documents?;
        rendered.artifacts.extend(files);
        timings.outputs.extend(made.outputs);
        Ok(laid)
    }

    /// The files of the outputs made from the laid-out pages, each timed: every other one first,
    /// side by side (each reads the same pages), then the PDF, whose manifest (attached as it is
    /// written) names every file this build made by its digest. One layout serves them all.
    fn page_outputs(
        &self,
        month: &str,
        document: &PagedDocument,
        rendered: &Rendered,
        date: Date,
        mut manifest: Option<provenance::Manifest>,
        timings: &mut Timings,
    ) -> Result<Vec<Artifact>, Vec<Diagnostic>> {
        let project = &self.resolved.project;
        let plan = &self.resolved.plan;
        let made = output::Document {
            project,
            circular: &rendered.circular,
            env: &self.env,
            roles: &self.resolved.roles,
            page: &self.resolved.page,
        };
        let mut pages = output::Pages {
            document,
            rendered: &made,
            plan,
            attachment: None,
            ident: format!("tongbao/{month}"),
            timestamp: typeset::timestamp(date),
        };
        let mut artifacts = Vec::new();
        // Side by side on rayon's threads, already running (new threads of our own, each with
        // its memory still to touch, cost more than the smaller outputs take).
        let producers: Vec<(Output, output::FromPages)> = plan
            .outputs
            .iter()
            .filter(|o| **o != Output::Pdf)
            .filter_map(|o| match o.producer() {
                Producer::Pages(produce) => Some((*o, produce)),
                Producer::Document(_) => None,
            })
            .collect();
        let others: Vec<(Output, output::Made, std::time::Duration)> = {
            use rayon::prelude::*;
            producers
                .into_par_iter()
                .map(|(o, produce)| {
                    let t = Instant::now();
                    let made = guarded(o.code(), MADE, || produce(&pages));
                    (o, made, t.elapsed())
                })
                .collect()
        };
        for (output, files, took) in others {
            for (file, bytes) in files? {
                artifacts.push(Artifact {
                    rel: project.out_dir(month).join(file),
                    bytes,
                });
            }
            timings.outputs.insert(output, took);
        }
        pages.attachment = manifest.as_mut().map(|m| {
            for a in rendered.artifacts.iter().chain(&artifacts) {
                m.outputs.insert(slashed(&a.rel), provenance::sha256(&a.bytes));
            }
            manifest_attachment(project, month, m.to_json())
        });
        let t = Instant::now();
        if let Producer::Pages(produce) = Output::Pdf.producer() {
            for (file, bytes) in produce(&pages)? {
                artifacts.push(Artifact {
                    rel: project.out_dir(month).join(file),
                    bytes,
                });
            }
        }
        timings.outputs.insert(Output::Pdf, t.elapsed());
        Ok(artifacts)
    }

    /// Builds month `month` to be issued: the build (as [`Session::build`]) and, from the same
    /// layout, its content (as [`Session::frozen`] makes it); `None` for the content when the build failed.
    pub(crate) fn build_to_issue(&mut self, month: &str) -> (Outcome, Option<Vec<u8>>) {
        self.issuing = true;
        let outcome = self.build(month);
        self.issuing = false;
        let content = match (&outcome.document, outcome.date, &outcome.pdf) {
            (Some(document), Some(date), Some(_)) => {
                let ident = format!("tongbao/{month}");
                pdf::export(document, &ident, typeset::datetime(date), &self.resolved.plan, None).ok()
            }
            _ => None,
        };
        (outcome, content)
    }

    /// The month's content (its PDF without the manifest, stamped with the date of issue whatever `SOURCE_DATE_EPOCH` says, so the same circular always gives the same bytes: what an issued circular is frozen to) and, from the same layout, the PDF as it was
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
        let resolved = self.resolved.clone();
        let loaded = load_month(&resolved, month);
        let fonts = self.fonts();
        let prepared = prepare(&resolved, &plan, &self.env, Some(&fonts), loaded, false);
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
            let document = self.lay_out(month, &rendered.source, Some(date))?.compiled.document;
            let content = pdf::export(&document, &ident, issued_at, &plan, None)?;
            let stamp = timestamp.unwrap_or(issued_at);
            let issued = match attachment {
                None if stamp == issued_at => content.clone(),
                None => pdf::export(&document, &ident, stamp, &plan, None)?,
                Some(json) => {
                    let attached = manifest_attachment(&self.resolved.project, month, json.to_string());
                    pdf::export(&document, &ident, stamp, &plan, Some(&attached))?
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

/// Writes the files a build made (`out.unwritten`) through the project's gate, replaced
/// together: all are written in full before any is renamed into place, so a full disk or a kill
/// leaves the previous build's files all as they were (or, should a rename fail, the message names
/// those replaced). What was written is recorded in `out`. The files are staged side by side on
/// rayon's pool when `pool` says so ([`Project::write_together_on`]).
pub(crate) fn write_out(project: &Project, month: &str, out: &mut Outcome, pool: bool) {
    let t = Instant::now();
    let mut files = std::mem::take(&mut out.unwritten);
    let pdf = pdf_path(project, month);
    files.sort_by_key(|a| a.rel == pdf);
    // The generated source can be made again: it is not waited for on the disk.
    let typ = PathBuf::from(project.typst_source(month));
    let all: Vec<(&Path, &[u8], bool)> = files
        .iter()
        .map(|a| (a.rel.as_path(), a.bytes.as_slice(), a.rel != typ))
        .collect();
    if let Err(failure) = project.write_together_on(&all, pool) {
        out.diagnostics.push(together_error(&failure, files.len()));
        return;
    }
    for a in &files {
        if a.rel == pdf {
            out.bytes = a.bytes.len();
            out.pdf = Some(a.rel.clone());
        } else if a.rel != typ {
            // The generated source is written with the outputs but is not one of them.
            out.outputs.push(a.rel.clone());
        }
    }
    if out.pdf.is_some() {
        out.typst = Some(typ);
    }
    out.timings.write = t.elapsed();
}

/// The error of a build whose files could not all be written: which one and why, and what became
/// of the others.
fn together_error(failure: &crate::project::WriteFailure, count: usize) -> Diagnostic {
    let mut d = write_error(&failure.file, &failure.error);
    let replaced: Vec<String> = failure.replaced.iter().map(|p| slashed(p)).collect();
    d.message.push_str(&if replaced.is_empty() {
        format!("；这次生成的 {count} 个文件都没有写入，out/ 中仍是上次生成的版本")
    } else {
        format!("；已替换的只有 {}，其余仍是上次生成的版本", replaced.join("、"))
    });
    d
}

/// The provenance manifest as the PDF carries it: beside the generated source, as `pdf.attach` in
/// it would have put it.
fn manifest_attachment(project: &Project, month: &str, json: String) -> pdf::Attachment {
    pdf::Attachment {
        name: provenance::ATTACHMENT,
        path: slashed(&project.out_dir(month).join(provenance::ATTACHMENT)),
        json,
        description: provenance::DESCRIPTION,
    }
}

/// What a panic in making an output says.
const MADE: &str = "生成时出现内部错误";

/// `work`'s result, or, should it panic, an error with `code` saying `what` (a job side by side
/// with others: the build goes on and says what failed).
fn guarded<T>(code: Code, what: &str, work: impl FnOnce() -> Result<T, Vec<Diagnostic>>) -> Result<T, Vec<Diagnostic>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
        .unwrap_or_else(|_| Err(vec![Diagnostic::general(Severity::Error, code, what)]))
}

/// The fits laid out in order until one keeps the signature with the body: that one, else the
/// last tried, with its layout and how many layouts were made. Outside a batch (whose workers
/// keep every core busy) two fits are laid out side by side, the second in a world of its own
/// (`spare`, made when first needed); the fit chosen is the one a layout at a time chooses.
fn fitted(
    world: &mut TongbaoWorld,
    spare: impl Fn() -> TongbaoWorld,
    fits: Vec<typeset::Fit>,
) -> (Option<typeset::Fit>, Result<typeset::Compiled, Vec<Diagnostic>>, usize) {
    let at_once = if rayon::current_thread_index().is_none() { 2 } else { 1 };
    let mut other: Option<TongbaoWorld> = None;
    let mut last = (None, Err(Vec::new()), 0);
    let with = |fit: &typeset::Fit| Decisions {
        fit: Some(fit.clone()),
        colophon_page: false,
    };
    for pair in fits.chunks(at_once) {
        world.decide(with(&pair[0]));
        let results = match pair.get(1) {
            None => vec![typeset::compile(world)],
            Some(second) => {
                let other = other.get_or_insert_with(&spare);
                other.decide(with(second));
                let (other, world) = (&*other, &*world);
                // The second on rayon's pool, the first on this thread (not a pool thread here).
                let mut later = Err(Vec::new());
                let first = rayon::in_place_scope(|scope| {
                    scope.spawn(|_| {
                        later = guarded(Code::Typst, "排版时出现内部错误", || typeset::compile(other))
                    });
                    typeset::compile(world)
                });
                vec![first, later]
            }
        };
        for (fit, result) in pair.iter().zip(results) {
            last.2 += 1;
            let kept = matches!(&result, Ok(c) if typeset::signature_alone(&c.document).is_none());
            (last.0, last.1) = (Some(fit.clone()), result);
            if kept {
                return last;
            }
        }
    }
    last
}

/// The generated source as written to `out/` for inspection: what was laid out, and, when
/// decisions were made, the stock CLI's arguments that lay out the same pages.
fn generated(source: &str, decisions: &Decisions) -> String {
    let arguments = decisions.arguments();
    if arguments.is_empty() {
        return source.to_string();
    }
    format!(
        "{source}\n// tongbao: laid out with sys.inputs; to compile it as tongbao did: typst compile {arguments} …\n"
    )
}

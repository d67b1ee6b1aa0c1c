//! `tongbao watch [MONTH] [--port N] [--open]`: rebuild on every save and show a live preview.
//!
//! The loop is `build` plus a file watcher: it watches folders (data/, templates/, fonts/ and the
//! project root for tongbao.yaml), never single files, so editors that save by renaming a temporary
//! file keep being seen. A burst of events is gathered into one rebuild (see [`Burst`]), and a
//! rebuild that another save overtakes is dropped before it shows anything ([`Events::newer`]).
//! One [`Session`] lives for the whole run, so Typst reuses unchanged work between rebuilds.

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind};
use notify::{EventKind, RecursiveMode, Watcher};

use super::{Error, Result, Status, month_name};
use crate::args::WatchArgs;
use crate::calendar::{MonthId, clock};
use crate::diag::{self, Diagnostic};
use crate::output::{Asked, draft_path, pdf_path};
use crate::pipeline::{AfterLayout, Resolved, Session};
use crate::preview::{self, State};
use crate::project::{FONTS, INPUTS, Project};

/// Quiet time that ends a burst of file events while a file may still be being written.
pub(crate) const DEBOUNCE: Duration = Duration::from_millis(25);
/// Quiet time that ends a burst once every file in it is complete: closed after writing, renamed
/// into place or removed. Enough for the rest of one save's events; the next file of a "save
/// all" or a checkout that comes later overtakes the rebuild ([`Events::newer`]), which then
/// shows nothing and starts again.
pub(crate) const SETTLE: Duration = Duration::from_millis(1);
/// Longest a steady stream of events can delay a rebuild.
pub(crate) const MAX_DELAY: Duration = Duration::from_millis(400);
/// Default preview port.
pub(crate) const DEFAULT_PORT: u16 = 7345;

/// Whether a changed path matters: a file the build reads ([`Project::is_input`], the one list
/// of inputs), or a folder (a month folder created, renamed or deleted). Editors' scratch files and
/// `out/` never do.
pub(crate) fn relevant(project: &Project, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(project.root()) else {
        return false;
    };
    if project.is_input(rel) {
        return true;
    }
    let scratch = rel
        .components()
        .any(|c| crate::project::is_scratch(&c.as_os_str().to_string_lossy()));
    let Some(first) = rel.components().next() else {
        return false;
    };
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    !scratch
        && INPUTS.contains(&first.as_os_str().to_string_lossy().as_ref())
        && rel.extension().is_none()
        && (path.is_dir() || MonthId::parse(&name).is_some() || rel.components().count() == 1)
}

/// How long the preview waits after a rebuild before it gives freed memory back (the browser has
/// asked for the changed pages by then).
const IDLE_TRIM: Duration = Duration::from_secs(3);

/// Starts the preview server (with the editor its source links open) and says where it is.
fn start_preview(project: &Project, args: &WatchArgs) -> Result<Arc<State>> {
    let editor = match args.editor.clone().or_else(|| std::env::var("TONGBAO_EDITOR").ok()) {
        Some(template) if !template.trim().is_empty() => preview::Editor::parse(&template).map_err(Error::Usage)?,
        _ => preview::Editor::default(),
    };
    let state = State::with_editor(editor);
    let server = preview::serve(
        args.port.unwrap_or(DEFAULT_PORT),
        args.port.is_none(),
        state.clone(),
        project.clone(),
    )
    .map_err(|e| Error::Usage(e.0))?;
    if let Some(busy) = server.busy {
        tell!("端口 {busy} 已被占用，改用 {}", server.addr.port());
    }
    let url = format!("http://{}/", server.addr);
    say!("预览：{url}");
    say!("正在监视 data/、templates/、fonts/；按 Ctrl-C 退出");
    if args.open {
        open_browser(&url);
    }
    Ok(state)
}

/// What a workspace tells the loop besides the file watcher: the month to show, the clerk's
/// unsaved texts (read in place of the files), and a nudge to rebuild now.
pub(crate) struct Live {
    root: PathBuf,
    month: std::sync::Mutex<Option<String>>,
    unsaved: std::sync::Mutex<std::collections::BTreeMap<PathBuf, Arc<[u8]>>>,
    poke: std::sync::Mutex<Option<mpsc::Sender<notify::Result<notify::Event>>>>,
}

impl Live {
    pub(crate) fn new(project: &Project, month: Option<String>) -> Arc<Live> {
        Arc::new(Live {
            root: project.root().to_path_buf(),
            month: std::sync::Mutex::new(month),
            unsaved: Default::default(),
            poke: Default::default(),
        })
    }

    /// Shows month `month` from now on.
    pub(crate) fn show(&self, month: &str) {
        *self.month.lock().unwrap_or_else(|e| e.into_inner()) = Some(month.to_string());
        self.nudge(Path::new(crate::project::DATA).join(month));
    }

    pub(crate) fn month(&self) -> Option<String> {
        self.month.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Takes `text` as root-relative `rel`'s content until it is saved (or `None`: the file again).
    pub(crate) fn edit(&self, rel: &Path, text: Option<Arc<[u8]>>) {
        let mut unsaved = self.unsaved.lock().unwrap_or_else(|e| e.into_inner());
        match text {
            Some(text) => unsaved.insert(rel.to_path_buf(), text),
            None => unsaved.remove(rel),
        };
        drop(unsaved);
        self.nudge(rel.to_path_buf());
    }

    /// Rebuilds soon, as if `rel` had been saved.
    pub(crate) fn nudge(&self, rel: PathBuf) {
        if let Some(tx) = self.poke.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            let closed = EventKind::Modify(ModifyKind::Name(notify::event::RenameMode::To));
            let _ = tx.send(Ok(notify::Event::new(closed).add_path(self.root.join(rel))));
        }
    }

    fn apply(&self, project: &Project) {
        for (rel, text) in self.unsaved.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            project.overlay(rel, text.clone());
        }
    }
}

/// Runs until Ctrl-C.
pub(crate) fn run(project: &Project, args: &WatchArgs) -> Result {
    let month = args.month.as_deref().map(month_name).transpose()?.map(|m| m.name());
    let state = start_preview(project, args)?;
    let live = Live::new(project, month);
    follow(project, args.fonts.system_fonts, &state, &live)
}

/// The loop: rebuilds the month [`Live`] names (the latest when none) on every change to an
/// input, until Ctrl-C.
pub(crate) fn follow(project: &Project, system_fonts: bool, state: &Arc<State>, live: &Arc<Live>) -> Result {
    let root = project.root();
    let state = state.clone();
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut events = Events {
        rx,
        ahead: VecDeque::new(),
    };
    *live.poke.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx.clone());
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = tx.send(event);
    })
    .map_err(|e| Error::Usage(format!("无法监视文件变化：{}", notify_reason(&e))))?;
    for input in INPUTS {
        watch_input(&mut watcher, project, input);
    }
    // The root itself, for tongbao.yaml and for folders created later.
    let _ = watcher.watch(root, RecursiveMode::NonRecursive);
    // The outputs the project's configuration asks for are kept fresh too; what every month
    // shares is read again before each rebuild (it may be what changed).
    let asked = Asked {
        system_fonts,
        ..Asked::default()
    };
    let resolve = || {
        live.apply(project);
        Resolved::read(project, &asked).map(Arc::new).map_err(Error::Usage)
    };

    let stop = on_ctrl_c();

    // The caches are swept after each rebuild's files are written, not between a save and them.
    crate::typeset::sweep_by_caller();
    let mut session = Session::open(resolve()?);
    rebuild(
        &mut session,
        project,
        live.month().as_deref(),
        &state,
        &BTreeSet::new(),
        Instant::now(),
        &mut || false,
    );
    let mut trim_at = Some(Instant::now() + IDLE_TRIM);
    // When the last rebuild was overtaken: when its burst started (the next one counts from then)
    // and what it had changed (the next one says it too).
    let mut overtaken: Option<(Instant, BTreeSet<PathBuf>)> = None;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        let first = match events.next(Duration::from_millis(200)) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) => {
                // Quiet for a while after a rebuild: what it and the renderings freed goes back.
                if trim_at.is_some_and(|at| Instant::now() >= at) {
                    crate::limits::allocator::release();
                    trim_at = None;
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let started = overtaken.as_ref().map_or_else(Instant::now, |(at, _)| *at);
        let Some(mut burst) = burst(project, &mut events, first, started) else {
            continue;
        };
        burst
            .changed
            .extend(overtaken.take().map(|(_, changed)| changed).unwrap_or_default());
        // A folder replaced as a whole (data/ restored from a copy) is watched anew: the watch
        // on the folder it replaced went with it.
        for input in INPUTS.iter().filter(|i| burst.changed.contains(Path::new(i))) {
            let _ = watcher.unwatch(&project.path(input));
            watch_input(&mut watcher, project, input);
        }
        project.forget();
        if burst.changed.iter().any(|p| p.starts_with(FONTS)) {
            session = Session::open(resolve()?);
        } else {
            session.refresh(resolve()?);
        }
        // A rebuild may be overtaken only within MAX_DELAY of the first save it answers: saves
        // that never stop still show their pages that often.
        let shown = rebuild(
            &mut session,
            project,
            live.month().as_deref(),
            &state,
            &burst.changed,
            started,
            &mut || started.elapsed() < MAX_DELAY && events.newer(project),
        );
        if !shown {
            overtaken = Some((started, burst.changed));
        }
        crate::typeset::sweep();
        trim_at = Some(Instant::now() + IDLE_TRIM);
    }
    say!("已停止监视");
    Ok(Status::Clean)
}

/// A flag that Ctrl-C sets.
fn on_ctrl_c() -> Arc<std::sync::atomic::AtomicBool> {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let set = stop.clone();
    let _ = ctrlc::set_handler(move || set.store(true, std::sync::atomic::Ordering::SeqCst));
    stop
}

/// The burst of changes that `first` starts (at `started`): the events that follow it until they
/// are over (or [`MAX_DELAY`] has passed); `None` when nothing in it matters.
fn burst(
    project: &Project,
    events: &mut Events,
    first: notify::Result<notify::Event>,
    started: Instant,
) -> Option<Burst> {
    let mut burst = Burst::default();
    burst.add(project, &first);
    if burst.changed.is_empty() {
        return None;
    }
    loop {
        let left = MAX_DELAY.saturating_sub(started.elapsed());
        match events.next(burst.quiet().min(left)) {
            Ok(event) => burst.add(project, &event),
            Err(_) => break,
        }
        if started.elapsed() >= MAX_DELAY {
            break;
        }
    }
    Some(burst)
}

/// Watches input folder `input` (and everything in it), if it is there.
fn watch_input(watcher: &mut notify::RecommendedWatcher, project: &Project, input: &str) {
    let path = project.path(input);
    if path.is_dir()
        && let Err(e) = watcher.watch(&path, RecursiveMode::Recursive)
    {
        tell!("警告：无法监视 {input}/：{}", notify_reason(&e));
    }
}

/// What the file watcher reported, in Chinese.
fn notify_reason(e: &notify::Error) -> String {
    match &e.kind {
        notify::ErrorKind::Io(e) => crate::project::io_reason(e),
        notify::ErrorKind::PathNotFound => "路径不存在".into(),
        notify::ErrorKind::WatchNotFound => "没有这个监视".into(),
        notify::ErrorKind::MaxFilesWatch => {
            "已达到系统允许监视的文件数上限（可调大 fs.inotify.max_user_watches）".into()
        }
        notify::ErrorKind::InvalidConfig(_) | notify::ErrorKind::Generic(_) => "系统的文件监视出错".into(),
    }
}

/// The file watcher's events, with those read ahead (by [`Events::newer`]) first.
struct Events {
    rx: mpsc::Receiver<notify::Result<notify::Event>>,
    ahead: VecDeque<notify::Result<notify::Event>>,
}

impl Events {
    /// The next event, waiting up to `wait` for one.
    fn next(&mut self, wait: Duration) -> std::result::Result<notify::Result<notify::Event>, RecvTimeoutError> {
        match self.ahead.pop_front() {
            Some(event) => Ok(event),
            None => self.rx.recv_timeout(wait),
        }
    }

    /// Whether an input changed since the burst being rebuilt ended: the events waiting are read
    /// ahead (and kept for the next burst). A rebuild asks before it shows anything.
    fn newer(&mut self, project: &Project) -> bool {
        self.ahead.extend(self.rx.try_iter());
        let mut probe = Burst::default();
        for event in &self.ahead {
            probe.add(project, event);
        }
        !probe.changed.is_empty()
    }
}

/// The files changed by a burst of events, and which of them may still be being written.
///
/// A save ends with the file closed after writing (Linux reports it), renamed into place or
/// removed; until then a half-written file could be read, so the burst waits for [`DEBOUNCE`] of
/// quiet. Once every file is complete, [`SETTLE`] is enough. Where the platform does not report
/// closes, every burst waits the full debounce.
#[derive(Default)]
struct Burst {
    changed: BTreeSet<PathBuf>,
    writing: BTreeSet<PathBuf>,
}

impl Burst {
    fn add(&mut self, project: &Project, event: &notify::Result<notify::Event>) {
        let root = project.root();
        let Ok(event) = event else { return };
        let complete = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                for path in &event.paths {
                    if let Ok(rel) = path.strip_prefix(root) {
                        self.writing.remove(rel);
                    }
                }
                return;
            }
            EventKind::Access(_) | EventKind::Other => return,
            EventKind::Modify(ModifyKind::Name(_)) | EventKind::Remove(_) | EventKind::Create(CreateKind::Folder) => {
                true
            }
            _ => false,
        };
        for path in &event.paths {
            if relevant(project, path)
                && let Ok(rel) = path.strip_prefix(root)
            {
                if complete {
                    self.writing.remove(rel);
                } else {
                    self.writing.insert(rel.to_path_buf());
                }
                self.changed.insert(rel.to_path_buf());
            }
        }
    }

    /// How long to wait for the next event before the burst counts as over.
    fn quiet(&self) -> Duration {
        if self.writing.is_empty() { SETTLE } else { DEBOUNCE }
    }
}

/// Rebuilds `month` (the latest when none) and shows it, unless `newer` says, before anything is
/// shown, that another save has overtaken this rebuild (its burst comes next): whether it showed.
fn rebuild(
    session: &mut Session,
    project: &Project,
    month: Option<&str>,
    state: &State,
    changed: &BTreeSet<PathBuf>,
    started: Instant,
    newer: &mut dyn FnMut() -> bool,
) -> bool {
    let month = match month {
        Some(m) => m.to_string(),
        None => match project.months().last() {
            Some(m) => m.clone(),
            None => {
                state.fail("", "data/ 中没有月份文件夹（应命名为 YYYY-MM）".into(), Vec::new());
                tell!("错误：data/ 中没有月份文件夹");
                return true;
            }
        },
    };
    // The pages reach the preview as soon as they are laid out; the PDF is exported after.
    let mut shown = None;
    let loaded = session.load(&month);
    // Where the pages' words come from, for a click on the page: taken from the data this build
    // loaded (a few lists of words), not loaded again.
    let sources = loaded
        .data
        .as_ref()
        .map(|d| preview::sources_of(d, &month))
        .unwrap_or_default();
    let mut outcome = session.build_loaded(loaded, &mut |doc, diagnostics| {
        if newer() {
            return AfterLayout::Break(());
        }
        state.publish(&month, doc, pdf_path(project, &month), preview::problems(diagnostics));
        shown = Some(started.elapsed().as_millis());
        AfterLayout::Continue(())
    });
    if outcome.stopped || (outcome.document.is_none() && newer()) {
        return false;
    }
    let ms = started.elapsed().as_millis();
    let (errors, warnings) = diag::counts(&outcome.diagnostics);
    let what = describe(changed);
    let clock = clock();
    match (&outcome.pdf, outcome.document.as_ref()) {
        // Issued: the pages are shown; out/ holds the issued files, or nothing new when the
        // month no longer gives that circular.
        (None, Some(_)) if outcome.issued && errors == 0 => issued(session, &month, state, &what, &clock),
        (Some(_), Some(_)) if errors == 0 => {
            let shown = shown.unwrap_or(ms);
            say!(
                "[{clock}] {month} 已更新（{what}）：预览 {shown} ms，PDF {ms} ms，{} 页，{warnings} 个警告",
                outcome.pages
            );
        }
        // Not laid out (errors before the layout, 待填 in a new month): the month as a draft.
        (None, None) if !outcome.data_only && draft(session, project, &month, state) => {
            let (errors, _) = diag::counts(&outcome.diagnostics);
            say!("[{clock}] {month} 显示草稿（{what}）：{errors} 个问题待解决，正式的 PDF 未生成");
        }
        _ => {
            diag::sort(&mut outcome.diagnostics);
            let shown: Vec<&Diagnostic> = outcome.diagnostics.iter().filter(|d| d.is_error()).collect();
            let mut text: String = shown
                .iter()
                .take(super::SHOWN)
                .map(|d| d.render())
                .collect::<Vec<_>>()
                .join("\n");
            let more = shown.len().saturating_sub(super::SHOWN);
            let more = (more > 0).then(|| format!("……另有 {more} 个错误未列出"));
            if let Some(more) = &more {
                text.push_str(&format!("\n{more}"));
            }
            state.fail(&month, text, preview::problems(&outcome.diagnostics));
            say!("[{clock}] {month} 生成失败（{what}）：{errors} 个错误，预览保留上次的版本");
            for d in shown.iter().take(super::SHOWN) {
                tell!("{}", d.to_terminal());
            }
            if let Some(more) = more {
                tell!("{more}");
            }
        }
    }
    state.set_sources(sources);
    true
}

/// An issued month rebuilt: its issued files are placed in out/ as `build` places them, or the
/// preview says what changed that an issued circular cannot.
fn issued(session: &Session, month: &str, state: &State, what: &str, clock: &str) {
    match super::build::place_issued(&session.resolved_shared(), month) {
        Ok(_) => say!("[{clock}] {month} 已发布（{what}）：通报没有改变，out/{month}/ 中为发布的文件"),
        Err(mut diags) => {
            diag::sort(&mut diags);
            let text: Vec<String> = diags.iter().take(super::SHOWN).map(Diagnostic::render).collect();
            state.fail(month, text.join("\n"), preview::problems(&diags));
            say!("[{clock}] {month} 已发布的通报不能改变（{what}）：out/{month}/ 未更新");
            for d in diags.iter().take(super::SHOWN) {
                tell!("{}", d.to_terminal());
            }
        }
    }
}

/// Shows month `month` as a draft; whether one could be made.
fn draft(session: &mut Session, project: &Project, month: &str, state: &State) -> bool {
    let loaded = session.load(month);
    let mut label = None;
    let outcome = session.build_draft(loaded, &mut |doc, diagnostics| {
        let mark = crate::pipeline::draft_label(diagnostics);
        state.publish_draft(
            month,
            doc,
            draft_path(project, month),
            preview::problems(diagnostics),
            mark.clone(),
        );
        label = Some(mark);
        AfterLayout::Continue(())
    });
    label.is_some() && outcome.document.is_some()
}

fn describe(changed: &BTreeSet<PathBuf>) -> String {
    let names: Vec<String> = changed
        .iter()
        .map(|p| p.display().to_string().replace('\\', "/"))
        .collect();
    match names.len() {
        0 => "首次生成".to_string(),
        1 | 2 => format!("{} 有改动", names.join("、")),
        n => format!("{} 等 {n} 个文件有改动", names[..2].join("、")),
    }
}

pub(crate) fn open_browser(url: &str) {
    let command = if cfg!(target_os = "windows") {
        ("cmd", vec!["/C", "start", "", url])
    } else if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else {
        ("xdg-open", vec![url])
    };
    if std::process::Command::new(command.0).args(&command.1).spawn().is_err() {
        tell!("无法自动打开浏览器，请手动访问 {url}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_files_are_ignored() {
        let root = &Project::new(Path::new("/p"));
        assert!(relevant(root, Path::new("/p/data/2023-03/710.yaml")));
        assert!(relevant(root, Path::new("/p/templates/gongwen.typ")));
        assert!(relevant(root, Path::new("/p/tongbao.yaml")));
        assert!(
            relevant(root, Path::new("/p/data/2023-03/通报.txt")),
            "the month's text"
        );
        assert!(relevant(root, Path::new("/p/templates/page.yaml")));
        assert!(relevant(root, Path::new("/p/fonts/FandolFang-Regular.otf")));
        assert!(
            relevant(root, Path::new("/p/data/2023-04")),
            "a month folder created or deleted"
        );
        for junk in [
            "/p/data/2023-03/.710.yaml.swp",
            "/p/data/2023-03/710.yaml~",
            "/p/data/2023-03/4913",
            "/p/data/2023-03/.#710.yaml",
            "/p/out/2023-03/circular.pdf",
            "/p/.git/index",
            "/p/data/2023-03/710.yaml.tmp",
            "/elsewhere/data/x.yaml",
            "/p/data/2023-03/sedhwuLqQ",
            "/p/data/2023-03/notes.txt",
            "/p/fonts/LICENSE.txt",
        ] {
            assert!(!relevant(root, Path::new(junk)), "{junk}");
        }
    }

    fn event(kind: EventKind, path: &str) -> notify::Result<notify::Event> {
        Ok(notify::Event::new(kind).add_path(PathBuf::from(path)))
    }

    #[test]
    fn a_burst_ends_soon_once_every_file_is_complete() {
        use notify::event::{DataChange, RemoveKind, RenameMode};
        let root = &Project::new(Path::new("/p"));
        let write = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));

        // Written in place: the full debounce until the file is closed.
        let mut burst = Burst::default();
        burst.add(root, &event(write, "/p/data/2023-03/710.yaml"));
        assert_eq!(burst.quiet(), DEBOUNCE);
        burst.add(root, &event(write, "/p/data/2023-03/12345.yaml"));
        burst.add(root, &event(closed, "/p/data/2023-03/710.yaml"));
        assert_eq!(burst.quiet(), DEBOUNCE, "12345.yaml is still open");
        burst.add(root, &event(closed, "/p/data/2023-03/12345.yaml"));
        assert_eq!(burst.quiet(), SETTLE);
        assert_eq!(burst.changed.len(), 2);

        // Saved by renaming a finished temporary file into place, or removed: complete at once.
        let mut burst = Burst::default();
        burst.add(
            root,
            &event(EventKind::Create(CreateKind::File), "/p/data/2023-03/.710.yaml.tmp"),
        );
        burst.add(
            root,
            &event(
                EventKind::Modify(ModifyKind::Name(RenameMode::To)),
                "/p/data/2023-03/710.yaml",
            ),
        );
        assert_eq!(burst.quiet(), SETTLE);
        burst.add(
            root,
            &event(EventKind::Remove(RemoveKind::File), "/p/templates/old.typ"),
        );
        assert_eq!(burst.quiet(), SETTLE);
        assert_eq!(
            burst
                .changed
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect::<Vec<_>>(),
            ["data/2023-03/710.yaml", "templates/old.typ"],
            "the temporary file is not a change"
        );

        // A close without a write, or of a file that does not matter, changes nothing.
        let mut burst = Burst::default();
        burst.add(
            root,
            &event(
                EventKind::Access(AccessKind::Close(AccessMode::Read)),
                "/p/data/2023-03/710.yaml",
            ),
        );
        burst.add(root, &event(closed, "/p/out/2023-03/circular.pdf"));
        assert!(burst.changed.is_empty());
    }

    /// A rebuild is overtaken by a change to an input that arrived meanwhile, not by anything
    /// else; the events read ahead to tell are the next burst's, in their order.
    #[test]
    fn a_rebuild_is_overtaken_only_by_a_change_to_an_input() {
        let root = &Project::new(Path::new("/p"));
        let (tx, rx) = mpsc::channel();
        let mut events = Events {
            rx,
            ahead: VecDeque::new(),
        };
        assert!(!events.newer(root));
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        tx.send(event(closed, "/p/out/2023-03/circular.pdf")).unwrap();
        tx.send(event(
            EventKind::Create(CreateKind::File),
            "/p/data/2023-03/.710.yaml.swp",
        ))
        .unwrap();
        assert!(
            !events.newer(root),
            "the build's own output and an editor's scratch file"
        );
        let write = EventKind::Modify(ModifyKind::Data(notify::event::DataChange::Any));
        tx.send(event(write, "/p/data/2023-03/710.yaml")).unwrap();
        assert!(events.newer(root));
        assert!(events.newer(root), "asking again reads nothing away");
        let order: Vec<PathBuf> = std::iter::from_fn(|| events.next(Duration::ZERO).ok())
            .filter_map(|e| e.ok())
            .flat_map(|e| e.paths)
            .collect();
        assert_eq!(
            order,
            [
                "/p/out/2023-03/circular.pdf",
                "/p/data/2023-03/.710.yaml.swp",
                "/p/data/2023-03/710.yaml"
            ]
            .map(PathBuf::from)
        );
        assert!(!events.newer(root));
    }
}

//! The live preview: a small HTTP server on 127.0.0.1 that shows the pages of the last good build
//! as PNG images at the browser's device resolution (with an invisible text layer, so the browser
//! can search and select), pushes each rebuild to open pages with Server-Sent Events, and shows the
//! Chinese diagnostics of a failed rebuild over the last good pages.
//!
//! Pages are rasterised here rather than sent as SVG: a page of this circular is 200–800 KB of
//! glyph outlines as SVG, which Chromium takes 50–150 ms to rasterise, while rendering and encoding
//! the same page as PNG takes about 15 ms and the browser decodes it in a few (BENCHMARKS.md's
//! Benchmarks give the measurement). Only pages whose content changed get a new version, so the
//! browser fetches only those.
//!
//! It serves only its own page, the page images, the status and the PDF: no directory listing and
//! no path is ever mapped to the file system.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use serde::Serialize;
use typst_layout::PagedDocument;

use crate::diag::{Code, Diagnostic, Severity};
use crate::http::{self, Request, Response};
use crate::limits::{PREVIEW_CACHE_BYTES, PREVIEW_CONNECTIONS, PREVIEW_RENDERS};
use crate::project::Project;
use crate::typeset::inspect;

mod editor;
pub(crate) use editor::Editor;

const INDEX: &str = include_str!("preview/index.html");
/// The page's icon (also linked from the page itself, as a data URL).
const FAVICON: &str = include_str!("preview/favicon.svg");

/// One page of the preview.
#[derive(Clone)]
struct PageImage {
    page: Arc<typst_layout::Page>,
    /// The image and the text layer are made when first asked for, on the server's threads, so a
    /// rebuild is announced as soon as it is laid out. Images are kept in the preview's cache
    /// ([`Cache`], bounded in bytes); this lock makes simultaneous requests for one page share
    /// one rendering.
    rendering: Arc<Mutex<()>>,
    text: Arc<OnceLock<String>>,
    hash: u128,
    version: u64,
}

impl PageImage {
    /// The page as a PNG `width` pixels wide: from the cache, or rendered (at most
    /// [`PREVIEW_RENDERS`] pages at once) and kept there.
    fn png(&self, width: u32, state: &State) -> Arc<Vec<u8>> {
        let _one = self.rendering.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bytes) = state.cache().get(self.hash, width) {
            return bytes;
        }
        let page = self.page.clone();
        let bytes = Arc::new(state.renders.run(move || raster(&page, width)).unwrap_or_default());
        state.cache().put(self.hash, width, bytes.clone());
        bytes
    }

    fn text(&self) -> &str {
        self.text
            .get_or_init(|| text_layer(&inspect::measure_page(&self.page, 1)))
    }
}

/// What the preview shows: the last good pages and, after a failed rebuild, its diagnostics.
#[derive(Default)]
struct Snapshot {
    version: u64,
    pages: Vec<PageImage>,
    error: Option<String>,
    /// Every problem of the last build, errors and warnings: the list `check` gives.
    problems: Vec<Problem>,
    /// When the last build was shown, on the server's clock, in Chinese (`14时03分05秒`).
    time: String,
    pdf: Option<PathBuf>,
    month: String,
    /// The draft's mark when the pages shown are a draft (`草稿：3 处待填`).
    draft: Option<String>,
    /// Where what the pages print comes from ([`sources_of`]).
    sources: Vec<SourceLine>,
}

/// A line of a month's source files and the words it prints: a line of `通报.txt` (its text
/// outside expressions) or a table's row (its unit's names).
#[derive(Clone, Serialize)]
pub(crate) struct SourceLine {
    file: String,
    line: usize,
    #[serde(skip)]
    words: Vec<String>,
}

/// Where month `month`'s printed words come from: each line of its text, each row of its tables.
pub(crate) fn sources_of(data: &crate::load::Data, month: &str) -> Vec<SourceLine> {
    let Some(m) = data.month(month) else { return Vec::new() };
    let squeeze = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let mut out: Vec<SourceLine> = Vec::new();
    for line in m.text.iter().flat_map(|t| t.lines()) {
        out.push(SourceLine {
            file: crate::pipeline::slashed(&line.loc.src.path),
            line: line.loc.line,
            words: line
                .texts()
                .map(|(_, t)| squeeze(t))
                .filter(|t| t.chars().count() >= 2)
                .collect(),
        });
    }
    for table in &m.tables {
        for row in table.rows.iter().filter(|r| !r.unit.is_empty()) {
            // Its names, and the row as printed (the name, then its figures): the figures tell the
            // tables that list the same unit apart.
            let figures: String = row.values.iter().map(|f| f.value.to_string()).collect();
            let mut words = vec![row.unit.clone()];
            if let Some(unit) = data.registry.resolve(&row.unit) {
                words.push(unit.name.clone());
                words.push(format!("{}{figures}", unit.name_at(&m.id)));
            }
            out.push(SourceLine {
                file: crate::pipeline::slashed(&row.loc.src.path),
                line: row.loc.line,
                words,
            });
        }
    }
    out
}

/// The source line a printed line of the page most likely comes from: the one whose words cover
/// most of it (a unit's row by its name; a paragraph by its text around the figures). A printed
/// line is at most a page's width: 120 characters are read of what a request says.
fn locate<'s>(sources: &'s [SourceLine], printed: &str) -> Option<&'s SourceLine> {
    let printed: Vec<char> = printed.chars().filter(|c| !c.is_whitespace()).take(120).collect();
    sources
        .iter()
        .map(|s| {
            let shared = s
                .words
                .iter()
                .map(|w| common(&printed, &w.chars().take(2_000).collect::<Vec<_>>()))
                .max()
                .unwrap_or(0);
            (shared, s)
        })
        .filter(|(shared, _)| *shared >= 2)
        .max_by_key(|(shared, _)| *shared)
        .map(|(_, s)| s)
}

/// The length of the longest run of characters `a` and `b` share.
fn common(a: &[char], b: &[char]) -> usize {
    let mut best = 0;
    let mut previous = vec![0usize; b.len() + 1];
    for x in a {
        let mut current = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            if x == y {
                current[j + 1] = previous[j] + 1;
                best = best.max(current[j + 1]);
            }
        }
        previous = current;
    }
    best
}

/// A problem as the page lists it: the diagnostic, and the line it quotes cut around the
/// characters it marks, so the browser marks them in its own font (terminal spacing under a
/// proportional font puts carets under the wrong characters).
#[derive(Clone, Serialize)]
pub(crate) struct Problem {
    severity: Severity,
    code: Code,
    message: String,
    /// `data/2023-03/12345.yaml:6:30`, `data/x.xlsx 单元格 B7` or the file alone.
    place: Option<String>,
    /// The file (root-relative, `/`-separated), the line, the column and the characters marked,
    /// for an editor that underlines them (the workspace).
    file: Option<String>,
    line: usize,
    column: usize,
    len: usize,
    quote: Option<Quote>,
    help: Option<String>,
}

/// A quoted line: the text before the marked characters, the marked ones, the text after.
#[derive(Clone, Serialize, PartialEq, Debug)]
struct Quote {
    before: String,
    marked: String,
    after: String,
}

/// The problems `check` lists for a build's diagnostics ([`crate::pipeline::as_checked`]), in its
/// order.
pub(crate) fn problems(built: &[Diagnostic]) -> Vec<Problem> {
    crate::pipeline::as_checked(built).iter().map(problem).collect()
}

fn problem(d: &Diagnostic) -> Problem {
    let place = d.file.as_ref().map(|f| {
        let path = f.to_string_lossy().replace('\\', "/");
        match (&d.cell, d.line) {
            (Some(cell), _) => format!("{path} 单元格 {cell}"),
            (None, 0) => path,
            (None, line) => format!("{path}:{line}:{}", d.column),
        }
    });
    Problem {
        severity: d.severity,
        code: d.code,
        message: d.message.clone(),
        place,
        file: d.file.as_ref().map(|f| f.to_string_lossy().replace('\\', "/")),
        line: d.line,
        column: d.column,
        len: d.len,
        quote: d
            .snippet
            .as_deref()
            .filter(|_| d.line > 0)
            .map(|line| quote(line, d.column, d.len)),
        help: d.help.clone(),
    }
}

/// Cuts `line` around the `len` characters from 1-based `column` (at least one is marked: a
/// place past the end marks a space after the line).
fn quote(line: &str, column: usize, len: usize) -> Quote {
    let chars: Vec<char> = line.chars().collect();
    let from = column.saturating_sub(1).min(chars.len());
    let to = (from + len.max(1)).min(chars.len());
    let text = |range: &[char]| range.iter().collect::<String>();
    let marked = text(&chars[from..to]);
    Quote {
        before: text(&chars[..from]),
        marked: if marked.is_empty() { " ".into() } else { marked },
        after: text(&chars[to..]),
    }
}

/// Shared between the build loop and the server threads.
#[derive(Default)]
pub(crate) struct State {
    inner: Mutex<Snapshot>,
    changed: Condvar,
    /// Page images made, by page content and width, least recently used first.
    images: Mutex<Cache>,
    /// The threads that render page images.
    renders: Workers,
    /// What a click on a source link opens.
    editor: Editor,
}

/// Page images kept, at most [`PREVIEW_CACHE_BYTES`] of PNG: the least recently used goes first.
#[derive(Default)]
struct Cache {
    entries: std::collections::VecDeque<(u128, u32, Arc<Vec<u8>>)>,
    bytes: usize,
}

impl Cache {
    fn get(&mut self, hash: u128, width: u32) -> Option<Arc<Vec<u8>>> {
        let at = self.entries.iter().position(|(h, w, _)| *h == hash && *w == width)?;
        let entry = self.entries.remove(at)?;
        let bytes = entry.2.clone();
        self.entries.push_back(entry);
        Some(bytes)
    }

    fn put(&mut self, hash: u128, width: u32, png: Arc<Vec<u8>>) {
        if self.get(hash, width).is_some() {
            return;
        }
        self.bytes += png.len();
        self.entries.push_back((hash, width, png));
        while self.bytes > PREVIEW_CACHE_BYTES && self.entries.len() > 1 {
            if let Some((_, _, old)) = self.entries.pop_front() {
                self.bytes -= old.len();
            }
        }
    }
}

/// A piece of work for [`Workers`].
type Job = Box<dyn FnOnce() + Send>;

/// [`PREVIEW_RENDERS`] threads that render page images, started when the first is asked for.
/// Rendering there rather than on the connection's own thread bounds the pages drawn at once, and
/// it keeps a rendering's large buffers (about 100 MB at 4000 px) in those threads' allocator
/// arenas: drawn on up to 64 connection threads, each thread's arena kept tens of MiB freed but
/// not given back, and 200 parallel requests took the preview to 750 MiB.
#[derive(Default)]
struct Workers {
    jobs: OnceLock<std::sync::mpsc::Sender<Job>>,
}

impl Workers {
    /// Runs `work` on one of the threads and waits for its result; `None` if it panicked.
    fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let jobs = self.jobs.get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel::<Job>();
            let rx = Arc::new(Mutex::new(rx));
            for _ in 0..PREVIEW_RENDERS {
                let rx = rx.clone();
                std::thread::spawn(move || {
                    loop {
                        // The lock is let go before the job runs; the loop ends when the state,
                        // holding the sender, is dropped.
                        let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok(job) = next else { break };
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            }
            tx
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
        });
        jobs.send(job).ok()?;
        rx.recv().ok()
    }
}

#[derive(Serialize)]
struct Status<'a> {
    version: u64,
    month: &'a str,
    pages: Vec<u64>,
    error: Option<&'a str>,
    draft: Option<&'a str>,
    problems: &'a [Problem],
    time: &'a str,
}

#[derive(Serialize)]
struct TextRun {
    x: f64,
    y: f64,
    size: f64,
    w: f64,
    text: String,
}

impl State {
    /// A new, empty preview.
    #[cfg(test)]
    pub(crate) fn new() -> Arc<State> {
        Arc::new(State::default())
    }

    /// A new, empty preview whose source links open `editor`.
    pub(crate) fn with_editor(editor: Editor) -> Arc<State> {
        Arc::new(State {
            editor,
            ..State::default()
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Snapshot> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.images.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Shows a new good build: pages whose content changed get a new version; the error goes away.
    /// It is announced at once: the browser asks for the changed pages it shows first, and each is
    /// rendered when asked for (rendering them all here first was measured slower, as it delays
    /// the PDF export that follows on this thread).
    pub(crate) fn publish(&self, month: &str, document: &PagedDocument, pdf: PathBuf, problems: Vec<Problem>) {
        self.show(month, document, pdf, problems, None);
    }

    /// Shows a draft ([`crate::pipeline::Session::build_draft`]): its pages, its mark, every
    /// problem; no error box (the pages are current, only unfinished).
    pub(crate) fn publish_draft(
        &self,
        month: &str,
        document: &PagedDocument,
        pdf: PathBuf,
        problems: Vec<Problem>,
        draft: String,
    ) {
        self.show(month, document, pdf, problems, Some(draft));
    }

    fn show(&self, month: &str, document: &PagedDocument, pdf: PathBuf, problems: Vec<Problem>, draft: Option<String>) {
        let mut snap = self.lock();
        snap.version += 1;
        let version = snap.version;
        let old = std::mem::take(&mut snap.pages);
        snap.pages = document
            .pages()
            .iter()
            .enumerate()
            .map(|(i, page)| {
                let hash = typst::utils::hash128(page);
                match old.get(i) {
                    Some(p) if p.hash == hash => p.clone(),
                    _ => PageImage {
                        page: Arc::new(page.clone()),
                        rendering: Arc::default(),
                        text: Arc::default(),
                        hash,
                        version,
                    },
                }
            })
            .collect();
        snap.error = None;
        snap.draft = draft;
        snap.problems = problems;
        snap.time = crate::calendar::clock_chinese();
        snap.pdf = Some(pdf);
        snap.month = month.to_string();
        drop(snap);
        self.changed.notify_all();
    }

    /// Shows a failed rebuild's diagnostics (`errors` as the console prints them, and every
    /// problem) over the last good pages.
    pub(crate) fn fail(&self, month: &str, errors: String, problems: Vec<Problem>) {
        let mut snap = self.lock();
        snap.version += 1;
        snap.error = Some(errors);
        snap.problems = problems;
        snap.time = crate::calendar::clock_chinese();
        snap.month = month.to_string();
        drop(snap);
        self.changed.notify_all();
    }

    /// Sets where the pages' words come from ([`sources_of`]).
    pub(crate) fn set_sources(&self, sources: Vec<SourceLine>) {
        self.lock().sources = sources;
    }

    /// Which of the printed lines come from line `line` of `file` (by the same rule as a click:
    /// [`locate`]), for the workspace to mark where its cursor is.
    fn lines_from(&self, file: &str, line: usize, printed: &[String]) -> Vec<usize> {
        let snap = self.lock();
        printed
            .iter()
            .enumerate()
            .filter(|(_, p)| locate(&snap.sources, p).is_some_and(|s| s.file == file && s.line == line))
            .map(|(i, _)| i)
            .collect()
    }

    /// `{"file": …, "line": …, "open": …}` for a printed line of the pages (`open`: the editor's
    /// link, or `null` when the editor is a command the preview runs: [`State::open_source`]),
    /// or `None`.
    fn source_json(&self, printed: &str, root: &std::path::Path) -> Option<String> {
        let snap = self.lock();
        let s = locate(&snap.sources, printed)?;
        let open = self.editor.link(&root.join(&s.file), s.line);
        Some(serde_json::json!({"file": s.file, "line": s.line, "open": open}).to_string())
    }

    /// Opens the editor's command at the source of a printed line. Only a line the pages show
    /// can be opened, so a request names no file of its own.
    fn open_source(&self, printed: &str, root: &std::path::Path) -> Result<(), String> {
        let (file, line) = {
            let snap = self.lock();
            let s = locate(&snap.sources, printed).ok_or("页面上没有这一行")?;
            (root.join(&s.file), s.line)
        };
        self.editor.open(&file, line)
    }

    fn status_json(&self) -> String {
        let snap = self.lock();
        let status = Status {
            version: snap.version,
            month: &snap.month,
            pages: snap.pages.iter().map(|p| p.version).collect(),
            error: snap.error.as_deref(),
            draft: snap.draft.as_deref(),
            problems: &snap.problems,
            time: &snap.time,
        };
        serde_json::to_string(&status).unwrap_or_default()
    }

    fn wait_for_change(&self, seen: u64, timeout: Duration) -> u64 {
        let snap = self.lock();
        let (snap, _) = self
            .changed
            .wait_timeout_while(snap, timeout, |s| s.version == seen)
            .unwrap_or_else(|e| e.into_inner());
        snap.version
    }
}

/// The widths page images are made at, in pixels: a width asked for is served at the next step
/// up (the browser scales it to its box), the widest for anything wider. A few steps keep the
/// renderings a client can ask for few, so the cache serves them and memory stays flat; 2400 px
/// is a page filling a 4K screen at twice its pixel density.
const WIDTHS: [u32; 8] = [400, 600, 800, 1000, 1200, 1500, 1800, 2400];

/// The page as a PNG `width` pixels wide, compressed with the png crate's fast DEFLATE (3–4×
/// quicker than its default, about twice the size: a good trade on a loopback connection).
///
/// A page with no colour on it (most are: only the 版头 and seals are red) is sent as 8-bit grey,
/// a quarter of the bytes to compress here and to inflate in the browser.
fn raster(page: &typst_layout::Page, width: u32) -> Vec<u8> {
    let pt = page.frame.width().to_pt().max(1.0);
    let pixmap = typst_render::render(
        page,
        &typst_render::RenderOptions {
            pixel_per_pt: (f64::from(width) / pt).into(),
            render_bleed: false,
        },
    );
    let (w, h) = (pixmap.width(), pixmap.height());
    // The pixels are converted in their own buffer (at 4000 px it is 90 MB; no second copy).
    let mut pixels = pixmap.take();
    // One pass: whether every pixel is opaque, and whether every one is also grey.
    let (opaque, grey) = pixels.chunks_exact(4).fold((true, true), |(opaque, grey), px| {
        let solid = opaque && px[3] == 255;
        (solid, grey && solid && px[0] == px[1] && px[1] == px[2])
    });
    let color = if grey {
        for i in 0..pixels.len() / 4 {
            pixels[i] = pixels[i * 4];
        }
        pixels.truncate(pixels.len() / 4);
        png::ColorType::Grayscale
    } else {
        if !opaque {
            // tiny-skia keeps premultiplied alpha; PNG wants it straight.
            for px in pixels.chunks_exact_mut(4) {
                let a = u16::from(px[3]);
                for c in &mut px[..3] {
                    if let Some(straight) = (u16::from(*c) * 255 + a / 2).checked_div(a) {
                        *c = straight.min(255) as u8;
                    }
                }
            }
        }
        png::ColorType::Rgba
    };
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::Filter::Adaptive);
    let written = encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&pixels).and_then(|()| w.finish()));
    if written.is_err() {
        out.clear();
    }
    out
}

/// The width to serve for the `w=` parameter of a page image's URL: the step of [`WIDTHS`] at or
/// above it (the widest above them all); 1000 when absent or malformed.
fn width_param(url: &str) -> u32 {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let asked = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("w="))
        .and_then(|w| w.parse::<u32>().ok())
        .unwrap_or(1000);
    let widest = WIDTHS[WIDTHS.len() - 1];
    WIDTHS.iter().copied().find(|&w| w >= asked).unwrap_or(widest)
}

fn text_layer(layout: &inspect::Layout) -> String {
    let runs: Vec<TextRun> = layout
        .runs
        .iter()
        .map(|r| TextRun {
            x: r.x,
            y: r.baseline,
            size: r.size,
            w: r.width,
            text: r.text.clone(),
        })
        .collect();
    serde_json::to_string(&runs).unwrap_or_else(|_| "[]".into())
}

/// What the preview allows each client: its page opens a handful of connections and one event
/// stream a tab.
const LIMITS: http::Limits = http::Limits {
    connections: PREVIEW_CONNECTIONS,
    streams: 16,
    head_time: Duration::from_secs(2),
    body_time: Duration::from_secs(2),
    body_bytes: 1 << 20,
};

/// Starts the preview on 127.0.0.1:`port` (0 = any free port; with `fallback`, a busy port is
/// replaced by a free one).
pub(crate) fn serve(
    port: u16,
    fallback: bool,
    state: Arc<State>,
    project: Project,
) -> Result<http::Server, http::StartError> {
    let handler: http::Handler = Arc::new(move |request| handle(&request, &state, &project));
    http::serve(port, fallback, LIMITS, handler)
}

/// Answers one request: GET/HEAD of the fixed routes below, and POST of `/open`. Who may ask is
/// checked before (see [`http`]).
pub(crate) fn handle(request: &Request, state: &Arc<State>, project: &Project) -> Response {
    let path = request.path();
    if request.method == "POST" && path == "/open" {
        let printed = text_param(request);
        return match state.open_source(&printed, project.root()) {
            Ok(()) => Response::new(204, http::TEXT, Vec::new()),
            Err(message) => Response::text(422, &message),
        };
    }
    if request.method == "POST" && path == "/lines" {
        let printed: Vec<String> = serde_json::from_slice(&request.body).unwrap_or_default();
        let printed = &printed[..printed.len().min(crate::limits::PAGES * 60)];
        let file = request.param("file", 300).unwrap_or_default();
        let line = request.param("line", 10).and_then(|l| l.parse().ok()).unwrap_or(0);
        return Response::json(&state.lines_from(&file, line, printed));
    }
    if !request.is_read() {
        return Response::text(405, "405 不支持的请求方法");
    }
    match path {
        "/" | "/index.html" | "/preview" => Response::ok(http::HTML, INDEX),
        "/status.json" => Response::ok(http::JSON, state.status_json()),
        // The source line a clicked line of the page comes from.
        "/source" => match state.source_json(&text_param(request), project.root()) {
            Some(json) => Response::ok(http::JSON, json),
            None => Response::not_found(),
        },
        "/favicon.ico" | "/favicon.svg" => Response::ok("image/svg+xml", FAVICON),
        "/ui-font" => ui_font(&Project::new(project.root())).unwrap_or_else(Response::not_found),
        "/events" => events(state.clone()),
        "/circular.pdf" => {
            let pdf = state.lock().pdf.clone();
            match pdf.and_then(|p| project.read(&p).ok()) {
                Some(bytes) => Response::ok("application/pdf", bytes),
                None => Response::not_found(),
            }
        }
        _ => match page_route(path) {
            Some((index, kind)) => {
                let page = state.lock().pages.get(index).cloned();
                match (page, kind) {
                    (Some(p), "png") => Response::ok("image/png", p.png(width_param(&request.target), state).to_vec()),
                    (Some(p), "json") => Response::ok(http::JSON, p.text()),
                    _ => Response::not_found(),
                }
            }
            None => Response::not_found(),
        },
    }
}

/// A face of the project's own fonts for the page's Chinese (an office PC may have none the
/// browser finds, and nothing is fetched from outside): a sans face if there is one, else the
/// largest.
fn ui_font(project: &Project) -> Option<Response> {
    let dir = project.path(crate::project::FONTS);
    let mut faces: Vec<(bool, u64, std::path::PathBuf)> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_lowercase();
            let face = [".otf", ".ttf"].iter().any(|x| name.ends_with(x));
            let sans = name.contains("sans") || name.contains("hei");
            let size = e.metadata().ok()?.len();
            face.then(|| {
                (
                    sans,
                    size,
                    std::path::Path::new(crate::project::FONTS).join(e.file_name()),
                )
            })
        })
        .collect();
    faces.sort();
    let (_, _, rel) = faces.pop()?;
    let bytes = project.read(&rel).ok()?;
    Some(Response::ok("font/otf", bytes))
}

/// The `text=` parameter of a request (a printed line of the pages), decoded and bounded.
fn text_param(request: &Request) -> String {
    request.param("text", 2_000).unwrap_or_default()
}

/// `/page/3.png` → (2, "png"); digits only, so nothing else can be named.
fn page_route(path: &str) -> Option<(usize, &str)> {
    let rest = path.strip_prefix("/page/")?;
    let (num, ext) = rest.split_once('.')?;
    if num.is_empty() || num.len() > 4 || !num.bytes().all(|b| b.is_ascii_digit()) || !matches!(ext, "png" | "json") {
        return None;
    }
    let n: usize = num.parse().ok()?;
    n.checked_sub(1).map(|i| (i, ext))
}

/// Server-Sent Events: one `update` event per new version, carrying the status (so the page need
/// not ask for it), and a comment every 15 s to keep the connection open.
fn events(state: Arc<State>) -> Response {
    let mut seen = u64::MAX;
    Response::events(move || {
        let version = state.wait_for_change(seen, Duration::from_secs(15));
        let message = if version == seen {
            ": keep-alive\n\n".to_string()
        } else {
            // The JSON is on one line: serde_json escapes the line breaks of diagnostics.
            format!("event: update\ndata: {}\n\n", state.status_json())
        };
        seen = version;
        Some(message.into_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};

    #[test]
    fn only_numbered_pages_are_routes() {
        assert_eq!(page_route("/page/1.png"), Some((0, "png")));
        let sources = vec![
            SourceLine {
                file: "t.txt".into(),
                line: 7,
                words: vec!["为切实运用好系统，现将".into(), "份有关情况通报如下：".into()],
            },
            SourceLine {
                file: "x.yaml".into(),
                line: 9,
                words: vec!["总寨镇政府".into(), "总寨镇人民政府".into()],
            },
        ];
        assert_eq!(locate(&sources, "系统，现将2023年3月").map(|s| s.line), Some(7));
        assert_eq!(locate(&sources, "1总寨镇人民政府71714").map(|s| s.line), Some(9));
        assert!(locate(&sources, "无关的字").is_none());
        assert_eq!(page_route("/page/12.json"), Some((11, "json")));
        assert_eq!(page_route("/page/0.png"), None);
        assert_eq!(page_route("/page/../etc/passwd"), None);
        assert_eq!(page_route("/page/1.png/../../x"), None);
        assert_eq!(page_route("/page/%2e%2e.png"), None);
        assert_eq!(page_route("/page/1.svg"), None);
        assert_eq!(page_route("/page/1.html"), None);
    }

    #[test]
    fn image_width_is_asked_for_and_bounded() {
        assert_eq!(width_param("/page/1.png?v=3&w=1800"), 1800);
        assert_eq!(width_param("/page/1.png?w=1100&v=3"), 1200, "snapped up to a step");
        assert_eq!(width_param("/page/1.png?w=1201"), 1500);
        assert_eq!(width_param("/page/1.png?v=3"), 1000);
        assert_eq!(width_param("/page/1.png?w=-5"), 1000);
        assert_eq!(width_param("/page/1.png?w=99999999"), 2400);
        assert_eq!(width_param("/page/1.png?w=1"), 400);
        // Whatever is asked, one of a few widths is made.
        let made: std::collections::BTreeSet<u32> =
            (0..5000).map(|w| width_param(&format!("/page/1.png?w={w}"))).collect();
        assert_eq!(made.len(), WIDTHS.len());
    }

    #[test]
    fn quotes_are_cut_at_characters() {
        let q = |before: &str, marked: &str, after: &str| Quote {
            before: before.into(),
            marked: marked.into(),
            after: after.into(),
        };
        assert_eq!(quote("附件:1.3月城中区", 6, 3), q("附件:1.", "3月城", "中区"));
        assert_eq!(
            quote("  - {单位: 𠀀甲, 本月: 80条}", 8, 2),
            q("  - {单位", ": ", "𠀀甲, 本月: 80条}")
        );
        assert_eq!(quote("甲乙", 2, 0), q("甲", "乙", ""), "at least one character");
        assert_eq!(quote("甲乙", 3, 1), q("甲乙", " ", ""), "past the end");
        assert_eq!(quote("甲乙", 9, 4), q("甲乙", " ", ""));
    }

    fn status_for(addr: SocketAddr, target: &str, host: Option<&str>) -> u16 {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let host = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
        write!(stream, "GET {target} HTTP/1.1\r\n{host}Connection: close\r\n\r\n").unwrap();
        let mut head = String::new();
        let _ = stream.read_to_string(&mut head);
        head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
    }

    #[test]
    fn a_request_for_another_host_gets_421_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let server = serve(0, false, State::new(), Project::new(dir.path())).unwrap();
        let port = server.addr.port();
        let own = format!("127.0.0.1:{port}");
        let local = format!("localhost:{port}");
        assert_eq!(status_for(server.addr, "/status.json", Some(&own)), 200);
        assert_eq!(status_for(server.addr, "/status.json", Some(&local)), 200);
        for host in [Some("evil.example"), Some(&format!("evil.example:{port}")[..]), None] {
            for target in ["/status.json", "/circular.pdf", "/", "/page/1.png"] {
                assert_eq!(status_for(server.addr, target, host), 421, "{host:?} {target}");
            }
        }
    }

    #[test]
    fn renderings_are_bounded_and_the_cache_in_bytes() {
        let workers = Arc::new(Workers::default());
        let busy = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let (workers, busy, most) = (workers.clone(), busy.clone(), most.clone());
                std::thread::spawn(move || {
                    workers.run(move || {
                        use std::sync::atomic::Ordering;
                        let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(5));
                        busy.fetch_sub(1, Ordering::SeqCst);
                        assert!(i != 3, "a rendering that panics");
                        i
                    })
                })
            })
            .collect();
        let done: Vec<Option<usize>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let most = most.load(std::sync::atomic::Ordering::SeqCst);
        assert!((1..=PREVIEW_RENDERS).contains(&most), "{most} renderings at once");
        assert_eq!(done[3], None, "a panic is no answer, and the workers go on");
        assert!(done.iter().enumerate().all(|(i, d)| i == 3 || *d == Some(i)));

        let mut cache = Cache::default();
        for i in 0..200u128 {
            cache.put(i, 3000, Arc::new(vec![0u8; 1 << 20]));
            assert!(cache.bytes <= PREVIEW_CACHE_BYTES);
        }
        assert!(cache.get(199, 3000).is_some() && cache.get(0, 3000).is_none());
        assert!(cache.get(199, 900).is_none(), "another width is another image");
    }

    proptest::proptest! {
        #![proptest_config(crate::limits::fuzz_config(8))]

        /// Any target: no panic, and only a numbered page is a route.
        #[test]
        fn any_target_is_a_page_or_nothing(target in "/\\PC{0,60}") {
            let _ = width_param(&target);
            if let Some((_, ext)) = page_route(&target) {
                proptest::prop_assert!(ext == "png" || ext == "json");
            }
        }
    }
}

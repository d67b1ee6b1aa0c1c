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

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use serde::Serialize;
use typst_layout::PagedDocument;

use crate::diag::{Code, Diagnostic, Severity};
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

/// `%E6%B1%87` and `+` decoded (a query parameter's value), within `limit` bytes.
fn decoded(value: &str, limit: usize) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() && out.len() < limit {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
    line: usize,
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
        line: d.line,
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

/// Sets glibc's allocator up for a long-running preview: few arenas (a thread per connection
/// would otherwise get its own, each keeping what it freed) and large blocks (page images, tens
/// of MB) mapped on their own, so they go back to the system when freed. Elsewhere: nothing.
pub(crate) fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters; called before the server's threads
    // exist, with documented parameter values.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Gives the memory freed since (a rebuild's, the renderings') back to the system, where the
/// allocator keeps it otherwise (glibc). It holds the allocator's locks while it works: called
/// when the preview is idle, never beside a build or a rendering.
pub(crate) fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; it may be called at any time.
    unsafe {
        libc::malloc_trim(0);
    }
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

/// A running preview server.
pub(crate) struct Preview {
    /// The address it listens on (always on 127.0.0.1).
    pub addr: SocketAddr,
    /// The port asked for, if it was busy and another was chosen.
    pub busy: Option<u16>,
}

/// Why the server could not start.
#[derive(Debug)]
pub(crate) struct StartError(pub String);

/// Starts the server on 127.0.0.1:`port` (0 = any free port). With `fallback`, a busy port is
/// replaced by a free one (reported in [`Preview::busy`]); without, a busy port is an error.
pub(crate) fn serve(port: u16, fallback: bool, state: Arc<State>, project: Project) -> Result<Preview, StartError> {
    let loopback = Ipv4Addr::LOCALHOST;
    let (listener, busy) = match TcpListener::bind((loopback, port)) {
        Ok(l) => (l, None),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && fallback => {
            let l = TcpListener::bind((loopback, 0)).map_err(|e| StartError(format!("无法启动预览服务：{e}")))?;
            (l, Some(port))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            return Err(StartError(format!(
                "端口 {port} 已被占用；请用 --port 指定其他端口，或省略 --port 自动选择"
            )));
        }
        Err(e) => return Err(StartError(format!("无法在 127.0.0.1:{port} 启动预览服务：{e}"))),
    };
    let addr = listener.local_addr().map_err(|e| StartError(e.to_string()))?;
    let port = addr.port();
    std::thread::spawn(move || {
        let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for mut stream in listener.incoming().flatten() {
            use std::sync::atomic::Ordering;
            // A thread per connection and one request per connection: the preview has one user,
            // whose browser opens a handful; more at once are turned away, not queued.
            if open.fetch_add(1, Ordering::SeqCst) >= PREVIEW_CONNECTIONS {
                open.fetch_sub(1, Ordering::SeqCst);
                let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                send(
                    &mut stream,
                    "503 Service Unavailable",
                    TEXT,
                    "503 连接过多".as_bytes(),
                    false,
                );
                continue;
            }
            let (state, project, open) = (state.clone(), project.clone(), open.clone());
            std::thread::spawn(move || {
                handle(stream, port, &state, &project);
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    Ok(Preview { addr, busy })
}

/// Largest request head accepted.
const MAX_HEAD: usize = 16 * 1024;

const TEXT: &str = "text/plain; charset=utf-8";

/// A request as the preview reads it: the request line and the headers that say who asks.
#[derive(Debug, PartialEq, Default)]
pub(crate) struct Request {
    pub method: String,
    pub target: String,
    /// The one `Host:` header (`None` when there is none, or more than one).
    pub host: Option<String>,
    /// `Sec-Fetch-Site:` (`same-origin`, `cross-site` …), as browsers send it.
    pub site: Option<String>,
    /// `Origin:`, sent with scripts' requests and every POST.
    pub origin: Option<String>,
    /// `Referer:`, the page that asked.
    pub referer: Option<String>,
}

/// Parses a request head (up to and without the blank line). `None` for a head that is not an
/// HTTP request line; never panics on any bytes.
pub(crate) fn parse_request(head: &[u8]) -> Option<Request> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let line = lines.next()?;
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let (method, target) = (parts.next()?, parts.next()?);
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/")) || !target.starts_with('/') {
        return None;
    }
    let headers: Vec<(&str, &str)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(name, value)| (name.trim(), value.trim()))
        .collect();
    // A header given twice is taken as not given for Host (which of the two is meant is
    // unknown), and as a foreign value for the others, so that it is refused.
    let one = |name: &str, twice: Option<&str>| {
        let mut values = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v);
        match (values.next(), values.next()) {
            (Some(v), None) => Some(v.to_string()),
            (Some(_), Some(_)) => twice.map(str::to_string),
            _ => None,
        }
    };
    Some(Request {
        method: method.to_string(),
        target: target.to_string(),
        host: one("host", None),
        site: one("sec-fetch-site", Some("cross-site")),
        origin: one("origin", Some("null")),
        referer: one("referer", Some("null")),
    })
}

/// Whether `host` names this server: `127.0.0.1:PORT` or `localhost:PORT`, nothing else. A page
/// on another site that the browser resolves to 127.0.0.1 (DNS rebinding) sends its own name and
/// is refused, so it cannot read the circular or the status.
pub(crate) fn allowed_host(host: Option<&str>, port: u16) -> bool {
    let Some(host) = host else { return false };
    let Some((name, p)) = host.rsplit_once(':') else {
        return false;
    };
    p == port.to_string() && (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost"))
}

/// Whether the request comes from the preview's own page, or from no page at all (an address
/// typed, a program): a page of another site (even another port of this machine) that loads
/// the preview's images or posts to it is refused, so it can neither read the circular nor make
/// the preview work for it. Browsers say where a request comes from in `Sec-Fetch-Site`, and in
/// `Origin` / `Referer` (older ones).
pub(crate) fn own_page(request: &Request, port: u16) -> bool {
    let ours = |url: &str| {
        let rest = url.strip_prefix("http://").unwrap_or("");
        let host = rest.split('/').next().unwrap_or("");
        allowed_host(Some(host), port)
    };
    let site = request
        .site
        .as_deref()
        .is_none_or(|s| s == "same-origin" || s == "none");
    site && request.origin.as_deref().is_none_or(ours) && request.referer.as_deref().is_none_or(ours)
}

/// How long a client has to send a request's head, in all: a client sending a byte now and then
/// cannot hold one of the [`PREVIEW_CONNECTIONS`] for longer.
const HEAD_TIME: Duration = Duration::from_secs(2);

/// Reads the head of one request, at most [`MAX_HEAD`] bytes within [`HEAD_TIME`], and parses it.
fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let deadline = std::time::Instant::now() + HEAD_TIME;
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    let end = loop {
        if let Some(at) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let left = deadline.checked_duration_since(std::time::Instant::now())?;
        stream.set_read_timeout(Some(left.max(Duration::from_millis(1)))).ok()?;
        let n = stream.read(&mut buf).ok()?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    };
    parse_request(&head[..end])
}

/// Sends a whole response in one write: with the head and the body written separately, Nagle's
/// algorithm can hold the body back until the browser acknowledges the head (up to 40 ms).
fn send(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8], head_only: bool) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
         X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut response = head.into_bytes();
    if !head_only {
        response.extend_from_slice(body);
    }
    let _ = stream.set_nodelay(true);
    // A client that does not read cannot hold its connection for long either.
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let _ = stream.write_all(&response);
    let _ = stream.flush();
}

/// Answers one connection. Only GET/HEAD of the fixed routes below (and POST of `/open`) are
/// answered, and only to a request addressed to this server by name ([`allowed_host`]; others
/// get 421) from its own page or none ([`own_page`]; others get 403).
fn handle(mut stream: TcpStream, port: u16, state: &Arc<State>, project: &Project) {
    let Some(request) = read_request(&mut stream) else {
        return send(
            &mut stream,
            "400 Bad Request",
            TEXT,
            "400 请求格式有误".as_bytes(),
            false,
        );
    };
    if std::env::var_os("TONGBAO_DEBUG_HTTP").is_some() {
        tell!("http {} {}", request.method, crate::diag::shorten(&request.target, 200));
    }
    if !allowed_host(request.host.as_deref(), port) {
        return send(
            &mut stream,
            "421 Misdirected Request",
            TEXT,
            "421 只接受发往 127.0.0.1 或 localhost 的请求".as_bytes(),
            false,
        );
    }
    if !own_page(&request, port) {
        return send(
            &mut stream,
            "403 Forbidden",
            TEXT,
            "403 只接受预览页面自己的请求".as_bytes(),
            false,
        );
    }
    let (method, url) = (request.method.as_str(), request.target.as_str());
    let head_only = method == "HEAD";
    let path = url.split(['?', '#']).next().unwrap_or("");
    if method == "POST" && path == "/open" {
        let printed = text_param(url);
        return match state.open_source(&printed, project.root()) {
            Ok(()) => send(&mut stream, "204 No Content", TEXT, b"", false),
            Err(message) => send(
                &mut stream,
                "422 Unprocessable Content",
                TEXT,
                message.as_bytes(),
                false,
            ),
        };
    }
    if method != "GET" && !head_only {
        return send(
            &mut stream,
            "405 Method Not Allowed",
            TEXT,
            "405 不支持的请求方法".as_bytes(),
            false,
        );
    }
    let ok =
        |stream: &mut TcpStream, content_type: &str, body: &[u8]| send(stream, "200 OK", content_type, body, head_only);
    let not_found = |stream: &mut TcpStream| send(stream, "404 Not Found", TEXT, "404 未找到".as_bytes(), head_only);
    match path {
        "/" | "/index.html" => ok(&mut stream, "text/html; charset=utf-8", INDEX.as_bytes()),
        "/status.json" => ok(&mut stream, "application/json", state.status_json().as_bytes()),
        // The source line a clicked line of the page comes from.
        "/source" => {
            let printed = text_param(url);
            match state.source_json(&printed, project.root()) {
                Some(json) => ok(&mut stream, "application/json", json.as_bytes()),
                None => not_found(&mut stream),
            }
        }
        "/favicon.ico" | "/favicon.svg" => ok(&mut stream, "image/svg+xml", FAVICON.as_bytes()),
        "/events" if !head_only => events(stream, state.clone()),
        "/circular.pdf" => {
            let pdf = state.lock().pdf.clone();
            match pdf.and_then(|p| project.read(&p).ok()) {
                Some(bytes) => ok(&mut stream, "application/pdf", &bytes),
                None => not_found(&mut stream),
            }
        }
        _ => match page_route(path) {
            Some((index, kind)) => {
                let page = state.lock().pages.get(index).cloned();
                match (page, kind) {
                    (Some(p), "png") => ok(&mut stream, "image/png", &p.png(width_param(url), state)),
                    (Some(p), "json") => ok(&mut stream, "application/json", p.text().as_bytes()),
                    _ => not_found(&mut stream),
                }
            }
            None => not_found(&mut stream),
        },
    }
}

/// The `text=` parameter of a URL (a printed line of the pages), decoded and bounded.
fn text_param(url: &str) -> String {
    url.split_once('?')
        .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("text=")))
        .map(|t| decoded(t, 2_000))
        .unwrap_or_default()
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
fn events(mut out: TcpStream, state: Arc<State>) {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n\r\n";
    if out.write_all(head.as_bytes()).and_then(|_| out.flush()).is_err() {
        return;
    }
    let mut seen = u64::MAX;
    loop {
        let version = state.wait_for_change(seen, Duration::from_secs(15));
        let message = if version == seen {
            ": keep-alive\n\n".to_string()
        } else {
            // The JSON is on one line: serde_json escapes the line breaks of diagnostics.
            format!("event: update\ndata: {}\n\n", state.status_json())
        };
        seen = version;
        if out.write_all(message.as_bytes()).and_then(|_| out.flush()).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(decoded("%E7%8E%B0%E5%B0%86+a%zz", 100), "现将 a%zz");
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

    #[test]
    fn requests_are_parsed_with_their_one_host() {
        let r = parse_request(b"GET /page/1.png?w=900 HTTP/1.1\r\nHost: 127.0.0.1:7345\r\nAccept: */*").unwrap();
        assert_eq!((r.method.as_str(), r.target.as_str()), ("GET", "/page/1.png?w=900"));
        assert_eq!(r.host.as_deref(), Some("127.0.0.1:7345"));
        let two = parse_request(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:1\r\nhost: evil.example").unwrap();
        assert_eq!(two.host, None, "two Host headers are no host");
        assert_eq!(parse_request(b"GET / HTTP/1.1").unwrap().host, None);
        assert!(parse_request(b"GET http://evil.example/ HTTP/1.1").is_none());
        assert!(parse_request(b"\xff\xfe").is_none());
        assert!(parse_request(b"").is_none());
    }

    #[test]
    fn only_this_servers_own_names_are_answered() {
        for host in ["127.0.0.1:7345", "localhost:7345", "LocalHost:7345"] {
            assert!(allowed_host(Some(host), 7345), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:7345",
            "127.0.0.1",
            "localhost",
            "127.0.0.1:7346",
            "127.0.0.2:7345",
            "[::1]:7345",
            "localhost.evil.example:7345",
            "127.0.0.1:7345.evil.example",
            "",
        ] {
            assert!(!allowed_host(Some(host), 7345), "{host}");
        }
        assert!(!allowed_host(None, 7345));
    }

    #[test]
    fn only_the_previews_own_page_may_ask() {
        let request = |extra: &str| {
            let head = format!("GET /page/1.png HTTP/1.1\r\nHost: 127.0.0.1:7345\r\n{extra}");
            parse_request(head.trim_end().as_bytes()).unwrap()
        };
        for own in [
            "",
            "Sec-Fetch-Site: same-origin\r\nReferer: http://127.0.0.1:7345/",
            "Sec-Fetch-Site: none",
            "Origin: http://localhost:7345",
        ] {
            assert!(own_page(&request(own), 7345), "{own}");
        }
        for foreign in [
            "Sec-Fetch-Site: cross-site",
            "Sec-Fetch-Site: same-site\r\nReferer: http://127.0.0.1:8080/",
            "Origin: http://evil.example",
            "Origin: null",
            "Referer: http://127.0.0.1:7346/x",
            "Referer: http://127.0.0.1:7345.evil.example/",
            "Origin: http://127.0.0.1:7345\r\nOrigin: http://evil.example",
        ] {
            assert!(!own_page(&request(foreign), 7345), "{foreign}");
        }
    }

    /// One request on a fresh connection to `addr`, with `host` as its Host header: the status.
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

    /// Clients that connect and send their request a byte at a time (or never) hold the
    /// preview's connections only for [`HEAD_TIME`]: then the preview serves others again.
    #[test]
    fn slow_clients_cannot_hold_the_connections() {
        let dir = tempfile::tempdir().unwrap();
        let server = serve(0, false, State::new(), Project::new(dir.path())).unwrap();
        let own = format!("127.0.0.1:{}", server.addr.port());
        let slow: Vec<TcpStream> = (0..PREVIEW_CONNECTIONS + 8)
            .map(|_| {
                let mut s = TcpStream::connect(server.addr).unwrap();
                let _ = s.write_all(b"GET /status.json HTTP/1.1\r\nHo");
                s
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        // All taken meanwhile: turned away (a 503 written before the request is read, or the
        // connection closed under the request).
        let mut turned = TcpStream::connect(server.addr).unwrap();
        turned.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = write!(turned, "GET /status.json HTTP/1.1\r\nHost: {own}\r\n\r\n");
        let mut head = String::new();
        let _ = turned.read_to_string(&mut head);
        assert!(
            !head.contains(" 200 "),
            "served while every connection was taken: {head}"
        );
        // A byte now and then does not keep a connection past the deadline.
        let started = std::time::Instant::now();
        while started.elapsed() < HEAD_TIME + Duration::from_millis(500) {
            for mut s in &slow {
                let _ = s.write_all(b"s");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        assert_eq!(status_for(server.addr, "/status.json", Some(&own)), 200);
        drop(slow);
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

        /// Any bytes: no panic; a parsed request has a path target, and a host is allowed only
        /// when it is exactly one of the server's two names.
        #[test]
        fn the_request_parser_never_panics(
            raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            host in proptest::prelude::prop_oneof![
                proptest::prelude::Just("127.0.0.1:7345".to_string()),
                proptest::prelude::Just("localhost:7345".to_string()),
                "\\PC{0,40}",
            ],
            method in "[A-Z]{0,8}",
            target in "/\\PC{0,60}",
        ) {
            let _ = parse_request(&raw);
            let head = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nX: y");
            if let Some(r) = parse_request(head.as_bytes()) {
                proptest::prop_assert!(r.target.starts_with('/'));
                let ok = allowed_host(r.host.as_deref(), 7345);
                let expected = r.host.as_deref().is_some_and(|h| {
                    h == "127.0.0.1:7345" || h.eq_ignore_ascii_case("localhost:7345")
                });
                proptest::prop_assert_eq!(ok, expected);
            }
            let _ = width_param(&target);
            let _ = page_route(&target);
        }
    }
}

//! Every budget tongbao keeps on its inputs, in one place. Each limit is enforced where the input
//! is read (never after it has been taken into memory whole), and each refusal is a Chinese
//! diagnostic at its place that names the limit and why it exists. The limits are far above what
//! an office's monthly circular needs (a few pages, a few dozen units) and far below what would
//! exhaust a CI runner: `scripts/bench-hostile` measures the refusals (BENCHMARKS.md: Limits).
//!
//! Limits kept elsewhere, next to the code they guard: 1 MiB per data file and the YAML node and
//! depth budgets (`load`), 20 diagnostics printed (`cmd`).

/// Any file read through the project's read gate (`Project::read`: data, templates, assets, the
/// issued PDF); fonts are mapped by Typst's font loader and digested in pieces.
pub(crate) const INPUT_BYTES: u64 = 64 << 20;
/// A spreadsheet file given to `import` (.xlsx, .ods, .xls, .csv), on disk.
pub(crate) const SHEET_FILE_BYTES: u64 = 32 << 20;
/// Everything read out of a spreadsheet's zip archive, decompressed, over all its parts.
pub(crate) const SHEET_INFLATED_BYTES: u64 = 64 << 20;
/// Entries in a spreadsheet's zip archive (an export has a dozen).
pub(crate) const SHEET_ENTRIES: usize = 4096;
/// Sheets in a workbook.
pub(crate) const SHEETS: usize = 1024;
/// Rows of a sheet that may hold a value (1-based row numbers above are refused).
pub(crate) const SHEET_ROWS: u32 = 10_000;
/// Columns of a sheet that may hold a value (IV, the old .xls limit).
pub(crate) const SHEET_COLUMNS: u32 = 256;
/// Cells with a value in a sheet.
pub(crate) const SHEET_CELLS: usize = 200_000;
/// The most merged ranges a sheet keeps (each empty cell is looked up among them; a table as
/// clerks lay it out has a few dozen).
pub(crate) const SHEET_MERGES: usize = 2_000;
/// All the text of a sheet's cells together, in bytes (shared strings counted once per use).
pub(crate) const SHEET_TEXT_BYTES: usize = 16 << 20;
/// Shared strings of a workbook (an office's exports have a few hundred).
pub(crate) const SHARED_STRINGS: usize = 1_000_000;
/// Characters in one cell.
pub(crate) const CELL_CHARS: usize = 10_000;

/// A PDF read by `verify` or kept as `issued.pdf`, on disk (a circular is a few hundred KiB).
pub(crate) const PDF_BYTES: u64 = 64 << 20;
/// Files in an OFD package read by `verify` (tongbao's own have a few dozen).
pub(crate) const OFD_PARTS: usize = 10_000;
/// An OFD package's files, inflated, read by `verify`.
pub(crate) const OFD_INFLATED_BYTES: u64 = 256 << 20;
/// The provenance manifest inside a PDF, inflated (the shipped project's is 3 KiB).
pub(crate) const MANIFEST_BYTES: u64 = 1 << 20;
/// Embedded-file streams of a PDF examined for the manifest (tongbao writes one).
pub(crate) const MANIFEST_CANDIDATES: usize = 16;

/// Characters of a month's text (`通报.txt`) outside comments: about 160 pages of prose.
pub(crate) const TEXT_CHARS: usize = 100_000;
/// Paragraphs (non-empty lines) of a month's text.
pub(crate) const TEXT_PARAGRAPHS: usize = 1_000;
/// Characters in one paragraph: eight full pages.
pub(crate) const PARAGRAPH_CHARS: usize = 5_000;
/// Units in the registry (an office has a few dozen; the routine benchmark uses 1,000). With
/// every table listing them all and the text at its budget, the month lays out in 365 pages and
/// about 450 MiB (`scripts/bench-hostile`), under the 512 MiB target.
pub(crate) const UNITS: usize = 1_500;
/// Rows of a month's table (as many as there may be units).
pub(crate) const TABLE_ROWS: usize = UNITS;
/// Pages of a laid-out circular, attachments included.
pub(crate) const PAGES: usize = 500;
/// Steps a template may take (minijinja's fuel). The shipped circular takes about 5,400, a table
/// about 50 a row: the largest accepted month (three tables of 1,500 rows) well under 250,000, a
/// twentieth. A template that never stops is refused in about a second.
pub(crate) const TEMPLATE_FUEL: u64 = 5_000_000;

/// Connections the preview serves at once (the browser opens six or so).
pub(crate) const PREVIEW_CONNECTIONS: usize = 64;
/// Page images the preview renders at once (each is up to ~33 MB of pixels while it is drawn, at
/// the widest of the preview's widths).
pub(crate) const PREVIEW_RENDERS: usize = 2;
/// Page images the preview keeps, in bytes of PNG: every width of a month of ordinary size (nine
/// pages at eight widths are ~15 MB), a screenful of the largest (measured with
/// `scripts/bench-preview`, whose largest month must stay within 512 MiB).
pub(crate) const PREVIEW_CACHE_BYTES: usize = 32 << 20;

/// Characters of a `--revise` reason (it is written into `issued.yaml`).
pub(crate) const REASON_CHARS: usize = 200;

/// `1.5 MiB`, `64 KiB`, `12 字节`: a size for a message.
pub(crate) fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => {
            let mib = b as f64 / f64::from(1 << 20);
            if mib.fract() == 0.0 {
                format!("{mib:.0} MiB")
            } else {
                format!("{mib:.1} MiB")
            }
        }
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} 字节"),
    }
}

/// Reads at most `limit` bytes of the file at `path` (a file the user names: the spreadsheet of
/// `import`, the PDF of `verify`). A file that is larger, or that is not a regular file (a FIFO,
/// `/dev/zero`), is refused without reading it whole.
pub(crate) fn read_bounded(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, Refused> {
    use std::io::Read as _;
    let meta = std::fs::metadata(path).map_err(Refused::Io)?;
    if !meta.is_file() {
        return Err(Refused::NotAFile);
    }
    if meta.len() > limit {
        return Err(Refused::TooBig(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(Refused::Io)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut bytes).map_err(Refused::Io)?;
    if bytes.len() as u64 > limit {
        return Err(Refused::TooBig(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Why [`read_bounded`] refused a file.
#[derive(Debug)]
pub(crate) enum Refused {
    Io(std::io::Error),
    NotAFile,
    TooBig(u64),
}

impl Refused {
    /// What went wrong, in Chinese, with the limit it broke (`limit`).
    pub(crate) fn reason(&self, limit: u64) -> String {
        match self {
            Refused::Io(e) => io_reason(e),
            Refused::NotAFile => "不是普通文件（是文件夹或设备）".into(),
            Refused::TooBig(n) => format!("文件过大（{}，上限 {}）", size(*n), size(limit)),
        }
    }
}

/// An I/O error in Chinese, the system's words after it when they add something.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "文件不存在".into(),
        K::PermissionDenied => "没有读取权限".into(),
        K::IsADirectory => "这是文件夹，不是文件".into(),
        K::InvalidFilename => "文件名过长或无效".into(),
        K::InvalidData => format!("文件内容无效（系统报告：{e}）"),
        _ => format!("读取失败（系统报告：{e}）"),
    }
}

/// Peak memory of a piece of work, for tests: a global allocator (the program's own, counted) that
/// counts, per thread, the bytes held, so that a property can assert that reading a hostile input stayed within a budget
/// whatever the other test threads do.
#[cfg(test)]
pub(crate) mod measure {
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::Cell;

    /// The allocator counted: the one the program runs with.
    use mimalloc::MiMalloc as System;

    thread_local! {
        static HELD: Cell<isize> = const { Cell::new(0) };
        static PEAK: Cell<isize> = const { Cell::new(0) };
    }

    pub(crate) struct Counting;

    fn add(n: isize) {
        let _ = HELD.try_with(|held| {
            let now = held.get() + n;
            held.set(now);
            let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
        });
    }

    // SAFETY: every call is forwarded to the system allocator unchanged; only counters move.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                add(layout.size() as isize);
            }
            p
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc_zeroed(layout) };
            if !p.is_null() {
                add(layout.size() as isize);
            }
            p
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) };
            add(-(layout.size() as isize));
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let p = unsafe { System.realloc(ptr, layout, new_size) };
            if !p.is_null() {
                add(new_size as isize - layout.size() as isize);
            }
            p
        }
    }

    #[global_allocator]
    static COUNTING: Counting = Counting;

    /// Runs `work` and returns its result with the most bytes it held at once on this thread.
    pub(crate) fn peak<T>(work: impl FnOnce() -> T) -> (T, usize) {
        let base = HELD.with(Cell::get);
        PEAK.with(|p| p.set(base));
        let out = work();
        let peak = PEAK.with(Cell::get) - base;
        (out, usize::try_from(peak).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(32 << 20), "32 MiB");
        assert_eq!(size(1_572_864), "1.5 MiB");
        assert_eq!(size(2048), "2 KiB");
        assert_eq!(size(12), "12 字节");
    }

    #[test]
    fn the_counting_allocator_sees_what_a_thread_holds() {
        let (_, peak) = measure::peak(|| {
            let v = vec![1u8; 4 << 20];
            v.len()
        });
        assert!((4 << 20..5 << 20).contains(&peak), "{peak}");
    }

    #[test]
    fn devices_and_big_files_are_refused_without_reading_them() {
        assert!(matches!(
            read_bounded(std::path::Path::new("/dev/zero"), 10),
            Err(Refused::NotAFile)
        ));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x");
        std::fs::write(&f, [0u8; 100]).unwrap();
        assert!(matches!(read_bounded(&f, 10), Err(Refused::TooBig(100))));
        assert_eq!(read_bounded(&f, 100).unwrap().len(), 100);
    }
}

/// The process's allocator and how it is set up by the kind of command: one owner for both.
///
/// mimalloc 2 rather than glibc's: Typst's layout makes and frees millions of small blocks from
/// two threads; with mimalloc's thread-local heaps `build --all` and a single build take a tenth
/// less time, and glibc's arena locks and chunk merging, a sixth of a batch's samples, are gone
/// (BENCHMARKS.md).
pub(crate) mod allocator {

    use libmimalloc_sys as sys;

    /// The unit tests count what this allocator holds (`measure`), the program uses it directly.
    #[cfg(not(test))]
    #[global_allocator]
    static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

    /// `mi_option_purge_delay`: how many milliseconds freed memory is kept before it is given back
    /// (-1: never). The sys crate names no constant for it; in mimalloc.h's enum it follows
    /// `mi_option_eager_commit_delay`.
    const PURGE_DELAY: sys::mi_option_t = sys::mi_option_eager_commit_delay + 1;

    /// For a batch of months (`build --all`): what one month's build frees is kept for the next
    /// rather than given back and asked for again (a twentieth of a batch's time; its memory is
    /// its workers' months at once). Everything else keeps mimalloc's default, freed memory given
    /// back 10 ms after it is freed: the largest month's peak stays lower (BENCHMARKS.md).
    pub(crate) fn keep_freed() {
        // SAFETY: mi_option_set only changes one of the allocator's documented parameters.
        unsafe { sys::mi_option_set(PURGE_DELAY, -1) }
    }

    /// Gives what every thread freed since (a rebuild's, the renderings') back to the system at
    /// once. Called when the preview is idle.
    pub(crate) fn release() {
        // SAFETY: mi_collect only frees unused memory held by the allocator; it may be called at any time.
        unsafe { sys::mi_collect(true) }
    }
}

/// The number of cases each fuzzing property of the tests runs (`TONGBAO_FUZZ_CASES`, 48 by
/// default; CONTRIBUTING.md: Fuzzing).
#[cfg(test)]
pub(crate) fn fuzz_cases() -> u32 {
    std::env::var("TONGBAO_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

/// The configuration of a fuzzing property: [`fuzz_cases`] times `times`, no file of failures kept.
#[cfg(test)]
pub(crate) fn fuzz_config(times: u32) -> proptest::prelude::ProptestConfig {
    proptest::prelude::ProptestConfig {
        cases: fuzz_cases() * times,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    }
}

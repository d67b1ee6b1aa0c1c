//! Stage 5: compile the generated Typst source in-process into laid-out pages (the outputs made
//! from them are in `output`), and measure them.

pub mod fonts;
pub mod inspect;
pub(crate) mod world;

use std::sync::atomic::{AtomicUsize, Ordering};

use typst::WorldExt;
use typst::diag::{Severity as TypstSeverity, SourceDiagnostic};
use typst::foundations::Datetime;
use typst_layout::PagedDocument;

use crate::calendar::{self, Date};
use crate::diag::{Code, Diagnostic, Loc, Severity, Source};

pub use fonts::{FontSet, Resolved, Role};
pub(crate) use world::TongbaoWorld;

/// A laid-out circular and the compiler's warnings.
pub(crate) struct Compiled {
    pub document: PagedDocument,
    pub warnings: Vec<Diagnostic>,
}

/// The PDF timestamp: SOURCE_DATE_EPOCH when set, else the date of issue.
pub(crate) fn timestamp(date: Date) -> Datetime {
    calendar::source_date_epoch()
        .and_then(|t| Datetime::from_ymd_hms(t.year(), t.month().into(), t.day(), t.hour(), t.minute(), t.second()))
        .unwrap_or_else(|| datetime(date))
}

/// A Typst date from a calendar date.
pub(crate) fn datetime(date: Date) -> Datetime {
    Datetime::from_ymd(date.year, date.month, date.day)
        .unwrap_or_else(|| Datetime::from_ymd(2000, 1, 1).expect("valid date"))
}

/// Compiles the world's main source. Errors and warnings point at the generated source (written to
/// `out/` for inspection) or at the template library under `templates/`.
pub(crate) fn compile(world: &TongbaoWorld) -> Result<Compiled, Vec<Diagnostic>> {
    let warned = typst::compile::<PagedDocument>(world);
    evict();
    let warnings = warned.warnings.iter().map(|d| convert(world, d)).collect();
    match warned.output {
        Ok(document) if document.pages().len() > crate::limits::PAGES => Err(vec![
            Diagnostic::general(
                Severity::Error,
                Code::TooManyPages,
                format!(
                    "排版后有 {} 页，超过了 {} 页的上限，未生成输出",
                    document.pages().len(),
                    crate::limits::PAGES
                ),
            )
            .help("一份通报只有几页：请检查表格是否多出了成千行，或正文是否粘贴了多余的内容"),
        ]),
        Ok(document) => Ok(Compiled { document, warnings }),
        Err(errors) => Err(errors.iter().map(|d| convert(world, d)).collect()),
    }
}

/// Keeps memory flat across many compiles: the cache entries no recent compile used are dropped.
/// A sweep visits every entry of every cache, so when it runs is the caller's choice: after each
/// compile by default, every fourth in a batch of months ([`sweep_every`]; at every compile the
/// sweeps were 3 % of a batch), or when the caller says ([`sweep_by_caller`]: the preview sweeps
/// once its new PDF is written, so the sweep is not between a save and its pages).
fn evict() {
    let every = SWEEP_EVERY.load(Ordering::Relaxed);
    if every > 0 && COMPILES.fetch_add(1, Ordering::Relaxed) % every == every - 1 {
        // Entries unused for about ten compiles go.
        typst::comemo::evict(10usize.div_ceil(every));
    }
}

/// Sweeps the caches after every `n`th compile from now on (1: after each).
pub(crate) fn sweep_every(n: usize) {
    SWEEP_EVERY.store(n.max(1), Ordering::Relaxed);
}

/// From now on the caches are swept only by [`sweep`], when the caller chooses.
pub(crate) fn sweep_by_caller() {
    SWEEP_EVERY.store(0, Ordering::Relaxed);
}

/// Sweeps the caches now: the entries no compile of the last ten used go.
pub(crate) fn sweep() {
    typst::comemo::evict(10);
}

static COMPILES: AtomicUsize = AtomicUsize::new(0);
static SWEEP_EVERY: AtomicUsize = AtomicUsize::new(1);

fn convert(world: &TongbaoWorld, diag: &SourceDiagnostic) -> Diagnostic {
    let severity = match diag.severity {
        TypstSeverity::Error => Severity::Error,
        TypstSeverity::Warning => Severity::Warning,
    };
    let label = if severity == Severity::Error {
        "排版错误"
    } else {
        "排版提示"
    };
    let message = format!("{label}：{}", chinese(&diag.message));
    let hints: Vec<String> = diag.hints.iter().map(|h| h.v.to_string()).collect();
    let mut help = hints.join("；");
    let located = diag.span.id().and_then(|id| {
        let range = world.range(diag.span)?;
        let source = typst::World::source(world, id).ok()?;
        let path = world.display_path(id);
        if id == typst::World::main(world) {
            let note = "这是由 templates/ 中的模板生成的 Typst 源文件，请修改对应的模板";
            help = if help.is_empty() {
                note.to_string()
            } else {
                format!("{help}；{note}")
            };
        }
        let src = Source::new(path, source.text().to_string());
        let (line, col) = src.line_col(range.start);
        let len = source
            .text()
            .get(range)
            .map_or(1, |s| s.chars().take_while(|c| *c != '\n').count());
        Some(Loc { src, line, col, len })
    });
    let d = match located {
        Some(loc) => Diagnostic::at(severity, Code::Typst, &loc, message),
        None => Diagnostic::general(severity, Code::Typst, message),
    };
    let d = d.detail(diag.message.to_string());
    if help.is_empty() { d } else { d.help(help) }
}

/// The template's hook for the 版记 decision: a source without it is not laid out again for it (the
/// signature's fit needs no hook: a layout without the body's and the signature's markers never
/// asks for one).
pub(crate) const COLOPHON_HOOK: &str = "decided(\"colophon-page\")";

/// What tongbao decides after laying a circular out once, handed to the templates as
/// `sys.inputs` (`decided(…)` in `gongwen.typ`), as the stock CLI takes `--input`: the layout is
/// redone with them, never the source patched.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decisions {
    /// The signature's page fitted (`fit-signature` in `gongwen.typ`).
    pub fit: Option<Fit>,
    /// The 版记 on a page of its own, the next even one.
    pub colophon_page: bool,
}

/// How the signature's page is fitted: from body block `from` on, at line spacing `leading` (pt;
/// `None`: the grid's), or with the last paragraph carried over to the signature's page.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Fit {
    pub from: usize,
    pub leading: Option<f64>,
    pub carry: bool,
}

impl Decisions {
    /// The decisions as `sys.inputs`: each a JSON text under its name (`tongbao-fit` …); none
    /// when nothing was decided.
    pub(crate) fn inputs(&self) -> Vec<(&'static str, String)> {
        let mut inputs = Vec::new();
        if let Some(fit) = &self.fit {
            inputs.push(("tongbao-fit", serde_json::to_string(fit).unwrap_or_default()));
        }
        if self.colophon_page {
            inputs.push(("tongbao-colophon-page", "true".to_string()));
        }
        inputs
    }

    /// The decisions as the stock CLI's arguments (`--input tongbao-fit=…`), for the generated
    /// source's last line: compiling it with them lays out the same pages.
    pub(crate) fn arguments(&self) -> String {
        self.inputs()
            .iter()
            .map(|(name, json)| format!("--input '{name}={json}'"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// When the signature stands on a page after the body's last line (without body text above it),
/// the body block from which the fit starts: the last one starting before the body's last page
/// (the one running into it), else the first.
pub(crate) fn signature_alone(document: &PagedDocument) -> Option<usize> {
    use typst::foundations::Value;
    let markers = markers(document);
    let page_of = |name: &str| {
        markers
            .iter()
            .filter(|(v, _)| *v == Value::Str(name.into()))
            .map(|(_, p)| *p)
            .max()
    };
    let end = page_of("tongbao-body-end")?;
    let signature = page_of("tongbao-signature")?;
    if signature <= end {
        return None;
    }
    let block = |v: &Value| match v {
        Value::Array(a) => match a.as_slice() {
            [Value::Str(name), Value::Int(i)] if name.as_str() == "tongbao-block" => usize::try_from(*i).ok(),
            _ => None,
        },
        _ => None,
    };
    let from = markers
        .iter()
        .filter(|(_, p)| *p < end)
        .filter_map(|(v, _)| block(v))
        .max()
        .unwrap_or(0);
    Some(from)
}

/// Every `metadata` marker with the page it is on.
fn markers(document: &PagedDocument) -> Vec<(typst::foundations::Value, usize)> {
    use typst::foundations::NativeElement;
    use typst::introspection::{Introspector, MetadataElem};
    let introspector = document.introspector();
    introspector
        .query(&MetadataElem::ELEM.select())
        .iter()
        .filter_map(|c| {
            let value = c.to_packed::<MetadataElem>()?.value.clone();
            let page = introspector.page(c.location()?)?;
            Some((value, page.get()))
        })
        .collect()
}

/// The fits to try for a signature that would stand alone, in order: the body from block `from`
/// on at line spacings that give a page one, two and three lines more than the grid, then the last
/// paragraph carried over to the signature's page.
pub(crate) fn signature_fits(from: usize, spec: &crate::load::page::PageSpec) -> Vec<Fit> {
    let height = spec.block_height / 25.4 * 72.0;
    let lines = f64::from(spec.lines);
    let mut fits: Vec<Fit> = (1..=3)
        .map(|k| {
            let n = lines + f64::from(k);
            let leading = (height - spec.body_size * n) / (n - 1.0);
            Fit {
                from,
                // To the thousandth of a point, as the layout has always been given it.
                leading: Some((leading * 1000.0).round() / 1000.0),
                carry: false,
            }
        })
        .collect();
    fits.push(Fit {
        from,
        leading: None,
        carry: true,
    });
    fits
}

/// What Typst reported, in Chinese, by the kind of problem (Typst's own words are kept as the
/// diagnostic's detail).
pub(crate) fn chinese(message: &str) -> &'static str {
    const KINDS: &[(&str, &str)] = &[
        ("file not found", "找不到文件"),
        ("failed to load", "无法读取文件"),
        ("access denied", "不能读取项目文件夹之外的文件"),
        ("is not valid utf-8", "文件不是 UTF-8 文本"),
        ("package", "tongbao 不使用 Typst 包"),
        ("unknown variable", "引用了不存在的名称"),
        ("unknown font family", "找不到这个字体"),
        ("unclosed", "括号或引号没有闭合"),
        ("unexpected", "语法错误：这里不应出现这个符号"),
        ("expected", "语法或类型错误：这里的写法不对"),
        ("panicked", "模板中止了排版（panic）"),
        ("maximum", "嵌套或递归过深，超过了 Typst 的上限"),
        ("infinite", "循环似乎不会结束"),
        ("layout did not converge", "版面在多次尝试后仍未稳定"),
        ("image", "图片无法读取或格式不支持"),
        ("cannot", "不能对这种值做这样的运算"),
        ("does not contain", "没有这一项"),
        ("out of bounds", "下标超出范围"),
        ("division by zero", "除以零"),
        ("unknown", "不认识的名称或参数"),
    ];
    let lower = message.to_ascii_lowercase();
    KINDS
        .iter()
        .find(|(english, _)| lower.contains(english))
        .map_or("Typst 报告了一个问题", |(_, chinese)| chinese)
}

/// Whether the 版记, placed at the bottom of the page where the document ends, is on an odd page or
/// overlaps what is on that page (its text is the only 14 pt text inside the text block).
pub(crate) fn colophon_needs_own_page(document: &PagedDocument, page: &crate::load::page::PageSpec) -> bool {
    let layout = inspect::measure(document);
    let block_bottom = page.block_bottom();
    let full_width = page.block_width - 1.0;
    let colophon: Vec<&inspect::Run> = layout
        .runs
        .iter()
        .filter(|r| (r.size - page.colophon_size).abs() < 0.01 && r.baseline < block_bottom)
        .collect();
    let Some(at) = colophon.iter().map(|r| r.page).max() else {
        return false;
    };
    if at % 2 == 1 {
        return true;
    }
    // Its first rule lies about half a line above its first text line.
    let top = colophon
        .iter()
        .filter(|r| r.page == at)
        .map(|r| r.ink_top)
        .fold(f64::MAX, f64::min)
        - 6.0;
    layout
        .runs
        .iter()
        .filter(|r| r.page == at && (r.size - page.colophon_size).abs() >= 0.01 && r.baseline < block_bottom)
        .any(|r| r.ink_bottom > top)
        || layout
            .shapes
            .iter()
            .any(|s| s.page == at && s.width < full_width && s.y + s.height > top)
}

/// Whether each character is covered, asked of the fonts once a character: a bit set for the
/// Basic Multilingual Plane (where nearly every character of a circular is), a map beyond it.
#[derive(Default)]
struct Checked {
    asked: Vec<u64>,
    yes: Vec<u64>,
    beyond: std::collections::HashMap<char, bool>,
}

impl Checked {
    fn get(&mut self, c: char, ask: impl FnOnce() -> bool) -> bool {
        let n = c as usize;
        if n >= 0x10000 {
            return *self.beyond.entry(c).or_insert_with(ask);
        }
        if self.asked.is_empty() {
            self.asked = vec![0; 0x10000 / 64];
            self.yes = vec![0; 0x10000 / 64];
        }
        let (word, bit) = (n / 64, 1u64 << (n % 64));
        if self.asked[word] & bit == 0 {
            self.asked[word] |= bit;
            if ask() {
                self.yes[word] |= bit;
            }
        }
        self.yes[word] & bit != 0
    }
}

/// Most characters reported one by one; the rest are summed up in one more warning.
const MAX_GLYPH_WARNINGS: usize = 20;

/// Characters in the data files that no loaded font can display, as warnings at their first place
/// (each character once; comment lines skipped).
pub(crate) fn uncovered(fonts: &FontSet, sources: &[std::sync::Arc<Source>], diags: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    let mut covered = Checked::default();
    let mut more = 0usize;
    for src in sources {
        for (i, line) in src.text.lines().enumerate() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            for (col, c) in line.chars().enumerate() {
                if c.is_control() || c.is_ascii() || covered.get(c, || fonts.covers(c)) || !seen.insert(c) {
                    continue;
                }
                if seen.len() > MAX_GLYPH_WARNINGS {
                    more += 1;
                    continue;
                }
                let loc = Loc {
                    src: src.clone(),
                    line: i + 1,
                    col: col + 1,
                    len: 1,
                };
                diags.push(
                    Diagnostic::warning(
                        Code::GlyphMissing,
                        &loc,
                        format!("字符“{c}”（U+{:04X}）没有任何字体能显示，PDF 中会是空白方框", c as u32),
                    )
                    .help("换用常用字，或把含有该字的字体放入 fonts/"),
                );
            }
        }
    }
    if more > 0 {
        diags.push(
            Diagnostic::general(
                crate::diag::Severity::Warning,
                Code::GlyphMissing,
                format!("另有 {more} 个字符没有任何字体能显示"),
            )
            .help("fonts/ 文件夹是否缺失或不完整？可运行 fonts/regenerate.sh 重新生成，或运行 tongbao fonts 查看"),
        );
    }
}

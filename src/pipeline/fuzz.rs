//! Property-based fuzzing of the whole build: the YAML loader, the registry, the table
//! descriptions, the month's tables and its text with expressions, the checks, the aggregation,
//! the rendering and Typst. Each case takes the shipped project and damages its files with random
//! edits (hostile characters, deleted spans, duplicated or swapped lines, numbers replaced by
//! anything), then runs `check` and `build` on it. The properties:
//!
//! - nothing panics;
//! - every error says where it is: a file, and a line and column in it (or a named file for the
//!   problems that belong to a whole file or folder);
//! - `check` accepts the month exactly when `build` makes its PDF: a refusal always comes with a
//!   diagnostic, and `build` refuses nothing `check` let through.
//! - a draft (`build --draft`) never panics, and is made whenever the circular can be.
//!
//! `scripts/test` runs a small budget (`TONGBAO_FUZZ_CASES`, 48 by default); a longer run:
//! `TONGBAO_FUZZ_CASES=5000 cargo test --lib fuzz -- --nocapture`. A failing case is shrunk by
//! proptest and printed with the edits that caused it; add it to `regressions` below.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use crate::diag::{Code, Diagnostic, Severity};
use crate::project::Project;

const MONTH: &str = "2023-03";

/// The files a case may damage, relative to the project root.
const FILES: &[&str] = &[
    "data/units.yaml",
    "data/tables/710.yaml",
    "data/tables/12345.yaml",
    "data/tables/portal.yaml",
    "data/2023-03/710.yaml",
    "data/2023-03/12345.yaml",
    "data/2023-03/portal.yaml",
    "data/2023-03/document.yaml",
    "data/2023-03/通报.txt",
];

/// Text that has meaning somewhere: YAML, Typst, minijinja, the month text, HTML, Unicode edges.
const TOKENS: &[&str] = &[
    "#",
    "$",
    "[",
    "]",
    "*",
    "_",
    "@",
    "<",
    ">",
    "\\",
    "//",
    "\"",
    "'",
    "{{",
    "}}",
    "{#",
    "#}",
    "{%",
    "%}",
    "｛｛",
    "｝｝",
    "|",
    ":",
    ": ",
    "- ",
    "\n",
    "\t",
    " ",
    "&",
    "!",
    "%",
    "`",
    "...",
    "---",
    "\u{FEFF}",
    "\u{200B}",
    "\r\n",
    "\r",
    "待填",
    "合计",
    "附件",
    "一、",
    "（一）",
    "1.",
    "（1）",
    "本月",
    "热线.本月",
    "{{ 热线.本月 }}",
    "{{ 热线.办结 | 较上月 }}",
    "{{ 督办 | 最多(2) }}",
    "{{ 未知.名字 }}",
    "{{ 热线. }}",
    "{{ | }}",
    "{{ 热线.本月 | 四舍五入(99) }}",
    "100%",
    "-1",
    "1e99",
    "99999999999999999999",
    "0.5",
    "null",
    "~",
    "true",
    "&anchor",
    "*anchor",
    "!!str",
    "2023年2月30日",
    "2023年13月1日",
    "2023年5月5日",
    "待填日期",
    "城中区",
    "区民政局",
    "甲",
    "计算: 国信 + 1",
    "累计: 得分",
    "可空: true",
    "空白印作: —",
    "空白计作: 零",
    "组: [采用情况, 省级]",
    "排名: {依据: 得分}",
    "序号列: 无",
    "排序: 照写",
    "排序: {依据: 报送, 顺序: 从低到高}",
    "分表合计: 小计",
    "形式: 列表",
    "形式: 文字",
    " × ",
    " ÷ ",
    "(",
    ")",
    "—",
    "第一季度",
    "2023年1~3月",
    "2010年度",
    "{期间}",
    "{{ 热线.受理 | 比去年同期 }}",
    "{{ 热线.受理 | 同比 }}",
    "（代章）",
    "二○一一年一月十八日",
    "（联系人：甲，电话：1）",
    "\u{1F600}",
    "é",
    "\u{0301}",
    "\0",
];

#[derive(Debug, Clone)]
enum Edit {
    Insert { at: f64, text: String },
    Delete { at: f64, len: usize },
    DuplicateLine { at: f64 },
    SwapLines { a: f64, b: f64 },
    ReplaceNumber { nth: usize, text: String },
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(TOKENS).prop_map(String::from),
        1 => proptest::collection::vec(any::<char>(), 1..6).prop_map(|c| c.into_iter().collect()),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0.0..1.0f64, token()).prop_map(|(at, text)| Edit::Insert { at, text }),
        (0.0..1.0f64, 1usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (0.0..1.0f64).prop_map(|at| Edit::DuplicateLine { at }),
        (0.0..1.0f64, 0.0..1.0f64).prop_map(|(a, b)| Edit::SwapLines { a, b }),
        (0usize..200, token()).prop_map(|(nth, text)| Edit::ReplaceNumber { nth, text }),
    ]
}

/// The nearest character boundary at or before fraction `at` of `s`.
fn boundary(s: &str, at: f64) -> usize {
    let mut i = ((s.len() as f64) * at) as usize;
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i.min(s.len())
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut s = text.to_string();
    match edit {
        Edit::Insert { at, text } => s.insert_str(boundary(&s, *at), text),
        Edit::Delete { at, len } => {
            let from = boundary(&s, *at);
            let to = s[from..].char_indices().nth(*len).map_or(s.len(), |(i, _)| from + i);
            s.replace_range(from..to, "");
        }
        Edit::DuplicateLine { at } | Edit::SwapLines { a: at, .. } => {
            let mut lines: Vec<&str> = text.split('\n').collect();
            let i = ((lines.len() as f64) * at) as usize % lines.len();
            match edit {
                Edit::SwapLines { b, .. } => {
                    let j = ((lines.len() as f64) * b) as usize % lines.len();
                    lines.swap(i, j);
                }
                _ => lines.insert(i, lines[i]),
            }
            s = lines.join("\n");
        }
        Edit::ReplaceNumber { nth, text } => {
            let numbers: Vec<(usize, usize)> = number_spans(&s);
            if !numbers.is_empty() {
                let (from, to) = numbers[nth % numbers.len()];
                s.replace_range(from..to, text);
            }
        }
    }
    s
}

/// Byte spans of the runs of ASCII digits in `s`.
fn number_spans(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, b) in s.bytes().enumerate() {
        match (b.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(f)) => {
                out.push((f, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(f) = start {
        out.push((f, s.len()));
    }
    out
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the shipped data and templates (Typst's embedded fonts stand in for the bundled ones:
/// glyph warnings, but the same layout code).
pub(crate) fn project() -> tempfile::TempDir {
    let files: Vec<String> = FILES.iter().map(|f| f.to_string()).collect();
    copy(&repo(), &files)
}

/// The example projects of `examples/`: (name, its files relative to its root, the month its
/// circular is for).
fn examples() -> Vec<(String, Vec<String>, String)> {
    let root = repo().join("examples");
    let mut out: Vec<(String, Vec<String>, String)> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("data").is_dir())
        .map(|e| {
            let dir = e.path();
            let files: Vec<String> = walkdir::WalkDir::new(&dir)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|f| f.file_type().is_file())
                .map(|f| f.path().strip_prefix(&dir).unwrap().to_string_lossy().to_string())
                .collect();
            let month = files
                .iter()
                .filter(|f| f.ends_with("通报.txt"))
                .filter_map(|f| f.split('/').nth(1))
                .max()
                .unwrap_or_default()
                .to_string();
            (e.file_name().to_string_lossy().to_string(), files, month)
        })
        .collect();
    out.sort();
    out
}

/// A copy of `files` of the project at `from`, with the shipped templates.
fn copy(from: &Path, files: &[String]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for rel in files {
        let to = dir.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from.join(rel), &to).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    for entry in std::fs::read_dir(repo().join("templates")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join("templates").join(entry.file_name())).unwrap();
    }
    dir
}

/// Runs `check` and `build` on `root` and checks the properties. Returns a description of the
/// first violation.
fn stages(root: &Path) -> Result<(), String> {
    stages_of(root, MONTH)
}

/// [`stages`] for `month`.
fn stages_of(root: &Path, month: &str) -> Result<(), String> {
    let project = Project::new(root);
    let checked = super::check_months(&project, &[month.to_string()]);
    for d in checked.iter().filter(|d| d.severity == Severity::Error) {
        located(d)?;
    }
    let accepted = !checked.iter().any(|d| d.severity == Severity::Error);
    let built = super::Session::new(project.root(), &super::Plan::default()).build(month);
    for d in built.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
        located(d)?;
    }
    // A draft is made whatever the month's state: never a panic, and whenever the circular
    // itself can be made, the draft can too.
    let mut session = super::Session::new(project.root(), &super::Plan::default());
    let loaded = session.load(month);
    let draft = session.build_draft(loaded, &mut crate::pipeline::go_on);
    if built.pdf.is_some() && draft.pdf.is_none() {
        return Err(format!("a circular but no draft: {:?}", codes(&draft.diagnostics)));
    }
    match (accepted, built.pdf.is_some()) {
        (true, false) => Err(format!(
            "check accepted what build refused: {:?}",
            built
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| (d.code, &d.message))
                .collect::<Vec<_>>()
        )),
        (false, true) => Err(format!("build made a PDF that check refused: {:?}", codes(&checked))),
        (false, false) if !built.diagnostics.iter().any(Diagnostic::is_error) => Err(format!(
            "refused without an error; warnings: {:?}",
            codes(&built.diagnostics)
        )),
        _ => Ok(()),
    }
}

fn codes(diags: &[Diagnostic]) -> Vec<Code> {
    diags.iter().map(|d| d.code).collect()
}

/// Problems of a whole file, which have no better place than the file's name.
const WHOLE_FILE: &[Code] = &[Code::EmptyFile, Code::Encoding, Code::FileTooBig, Code::OutsideRoot];

/// An error names its file and, unless it is about the whole file, a line and column in it.
fn located(d: &Diagnostic) -> Result<(), String> {
    let Some(file) = &d.file else {
        return Err(format!("error without a file: [{}] {}", d.code, d.message));
    };
    if (d.line == 0 || d.column == 0) && !WHOLE_FILE.contains(&d.code) {
        return Err(format!(
            "error without line:column in {}: [{}] {}",
            file.display(),
            d.code,
            d.message
        ));
    }
    Ok(())
}

proptest! {
    #![proptest_config(crate::limits::fuzz_config(1))]

    #[test]
    fn damaged_projects_never_panic_and_every_refusal_is_located(
        edits in proptest::collection::vec((0..FILES.len(), edit()), 1..6)
    ) {
        let dir = project();
        for (file, edit) in &edits {
            let path = dir.path().join(FILES[*file]);
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, apply(&text, edit)).unwrap();
        }
        if let Err(problem) = stages(dir.path()) {
            prop_assert!(false, "{problem}");
        }
    }

    #[test]
    fn any_month_text_never_panics_and_every_refusal_is_located(
        text in proptest::collection::vec(token(), 0..60).prop_map(|t| t.concat())
    ) {
        let dir = project();
        std::fs::write(dir.path().join("data/2023-03/通报.txt"), &text).unwrap();
        if let Err(problem) = stages(dir.path()) {
            prop_assert!(false, "{problem}\n--- text ---\n{text}");
        }
    }
}

proptest! {
    #![proptest_config(crate::limits::fuzz_config(1))]

    /// The other offices' forms (header groups, formulas, blanks, ranks, sub-tables, lists,
    /// periods, signature forms), damaged the same way.
    #[test]
    fn damaged_examples_never_panic_and_every_refusal_is_located(
        which in any::<proptest::sample::Index>(),
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), edit()), 1..6)
    ) {
        let all = examples();
        let (name, files, month) = which.get(&all);
        let dir = copy(&repo().join("examples").join(name), files);
        for (file, edit) in &edits {
            let path = dir.path().join(file.get(files));
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, apply(&text, edit)).unwrap();
        }
        if let Err(problem) = stages_of(dir.path(), month) {
            prop_assert!(false, "{name}: {problem}");
        }
    }
}

#[test]
fn the_undamaged_examples_render() {
    for (name, files, month) in examples() {
        let dir = copy(&repo().join("examples").join(&name), &files);
        assert_eq!(stages_of(dir.path(), &month), Ok(()), "{name}");
    }
}

#[test]
fn the_undamaged_project_renders() {
    let dir = project();
    assert_eq!(stages(dir.path()), Ok(()));
}

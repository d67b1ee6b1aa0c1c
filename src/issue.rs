//! Issued circulars never change. `tongbao issue MONTH` records what was issued in the month's
//! folder: `issued.pdf` (the PDF itself, the office's record) and `issued.yaml` (each edition with
//! the SHA-256 of the PDF's content and of the file, the date and, for a correction, the reason).
//! The other outputs an issued circular includes ([`Output::issued`]: the OFD, when the month's
//! outputs name it) are kept beside it (`issued.ofd`) with their SHA-256 recorded too.
//!
//! From then on `check` (and so CI) and `build` make sure the month still gives the same circular:
//! when none of its inputs changed since it was issued (the inputs' digests are in the manifest
//! the issued PDF carries) and tongbao is the same version, nothing is rebuilt; otherwise the month
//! is rebuilt in memory and its content compared. A change that would alter the circular is an
//! error naming the month and the inputs that changed; a correction is explicit (`--revise 原因`)
//! and recorded as a new edition.
//!
//! The content digest is of the PDF without the provenance attachment and with the date of issue as
//! its timestamp: the same circular gives the same bytes from any commit.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::calendar::Date;
use crate::diag::{Code, Diagnostic, Loc, Severity};
use crate::limits::PDF_BYTES;
use crate::load::yaml::{self, Reader};
use crate::output::{Output, Signature};
use crate::pipeline::{Resolved, Session};
use crate::project::{ISSUE_RECORD, ISSUED_OFD, ISSUED_PDF, Project, WITHDRAWN};
use crate::provenance::{self, Digester};
use crate::sign::Stamp;

/// One edition of an issued circular.
#[derive(Debug, Clone)]
pub(crate) struct Edition {
    pub number: u64,
    pub date: Date,
    /// SHA-256 of the content (PDF without the manifest).
    pub content: String,
    /// SHA-256 of each file issued: `issued.pdf` always, the other outputs an issued circular
    /// includes when they were made ([`Output::issued`]).
    pub files: BTreeMap<Output, String>,
    pub tool: String,
    pub reason: Option<String>,
    /// Issued with inputs not committed (`--allow-dirty`): no commit reproduces it.
    pub dirty: bool,
}

pub(crate) fn record_path(project: &Project, month: &str) -> PathBuf {
    project.month_dir(month).join(ISSUE_RECORD)
}

pub(crate) fn pdf_path(project: &Project, month: &str) -> PathBuf {
    project.month_dir(month).join(ISSUED_PDF)
}

/// Where an issued output is kept beside the month's data (`issued.pdf`, `issued.ofd`).
pub(crate) fn issued_path(project: &Project, month: &str, output: Output) -> Option<PathBuf> {
    output.issued().map(|i| project.month_dir(month).join(i.file))
}

/// The outputs an issued circular may include, the PDF first.
fn issued_outputs() -> impl Iterator<Item = (Output, crate::output::Issued)> {
    Output::all().iter().filter_map(|o| o.issued().map(|i| (*o, i)))
}

/// The editions recorded for a month (oldest first).
/// The editions an issue record's text holds (a version of it read from history); none when it
/// cannot be read.
pub(crate) fn parse_editions(src: &std::sync::Arc<crate::diag::Source>) -> Vec<Edition> {
    crate::load::parse_with(src, &mut Vec::new(), read).unwrap_or_default()
}

pub(crate) fn editions(project: &Project, month: &str, diags: &mut Vec<Diagnostic>) -> Vec<Edition> {
    let rel = record_path(project, month);
    let Ok(src) = crate::load::read_source(project, &rel).map_err(|d| diags.push(d)) else {
        return Vec::new();
    };
    crate::load::parse_with(&src, diags, read).unwrap_or_default()
}

fn read(r: &mut Reader, tree: &yaml::Node) -> Option<Vec<Edition>> {
    let mut top = r.map(tree, "发布记录")?;
    let mut out = Vec::new();
    if let Some(items) = r.req(&mut top, "版次").and_then(|n| r.seq(n, "版次")) {
        for item in items {
            let Some(mut m) = r.map(item, "版次") else { continue };
            let number = r.req(&mut m, "版").and_then(|n| r.count(n, "版"));
            let date = r.req(&mut m, "日期").and_then(|n| r.date(n, "日期"));
            let content = r.req(&mut m, "内容摘要").and_then(|n| r.text(n, "内容摘要"));
            let tool = r.req(&mut m, "工具").and_then(|n| r.text(n, "工具"));
            let reason = m.opt("原因").and_then(|n| r.text(n, "原因"));
            let dirty = m.opt(DIRTY).and_then(|n| r.boolean(n, DIRTY)).unwrap_or(false);
            let mut files = BTreeMap::new();
            for (output, issued) in issued_outputs() {
                let node = if output == Output::Pdf {
                    r.req(&mut m, issued.key)
                } else {
                    m.opt(issued.key)
                };
                if let Some(digest) = node.and_then(|n| r.text(n, issued.key)) {
                    files.insert(output, digest);
                }
            }
            let mut keys = vec!["版", "日期", "内容摘要", "工具", "原因", DIRTY];
            keys.extend(issued_outputs().map(|(_, i)| i.key));
            r.finish(m, &keys);
            if let (Some(number), Some(date), Some(content), Some(tool), true) =
                (number, date, content, tool, files.contains_key(&Output::Pdf))
            {
                out.push(Edition {
                    number,
                    date,
                    content,
                    files,
                    tool,
                    reason,
                    dirty,
                });
            }
        }
    }
    r.finish(top, &["版次"]);
    Some(out)
}

fn write_record(project: &Project, month: &str, editions: &[Edition]) -> std::io::Result<()> {
    let mut text = format!(
        "# {month} 的通报已发布：由 tongbao issue 写入，请勿手改。发布后，任何会改变这份通报的修改\n\
         # （数据、单位名录、表格定义、模板、字体或 tongbao 版本）都会被 tongbao check 拒绝。\n\
         # 确需更正时运行：tongbao issue {month} --revise \"原因\"（修订），修订记录保存在这里和 git 历史中。\n\
         # 发布的 PDF 就是同一文件夹中的 {ISSUED_PDF}；记有 OFD摘要 的版次，其 OFD 是 {ISSUED_OFD}。\n版次:\n"
    );
    for e in editions {
        let reason = e
            .reason
            .as_ref()
            .map(|r| format!(", 原因: {}", serde_json::to_string(r).unwrap_or_default()))
            .unwrap_or_default();
        let dirty = if e.dirty {
            format!(", {DIRTY}: true")
        } else {
            String::new()
        };
        let digest = |output: Output| {
            let key = output.issued().map_or("", |i| i.key);
            e.files
                .get(&output)
                .map(|d| format!(", {key}: {d}"))
                .unwrap_or_default()
        };
        let others: String = issued_outputs()
            .filter(|(o, _)| *o != Output::Pdf)
            .map(|(o, _)| digest(o))
            .collect();
        text.push_str(&format!(
            "  - {{版: {}, 日期: {}-{:02}-{:02}, 内容摘要: {}{}, 工具: {}{others}{dirty}{reason}}}\n",
            e.number,
            e.date.year,
            e.date.month,
            e.date.day,
            e.content,
            digest(Output::Pdf),
            e.tool
        ));
    }
    project
        .write(&record_path(project, month), text.as_bytes())
        .map_err(|e| std::io::Error::other(e.reason()))
}

/// The record's key for an edition issued from inputs not committed.
const DIRTY: &str = "未提交的改动";

fn tool() -> String {
    format!("tongbao {}", env!("CARGO_PKG_VERSION"))
}

/// What signs an issued file (`issue --sign` the PDF, `issue --seal` the OFD): its bytes and the
/// places of the seals the circular prints, in order, in; the signed file out, or why not.
pub(crate) type Signer<'a> = dyn Fn(&[u8], &[Stamp]) -> Result<Vec<u8>, String> + 'a;

/// How the issued files are signed: with PAdES signatures (the PDF), with electronic seals (the
/// OFD), either or neither ([`Signature`] says which output takes which).
#[derive(Default, Clone, Copy)]
pub(crate) struct Signing<'a> {
    pub pades: Option<&'a Signer<'a>>,
    pub seal: Option<&'a Signer<'a>>,
}

/// Issues (or, with `reason`, revises) a month: builds it, adds an edition to `issued.yaml` and
/// keeps the PDF as `issued.pdf`. The inputs must be committed unless `allow_dirty` (then the
/// edition says so). The record is written first and the files after it, so an issue cut short
/// leaves a record whose files are still in `out/`: issuing again completes it
/// ([`interrupted`]). With `sign`, the issued PDF is signed and the record covers the signed
/// file; with `signing.seal`, the issued OFD is sealed (and must be among the outputs). Returns the
/// edition, or the problems that prevent issuing.
pub(crate) fn issue(
    project: &Project,
    session: &mut Session,
    month: &str,
    today: Date,
    reason: Option<&str>,
    allow_dirty: bool,
    signing: Signing<'_>,
) -> Result<Edition, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut editions = if project.is_issued(month) {
        editions(project, month, &mut diags)
    } else {
        Vec::new()
    };
    // A record that cannot be read is never written over as if there were none.
    if project.is_issued(month) && (editions.is_empty() || diags.iter().any(Diagnostic::is_error)) {
        if diags.is_empty() {
            let message = format!("{month} 的发布记录没有任何版次，无法读取");
            diags.push(Diagnostic::error(Code::Issued, &record_loc(project, month), message));
        }
        return Err(diags);
    }
    let at = record_loc(project, month);
    if let Some(last) = editions.last().filter(|_| reason.is_none()) {
        if let Some(missing) = interrupted(project, month, &editions) {
            return complete(project, missing).map(|()| last.clone());
        }
        return Err(vec![
            Diagnostic::error(
                Code::Issued,
                &at,
                format!("{month} 的通报已经发布（第 {} 版），不能再次发布", editions.len()),
            )
            .help(format!(
                "确需更正时运行 tongbao issue {month} --revise \"原因\"，修订会记录在案"
            )),
        ]);
    }
    let sealed = issued_outputs().any(|(o, i)| i.signature == Signature::Seal && session.plan().makes(o));
    if signing.seal.is_some() && !sealed {
        return Err(vec![
            Diagnostic::error(Code::Issued, &at, format!("{month} 的通报没有 OFD，无法加盖电子印章"))
                .help("加上 --outputs pdf,ofd，或在 tongbao.yaml 的“输出”中加上 ofd"),
        ]);
    }
    let (dirty, refusal) = commitment(project, month, reason.is_some(), allow_dirty, &at);
    let (outcome, content) = session.build_to_issue(month);
    let blocking = crate::check::not_ready(&outcome.diagnostics, &session.resolved().blocking);
    if !blocking.is_empty() || refusal.is_some() {
        diags.extend(blocking);
        diags.extend(refusal);
        restore_out(project, month);
        return Err(diags);
    }
    let (Some(_), Some(content)) = (&outcome.pdf, content) else {
        restore_out(project, month);
        return Err(diags);
    };
    let stamps = outcome
        .document
        .as_ref()
        .map(|doc| seal_places(session, month, doc))
        .unwrap_or_default();
    let (files, kept) = issued_files(project, session.plan(), month, &stamps, signing, &at)?;
    let edition = Edition {
        number: editions.len() as u64 + 1,
        date: today,
        content: provenance::sha256(&content),
        files,
        tool: tool(),
        reason: reason.map(str::to_string),
        dirty,
    };
    editions.push(edition.clone());
    if let Err(e) = write_record(project, month, &editions) {
        restore_out(project, month);
        return Err(io_failure(e.to_string()));
    }
    crate::crash::point("issue:recorded");
    complete(project, kept)?;
    Ok(edition)
}

/// Files to write, with their bytes.
type Files = Vec<(PathBuf, Vec<u8>)>;

/// The files of the edition being issued: the PDF and every other output an issued circular
/// includes that this build made, each signed as `signing` asks (the record covers the signed
/// files), with their digests; or why not (the build's outputs are restored).
fn issued_files(
    project: &Project,
    plan: &crate::output::Plan,
    month: &str,
    stamps: &[Stamp],
    signing: Signing<'_>,
    at: &Loc,
) -> Result<(BTreeMap<Output, String>, Files), Vec<Diagnostic>> {
    let mut files = BTreeMap::new();
    let mut kept = Vec::new();
    for (output, issued) in issued_outputs().filter(|(o, _)| plan.makes(*o)) {
        let made = project.out_dir(month).join(output.files()[0]);
        let mut bytes = project
            .read(&made)
            .map_err(|e| io_failure(format!("{}：{}", made.display(), e.reason())))?;
        let (signer, what) = match issued.signature {
            Signature::Pades => (signing.pades, "签名"),
            Signature::Seal => (signing.seal, "盖章"),
        };
        if let Some(sign) = signer {
            bytes = sign(&bytes, stamps).map_err(|why| {
                restore_out(project, month);
                vec![Diagnostic::error(
                    Code::Issued,
                    at,
                    format!("{month} 的通报未能{what}：{why}"),
                )]
            })?;
        }
        files.insert(output, provenance::sha256(&bytes));
        if let Some(path) = issued_path(project, month, output) {
            kept.push((path, bytes));
        }
    }
    Ok((files, kept))
}

/// The seals the circular prints, in the order they are laid out (found by their diameters among
/// the laid-out images): each one's page and box in millimetres from the page's top left. Empty
/// for a circular without a seal.
fn seal_places(session: &Session, month: &str, doc: &typst_layout::PagedDocument) -> Vec<Stamp> {
    let loaded = session.load(month);
    let Some(document) = loaded.data.as_ref().and_then(|d| d.month(month)).map(|m| &m.document) else {
        return Vec::new();
    };
    let diameters: Vec<f64> = document.layout.seals.iter().map(|s| s.diameter_mm as f64).collect();
    let layout = crate::typeset::inspect::measure_text(doc);
    layout
        .images
        .iter()
        .filter(|b| {
            diameters
                .iter()
                .any(|d| (b.width - d).abs() < 0.5 && (b.height - d).abs() < 0.5)
        })
        .filter_map(|b| {
            let (_, page_height) = *layout.pages.get(b.page.checked_sub(1)?)?;
            Some(Stamp {
                page: b.page - 1,
                x: b.x,
                y: b.y,
                width: b.width,
                height: b.height,
                page_height,
            })
        })
        .collect()
}

/// Whether month `month`'s inputs have uncommitted changes (`true` also where git cannot tell),
/// and the refusal when that prevents issuing. A first edition is issued from committed inputs;
/// a revision (`revising`) is made from the corrected inputs before they are committed (the
/// pre-commit hook refuses them until the record matches) and is committed with its record.
fn commitment(
    project: &Project,
    month: &str,
    revising: bool,
    allow_dirty: bool,
    at: &Loc,
) -> (bool, Option<Diagnostic>) {
    let mut refusal = None;
    let dirty = match uncommitted(project, month) {
        Some(_) if revising => false,
        Some(files) if !files.is_empty() && !allow_dirty => {
            let named = crate::diag::listing(&files, 5);
            // What to stage: the month folders and top-level entries the files are in.
            let mut places: Vec<String> = files.iter().map(|f| place_of(f)).collect();
            places.dedup();
            refusal = Some(
                Diagnostic::error(
                    Code::Uncommitted,
                    at,
                    format!("{month} 的输入有未提交的改动：{named}；发布的通报要能由一次提交重现"),
                )
                .help(format!(
                    "先提交：git add -A {} && git commit -m \"…\"，再发布；确需发布未提交的版本时加 --allow-dirty（记录在发布记录中）",
                    places.join(" ")
                )),
            );
            true
        }
        Some(files) => !files.is_empty(),
        None => {
            tell!("警告：项目不在 git 仓库中（或 git 不可用），无法确认发布的数据都已提交");
            true
        }
    };
    (dirty, refusal)
}

/// Puts an issued month's issued files back in `out/` after a revision that was not issued (its
/// build wrote the revised circular there): nothing but the issued files is left in `out/` for
/// an issued month. Nothing for a month not issued.
fn restore_out(project: &Project, month: &str) {
    let files: Files = issued_outputs()
        .filter_map(|(output, _)| {
            let kept = issued_path(project, month, output)?;
            let bytes = read_issued(project, &kept).ok()?;
            Some((project.out_dir(month).join(output.files()[0]), bytes))
        })
        .collect();
    let all: Vec<(&std::path::Path, &[u8], bool)> =
        files.iter().map(|(p, b)| (p.as_path(), b.as_slice(), true)).collect();
    let _ = project.write_together(&all);
}

/// Month `month`'s issue record as the place of a diagnostic about it as a whole.
fn record_loc(project: &Project, month: &str) -> Loc {
    Loc::file(&crate::diag::Source::new(record_path(project, month), ""))
}

fn io_failure(e: String) -> Vec<Diagnostic> {
    vec![Diagnostic::general(
        Severity::Error,
        Code::Io,
        format!("无法写入发布记录：{e}"),
    )]
}

/// Writes the issued files, replaced together.
fn complete(project: &Project, files: Files) -> Result<(), Vec<Diagnostic>> {
    let all: Vec<(&std::path::Path, &[u8], bool)> =
        files.iter().map(|(p, b)| (p.as_path(), b.as_slice(), true)).collect();
    project
        .write_together(&all)
        .map_err(|f| io_failure(format!("{}：{}", f.file.display(), f.error.reason())))
}

/// The files of the last of `editions` that an issue cut short did not write, with their bytes
/// from `out/` where the issue built them. A file counts as not written when it is missing or is
/// still an earlier edition's (what a kill between the record and the files leaves); any other
/// difference is a change, not an interruption. `None` when nothing is missing or a missing file
/// cannot be found in `out/`.
pub(crate) fn interrupted(project: &Project, month: &str, editions: &[Edition]) -> Option<Files> {
    let (last, earlier) = editions.split_last()?;
    let mut missing = Vec::new();
    for (output, digest) in &last.files {
        let kept = issued_path(project, month, *output)?;
        match read_issued(project, &kept).map(|b| provenance::sha256(&b)) {
            Ok(now) if now == *digest => continue,
            Ok(now) if !earlier.iter().any(|e| e.files.get(output) == Some(&now)) => return None,
            _ => {}
        }
        let built = project.out_dir(month).join(output.files()[0]);
        let bytes = read_issued(project, &built)
            .ok()
            .filter(|b| provenance::sha256(b) == *digest)?;
        missing.push((kept, bytes));
    }
    (!missing.is_empty()).then_some(missing)
}

/// The month's inputs with changes git has not committed (modified, staged, or untracked),
/// root-relative; `None` when git cannot tell (no repository, git missing or refusing).
fn uncommitted(project: &Project, month: &str) -> Option<Vec<String>> {
    // The places, not the files found on disk: a file deleted and not committed is a change too.
    let mut places: Vec<String> = crate::load::compared_months(project, month)
        .iter()
        .chain([&month.to_string()])
        .map(|m| project.month_dir(m).to_string_lossy().replace('\\', "/"))
        .collect();
    places.extend([crate::project::REGISTRY, crate::project::TABLES].map(String::from));
    places.extend(
        crate::project::INPUTS
            .iter()
            .filter(|i| **i != crate::project::DATA)
            .map(|i| i.to_string()),
    );
    let mut args = vec![
        "status".to_string(),
        "--porcelain".into(),
        "--untracked-files=all".into(),
        "--".into(),
    ];
    args.extend(places);
    let text = crate::git::run(project.root(), &args).ok()?;
    let prefix = crate::git::prefix(project.root()).unwrap_or_default();
    let mut files: Vec<String> = text
        .lines()
        .filter_map(|l| l.get(3..))
        .map(|p| p.trim_matches('"'))
        .map(|p| p.strip_prefix(prefix.as_str()).unwrap_or(p).to_string())
        .filter(|f| {
            ![ISSUE_RECORD, ISSUED_PDF, ISSUED_OFD, WITHDRAWN]
                .iter()
                .any(|r| f.ends_with(r))
        })
        .collect();
    files.sort();
    files.dedup();
    Some(files)
}

/// What to stage to commit an issue: the month's folder and the places of its other inputs that
/// have uncommitted changes.
pub(crate) fn to_stage(project: &Project, month: &str) -> Vec<String> {
    let mut places = vec![project.month_dir(month).to_string_lossy().replace('\\', "/")];
    places.extend(
        uncommitted(project, month)
            .unwrap_or_default()
            .iter()
            .map(|f| place_of(f)),
    );
    places.sort();
    places.dedup();
    places
}

/// The folder to stage for a changed file: its month's folder, or its top-level entry.
fn place_of(file: &str) -> String {
    let parts: Vec<&str> = file.split('/').collect();
    match parts.as_slice() {
        [data, folder, _, ..] if *data == crate::project::DATA => format!("{data}/{folder}"),
        [first, ..] => first.to_string(),
        [] => file.to_string(),
    }
}

/// Withdraws an issued circular: the withdrawal (date, reason, the edition and its digest) is
/// added to `withdrawn.yaml` and the issue record and its files are removed, so the month can be
/// built and issued anew; git keeps what was withdrawn. The last edition is returned.
pub(crate) fn withdraw(project: &Project, month: &str, today: Date, reason: &str) -> Result<Edition, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let Some(last) = editions(project, month, &mut diags).pop() else {
        if diags.is_empty() {
            let message = format!("{month} 没有发布过，无从撤回");
            diags.push(Diagnostic::error(Code::Issued, &record_loc(project, month), message));
        }
        return Err(diags);
    };
    let rel = project.month_dir(month).join(WITHDRAWN);
    let mut text = match project.read(&rel) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => format!(
            "# {month} 撤回的通报：由 tongbao issue {month} --withdraw 写入，请勿手改；撤回的文件在 git 历史中。\n撤回:\n"
        ),
    };
    text.push_str(&format!(
        "  - {{日期: {}-{:02}-{:02}, 版: {}, 内容摘要: {}, 原因: {}}}\n",
        today.year,
        today.month,
        today.day,
        last.number,
        last.content,
        serde_json::to_string(reason).unwrap_or_default()
    ));
    project
        .write(&rel, text.as_bytes())
        .map_err(|e| io_failure(format!("{}：{}", rel.display(), e.reason())))?;
    let mut remove = vec![record_path(project, month)];
    remove.extend(issued_outputs().filter_map(|(o, _)| issued_path(project, month, o)));
    // The record goes first: a withdrawal cut short leaves files no record claims, never a
    // record without its files.
    for path in remove {
        match std::fs::remove_file(project.path(&path)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(io_failure(format!(
                    "{}：{}",
                    path.display(),
                    crate::project::io_reason(&e)
                )));
            }
        }
    }
    Ok(last)
}

/// What `check` and `build` find for an issued month.
pub(crate) enum Frozen {
    /// Nothing that changes the circular has changed; the issued files stand (checked against
    /// the record).
    Unchanged(Issued),
    /// The month would now give a different circular (or none): errors naming what changed.
    Changed(Vec<Diagnostic>),
}

/// The files of an issued circular, the PDF first.
pub(crate) type Issued = Vec<(Output, Vec<u8>)>;

/// The bytes of issued file `rel`, or an error when it is gone or differs from `digest`.
fn issued_file(
    project: &Project,
    rel: &std::path::Path,
    digest: &str,
    at: &Loc,
    code: Code,
) -> Result<Vec<u8>, Diagnostic> {
    let bytes = read_issued(project, rel).ok();
    if bytes.as_deref().map(provenance::sha256).as_deref() == Some(digest) {
        return Ok(bytes.unwrap_or_default());
    }
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let month = rel
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let what = if code == Code::IssuedOfd { "OFD" } else { "PDF" };
    Err(Diagnostic::error(
        code,
        at,
        format!("{month} 已发布的 {what}（{}）不见了或被改动过", rel.display()),
    )
    .help(format!(
        "从 git 历史中恢复 {name}（git checkout -- 该文件）；发布的文件不能修改"
    )))
}

/// Where the issued months this very tongbao has verified are remembered, with the digests of
/// everything the verification read (build output, never committed; a CI runner starts without).
const VERIFIED: &str = "out/.tongbao-issued.json";

/// Checks that an issued month still gives the circular that was issued, and that `issued.pdf`
/// is that circular: its digest is the record's, the manifest it carries names this month, and
/// the month rebuilt from its inputs today, with that manifest attached again, is `issued.pdf`
/// byte for byte (so a PDF swapped in from another month, or altered after issue with its digest
/// updated in the record, is refused). The PDF is read within [`PDF_BYTES`] and its manifest
/// within the manifest's budget. A month verified before by this same tongbao with the same
/// inputs is not rebuilt again. `session` is opened only when a rebuild is needed.
pub(crate) fn verify(resolved: &Arc<Resolved>, month: &str, session: &mut Option<Session>) -> Frozen {
    let project = &resolved.project;
    let mut diags = Vec::new();
    let all = editions(project, month, &mut diags);
    let Some(last) = all.last().cloned() else {
        return Frozen::Changed(diags);
    };
    let at = record_loc(project, month);
    if interrupted(project, month, &all).is_some() {
        return Frozen::Changed(vec![
            Diagnostic::error(
                Code::IssuedChanged,
                &at,
                format!("{month} 的发布没有完成：发布记录已写入，发布的文件还没有写完（发布时被中断）"),
            )
            .help(format!("运行 tongbao issue {month} 完成这次发布")),
        ]);
    }
    let pdf = pdf_path(project, month);
    let issued = match read_issued(project, &pdf) {
        Ok(bytes) => bytes,
        Err(why) => return Frozen::Changed(vec![altered(month, &pdf, &at, &why)]),
    };
    if last.files.get(&Output::Pdf) != Some(&provenance::sha256(&issued)) {
        let why = "它的摘要与发布记录（issued.yaml 中的“文件摘要”）不同，文件被改动或替换过";
        return Frozen::Changed(vec![altered(month, &pdf, &at, why)]);
    }
    let mut files = vec![(Output::Pdf, issued.clone())];
    for (output, kept) in issued_outputs().filter(|(o, _)| *o != Output::Pdf) {
        let (Some(digest), Some(path)) = (last.files.get(&output), issued_path(project, month, output)) else {
            continue;
        };
        match issued_file(project, &path, digest, &at, kept.code) {
            Ok(bytes) => files.push((output, bytes)),
            Err(d) => return Frozen::Changed(vec![d]),
        }
    }
    let json = provenance::manifest_json(&issued);
    let manifest: Option<provenance::Manifest> = json.as_deref().and_then(|j| serde_json::from_str(j).ok());
    if let Some(m) = manifest.as_ref().filter(|m| m.month != month) {
        let why = format!(
            "它内附的构建清单说它是 {} 的通报，不是 {month} 的，文件被替换过",
            crate::diag::shorten(&m.month, 20)
        );
        return Frozen::Changed(vec![altered(month, &pdf, &at, &why)]);
    }
    let compared = crate::load::compared_months(project, month);
    let now = Digester::default().digests(project, month, &compared);
    let key = provenance::sha256(format!("{}\n{}", provenance::tool_identity(), serde_json::json!(now)).as_bytes());
    if remembered(project, month).as_deref() == Some(key.as_str()) {
        return Frozen::Unchanged(files);
    }
    let plan = match &manifest {
        Some(m) => m.plan.clone(),
        None => resolved.plan.clone(),
    };
    let stamp = provenance::creation_date(&issued)
        .and_then(|(y, mo, d, h, mi, s)| typst::foundations::Datetime::from_ymd_hms(y, mo, d, h, mi, s));
    let session = session.get_or_insert_with(|| Session::open(resolved.clone()));
    let (rebuilt, problems) = session.frozen(month, &plan, json.as_deref(), stamp);
    let content = rebuilt.as_ref().map(|r| provenance::sha256(&r.content));
    match rebuilt {
        Some(r)
            if content.as_deref() == Some(last.content.as_str())
                && (r.issued == issued || crate::sign::signed_copy_of(&issued, &r.issued)) =>
        {
            remember(project, month, &key);
            Frozen::Unchanged(files)
        }
        Some(_) if content.as_deref() == Some(last.content.as_str()) => {
            let why = "由发布时的输入重新生成的通报与它不同（内容摘要相符，文件本身却不符），它在发布后被改动过";
            Frozen::Changed(vec![altered(month, &pdf, &at, why)])
        }
        _ => {
            let recorded = manifest.map(|m| m.inputs).unwrap_or_default();
            let inputs = changed_inputs(project, &recorded, &now);
            Frozen::Changed(changed(month, &last, &at, &inputs, content.is_none(), problems))
        }
    }
}

/// The month and edition of which an issued file has SHA-256 `digest`, if any month's record has it.
pub(crate) fn issued_as(project: &Project, digest: &str) -> Option<(String, u64)> {
    project
        .months()
        .into_iter()
        .filter(|m| project.is_issued(m))
        .find_map(|month| {
            let found = editions(project, &month, &mut Vec::new())
                .iter()
                .find(|e| e.files.values().any(|d| d == digest))
                .map(|e| e.number)?;
            Some((month, found))
        })
}

/// The issued PDF's bytes, within [`PDF_BYTES`].
fn read_issued(project: &Project, pdf: &std::path::Path) -> Result<Vec<u8>, String> {
    let size = project.size(pdf).map_err(|e| e.reason())?;
    if size > PDF_BYTES {
        return Err(format!(
            "文件过大（{}，发布的通报不会超过 {}）",
            crate::limits::size(size),
            crate::limits::size(PDF_BYTES)
        ));
    }
    project.read(pdf).map_err(|e| e.reason())
}

/// The error for an `issued.pdf` that is missing or is not the circular its record describes.
fn altered(month: &str, pdf: &std::path::Path, at: &Loc, why: &str) -> Diagnostic {
    Diagnostic::error(
        Code::IssuedPdf,
        at,
        format!("{month} 已发布的通报 {} 与发布记录不符：{why}", pdf.display()),
    )
    .help("从 git 历史中恢复发布时的文件（git checkout <发布时的提交> -- data/…/issued.pdf data/…/issued.yaml）；发布的文件不能修改")
}

/// The error for an issued month whose inputs now give another circular (or none).
fn changed(
    month: &str,
    last: &Edition,
    at: &Loc,
    inputs: &[(String, &'static str)],
    unbuildable: bool,
    problems: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let mut what: Vec<String> = inputs.iter().map(|(p, how)| format!("{p}（{how}）")).collect();
    if last.tool != tool() {
        what.push(format!(
            "tongbao 版本（发布时 {}，现在 {}）",
            crate::diag::shorten(&last.tool, 40),
            tool()
        ));
    }
    let how = if unbuildable {
        "现在已无法生成"
    } else {
        "现在生成的内容与发布的不同"
    };
    let listed = if what.is_empty() {
        "（未知）".to_string()
    } else {
        crate::diag::listing(&what, 20)
    };
    let mut out = vec![
        Diagnostic::error(
            Code::IssuedChanged,
            at,
            format!(
                "{month} 的通报已于 {} 发布（第 {} 版），{how}；改动的输入：{listed}",
                last.date.chinese(),
                last.number,
            ),
        )
        .help(match inputs.first() {
            Some((file, _)) => format!(
                "已发布的通报不能改变：撤销对这些文件的改动（如 git checkout -- {file}），或者确需更正时运行 tongbao issue {month} --revise \"原因\" 发布更正版"
            ),
            None => format!("已发布的通报不能改变；确需更正时运行 tongbao issue {month} --revise \"原因\" 发布更正版"),
        }),
    ];
    out.extend(problems.into_iter().filter(Diagnostic::is_error).take(3));
    out
}

/// The key this tongbao remembered for `month` after verifying it, if any.
fn remembered(project: &Project, month: &str) -> Option<String> {
    let bytes = project.read(std::path::Path::new(VERIFIED)).ok()?;
    let map: BTreeMap<String, String> = serde_json::from_slice(&bytes).ok()?;
    map.get(month).cloned()
}

/// Remembers that `month` was verified with `key` (best effort: it only saves a rebuild).
fn remember(project: &Project, month: &str, key: &str) {
    let rel = std::path::Path::new(VERIFIED);
    let mut map: BTreeMap<String, String> = project
        .read(rel)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    map.insert(month.to_string(), key.to_string());
    if let Ok(json) = serde_json::to_vec(&map) {
        let _ = project.write_unsynced(rel, &json);
    }
}

/// Inputs whose digest differs, appeared or disappeared, with how. The issue record's own files
/// are never inputs that changed; a recorded input that the month no longer reads (its text,
/// which named the months it compares with, does not parse) is compared as it is on disk.
fn changed_inputs(
    project: &Project,
    before: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> Vec<(String, &'static str)> {
    let record = |p: &str| {
        p.rsplit('/')
            .next()
            .is_some_and(|f| [ISSUE_RECORD, ISSUED_PDF, ISSUED_OFD].contains(&f))
    };
    let mut out = Vec::new();
    for (path, digest) in before.iter().filter(|(p, _)| !record(p)) {
        let current = now
            .get(path)
            .cloned()
            .or_else(|| project.digest(std::path::Path::new(path)).ok());
        match current {
            Some(d) if d == *digest => {}
            Some(_) => out.push((path.clone(), "已修改")),
            None => out.push((path.clone(), "已删除")),
        }
    }
    out.extend(
        now.keys()
            .filter(|p| !before.contains_key(*p) && !record(p))
            .map(|p| (p.clone(), "新增")),
    );
    out
}

/// Today's date on the machine's clock, for the record.
pub(crate) fn today() -> Date {
    crate::calendar::today()
}

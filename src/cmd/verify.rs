//! `tongbao verify FILE.pdf`: rebuild from the commit recorded in the PDF, in a temporary worktree,
//! and say whether the bytes match; if not, name the inputs that differ.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Error, Result, Status};
use crate::args::VerifyArgs;
use crate::git;
use crate::limits::PDF_BYTES;
use crate::pipeline::Session;
use crate::project::Project;
use crate::provenance::{self, Manifest};

pub(crate) fn run(project: &Project, args: &VerifyArgs) -> Result {
    let file = &args.file;
    let shown = crate::diag::shorten_path(file, 120);
    let bytes = crate::limits::read_bounded(file, PDF_BYTES)
        .map_err(|e| Error::Usage(format!("无法读取 {shown}：{}", e.reason(PDF_BYTES))))?;
    if bytes.starts_with(b"PK") {
        return verify_ofd(project, &shown, &bytes);
    }
    // A signed PDF: its signatures first (intact and whose), then the circular they signed.
    let broken = report_signatures(project, &bytes);
    let manifest = provenance::read_manifest(&bytes).ok_or_else(|| Error::Failed(no_manifest(&shown, &bytes)))?;
    let commit = trusted(&manifest).map_err(|why| Error::Failed(format!("错误：{shown} 的构建清单不可信：{why}")))?;
    say!(
        "PDF 记录：{} 月份，源提交 {}{}，{}",
        manifest.month,
        short(&commit),
        if manifest.dirty {
            "（含未提交的修改）"
        } else {
            ""
        },
        crate::diag::shorten(&manifest.tool, 40)
    );

    let worktree = Worktree::add(project, &commit).map_err(|msg| Error::Failed(format!("错误：{msg}")))?;
    let there = Project::new(&worktree.path.join(&worktree.prefix));
    let resolved = crate::pipeline::Resolved::configured(&there).with_plan(&manifest.plan);
    let mut session = Session::open(std::sync::Arc::new(resolved));
    let outcome = session.build(&manifest.month);
    let rebuilt = outcome.pdf.as_ref().and_then(|p| std::fs::read(there.path(p)).ok());
    // The other outputs the build made (web page, Word file): rebuilt, they must have the digests
    // the manifest records.
    let mut outputs_differ = 0;
    for (path, digest) in &manifest.outputs {
        // Only files the build writes (out/MONTH/…) are looked at, through the project's gate.
        let rel = std::path::Path::new(path);
        let inside = rel.starts_with(there.out_dir(&manifest.month))
            && rel.components().all(|c| matches!(c, std::path::Component::Normal(_)));
        let now = inside.then(|| there.digest(rel).ok()).flatten();
        let path = crate::diag::shorten(path, 100);
        if now.as_deref() == Some(digest.as_str()) {
            say!("  输出一致：{path}");
        } else {
            say!("  输出不同：{path}（重新生成的与 PDF 记录的摘要不同）");
            outputs_differ += 1;
        }
    }
    let inputs = outcome.inputs.clone();
    drop(session);

    match rebuilt {
        Some(rebuilt) if rebuilt == bytes && outputs_differ == 0 => {
            say!(
                "一致：从提交 {} 重新生成的 PDF 与该文件逐字节相同（{} 字节）",
                short(&commit),
                bytes.len()
            );
            Ok(Status::Clean)
        }
        Some(rebuilt) if crate::sign::signed_copy_of(&bytes, &rebuilt) && outputs_differ == 0 => {
            say!(
                "一致：从提交 {} 重新生成的 PDF 与该文件签名前的内容逐字节相同（{} 字节，另有签名）",
                short(&commit),
                rebuilt.len()
            );
            Ok(if broken { Status::Problems } else { Status::Clean })
        }
        Some(_) => {
            say!("不一致：从提交 {} 重新生成的 PDF 与该文件不同", short(&commit));
            report_differences(&manifest, &inputs);
            Ok(Status::Problems)
        }
        None => {
            say!("不一致：提交 {} 的数据无法生成 PDF（检查或排版出错）", short(&commit));
            for d in outcome.diagnostics.iter().filter(|d| d.is_error()).take(5) {
                tell!("{}", d.to_terminal());
            }
            report_differences(&manifest, &inputs);
            Ok(Status::Problems)
        }
    }
}

/// Says of each signature of a PDF whether it is intact, whose it is, when it was timestamped and
/// whether its certificate is trusted; `true` when any of that fails.
fn report_signatures(project: &Project, bytes: &[u8]) -> bool {
    let signatures = crate::sign::all_intact(bytes);
    let mut broken = false;
    for (i, signature) in signatures.iter().enumerate() {
        let which = if signatures.len() == 1 {
            "签名".to_string()
        } else {
            format!("签名 {}", i + 1)
        };
        let whole = if i + 1 == signatures.len() {
            "覆盖整个文件"
        } else {
            "覆盖它签名时的文件"
        };
        let signed = match signature {
            Ok(signed) => signed,
            Err(why) => {
                say!("{which}：无效：{why}");
                broken = true;
                continue;
            }
        };
        say!("{which}：完好，{whole}；签名者 {}", signed.subject);
        match &signed.timestamp {
            Some(Ok(time)) => say!("时间戳：{time}"),
            Some(Err(why)) => {
                say!("时间戳：{why}");
                broken = true;
            }
            None => {}
        }
        match trust(project).and_then(|anchors| crate::sign::chains_to(&signed.signer, &signed.certificates, &anchors))
        {
            Ok(anchor) => say!("证书：可追溯到信任的证书 {anchor}"),
            Err(why) => {
                say!("证书：{why}");
                broken = true;
            }
        }
    }
    broken
}

/// `verify FILE.ofd`: each electronic seal (intact, whose, trusted) and whether the file is an OFD
/// this project issued.
fn verify_ofd(project: &Project, shown: &str, bytes: &[u8]) -> Result {
    let seals = crate::sign::ofd::verify_ofd(bytes).map_err(|why| Error::Failed(format!("错误：{shown}：{why}")))?;
    let mut broken = false;
    if seals.is_empty() {
        say!("电子印章：没有");
    }
    for (i, seal) in seals.iter().enumerate() {
        match seal {
            Ok(s) => {
                say!(
                    "电子印章 {}：完好，“{}”；签章者 {}；制章者 {}；保护包内 {} 个文件；盖章时间 {}",
                    i + 1,
                    s.name,
                    s.signer.tbs_certificate().subject(),
                    s.maker.tbs_certificate().subject(),
                    s.references,
                    s.time
                );
                match trust(project).and_then(|anchors| crate::sign::chains_to(&s.signer, &[], &anchors)) {
                    Ok(anchor) => say!("证书：可追溯到信任的证书 {anchor}"),
                    Err(why) => {
                        say!("证书：{why}");
                        broken = true;
                    }
                }
            }
            Err(why) => {
                say!("电子印章 {}：无效：{why}", i + 1);
                broken = true;
            }
        }
    }
    match crate::issue::issued_as(project, &provenance::sha256(bytes)) {
        Some((month, edition)) => say!("发布记录：与 {month} 第 {edition} 版发布的 OFD 逐字节相同"),
        None => {
            say!("发布记录：本项目的发布记录中没有这个 OFD（不是本项目发布的，或发布后被改动过）");
            broken = true;
        }
    }
    Ok(if broken { Status::Problems } else { Status::Clean })
}

/// The certificates `tongbao.yaml` trusts (`信任的证书`: PEM files in the project).
fn trust(project: &Project) -> std::result::Result<Vec<x509_cert::Certificate>, String> {
    let mut diags = Vec::new();
    let files = crate::load::config::load(project, &mut diags).trusted;
    if files.is_empty() {
        return Err("tongbao.yaml 中没有列出“信任的证书”，无法判断签名者的证书是否可信".into());
    }
    let mut anchors = Vec::new();
    for (file, _) in files {
        let bytes = project
            .read(std::path::Path::new(&file))
            .map_err(|e| format!("无法读取信任的证书 {file}：{}", e.reason()))?;
        anchors.extend(crate::sign::certificates(&bytes));
    }
    Ok(anchors)
}

/// Why a PDF without a manifest cannot be verified: tongbao's own PDF/A-2b carries none (the
/// standard allows no attachment); another PDF of tongbao's lost it; any other was not made by it.
fn no_manifest(file: &str, pdf: &[u8]) -> String {
    match provenance::origin(pdf) {
        Some(provenance::Origin { tool, pdfa: Some(pdfa) }) if pdfa.starts_with("PDF/A-2") => format!(
            "{file} 是 {tool} 生成的 {pdfa} 存档文件。PDF/A-2 不允许附件，所以其中没有构建清单（源提交与输入文件摘要），无法重新生成核验\n\
             提示：需要可核验的存档文件时，请用 tongbao build --pdf-standard a-3b 生成（PDF/A-3 允许附带构建清单）"
        ),
        Some(provenance::Origin { tool, .. }) => {
            format!("错误：{file} 由 {tool} 生成，但其中的构建清单已不在（文件可能已被其他软件改写），无法核验")
        }
        None => format!("错误：{file} 中没有 tongbao 构建清单，无法核验（它不是 tongbao 生成的，或已被其他软件改写）"),
    }
}

/// Most inputs listed one by one (a damaged manifest may name thousands).
const LISTED: usize = 20;

fn report_differences(recorded: &Manifest, at_commit: &BTreeMap<String, String>) {
    let mut lines = Vec::new();
    for (path, digest) in &recorded.inputs {
        let (found, path) = (at_commit.get(path), crate::diag::shorten(path, 100));
        match found {
            Some(d) if d == digest => {}
            Some(_) => lines.push(format!("  输入不同：{path}（PDF 生成时的内容与该提交中的不同）")),
            None => lines.push(format!("  输入缺失：{path}（PDF 生成时有，该提交中没有）")),
        }
    }
    for path in at_commit.keys().filter(|p| !recorded.inputs.contains_key(*p)) {
        let path = crate::diag::shorten(path, 100);
        lines.push(format!("  多出输入：{path}（该提交中有，PDF 生成时没有）"));
    }
    let differ = lines.len();
    for line in lines.iter().take(LISTED) {
        say!("{line}");
    }
    if differ > LISTED {
        say!("  ……另有 {} 个输入不同，未列出", differ - LISTED);
    }
    if differ == 0 {
        let now = format!("tongbao {}", env!("CARGO_PKG_VERSION"));
        if now != recorded.tool {
            say!(
                "  输入完全相同；PDF 由 {} 生成，当前是 {now}，版本不同可能导致差异",
                crate::diag::shorten(&recorded.tool, 40)
            );
        } else {
            say!("  输入完全相同，但输出不同：该文件可能在生成后被修改过");
        }
    } else if recorded.dirty {
        say!("  该 PDF 生成时有未提交的修改，上述差异即来自这些修改");
    }
}

/// The commit a manifest names, if the manifest can be trusted to be rebuilt from: the commit is
/// a hash (40 or 64 hexadecimal digits; anything else could reach git as an option) and the month
/// is a month. Says why not, in Chinese.
pub(crate) fn trusted(manifest: &Manifest) -> std::result::Result<String, String> {
    let commit = manifest
        .commit
        .clone()
        .ok_or_else(|| "该 PDF 生成时项目不在 git 仓库中，没有记录源提交".to_string())?;
    if !matches!(commit.len(), 40 | 64) || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "源提交“{}”不是提交号（应为 40 位十六进制数字）",
            crate::diag::shorten(&commit, 20)
        ));
    }
    match crate::calendar::MonthId::parse(&manifest.month) {
        Some(m) if m.name() == manifest.month => Ok(commit),
        _ => Err(format!(
            "月份“{}”不是 YYYY-MM",
            crate::diag::shorten(&manifest.month, 20)
        )),
    }
}

/// The first ten characters of a commit hash, as `git log --oneline` shows it (counted in
/// characters: a damaged manifest may name anything).
pub(crate) fn short(commit: &str) -> String {
    commit.chars().take(10).collect()
}

/// A temporary detached worktree at a commit, removed when dropped.
struct Worktree {
    repo: PathBuf,
    path: PathBuf,
    /// The project's folder relative to the top of the repository.
    prefix: PathBuf,
}

impl Worktree {
    fn add(project: &Project, commit: &str) -> std::result::Result<Worktree, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        // In the project's scratch folder, so that what a killed run leaves is removed by the
        // next one; git forgets those worktrees (and only those: not a user's own whose folder
        // is on a drive not mounted now).
        project.recover();
        let root = project.root();
        let scratch = project
            .create_dir(std::path::Path::new(crate::project::SCRATCH))
            .map_err(|e| format!("无法建立临时文件夹：{}", e.reason()))?;
        forget_lost_worktrees(root, &scratch);
        let path = scratch.join(format!("{}-verify-{nanos}", std::process::id()));
        let target = path.to_string_lossy().to_string();
        git::run(
            root,
            &["worktree", "add", "--detach", "--quiet", target.as_str(), commit],
        )
        .map_err(|e| format!("无法取出提交 {}：{e}（该提交不在这个仓库中？）", short(commit)))?;
        Ok(Worktree {
            repo: root.to_path_buf(),
            prefix: PathBuf::from(git::prefix(root).unwrap_or_default()),
            path,
        })
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let path = self.path.to_string_lossy().to_string();
        let _ = git::run(&self.repo, &["worktree", "remove", "--force", path.as_str()]);
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Makes git forget the worktrees of killed `verify` runs: those under the scratch folder whose
/// folder is gone.
fn forget_lost_worktrees(root: &std::path::Path, scratch: &std::path::Path) {
    let listed = git::ask(root, &["worktree", "list", "--porcelain"]).unwrap_or_default();
    let scratch = scratch.canonicalize().unwrap_or_else(|_| scratch.to_path_buf());
    for path in listed.lines().filter_map(|l| l.strip_prefix("worktree ")) {
        let path = std::path::Path::new(path);
        if path.starts_with(&scratch) && !path.exists() {
            let path = path.to_string_lossy().to_string();
            let _ = git::run(root, &["worktree", "remove", "--force", path.as_str()]);
        }
    }
}

/// Property-based fuzzing of what `verify` reads from a PDF it is given: a PDF carrying a
/// manifest as tongbao attaches it, damaged in its bytes, its stream dictionary and its manifest
/// (hostile commits, months, paths, sizes; zlib bombs). The properties: nothing panics; finding
/// the manifest holds at most a few MiB whatever the PDF; a manifest found is trusted only with a
/// commit that is a hash and a month that is a month, and a refusal says why in Chinese.
#[cfg(test)]
mod fuzz {
    use std::io::Write as _;

    use proptest::prelude::*;

    use super::*;
    use crate::limits::measure;

    fn manifest(commit: &str, month: &str, path: &str) -> String {
        serde_json::json!({
            "tool": "tongbao 0.1.0", "month": month, "commit": commit, "dirty": false,
            "inputs": {path: "00", "data/2023-03/通报.txt": "11"},
            "outputs": {path: "22"},
        })
        .to_string()
    }

    fn deflate(bytes: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(bytes).unwrap();
        z.finish().unwrap()
    }

    /// A PDF with streams before the manifest and the manifest's embedded file.
    fn pdf(stream: &[u8], length: &str) -> Vec<u8> {
        let mut out = b"%PDF-1.7\n1 0 obj\n<</Length 5>>\nstream\nBT ET\nendstream\nendobj\n".to_vec();
        out.extend(format!("2 0 obj\n<</Length {length}/Type/EmbeddedFile/Filter/FlateDecode>>\nstream\n").bytes());
        out.extend(stream);
        out.extend(b"\nendstream\nendobj\ntrailer\n<</Info<</CreationDate(D:20230505000000Z)>>>>\n%%EOF\n");
        out
    }

    const COMMITS: &[&str] = &[
        "提交提交提交提交",
        "--upload-pack=touch /tmp/x",
        "0123456789abcdef0123456789abcdef01234567",
        "",
        "ＡＢＣ",
        "0123456789",
    ];
    const MONTHS: &[&str] = &["2023-03", "../../etc", "2023-13", "二〇二三年", "2023-03/../../x", ""];
    const PATHS: &[&str] = &[
        "out/2023-03/circular.html",
        "/etc/passwd",
        "../../../x",
        "out/2023-03/../../../y",
    ];

    proptest! {
        #![proptest_config(crate::limits::fuzz_config(1))]

        #[test]
        fn damaged_pdfs_and_manifests_never_panic_and_stay_small(
            commit in prop_oneof![prop::sample::select(COMMITS).prop_map(str::to_string), "\\PC{0,80}"],
            month in prop_oneof![prop::sample::select(MONTHS).prop_map(str::to_string), "\\PC{0,12}"],
            path in prop::sample::select(PATHS),
            bomb in any::<bool>(),
            length in prop_oneof![Just(None), Just(Some("999999999999".to_string())), Just(Some("7 0 R".to_string())), "-?[0-9]{1,4}".prop_map(Some)],
            flips in proptest::collection::vec((any::<usize>(), 1..=255u8), 0..6),
            cut in proptest::option::of(any::<usize>()),
        ) {
            let json = manifest(&commit, &month, path);
            let body = if bomb {
                // 16 MiB of zeros after the manifest: inflating it whole would cost that much.
                let mut raw = json.clone().into_bytes();
                raw.resize(16 << 20, 0);
                deflate(&raw)
            } else {
                deflate(json.as_bytes())
            };
            let len = length.unwrap_or_else(|| body.len().to_string());
            let mut bytes = pdf(&body, &len);
            let n = bytes.len();
            for (at, x) in &flips {
                bytes[at % n] ^= x;
            }
            if let Some(at) = cut {
                bytes.truncate(at % n);
            }
            let (found, peak) = measure::peak(|| provenance::read_manifest(&bytes));
            prop_assert!(peak < 8 << 20, "finding the manifest held {peak} bytes");
            prop_assert!(!(bomb && found.is_some()), "a manifest inside a bomb is not taken");
            if let Some(m) = found {
                match trusted(&m) {
                    Ok(c) => {
                        prop_assert!(c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()));
                        prop_assert!(crate::calendar::MonthId::parse(&m.month).is_some());
                    }
                    Err(why) => prop_assert!(why.chars().count() < 120, "{why}"),
                }
                let _ = short(m.commit.as_deref().unwrap_or(""));
            }
            let _ = provenance::creation_date(&bytes);
        }
    }

    #[test]
    fn the_undamaged_manifest_is_found_and_a_hostile_commit_refused() {
        let good = manifest("0123456789abcdef0123456789abcdef01234567", "2023-03", PATHS[0]);
        let found = provenance::read_manifest(&pdf(&deflate(good.as_bytes()), "7 0 R")).unwrap();
        assert!(trusted(&found).is_ok());
        assert_eq!(provenance::creation_date(&pdf(b"", "0")), Some((2023, 5, 5, 0, 0, 0)));
        let bad = manifest("提交提交提交提交", "2023-03", PATHS[0]);
        let found = provenance::read_manifest(&pdf(&deflate(bad.as_bytes()), "1")).unwrap();
        let why = trusted(&found).unwrap_err();
        assert!(why.contains("“提交提交提交提交”不是提交号"), "{why}");
        assert_eq!(short("提交提交提交提交提交提交"), "提交提交提交提交提交");
    }
}

//! `tongbao issue MONTH [--revise 原因]`: issue a circular (or revise an issued one).

use super::{Error, Result, Status, month_arg, report};
use crate::args::{Format, IssueArgs};
use crate::issue as record;
use crate::pipeline::Session;
use crate::project::Project;

pub(crate) fn run(project: &Project, args: &IssueArgs) -> Result {
    let month = month_arg(project, &args.month)?;
    for (reason, what) in [(&args.revise, "修订"), (&args.withdraw, "撤回")] {
        let Some(reason) = reason.as_deref() else { continue };
        if reason.trim().is_empty() {
            return Err(Error::Usage(format!("{what}须写明原因")));
        }
        if let Some(p) = crate::load::hygiene::first_problem(reason) {
            return Err(Error::Usage(format!(
                "{what}原因中{}",
                p.message.trim_start_matches("这里")
            )));
        }
        if reason.chars().count() > crate::limits::REASON_CHARS {
            return Err(Error::Usage(format!(
                "{what}原因不能超过 {} 个字（它写在发布记录中）；请简要说明",
                crate::limits::REASON_CHARS
            )));
        }
    }
    if let Some(reason) = &args.withdraw {
        return withdraw(project, &month, reason.trim());
    }
    let asked = crate::output::Asked {
        outputs: args.outputs.clone(),
        ..crate::output::Asked::default()
    };
    let keys = args
        .sign
        .iter()
        .enumerate()
        .map(|(i, file)| signing_key(project, file, i))
        .collect::<Result<Vec<_>>>()?;
    let seals = seal_keys(project, args)?;
    let resolved = std::sync::Arc::new(crate::pipeline::Resolved::read(project, &asked).map_err(Error::Usage)?);
    let tsa = resolved.timestamp.clone();
    let mut session = Session::open(resolved);
    let signer = (!keys.is_empty())
        .then_some(|pdf: &[u8], stamps: &[crate::sign::Stamp]| sign(pdf, &keys, stamps, tsa.as_ref()));
    let sealer = (!seals.is_empty()).then_some(|ofd: &[u8], stamps: &[crate::sign::Stamp]| seal(ofd, &seals, stamps));
    let signing = record::Signing {
        pades: signer.as_ref().map(|s| s as &record::Signer),
        seal: sealer.as_ref().map(|s| s as &record::Signer),
    };
    match record::issue(
        project,
        &mut session,
        &month,
        record::today(),
        args.revise.as_deref(),
        args.allow_dirty,
        signing,
    ) {
        Ok(edition) => {
            let what = if edition.number == 1 {
                "已发布".to_string()
            } else {
                format!("已修订（第 {} 版）", edition.number)
            };
            say!(
                "{month} 的通报{what}：{}，摘要 {}",
                record::pdf_path(project, &month).display(),
                &edition.content[..12]
            );
            let level = if tsa.is_some() {
                "PAdES B-T，带时间戳"
            } else {
                "PAdES"
            };
            for key in &keys {
                say!("已签名（{level}）：签名者 {}", key.subject());
            }
            for seal in &seals {
                say!("OFD 已加盖电子印章“{}”：签章者 {}", seal.name(), seal.subject());
            }
            for output in edition.files.keys().filter(|o| **o != crate::output::Output::Pdf) {
                if let Some(path) = record::issued_path(project, &month, *output) {
                    say!("同时发布 {}：{}", output.describe(), path.display());
                }
            }
            let stage = record::to_stage(project, &month).join(" ");
            tell!("请提交发布记录：git add -A {stage} && git commit -m \"发布{month}通报\"");
            Ok(Status::Clean)
        }
        Err(mut diags) => {
            report(&mut diags, Format::Human);
            tell!("{month} 未能发布");
            Ok(Status::Problems)
        }
    }
}

/// The office's key for `--sign`: a file outside the project (a key inside could be committed
/// with the data), opened with `TONGBAO_KEY_PASSWORD`. Nothing of the key or the password is
/// ever printed.
fn signing_key(project: &Project, file: &std::path::Path, index: usize) -> Result<crate::sign::Key> {
    let shown = crate::diag::shorten_path(file, 80);
    // A key on a token (UKey): `pkcs11:LABEL`, its PIN as the password.
    if let Some(label) = file.to_str().and_then(|f| f.strip_prefix("pkcs11:")) {
        return crate::sign::token_key(label, &password(index))
            .map_err(|why| Error::Usage(format!("UKey {label}：{why}")));
    }
    let bytes = secret_file(project, file)?;
    crate::sign::read_key(&bytes, &password(index)).map_err(|why| Error::Usage(format!("密钥文件 {shown}：{why}")))
}

/// `pdf` signed with each of `keys` in turn, each signature's field over the seal of its office,
/// each timestamped by `tsa` when there is one.
fn sign(
    pdf: &[u8],
    keys: &[crate::sign::Key],
    stamps: &[crate::sign::Stamp],
    tsa: Option<&url::Url>,
) -> std::result::Result<Vec<u8>, String> {
    let mut signed = pdf.to_vec();
    for (key, stamp) in crate::sign::placed(keys, stamps, "签名密钥")? {
        let placement = crate::sign::Placement {
            time: crate::sign::pdf_time_now(),
            field: stamp.map(|s| s.pdf_field()),
            tsa: tsa.cloned(),
        };
        signed = crate::sign::sign_pdf(&signed, key, &placement)?;
    }
    Ok(signed)
}

/// The seals of `--seal` with their keys (`--seal-key`), each checked against the other.
fn seal_keys(project: &Project, args: &IssueArgs) -> Result<Vec<crate::sign::ofd::SealKey>> {
    if args.seal.len() != args.seal_key.len() {
        return Err(Error::Usage(format!(
            "给了 {} 个印章（--seal）、{} 个盖章密钥（--seal-key）：每个印章须配一个密钥",
            args.seal.len(),
            args.seal_key.len()
        )));
    }
    let mut keys = Vec::new();
    for (i, (esl, key)) in args.seal.iter().zip(&args.seal_key).enumerate() {
        let shown = crate::diag::shorten_path(esl, 80);
        let rel = esl.strip_prefix(project.root()).unwrap_or(esl);
        let seal = project
            .read(rel)
            .map_err(|e| Error::Usage(format!("无法读取印章文件 {shown}：{}", e.reason())))?;
        let pem = secret_file(project, key)?;
        let sealed = crate::sign::ofd::seal_key(seal, &pem, &password(i))
            .map_err(|why| Error::Usage(format!("印章 {shown}：{why}")))?;
        keys.push(sealed);
    }
    Ok(keys)
}

/// `ofd` sealed with each of `seals` at the seal the circular prints in the same order (without a
/// visible stamp when it prints none).
fn seal(
    ofd: &[u8],
    seals: &[crate::sign::ofd::SealKey],
    stamps: &[crate::sign::Stamp],
) -> std::result::Result<Vec<u8>, String> {
    let placed = crate::sign::placed(seals, stamps, "电子印章")?;
    crate::sign::ofd::seal_ofd(ofd, &placed, std::time::SystemTime::now())
}

/// A key file's bytes (at most 1 MiB): it must lie outside the project, where it cannot be
/// committed with the data. Used for signing keys, sealing keys and the seal maker's key.
pub(crate) fn secret_file(project: &Project, file: &std::path::Path) -> Result<Vec<u8>> {
    let shown = crate::diag::shorten_path(file, 80);
    let real = file
        .canonicalize()
        .map_err(|e| Error::Usage(format!("无法读取密钥文件 {shown}：{}", crate::project::io_reason(&e))))?;
    let root = project
        .root()
        .canonicalize()
        .unwrap_or_else(|_| project.root().to_path_buf());
    if real.starts_with(root) {
        return Err(Error::Usage(format!(
            "密钥文件 {shown} 在项目文件夹中，可能随数据提交到 git：私钥须放在项目之外（如用户目录或 U 盘）"
        )));
    }
    crate::limits::read_bounded(&real, 1 << 20).map_err(|e| match e {
        crate::limits::Refused::TooBig(_) => Error::Usage(format!("{shown} 不是密钥文件（超过 1 MiB）")),
        e => Error::Usage(format!("无法读取密钥文件 {shown}：{}", e.reason(1 << 20))),
    })
}

/// The password or PIN of the `index`-th key (from 0): `TONGBAO_KEY_PASSWORD_N` for the N-th
/// from the second on, else `TONGBAO_KEY_PASSWORD`, else asked at the terminal.
pub(crate) fn password(index: usize) -> String {
    let own = (index > 0)
        .then(|| std::env::var(format!("TONGBAO_KEY_PASSWORD_{}", index + 1)).ok())
        .flatten();
    match own.map(Ok).unwrap_or_else(|| std::env::var("TONGBAO_KEY_PASSWORD")) {
        Ok(password) => password,
        Err(_) => ask_password().unwrap_or_default(),
    }
}

/// The key's password typed at the terminal, not shown (on Linux; elsewhere, and when no one is
/// at a terminal, only `TONGBAO_KEY_PASSWORD` gives it).
fn ask_password() -> Option<String> {
    use std::io::{BufRead as _, IsTerminal as _, Write as _};
    if !std::io::stdin().is_terminal() {
        return None;
    }
    let _ = write!(std::io::stderr(), "密钥文件的密码（输入时不显示）：");
    let _ = std::io::stderr().flush();
    let _echo = NoEcho::new();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    let _ = writeln!(std::io::stderr());
    Some(line.trim_end_matches(['\r', '\n']).to_string())
}

/// The terminal's echo turned off while it lives.
struct NoEcho {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    saved: Option<libc::termios>,
}

impl NoEcho {
    fn new() -> NoEcho {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            // SAFETY: tcgetattr/tcsetattr on stdin with a termios the call itself filled in.
            unsafe {
                let mut term: libc::termios = std::mem::zeroed();
                if libc::tcgetattr(libc::STDIN_FILENO, &mut term) != 0 {
                    return NoEcho { saved: None };
                }
                let saved = term;
                term.c_lflag &= !libc::ECHO;
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &term);
                NoEcho { saved: Some(saved) }
            }
        }
        #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
        NoEcho {}
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        if let Some(saved) = &self.saved {
            // SAFETY: restores the settings read in `new`.
            unsafe {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved);
            }
        }
    }
}

/// `issue MONTH --withdraw 原因`.
fn withdraw(project: &Project, month: &str, reason: &str) -> Result {
    match record::withdraw(project, month, record::today(), reason) {
        Ok(edition) => {
            say!(
                "{month} 的通报（第 {} 版）已撤回：原因记入 data/{month}/{}，发布记录和发布的文件已删去（git 历史中保留）",
                edition.number,
                crate::project::WITHDRAWN
            );
            tell!("请提交撤回：git add -A data/{month} && git commit -m \"撤回{month}通报\"");
            Ok(Status::Clean)
        }
        Err(mut diags) => {
            report(&mut diags, Format::Human);
            tell!("{month} 未能撤回");
            Ok(Status::Problems)
        }
    }
}

//! The man pages (`tongbao manpage`, hidden: scripts/package calls it), from the same Chinese
//! command line as `--help`.

use std::path::Path;

use super::{Error, Result, Status};
use crate::args::ManpageArgs;

/// The man pages' section titles, in Chinese (clap_mangen writes them in English).
const SECTIONS: [(&str, &str); 8] = [
    (".SH NAME", ".SH 名称"),
    (".SH SYNOPSIS", ".SH 用法"),
    (".SH DESCRIPTION", ".SH 说明"),
    (".SH OPTIONS", ".SH 选项"),
    (".SH SUBCOMMANDS", ".SH 命令"),
    (".SH EXTRA", ".SH 其他"),
    (".SH VERSION", ".SH 版本"),
    (".SH AUTHORS", ".SH 作者"),
];

fn page(cmd: clap::Command) -> std::io::Result<String> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut out)?;
    let mut text = String::from_utf8_lossy(&out).replace("[OPTIONS]", "[选项]");
    for (english, chinese) in SECTIONS {
        text = text.replace(english, chinese);
    }
    Ok(text)
}

/// `tongbao manpage [--dir DIR]`: tongbao.1 on stdout, or it and one page per command
/// (tongbao-build.1 …) into a folder.
pub(crate) fn manpage(args: &ManpageArgs) -> Result {
    let cmd = crate::args::command();
    let fail = |e: std::io::Error| Error::Usage(format!("无法生成手册页：{e}"));
    let Some(dir) = &args.dir else {
        say!("{}", page(cmd).map_err(fail)?);
        return Ok(Status::Clean);
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    write(dir, "tongbao.1", &page(cmd.clone()).map_err(fail)?)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("tongbao-{}", sub.get_name());
        let sub = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("tongbao {}", sub.get_name()));
        write(dir, &format!("{name}.1"), &page(sub).map_err(fail)?)?;
    }
    Ok(Status::Clean)
}

fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| Error::Usage(format!("无法写入 {}：{e}", path.display())))
}

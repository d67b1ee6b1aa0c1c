//! One file per command; each is a thin shell over the library.

pub mod audit;
pub mod build;
pub mod check;
pub mod fonts;
pub mod hooks;
pub mod verify;
pub mod watch;

use std::path::{Path, PathBuf};

use crate::cli::Format;
use crate::diag::{self, Diagnostic};

/// Prints a line to stdout; a closed pipe (`tongbao fonts | head`) is not an error worth a panic.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Prints a line to stderr, ignoring a closed pipe.
#[macro_export]
macro_rules! tell {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// Resolves the project root from `--root` or the current directory.
pub fn root(given: Option<&Path>) -> Result<PathBuf, String> {
    match given {
        Some(p) if p.join("data").is_dir() => Ok(p.to_path_buf()),
        Some(p) => Err(format!("{} 不是 tongbao 项目（其中没有 data/ 文件夹）", p.display())),
        None => {
            let cwd = std::env::current_dir().map_err(|e| format!("无法读取当前目录：{e}"))?;
            crate::project::find_root(&cwd).ok_or_else(|| {
                "当前目录及其上级中没有 tongbao 项目（找不到 data/units.yaml）；请进入项目目录，或用 --root 指定"
                    .to_string()
            })
        }
    }
}

/// Prints diagnostics to stderr (human) or stdout (JSON), sorted by place.
pub fn report(diags: &mut [Diagnostic], format: Format) {
    diag::sort(diags);
    match format {
        Format::Json => crate::say!("{}", diag::to_json(diags)),
        Format::Human => {
            for d in diags.iter() {
                crate::tell!("{}", d.render());
            }
        }
    }
}

/// Validates a month argument (`YYYY-MM`).
pub fn month_arg(month: &str) -> Result<(), String> {
    crate::load::month::MonthId::parse(month)
        .map(|_| ())
        .ok_or_else(|| format!("“{month}”不是月份；请写成 YYYY-MM，例如 2023-03"))
}

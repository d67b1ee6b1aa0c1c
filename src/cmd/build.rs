//! `tongbao build [MONTH|--all]`: check, then write `out/YYYY-MM/circular.pdf` atomically.

use std::path::Path;

use crate::cli::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE, Format};
use crate::diag;
use crate::pipeline::{self, Options, Outcome, Session};

/// Runs the command.
pub fn run(root: &Path, month: Option<&str>, all: bool, options: &Options, timings: bool, format: Format) -> i32 {
    let available = pipeline::months(root);
    let months: Vec<String> = match (month, all) {
        (Some(m), _) => {
            if let Err(msg) = super::month_arg(m) {
                crate::tell!("错误：{msg}");
                return EXIT_USAGE;
            }
            vec![m.to_string()]
        }
        (None, true) => available,
        (None, false) => match available.last() {
            Some(m) => vec![m.clone()],
            None => {
                crate::tell!("错误：data/ 中没有月份文件夹（应命名为 YYYY-MM，例如 data/2023-03）");
                return EXIT_USAGE;
            }
        },
    };
    let mut session = Session::new(root, options);
    let mut failed = false;
    for month in &months {
        let mut outcome = session.build(month);
        super::report(&mut outcome.diagnostics, format);
        if format == Format::Human {
            summary(root, month, &outcome, timings);
        }
        failed |= outcome.failed();
    }
    if failed { EXIT_ERRORS } else { EXIT_OK }
}

fn summary(root: &Path, month: &str, o: &Outcome, timings: bool) {
    let (errors, warnings) = diag::counts(&o.diagnostics);
    match &o.pdf {
        Some(pdf) => {
            let total: std::time::Duration = [
                o.timings.load,
                o.timings.check,
                o.timings.aggregate,
                o.timings.render,
                o.timings.compile,
                o.timings.pdf,
                o.timings.write,
            ]
            .iter()
            .sum();
            crate::tell!(
                "已生成 {}（{} 页，{} KiB，用时 {} ms{}）",
                pdf.display(),
                o.pages,
                o.bytes / 1024,
                total.as_millis(),
                if warnings > 0 {
                    format!("，{warnings} 个警告")
                } else {
                    String::new()
                }
            );
            crate::tell!("字体：");
            for f in &o.fonts {
                crate::tell!("  {}", f.describe());
            }
        }
        None => {
            let previous = if root.join(pipeline::pdf_path(month)).exists() {
                "，上次生成的 PDF 保持不变"
            } else {
                ""
            };
            crate::tell!("{month} 未生成：{errors} 个错误{previous}");
        }
    }
    if timings {
        let t = &o.timings;
        crate::tell!(
            "用时（毫秒）：读取 {:.1}，检查 {:.1}，汇总 {:.1}，模板 {:.1}，排版 {:.1}，PDF {:.1}，写入 {:.1}",
            ms(t.load),
            ms(t.check),
            ms(t.aggregate),
            ms(t.render),
            ms(t.compile),
            ms(t.pdf),
            ms(t.write)
        );
    }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

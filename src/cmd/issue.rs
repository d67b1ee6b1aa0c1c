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
    let resolved = std::sync::Arc::new(crate::pipeline::Resolved::read(project, &asked).map_err(Error::Usage)?);
    let mut session = Session::open(resolved);
    match record::issue(
        project,
        &mut session,
        &month,
        record::today(),
        args.revise.as_deref(),
        args.allow_dirty,
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

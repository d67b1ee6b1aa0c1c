//! `tongbao issue MONTH [--revise 原因]`: issue a circular (or revise an issued one).

use super::{Error, Result, Status, month_arg, report};
use crate::args::{Format, IssueArgs};
use crate::issue as record;
use crate::pipeline::Session;
use crate::project::Project;

pub(crate) fn run(project: &Project, args: &IssueArgs) -> Result {
    let month = month_arg(project, &args.month)?;
    if args.revise.as_deref().is_some_and(|r| r.trim().is_empty()) {
        return Err(Error::Usage("修订须写明原因：--revise \"原因\"".into()));
    }
    if args
        .revise
        .as_deref()
        .is_some_and(|r| r.chars().count() > crate::limits::REASON_CHARS)
    {
        return Err(Error::Usage(format!(
            "修订原因不能超过 {} 个字（它写在 issued.yaml 中）；请简要说明",
            crate::limits::REASON_CHARS
        )));
    }
    let asked = crate::output::Asked {
        outputs: args.outputs.clone(),
        ..crate::output::Asked::default()
    };
    let resolved = std::sync::Arc::new(crate::pipeline::Resolved::read(project, &asked).map_err(Error::Usage)?);
    let mut session = Session::open(resolved);
    match record::issue(project, &mut session, &month, record::today(), args.revise.as_deref()) {
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
            tell!("请提交发布记录：git add data/{month} && git commit -m \"发布{month}通报\"");
            Ok(Status::Clean)
        }
        Err(mut diags) => {
            report(&mut diags, Format::Human);
            tell!("{month} 未能发布");
            Ok(Status::Problems)
        }
    }
}

//! Shell completion that knows the project: months, table names, units and column keys are
//! offered from the project the shell is in, as the commands themselves would read them.
//!
//! The shell's script (`tongbao completions SHELL`) calls tongbao back with `TONGBAO_COMPLETE`
//! set ([`VAR`]); [`answer_if_asked`] runs first in `main` and answers from the same command
//! line as `--help`, with candidates added to its arguments by name here, so `args` stays a leaf.

use clap::Command;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::Shells;

use super::{Error, Result, Status};
use crate::args::CompletionsArgs;
use crate::project::Project;

/// The environment variable the shell scripts set when they ask for candidates.
const VAR: &str = "TONGBAO_COMPLETE";

/// The program the installed scripts call back: the `tongbao` on the PATH, so that a script
/// written once keeps working after an upgrade.
const PROGRAM: &str = "tongbao";

/// Answers a shell's request for candidates and exits, when `TONGBAO_COMPLETE` is set; returns
/// at once otherwise.
pub(crate) fn answer_if_asked() {
    if std::env::var_os(VAR).is_none_or(|v| v.is_empty() || v == "0") {
        return;
    }
    clap_complete::CompleteEnv::with_factory(command)
        .var(VAR)
        .completer(PROGRAM)
        .complete();
}

/// `tongbao completions SHELL`: the shell's script on stdout.
pub(crate) fn completions(args: &CompletionsArgs) -> Result {
    let name = args.shell.to_string();
    let shells = Shells::builtins();
    let Some(shell) = shells.completer(&name) else {
        return Err(Error::Usage(format!("不支持为 {name} 生成补全脚本")));
    };
    let mut out = Vec::new();
    shell
        .write_registration(VAR, PROGRAM, PROGRAM, PROGRAM, &mut out)
        .map_err(|e| Error::Failed(format!("无法生成补全脚本：{}", crate::project::io_reason(&e))))?;
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(&out);
    Ok(Status::Clean)
}

/// What a kind of argument is completed with.
#[derive(Clone, Copy)]
enum Kind {
    /// A month folder of `data/`.
    Month,
    /// The month after the latest (what `new` makes).
    NextMonth,
    /// A table's short name or number.
    Table,
    /// A unit of the registry, or 概况 / 合计.
    Unit,
    /// A column key of any table.
    Column,
}

/// The arguments completed from the project: (command, argument id, kind).
const COMPLETED: [(&str, &str, Kind); 14] = [
    ("check", "month", Kind::Month),
    ("build", "month", Kind::Month),
    ("watch", "month", Kind::Month),
    ("new", "month", Kind::NextMonth),
    ("import", "table", Kind::Table),
    ("import", "month", Kind::Month),
    ("export", "month", Kind::Month),
    ("issue", "month", Kind::Month),
    ("diff", "month", Kind::Month),
    ("diff", "table", Kind::Table),
    ("log", "month", Kind::Month),
    ("log", "table", Kind::Table),
    ("log", "unit", Kind::Unit),
    ("blame", "month", Kind::Month),
];

/// `blame`'s other arguments, completed the same way.
const BLAME: [(&str, Kind); 3] = [("table", Kind::Table), ("unit", Kind::Unit), ("column", Kind::Column)];

/// The command line with the project's candidates attached to its arguments.
fn command() -> Command {
    let blame = BLAME.iter().map(|&(arg, kind)| ("blame", arg, kind));
    let completed: Vec<(&str, &str, Kind)> = COMPLETED.into_iter().chain(blame).collect();
    let mut cmd = crate::args::command();
    let subs: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for sub in subs {
        cmd = cmd.mut_subcommand(&sub, |mut s| {
            // Every argument is visited in order: `mut_arg` moves the argument it changes to the
            // end, and positionals are numbered by their order.
            let ids: Vec<clap::Id> = s.get_arguments().map(|a| a.get_id().clone()).collect();
            for id in ids {
                let kind = completed.iter().find(|(c, a, _)| *c == sub && *a == id.as_str());
                s = match kind {
                    Some(&(_, _, kind)) => s.mut_arg(id, |a| a.add(ArgValueCandidates::new(move || candidates(kind)))),
                    None => s.mut_arg(id, |a| a),
                };
            }
            s
        });
    }
    cmd
}

/// The candidates of one kind from the project around the current folder; none outside one.
fn candidates(kind: Kind) -> Vec<CompletionCandidate> {
    let Ok(project) = Project::locate(None) else {
        return Vec::new();
    };
    candidates_in(&project, kind)
}

fn candidates_in(project: &Project, kind: Kind) -> Vec<CompletionCandidate> {
    let mut diags = Vec::new();
    match kind {
        Kind::Month => project
            .months()
            .into_iter()
            .rev()
            .map(|m| {
                let issued = project.is_issued(&m);
                CompletionCandidate::new(m).help(issued.then(|| "已发布".into()))
            })
            .collect(),
        Kind::NextMonth => {
            let latest = project.months().last().and_then(|m| crate::calendar::MonthId::parse(m));
            latest
                .map(|m| CompletionCandidate::new(m.plus(1).name()))
                .into_iter()
                .collect()
        }
        Kind::Table => crate::load::schema::load_all(project, &mut diags)
            .unwrap_or_default()
            .iter()
            .flat_map(|spec| {
                let short = spec.short.as_ref().map(|(s, _)| s.clone());
                let title = Some(spec.name.clone().into());
                short
                    .into_iter()
                    .chain([spec.id.clone()])
                    .map(move |name| CompletionCandidate::new(name).help(title.clone()))
            })
            .collect(),
        Kind::Unit => {
            let registry = crate::load::registry::load(project, &mut diags);
            let units = registry.map(|r| r.units).unwrap_or_default();
            ["概况", "合计"]
                .into_iter()
                .map(str::to_string)
                .chain(units.into_iter().map(|u| u.name))
                .map(CompletionCandidate::new)
                .collect()
        }
        Kind::Column => {
            let specs = crate::load::schema::load_all(project, &mut diags).unwrap_or_default();
            let mut keys: Vec<(String, String)> = Vec::new();
            for column in specs.iter().flat_map(|s| &s.columns) {
                if !keys.iter().any(|(k, _)| *k == column.key) {
                    keys.push((column.key.clone(), column.label.clone()));
                }
            }
            keys.into_iter()
                .map(|(key, label)| CompletionCandidate::new(key).help(Some(label.into())))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(kind: Kind) -> Vec<String> {
        let project = Project::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
        candidates_in(&project, kind)
            .iter()
            .map(|c| c.get_value().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn every_completed_argument_exists() {
        let cmd = command();
        for (sub, arg, _) in COMPLETED.iter().chain(&BLAME.map(|(a, k)| ("blame", a, k))) {
            let sub = cmd.find_subcommand(sub).expect(sub);
            let arg = sub.get_arguments().find(|a| a.get_id() == arg).expect(arg);
            assert!(arg.get::<ArgValueCandidates>().is_some(), "{arg:?}");
        }
    }

    #[test]
    fn candidates_come_from_the_project() {
        let months = values(Kind::Month);
        assert!(months.contains(&"2023-03".to_string()), "{months:?}");
        assert!(months.windows(2).all(|w| w[0] > w[1]), "newest first: {months:?}");
        let tables = values(Kind::Table);
        assert!(
            tables.contains(&"热线".to_string()) && tables.contains(&"12345".to_string()),
            "{tables:?}"
        );
        let units = values(Kind::Unit);
        assert!(units.contains(&"合计".to_string()) && units.len() > 10, "{units:?}");
        assert!(values(Kind::Column).contains(&"本月".to_string()));
        let next = values(Kind::NextMonth);
        let latest = crate::calendar::MonthId::parse(&months[0]).unwrap();
        assert_eq!(next, [latest.plus(1).name()]);
    }
}

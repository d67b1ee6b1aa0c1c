//! The commands, one file each, over the library. Every command takes its arguments (from
//! [`crate::args`]) and the project, prints what it has to say, and returns how it ended; a problem
//! that stops it travels back here as an [`Error`]. [`dispatch`] is the one place that prints
//! errors and picks the exit code.

mod audit;
mod build;
mod check;
pub(crate) mod complete;
mod docs;
mod export;
mod fonts;
mod help;
mod hooks;
mod import;
mod init;
mod issue;
mod new;
mod seal;
mod serve;
mod verify;
mod watch;

use crate::args::{Cli, Command, EXIT_ERRORS, EXIT_OK, EXIT_USAGE, Format, HooksAction};
use crate::diag::{self, Diagnostic};
use crate::project::Project;

/// How a command that ran to its end found things.
pub(crate) enum Status {
    /// Nothing wrong (warnings allowed).
    Clean,
    /// The data has errors, already reported as diagnostics; exit code 1.
    Problems,
}

/// Why a command stopped.
pub(crate) enum Error {
    /// Wrong usage, or a problem outside the data (I/O, git, a busy port): exit code 2.
    Usage(String),
    /// The command ran but what it was asked to confirm is false (verify): exit code 1.
    Failed(String),
}

pub(crate) type Result<T = Status> = std::result::Result<T, Error>;

/// Runs a parsed command line and returns the exit code.
pub(crate) fn dispatch(cli: Cli) -> u8 {
    // The colour choice, resolved once: `--color`, `NO_COLOR` and whether stderr is a terminal.
    diag::set_colour(crate::args::colour(cli.color));
    // Commands that make a project or need none.
    let result = match cli.command {
        Command::Init(args) => init::run(&args),
        Command::Completions(args) => complete::completions(&args),
        Command::Manpage(args) => help::manpage(&args),
        Command::Docs => docs::write(),
        command => Project::locate(cli.root.as_deref())
            .map_err(Error::Usage)
            .and_then(|project| run(&project, command)),
    };
    match result {
        Ok(Status::Clean) => EXIT_OK,
        Ok(Status::Problems) => EXIT_ERRORS,
        Err(Error::Usage(message)) => {
            let red = diag::Paint::chosen().error;
            tell!("{red}错误{red:#}：{message}");
            EXIT_USAGE
        }
        Err(Error::Failed(message)) => {
            tell!("{message}");
            EXIT_ERRORS
        }
    }
}

fn run(project: &Project, command: Command) -> Result {
    // What a killed run left half done is finished or removed before anything reads out/.
    project.recover();
    match command {
        Command::Check(args) => check::run(project, &args),
        Command::Build(args) => build::run(project, &args),
        Command::Watch(args) => watch::run(project, &args),
        Command::Serve(args) => serve::run(project, &args),
        Command::Verify(args) => verify::run(project, &args),
        Command::Diff(args) => audit::diff(project, &args),
        Command::Log(args) => audit::log(project, &args),
        Command::Blame(args) => audit::blame(project, &args),
        Command::Hooks { action } => match action {
            HooksAction::Install => hooks::install(project),
            HooksAction::Uninstall => hooks::uninstall(project),
            HooksAction::Run { hook, args } => hooks::run(project, &hook, &args),
        },
        Command::Fonts(args) => fonts::run(project, &args),
        Command::Issue(args) => issue::run(project, &args),
        Command::Seal(args) => seal::run(project, &args),
        Command::New(args) => new::run(project, &args),
        Command::Import(args) => import::run(project, &args),
        Command::Export(args) => export::run(project, &args),
        Command::Lsp => crate::lsp::run(project).map(|()| Status::Clean).map_err(Error::Failed),
        Command::Schemas => new::schemas(project).map(|files| {
            say!("已写入 {}/：{}", crate::schemas::DIR, files.join("、"));
            Status::Clean
        }),
        Command::Init(_) | Command::Completions(_) | Command::Manpage(_) | Command::Docs => {
            unreachable!("dispatched without a project")
        }
    }
}

/// Most diagnostics printed for people; the rest are counted (a damaged file of a million rows
/// must not print a million lines).
pub(crate) const SHOWN: usize = 20;
/// Most diagnostics written as JSON.
const SHOWN_JSON: usize = 1000;

/// Warnings always listed for people, however many errors come first.
const WARNINGS_SHOWN: usize = 5;

/// Prints diagnostics, sorted by place, errors first: to stderr for people (at most [`SHOWN`]
/// errors, then warnings, at least [`WARNINGS_SHOWN`] of them even when errors are cut off, then
/// what was left out), to stdout as JSON.
pub(crate) fn report(diags: &mut [Diagnostic], format: Format) {
    diag::sort(diags);
    match format {
        Format::Json => say!("{}", diag::to_json(&diags[..diags.len().min(SHOWN_JSON)])),
        Format::Human => {
            let (errors, warnings): (Vec<&Diagnostic>, Vec<&Diagnostic>) = diags.iter().partition(|d| d.is_error());
            let shown_errors = errors.len().min(SHOWN);
            let shown_warnings = warnings.len().min(WARNINGS_SHOWN.max(SHOWN - shown_errors));
            for d in errors
                .iter()
                .take(shown_errors)
                .chain(warnings.iter().take(shown_warnings))
            {
                tell!("{}", d.to_terminal());
            }
            let (left_errors, left_warnings) = (errors.len() - shown_errors, warnings.len() - shown_warnings);
            if left_errors + left_warnings > 0 {
                let left: Vec<String> = [(left_errors, "个错误"), (left_warnings, "个警告")]
                    .iter()
                    .filter(|(n, _)| *n > 0)
                    .map(|(n, what)| format!("{n} {what}"))
                    .collect();
                tell!(
                    "……另有 {} 未列出（共 {} 个错误，{} 个警告）；先修正以上问题，再运行查看其余的",
                    left.join("、"),
                    errors.len(),
                    warnings.len()
                );
            }
        }
    }
}

/// The month a command names (checked by [`month_arg`]), or the latest month.
pub(crate) fn month_or_latest(project: &Project, month: Option<&str>) -> Result<String> {
    match month {
        Some(m) => month_arg(project, m),
        None => project
            .months()
            .last()
            .cloned()
            .ok_or_else(|| Error::Usage("data/ 中没有月份文件夹（应命名为 YYYY-MM，例如 data/2023-03）".into())),
    }
}

/// A month argument whose folder must exist: written `YYYY-MM` ([`month_name`]) and present.
pub(crate) fn month_arg(project: &Project, month: &str) -> Result<String> {
    let id = month_name(month)?;
    let name = id.name();
    if !project.path(project.month_dir(&name)).is_dir() {
        return Err(Error::Usage(format!("没有找到月份文件夹 data/{name}")));
    }
    Ok(name)
}

/// A month argument, written `YYYY-MM` (a month of a real year, 01–12): the one parser of month
/// arguments for every command, including those that read history (`log`, `diff`, `blame`).
pub(crate) fn month_name(month: &str) -> Result<crate::calendar::MonthId> {
    crate::calendar::MonthId::parse(month.trim()).ok_or_else(|| {
        Error::Usage(format!(
            "“{}”不是月份；请写成 YYYY-MM，例如 2023-03",
            crate::diag::shorten(month, 40)
        ))
    })
}

/// A table argument: a table's short name or its number (`热线`, `12345`). An unknown name is a
/// usage error that lists the tables and quotes the argument shortened.
pub(crate) fn table_arg<'a>(data: &'a crate::load::Data, name: &str) -> Result<&'a crate::load::TableSpec> {
    data.table_named(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = data.specs.iter().map(|s| s.expression_name()).collect();
        Error::Usage(format!(
            "没有名为“{}”的表；可用的表：{}",
            crate::diag::shorten(name, 40),
            names.join("、")
        ))
    })
}

/// The status for a set of diagnostics: problems if any is an error.
pub(crate) fn status(diags: &[Diagnostic]) -> Status {
    if diags.iter().any(Diagnostic::is_error) {
        Status::Problems
    } else {
        Status::Clean
    }
}

/// Property-based fuzzing of the arguments every command parses: a month (`YYYY-MM` and nothing
/// else), a table's name, a date, a path. The properties: nothing panics; what a message quotes of
/// an argument is shortened, however long the argument is.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(crate::limits::fuzz_config(8))]

        #[test]
        fn arguments_never_panic_and_are_quoted_short(
            arg in prop_oneof![
                "\\PC{0,40}",
                "[0-9]{4}-[0-9]{1,3}",
                "[0-9０-９]{2,6}[-年/][0-9]{1,2}[月-]?[0-9]{0,2}日?",
                "[x提]{100,3000}",
            ]
        ) {
            match month_name(&arg) {
                Ok(m) => prop_assert_eq!(m.name(), arg.trim()),
                Err(Error::Usage(message)) => prop_assert!(message.chars().count() < 80, "{message}"),
                Err(Error::Failed(message)) => prop_assert!(false, "{message}"),
            }
            let _ = crate::calendar::Date::parse(&arg);
            let _ = crate::calendar::Date::impossible(&arg);
            prop_assert!(crate::diag::shorten(&arg, 40).chars().count() <= 40);
            let path = std::path::PathBuf::from(&arg);
            prop_assert!(crate::diag::shorten_path(&path, 120).chars().count() <= 120);
            let _ = crate::http::decoded(&arg, 40);
        }

        #[test]
        fn table_arguments_name_a_table_or_are_refused_short(
            arg in prop_oneof![
                "\\PC{0,40}",
                prop::sample::select(vec!["热线", "12345", "710", " 热线 ", "热线\n", "１２３４５"]).prop_map(str::to_string),
                "[0-9热线]{1,8}",
                "[x表]{100,3000}",
            ]
        ) {
            let data = shipped();
            match table_arg(data, &arg) {
                Ok(spec) => prop_assert!(spec.id == arg.trim() || spec.expression_name() == arg.trim()),
                Err(Error::Usage(message)) => {
                    prop_assert!(message.starts_with("没有名为“"), "{message}");
                    prop_assert!(message.chars().count() < 120, "{message}");
                }
                Err(Error::Failed(message)) => prop_assert!(false, "{message}"),
            }
        }
    }

    /// The shipped project's registry and tables, loaded once for all cases.
    fn shipped() -> &'static crate::load::Data {
        static DATA: std::sync::OnceLock<crate::load::Data> = std::sync::OnceLock::new();
        DATA.get_or_init(|| {
            let project = crate::project::Project::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
            crate::load::load(&project, &[])
                .0
                .expect("the shipped registry and tables load")
        })
    }

    #[test]
    fn the_shipped_tables_are_named_by_name_and_number() {
        let data = shipped();
        for name in ["热线", "12345", " 热线 "] {
            assert!(
                matches!(table_arg(data, name), Ok(spec) if spec.id == "12345"),
                "{name}"
            );
        }
        let Err(Error::Usage(message)) = table_arg(data, &"表".repeat(5000)) else {
            panic!("an unknown table is a usage error")
        };
        assert!(
            message.contains("可用的表：") && message.chars().count() < 120,
            "{message}"
        );
    }
}

//! The commands, one file each, over the library. Every command takes its arguments (from
//! [`crate::args`]) and the project, prints what it has to say, and returns how it ended; a problem
//! that stops it travels back here as an [`Error`]. [`dispatch`] is the one place that prints
//! errors and picks the exit code.

mod audit;
mod build;
mod check;
mod export;
mod fonts;
mod help;
mod hooks;
mod import;
mod init;
mod issue;
mod new;
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
        Command::Completions(args) => help::completions(&args),
        Command::Manpage(args) => help::manpage(&args),
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
    match command {
        Command::Check(args) => check::run(project, &args),
        Command::Build(args) => build::run(project, &args),
        Command::Watch(args) => watch::run(project, &args),
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
        Command::New(args) => new::run(project, &args),
        Command::Import(args) => import::run(project, &args),
        Command::Export(args) => export::run(project, &args),
        Command::Schemas => new::schemas(project).map(|files| {
            say!("已写入 {}/：{}", crate::schemas::DIR, files.join("、"));
            Status::Clean
        }),
        Command::Init(_) | Command::Completions(_) | Command::Manpage(_) => {
            unreachable!("dispatched without a project")
        }
    }
}

/// Most diagnostics printed for people; the rest are counted (a damaged file of a million rows
/// must not print a million lines).
const SHOWN: usize = 20;
/// Most diagnostics written as JSON.
const SHOWN_JSON: usize = 1000;

/// Prints diagnostics, sorted by place, errors first: to stderr for people (at most [`SHOWN`],
/// then a count), to stdout as JSON.
pub(crate) fn report(diags: &mut [Diagnostic], format: Format) {
    diag::sort(diags);
    match format {
        Format::Json => say!("{}", diag::to_json(&diags[..diags.len().min(SHOWN_JSON)])),
        Format::Human => {
            let mut shown: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
            shown.extend(diags.iter().filter(|d| !d.is_error()));
            for d in shown.iter().take(SHOWN) {
                tell!("{}", d.to_terminal());
            }
            if diags.len() > SHOWN {
                let (errors, warnings) = diag::counts(diags);
                tell!(
                    "……另有 {} 条未列出（共 {errors} 个错误，{warnings} 个警告）；先修正以上问题，再运行查看其余的",
                    diags.len() - SHOWN
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

/// The status for a set of diagnostics: problems if any is an error.
pub(crate) fn status(diags: &[Diagnostic]) -> Status {
    if diags.iter().any(Diagnostic::is_error) {
        Status::Problems
    } else {
        Status::Clean
    }
}

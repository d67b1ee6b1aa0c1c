//! tongbao turns monthly statistics kept as YAML into a GB/T 9704-2012 circular (通报) as PDF.
//!
//! The modules follow the data flow: `load` → `check` → `aggregate` → `render` → `typeset` →
//! `output`, run in order by [`pipeline`]. Below them sit the foundations every stage may use
//! (`diag`, `calendar`, `project`, `git`); above them the thin layers: `provenance`, `audit`,
//! `preview`, and the commands (`args`, `cmd`). No module imports one above it.

/// Prints a line to stdout; a closed pipe (`tongbao fonts | head`) is not worth a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Prints a line to stderr, ignoring a closed pipe.
macro_rules! tell {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

// Foundations.
mod background;
mod calendar;
mod crash;
mod diag;
mod git;
mod limits;
pub mod project;

// The stages, in flow order.
mod aggregate;
mod check;
mod load;
pub mod output;
pub mod pipeline;
mod render;
pub mod typeset;

// Layers on top.
mod args;
mod audit;
mod batch;
mod cmd;
mod http;
mod issue;
mod lsp;
mod preview;
pub mod provenance;
mod routine;
mod schemas;
mod sheet;
mod sign;

/// Runs the command line and returns the process's exit code.
pub fn main() -> std::process::ExitCode {
    // Before any thread exists: reading the time zone is not thread-safe.
    calendar::init_local_offset();
    cmd::complete::answer_if_asked();
    let cli = match args::parse() {
        Ok(cli) => cli,
        Err(refusal) => {
            use std::io::Write as _;
            let code = if refusal.error {
                let _ = write!(std::io::stderr().lock(), "{}", refusal.text);
                args::EXIT_USAGE
            } else {
                let _ = write!(std::io::stdout().lock(), "{}", refusal.text);
                args::EXIT_OK
            };
            return std::process::ExitCode::from(code);
        }
    };
    std::process::ExitCode::from(cmd::dispatch(cli))
}

//! The integration tests, in one binary (each test binary links the whole typst tree, so one binary
//! builds much faster than one per file). Each module covers one command or concern; `util` holds
//! the shared helpers.

mod util;

mod audit;
mod batch;
mod build;
mod check;
mod ci;
mod clerk;
mod cli;
mod e2e;
mod faults;
mod fonts;
mod forms;
mod git;
mod hostile;
mod init;
mod issue;
mod layers;
mod layout;
mod lsp;
mod months;
mod ofd;
mod outputs;
mod owners;
mod package;
mod routine;
mod seal;
mod sign;
mod tables;
mod text;
mod typography;
mod watch;
mod workspace;

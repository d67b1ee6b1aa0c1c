//! `tongbao fonts`: which face serves each role, where it was found, and whether it stands in for
//! an official face.

use std::path::Path;

use crate::cli::EXIT_OK;
use crate::project;
use crate::typeset::FontSet;

/// Runs the command.
pub fn run(root: &Path, system_fonts: bool) -> i32 {
    let mut diags = Vec::new();
    let config = project::config(root, &mut diags);
    super::report(&mut diags, crate::cli::Format::Human);
    let fonts = FontSet::load(root, system_fonts);
    for resolved in fonts.resolve(&config.roles) {
        crate::say!("{}", resolved.describe());
        crate::say!("    候选：{}", resolved.role.families.join(" > "));
    }
    EXIT_OK
}

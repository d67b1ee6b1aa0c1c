//! `tongbao fonts`: which face serves each role, where it was found, and whether it stands in for
//! an official face.

use super::{Result, Status, report};
use crate::args::{FontArgs, Format};
use crate::project::Project;
use crate::typeset::{FontSet, fonts};

pub(crate) fn run(project: &Project, args: &FontArgs) -> Result {
    let mut diags = Vec::new();
    let config = crate::load::config::load(project, &mut diags);
    report(&mut diags, Format::Human);
    let set = FontSet::load(project, args.system_fonts);
    for resolved in set.resolve(&fonts::roles(&config)) {
        say!("{}", resolved.describe());
        say!("    候选：{}", resolved.role.families.join(" > "));
    }
    Ok(Status::Clean)
}

//! Prints every laid-out line of a month's circular with its position, size and fonts: the
//! measurements the layout tests assert, for looking at by hand.
//!
//! usage: cargo run --example measure -- [PROJECT_ROOT] [MONTH] [--runs]

use tongbao::pipeline::{Plan, Session};
use tongbao::typeset::inspect;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs = args.iter().any(|a| a == "--runs");
    let mut plain = args.iter().filter(|a| !a.starts_with("--"));
    let root = std::path::PathBuf::from(plain.next().map_or(".", String::as_str));
    let month = plain
        .next()
        .cloned()
        .unwrap_or_else(|| tongbao::project::Project::new(&root).months().pop().unwrap_or_default());
    let mut session = Session::new(&root, &Plan::default());
    let outcome = session.build(&month);
    let Some(document) = outcome.document.as_ref() else {
        for d in &outcome.diagnostics {
            eprintln!("{}", d.render());
        }
        std::process::exit(1);
    };
    let layout = inspect::measure(document);
    for page in 1..=layout.pages.len() {
        for line in inspect::lines(&layout.runs, page) {
            let right = line.iter().map(|r| r.x + r.width).fold(f64::MIN, f64::max);
            let text = inspect::line_text(&line);
            println!(
                "p{page} baseline {:7.2} mm  x {:6.2}..{:6.2}  {:2} chars  {:4.1} pt  {text}",
                line[0].baseline,
                line[0].x,
                right,
                text.chars().count(),
                line[0].size
            );
            if runs {
                for r in &line {
                    println!(
                        "      {:?} {} x {:.2} ink {:.2}..{:.2} {}",
                        r.text, r.family, r.x, r.ink_top, r.ink_bottom, r.color
                    );
                }
            }
        }
    }
}

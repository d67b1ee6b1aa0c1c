//! The web page for the portal (`circular.html`) and its body alone for a CMS editor
//! (`circular.fragment.html`), rendered from the same context as the PDF by
//! `templates/circular.html.j2`, every value HTML-escaped.

use serde::Serialize;

use super::{Document, Made};
use crate::render::{self, Circular};

pub(crate) const PAGE: &str = "circular.html";
pub(crate) const FRAGMENT: &str = "circular.fragment.html";

/// The template's context: the circular, and whether only the fragment is wanted.
#[derive(Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    circular: &'a Circular,
    片段: bool,
}

pub(crate) fn produce(doc: &Document<'_>) -> Made {
    let mut files = Vec::new();
    for (name, fragment) in [(PAGE, false), (FRAGMENT, true)] {
        let ctx = Context {
            circular: doc.circular,
            片段: fragment,
        };
        let html = render::render(doc.env, doc.project, render::HTML_TEMPLATE, &ctx).map_err(|d| vec![d])?;
        files.push((name, html.into_bytes()));
    }
    Ok(files)
}

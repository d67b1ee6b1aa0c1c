//! Stage 6: the outputs a build makes, and the resolved plan that says which.
//!
//! Each output is a variant of [`Output`] with its files (under `out/YYYY-MM/`) and its producer.
//! Producers come in two kinds: from the rendered document ([`Document`]: the web page, the Word
//! file, the workbook) and from the laid-out pages ([`Pages`]: the PDF, and fixed-layout formats).
//! The pipeline runs them all the same way, and every file they make other than the PDF itself is
//! named with its digest in the PDF's provenance manifest, so `verify` compares each of them by
//! construction. Adding an output is one variant here and one producer module.
//!
//! The [`Plan`] is resolved once from `tongbao.yaml` and the command line (ripgrep's way: the
//! low-level arguments become one typed value), serialised into the manifest and the batch stamps.

pub(crate) mod docx;
pub(crate) mod html;
pub(crate) mod ofd;
pub(crate) mod pdf;
pub(crate) mod xlsx;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use typst_layout::PagedDocument;

use crate::diag::Diagnostic;
use crate::load::config::Config;
use crate::load::page::PageSpec;
use crate::project::Project;
use crate::render::Circular;
use crate::typeset::Role;

/// An output a build can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Output {
    /// The circular as PDF: always made, the record of the circular.
    Pdf,
    /// The web page for the portal and its fragment for a CMS editor.
    Html,
    /// The Word file.
    Docx,
    /// The attachment tables as a workbook.
    Xlsx,
    /// The circular as OFD (GB/T 33190), from the laid-out pages.
    Ofd,
}

/// How an output is made.
pub(crate) enum Producer {
    /// From the rendered document, before the pages are laid out.
    Document(fn(&Document<'_>) -> Made),
    /// From the laid-out pages.
    Pages(fn(&Pages<'_>) -> Made),
}

/// The files a producer made (file names under the month's `out/` folder, with their bytes), or
/// why it could not.
pub(crate) type Made = Result<Vec<(&'static str, Vec<u8>)>, Vec<Diagnostic>>;

impl Output {
    /// Every output, in the order they are listed and made.
    pub const ALL: [Output; 5] = [Output::Pdf, Output::Html, Output::Docx, Output::Xlsx, Output::Ofd];

    /// Its name in `--outputs` and in `tongbao.yaml`'s `输出`.
    pub fn name(self) -> &'static str {
        match self {
            Output::Pdf => "pdf",
            Output::Html => "html",
            Output::Docx => "docx",
            Output::Xlsx => "xlsx",
            Output::Ofd => "ofd",
        }
    }

    /// What it is, in Chinese.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Output::Pdf => "PDF",
            Output::Html => "网页及其片段",
            Output::Docx => "Word 文件",
            Output::Xlsx => "附件表格（xlsx）",
            Output::Ofd => "OFD 版式文件",
        }
    }

    /// The files it writes in `out/YYYY-MM/`.
    pub(crate) fn files(self) -> &'static [&'static str] {
        match self {
            Output::Pdf => &[pdf::FILE],
            Output::Html => &[html::PAGE, html::FRAGMENT],
            Output::Docx => &[docx::FILE],
            Output::Xlsx => &[xlsx::FILE],
            Output::Ofd => &[ofd::FILE],
        }
    }

    pub(crate) fn producer(self) -> Producer {
        match self {
            Output::Pdf => Producer::Pages(pdf::produce),
            Output::Html => Producer::Document(html::produce),
            Output::Docx => Producer::Pages(docx::produce),
            Output::Xlsx => Producer::Document(xlsx::produce),
            Output::Ofd => Producer::Pages(ofd::produce),
        }
    }

    /// The output named `name` (case does not matter).
    pub(crate) fn named(name: &str) -> Option<Output> {
        Output::ALL
            .into_iter()
            .find(|o| o.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Its files for month `month`, root-relative.
    pub(crate) fn paths(self, project: &Project, month: &str) -> Vec<std::path::PathBuf> {
        self.files().iter().map(|f| project.out_dir(month).join(f)).collect()
    }

    /// The names of every output, for messages.
    pub(crate) fn names() -> String {
        Output::ALL.map(Output::name).join("、")
    }
}

/// The standards a circular's PDF can follow: archival (PDF/A, level b: it looks the same for
/// ever; level a: accessible as well) and accessible (PDF/UA-1). Typst validates the document
/// against the standard while writing it and refuses one that does not conform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PdfStandard {
    /// PDF/A-2b: no attachments, so the provenance manifest is left out.
    #[serde(rename = "a-2b")]
    A2b,
    /// PDF/A-3b: the manifest stays attached.
    #[serde(rename = "a-3b")]
    A3b,
    /// PDF/A-2a: PDF/A-2b, tagged and accessible; no attachments.
    #[serde(rename = "a-2a")]
    A2a,
    /// PDF/A-3a: PDF/A-3b, tagged and accessible.
    #[serde(rename = "a-3a")]
    A3a,
    /// PDF/UA-1: tagged and accessible (title, language, headings, table headers, alternative
    /// texts for images).
    #[serde(rename = "ua-1")]
    Ua1,
}

impl PdfStandard {
    pub const ALL: [PdfStandard; 5] = [
        PdfStandard::A2b,
        PdfStandard::A3b,
        PdfStandard::A2a,
        PdfStandard::A3a,
        PdfStandard::Ua1,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PdfStandard::A2b => "a-2b",
            PdfStandard::A3b => "a-3b",
            PdfStandard::A2a => "a-2a",
            PdfStandard::A3a => "a-3a",
            PdfStandard::Ua1 => "ua-1",
        }
    }

    /// Whether the provenance manifest can be attached (PDF/A-2 allows no attachment).
    pub(crate) fn allows_attachments(self) -> bool {
        !matches!(self, PdfStandard::A2b | PdfStandard::A2a)
    }

    /// Whether the standard asks for a tagged PDF.
    pub(crate) fn needs_tags(self) -> bool {
        matches!(self, PdfStandard::A2a | PdfStandard::A3a | PdfStandard::Ua1)
    }
}

/// What a build makes and how: resolved once from the configuration and the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The outputs; always holds [`Output::Pdf`].
    pub outputs: BTreeSet<Output>,
    /// An archival PDF (PDF/A), or a plain one.
    pub pdf_standard: Option<PdfStandard>,
    /// A tagged (accessible) PDF: the default.
    pub tagged: bool,
    /// Also the machine's installed fonts (default: only the project's, for reproducibility).
    pub system_fonts: bool,
}

impl Default for Plan {
    fn default() -> Plan {
        Plan {
            outputs: BTreeSet::from([Output::Pdf]),
            pdf_standard: None,
            tagged: true,
            system_fonts: false,
        }
    }
}

/// The options as the command line and the configuration give them, before they are resolved.
#[derive(Debug, Default)]
pub(crate) struct Asked<'a> {
    /// `--outputs` (names, or `all`); empty: the configuration's `输出`, else the PDF alone.
    pub outputs: &'a [String],
    pub pdf_standard: Option<&'a str>,
    /// `--untagged`: no structure tree (refused with an accessible standard).
    pub untagged: bool,
    pub system_fonts: bool,
}

impl Plan {
    /// Resolves what was asked against the configuration: an unknown output or standard is
    /// refused with the ones there are (the configuration's own at their place, in `diags`).
    pub(crate) fn resolve(asked: &Asked<'_>, config: &Config, diags: &mut Vec<Diagnostic>) -> Result<Plan, String> {
        let mut outputs = configured(config, diags);
        if !asked.outputs.is_empty() {
            outputs.clear();
            for name in asked.outputs.iter().flat_map(|o| o.split(',')) {
                if name.trim().eq_ignore_ascii_case("all") {
                    outputs.extend(Output::ALL);
                    continue;
                }
                let output = Output::named(name).ok_or_else(|| {
                    format!(
                        "未知的输出“{}”；可用：{}、all",
                        crate::diag::shorten(name.trim(), 40),
                        Output::names()
                    )
                })?;
                outputs.insert(output);
            }
        }
        outputs.insert(Output::Pdf);
        let pdf_standard = match asked.pdf_standard {
            None => None,
            Some(name) => Some(
                PdfStandard::ALL
                    .into_iter()
                    .find(|s| s.name().eq_ignore_ascii_case(name.trim()))
                    .ok_or_else(|| {
                        format!(
                            "未知的 PDF 标准“{}”；可用：{}",
                            crate::diag::shorten(name.trim(), 40),
                            PdfStandard::ALL.map(PdfStandard::name).join("、")
                        )
                    })?,
            ),
        };
        if let Some(standard) = pdf_standard.filter(|s| asked.untagged && s.needs_tags()) {
            return Err(format!(
                "PDF 标准 {} 要求带结构标签，不能与 --untagged 同时使用",
                standard.name()
            ));
        }
        Ok(Plan {
            outputs,
            pdf_standard,
            tagged: !asked.untagged,
            system_fonts: asked.system_fonts,
        })
    }

    /// The plan a project's configuration asks for, with the command line's defaults.
    pub(crate) fn configured(config: &Config, diags: &mut Vec<Diagnostic>) -> Plan {
        Plan::resolve(&Asked::default(), config, diags).unwrap_or_default()
    }

    /// Whether the plan makes `output`.
    pub fn makes(&self, output: Output) -> bool {
        self.outputs.contains(&output)
    }

    /// The files of every output of month `month`, root-relative.
    pub(crate) fn files(&self, project: &Project, month: &str) -> Vec<std::path::PathBuf> {
        self.outputs.iter().flat_map(|o| o.paths(project, month)).collect()
    }
}

/// Where month `month`'s PDF is written, root-relative.
pub(crate) fn pdf_path(project: &Project, month: &str) -> std::path::PathBuf {
    project.out_dir(month).join(pdf::FILE)
}

/// The outputs `tongbao.yaml` names; an unknown one is an error at its place.
fn configured(config: &Config, diags: &mut Vec<Diagnostic>) -> BTreeSet<Output> {
    let mut outputs = BTreeSet::new();
    for (name, loc) in &config.outputs {
        match Output::named(name) {
            Some(o) => {
                outputs.insert(o);
            }
            None => diags.push(
                Diagnostic::error(
                    "unknown-value",
                    loc,
                    format!("未知的输出“{}”", crate::diag::shorten(name, 40)),
                )
                .help(format!("可用的输出：{}", Output::names())),
            ),
        }
    }
    outputs
}

/// What a producer from the rendered document gets.
pub(crate) struct Document<'a> {
    pub project: &'a Project,
    pub circular: &'a Circular,
    pub env: &'a minijinja::Environment<'static>,
    /// The fonts' roles, official faces first (the Word file names them).
    pub roles: &'a [Role],
    pub page: &'a PageSpec,
}

/// What a producer from the laid-out pages gets: the pages, and the rendered document they were
/// laid out from (an output that follows the PDF's lines, the Word file, reads both).
pub(crate) struct Pages<'a> {
    pub document: &'a PagedDocument,
    pub rendered: &'a Document<'a>,
    pub plan: &'a Plan,
    /// A stable identifier of the document (`tongbao/2023-03`).
    pub ident: String,
    /// The document's date: the date of issue, or SOURCE_DATE_EPOCH when set.
    pub timestamp: typst::foundations::Datetime,
}

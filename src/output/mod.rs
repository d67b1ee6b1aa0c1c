//! Stage 6: the outputs a build makes, and the resolved plan that says which.
//!
//! Each output is a variant of [`Output`] (declared with its name and help in `crate::args`, for
//! clap) with every other fact here: its files (under `out/YYYY-MM/`), its producer, whether
//! `issue` keeps it, its failure code and its timing label. Producers come in two kinds: from the
//! rendered document ([`Document`]: the web page, the Word file, the workbook) and from the
//! laid-out pages ([`Pages`]: the PDF, and fixed-layout formats). The pipeline runs them all the
//! same way, from one layout, and every file they make other than the PDF itself is named with its
//! digest in the PDF's provenance manifest (attached as the PDF is written), so `verify` compares
//! each of them by construction. Adding an output is one variant in `args.rs`, an arm in each
//! match of `impl Output` here and one producer module (`tests/it/owners.rs` and the dummy output
//! of the unit tests show it).
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

use crate::diag::{Code, Diagnostic};
use crate::load::config::Config;
use crate::load::page::PageSpec;
use crate::project::Project;
use crate::render::Circular;
use crate::typeset::Role;

pub use crate::args::{Output, PdfStandard};

/// How an output is made.
pub(crate) enum Producer {
    /// From the rendered document, before the pages are laid out.
    Document(fn(&Document<'_>) -> Made),
    /// From the laid-out pages.
    Pages(FromPages),
}

/// A producer of an output made from the laid-out pages.
pub(crate) type FromPages = fn(&Pages<'_>) -> Made;

/// The files a producer made (file names under the month's `out/` folder, with their bytes), or
/// why it could not.
pub(crate) type Made = Result<Vec<(&'static str, Vec<u8>)>, Vec<Diagnostic>>;

/// Every fact of each output but its name and help (which clap reads from `crate::args::Output`):
/// a new output is a variant there and an arm in each match here, and the compiler lists what is
/// missing.
impl Output {
    /// The files it writes in `out/YYYY-MM/`.
    pub(crate) fn files(self) -> &'static [&'static str] {
        match self {
            Output::Pdf => &[pdf::FILE],
            Output::Html => &[html::PAGE, html::FRAGMENT],
            Output::Docx => &[docx::FILE],
            Output::Xlsx => &[xlsx::FILE],
            Output::Ofd => &[ofd::FILE],
            #[cfg(test)]
            Output::Dummy => &[dummy::FILE],
        }
    }

    pub(crate) fn producer(self) -> Producer {
        match self {
            Output::Pdf => Producer::Pages(pdf::produce),
            Output::Html => Producer::Document(html::produce),
            Output::Docx => Producer::Pages(docx::produce),
            Output::Xlsx => Producer::Document(xlsx::produce),
            Output::Ofd => Producer::Pages(ofd::produce),
            #[cfg(test)]
            Output::Dummy => Producer::Document(dummy::produce),
        }
    }

    /// What `issue` keeps of it beside the month's data, and under which key of the issue record
    /// its digest is written; `None` when an issued circular does not include it.
    pub(crate) fn issued(self) -> Option<Issued> {
        match self {
            Output::Pdf => Some(Issued {
                file: crate::project::ISSUED_PDF,
                key: "文件摘要",
                code: Code::IssuedPdf,
                signature: Signature::Pades,
            }),
            Output::Ofd => Some(Issued {
                file: crate::project::ISSUED_OFD,
                key: "OFD摘要",
                code: Code::IssuedOfd,
                signature: Signature::Seal,
            }),
            Output::Html | Output::Docx | Output::Xlsx => None,
            #[cfg(test)]
            Output::Dummy => None,
        }
    }

    /// The code of a diagnostic about it failing.
    pub(crate) fn code(self) -> Code {
        match self {
            Output::Pdf => Code::Pdf,
            Output::Html => Code::Html,
            Output::Docx => Code::Docx,
            Output::Xlsx => Code::Xlsx,
            Output::Ofd => Code::Ofd,
            #[cfg(test)]
            Output::Dummy => Code::Template,
        }
    }

    /// Its label in `--timings`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Output::Pdf => "PDF",
            Output::Html => "网页",
            Output::Docx => "Word",
            Output::Xlsx => "表格",
            Output::Ofd => "OFD",
            #[cfg(test)]
            Output::Dummy => "测试",
        }
    }

    /// Its files for month `month`, root-relative.
    pub(crate) fn paths(self, project: &Project, month: &str) -> Vec<std::path::PathBuf> {
        self.files().iter().map(|f| project.out_dir(month).join(f)).collect()
    }

    /// The comment on `输出` in the starter `tongbao.yaml`: every output but the PDF, with its help.
    pub(crate) fn starter_comment() -> String {
        let others: Vec<String> = Output::listed()
            .filter(|o| *o != Output::Pdf)
            .map(|o| format!("{}（{}）", o.name(), o.describe()))
            .collect();
        format!("# 输出：除 PDF 外同时生成哪些文件：{}。", others.join("、"))
    }
}

/// What `issue` keeps of an output.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Issued {
    /// The file beside the month's data (`issued.pdf`).
    pub file: &'static str,
    /// The key of its digest in `issued.yaml`.
    pub key: &'static str,
    /// The code of the error when it is missing or altered.
    pub code: Code,
    /// How `issue --sign`/`--seal` signs it.
    pub signature: Signature,
}

/// How an issued file is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signature {
    /// A PAdES signature (`issue --sign`).
    Pades,
    /// An electronic seal, GB/T 38540 (`issue --seal`).
    Seal,
}

/// A producer that exists only in the tests: the output that shows what a new output touches.
#[cfg(test)]
pub(crate) mod dummy {
    pub(crate) const FILE: &str = "dummy.txt";

    pub(crate) fn produce(doc: &super::Document<'_>) -> super::Made {
        Ok(vec![(FILE, doc.circular.公文.标题.clone().into_bytes())])
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

/// The options as the command line gives them, before the configuration is applied.
#[derive(Debug, Default)]
pub(crate) struct Asked {
    /// `--outputs`; empty: the configuration's `输出`, else the PDF alone.
    pub outputs: Vec<crate::args::Outputs>,
    pub pdf_standard: Option<PdfStandard>,
    /// `--untagged`: no structure tree (refused with an accessible standard).
    pub untagged: bool,
    pub system_fonts: bool,
}

impl Plan {
    /// Resolves what was asked against the configuration (an unknown output there is an error at
    /// its place, in `diags`); an accessible standard without tags is refused.
    pub(crate) fn resolve(asked: &Asked, config: &Config, diags: &mut Vec<Diagnostic>) -> Result<Plan, String> {
        let mut outputs = configured(config, diags);
        if !asked.outputs.is_empty() {
            outputs.clear();
            for chosen in &asked.outputs {
                match chosen {
                    crate::args::Outputs::All => outputs.extend(Output::all()),
                    crate::args::Outputs::Only(o) => {
                        outputs.insert(*o);
                    }
                }
            }
        }
        outputs.insert(Output::Pdf);
        if let Some(standard) = asked.pdf_standard.filter(|s| asked.untagged && s.needs_tags()) {
            return Err(format!(
                "PDF 标准 {} 要求带结构标签，不能与 --untagged 同时使用",
                standard.name()
            ));
        }
        Ok(Plan {
            outputs,
            pdf_standard: asked.pdf_standard,
            tagged: !asked.untagged,
            system_fonts: asked.system_fonts,
        })
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

/// Where month `month`'s draft PDF is written, root-relative: never the circular's own file.
pub(crate) fn draft_path(project: &Project, month: &str) -> std::path::PathBuf {
    project.out_dir(month).join(DRAFT_FILE)
}

/// The draft PDF's file name.
pub(crate) const DRAFT_FILE: &str = "draft.pdf";

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
                    Code::UnknownValue,
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
    /// What the PDF carries without showing it (the provenance manifest).
    pub attachment: Option<pdf::Attachment>,
    /// A stable identifier of the document (`tongbao/2023-03`).
    pub ident: String,
    /// The document's date: the date of issue, or SOURCE_DATE_EPOCH when set.
    pub timestamp: typst::foundations::Datetime,
}

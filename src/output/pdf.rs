//! The PDF, from the laid-out pages. Same input, same bytes: the timestamp comes from the data or
//! `SOURCE_DATE_EPOCH` and the document id from the month, never from the clock or the machine.

use typst::foundations::Smart;
use typst_pdf::{PdfOptions, Timestamp};

use super::{Made, Pages, Plan};
use crate::diag::{Diagnostic, Severity};

/// The file it writes.
pub(crate) const FILE: &str = "circular.pdf";

pub(crate) fn produce(pages: &Pages<'_>) -> Made {
    let bytes = export(pages.document, &pages.ident, pages.timestamp, pages.plan)?;
    Ok(vec![(FILE, bytes)])
}

/// The PDF's bytes. `plan.tagged` adds the structure tree (accessibility); `plan.pdf_standard`
/// makes an archival PDF, which typst validates while writing it.
pub(crate) fn export(
    document: &typst_layout::PagedDocument,
    ident: &str,
    timestamp: typst::foundations::Datetime,
    plan: &Plan,
) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let standards = match plan.pdf_standard {
        None => typst_pdf::PdfStandards::default(),
        Some(standard) => {
            let name = standard.name();
            let parsed: Option<typst_pdf::PdfStandard> = serde_json::from_value(serde_json::Value::from(name)).ok();
            let list: Vec<typst_pdf::PdfStandard> = parsed.into_iter().collect();
            typst_pdf::PdfStandards::new(&list).map_err(|e| {
                vec![Diagnostic::general(
                    Severity::Error,
                    "pdf",
                    format!("不支持的 PDF 标准 {name}：{}", e.message()),
                )]
            })?
        }
    };
    let options = PdfOptions {
        standards,
        ident: Smart::Custom(ident.to_string()),
        creator: Smart::Custom(Some(format!("tongbao {}", env!("CARGO_PKG_VERSION")))),
        timestamp: Some(Timestamp::new_utc(timestamp)),
        tagged: plan.tagged,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(document, &options).map_err(|errors| {
        errors
            .iter()
            .map(|e| Diagnostic::general(Severity::Error, "pdf", format!("生成 PDF 失败：{}", e.message)))
            .collect()
    })
}

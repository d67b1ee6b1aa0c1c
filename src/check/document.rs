//! Rules on a month's settings and the parts of its text that are not prose: period, date of
//! issue, attachments, seal, 发文字号.

use super::suggest;
use crate::diag::{Code, Diagnostic, Loc};
use crate::load::{Data, Month};

pub(crate) fn check_document(data: &Data, month: &Month, diags: &mut Vec<Diagnostic>) {
    let doc = &month.document;
    let period = month.period();
    if let Some((p, loc)) = &doc.period
        && p.end() != month.id
    {
        diags.push(
            Diagnostic::error(
                Code::Period,
                loc,
                format!(
                    "期间“{}”应止于本文件夹的月份（{}年{}月）",
                    p.label(),
                    month.id.year,
                    month.id.month
                ),
            )
            .help("两个月合发的通报放在后一个月的文件夹里，例如 3-4月 放在 data/2023-04"),
        );
    }
    overlapping(data, month, diags);
    if let Some(loc) = &doc.sample {
        diags.push(
            Diagnostic::warning(Code::SampleFigures, loc, "本月的数字是示例，不是真实统计")
                .help("导入（tongbao import）或改写本月的真实数字后，删去 document.yaml 中的“示例数字: true”；在此之前可以生成，不能发布"),
        );
    }
    if let Some(text) = &month.text
        && text.date.is_none()
    {
        diags.push(
            Diagnostic::error(Code::Unfilled, &text.date_loc, "成文日期尚未填写")
                .help("把“待填”改为成文日期，例如 2023年5月5日"),
        );
    }
    if let Some(text) = &month.text
        && let Some(date) = text.date
    {
        let end = period.end().last_day();
        if date < end {
            diags.push(
                Diagnostic::error(
                    Code::DateEarly,
                    &text.date_loc,
                    format!("成文日期 {} 早于统计期间结束（{}）", date.chinese(), end.chinese()),
                )
                .help(format!(
                    "{}的通报只能在期间结束之后成文，请核对日期或文件夹名",
                    period.label()
                )),
            );
        }
    }
    check_attachments(data, month, diags);
    check_form(data, month, diags);
    if let Some((number, loc)) = &doc.number
        && (number.contains(['[', ']', '(', ')', '（', '）', '【', '】']) || number.contains("第"))
    {
        diags.push(
            Diagnostic::warning(Code::DocNumber, loc, format!("发文字号“{number}”的写法不规范"))
                .help("年份用六角括号〔〕，序号不编虚位、不加“第”，例如 城中政办〔2023〕12号"),
        );
    }
}

/// A month folder inside this month's period of several months (`2023-10` beside `2023-11`'s
/// `期间: 2023年10-11月`): reported at the period, naming both, since the two would report on the
/// same month.
fn overlapping(data: &Data, month: &Month, diags: &mut Vec<Diagnostic>) {
    let Some((period, loc)) = &month.document.period else {
        return;
    };
    for m in period.first..period.last {
        let other = crate::calendar::MonthId {
            year: period.year,
            month: m,
        }
        .name();
        if data.project.path(data.project.month_dir(&other)).is_dir() {
            diags.push(
                Diagnostic::warning(
                    Code::PeriodOverlap,
                    loc,
                    format!("期间“{}”包含 {other}，而 data/{other} 也是一个月份文件夹", period.label()),
                )
                .help(format!(
                    "两个月合发时只保留后一个月的文件夹（data/{}）；若 data/{other} 只是供比较的数据，可以保留，但它不应再单独成文",
                    month.name
                )),
            );
        }
    }
}

fn check_attachments(data: &Data, month: &Month, diags: &mut Vec<Diagnostic>) {
    let doc = &month.document;
    let names: Vec<&str> = data.specs.iter().map(|s| s.expression_name()).collect();
    let mut tables = Vec::new();
    for att in &doc.attachments {
        let Some(spec) = data.table_named(&att.table) else {
            diags.push(
                Diagnostic::error(
                    Code::AttachmentTable,
                    &att.loc,
                    format!("没有名为“{}”的表格", att.table),
                )
                .help(suggest(&att.table, names.iter().copied(), "可用的表")),
            );
            continue;
        };
        let file = data.project.table_file(&month.name, &spec.id);
        // A file that exists but could not be read has its own error already.
        if month.table(&spec.id).is_none() && !data.project.path(&file).exists() {
            diags.push(
                Diagnostic::error(
                    Code::TableMissing,
                    &att.loc,
                    format!("附件要列出{}，但本月没有它的数据（{}）", spec.name, file.display()),
                )
                .help(format!(
                    "请新建 {}（可复制上个月的同名文件再修改），或从附件中删去这一项",
                    file.display()
                )),
            );
        }
        tables.push(spec);
    }
    let Some(text) = &month.text else { return };
    if !text.attachments.is_empty() && text.attachments.len() != doc.attachments.len() {
        let at = text.attachments_at.clone().unwrap_or_else(|| Loc::file(&text.src));
        diags.push(
            Diagnostic::error(
                Code::AttachmentCount,
                &at,
                format!(
                    "附件说明列了 {} 个附件，document.yaml 的“附件”列了 {} 张表",
                    text.attachments.len(),
                    doc.attachments.len()
                ),
            )
            .help("两处应一一对应：document.yaml 的“附件”按顺序写出每个附件是哪张表"),
        );
    }
    let numbered = text.attachments.len() > 1;
    for (i, item) in text.attachments.iter().enumerate() {
        if numbered && item.number != Some(i as u32 + 1) {
            diags.push(
                Diagnostic::warning(
                    Code::AttachmentNumber,
                    &item.name.loc,
                    format!("附件说明的第 {} 项应编号为 {}", i + 1, i + 1),
                )
                .help("多个附件按 1. 2. 3. 顺序编号"),
            );
        }
        let Some(spec) = tables.get(i) else { continue };
        let title = spec.title_for(&month.period());
        let literal = item.name.expressions().next().is_none();
        if literal && crate::load::text::prose(&item.name.text) != crate::load::text::prose(&title) {
            diags.push(
                Diagnostic::warning(
                    Code::AttachmentName,
                    &item.name.loc,
                    format!("附件说明写作“{}”，附件标题却是“{title}”", item.name.text),
                )
                .help(format!(
                    "GB/T 9704 要求附件说明与附件标题一致；可直接写 {{{{ {}.标题 }}}}（附件标题在 data/tables/ 的定义中）",
                    spec.expression_name()
                )),
            );
        }
    }
}

/// The form the settings choose must hold together: seal images that exist inside the project, one
/// per office; a joint issuance of two to four offices; 签发人 only on an upward document.
fn check_form(data: &Data, month: &Month, diags: &mut Vec<Diagnostic>) {
    check_seal_images(data, month, diags);
    let Some(text) = &month.text else { return };
    check_signature(month, text, diags);
}

/// Each seal is an image inside the project.
fn check_seal_images(data: &Data, month: &Month, diags: &mut Vec<Diagnostic>) {
    for seal in &month.document.layout.seals {
        let path = data.project.path(seal.image.trim_start_matches('/'));
        let inside = data.project.contains(&path);
        let image = [".png", ".svg", ".jpg", ".jpeg"]
            .iter()
            .any(|x| seal.image.to_ascii_lowercase().ends_with(x));
        if !path.is_file() || !inside || !image {
            let msg = if !path.exists() {
                format!("找不到印章图片“{}”", seal.image)
            } else if !inside {
                format!("印章“{}”不在项目文件夹内", seal.image)
            } else {
                format!("印章“{}”不是图片（应为 PNG、SVG 或 JPG）", seal.image)
            };
            diags.push(
                Diagnostic::error(Code::Seal, &seal.loc, msg)
                    .help("印章图片放在项目文件夹内（例如 assets/seal.png），这里写相对于项目根目录的路径"),
            );
        }
    }
}

/// The signature, the date and the settings that go with them: joint issuance, seals, signers, a
/// date in Chinese numerals, a 发文字号 printed without the red header.
fn check_signature(month: &Month, text: &crate::load::text::Text, diags: &mut Vec<Diagnostic>) {
    let layout = &month.document.layout;
    let offices = text.issuers.len();
    let at = |loc: Option<&Loc>| {
        loc.cloned()
            .or_else(|| text.issuers.first().map(|l| l.loc.clone()))
            .unwrap_or_else(|| text.date_loc.clone())
    };
    if text.date_numerals.is_some() {
        diags.push(
            Diagnostic::warning(Code::DateNumerals, &text.date_loc, "成文日期用了汉字数字，将照写印出").help(format!(
                "GB/T 9704-2012 7.3.5.3：成文日期用阿拉伯数字将年、月、日标全，如 {}",
                text.date.map(|d| d.chinese()).unwrap_or_default()
            )),
        );
    }
    if layout.number_alone && month.document.number.is_none() {
        diags.push(
            Diagnostic::warning(Code::Form, &text.date_loc, "“字号单列: true”，但没有写发文字号")
                .help("在 document.yaml 中写 发文字号: 城中政办〔2023〕12号，或删去“字号单列”"),
        );
    }
    if let Some((true, loc)) = &layout.joint
        && offices < 2
    {
        diags.push(
            Diagnostic::error(Code::Form, loc, "联合行文至少要有两个发文机关，通报末尾只署了一个")
                .help("在成文日期上方按顺序逐行写出各发文机关（主办机关在前），或删去“联合行文: true”"),
        );
    }
    if offices > 4 {
        diags.push(
            Diagnostic::error(
                Code::Form,
                &text.issuers[4].loc,
                format!("署了 {offices} 个发文机关，联合行文最多四个"),
            )
            .help("通报末尾只写发文机关署名；正文的最后一段与署名之间空一行"),
        );
    }
    // A date that stands alone takes one seal.
    if !layout.seals.is_empty() && layout.seals.len() != offices.max(1) {
        diags.push(
            Diagnostic::error(
                Code::Form,
                &layout.seals[0].loc,
                format!("有 {} 枚印章，却署了 {offices} 个发文机关", layout.seals.len()),
            )
            .help("加盖印章时每个发文机关一枚，按署名顺序列出"),
        );
    }
    let upward = layout.upward.as_ref().is_some_and(|(u, _)| *u);
    if !layout.signers.is_empty() && !upward {
        diags.push(
            Diagnostic::error(
                Code::Form,
                &at(layout.signers.first().map(|(_, l)| l)),
                "签发人只用于上行文，这份通报是下行文",
            )
            .help("下行文不标注签发人：删去“签发人”；若确是向上级报送，写“行文: 上行”"),
        );
    }
    if let Some((true, loc)) = &layout.upward {
        if layout.signers.is_empty() {
            diags.push(
                Diagnostic::error(Code::Form, loc, "上行文应标注签发人")
                    .help("在“版式”中写 签发人: 张三（几位签发人写成列表）"),
            );
        }
        if !layout.red_header {
            diags.push(
                Diagnostic::error(Code::Form, loc, "上行文的签发人排在版头，需要“版头: true”")
                    .help("在“版式”中写 版头: true"),
            );
        }
    }
}

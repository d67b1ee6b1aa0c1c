//! Starting a month from the one before (`tongbao new`): the text and the settings carried over with
//! every period reference moved on, the tables with their units and every figure marked as not yet
//! filled (`待填`), the date of issue left to set.

use crate::calendar::{self, MonthId};

use crate::load::table_file::TableFile;

/// What a figure or the date of issue not yet filled in is written as.
pub(crate) const UNFILLED: &str = crate::load::yaml::UNFILLED;

/// The note above `示例数字: true` in the first month's settings (`init` writes both; a new
/// month leaves both behind).
pub(crate) const SAMPLE_NOTE: &str =
    "# 表格中的数字是示例：可以检查和生成，不能发布。导入或改写真实数字后删去下面一行。";

/// Moves every month mention ([`calendar::mentions`]: `2023年3月`, `3-4月份` …) on by `delta`
/// months; a full date (`2023年5月5日`) is left alone.
pub(crate) fn shift_periods(text: &str, delta: i32) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for m in calendar::mentions(text) {
        out.extend(&chars[from..m.at]);
        from = m.at + m.len;
        let written: String = chars[m.at..m.at + m.len].iter().collect();
        let period = calendar::Period {
            year: m.year.unwrap_or(2000),
            first: m.first,
            last: m.last,
            written: m.written,
        };
        // A quarter or a half-year moves only by whole quarters or halves.
        let Some(moved) = period.moved(delta) else {
            out.push_str(&written);
            continue;
        };
        if m.year.is_some() {
            out.push_str(&format!("{}年", moved.year));
        }
        out.push_str(&moved.name());
        if m.fen {
            out.push('份');
        }
    }
    out.extend(&chars[from..]);
    out
}

/// The month's text for a new month: periods moved on, the date of issue to be set.
pub(crate) fn carry_text(text: &str, delta: i32) -> String {
    let shifted = shift_periods(text, delta);
    let mut lines: Vec<String> = shifted.lines().map(str::to_string).collect();
    // Attachment names start with their month (`1.3月网站……统计表`): move it on too.
    if let Some(start) = lines
        .iter()
        .position(|l| l.trim_start().starts_with("附件：") || l.trim_start().starts_with("附件:"))
    {
        for line in lines.iter_mut().skip(start) {
            *line = shift_leading_month(line, delta);
        }
    }
    // The date of issue: the last line that is a date (before an optional 附注).
    if let Some(i) = lines
        .iter()
        .rposition(|l| crate::calendar::Date::parse(l.trim()).is_some())
    {
        lines[i] = UNFILLED.to_string();
    }
    lines.join("\n") + "\n"
}

/// `1.3月网站……` → `1.4月网站……`: a month right after an attachment's number (or `附件：`).
fn shift_leading_month(line: &str, delta: i32) -> String {
    let prefix_len = line
        .char_indices()
        .find(|(_, c)| !(c.is_whitespace() || c.is_ascii_digit() || "．.、：:附件".contains(*c)))
        .map_or(line.len(), |(i, _)| i);
    // Back up over the month's own digits, which the scan above took for the number.
    let head = &line[..prefix_len];
    let digits_at_end = head.chars().rev().take_while(char::is_ascii_digit).count();
    let (keep, month) = head.split_at(head.len() - digits_at_end);
    let rest = &line[prefix_len..];
    match month.parse::<i32>() {
        Ok(m) if (1..=12).contains(&m) && rest.starts_with('月') && !keep.ends_with(|c: char| c.is_ascii_digit()) => {
            let shifted = MonthId {
                year: 2000,
                month: m as u8,
            }
            .plus(delta)
            .month;
            format!("{keep}{shifted}{rest}")
        }
        _ => line.to_string(),
    }
}

/// A table file for a new month: the same units and comments (as written: a comment's month is
/// the clerk's note, not a period), every figure `待填`, no 合计, no stated rate (tongbao computes
/// it); written by the one writer of month tables.
pub(crate) fn blank_table(text: &str) -> String {
    let mut file = TableFile::read(text);
    file.total.clear();
    for (_, value) in &mut file.headlines {
        *value = UNFILLED.to_string();
    }
    for row in &mut file.rows {
        row.cells.retain(|(_, value)| !value.ends_with(['%', '％']));
        for (_, value) in &mut row.cells {
            *value = UNFILLED.to_string();
        }
    }
    file.to_yaml()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_move_on_dates_stay() {
        assert_eq!(shift_periods("2023年3月份，城中区3月份", 1), "2023年4月份，城中区4月份");
        assert_eq!(shift_periods("2023年12月", 1), "2024年1月");
        assert_eq!(shift_periods("2023年3-4月份", 2), "2023年5-6月份");
        assert_eq!(
            shift_periods("成文日期2023年5月5日，3月5日", 1),
            "成文日期2023年5月5日，3月5日"
        );
        assert_eq!(shift_periods("共17项", 1), "共17项");
    }

    #[test]
    fn attachment_names_move_on() {
        assert_eq!(
            shift_leading_month("附件:1.3月城中区统计表", 1),
            "附件:1.4月城中区统计表"
        );
        assert_eq!(shift_leading_month("    2.12月网站统计表", 1), "    2.1月网站统计表");
        assert_eq!(
            shift_leading_month("西宁市城中区人民政府办公室", 1),
            "西宁市城中区人民政府办公室"
        );
    }

    #[test]
    fn table_rows_keep_units_and_comments_and_lose_figures() {
        let t = "# 注释 2023年3月\n概况: {交办任务: 59, 按期办结: 59}\n行:\n  - {单位: 甲, 本月: 2, 办结: 2, 采纳率: 100%}  # 说明\n合计: {本月: 2}\n";
        assert_eq!(
            blank_table(t),
            "# 注释 2023年3月\n概况: {交办任务: 待填, 按期办结: 待填}\n行:\n  - {单位: 甲, 本月: 待填, 办结: 待填}  # 说明\n"
        );
    }
}

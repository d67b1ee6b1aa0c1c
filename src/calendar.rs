//! Dates and clocks, in one place: the calendar dates the data holds (成文日期, 印发日期), the months
//! the project is organised by, the reproducible-build timestamp (`SOURCE_DATE_EPOCH`) and the
//! wall clock shown by `watch`. Calendar arithmetic comes from the `time` crate (already in the tree
//! through typst), never from hand-written formulas.

use std::sync::OnceLock;

use time::{Month, OffsetDateTime, UtcOffset};

/// A calendar date as the data writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub(crate) struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Parses `2023-05-05`, `2023-5-5` or `2023年5月5日`; `None` unless the day exists.
    pub(crate) fn parse(text: &str) -> Option<Date> {
        let t = text.trim();
        let parts: Vec<&str> = if t.contains('年') {
            let t = t.strip_suffix('日')?;
            let (y, rest) = t.split_once('年')?;
            let (m, d) = rest.split_once('月')?;
            vec![y, m, d]
        } else {
            t.split('-').collect()
        };
        let [y, m, d] = parts.as_slice() else {
            return None;
        };
        let year: i32 = y.parse().ok()?;
        let month: u8 = m.parse().ok()?;
        let day: u8 = d.parse().ok()?;
        if !(1900..=9999).contains(&year) {
            return None;
        }
        time::Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
        Some(Date { year, month, day })
    }

    /// Why `text`, written like a date (`2023年2月30日`, `2023-02-30`), is not one: the month or
    /// the day does not exist. `None` when it is a real date or not written like a date at all.
    pub(crate) fn impossible(text: &str) -> Option<String> {
        let t = text.trim();
        let parts: Vec<&str> = match t.strip_suffix('日') {
            Some(t) => t.split(['年', '月']).collect(),
            None => t.split('-').collect(),
        };
        let [y, m, d] = parts.as_slice() else { return None };
        let number = |s: &str| {
            (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
        };
        let (year, month, day) = (number(y)?, number(m)?, number(d)?);
        if y.len() != 4 || Date::parse(t).is_some() {
            return None;
        }
        let Some(Ok(month_of_year)) = u8::try_from(month).ok().map(Month::try_from) else {
            return Some(format!("没有{month}月"));
        };
        let days = time::util::days_in_month(month_of_year, year as i32);
        if year < 1900 {
            return Some(format!("年份 {year} 太早"));
        }
        Some(format!("{year}年{month}月只有 {days} 天，没有{day}日"))
    }

    /// Parses a date in Chinese numerals as older circulars write it (`二○一一年一月十八日`,
    /// `二〇二三年十二月三十一日`); `None` unless it is one and the day exists.
    pub(crate) fn parse_numerals(text: &str) -> Option<Date> {
        const DIGITS: [&str; 10] = ["〇○零Ｏ0", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
        let digit = |c: char| DIGITS.iter().position(|d| d.contains(c));
        // 一 … 九, 十, 十一 … 十九, 二十, 二十一 … 三十一.
        let small = |s: &str| -> Option<u8> {
            let c: Vec<char> = s.chars().collect();
            let d = |c: char| digit(c).filter(|d| *d > 0).map(|d| d as u8);
            match c.as_slice() {
                [a] if *a == '十' => Some(10),
                [a] => d(*a),
                ['十', b] => Some(10 + d(*b)?),
                [a, '十'] => Some(10 * d(*a)?),
                [a, '十', b] => Some(10 * d(*a)? + d(*b)?),
                _ => None,
            }
        };
        let t = text.trim().strip_suffix('日')?;
        let (y, rest) = t.split_once('年')?;
        let (m, d) = rest.split_once('月')?;
        let year = y.chars().try_fold(0i32, |acc, c| Some(acc * 10 + digit(c)? as i32))?;
        if y.chars().count() != 4 || !y.chars().any(|c| !c.is_ascii_digit()) {
            return None;
        }
        let (month, day) = (small(m)?, small(d)?);
        Date::parse(&format!("{year}年{month}月{day}日"))
    }

    /// The form GB/T 9704 prescribes: Arabic numerals, full year, no leading zeros (2023年5月5日).
    pub(crate) fn chinese(&self) -> String {
        format!("{}年{}月{}日", self.year, self.month, self.day)
    }
}

/// A month of the project, named by its folder `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct MonthId {
    pub year: i32,
    pub month: u8,
}

impl MonthId {
    /// Parses a folder name such as `2023-03` (four-digit year, two-digit month).
    pub(crate) fn parse(name: &str) -> Option<MonthId> {
        let (y, m) = name.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.chars().chain(m.chars()).all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        ((1900..=9999).contains(&year) && (1..=12).contains(&month)).then_some(MonthId { year, month })
    }

    /// The folder name, `YYYY-MM`.
    pub(crate) fn name(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// The month `n` months later (earlier when negative).
    pub(crate) fn plus(&self, n: i32) -> MonthId {
        let index = self.year * 12 + i32::from(self.month) - 1 + n;
        MonthId {
            year: index.div_euclid(12),
            month: (index.rem_euclid(12) + 1) as u8,
        }
    }

    pub(crate) fn previous(&self) -> MonthId {
        self.plus(-1)
    }

    /// The same month a year earlier (同比).
    pub(crate) fn year_before(&self) -> MonthId {
        self.plus(-12)
    }

    pub(crate) fn last_day(&self) -> Date {
        let month = Month::try_from(self.month).unwrap_or(Month::January);
        Date {
            year: self.year,
            month: self.month,
            day: time::util::days_in_month(month, self.year),
        }
    }
}

/// The period a circular reports on: a month, a run of months, a quarter, a half-year or a year,
/// ending with the month of its folder (`2023年3月`, `2023年1~3月`, `2023年第一季度`,
/// `2023年上半年`, `2023年`), with the way the office writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Period {
    pub year: i32,
    pub first: u8,
    pub last: u8,
    pub written: Written,
}

/// How an office writes a period: the one thing about it that is a matter of style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    /// `3月`, or a run of months with the mark between them (`1-3月`, `1~3月`, `1月至3月`).
    Months { mark: char },
    /// `第一季度` (`ordinal`) or `一季度`.
    Quarter { ordinal: bool },
    /// `上半年`, `下半年`.
    Half,
    /// `2023年`, or `2023年度` (`du`).
    Year { du: bool },
}

/// The placeholders a table's title and its columns' headers may hold, filled in by
/// [`Period::fill`], with what they become.
pub(crate) const PLACEHOLDERS: [(&str, &str); 3] = [
    ("{期间}", "期间，如 2023年3月、2023年第一季度"),
    ("{年}", "年份，如 2023"),
    ("{月}", "月份，如 3 或 1-3"),
];

/// The `{…}` in `text` that are not placeholders ([`PLACEHOLDERS`]): printed as written.
pub(crate) fn unknown_placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open..];
        let Some(close) = after.find('}') else { break };
        let piece = &after[..=close];
        if !PLACEHOLDERS.iter().any(|(p, _)| *p == piece) {
            out.push(piece.to_string());
        }
        rest = &after[close + 1..];
    }
    out
}

/// The numerals of the quarters.
const QUARTERS: [&str; 4] = ["一", "二", "三", "四"];

impl Period {
    pub(crate) fn month(id: &MonthId) -> Period {
        Period {
            year: id.year,
            first: id.month,
            last: id.month,
            written: Written::Months { mark: '-' },
        }
    }

    /// Parses a period as an office writes it, with its year: `2023年3月`, `2023年3-4月` (also
    /// `~ ～ － —`, `3月至4月`, with or without `份`), `2023年第一季度` (`一季度`, `第1季度`),
    /// `2023年上半年`, `2023年下半年`, `2023年`, `2023年度`, `2023年全年`.
    pub(crate) fn parse(text: &str) -> Option<Period> {
        let text = text.trim();
        let chars: Vec<char> = text.chars().collect();
        if let Some(m) = mention_at(&chars, 0, true)
            && m.len == chars.len()
        {
            return Some(Period {
                year: m.year?,
                first: m.first,
                last: m.last,
                written: Written::Months { mark: m.mark },
            });
        }
        let (year, rest) = text.split_once('年')?;
        let year: i32 = year.parse().ok().filter(|_| year.len() == 4)?;
        let period = |first, last, written| {
            Some(Period {
                year,
                first,
                last,
                written,
            })
        };
        match rest {
            "" | "全年" => period(1, 12, Written::Year { du: false }),
            "度" => period(1, 12, Written::Year { du: true }),
            "上半年" => period(1, 6, Written::Half),
            "下半年" => period(7, 12, Written::Half),
            _ => {
                let (q, ordinal) = quarter(rest)?;
                period(q * 3 - 2, q * 3, Written::Quarter { ordinal })
            }
        }
    }

    /// The months as a title's `{月}` writes them: `3`, or the run with the office's mark (`1-3`,
    /// `1~3`, `1月至3`).
    pub(crate) fn months(&self) -> String {
        let mark = match self.written {
            Written::Months { mark } => mark,
            _ => '-',
        };
        match (self.first == self.last, mark) {
            (true, _) => self.first.to_string(),
            (false, '至') => format!("{}月至{}", self.first, self.last),
            (false, mark) => format!("{}{mark}{}", self.first, self.last),
        }
    }

    /// The period without its year, as the office writes it: `3月`, `1~3月`, `第一季度`,
    /// `上半年`, `全年`.
    pub(crate) fn name(&self) -> String {
        match self.written {
            Written::Months { .. } => format!("{}月", self.months()),
            Written::Quarter { ordinal } => {
                let q = QUARTERS[usize::from(self.last / 3).saturating_sub(1).min(3)];
                format!("{}{q}季度", if ordinal { "第" } else { "" })
            }
            Written::Half if self.first == 1 => "上半年".into(),
            Written::Half => "下半年".into(),
            Written::Year { .. } => "全年".into(),
        }
    }

    /// The period with its year, as the office writes it: `2023年3月`, `2023年1~3月`,
    /// `2023年第一季度`, `2023年上半年`, `2023年`, `2023年度`.
    pub(crate) fn label(&self) -> String {
        match self.written {
            Written::Year { du: true } => format!("{}年度", self.year),
            Written::Year { du: false } => format!("{}年", self.year),
            _ => format!("{}年{}", self.year, self.name()),
        }
    }

    /// `text` with the period's placeholders filled in ([`PLACEHOLDERS`]).
    pub(crate) fn fill(&self, text: &str) -> String {
        if !text.contains('{') {
            return text.to_string();
        }
        text.replace("{期间}", &self.label())
            .replace("{月}", &self.months())
            .replace("{年}", &self.year.to_string())
    }

    /// The number of months it covers.
    pub(crate) fn len(&self) -> u8 {
        self.last + 1 - self.first
    }

    /// Whether month `m` of `year` is in the period.
    pub(crate) fn contains(&self, year: i32, m: u8) -> bool {
        year == self.year && (self.first..=self.last).contains(&m)
    }

    /// The period's last month.
    pub(crate) fn end(&self) -> MonthId {
        MonthId {
            year: self.year,
            month: self.last,
        }
    }

    /// The folder a comparison with "last month" reads: the month before the period begins.
    pub(crate) fn before(&self) -> MonthId {
        MonthId {
            year: self.year,
            month: self.first,
        }
        .previous()
    }

    /// The same kind of period `delta` months on, written alike; `None` when that is not a period
    /// of its kind (a quarter moved by a month).
    pub(crate) fn moved(&self, delta: i32) -> Option<Period> {
        let first = MonthId {
            year: self.year,
            month: self.first,
        }
        .plus(delta);
        let last = first.plus(i32::from(self.len()) - 1);
        let fits = match self.written {
            Written::Months { .. } => true,
            Written::Quarter { .. } => first.month % 3 == 1,
            Written::Half => first.month % 6 == 1,
            Written::Year { .. } => first.month == 1,
        };
        (fits && last.year == first.year).then_some(Period {
            year: first.year,
            first: first.month,
            last: last.month,
            written: self.written,
        })
    }
}

/// A quarter written `第一季度`, `一季度`, `第1季度` or `1季度`: its number and whether `第` is
/// written.
fn quarter(text: &str) -> Option<(u8, bool)> {
    let rest = text.strip_suffix("季度")?;
    let (ordinal, q) = match rest.strip_prefix('第') {
        Some(q) => (true, q),
        None => (false, rest),
    };
    let n = QUARTERS
        .iter()
        .position(|n| *n == q)
        .map(|i| i as u8 + 1)
        .or_else(|| q.parse().ok().filter(|n| (1..=4).contains(n)))?;
    Some((n, ordinal))
}

/// A month or run of months named in a text: `2023年3月`, `2023年3-4月`, `3月份`, `3-4月份`,
/// `3月至4月份`. A bare `3月` without a year or `份` is not one (too often part of something
/// else), nor is the month of a date (`3月5日`). The one grammar of month mentions: `check` warns
/// about the ones that are not the period's, `new` moves them on, `期间` is parsed by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mention {
    /// Where it starts and how long it is, in characters.
    pub at: usize,
    pub len: usize,
    pub year: Option<i32>,
    pub first: u8,
    pub last: u8,
    /// Whether `份` follows (`3月份`).
    pub fen: bool,
    /// The mark between the months of a run (`-` when there is none).
    pub mark: char,
    /// How it is written: months, a quarter or a half-year (a mention is never a bare year).
    pub written: Written,
}

/// Every month mention in `text`, in order.
pub(crate) fn mentions(text: &str) -> Vec<Mention> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        if !chars[k].is_ascii_digit() || (k > 0 && chars[k - 1].is_ascii_digit()) {
            k += 1;
            continue;
        }
        match mention_at(&chars, k, false) {
            Some(m) => {
                k = m.at + m.len;
                out.push(m);
            }
            None => k += 1,
        }
    }
    let seasons: Vec<Mention> = season_mentions(&chars)
        .into_iter()
        .filter(|s| !out.iter().any(|m| s.at < m.at + m.len && m.at < s.at + s.len))
        .collect();
    out.extend(seasons);
    out.sort_by_key(|m| m.at);
    out
}

/// The quarters and half-years named in a text (`第一季度`, `2023年一季度`, `上半年`), each with
/// the year written before it.
fn season_mentions(chars: &[char]) -> Vec<Mention> {
    let text: String = chars.iter().collect();
    let mut out = Vec::new();
    for (word, len) in [("季度", 2usize), ("半年", 2)] {
        for (byte, _) in text.match_indices(word) {
            let end = text[..byte].chars().count() + len;
            // The longest form that ends here: 第一季度, 一季度, 第1季度, 上半年.
            let found = (2..=4).rev().find_map(|n: usize| {
                let at = end.checked_sub(n)?;
                let piece: String = chars[at..end].iter().collect();
                let p = Period::parse(&format!("2000年{piece}"))?;
                Some((at, piece.chars().count(), p))
            });
            let Some((mut at, mut n, p)) = found else { continue };
            let mut year = None;
            if at >= 5 && chars[at - 1] == '年' && chars[at - 5..at - 1].iter().all(char::is_ascii_digit) {
                year = chars[at - 5..at - 1].iter().collect::<String>().parse().ok();
                at -= 5;
                n += 5;
            }
            out.push(Mention {
                at,
                len: n,
                year,
                first: p.first,
                last: p.last,
                fen: false,
                mark: '-',
                written: p.written,
            });
        }
    }
    out
}

fn is_range_mark(c: Option<&char>) -> bool {
    matches!(c, Some('-' | '－' | '—' | '~' | '～' | '至'))
}

/// The mention starting at character `k`; with `bare`, a month without year or 份 counts too.
fn mention_at(chars: &[char], k: usize, bare: bool) -> Option<Mention> {
    let digits = |from: usize| {
        chars
            .get(from..)
            .map_or(0, |c| c.iter().take_while(|c| c.is_ascii_digit()).count())
    };
    let number = |from: usize, n: usize| chars[from..from + n].iter().collect::<String>().parse::<u32>().ok();
    let mut j = k;
    let mut year = None;
    if digits(j) == 4 && chars.get(j + 4) == Some(&'年') {
        year = Some(number(j, 4)? as i32);
        j += 5;
    }
    let m = digits(j);
    if !(1..=2).contains(&m) {
        return None;
    }
    let first = number(j, m)?;
    j += m;
    let mut last = first;
    let mut mark_char = '-';
    // `3-4月`, or `3月至4月` with the first 月 written too.
    let mark = if chars.get(j) == Some(&'月') && is_range_mark(chars.get(j + 1)) {
        j + 1
    } else {
        j
    };
    if is_range_mark(chars.get(mark)) {
        let m2 = digits(mark + 1);
        if (1..=2).contains(&m2) {
            last = number(mark + 1, m2)?;
            j = mark + 1 + m2;
            mark_char = chars[mark];
        }
    }
    if chars.get(j) != Some(&'月') || !(1..=12).contains(&first) || !(first..=12).contains(&last) {
        return None;
    }
    j += 1;
    let fen = chars.get(j) == Some(&'份');
    if fen {
        j += 1;
    } else if chars.get(j).is_some_and(char::is_ascii_digit) {
        return None; // the month of a date
    }
    if year.is_none() && !fen && !bare {
        return None;
    }
    Some(Mention {
        at: k,
        len: j - k,
        year,
        first: first as u8,
        last: last as u8,
        fen,
        mark: mark_char,
        written: Written::Months { mark: mark_char },
    })
}

/// Calendar date and time (UTC) of a Unix timestamp.
pub(crate) fn utc(secs: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

/// `SOURCE_DATE_EPOCH` (the reproducible-builds convention), when set to a valid timestamp.
pub(crate) fn source_date_epoch() -> Option<OffsetDateTime> {
    utc(std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()?)
}

static LOCAL_OFFSET: OnceLock<UtcOffset> = OnceLock::new();

/// Reads the machine's UTC offset. Must run while the process has a single thread (the operating
/// system's time zone functions are not thread-safe); call it first thing in `main`.
pub(crate) fn init_local_offset() {
    let _ = LOCAL_OFFSET.set(UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC));
}

/// Today's date in the machine's time zone.
pub(crate) fn today() -> Date {
    let now = now_local();
    Date {
        year: now.year(),
        month: now.month().into(),
        day: now.day(),
    }
}

/// The wall clock in the machine's time zone (UTC if it could not be read).
fn now_local() -> OffsetDateTime {
    let offset = LOCAL_OFFSET.get().copied().unwrap_or(UtcOffset::UTC);
    OffsetDateTime::now_utc().to_offset(offset)
}

/// The wall clock as `hh:mm:ss` in the machine's time zone (UTC if it could not be read).
pub(crate) fn clock() -> String {
    let now = now_local();
    format!("{:02}:{:02}:{:02}", now.hour(), now.minute(), now.second())
}

/// The wall clock as Chinese text reads it, `13时05分09秒` (the preview's times: written here,
/// never in the browser's locale).
pub(crate) fn clock_chinese() -> String {
    let now = now_local();
    chinese_time(now.hour(), now.minute(), now.second())
}

fn chinese_time(hour: u8, minute: u8, second: u8) -> String {
    format!("{hour:02}时{minute:02}分{second:02}秒")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_chinese() {
        assert_eq!(chinese_time(13, 5, 9), "13时05分09秒");
        assert_eq!(chinese_time(0, 0, 0), "00时00分00秒");
    }

    #[test]
    fn dates_are_checked_against_the_calendar() {
        assert_eq!(
            Date::parse("2023-05-05").map(|d| d.chinese()),
            Some("2023年5月5日".into())
        );
        assert_eq!(Date::parse("2023年5月5日"), Date::parse("2023-5-5"));
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2024-02-29").map(|d| d.day), Some(29));
        assert_eq!(Date::parse("五月"), None);
        assert_eq!(Date::parse("2023-13-01"), None);
    }

    #[test]
    fn months_step_across_years() {
        let m = MonthId::parse("2023-01").unwrap();
        assert_eq!(m.previous().name(), "2022-12");
        assert_eq!(m.plus(12).name(), "2024-01");
        assert_eq!(m.year_before().name(), "2022-01");
        assert_eq!(MonthId::parse("2023-12").unwrap().plus(1).name(), "2024-01");
        assert_eq!(MonthId::parse("2024-02").unwrap().last_day().day, 29);
        assert!(MonthId::parse("2023-13").is_none());
        assert!(MonthId::parse("2023-3").is_none());
        assert!(MonthId::parse("2023年3月").is_none());
    }

    #[test]
    fn periods_of_one_or_more_months() {
        let p = Period::parse("2023年3-4月").unwrap();
        assert_eq!(
            (p.label(), p.months(), p.before().name()),
            ("2023年3-4月".into(), "3-4".into(), "2023-02".into())
        );
        assert_eq!(Period::parse("2023年3月份").unwrap().label(), "2023年3月");
        assert_eq!(Period::parse("2023年3月至4月").unwrap().label(), "2023年3月至4月");
        assert!(Period::parse("2023年4-3月").is_none());
        assert!(Period::parse("三月").is_none());
        assert_eq!(
            Period::month(&MonthId::parse("2023-01").unwrap()).before().name(),
            "2022-12"
        );
    }

    #[test]
    fn dates_in_chinese_numerals() {
        let d = |s: &str| Date::parse_numerals(s).map(|d| d.chinese());
        assert_eq!(d("二○一一年一月十八日"), Some("2011年1月18日".into()));
        assert_eq!(d("二〇二三年十二月三十一日"), Some("2023年12月31日".into()));
        assert_eq!(d("二〇二三年十月十日"), Some("2023年10月10日".into()));
        assert_eq!(d("二〇二三年二月三十日"), None);
        assert_eq!(d("2023年5月5日"), None);
        assert_eq!(d("二〇二三年十三月一日"), None);
    }

    #[test]
    fn quarters_halves_and_years_as_the_office_writes_them() {
        let p = |s: &str| Period::parse(s).unwrap_or_else(|| panic!("{s}"));
        for (text, first, last, label) in [
            ("2023年1~3月", 1, 3, "2023年1~3月"),
            ("2023年1－3月", 1, 3, "2023年1－3月"),
            ("2023年第一季度", 1, 3, "2023年第一季度"),
            ("2023年二季度", 4, 6, "2023年二季度"),
            ("2023年第4季度", 10, 12, "2023年第四季度"),
            ("2023年上半年", 1, 6, "2023年上半年"),
            ("2023年下半年", 7, 12, "2023年下半年"),
            ("2010年", 1, 12, "2010年"),
            ("2010年度", 1, 12, "2010年度"),
            ("2010年全年", 1, 12, "2010年"),
        ] {
            let period = p(text);
            assert_eq!(
                (period.first, period.last, period.label()),
                (first, last, label.into()),
                "{text}"
            );
        }
        assert!(Period::parse("2023年第五季度").is_none());
        assert!(Period::parse("2023年中").is_none());
        assert_eq!(p("2023年1~3月").months(), "1~3");
        assert_eq!(
            p("2023年第一季度").fill("{期间}{月}月统计表"),
            "2023年第一季度1-3月统计表"
        );
        // The next period of the same kind, written alike.
        assert_eq!(
            p("2023年第一季度").moved(3).map(|q| q.label()),
            Some("2023年第二季度".into())
        );
        assert_eq!(p("2023年第一季度").moved(1), None);
        assert_eq!(
            p("2023年下半年").moved(6).map(|q| q.label()),
            Some("2024年上半年".into())
        );
        assert_eq!(p("2023年1~3月").moved(3).map(|q| q.label()), Some("2023年4~6月".into()));
        assert_eq!(unknown_placeholders("{期间}{单位}{月}"), ["{单位}"]);
    }

    #[test]
    fn quarters_and_halves_in_text() {
        let found: Vec<(usize, usize, Option<i32>, u8, u8)> = mentions("2023年第一季度和上半年，二季度；3月份")
            .into_iter()
            .map(|m| (m.at, m.len, m.year, m.first, m.last))
            .collect();
        assert_eq!(
            found,
            [
                (0, 9, Some(2023), 1, 3),
                (10, 3, None, 1, 6),
                (14, 3, None, 4, 6),
                (18, 3, None, 3, 3)
            ]
        );
    }

    #[test]
    fn month_mentions_in_text() {
        let found = |s: &str| {
            mentions(s)
                .into_iter()
                .map(|m| (m.at, m.len, m.year, m.first, m.last, m.fen))
                .collect::<Vec<_>>()
        };
        assert_eq!(found("2023年3月份"), [(0, 8, Some(2023), 3, 3, true)]);
        assert_eq!(found("于2023年3-4月"), [(1, 9, Some(2023), 3, 4, false)]);
        assert_eq!(found("3月份转办"), [(0, 3, None, 3, 3, true)]);
        assert_eq!(found("3月至4月份"), [(0, 6, None, 3, 4, true)]);
        assert!(found("3月5日，2023年5月5日，2022年内容，3月，共17项").is_empty());
    }

    #[test]
    fn impossible_dates_say_why() {
        assert_eq!(
            Date::impossible("2023年2月30日").as_deref(),
            Some("2023年2月只有 28 天，没有30日")
        );
        assert_eq!(Date::impossible("2023年13月1日").as_deref(), Some("没有13月"));
        assert_eq!(Date::impossible("2023年5月5日"), None);
        assert_eq!(Date::impossible("西宁市城中区人民政府办公室"), None);
    }

    #[test]
    fn source_date_epoch_is_utc() {
        let t = utc(1_683_244_800).unwrap();
        assert_eq!((t.year(), u8::from(t.month()), t.day(), t.hour()), (2023, 5, 5, 0));
        let t = utc(951_782_400 + 3661).unwrap();
        assert_eq!((t.year(), u8::from(t.month()), t.day(), t.minute()), (2000, 2, 29, 1));
    }
}

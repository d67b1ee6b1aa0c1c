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

/// The period a circular reports on: one month or consecutive months of one year, ending with the
/// month of its folder (`2023年3月`, `2023年3-4月`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Period {
    pub year: i32,
    pub first: u8,
    pub last: u8,
}

impl Period {
    pub(crate) fn month(id: &MonthId) -> Period {
        Period {
            year: id.year,
            first: id.month,
            last: id.month,
        }
    }

    /// Parses `2023年3月` or `2023年3-4月` (also with －, —, ~, ～ or 至).
    pub(crate) fn parse(text: &str) -> Option<Period> {
        let t = text.trim().strip_suffix("份").unwrap_or(text.trim());
        let (y, rest) = t.split_once('年')?;
        let rest = rest.strip_suffix('月')?;
        let year: i32 = y.trim().parse().ok()?;
        let (a, b) = match rest.split_once(['-', '－', '—', '~', '～', '至']) {
            Some((a, b)) => (a.trim().trim_end_matches('月'), b.trim()),
            None => (rest.trim(), rest.trim()),
        };
        let (first, last): (u8, u8) = (a.parse().ok()?, b.parse().ok()?);
        ((1900..=9999).contains(&year) && (1..=12).contains(&first) && (first..=12).contains(&last)).then_some(Period {
            year,
            first,
            last,
        })
    }

    /// The months as the text writes them: `3` or `3-4`.
    pub(crate) fn months(&self) -> String {
        if self.first == self.last {
            self.first.to_string()
        } else {
            format!("{}-{}", self.first, self.last)
        }
    }

    /// `2023年3月` or `2023年3-4月`.
    pub(crate) fn label(&self) -> String {
        format!("{}年{}月", self.year, self.months())
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
    let offset = LOCAL_OFFSET.get().copied().unwrap_or(UtcOffset::UTC);
    let now = OffsetDateTime::now_utc().to_offset(offset);
    Date {
        year: now.year(),
        month: now.month().into(),
        day: now.day(),
    }
}

/// The wall clock as `hh:mm:ss` in the machine's time zone (UTC if it could not be read).
pub(crate) fn clock() -> String {
    let offset = LOCAL_OFFSET.get().copied().unwrap_or(UtcOffset::UTC);
    let now = OffsetDateTime::now_utc().to_offset(offset);
    format!("{:02}:{:02}:{:02}", now.hour(), now.minute(), now.second())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(Period::parse("2023年3月至4月").unwrap().months(), "3-4");
        assert!(Period::parse("2023年4-3月").is_none());
        assert!(Period::parse("三月").is_none());
        assert_eq!(
            Period::month(&MonthId::parse("2023-01").unwrap()).before().name(),
            "2022-12"
        );
    }

    #[test]
    fn source_date_epoch_is_utc() {
        let t = utc(1_683_244_800).unwrap();
        assert_eq!((t.year(), u8::from(t.month()), t.day(), t.hour()), (2023, 5, 5, 0));
        let t = utc(951_782_400 + 3661).unwrap();
        assert_eq!((t.year(), u8::from(t.month()), t.day(), t.minute()), (2000, 2, 29, 1));
    }
}

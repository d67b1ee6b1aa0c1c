//! Exact decimal numbers, as the data writes them: a count (`59`), a figure with decimals (`2.5`,
//! `99.87`), a percent (`57.10`). Stored as digits and a scale (`2.5` is 25 at scale 1), so sums,
//! comparisons and rounding are exact and what was written can be printed as written.

use std::cmp::Ordering;

/// How a number is rounded to fewer decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rounding {
    /// 四舍五入: half up (the seed's rule: 37.5% → 38%).
    HalfUp,
    /// 去尾: toward zero.
    Down,
    /// 进一: away from zero.
    Up,
}

/// `digits × 10^-scale`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Num {
    pub digits: i128,
    pub scale: u8,
}

/// Most decimals a number may have.
pub(crate) const MAX_SCALE: u8 = 6;

impl Num {
    /// A whole number.
    pub(crate) fn int(n: i128) -> Num {
        Num { digits: n, scale: 0 }
    }

    /// Parses plain decimal digits with an optional fraction (`12`, `2.5`, `-0.25`); `None` for
    /// anything else (signs other than a leading `-`, exponents, separators, more than
    /// [`MAX_SCALE`] decimals).
    pub(crate) fn parse(text: &str) -> Option<Num> {
        let (negative, t) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || (t.contains('.') && frac.is_empty()) {
            return None;
        }
        if whole.len() + frac.len() > 30 || frac.len() > usize::from(MAX_SCALE) {
            return None;
        }
        let all: i128 = format!("{whole}{frac}").parse().ok()?;
        Some(Num {
            digits: if negative { -all } else { all },
            scale: frac.len() as u8,
        })
    }

    /// The digits at scale `scale` (which must not be below this number's own: exact).
    fn at(self, scale: u8) -> i128 {
        self.digits * 10i128.pow(u32::from(scale.saturating_sub(self.scale)))
    }

    /// Whether it has no fraction.
    pub(crate) fn is_whole(self) -> bool {
        self.digits % 10i128.pow(u32::from(self.scale)) == 0
    }

    /// The sum, at the larger scale.
    pub(crate) fn add(self, other: Num) -> Num {
        let scale = self.scale.max(other.scale);
        Num {
            digits: self.at(scale) + other.at(scale),
            scale,
        }
    }

    /// The difference, at the larger scale.
    pub(crate) fn sub(self, other: Num) -> Num {
        self.add(Num {
            digits: -other.digits,
            scale: other.scale,
        })
    }

    pub(crate) fn is_zero(self) -> bool {
        self.digits == 0
    }

    pub(crate) fn is_negative(self) -> bool {
        self.digits < 0
    }

    pub(crate) fn abs(self) -> Num {
        Num {
            digits: self.digits.abs(),
            scale: self.scale,
        }
    }

    /// The number as a float, for rankings and thresholds.
    pub(crate) fn to_f64(self) -> f64 {
        self.digits as f64 / 10f64.powi(i32::from(self.scale))
    }

    /// The number rounded to `decimals` decimals.
    pub(crate) fn round(self, decimals: u8, rounding: Rounding) -> Num {
        if decimals >= self.scale {
            return Num {
                digits: self.at(decimals),
                scale: decimals,
            };
        }
        let d = 10i128.pow(u32::from(self.scale - decimals));
        Num {
            digits: divide(self.digits, d, rounding),
            scale: decimals,
        }
    }

    /// `self / other` with `decimals` decimals; `None` when `other` is zero.
    pub(crate) fn div(self, other: Num, decimals: u8, rounding: Rounding) -> Option<Num> {
        if other.digits == 0 {
            return None;
        }
        let n = self.digits * 10i128.pow(u32::from(other.scale)) * 10i128.pow(u32::from(decimals));
        let d = other.digits * 10i128.pow(u32::from(self.scale));
        Some(Num {
            digits: divide(n, d, rounding),
            scale: decimals,
        })
    }

    /// The product, exact.
    pub(crate) fn mul(self, other: Num) -> Num {
        Num {
            digits: self.digits * other.digits,
            scale: self.scale + other.scale,
        }
    }

    /// `self / other × 100` (a percent) with `decimals` decimals; `None` when `other` is zero.
    pub(crate) fn percent_of(self, other: Num, decimals: u8, rounding: Rounding) -> Option<Num> {
        self.mul(Num::int(100)).div(other, decimals, rounding)
    }

    /// The mean of `values` with `decimals` decimals; `None` when there are none.
    pub(crate) fn mean(values: &[Num], decimals: u8, rounding: Rounding) -> Option<Num> {
        let sum = values.iter().fold(Num::int(0), |a, b| a.add(*b));
        sum.div(Num::int(values.len() as i128), decimals, rounding)
    }

    /// Written with exactly its scale's decimals (`2.50` at scale 2).
    pub(crate) fn text(self) -> String {
        let scale = 10i128.pow(u32::from(self.scale));
        let sign = if self.digits < 0 { "-" } else { "" };
        let a = self.digits.abs();
        if self.scale == 0 {
            return format!("{sign}{a}");
        }
        format!(
            "{sign}{}.{:0width$}",
            a / scale,
            a % scale,
            width = usize::from(self.scale)
        )
    }

    /// Written without trailing zeros after the point (`2.5`, `50`).
    pub(crate) fn text_trimmed(self) -> String {
        let t = self.text();
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t
        }
    }
}

/// `n / d` rounded the given way (d > 0 or d < 0).
fn divide(n: i128, d: i128, rounding: Rounding) -> i128 {
    let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
    let q = n.div_euclid(d);
    let r = n.rem_euclid(d);
    let negative = n < 0;
    match rounding {
        Rounding::HalfUp => {
            // Half away from zero, as offices round.
            let magnitude = n.abs();
            let (q, r) = (magnitude / d, magnitude % d);
            let q = if 2 * r >= d { q + 1 } else { q };
            if negative { -q } else { q }
        }
        Rounding::Down if negative && r != 0 => q + 1,
        Rounding::Down => q,
        Rounding::Up if !negative && r != 0 => q + 1,
        Rounding::Up => q,
    }
}

/// In JSON a whole number is an integer and a number with decimals a float (`2.5`).
impl serde::Serialize for Num {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.is_whole() {
            match i64::try_from(self.digits / 10i128.pow(u32::from(self.scale))) {
                Ok(n) => serializer.serialize_i64(n),
                Err(_) => serializer.serialize_f64(self.to_f64()),
            }
        } else {
            serializer.serialize_f64(self.to_f64())
        }
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl PartialEq for Num {
    fn eq(&self, other: &Num) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Num {}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Num) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Num) -> Ordering {
        let scale = self.scale.max(other.scale);
        self.at(scale).cmp(&other.at(scale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Num {
        Num::parse(s).unwrap()
    }

    #[test]
    fn parsed_as_written_and_compared_exactly() {
        assert_eq!((n("2.50").digits, n("2.50").scale), (250, 2));
        assert_eq!(n("2.50"), n("2.5"));
        assert!(n("0.1") < n("0.25"));
        assert_eq!(n("57.10").text(), "57.10");
        assert_eq!(n("57.10").text_trimmed(), "57.1");
        assert_eq!(n("50").text_trimmed(), "50");
        for bad in ["", "1.", ".5", "1e3", "1,000", "+1", "1.2.3", "１２", "1.1234567"] {
            assert!(Num::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(n("1.5").add(n("2.25")).text(), "3.75");
        assert_eq!(n("1").sub(n("2.5")).text(), "-1.5");
    }

    #[test]
    fn percents_and_rounding() {
        let pct = |a: i128, b: i128, d, r| Num::int(a).percent_of(Num::int(b), d, r).map(Num::text);
        assert_eq!(pct(226, 465, 1, Rounding::HalfUp).as_deref(), Some("48.6"));
        assert_eq!(pct(3, 8, 0, Rounding::HalfUp).as_deref(), Some("38"));
        assert_eq!(pct(2, 3, 2, Rounding::Down).as_deref(), Some("66.66"));
        assert_eq!(pct(1, 3, 0, Rounding::Up).as_deref(), Some("34"));
        assert_eq!(pct(16, 28, 2, Rounding::HalfUp).as_deref(), Some("57.14"));
        assert_eq!(pct(1, 0, 0, Rounding::HalfUp), None);
        assert_eq!(n("2.45").round(1, Rounding::HalfUp).text(), "2.5");
        assert_eq!(n("-2.45").round(1, Rounding::HalfUp).text(), "-2.5");
        assert_eq!(n("2.45").round(1, Rounding::Down).text(), "2.4");
        assert_eq!(n("2.41").round(1, Rounding::Up).text(), "2.5");
        assert_eq!(
            Num::mean(&[n("4.9"), n("4.8")], 2, Rounding::HalfUp)
                .map(Num::text)
                .as_deref(),
            Some("4.85")
        );
    }
}

/// The measure words a figure may carry as a system exports it (`12件`), besides its column's own.
pub(crate) const MEASURE_WORDS: [&str; 5] = ["条", "件", "项", "份", "个"];

/// A figure as written, tidied the one way every reader tidies it (the month's files, `import`):
/// full-width digits made ASCII, thousands separators and a trailing measure word (the column's
/// or one of [`MEASURE_WORDS`]) dropped. Returns the tidied text and, when anything was dropped,
/// what (for the one warning both readers give, [`tidied_warning`]).
pub(crate) fn tidy(written: &str, measure: Option<&str>) -> (String, Option<String>) {
    let text = written.trim();
    let mut dropped = Vec::new();
    let half = crate::load::half_width_digits(text);
    if half != text {
        dropped.push("全角数字改为半角".to_string());
    }
    let mut t: String = half.chars().filter(|c| !matches!(c, ',' | '，')).collect();
    if t.len() != half.len() && t.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        dropped.push("去掉千分位逗号".to_string());
    } else {
        t = half.clone();
    }
    for m in measure.into_iter().chain(MEASURE_WORDS) {
        if let Some(rest) = t.strip_suffix(m)
            && rest.chars().last().is_some_and(|c| c.is_ascii_digit())
        {
            dropped.push(format!("去掉量词“{m}”"));
            t = rest.to_string();
            break;
        }
    }
    let note = (!dropped.is_empty()).then(|| dropped.join("、"));
    (t, note)
}

#[cfg(test)]
mod tidy_tests {
    use super::*;

    #[test]
    fn a_figure_is_tidied_one_way() {
        assert_eq!(tidy("12件", Some("件")), ("12".into(), Some("去掉量词“件”".into())));
        assert_eq!(tidy("１２", None), ("12".into(), Some("全角数字改为半角".into())));
        assert_eq!(
            tidy("1,234条", None),
            ("1234".into(), Some("去掉千分位逗号、去掉量词“条”".into()))
        );
        assert_eq!(tidy("12", None), ("12".into(), None));
        assert_eq!(tidy("件", None), ("件".into(), None));
        assert_eq!(tidy("a,b", None), ("a,b".into(), None));
    }
}

/// The warning both readers give for a figure they tidied: message and help.
pub(crate) fn tidied_warning(written: &str, tidied: &str, what: &str) -> (String, String) {
    (
        format!("“{}”按 {tidied} 读入（{what}）", written.trim()),
        format!("请只写数字 {tidied}：量词和单位由表头给出"),
    )
}

/// A stated rate as the office printed it or a system exported it: `57.10%`, `50%`, `0`, or for a
/// rate over nothing `—` (also `-`, `无`, `/`). Returns the text as it is kept and its value in
/// percent (`None` for a rate over nothing), or why it is no rate. One reading for the month's
/// files and `import`.
pub(crate) fn stated_rate(written: &str) -> Result<(String, Option<Num>), String> {
    let text = crate::load::half_width_digits(written.trim());
    if matches!(text.as_str(), "—" | "-" | "－" | "无" | "/") {
        return Ok((text, None));
    }
    let number = text.trim_end_matches(['%', '％']).trim();
    match Num::parse(number) {
        Some(n) if !n.is_negative() => Ok((text.replace('％', "%"), Some(n))),
        _ => Err(format!("“{text}”不是比率")),
    }
}

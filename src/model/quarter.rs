//! `Quarter`: the calendar quarter every figure is counted in, written `2024Q3`.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar quarter. Orders by time; `2024Q4 < 2025Q1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    year: i32,
    /// 1..=4
    q: u8,
}

/// Why a text is not a quarter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a quarter; write it like 2024Q3")]
pub struct QuarterParseError(pub String);

const ZH_ORDINALS: [&str; 4] = ["一", "二", "三", "四"];

impl Quarter {
    /// The quarter `q` (1..=4) of `year`; `None` when `q` is out of range.
    pub fn new(year: i32, q: u8) -> Option<Self> {
        (1..=4).contains(&q).then_some(Self { year, q })
    }

    /// The quarter a date falls in.
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            q: (date.month0() / 3 + 1) as u8,
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1..=4
    pub fn number(self) -> u8 {
        self.q
    }

    /// Quarters since year 0: consecutive quarters differ by one.
    pub fn index(self) -> i32 {
        self.year * 4 + i32::from(self.q) - 1
    }

    /// The inverse of [`Quarter::index`].
    pub fn from_index(index: i32) -> Self {
        Self {
            year: index.div_euclid(4),
            q: (index.rem_euclid(4) + 1) as u8,
        }
    }

    pub fn next(self) -> Self {
        Self::from_index(self.index() + 1)
    }

    pub fn prev(self) -> Self {
        Self::from_index(self.index() - 1)
    }

    /// The same quarter one year earlier.
    pub fn year_before(self) -> Self {
        Self::from_index(self.index() - 4)
    }

    /// `self` moved by `n` quarters (negative goes back).
    pub fn offset(self, n: i32) -> Self {
        Self::from_index(self.index() + n)
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, u32::from(self.q) * 3 - 2, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    /// Whether `date` falls in this quarter.
    pub fn contains(self, date: NaiveDate) -> bool {
        Self::of(date) == self
    }

    /// The last quarter that has fully closed on `today`.
    pub fn last_closed(today: NaiveDate) -> Self {
        Self::of(today).prev()
    }

    /// `count` consecutive quarters starting at `self`.
    pub fn range(self, count: usize) -> impl Iterator<Item = Quarter> {
        (0..count as i32).map(move |i| self.offset(i))
    }

    /// Every quarter from `self` to `last`, both included.
    pub fn through(self, last: Quarter) -> impl Iterator<Item = Quarter> {
        (self.index()..=last.index()).map(Self::from_index)
    }

    /// The Chinese label, `2024年三季度`.
    pub fn label_zh(self) -> String {
        format!(
            "{}年{}季度",
            self.year,
            ZH_ORDINALS[usize::from(self.q - 1)]
        )
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.q)
    }
}

impl FromStr for Quarter {
    type Err = QuarterParseError;

    /// Accepts `2024Q3`, `2024q3` and `2024-Q3`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || QuarterParseError(s.to_string());
        let t = s.trim();
        let (y, q) = t.split_once(['Q', 'q']).ok_or_else(err)?;
        let y = y.strip_suffix('-').unwrap_or(y);
        if y.len() != 4 || q.len() != 1 {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let q: u8 = q.parse().map_err(|_| err())?;
        Self::new(year, q).ok_or_else(err)
    }
}

impl Serialize for Quarter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quarter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// `--quarter`: a quarter like 2024Q3, or `auto` for the last closed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuarterArg {
    Auto,
    Given(Quarter),
}

impl FromStr for QuarterArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("auto") {
            Ok(QuarterArg::Auto)
        } else {
            s.parse()
                .map(QuarterArg::Given)
                .map_err(|e: QuarterParseError| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn parses_and_prints() {
        let q: Quarter = "2024Q3".parse().expect("parses");
        assert_eq!(q, Quarter::new(2024, 3).expect("valid"));
        assert_eq!(q.to_string(), "2024Q3");
        assert_eq!("2024q3".parse::<Quarter>(), Ok(q));
        assert_eq!("2024-Q3".parse::<Quarter>(), Ok(q));
        for bad in ["2024Q5", "2024Q0", "24Q1", "2024", "Q3", "2024Q31", ""] {
            assert!(bad.parse::<Quarter>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn derives_from_dates_at_the_edges() {
        assert_eq!(Quarter::of(d(2024, 1, 1)).to_string(), "2024Q1");
        assert_eq!(Quarter::of(d(2024, 3, 31)).to_string(), "2024Q1");
        assert_eq!(Quarter::of(d(2024, 4, 1)).to_string(), "2024Q2");
        assert_eq!(Quarter::of(d(2024, 12, 31)).to_string(), "2024Q4");
        let q = Quarter::new(2024, 1).expect("valid");
        assert_eq!(q.first_day(), d(2024, 1, 1));
        assert_eq!(q.last_day(), d(2024, 3, 31));
        assert_eq!(
            Quarter::new(2024, 4).expect("valid").last_day(),
            d(2024, 12, 31)
        );
    }

    #[test]
    fn iterates_and_orders_across_years() {
        let q4 = Quarter::new(2023, 4).expect("valid");
        assert_eq!(q4.next().to_string(), "2024Q1");
        assert_eq!(q4.next().prev(), q4);
        assert_eq!(q4.year_before().to_string(), "2022Q4");
        assert!(q4 < q4.next());
        let all: Vec<String> = Quarter::new(2022, 1)
            .expect("valid")
            .range(12)
            .map(|q| q.to_string())
            .collect();
        assert_eq!(all.len(), 12);
        assert_eq!(all[0], "2022Q1");
        assert_eq!(all[11], "2024Q4");
        let through: Vec<Quarter> = q4.through(q4.offset(2)).collect();
        assert_eq!(through.len(), 3);
        assert_eq!(Quarter::from_index(q4.index()), q4);
    }

    #[test]
    fn last_closed_quarter_and_chinese_label() {
        assert_eq!(Quarter::last_closed(d(2025, 1, 2)).to_string(), "2024Q4");
        assert_eq!(Quarter::last_closed(d(2024, 7, 1)).to_string(), "2024Q2");
        assert_eq!(
            Quarter::new(2024, 3).expect("valid").label_zh(),
            "2024年三季度"
        );
    }
}

//! Coercion of one text cell into a contract value: dates in the forms
//! exports use, booleans, numbers, enumeration labels, and full-width
//! characters folded to half-width.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDate;

use super::quarantine::Reason;

use crate::model::enums::{EnumValue, fold};

fn full_width(c: char) -> bool {
    matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}')
}

/// Full-width ASCII variants and the ideographic space to their half-width
/// forms (borrowed when there are none, as in most cells).
pub fn half_width(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || !s.chars().any(full_width) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                c => c,
            })
            .collect(),
    )
}

/// Excel's day 0 in the 1900 system (serial 1 = 1900-01-01, with the
/// 1900 leap-year bug accounted for by starting at 1899-12-30).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or(NaiveDate::MIN)
}

/// Serial numbers accepted as Excel dates: 1954-10-… to 2173-….
const EXCEL_SERIALS: std::ops::RangeInclusive<i64> = 20_000..=100_000;

/// Parses `2024-03-05`, `2024/3/5`, `2024.3.5`, `2024年3月5日`, `20240305`,
/// an Excel serial number, and any of these followed by a time.
pub fn date(raw: &str) -> Result<NaiveDate, Reason> {
    if let Some(d) = iso_date(raw.as_bytes()) {
        return Ok(d);
    }
    let s = half_width(raw);
    let s = s.trim();
    // Drop a trailing time ("2024-03-05 00:00:00", "2024-03-05T08:30").
    let day = s.split([' ', 'T']).next().unwrap_or(s);
    if day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(day, "%Y%m%d").map_err(|_| Reason::BadDate);
    }
    if let Ok(n) = day.parse::<f64>() {
        let whole = n.trunc() as i64;
        if EXCEL_SERIALS.contains(&whole) {
            return Ok(excel_epoch() + chrono::Duration::days(whole));
        }
        return Err(Reason::BadDate);
    }
    let parts: Vec<&str> = day
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    if let [y, m, d] = parts[..]
        && y.len() == 4
    {
        let (y, m, d) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>());
        if let (Ok(y), Ok(m), Ok(d)) = (y, m, d) {
            return NaiveDate::from_ymd_opt(y, m, d).ok_or(Reason::BadDate);
        }
    }
    Err(Reason::BadDate)
}

/// `YYYY-MM-DD` exactly, without allocating (the common case).
fn iso_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// Parses 是/否, 有/无, Y/N, yes/no, true/false, 1/0, √/×.
pub fn boolean(raw: &str) -> Result<bool, Reason> {
    match raw {
        "是" | "1" | "true" => return Ok(true),
        "否" | "0" | "false" => return Ok(false),
        _ => {}
    }
    let s = half_width(raw).trim().to_lowercase();
    match s.as_str() {
        "是" | "有" | "y" | "yes" | "true" | "t" | "1" | "√" | "已署名" | "署名" => {
            Ok(true)
        }
        "否" | "无" | "n" | "no" | "false" | "f" | "0" | "×" | "匿名" | "未署名" => {
            Ok(false)
        }
        _ => Err(Reason::BadBool),
    }
}

/// Parses a whole number within `min..=max` (`3.0` is accepted, `3.5` is not).
pub fn integer(raw: &str, min: i64, max: i64) -> Result<i64, Reason> {
    let s = half_width(raw).replace([',', ' '], "");
    let v = match s.parse::<i64>() {
        Ok(v) => v,
        Err(_) => match s.parse::<f64>() {
            Ok(f) if f.fract() == 0.0 && f.is_finite() => f as i64,
            _ => return Err(Reason::BadNumber),
        },
    };
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(Reason::OutOfRange { min, max })
    }
}

/// Parses a non-negative amount: `1,234.50`, `￥1234.5`, `1234.5元`.
pub fn amount(raw: &str) -> Result<f64, Reason> {
    let s = half_width(raw).replace([',', ' ', '¥', '￥', '元'], "");
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(_) => Err(Reason::OutOfRange {
            min: 0,
            max: i64::MAX,
        }),
        Err(_) => Err(Reason::BadNumber),
    }
}

/// Finds enumeration values by code, label or alias, as
/// [`crate::model::enums::parse_value`] does, from tables built once per
/// column: a cell costs one hash lookup (two when it needs folding).
#[derive(Debug, Clone)]
pub struct EnumLookup {
    exact: HashMap<&'static str, &'static str>,
    folded: HashMap<String, &'static str>,
    allowed: String,
}

impl EnumLookup {
    pub fn new(values: &'static [EnumValue]) -> Self {
        let mut exact = HashMap::new();
        let mut folded = HashMap::new();
        for v in values {
            for label in [v.code, v.zh, v.en].iter().chain(v.aliases) {
                exact.entry(*label).or_insert(v.code);
                folded.entry(fold(label)).or_insert(v.code);
            }
        }
        let allowed = values.iter().map(|v| v.zh).collect::<Vec<_>>().join("、");
        EnumLookup {
            exact,
            folded,
            allowed,
        }
    }

    /// The code `raw` names.
    pub fn get(&self, raw: &str) -> Result<&'static str, Reason> {
        if let Some(code) = self.exact.get(raw) {
            return Ok(code);
        }
        self.folded
            .get(&fold(&half_width(raw)))
            .copied()
            .ok_or_else(|| Reason::UnknownValue {
                allowed: self.allowed.clone(),
            })
    }
}

/// An identifier: half-width, trimmed.
pub fn id(raw: &str) -> Cow<'_, str> {
    match half_width(raw) {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
        Cow::Owned(o) => Cow::Owned(o.trim().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KeyField;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid")
    }

    #[test]
    fn dates_in_every_export_form() {
        for raw in [
            "2024-03-05",
            "2024/3/5",
            "2024.3.5",
            "2024年3月5日",
            "20240305",
            "45356",
            "２０２４－０３－０５",
            "2024-03-05 00:00:00",
            " 2024/03/05 ",
        ] {
            assert_eq!(date(raw), Ok(d(2024, 3, 5)), "{raw}");
        }
        for raw in [
            "2024-13-01",
            "2024-02-30",
            "三月五日",
            "05/03/2024",
            "12",
            "2024-3",
        ] {
            assert_eq!(date(raw), Err(Reason::BadDate), "{raw}");
        }
    }

    #[test]
    fn booleans_numbers_and_amounts() {
        assert_eq!(boolean("是"), Ok(true));
        assert_eq!(boolean("Ｙ"), Ok(true));
        assert_eq!(boolean("false"), Ok(false));
        assert_eq!(boolean("0"), Ok(false));
        assert_eq!(boolean("也许"), Err(Reason::BadBool));
        assert_eq!(integer("３", 1, 4), Ok(3));
        assert_eq!(integer("3.0", 1, 4), Ok(3));
        assert_eq!(
            integer("5", 1, 4),
            Err(Reason::OutOfRange { min: 1, max: 4 })
        );
        assert_eq!(integer("三", 1, 4), Err(Reason::BadNumber));
        assert_eq!(amount("￥1,234.50"), Ok(1234.5));
        assert_eq!(
            amount("-1"),
            Err(Reason::OutOfRange {
                min: 0,
                max: i64::MAX
            })
        );
    }

    #[test]
    fn the_lookup_agrees_with_the_contract_parser() {
        use crate::model::enums::parse_value;
        use crate::model::{Channel, Discipline, PersonRole, UnitLevel};
        for values in [
            KeyField::VALUES,
            Channel::VALUES,
            Discipline::VALUES,
            PersonRole::VALUES,
            UnitLevel::VALUES,
        ] {
            let lookup = EnumLookup::new(values);
            for v in values {
                for label in [v.code, v.zh, v.en].iter().chain(v.aliases) {
                    for raw in [
                        label.to_string(),
                        format!(" {label} "),
                        label.to_uppercase(),
                        label.replace('_', " "),
                    ] {
                        let want = parse_value(values, &half_width(&raw)).map(|x| x.code);
                        assert_eq!(lookup.get(&raw).ok(), want, "{raw}");
                    }
                }
            }
            assert!(lookup.get("不存在的值").is_err());
        }
    }

    #[test]
    fn enumerations_from_either_language() {
        assert_eq!(
            EnumLookup::new(KeyField::VALUES).get("工程建设"),
            Ok("construction")
        );
        assert_eq!(
            EnumLookup::new(KeyField::VALUES).get("Ｌａｎｄ"),
            Ok("land")
        );
        let e = EnumLookup::new(KeyField::VALUES)
            .get("教育")
            .expect_err("unknown");
        assert!(matches!(e, Reason::UnknownValue { ref allowed } if allowed.contains("工程建设")));
    }
}

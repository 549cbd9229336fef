//! A flag's identity and its history: the same id every time the same
//! quarter is published, and whether the flag is new, continues last
//! quarter's (连续第N个季度) or returns after a gap; last quarter's flags
//! no longer raised (已回落). The history is the store's record of the
//! flags each quarter published (`store/derived/flag_record.parquet`).

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::model::{Flag, Quarter};

/// The derived table of the published flags.
pub const RECORD: &str = "flag_record";

/// What identifies a flag across quarters: detector, unit, person, field,
/// subject.
pub type FlagKey = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn key(f: &Flag) -> FlagKey {
    (
        f.detector.to_string(),
        f.unit_id.clone(),
        f.person_id.clone(),
        f.field.map(|x| x.code().to_string()),
        f.subject.map(str::to_string),
    )
}

/// The flag's id: its quarter and a digest of detector, unit, person,
/// field, subject, quarter and window, e.g. `2024Q4-3f9a2c1b7d`.
pub fn flag_id(f: &Flag) -> String {
    let (detector, unit, person, field, subject) = key(f);
    let mut h = Sha256::new();
    for part in [
        detector.as_str(),
        unit.as_str(),
        person.as_deref().unwrap_or(""),
        field.as_deref().unwrap_or(""),
        subject.as_deref().unwrap_or(""),
        &f.quarter.to_string(),
        &f.window.to_string(),
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    format!("{}-{}", f.quarter, &hex::encode(h.finalize())[..10])
}

/// A published flag, as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedFlag {
    pub quarter: Quarter,
    pub id: String,
    pub key: FlagKey,
    pub unit_name: String,
    pub sentence_zh: String,
    pub sentence_en: String,
}

/// Where a flag stands against the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuity {
    /// Not raised by the same detector in any recorded quarter.
    New,
    /// Raised last quarter too: this is the `n`-th quarter in a row.
    Continuing(u32),
    /// Raised before, not last quarter: back after a gap.
    Returning(Quarter),
    /// The store holds no published quarter before this one.
    Unknown,
}

impl Continuity {
    pub fn code(self) -> &'static str {
        match self {
            Continuity::New => "new",
            Continuity::Continuing(_) => "continuing",
            Continuity::Returning(_) => "returning",
            Continuity::Unknown => "unknown",
        }
    }

    pub fn zh(self) -> String {
        match self {
            Continuity::New => "新出现".into(),
            Continuity::Continuing(n) => format!("连续第{n}个季度"),
            Continuity::Returning(q) => format!("再次出现（上次为{q}）"),
            Continuity::Unknown => "此前无发布记录".into(),
        }
    }

    pub fn en(self) -> String {
        match self {
            Continuity::New => "new".into(),
            Continuity::Continuing(n) => format!("{n} quarters in a row"),
            Continuity::Returning(q) => format!("back (last in {q})"),
            Continuity::Unknown => "no earlier publication".into(),
        }
    }

    /// Quarters in a row, this one included (0 when not known).
    pub fn quarters_running(self) -> u32 {
        match self {
            Continuity::Continuing(n) => n,
            Continuity::New | Continuity::Returning(_) => 1,
            Continuity::Unknown => 0,
        }
    }
}

/// The flags of `quarter` against the record of earlier quarters: each
/// flag's standing (by id), and last quarter's flags no longer raised
/// (`None` when the record does not hold last quarter).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlagHistory {
    pub standing: BTreeMap<String, Continuity>,
    pub subsided: Option<Vec<RecordedFlag>>,
}

impl FlagHistory {
    pub fn of(&self, f: &Flag) -> Continuity {
        self.standing
            .get(&flag_id(f))
            .copied()
            .unwrap_or(Continuity::Unknown)
    }
}

/// Each flag's standing and the flags that subsided, from the record.
pub fn history(flags: &[Flag], quarter: Quarter, record: &[RecordedFlag]) -> FlagHistory {
    let earlier: Vec<&RecordedFlag> = record.iter().filter(|r| r.quarter < quarter).collect();
    let mut by_quarter: BTreeMap<Quarter, BTreeSet<&FlagKey>> = BTreeMap::new();
    for r in &earlier {
        by_quarter.entry(r.quarter).or_default().insert(&r.key);
    }
    let standing = flags
        .iter()
        .map(|f| {
            let k = key(f);
            let c = if by_quarter.is_empty() {
                Continuity::Unknown
            } else {
                let mut n = 1;
                let mut q = quarter.prev();
                while by_quarter.get(&q).is_some_and(|keys| keys.contains(&k)) {
                    n += 1;
                    q = q.prev();
                }
                match (
                    n,
                    by_quarter.iter().rev().find(|(_, keys)| keys.contains(&k)),
                ) {
                    (n, _) if n > 1 => Continuity::Continuing(n),
                    (_, Some((last, _))) => Continuity::Returning(*last),
                    _ => Continuity::New,
                }
            };
            (flag_id(f), c)
        })
        .collect();
    let now: BTreeSet<FlagKey> = flags.iter().map(key).collect();
    let subsided = by_quarter.contains_key(&quarter.prev()).then(|| {
        earlier
            .iter()
            .filter(|r| r.quarter == quarter.prev() && !now.contains(&r.key))
            .map(|r| (*r).clone())
            .collect()
    });
    FlagHistory { standing, subsided }
}

/// The record with `quarter`'s rows replaced by `flags`.
pub fn recorded(record: &[RecordedFlag], quarter: Quarter, flags: &[Flag]) -> Vec<RecordedFlag> {
    let mut out: Vec<RecordedFlag> = record
        .iter()
        .filter(|r| r.quarter != quarter)
        .cloned()
        .collect();
    out.extend(flags.iter().map(|f| RecordedFlag {
        quarter,
        id: flag_id(f),
        key: key(f),
        unit_name: f.unit_name.clone(),
        sentence_zh: f.sentence_zh.clone(),
        sentence_en: f.sentence_en.clone(),
    }));
    out.sort_by(|a, b| a.quarter.cmp(&b.quarter).then_with(|| a.id.cmp(&b.id)));
    out
}

const COLUMNS: [&str; 10] = [
    "quarter",
    "flag_id",
    "detector",
    "unit_id",
    "unit_name",
    "person_id",
    "field",
    "sentence_zh",
    "sentence_en",
    "subject",
];

/// The record as a table.
pub fn record_frame(record: &[RecordedFlag]) -> PolarsResult<DataFrame> {
    let r = record;
    let text = |i: usize, v: Vec<String>| Column::new(COLUMNS[i].into(), v);
    let maybe = |i: usize, v: Vec<Option<String>>| Column::new(COLUMNS[i].into(), v);
    DataFrame::new(
        r.len(),
        vec![
            text(0, r.iter().map(|x| x.quarter.to_string()).collect()),
            text(1, r.iter().map(|x| x.id.clone()).collect()),
            text(2, r.iter().map(|x| x.key.0.clone()).collect()),
            text(3, r.iter().map(|x| x.key.1.clone()).collect()),
            text(4, r.iter().map(|x| x.unit_name.clone()).collect()),
            maybe(5, r.iter().map(|x| x.key.2.clone()).collect()),
            maybe(6, r.iter().map(|x| x.key.3.clone()).collect()),
            text(7, r.iter().map(|x| x.sentence_zh.clone()).collect()),
            text(8, r.iter().map(|x| x.sentence_en.clone()).collect()),
            maybe(9, r.iter().map(|x| x.key.4.clone()).collect()),
        ],
    )
}

/// The record from its table (rows without a valid quarter are skipped).
pub fn read_record(df: &DataFrame) -> PolarsResult<Vec<RecordedFlag>> {
    let col = |i: usize| df.column(COLUMNS[i]).and_then(|c| c.str().cloned());
    let c: Vec<StringChunked> = (0..COLUMNS.len()).map(col).collect::<PolarsResult<_>>()?;
    let text = |i: usize, row: usize| c[i].get(row).unwrap_or("").to_string();
    let maybe = |i: usize, row: usize| c[i].get(row).map(str::to_string);
    Ok((0..df.height())
        .filter_map(|row| {
            Some(RecordedFlag {
                quarter: c[0].get(row)?.parse().ok()?,
                id: text(1, row),
                key: (
                    text(2, row),
                    text(3, row),
                    maybe(5, row),
                    maybe(6, row),
                    maybe(9, row),
                ),
                unit_name: text(4, row),
                sentence_zh: text(7, row),
                sentence_en: text(8, row),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(detector: &'static str, unit: &str, quarter: &str) -> Flag {
        Flag {
            sentence_zh: format!("{unit}{quarter}"),
            ..Flag::example(detector, unit, quarter.parse().expect("quarter"))
        }
    }

    #[test]
    fn the_id_is_stable_and_names_what_the_flag_is_about() {
        let a = flag("concentration", "D1", "2024Q4");
        assert_eq!(flag_id(&a), flag_id(&a.clone()));
        assert!(flag_id(&a).starts_with("2024Q4-") && flag_id(&a).len() == 17);
        let mut b = a.clone();
        b.window = 2;
        assert_ne!(flag_id(&a), flag_id(&b), "the window is part of it");
        let mut c = a.clone();
        c.sentence_zh = "another wording".into();
        assert_eq!(flag_id(&a), flag_id(&c), "the wording is not");
    }

    #[test]
    fn new_continuing_returning_and_subsided() {
        let q = |s: &str| -> Quarter { s.parse().expect("quarter") };
        let mut record = Vec::new();
        for (quarter, units) in [
            ("2024Q1", vec!["A", "C"]),
            ("2024Q2", vec!["A"]),
            ("2024Q3", vec!["A", "D"]),
        ] {
            let flags: Vec<Flag> = units
                .iter()
                .map(|u| flag("concentration", u, quarter))
                .collect();
            record = recorded(&record, q(quarter), &flags);
        }
        let now = [
            flag("concentration", "A", "2024Q4"),
            flag("concentration", "B", "2024Q4"),
            flag("concentration", "C", "2024Q4"),
            flag("key_field", "D", "2024Q4"),
        ];
        let h = history(&now, q("2024Q4"), &record);
        assert_eq!(h.of(&now[0]), Continuity::Continuing(4));
        assert_eq!(h.of(&now[1]), Continuity::New);
        assert_eq!(h.of(&now[2]), Continuity::Returning(q("2024Q1")));
        assert_eq!(h.of(&now[3]), Continuity::New, "another detector");
        let gone: Vec<&str> = h
            .subsided
            .as_ref()
            .expect("last quarter recorded")
            .iter()
            .map(|r| r.key.1.as_str())
            .collect();
        assert_eq!(gone, ["D"]);
        // Without a record: not known, and nothing said to subside.
        let h = history(&now, q("2024Q4"), &[]);
        assert_eq!(h.of(&now[0]), Continuity::Unknown);
        assert_eq!(h.subsided, None);
        // The record survives its table.
        let back = read_record(&record_frame(&record).expect("frame")).expect("read");
        assert_eq!(back, record);
        // Publishing a quarter again replaces its rows.
        let again = recorded(
            &record,
            q("2024Q3"),
            &[flag("concentration", "A", "2024Q3")],
        );
        assert_eq!(again.len(), record.len() - 1);
    }
}

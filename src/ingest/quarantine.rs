//! The quarantine: every rejected row with where it was and why, in Chinese
//! and English. Raw reporter identities never enter it.

use std::path::PathBuf;

use polars::prelude::*;

/// Why a cell or row was rejected.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    Missing,
    BadDate,
    FutureDate,
    /// Before `[ingest] earliest_date`.
    TooEarly {
        earliest: String,
    },
    /// Longer than a spreadsheet cell holds.
    TooLong {
        chars: usize,
    },
    BadBool,
    BadNumber,
    OutOfRange {
        min: i64,
        max: i64,
    },
    UnknownValue {
        allowed: String,
    },
    DuplicateId {
        first: String,
    },
    UnknownUnit,
    UnknownParent,
    Cycle,
    /// The date is before the column named here.
    DateOrder {
        before: &'static str,
    },
    RectifiedMissing,
    /// A talk (谈心谈话, 任职廉政谈话) that names no one.
    TalkWithoutPerson,
    /// A disposition that names neither a flag id nor the flag's type and
    /// quarter.
    FlagUnidentified,
    /// Not a quarter such as `2024Q3`.
    BadQuarter,
    FieldCount {
        expected: usize,
        found: usize,
    },
}

impl Reason {
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Missing => "missing",
            Reason::BadDate => "bad_date",
            Reason::FutureDate => "future_date",
            Reason::TooEarly { .. } => "too_early",
            Reason::TooLong { .. } => "too_long",
            Reason::BadBool => "bad_bool",
            Reason::BadNumber => "bad_number",
            Reason::OutOfRange { .. } => "out_of_range",
            Reason::UnknownValue { .. } => "unknown_value",
            Reason::DuplicateId { .. } => "duplicate_id",
            Reason::UnknownUnit => "unknown_unit",
            Reason::UnknownParent => "unknown_parent",
            Reason::Cycle => "cycle",
            Reason::DateOrder { .. } => "date_order",
            Reason::RectifiedMissing => "rectified_missing",
            Reason::TalkWithoutPerson => "talk_without_person",
            Reason::FlagUnidentified => "flag_unidentified",
            Reason::BadQuarter => "bad_quarter",
            Reason::FieldCount { .. } => "field_count",
        }
    }

    pub fn zh(&self) -> String {
        match self {
            Reason::Missing => "必填项为空".into(),
            Reason::BadDate => "无法识别的日期".into(),
            Reason::FutureDate => "日期晚于今天".into(),
            Reason::TooEarly { earliest } => format!("日期早于{earliest}，不合常理"),
            Reason::TooLong { chars } => format!("单元格有{chars}个字符，超过32767个字符的上限"),
            Reason::BadBool => "应为“是”或“否”".into(),
            Reason::BadNumber => "无法识别的数字".into(),
            Reason::OutOfRange { min, max: i64::MAX } => format!("数值应不小于{min}"),
            Reason::OutOfRange { min, max } => format!("数值应在{min}至{max}之间"),
            Reason::UnknownValue { allowed } => format!("不在可选值内（可选：{allowed}）"),
            Reason::DuplicateId { first } => format!("编号重复（首次出现在{first}）"),
            Reason::UnknownUnit => "单位编码在组织单位表中不存在".into(),
            Reason::UnknownParent => "上级单位编码在组织单位表中不存在".into(),
            Reason::Cycle => "上级单位关系形成循环".into(),
            Reason::DateOrder { before } => format!("日期早于{before}"),
            Reason::RectifiedMissing => "整改状态为已完成但缺少整改完成日期".into(),
            Reason::TalkWithoutPerson => "谈话类活动缺少谈话对象".into(),
            Reason::FlagUnidentified => "既无预警编号，也无预警类型和预警季度".into(),
            Reason::BadQuarter => "应为季度，如2024Q3".into(),
            Reason::FieldCount { expected, found } => {
                format!("本行有{found}列，表头有{expected}列")
            }
        }
    }

    pub fn en(&self) -> String {
        match self {
            Reason::Missing => "required value is empty".into(),
            Reason::BadDate => "not a recognised date".into(),
            Reason::FutureDate => "date is in the future".into(),
            Reason::TooEarly { earliest } => {
                format!("date is before {earliest} ([ingest] earliest_date)")
            }
            Reason::TooLong { chars } => {
                format!("cell of {chars} characters, over the 32,767 a spreadsheet cell holds")
            }
            Reason::BadBool => "expected yes/no (是/否)".into(),
            Reason::BadNumber => "not a number".into(),
            Reason::OutOfRange { min, max: i64::MAX } => format!("must be at least {min}"),
            Reason::OutOfRange { min, max } => format!("must be between {min} and {max}"),
            Reason::UnknownValue { allowed } => {
                format!("not an allowed value (allowed: {allowed})")
            }
            Reason::DuplicateId { first } => format!("duplicate id (first seen at {first})"),
            Reason::UnknownUnit => "unit_id not found in units".into(),
            Reason::UnknownParent => "parent_id not found in units".into(),
            Reason::Cycle => "parent links form a cycle".into(),
            Reason::DateOrder { before } => format!("date is before {before}"),
            Reason::RectifiedMissing => "status is done but rectified_on is empty".into(),
            Reason::TalkWithoutPerson => "a talk without the person talked to".into(),
            Reason::FlagUnidentified => {
                "names neither a flag id nor the flag's type and quarter".into()
            }
            Reason::BadQuarter => "not a quarter such as 2024Q3".into(),
            Reason::FieldCount { expected, found } => {
                format!("row has {found} fields, the header has {expected}")
            }
        }
    }
}

/// One rejected cell (a row may have several).
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub dataset: &'static str,
    pub file: PathBuf,
    pub sheet: Option<String>,
    /// The row as the user sees it in Excel or a text editor (1-based).
    pub row: u64,
    /// The source header (or the contract label when the whole row is at fault).
    pub column: String,
    /// The raw value; empty for identities, which are never kept.
    pub value: String,
    pub reason: Reason,
}

/// All rejections of a load.
#[derive(Debug, Default, Clone)]
pub struct Quarantine {
    pub rows: Vec<Rejection>,
}

impl Quarantine {
    /// Column names of the quarantine table.
    pub const COLUMNS: [&'static str; 9] = [
        "dataset",
        "file",
        "sheet",
        "row",
        "column",
        "value",
        "reason_code",
        "reason_zh",
        "reason_en",
    ];

    /// The table, sorted by file, row and column.
    pub fn to_frame(&self) -> PolarsResult<DataFrame> {
        let mut rows: Vec<&Rejection> = self.rows.iter().collect();
        rows.sort_by(|a, b| (&a.file, a.row, &a.column).cmp(&(&b.file, b.row, &b.column)));
        let s = |name: &str, v: Vec<String>| Column::new(name.into(), v);
        let c = Self::COLUMNS;
        DataFrame::new_infer_height(vec![
            s(c[0], rows.iter().map(|r| r.dataset.to_string()).collect()),
            s(
                c[1],
                rows.iter().map(|r| r.file.display().to_string()).collect(),
            ),
            s(
                c[2],
                rows.iter()
                    .map(|r| r.sheet.clone().unwrap_or_default())
                    .collect(),
            ),
            Column::new(
                c[3].into(),
                rows.iter().map(|r| r.row).collect::<Vec<u64>>(),
            ),
            s(c[4], rows.iter().map(|r| r.column.clone()).collect()),
            s(c[5], rows.iter().map(|r| r.value.clone()).collect()),
            s(
                c[6],
                rows.iter().map(|r| r.reason.code().to_string()).collect(),
            ),
            s(c[7], rows.iter().map(|r| r.reason.zh()).collect()),
            s(c[8], rows.iter().map(|r| r.reason.en()).collect()),
        ])
    }
}

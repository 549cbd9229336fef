//! From text cells to the contract's typed columns. Every cell that fails
//! becomes a rejection; a row with any rejection is left out of the typed
//! frame, so `rows read = rows accepted + rows quarantined`.

use std::borrow::Cow;

use polars::prelude::*;
use rayon::prelude::*;

use super::coerce;
use super::header::Mapping;
use super::pseudonym::Pseudonymiser;
use super::quarantine::{Reason, Rejection};
use super::raw_table::RawTable;
use crate::model::{ColumnSpec, Dataset, Kind};

/// Internal provenance columns, dropped before the store.
pub const SOURCE_FILE: &str = "__file";
pub const SOURCE_ROW: &str = "__row";
pub const SOURCE_SHEET: &str = "__sheet";

enum Values<'a> {
    /// Text borrowed from the table (or enumeration codes) where it is
    /// stored as read: no copy per cell.
    Str(Vec<Option<Cow<'a, str>>>),
    Date(Vec<Option<i32>>),
    Bool(Vec<Option<bool>>),
    Int(Vec<Option<i32>>),
    Float(Vec<Option<f64>>),
}

fn days(d: chrono::NaiveDate) -> i32 {
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(chrono::NaiveDate::MIN)).num_days()
        as i32
}

/// Coerces one column; returns its values and (row index, reason) failures.
fn coerce_column<'a>(
    table: &'a RawTable,
    spec: &ColumnSpec,
    src: Option<usize>,
    pseudo: Option<&Pseudonymiser>,
) -> (Values<'a>, Vec<(usize, Reason)>) {
    let n = table.len();
    let mut errs = Vec::new();
    let cell = |r: usize| src.and_then(|c| table.cell(r, c));
    macro_rules! each {
        ($f:expr) => {{
            let mut v = Vec::with_capacity(n);
            for r in 0..n {
                match cell(r) {
                    None => {
                        if spec.required {
                            errs.push((r, Reason::Missing));
                        }
                        v.push(None);
                    }
                    Some(raw) => match $f(raw) {
                        Ok(x) => v.push(Some(x)),
                        Err(e) => {
                            errs.push((r, e));
                            v.push(None);
                        }
                    },
                }
            }
            v
        }};
    }
    let values = match spec.kind {
        Kind::Text => Values::Str(each!(|raw: &'a str| Ok::<_, Reason>(Cow::Borrowed(raw)))),
        Kind::Id => Values::Str(each!(|raw: &'a str| Ok::<_, Reason>(coerce::id(raw)))),
        Kind::Pseudonym => Values::Str(each!(|raw: &str| match pseudo {
            Some(p) => Ok(Cow::Owned(p.key_of(raw))),
            None => Err(Reason::Missing),
        })),
        Kind::Enum(values) => {
            let lookup = coerce::EnumLookup::new(values);
            Values::Str(each!(|raw: &str| lookup.get(raw).map(Cow::Borrowed)))
        }
        Kind::Date => Values::Date(each!(|raw: &str| coerce::date(raw).map(days))),
        Kind::Bool => Values::Bool(each!(coerce::boolean)),
        Kind::Int { min, max } => Values::Int(each!(
            |raw: &str| coerce::integer(raw, min, max).map(|v| v as i32)
        )),
        Kind::Amount => Values::Float(each!(coerce::amount)),
    };
    (values, errs)
}

fn to_column(name: &str, values: Values<'_>, keep: &[bool]) -> PolarsResult<Column> {
    fn pick<T>(v: Vec<Option<T>>, keep: &[bool]) -> Vec<Option<T>> {
        if keep.iter().all(|k| *k) {
            return v;
        }
        v.into_iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(x, _)| x)
            .collect()
    }
    let name: PlSmallStr = name.into();
    Ok(match values {
        Values::Str(v) => StringChunked::from_slice_options(name, &pick(v, keep)).into_column(),
        Values::Date(v) => Column::new(name, pick(v, keep)).cast(&DataType::Date)?,
        Values::Bool(v) => Column::new(name, pick(v, keep)),
        Values::Int(v) => Column::new(name, pick(v, keep)),
        Values::Float(v) => Column::new(name, pick(v, keep)),
    })
}

/// The typed rows of one table and the rejections of the others.
#[derive(Debug)]
pub struct Typed {
    pub frame: DataFrame,
    pub rejected: Vec<Rejection>,
}

/// Coerces every contract column of `table` (columns not in the file are
/// empty) and adds provenance columns.
pub fn typed(
    dataset: Dataset,
    table: &RawTable,
    mapping: &Mapping,
    pseudo: Option<&Pseudonymiser>,
) -> PolarsResult<Typed> {
    let specs = dataset.columns();
    let results: Vec<(Values<'_>, Vec<(usize, Reason)>)> = specs
        .par_iter()
        .map(|spec| {
            coerce_column(
                table,
                spec,
                mapping.by_column.get(spec.name).copied(),
                pseudo,
            )
        })
        .collect();
    let mut keep = vec![true; table.len()];
    let mut rejected = Vec::new();
    for (spec, (_, errs)) in specs.iter().zip(&results) {
        let src = mapping.by_column.get(spec.name).copied();
        for (r, reason) in errs {
            keep[*r] = false;
            let value = match (spec.kind, src) {
                (Kind::Pseudonym, _) | (_, None) => String::new(),
                (_, Some(c)) => table.cell(*r, c).unwrap_or("").to_string(),
            };
            let column = src.map_or_else(|| spec.zh.to_string(), |c| table.headers[c].clone());
            rejected.push(Rejection {
                dataset: dataset.name(),
                file: table.file.clone(),
                sheet: table.sheet.clone(),
                row: table.row_numbers[*r],
                column,
                value,
                reason: reason.clone(),
            });
        }
    }
    let mut columns = Vec::with_capacity(specs.len() + 3);
    for (spec, (values, _)) in specs.iter().zip(results) {
        columns.push(to_column(spec.name, values, &keep)?);
    }
    let rows: Vec<u64> = table
        .row_numbers
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(r, _)| *r)
        .collect();
    let kept = rows.len();
    columns.push(Column::new(SOURCE_ROW.into(), rows));
    // One value for the whole table: a scalar column, not a string per row.
    let constant = |name: &str, value: String| {
        Column::new_scalar(
            name.into(),
            Scalar::new(DataType::String, AnyValue::StringOwned(value.into())),
            kept,
        )
    };
    columns.push(constant(SOURCE_FILE, table.file.display().to_string()));
    columns.push(constant(
        SOURCE_SHEET,
        table.sheet.clone().unwrap_or_default(),
    ));
    let frame = DataFrame::new(kept, columns)?;
    Ok(Typed { frame, rejected })
}

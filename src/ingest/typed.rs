//! From text cells to the contract's typed columns. Every cell that fails
//! becomes a rejection; a row with any rejection is left out of the typed
//! frame, so `rows read = rows accepted + rows quarantined`.

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

fn as_is(raw: &str) -> Result<&str, Reason> {
    Ok(raw)
}

fn identifier(raw: &str) -> Result<std::borrow::Cow<'_, str>, Reason> {
    Ok(coerce::id(raw))
}

/// An export's own label read as the contract's (`[source.values]`).
fn relabel<'a>(
    cell: Option<&'a str>,
    values: Option<&'a std::collections::BTreeMap<String, String>>,
) -> Option<&'a str> {
    match (cell, values) {
        (Some(raw), Some(map)) => Some(map.get(raw.trim()).map_or(raw, String::as_str)),
        _ => cell,
    }
}

/// Coerces one column into its typed column (every row, failures as
/// nulls) and the (row index, reason) failures. Text goes straight from
/// the table's buffers into the column.
fn coerce_column(
    table: &RawTable,
    spec: &ColumnSpec,
    src: Option<usize>,
    pseudo: Option<&Pseudonymiser>,
    values: Option<&std::collections::BTreeMap<String, String>>,
) -> PolarsResult<(Column, Vec<(usize, Reason)>)> {
    let n = table.len();
    let mut errs = Vec::new();
    let name: PlSmallStr = spec.name.into();
    // The column's cells in order (all missing when the file lacks it).
    let cells = || {
        src.into_iter()
            .flat_map(|c| table.cells(c))
            .chain(std::iter::repeat(None))
            .take(n)
            .map(move |cell| relabel(cell, values))
    };
    // Runs `$f` on every cell, handing each value (or `None`) to `$put`.
    macro_rules! each {
        ($put:expr, $f:expr) => {{
            for (r, cell) in cells().enumerate() {
                let value = match cell {
                    None => {
                        if spec.required {
                            errs.push((r, Reason::Missing));
                        }
                        None
                    }
                    Some(raw) => match $f(raw) {
                        Ok(x) => Some(x),
                        Err(e) => {
                            errs.push((r, e));
                            None
                        }
                    },
                };
                $put(value);
            }
        }};
    }
    macro_rules! text {
        ($f:expr) => {{
            let mut b = StringChunkedBuilder::new(name.clone(), n);
            each!(|v| b.append_option(v), $f);
            b.finish().into_column()
        }};
    }
    macro_rules! primitive {
        ($f:expr) => {{
            let mut v = Vec::with_capacity(n);
            each!(|x| v.push(x), $f);
            Column::new(name.clone(), v)
        }};
    }
    let column = match spec.kind {
        Kind::Text => text!(as_is),
        Kind::Id => text!(identifier),
        Kind::Pseudonym => text!(|raw: &str| match pseudo {
            Some(p) => Ok(p.key_of(raw)),
            None => Err(Reason::Missing),
        }),
        Kind::Enum(values) => {
            let lookup = coerce::EnumLookup::new(values);
            text!(|raw: &str| lookup.get(raw))
        }
        Kind::Date => primitive!(|raw: &str| coerce::date(raw).map(|d| d.to_epoch_days()))
            .cast(&DataType::Date)?,
        Kind::Bool => primitive!(coerce::boolean),
        Kind::Int { min, max } => {
            primitive!(|raw: &str| coerce::integer(raw, min, max).map(|v| v as i32))
        }
        Kind::Amount => primitive!(coerce::amount),
    };
    Ok((column, errs))
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
    values: &std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
) -> PolarsResult<Typed> {
    let specs = dataset.columns();
    let results: Vec<(Column, Vec<(usize, Reason)>)> = specs
        .par_iter()
        .map(|spec| {
            coerce_column(
                table,
                spec,
                mapping.by_column.get(spec.name).copied(),
                pseudo,
                values.get(spec.name),
            )
        })
        .collect::<PolarsResult<_>>()?;
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
    let n = table.len();
    let mut columns: Vec<Column> = results.into_iter().map(|(c, _)| c).collect();
    columns.push(Column::new(SOURCE_ROW.into(), table.row_numbers.clone()));
    // One value for the whole table: a scalar column, not a string per row.
    let constant = |name: &str, value: String| {
        Column::new_scalar(
            name.into(),
            Scalar::new(DataType::String, AnyValue::StringOwned(value.into())),
            n,
        )
    };
    columns.push(constant(SOURCE_FILE, table.file.display().to_string()));
    columns.push(constant(
        SOURCE_SHEET,
        table.sheet.clone().unwrap_or_default(),
    ));
    let mut frame = DataFrame::new(n, columns)?;
    // A row with any failure is left out whole.
    if !rejected.is_empty() {
        frame = frame.filter(&BooleanChunked::from_slice("keep".into(), &keep))?;
    }
    Ok(Typed { frame, rejected })
}

//! Reading columns of a collected frame into Rust values, with the
//! column's name in the error.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use polars::prelude::*;

/// A polars result with what was being done in its error.
pub fn polars_ctx<T>(r: PolarsResult<T>, what: &str) -> Result<T> {
    r.map_err(anyhow::Error::new).context(what.to_string())
}

/// A text column of `df` (any type, cast to text), nulls kept.
pub fn text_column(df: &DataFrame, column: &str) -> Result<StringChunked> {
    polars_ctx(
        df.column(column)
            .and_then(|c| c.cast(&DataType::String))
            .and_then(|c| c.str().cloned()),
        column,
    )
}

/// A text column as strings, a null as "".
pub fn strings(df: &DataFrame, column: &str) -> Result<Vec<String>> {
    Ok(text_column(df, column)?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

/// A whole-number or date column as numbers (a date as days since
/// 1970-01-01), a null as `None`.
pub fn ints(df: &DataFrame, column: &str) -> Result<Vec<Option<i32>>> {
    Ok(polars_ctx(
        df.column(column)
            .and_then(|c| c.cast(&DataType::Int32))
            .and_then(|c| c.i32().cloned()),
        column,
    )?
    .iter()
    .collect())
}

/// A date column as dates, a null as `None`.
pub fn dates(df: &DataFrame, column: &str) -> Result<Vec<Option<NaiveDate>>> {
    Ok(ints(df, column)?
        .into_iter()
        .map(|d| d.and_then(NaiveDate::from_epoch_days))
        .collect())
}

/// The distinct non-null values of a text column.
pub fn text_set(df: &DataFrame, column: &str) -> Result<std::collections::HashSet<String>> {
    Ok(text_column(df, column)?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect())
}

//! Excel workbooks of the metric tables, with Chinese headers, for
//! analysts. Strings are written as strings (never formulas).

use polars::prelude::*;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::aggregate::labels::{label_zh, value_zh};

/// Excel's last row (1,048,576) less the header.
pub const MAX_ROWS: usize = 1_048_575;

#[derive(Debug, thiserror::Error)]
pub enum XlsxWriteError {
    #[error("{path}: {cause}")]
    Xlsx { path: String, cause: XlsxError },
    #[error("{path}: {cause}")]
    Polars { path: String, cause: PolarsError },
    #[error(
        "{path}: cannot write in the temporary folder {folder} ({cause}); workbooks are written through it: set TMPDIR to a folder this account may write"
    )]
    TempFolder {
        path: String,
        folder: String,
        cause: XlsxError,
    },
    #[error(
        "{path}: sheet {sheet} has {rows} rows, more than Excel's {MAX_ROWS}; narrow the quarters"
    )]
    TooLong {
        path: String,
        sheet: String,
        rows: usize,
    },
}

/// A column's cells: numbers, or text (shown as `value_zh` shows the
/// column's codes), in one chunk each.
enum Cells<'a> {
    Numbers(Float64Chunked),
    Text(&'a str, StringChunked),
}

impl<'a> Cells<'a> {
    fn of(column: &'a Column) -> PolarsResult<Cells<'a>> {
        Ok(if column.dtype().is_primitive_numeric() {
            Cells::Numbers(
                column
                    .cast(&DataType::Float64)?
                    .f64()?
                    .rechunk()
                    .into_owned(),
            )
        } else {
            let text = column.cast(&DataType::String)?;
            Cells::Text(column.name().as_str(), text.str()?.rechunk().into_owned())
        })
    }

    /// Row `r`'s cell, if it has one, at `(row, c)` of the sheet.
    fn write(&self, ws: &mut Worksheet, row: u32, c: u16, r: usize) -> Result<(), XlsxError> {
        match self {
            Cells::Numbers(v) => {
                if let Some(x) = v.get(r) {
                    ws.write_number(row, c, x)?;
                }
            }
            Cells::Text(name, v) => {
                if let Some(x) = v.get(r) {
                    ws.write_string(row, c, value_zh(name, x).unwrap_or(x))?;
                }
            }
        }
        Ok(())
    }
}

/// The workbook `name` with each (sheet name, table) as one sheet; same
/// input, same bytes.
pub fn bytes(name: &str, sheets: &[(&str, &DataFrame)]) -> Result<Vec<u8>, XlsxWriteError> {
    let p = name.to_string();
    let xl = |source| XlsxWriteError::Xlsx {
        path: p.clone(),
        cause: source,
    };
    let pl = |source| XlsxWriteError::Polars {
        path: p.clone(),
        cause: source,
    };
    let mut wb = Workbook::new();
    // Rows are written in order into a temporary file (the system's
    // temporary folder, TMPDIR), not kept as a map of cells: checked here
    // so that an unwritable folder is an error, not a panic.
    let folder = std::env::temp_dir();
    wb.set_tempdir(&folder)
        .map_err(|cause| XlsxWriteError::TempFolder {
            path: p.clone(),
            folder: folder.display().to_string(),
            cause,
        })?;
    wb.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1).map_err(xl)?),
    );
    // Level 3, as Excel itself writes: faster than the default (6), for
    // files 11–18% larger (docs/performance.md).
    wb.set_zip_compression_level(3);
    let head = Format::new().set_bold().set_text_wrap();
    for (name, df) in sheets {
        if df.height() > MAX_ROWS {
            return Err(XlsxWriteError::TooLong {
                path: p.clone(),
                sheet: name.to_string(),
                rows: df.height(),
            });
        }
        let ws = wb.add_worksheet_with_constant_memory().map_err(xl)?;
        ws.set_name(*name).map_err(xl)?;
        let mut columns = Vec::with_capacity(df.width());
        for (c, column) in df.columns().iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(0, c, label_zh(column.name()), &head)
                .map_err(xl)?;
            ws.set_column_width(c, 12).map_err(xl)?;
            columns.push(Cells::of(column).map_err(pl)?);
        }
        // Row by row: the sheet writes each row out when the next begins.
        for r in 0..df.height() {
            let row = r as u32 + 1;
            for (c, cells) in columns.iter().enumerate() {
                cells.write(ws, row, c as u16, r).map_err(xl)?;
            }
        }
        ws.set_freeze_panes(1, 2).map_err(xl)?;
    }
    wb.save_to_buffer().map_err(xl)
}

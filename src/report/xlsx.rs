//! Excel workbooks of the metric tables, with Chinese headers, for
//! analysts. Strings are written as strings (never formulas).

use polars::prelude::*;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

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
        "{path}: sheet {sheet} has {rows} rows, more than Excel's {MAX_ROWS}; narrow the quarters"
    )]
    TooLong {
        path: String,
        sheet: String,
        rows: usize,
    },
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
    wb.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1).map_err(xl)?),
    );
    let head = Format::new().set_bold().set_text_wrap();
    for (name, df) in sheets {
        if df.height() > MAX_ROWS {
            return Err(XlsxWriteError::TooLong {
                path: p.clone(),
                sheet: name.to_string(),
                rows: df.height(),
            });
        }
        let ws = wb.add_worksheet();
        ws.set_name(*name).map_err(xl)?;
        for (c, column) in df.columns().iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(0, c, label_zh(column.name()), &head)
                .map_err(xl)?;
            ws.set_column_width(c, 12).map_err(xl)?;
            if column.dtype().is_primitive_numeric() {
                let v = column.cast(&DataType::Float64).map_err(pl)?;
                for (r, x) in v.f64().map_err(pl)?.iter().enumerate() {
                    if let Some(x) = x {
                        ws.write_number(r as u32 + 1, c, x).map_err(xl)?;
                    }
                }
            } else {
                let v = column.cast(&DataType::String).map_err(pl)?;
                for (r, x) in v.str().map_err(pl)?.iter().enumerate() {
                    if let Some(x) = x {
                        let shown = value_zh(column.name(), x).unwrap_or(x);
                        ws.write_string(r as u32 + 1, c, shown).map_err(xl)?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 2).map_err(xl)?;
    }
    wb.save_to_buffer().map_err(xl)
}

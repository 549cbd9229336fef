//! A table as CSV for Excel/WPS: UTF-8 with a BOM, every cell as text, a
//! cell that a spreadsheet would run as a formula neutralised.

use polars::prelude::*;
use std::sync::Arc;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The cell as written: one that a spreadsheet would run as a formula
/// (`=`, `+`, `@`, or `-` not starting a number) is prefixed with `'`.
pub fn guarded(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '@']) || (cell.starts_with('-') && cell.parse::<f64>().is_err())
    {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// A CSV writer into memory; rows may differ in length.
fn writer(start: &[u8]) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(start.to_vec())
}

fn write_row<'a>(
    w: &mut csv::Writer<Vec<u8>>,
    cells: impl IntoIterator<Item = &'a str>,
) -> csv::Result<()> {
    let cells: Vec<std::borrow::Cow<'_, str>> = cells.into_iter().map(guarded).collect();
    w.write_record(cells.iter().map(|c| c.as_bytes()))
}

fn finish(w: csv::Writer<Vec<u8>>) -> std::io::Result<Vec<u8>> {
    w.into_inner().map_err(|e| e.into_error())
}

/// Records as CSV text (no BOM), each cell guarded.
pub fn records<'a, I, R>(rows: I) -> std::io::Result<Vec<u8>>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = &'a str>,
{
    let mut w = writer(b"");
    for row in rows {
        write_row(&mut w, row)?;
    }
    finish(w)
}

/// `df` as CSV with a BOM, every cell as text, a null as an empty cell.
pub fn frame_csv(df: &DataFrame) -> PolarsResult<Vec<u8>> {
    let cols: Vec<StringChunked> = df
        .columns()
        .iter()
        .map(|c| c.cast(&DataType::String).and_then(|c| c.str().cloned()))
        .collect::<PolarsResult<_>>()?;
    let io = |e: std::io::Error| PolarsError::IO {
        error: Arc::new(e),
        msg: None,
    };
    let mut w = writer(UTF8_BOM);
    write_row(&mut w, df.get_column_names().iter().map(|n| n.as_str()))
        .map_err(|e| io(e.into()))?;
    for i in 0..df.height() {
        write_row(&mut w, cols.iter().map(|s| s.get(i).unwrap_or(""))).map_err(|e| io(e.into()))?;
    }
    finish(w).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_where_needed_and_formulas_are_neutralised() {
        let text =
            records([["a,b", "say \"hi\"", "=SUM(A1)", "-3", "-x", "line\nbreak"]]).expect("csv");
        assert_eq!(
            String::from_utf8(text).expect("utf-8"),
            "\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),-3,'-x,\"line\nbreak\"\n"
        );
    }

    #[test]
    fn a_line_break_inside_a_cell_is_quoted() {
        let text = records([["多行\n文本"]]).expect("csv");
        assert_eq!(String::from_utf8(text).expect("utf-8"), "\"多行\n文本\"\n");
    }

    #[test]
    fn a_frame_gets_a_bom_a_header_and_empty_nulls() {
        let df = df!("id" => ["U1", "U2"], "n" => [Some(1), None]).expect("frame");
        let bytes = frame_csv(&df).expect("csv");
        assert_eq!(&bytes[..3], UTF8_BOM);
        assert_eq!(&bytes[3..], b"id,n\nU1,1\nU2,\n");
    }
}

//! Excel workbooks (the edge of ingest): the sheet's used range, row by
//! row, with title rows above the header allowed. An `.xlsx` sheet is read
//! as a stream of cells in one pass, values and formulas together; other
//! workbook formats (`.xls`, `.xlsb`, `.ods`) are read as a whole range.

use std::fmt::Write as _;
use std::io::{Read, Seek};
use std::path::Path;

use calamine::{DataType, Reader, Sheets, Xlsx};

use super::Source;
use super::read::{Builder, ReadError, ReadOutcome, guarded, rows_add_up};

/// Reads the sheet `source` names (or the first) of the workbook in `bytes`.
pub(super) fn read_excel(
    path: &Path,
    bytes: &[u8],
    source: &Source,
) -> Result<ReadOutcome, ReadError> {
    let file = path.display().to_string();
    let mut wb = guarded(&file, "Excel", || {
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
            .map_err(|e| excel_error(&file, e))
    })?;
    let sheet = pick_sheet(&file, &wb.sheet_names(), source)?;
    if let Sheets::Xlsx(xlsx) = &mut wb
        && let Some(outcome) = guarded(&file, "Excel", || stream(path, xlsx, &sheet, source))?
    {
        return Ok(outcome);
    }
    read_range(path, &mut wb, &sheet, source)
}

fn excel_error(file: &str, e: impl std::fmt::Display) -> ReadError {
    ReadError::Excel {
        file: file.to_string(),
        message: e.to_string(),
    }
}

fn pick_sheet(file: &str, names: &[String], source: &Source) -> Result<String, ReadError> {
    match &source.sheet {
        Some(s) => names
            .iter()
            .find(|n| n.trim() == s.trim())
            .cloned()
            .ok_or_else(|| ReadError::NoSheet {
                file: file.to_string(),
                sheet: s.clone(),
                sheets: names.join(", "),
            }),
        None => names.first().cloned().ok_or(ReadError::Empty {
            file: file.to_string(),
        }),
    }
}

/// One row's cells as text, at their sheet columns (A is 0); the row's
/// buffers are kept from one row to the next.
#[derive(Default)]
struct RowCells {
    cells: Vec<String>,
    used: usize,
}

impl RowCells {
    fn set(&mut self, col: usize, value: &impl DataType) {
        if self.cells.len() <= col {
            self.cells.resize(col + 1, String::new());
        }
        if col >= self.used {
            self.cells[self.used..col]
                .iter_mut()
                .for_each(String::clear);
            self.used = col + 1;
        }
        write_cell(&mut self.cells[col], value);
    }

    fn take(&mut self) -> impl Iterator<Item = &str> + Clone {
        let used = std::mem::take(&mut self.used);
        self.cells[..used].iter().map(String::as_str)
    }
}

/// Streams an `.xlsx` sheet's cells in one pass. `None` when the sheet
/// cannot be streamed (not a worksheet, rows out of order): it is then
/// read as a range.
fn stream<RS: Read + Seek>(
    path: &Path,
    xlsx: &mut Xlsx<RS>,
    sheet: &str,
    source: &Source,
) -> Result<Option<ReadOutcome>, ReadError> {
    let file = path.display().to_string();
    let Ok(mut reader) = xlsx.worksheet_cells_reader(sheet) else {
        return Ok(None);
    };
    let mut builder = Builder::new(path, Some(sheet.to_string()), source);
    let mut row = RowCells::default();
    // The first and the current row holding a value (0-based).
    let mut rows: Option<(u32, u32)> = None;
    let mut formulas_without_value = Vec::new();
    while let Some(cell) = reader
        .next_cell_with_formula_metadata()
        .map_err(|e| excel_error(&file, e))?
    {
        let (r, c) = cell.pos;
        if cell.value.is_empty() {
            // A formula whose value was never saved (a workbook written by
            // a program, not opened in Excel) reads as empty: say which cells.
            if cell.formula.is_some() {
                formulas_without_value.push(cell_name(r, c));
            }
            continue;
        }
        rows = match rows {
            None => Some((r, r)),
            Some((_, current)) if r < current => return Ok(None),
            Some((first, current)) if r > current => {
                builder.push(u64::from(current) + 1, row.take());
                for empty in current + 1..r {
                    builder.push(u64::from(empty) + 1, std::iter::empty());
                }
                Some((first, r))
            }
            same => same,
        };
        row.set(c as usize, &cell.value);
    }
    if let Some((_, current)) = rows {
        builder.push(u64::from(current) + 1, row.take());
    }
    // Every row from the first with a value to the last is one the builder saw.
    let lines = rows.map_or(0, |(first, last)| u64::from(last - first) + 1);
    finish(path, builder, lines, formulas_without_value).map(Some)
}

/// Reads a sheet as its whole used range, then its formulas.
fn read_range<RS: Read + Seek>(
    path: &Path,
    wb: &mut Sheets<RS>,
    sheet: &str,
    source: &Source,
) -> Result<ReadOutcome, ReadError> {
    let file = path.display().to_string();
    let range = guarded(&file, "Excel", || {
        wb.worksheet_range(sheet).map_err(|e| excel_error(&file, e))
    })?;
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut builder = Builder::new(path, Some(sheet.to_string()), source);
    let mut cells = RowCells::default();
    for (i, r) in range.rows().enumerate() {
        // At their sheet columns, so columns stay aligned when the used
        // range starts past A; a row ends at its last value, as streamed.
        for (j, value) in r.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
            cells.set(first_col as usize + j, value);
        }
        builder.push(u64::from(first_row) + i as u64 + 1, cells.take());
    }
    let formulas_without_value = match wb.worksheet_formula(sheet) {
        Ok(formulas) => {
            let (r0, c0) = formulas.start().unwrap_or((0, 0));
            formulas
                .used_cells()
                .map(|(r, c, _)| (r0 + r as u32, c0 + c as u32))
                .filter(|&at| range.get_value(at).is_none_or(DataType::is_empty))
                .map(|(r, c)| cell_name(r, c))
                .collect()
        }
        Err(_) => Vec::new(),
    };
    // Every row of the sheet's used range is one of those the builder saw.
    finish(path, builder, range.height() as u64, formulas_without_value)
}

/// The sheet's table once its `lines` rows were all given to `builder`,
/// checked to add up.
fn finish(
    path: &Path,
    builder: Builder<'_>,
    lines: u64,
    formulas_without_value: Vec<String>,
) -> Result<ReadOutcome, ReadError> {
    let (mut table, rejected) = builder.finish()?;
    table.lines = lines;
    rows_add_up(path, &table, &rejected, lines)?;
    Ok(ReadOutcome {
        table,
        rejected,
        encoding: None,
        formulas_without_value,
    })
}

/// A cell as text into `out`; Excel dates become `YYYY-MM-DD` (or with a
/// time), whole numbers lose their `.0`.
fn write_cell(out: &mut String, value: &impl DataType) {
    out.clear();
    let text = value
        .get_string()
        .or_else(|| value.get_datetime_iso())
        .or_else(|| value.get_duration_iso());
    // Writing to a String cannot fail.
    let _ = if let Some(s) = text {
        out.write_str(s)
    } else if let Some(i) = value.get_int() {
        write!(out, "{i}")
    } else if let Some(f) = value.get_float() {
        if f.fract() == 0.0 && f.abs() < 1e15 {
            write!(out, "{}", f as i64)
        } else {
            write!(out, "{f}")
        }
    } else if let Some(b) = value.get_bool() {
        write!(out, "{b}")
    } else if let Some(dt) = value.get_datetime() {
        match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => {
                write!(out, "{}", t.date().format("%Y-%m-%d"))
            }
            Some(t) => write!(out, "{}", t.format("%Y-%m-%d %H:%M:%S")),
            None => write!(out, "{}", dt.as_f64()),
        }
    } else if let Some(e) = value.get_error() {
        write!(out, "#{e:?}")
    } else {
        Ok(())
    };
}

/// A cell's name as Excel shows it (0-based row and column): `C5`.
fn cell_name(row: u32, col: u32) -> String {
    format!("{}{}", column_letters(col), row + 1)
}

/// A column's letters as Excel shows them: 0 is A, 26 is AA.
fn column_letters(mut c: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_as_excel_shows_them() {
        let letters: Vec<String> = [0, 2, 25, 26, 27, 701, 702]
            .into_iter()
            .map(column_letters)
            .collect();
        assert_eq!(letters, ["A", "C", "Z", "AA", "AB", "ZZ", "AAA"]);
    }

    /// What a read gives, to compare the two ways of reading a sheet.
    type Read = (
        Vec<(u64, Vec<Option<String>>)>,
        Vec<u64>,
        [u64; 3],
        Vec<String>,
    );

    fn outcome(o: ReadOutcome) -> Read {
        let t = &o.table;
        (
            crate::ingest::delimited::tests::cells(t),
            o.rejected.iter().map(|r| r.row).collect(),
            [t.lines, t.title_rows, t.empty_rows],
            o.formulas_without_value,
        )
    }

    /// Reads `bytes` both ways: streamed and as a whole range.
    fn both_ways(bytes: &[u8], dataset: crate::model::Dataset) -> (Read, Read) {
        let path = Path::new("book.xlsx");
        let source = Source {
            dataset,
            ..crate::ingest::delimited::tests::units_source(crate::ingest::Encoding::Auto)
        };
        let open =
            || calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).expect("workbook");
        let mut wb = open();
        let sheet = wb.sheet_names()[0].clone();
        let Sheets::Xlsx(xlsx) = &mut wb else {
            panic!("not read as .xlsx")
        };
        let streamed = stream(path, xlsx, &sheet, &source)
            .expect("read streamed")
            .expect("streamed");
        let ranged = read_range(path, &mut open(), &sheet, &source).expect("read as a range");
        (outcome(streamed), outcome(ranged))
    }

    /// A title, a header starting in column B, rows with gaps between and
    /// within them, numbers, a date, a totals row and a row too wide.
    fn awkward_sheet() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        ws.write(0, 2, "组织单位名册")?;
        for (c, h) in ["单位编码", "单位名称", "上级单位编码", "层级"]
            .iter()
            .enumerate()
        {
            ws.write(2, 1 + c as u16, *h)?;
        }
        ws.write(3, 1, "U001")?;
        ws.write(3, 2, "市纪委")?;
        ws.write(3, 4, 1)?;
        ws.write(5, 1, 2.5)?;
        let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 3, 5)?;
        ws.write_datetime_with_format(5, 3, &day, &date)?;
        ws.write(6, 1, "合计")?;
        ws.write(7, 1, "U003")?;
        ws.write(7, 7, "多出的一列")?;
        ws.write(9, 2, "末行")?;
        wb.save_to_buffer()
    }

    /// The stream reads what the range does.
    #[test]
    fn a_streamed_sheet_reads_as_its_range() {
        let bytes = awkward_sheet().expect("workbook written");
        let (streamed, ranged) = both_ways(&bytes, crate::model::Dataset::Units);
        assert_eq!(streamed, ranged);
        assert_eq!(streamed.2, [10, 2, 2], "lines, title rows, empty rows");
        assert_eq!(streamed.1, [8], "the row too wide is rejected");
        let rows: Vec<u64> = streamed.0.iter().map(|(n, _)| *n).collect();
        assert_eq!(rows, [4, 6, 10], "rows read");
    }

    /// The shipped fixtures: title rows above the header, and a formula
    /// whose value was never saved.
    #[test]
    fn streamed_fixtures_read_as_their_ranges() {
        use crate::model::Dataset;
        for (name, dataset) in [
            ("findings.xlsx", Dataset::Findings),
            ("petitions_formula.xlsx", Dataset::Petitions),
        ] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/ingest")
                .join(name);
            let (streamed, ranged) = both_ways(&std::fs::read(path).expect("fixture"), dataset);
            assert_eq!(streamed, ranged, "{name}");
            if name == "petitions_formula.xlsx" {
                assert_eq!(streamed.3, ["B3"], "the formula without a value");
            }
        }
    }
}

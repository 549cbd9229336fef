//! `RawTable`: a source file read into text cells, with the row numbers a
//! user would see. Every reader produces one; coercion consumes it.

use std::path::PathBuf;

/// Text cells, one buffer per column (coercion reads a column at a time,
/// so it reads memory in order); an empty cell is a missing value.
#[derive(Debug, Clone, Default)]
pub struct RawTable {
    pub file: PathBuf,
    pub sheet: Option<String>,
    pub headers: Vec<String>,
    columns: Vec<RawColumn>,
    /// Per row: the row number as Excel or a text editor shows it.
    pub row_numbers: Vec<u64>,
}

/// One column's cells: their text end to end, and where each ends.
#[derive(Debug, Clone, Default)]
struct RawColumn {
    buf: String,
    ends: Vec<usize>,
}

impl RawColumn {
    fn push(&mut self, cell: &str) {
        self.buf.push_str(cell);
        self.ends.push(self.buf.len());
    }
}

impl RawTable {
    pub fn new(file: PathBuf, sheet: Option<String>, headers: Vec<String>) -> Self {
        RawTable {
            file,
            sheet,
            columns: vec![RawColumn::default(); headers.len()],
            headers,
            row_numbers: Vec::new(),
        }
    }

    pub fn width(&self) -> usize {
        self.headers.len()
    }

    pub fn len(&self) -> usize {
        self.row_numbers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.row_numbers.is_empty()
    }

    /// Appends a row; `cells` must yield exactly `width()` cells (pad or
    /// cut before calling).
    pub fn push_row<'a>(&mut self, row_number: u64, cells: impl IntoIterator<Item = &'a str>) {
        let mut n = 0;
        for (column, c) in self.columns.iter_mut().zip(cells) {
            column.push(c.trim());
            n += 1;
        }
        for column in &mut self.columns[n..] {
            column.push("");
        }
        self.row_numbers.push(row_number);
    }

    /// Appends the rows of `other`, which has the same columns.
    pub fn append(&mut self, other: RawTable) {
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            let offset = mine.buf.len();
            mine.buf.push_str(&theirs.buf);
            mine.ends.extend(theirs.ends.iter().map(|e| e + offset));
        }
        self.row_numbers.extend(other.row_numbers);
    }

    /// The cell at `row`, `col`; `None` when empty.
    pub fn cell(&self, row: usize, col: usize) -> Option<&str> {
        let c = &self.columns[col];
        let start = if row == 0 { 0 } else { c.ends[row - 1] };
        let s = &c.buf[start..c.ends[row]];
        (!s.is_empty()).then_some(s)
    }

    /// A label for messages: `file` or `file [sheet]`.
    pub fn origin(&self) -> String {
        match &self.sheet {
            Some(s) => format!("{} [{s}]", self.file.display()),
            None => self.file.display().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip_with_padding_and_trimming() {
        let mut t = RawTable::new(
            "x.csv".into(),
            None,
            vec!["a".into(), "b".into(), "c".into()],
        );
        t.push_row(2, [" 1 ", "", "三"]);
        t.push_row(3, ["4"]);
        assert_eq!(t.len(), 2);
        assert_eq!(t.cell(0, 0), Some("1"));
        assert_eq!(t.cell(0, 1), None);
        assert_eq!(t.cell(0, 2), Some("三"));
        assert_eq!(t.cell(1, 0), Some("4"));
        assert_eq!(t.cell(1, 2), None);
        assert_eq!(t.row_numbers, vec![2, 3]);
    }
}

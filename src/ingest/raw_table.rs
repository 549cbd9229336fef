//! `RawTable`: a source file read into text cells, with the row numbers a
//! user would see. Every reader produces one; coercion consumes it.

use std::path::PathBuf;

/// Text cells, one buffer per column (coercion reads a column at a time,
/// so it reads memory in order); an empty cell is a missing value. A table
/// read in parallel pieces keeps each piece's buffers as segments, so
/// joining the pieces copies no text.
#[derive(Debug, Clone, Default)]
pub struct RawTable {
    pub file: PathBuf,
    pub sheet: Option<String>,
    pub headers: Vec<String>,
    columns: Vec<RawColumn>,
    /// Per row: the row number as Excel or a text editor shows it.
    pub row_numbers: Vec<u64>,
    /// The rows skipped as totals (合计, 总计, 小计), by row number.
    pub totals_rows: Vec<u64>,
    /// Control characters removed from cells.
    pub control_chars: u64,
    /// The rows skipped at the foot (`skip_footer`), by row number.
    pub footer_rows: Vec<u64>,
    /// Rows above the header (a title, notes).
    pub title_rows: u64,
    /// Rows whose cells are all empty, skipped.
    pub empty_rows: u64,
    /// Physical lines of a text file, its empty lines (the reader skips
    /// them) and the lines that continue a quoted field.
    pub lines: u64,
    pub empty_lines: u64,
    pub continuation_lines: u64,
}

/// One column's cells, in segments of rows.
#[derive(Debug, Clone)]
struct RawColumn {
    segments: Vec<Segment>,
}

impl Default for RawColumn {
    fn default() -> Self {
        RawColumn {
            segments: vec![Segment::default()],
        }
    }
}

/// Cells end to end, and where each ends. An end is a `u32` (half the
/// memory of a `usize` per cell), so a segment holds at most
/// [`SEGMENT_BYTES`] of text and a longer column runs on in a new one.
#[derive(Debug, Clone, Default)]
struct Segment {
    buf: String,
    ends: Vec<u32>,
}

/// The most text one segment holds: the largest end a `u32` can say.
const SEGMENT_BYTES: usize = u32::MAX as usize;

impl Segment {
    fn cells(&self) -> impl Iterator<Item = Option<&str>> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let end = end as usize;
            let s = &self.buf[start..end];
            start = end;
            (!s.is_empty()).then_some(s)
        })
    }

    fn cell(&self, row: usize) -> &str {
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        &self.buf[start as usize..self.ends[row] as usize]
    }
}

impl RawColumn {
    fn push(&mut self, cell: &str) {
        self.push_within(cell, SEGMENT_BYTES);
    }

    /// Appends `cell`, beginning a new segment when the last would pass
    /// `limit` bytes.
    fn push_within(&mut self, cell: &str, limit: usize) {
        let full = self
            .segments
            .last()
            .is_none_or(|s| s.buf.len() + cell.len() > limit);
        if full {
            self.segments.push(Segment::default());
        }
        if let Some(s) = self.segments.last_mut() {
            s.buf.push_str(cell);
            // `limit` is at most `u32::MAX`, so the end fits.
            s.ends.push(s.buf.len() as u32);
        }
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
            totals_rows: Vec::new(),
            control_chars: 0,
            footer_rows: Vec::new(),
            title_rows: 0,
            empty_rows: 0,
            lines: 0,
            empty_lines: 0,
            continuation_lines: 0,
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

    /// Makes room for `ratio` times the rows held so far (a piece's rows,
    /// foreseen from its first part), so that the buffers are not copied
    /// into fresh memory as they grow. Room not filled is never touched.
    pub fn reserve_for(&mut self, ratio: f64) {
        let more = |len: usize| (len as f64 * (ratio - 1.0).max(0.0)).ceil() as usize;
        for s in self
            .columns
            .iter_mut()
            .filter_map(|c| c.segments.last_mut())
        {
            s.buf
                .reserve(more(s.buf.len()).min(SEGMENT_BYTES - s.buf.len()));
            s.ends.reserve(more(s.ends.len()));
        }
        self.row_numbers.reserve(more(self.row_numbers.len()));
    }

    /// Appends the rows of `parts`, which have the same columns, as
    /// segments (no text is copied). Rows are not pushed after this.
    pub fn extend(&mut self, parts: Vec<RawTable>) {
        for p in parts {
            for (mine, theirs) in self.columns.iter_mut().zip(p.columns) {
                mine.segments.extend(theirs.segments);
            }
            self.row_numbers.extend(p.row_numbers);
            self.totals_rows.extend(p.totals_rows);
            self.control_chars += p.control_chars;
            self.empty_rows += p.empty_rows;
        }
    }

    /// The cells of column `col`, in row order; `None` when empty.
    pub fn cells(&self, col: usize) -> impl Iterator<Item = Option<&str>> {
        self.columns[col].segments.iter().flat_map(Segment::cells)
    }

    /// The cell at `row`, `col`; `None` when empty.
    pub fn cell(&self, row: usize, col: usize) -> Option<&str> {
        let mut row = row;
        for s in &self.columns[col].segments {
            if row < s.ends.len() {
                let text = s.cell(row);
                return (!text.is_empty()).then_some(text);
            }
            row -= s.ends.len();
        }
        None
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
        let headers = vec!["a".into(), "b".into(), "c".into()];
        let mut t = RawTable::new("x.csv".into(), None, headers.clone());
        t.push_row(2, [" 1 ", "", "三"]);
        t.push_row(3, ["4"]);
        assert_eq!(t.len(), 2);
        assert_eq!(t.cell(0, 0), Some("1"));
        assert_eq!(t.cell(0, 1), None);
        assert_eq!(t.cell(0, 2), Some("三"));
        assert_eq!(t.cell(1, 0), Some("4"));
        assert_eq!(t.cell(1, 2), None);
        assert_eq!(t.row_numbers, vec![2, 3]);
        // A second piece joins as a segment: cells and rows run on.
        let mut more = RawTable::new("x.csv".into(), None, headers);
        more.push_row(4, ["5", "六"]);
        t.extend(vec![more]);
        assert_eq!(t.cell(2, 1), Some("六"));
        assert_eq!(t.cell(3, 0), None);
        let a: Vec<Option<&str>> = t.cells(0).collect();
        assert_eq!(a, [Some("1"), Some("4"), Some("5")]);
        assert_eq!(t.row_numbers, vec![2, 3, 4]);
    }

    #[test]
    fn room_made_for_rows_foreseen_leaves_the_cells_as_they_were() {
        let mut t = RawTable::new("x.csv".into(), None, vec!["a".into(), "b".into()]);
        t.push_row(2, ["一二", "x"]);
        t.push_row(3, ["", "yz"]);
        t.reserve_for(3.0);
        let held = t.columns[0].segments[0].buf.len();
        assert!(t.columns[0].segments[0].buf.capacity() >= 3 * held);
        assert!(t.columns[1].segments[0].ends.capacity() >= 6);
        assert!(t.row_numbers.capacity() >= 6);
        t.push_row(4, ["三", ""]);
        let a: Vec<Option<&str>> = t.cells(0).collect();
        let b: Vec<Option<&str>> = t.cells(1).collect();
        assert_eq!(a, [Some("一二"), None, Some("三")]);
        assert_eq!(b, [Some("x"), Some("yz"), None]);
        assert_eq!(t.row_numbers, vec![2, 3, 4]);
        // A ratio below one makes no room and loses nothing.
        t.reserve_for(0.5);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn a_full_segment_runs_on_in_a_new_one() {
        let mut c = RawColumn::default();
        for cell in ["ab", "", "cde", "f", "ghij"] {
            c.push_within(cell, 4);
        }
        let bufs: Vec<&str> = c.segments.iter().map(|s| s.buf.as_str()).collect();
        assert_eq!(bufs, ["ab", "cdef", "ghij"]);
        let cells: Vec<Option<&str>> = c.segments.iter().flat_map(Segment::cells).collect();
        assert_eq!(
            cells,
            [Some("ab"), None, Some("cde"), Some("f"), Some("ghij")]
        );
    }
}

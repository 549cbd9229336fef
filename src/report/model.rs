//! The report model: pure data (title, summary, headline figures, numbered
//! sections with paragraphs, tables, chart references and subsections).
//! Text here is plain and unescaped; each writer escapes for its format.

use serde::Serialize;

/// A table with a header row.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Table {
    /// Names the table (and its sheet in the workbook).
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A chart placed in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartRef {
    /// Path relative to the report file.
    pub path: String,
    pub caption: String,
}

/// One headline figure of the opening: "信访举报 1,234件".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub label: String,
    pub value: String,
}

/// One numbered section (一、), its subsections (（一）) and theirs (1.).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub chart: Option<ChartRef>,
    pub table: Option<Table>,
    pub subsections: Vec<Section>,
}

/// A report ready to be written in any format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Chinese (一、（一）1.) or English (1. 1.1 (a)) numbering and spacing.
    pub zh: bool,
    /// File stem.
    pub id: String,
    pub title: String,
    pub issuer: String,
    /// The date line, e.g. 数据截至2024年12月31日.
    pub dateline: String,
    /// Three to five sentences whose numbers come from the data.
    pub summary: Vec<String>,
    pub figures: Vec<Figure>,
    pub sections: Vec<Section>,
}

impl Report {
    /// Every section and subsection, in reading order.
    pub fn all_sections(&self) -> Vec<&Section> {
        fn walk<'a>(s: &'a Section, out: &mut Vec<&'a Section>) {
            out.push(s);
            for sub in &s.subsections {
                walk(sub, out);
            }
        }
        let mut out = Vec::new();
        for s in &self.sections {
            walk(s, &mut out);
        }
        out
    }

    /// Every table in the report, in reading order.
    pub fn tables(&self) -> Vec<&Table> {
        self.all_sections()
            .into_iter()
            .filter_map(|s| s.table.as_ref())
            .collect()
    }

    /// Every chart in the report, in reading order.
    pub fn charts(&self) -> Vec<&ChartRef> {
        self.all_sections()
            .into_iter()
            .filter_map(|s| s.chart.as_ref())
            .collect()
    }
}

/// Chinese numbers 一 to 九十九.
pub fn zh_number(n: usize) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => D[n].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[n - 10]),
        20..=99 => format!("{}十{}", D[n / 10], D[n % 10]),
        _ => n.to_string(),
    }
}

/// The number of the `n`th heading at `depth`: in Chinese as official
/// documents number them (一、 （一） 1.), in English 1. (a) (i).
pub fn heading_number(zh: bool, depth: usize, n: usize) -> String {
    match (zh, depth) {
        (true, 0) => format!("{}、", zh_number(n)),
        (true, 1) => format!("（{}）", zh_number(n)),
        (true, _) => format!("{n}."),
        (false, 0) => format!("{n}. "),
        (false, 1) => format!("({}) ", letter(n)),
        (false, _) => format!("({}) ", roman(n)),
    }
}

fn letter(n: usize) -> String {
    char::from_u32(u32::from(b'a') + (n.saturating_sub(1) % 26) as u32)
        .map_or(String::new(), String::from)
}

fn roman(n: usize) -> String {
    const R: [&str; 10] = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"];
    R.get(n.saturating_sub(1))
        .map_or(n.to_string(), |s| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_headings_as_official_documents_do() {
        assert_eq!(heading_number(true, 0, 3), "三、");
        assert_eq!(heading_number(true, 1, 12), "（十二）");
        assert_eq!(heading_number(true, 2, 4), "4.");
        assert_eq!(heading_number(false, 0, 3), "3. ");
        assert_eq!(heading_number(false, 1, 2), "(b) ");
        assert_eq!(heading_number(false, 2, 4), "(iv) ");
        assert_eq!(zh_number(21), "二十一");
        assert_eq!(zh_number(30), "三十");
    }
}

//! The report model: pure data (title, summary, numbered sections with
//! paragraphs, tables and chart references). Text here is plain and
//! unescaped; each writer escapes for its format.

/// A table with a header row.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A chart placed in a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartRef {
    /// Path relative to the report file.
    pub path: String,
    pub caption: String,
}

/// One numbered section (一、二、…).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub chart: Option<ChartRef>,
    pub table: Option<Table>,
}

/// A report ready to be written in any format.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// File stem.
    pub id: String,
    pub title: String,
    pub issuer: String,
    /// The date line, e.g. 数据截至2024年12月31日.
    pub dateline: String,
    /// Three to five sentences whose numbers come from the data.
    pub summary: Vec<String>,
    pub sections: Vec<Section>,
}

/// Chinese section numbers 一 to 二十.
pub fn zh_number(n: usize) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => D[n].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[n - 10]),
        20 => "二十".into(),
        _ => n.to_string(),
    }
}

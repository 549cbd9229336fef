//! The Markdown writer. Untrusted text (unit names, petition text) is
//! escaped; writers take any `io::Write`.

use std::io::{self, Write};

use super::model::{Report, zh_number};
use crate::text::escape_markdown as md;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# {}", md(&report.title))?;
    writeln!(out)?;
    writeln!(out, "{}　{}", md(&report.issuer), md(&report.dateline))?;
    writeln!(out)?;
    for s in &report.summary {
        write!(out, "{}", md(s))?;
    }
    writeln!(out)?;
    for (i, sec) in report.sections.iter().enumerate() {
        writeln!(out)?;
        writeln!(out, "## {}、{}", zh_number(i + 1), md(&sec.heading))?;
        for p in &sec.paragraphs {
            writeln!(out)?;
            writeln!(out, "{}", md(p))?;
        }
        if let Some(c) = &sec.chart {
            writeln!(out)?;
            writeln!(out, "![{}]({})", md(&c.caption), c.path.replace(' ', "%20"))?;
        }
        if let Some(t) = &sec.table {
            writeln!(out)?;
            let row = |cells: &[String]| {
                format!(
                    "| {} |",
                    cells.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | ")
                )
            };
            writeln!(out, "{}", row(&t.headers))?;
            writeln!(out, "|{}", " --- |".repeat(t.headers.len()))?;
            for r in &t.rows {
                writeln!(out, "{}", row(r))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Section, Table};

    #[test]
    fn writes_numbered_sections_and_escapes_names() {
        let r = Report {
            id: "t".into(),
            title: "测试报告".into(),
            issuer: "京华市纪委监委".into(),
            dateline: "数据截至2024年12月31日".into(),
            summary: vec!["本季度共受理12件。".into()],
            sections: vec![Section {
                heading: "集中单位".into(),
                table: Some(Table {
                    headers: vec!["单位".into()],
                    rows: vec![vec!["<script>|*x*".into()]],
                }),
                ..Default::default()
            }],
        };
        let mut out = Vec::new();
        write(&r, &mut out).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.starts_with("# 测试报告\n"));
        assert!(text.contains("## 一、集中单位"));
        assert!(text.contains("| &lt;script&gt;\\|\\*x\\* |"), "{text}");
        assert!(!text.contains("<script>"));
    }
}

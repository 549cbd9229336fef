//! The Markdown writer. Untrusted text (unit names, petition text) is
//! escaped; writers take any `io::Write`.

use std::io::{self, Write};

use super::model::{Report, Section, heading_number};
use crate::text::escape_markdown as md;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# {}", md(&report.title))?;
    writeln!(out)?;
    writeln!(out, "{}　{}", md(&report.issuer), md(&report.dateline))?;
    writeln!(out)?;
    let sep = if report.zh { "" } else { " " };
    let summary: Vec<String> = report.summary.iter().map(|s| md(s)).collect();
    write!(out, "{}", summary.join(sep))?;
    writeln!(out)?;
    if !report.figures.is_empty() {
        writeln!(out)?;
        let cells = |f: &dyn Fn(&super::model::Figure) -> String| {
            report.figures.iter().map(f).collect::<Vec<_>>().join(" | ")
        };
        writeln!(out, "| {} |", cells(&|f| md(&f.label)))?;
        writeln!(out, "|{}", " --- |".repeat(report.figures.len()))?;
        writeln!(out, "| {} |", cells(&|f| md(&f.value)))?;
    }
    for (i, sec) in report.sections.iter().enumerate() {
        section(out, sec, report.zh, 0, i + 1)?;
    }
    Ok(())
}

fn section(out: &mut dyn Write, sec: &Section, zh: bool, depth: usize, n: usize) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{} {}{}",
        "#".repeat(depth + 2),
        heading_number(zh, depth, n),
        md(&sec.heading)
    )?;
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
    for (i, sub) in sec.subsections.iter().enumerate() {
        section(out, sub, zh, depth + 1, i + 1)?;
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
            zh: true,
            id: "t".into(),
            title: "测试报告".into(),
            issuer: "京华市纪委监委".into(),
            dateline: "数据截至2024年12月31日".into(),
            summary: vec!["本季度共受理12件。".into()],
            figures: vec![],
            sections: vec![Section {
                heading: "集中单位".into(),
                table: Some(Table {
                    title: "t".into(),
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

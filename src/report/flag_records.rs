//! The records behind each flag, for the analyst: `tables/flag_records.xlsx`
//! (one sheet, or more where Excel's rows run out, each flag's rows on one;
//! Chinese headers, filterable by flag id) and
//! `tables/flag_records.html` (one anchored table per flag, the target of
//! the links beside each flag id in the HTML reports).

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;

use crate::aggregate::labels::{label_zh, value_zh};
use crate::aggregate::records_read::COLUMNS;
use crate::store::frame::{polars_ctx, strings};
use crate::text::escape_html as h;

/// Rows per flag on the HTML page (all of them are in the workbook).
pub const HTML_ROWS: usize = 200;

/// The page's path from a thematic report.
pub const FROM_THEMATIC: &str = "../tables/flag_records.html";
/// The page's path from a packet's page.
pub const FROM_PACKET: &str = "../../tables/flag_records.html";

/// The workbook's sheet name; the second and later sheets are numbered.
const SHEET: &str = "预警对应记录";

/// Both files, by path in the publication.
pub fn files(records: &DataFrame, title: &str) -> Result<BTreeMap<String, Vec<u8>>> {
    let sheets = sheets(records, super::xlsx::MAX_ROWS)?;
    let named: Vec<(&str, &DataFrame)> = sheets.iter().map(|(n, df)| (n.as_str(), df)).collect();
    // Side by side: the workbook is written on one core.
    let (workbook, html) = rayon::join(
        || super::xlsx::bytes("tables/flag_records.xlsx", &named),
        || page(records, title),
    );
    Ok(BTreeMap::from([
        ("tables/flag_records.xlsx".into(), workbook?),
        ("tables/flag_records.html".into(), html?.into_bytes()),
    ]))
}

/// `records` (sorted by flag) cut into sheets of at most `max_rows` rows,
/// each flag's rows on one sheet (a flag has at most
/// `records_read::ROWS_PER_FLAG`, fewer than a sheet holds): `预警对应记录`,
/// then `预警对应记录2`, and so on.
fn sheets(records: &DataFrame, max_rows: usize) -> Result<Vec<(String, DataFrame)>> {
    let flags = polars_ctx(
        records.column("flag_id").and_then(|c| c.str().cloned()),
        "flag_id",
    )?;
    let flags: Vec<Option<&str>> = flags.iter().collect();
    let mut cuts = vec![0];
    let mut flag_start = 0;
    for i in 1..=flags.len() {
        if i < flags.len() && flags[i] == flags[i - 1] {
            continue;
        }
        // Row i begins another flag (or ends the table): the flag that
        // ends here goes on a new sheet when it would overfill this one.
        let sheet_start = *cuts.last().unwrap_or(&0);
        if i - sheet_start > max_rows && flag_start > sheet_start {
            cuts.push(flag_start);
        }
        flag_start = i;
    }
    cuts.push(flags.len());
    Ok(cuts
        .windows(2)
        .enumerate()
        .map(|(n, w)| {
            let name = if n == 0 {
                SHEET.to_string()
            } else {
                format!("{SHEET}{}", n + 1)
            };
            (name, records.slice(w[0] as i64, w[1] - w[0]))
        })
        .collect())
}

fn page(records: &DataFrame, title: &str) -> Result<String> {
    let cols: Vec<Vec<String>> = COLUMNS
        .iter()
        .map(|c| {
            let date = *c == "date";
            let v = if date {
                polars_ctx(records.column(c).and_then(|x| x.cast(&DataType::String)), c).and_then(
                    |x| {
                        Ok(x.str()?
                            .iter()
                            .map(|v| v.unwrap_or("").to_string())
                            .collect())
                    },
                )
            } else {
                strings(records, c)
            };
            v.map(|v: Vec<String>| {
                v.into_iter()
                    .map(|x| value_zh(c, &x).map_or(x, str::to_string))
                    .collect()
            })
        })
        .collect::<Result<_>>()?;
    let mut by_flag: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in cols[0].iter().enumerate() {
        by_flag.entry(f.as_str()).or_default().push(i);
    }
    let mut out = String::new();
    let headers: String = COLUMNS[2..]
        .iter()
        .map(|c| format!("<th>{}</th>", h(&label_zh(c))))
        .collect();
    for (flag, rows) in by_flag {
        let detector = &cols[1][rows[0]];
        out.push_str(&format!(
            "<section id=\"{id}\"><h2>{id}　{d}（{n}条）</h2>\n<table><tr>{headers}</tr>\n",
            id = h(flag),
            d = h(detector),
            n = rows.len()
        ));
        for &r in rows.iter().take(HTML_ROWS) {
            out.push_str("<tr>");
            for c in &cols[2..] {
                out.push_str(&format!("<td>{}</td>", h(&c[r])));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
        if rows.len() > HTML_ROWS {
            out.push_str(&format!(
                "<p>另有{}条，见 flag_records.xlsx。</p>\n",
                rows.len() - HTML_ROWS
            ));
        }
        out.push_str("</section>\n");
    }
    let head = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; font-src data:; style-src 'unsafe-inline'\">\n\
         <title>{t}</title>\n<style>{font}body{{font-family:'{family}',sans-serif;margin:2em}}table{{border-collapse:collapse;font-size:13px}}\
         td,th{{border:1px solid #999;padding:2px 6px;vertical-align:top}}th{{background:#eee}}h2{{font-size:16px;margin-top:2em}}</style>\n\
         </head>\n<body>\n<h1>{t}</h1>\n",
        t = h(title),
        font = super::web_font::font_face(&format!("{title}{out}")),
        family = crate::render::fonts::FAMILY,
    );
    Ok(format!("{head}{out}</body>\n</html>\n"))
}

/// `escaped` with every flag id of `quarter` (`2024Q4-` and ten hex
/// digits) linked to its records on the page at `href` (the page holds
/// the quarter's flags only).
pub fn link_ids(escaped: &str, href: &str, quarter: &str) -> String {
    let b = escaped.as_bytes();
    let mut out = String::with_capacity(escaped.len());
    let mut last = 0;
    let mut i = 0;
    while i + 17 <= b.len() {
        let is_id = b[i..i + 4].iter().all(u8::is_ascii_digit)
            && b[i + 4] == b'Q'
            && (b'1'..=b'4').contains(&b[i + 5])
            && b[i + 6] == b'-'
            && b[i + 7..i + 17]
                .iter()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && b.get(i + 17).is_none_or(|c| !c.is_ascii_alphanumeric())
            && &escaped[i..i + 6] == quarter;
        if is_id {
            let id = &escaped[i..i + 17];
            out.push_str(&escaped[last..i]);
            out.push_str(&format!("<a href=\"{href}#{id}\">{id}</a>"));
            i += 17;
            last = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&escaped[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_beyond_a_sheet_go_on_more_sheets_each_flag_on_one() -> Result<()> {
        // Flags of 3, 4, 2 and 5 rows; sheets of at most 7.
        let flags: Vec<String> = [("a", 3), ("b", 4), ("c", 2), ("d", 5)]
            .iter()
            .flat_map(|&(f, n)| std::iter::repeat_n(f.to_string(), n))
            .collect();
        let rows: Vec<u32> = (0..flags.len() as u32).collect();
        let records = DataFrame::new(
            flags.len(),
            vec![
                Column::new("flag_id".into(), flags),
                Column::new("row".into(), rows),
            ],
        )?;
        let cut = sheets(&records, 7)?;
        let mut shape = Vec::new();
        let mut kept = Vec::new();
        for (name, df) in &cut {
            shape.push((name.as_str(), strings(df, "flag_id")?.concat()));
            kept.extend(df.column("row")?.u32()?.into_no_null_iter());
        }
        assert_eq!(
            shape,
            [
                ("预警对应记录", "aaabbbb".to_string()),
                ("预警对应记录2", "ccddddd".to_string()),
            ]
        );
        assert_eq!(
            kept,
            (0..14).collect::<Vec<_>>(),
            "every row, once, in order"
        );
        assert_eq!(sheets(&records, 14)?.len(), 1, "one sheet when all fit");
        let empty = records.head(Some(0));
        assert_eq!(sheets(&empty, 7)?.len(), 1, "an empty table is one sheet");
        Ok(())
    }

    #[test]
    fn flag_ids_are_linked_and_nothing_else() {
        let s = "单位（编号2024Q4-3f9a2c1b7d，新出现）；X2024Q4-3f9a2c1b7d 2024Q5-3f9a2c1b7d 2024Q3-3f9a2c1b7d";
        let linked = link_ids(s, "../tables/flag_records.html", "2024Q4");
        assert_eq!(
            linked
                .matches("<a href=\"../tables/flag_records.html#2024Q4-3f9a2c1b7d\">")
                .count(),
            1,
            "{linked}"
        );
        assert!(linked.contains("X2024Q4-3f9a2c1b7d 2024Q5-3f9a2c1b7d 2024Q3"));
    }
}

//! The HTML writer: one self-contained page (charts inlined as SVG images,
//! a table of contents, a print stylesheet for A4). Every text is escaped;
//! a Content-Security-Policy forbids scripts, so even a missed escape could
//! not run one. Charts are `<img>` data URIs, in which scripts never run.

use super::model::{Report, Section, heading_number};
use crate::text::escape_html as h;

const STYLE: &str = "
body{font-family:'Yanpan Noto Sans SC','Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;
  max-width:46em;margin:2em auto;padding:0 1em;line-height:1.7;color:#111}
header.doc{text-align:center;border-bottom:2px solid #c00000;margin-top:2em;padding-bottom:.4em}
header.doc .issuer{color:#c00000;font-size:1.4em;font-weight:bold}
h1{text-align:center;font-size:1.6em;margin:.8em 0 .2em}
.dateline{text-align:center;color:#444;margin-bottom:1em}
p{text-indent:2em;margin:.5em 0}
p.packet{text-indent:0;text-align:center;color:#555;margin-top:1.5em}
nav.toc{border:1px solid #ccc;padding:.5em 1em;margin:1em 0;font-size:.95em}
nav.toc ol{margin:.2em 0;padding-left:1.2em;list-style:none}
.figures{display:flex;flex-wrap:wrap;gap:.5em;margin:1em 0}
.figures div{flex:1 1 8em;border:1px solid #999;border-radius:3px;text-align:center;padding:.4em}
.figures span{display:block;font-size:.85em;color:#333}
.figures b{font-size:1.4em}
table{border-collapse:collapse;width:100%;font-size:.88em;margin:.6em 0}
th,td{border:1px solid #888;padding:.2em .4em;text-align:left;vertical-align:top}
th{background:#e8e8e8}
figure{margin:1em 0;text-align:center}
figure img{max-width:100%;height:auto}
figcaption{font-size:.85em;color:#333}
section.report{page-break-before:always}
section.report:first-of-type{page-break-before:auto}
@page{size:A4;margin:25mm 22mm 25mm 24mm}
@media print{body{max-width:none;margin:0}nav.toc{page-break-after:always}
  table,figure,.figures{page-break-inside:avoid}h2,h3,h4{page-break-after:avoid}}
";

/// Where a page finds its charts and the records behind its flags.
pub struct Links<'a> {
    /// Each chart path's SVG.
    pub charts: &'a dyn Fn(&str) -> Option<Vec<u8>>,
    /// The flag records page, relative to this one, and its quarter: the
    /// quarter's flag ids link there.
    pub records: Option<(&'a str, String)>,
}

impl std::fmt::Debug for Links<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Links")
            .field("records", &self.records)
            .finish()
    }
}

impl Links<'_> {
    /// Escaped text, its flag ids linked.
    fn text(&self, s: &str) -> String {
        match &self.records {
            Some((href, quarter)) => super::flag_records::link_ids(&h(s), href, quarter),
            None => h(s),
        }
    }
}

/// `reports` as one page titled `title`; `lang` is the page's language
/// (zh-CN or en).
pub fn write(title: &str, lang: &str, reports: &[&Report], links: &Links<'_>) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n");
    out.push_str(&format!(
        "<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n",
        h(lang)
    ));
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>{}</title>\n<style>{FONT_MARK}{STYLE}</style>\n</head>\n<body>\n",
        h(title)
    ));
    if reports.len() > 1 {
        out.push_str(&format!("<p class=\"packet\">{}</p>\n", h(title)));
    }
    if reports.len() > 1 || reports.iter().any(|r| r.sections.len() > 2) {
        out.push_str("<nav class=\"toc\"><ol>\n");
        for (k, r) in reports.iter().enumerate() {
            out.push_str(&format!("<li><a href=\"#r{k}\">{}</a><ol>\n", h(&r.title)));
            for (i, s) in r.sections.iter().enumerate() {
                out.push_str(&format!(
                    "<li><a href=\"#r{k}-s{}\">{}{}</a></li>\n",
                    i + 1,
                    heading_number(r.zh, 0, i + 1),
                    h(&s.heading)
                ));
            }
            out.push_str("</ol></li>\n");
        }
        out.push_str("</ol></nav>\n");
    }
    for (k, r) in reports.iter().enumerate() {
        out.push_str(&format!("<section class=\"report\" id=\"r{k}\">\n"));
        out.push_str(&format!(
            "<header class=\"doc\"><div class=\"issuer\">{}</div></header>\n<h1>{}</h1>\n<div class=\"dateline\">{}</div>\n",
            h(&r.issuer),
            h(&r.title),
            h(&r.dateline)
        ));
        let sep = if r.zh { "" } else { " " };
        let summary: Vec<String> = r.summary.iter().map(|s| h(s)).collect();
        out.push_str(&format!("<p>{}</p>\n", summary.join(sep)));
        if !r.figures.is_empty() {
            out.push_str("<div class=\"figures\">");
            for f in &r.figures {
                out.push_str(&format!(
                    "<div><span>{}</span><b>{}</b></div>",
                    h(&f.label),
                    h(&f.value)
                ));
            }
            out.push_str("</div>\n");
        }
        for (i, s) in r.sections.iter().enumerate() {
            section(
                &mut out,
                s,
                r.zh,
                0,
                i + 1,
                &format!("r{k}-s{}", i + 1),
                links,
            );
        }
        out.push_str("</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    // The glyphs of every character on the page, embedded.
    let face = super::web_font::font_face(&out);
    out.replacen(FONT_MARK, &face, 1)
}

/// Where the page's `@font-face` goes, once the page is written.
const FONT_MARK: &str = "/*yanpan-font*/";

fn section(
    out: &mut String,
    s: &Section,
    zh: bool,
    depth: usize,
    n: usize,
    id: &str,
    links: &Links<'_>,
) {
    let tag = format!("h{}", (depth + 2).min(6));
    out.push_str(&format!(
        "<{tag} id=\"{id}\">{}{}</{tag}>\n",
        heading_number(zh, depth, n),
        h(&s.heading)
    ));
    for p in &s.paragraphs {
        out.push_str(&format!("<p>{}</p>\n", links.text(p)));
    }
    if let Some(c) = &s.chart {
        let img = (links.charts)(&c.path).map_or(String::new(), |svg| {
            format!(
                "<img alt=\"{}\" src=\"data:image/svg+xml;base64,{}\">",
                h(&c.caption),
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &svg)
            )
        });
        out.push_str(&format!(
            "<figure>{img}<figcaption>{}</figcaption></figure>\n",
            h(&c.caption)
        ));
    }
    if let Some(t) = &s.table {
        out.push_str("<table><thead><tr>");
        for c in &t.headers {
            out.push_str(&format!("<th>{}</th>", h(c)));
        }
        out.push_str("</tr></thead><tbody>\n");
        for row in &t.rows {
            out.push_str("<tr>");
            for c in row {
                out.push_str(&format!("<td>{}</td>", links.text(c)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table>\n");
    }
    for (i, sub) in s.subsections.iter().enumerate() {
        section(
            out,
            sub,
            zh,
            depth + 1,
            i + 1,
            &format!("{id}-{}", i + 1),
            links,
        );
    }
}

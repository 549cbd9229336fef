//! Escaping of untrusted text (petition summaries, unit names) for each output format.

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for Markdown inline content (also safe inside a table
/// cell): inline markup characters are backslash-escaped, HTML is
/// neutralised, a line-start marker (heading, quote, list) is escaped, and
/// line breaks become spaces.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let t = s.trim_start();
    if t.starts_with(['#', '>', '-', '+', '=']) {
        out.push('\\');
    }
    // "1. " or "1) " at the start would open an ordered list.
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let list_marker = digits > 0
        && t[digits..].starts_with(['.', ')'])
        && t[digits + 1..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace);
    for (i, c) in t.chars().enumerate() {
        if list_marker && i == digits {
            out.push('\\');
        }
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_and_markdown_escape_untrusted_text() {
        assert_eq!(
            escape_html("<script>&\"'"),
            "&lt;script&gt;&amp;&quot;&#39;"
        );
        assert_eq!(
            escape_markdown("**粗** [链接](x) <b>|"),
            "\\*\\*粗\\*\\* \\[链接\\](x) &lt;b&gt;\\|"
        );
        assert_eq!(escape_markdown("# 标题"), "\\# 标题");
        assert_eq!(escape_markdown("12.5%"), "12.5%");
        assert_eq!(escape_markdown("1. 条目"), "1\\. 条目");
        assert_eq!(escape_markdown("增长12.5%"), "增长12.5%");
        assert_eq!(escape_markdown("第一行\n第二行"), "第一行 第二行");
    }
}

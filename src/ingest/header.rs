//! Finding the header row below any title rows, and mapping source headers
//! to contract columns (configured names, contract names, Chinese labels,
//! known aliases), with close matches for what is missing.

use std::collections::BTreeMap;

use crate::model::{ColumnSpec, Dataset};

/// How far down a header row is looked for.
pub const HEADER_SEARCH_ROWS: usize = 20;

/// Folds a header for comparison: full-width to half-width, no spaces, no
/// required-field markers, ASCII lower-case.
pub fn fold_header(h: &str) -> String {
    super::coerce::half_width(h)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '＊' | ':' | '：'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The contract column a source header names, if any.
pub fn column_for(
    dataset: Dataset,
    configured: &BTreeMap<String, String>,
    header: &str,
) -> Option<&'static ColumnSpec> {
    let h = fold_header(header);
    if h.is_empty() {
        return None;
    }
    if let Some(target) = configured
        .iter()
        .find(|(k, _)| fold_header(k) == h)
        .map(|(_, v)| v)
    {
        return dataset.column(target);
    }
    dataset.columns().iter().find(|c| {
        fold_header(c.name) == h
            || fold_header(c.zh) == h
            || c.aliases.iter().any(|a| fold_header(a) == h)
    })
}

/// Index of the header row among the first rows: the row naming the most
/// contract columns (at least two), else the first non-empty row.
pub fn find_header_row(
    dataset: Dataset,
    configured: &BTreeMap<String, String>,
    rows: &[Vec<String>],
) -> Option<usize> {
    let score = |r: &Vec<String>| {
        r.iter()
            .filter(|h| column_for(dataset, configured, h).is_some())
            .count()
    };
    let best = rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .enumerate()
        .map(|(i, r)| (score(r), std::cmp::Reverse(i)))
        .max();
    match best {
        Some((s, std::cmp::Reverse(i))) if s >= 2 => Some(i),
        _ => rows
            .iter()
            .position(|r| r.iter().any(|c| !c.trim().is_empty())),
    }
}

/// The source column of each contract column, or the list of what is missing.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// Contract column -> source column index.
    pub by_column: BTreeMap<&'static str, usize>,
    /// Source headers that map to nothing.
    pub unused: Vec<String>,
}

/// What is wrong with a file's headers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: required column {missing} not found. The file's columns are: {columns}.{hint}")]
pub struct MissingColumns {
    pub origin: String,
    pub missing: String,
    pub columns: String,
    pub hint: String,
}

/// Levenshtein distance over chars.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Maps `headers` to the dataset's columns.
pub fn map_headers(
    dataset: Dataset,
    configured: &BTreeMap<String, String>,
    headers: &[String],
    origin: &str,
) -> Result<Mapping, MissingColumns> {
    let mut by_column = BTreeMap::new();
    let mut unused = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        match column_for(dataset, configured, h) {
            Some(c) if !by_column.contains_key(c.name) => {
                by_column.insert(c.name, i);
            }
            _ if h.trim().is_empty() => {}
            _ => unused.push(h.clone()),
        }
    }
    let missing: Vec<&ColumnSpec> = dataset
        .columns()
        .iter()
        .filter(|c| c.required && !by_column.contains_key(c.name))
        .collect();
    if missing.is_empty() {
        return Ok(Mapping { by_column, unused });
    }
    let mut hints = Vec::new();
    for c in &missing {
        let close = unused.iter().filter(|h| {
            let h = fold_header(h);
            let d = distance(&h, &fold_header(c.zh)).min(distance(&h, c.name));
            d <= 2.max(c.zh.chars().count() / 2)
                || h.contains(&fold_header(c.zh))
                || fold_header(c.zh).contains(&h)
        });
        for h in close {
            hints.push(format!(
                " `{h}` looks close to {} ({}): if it is, add under this [[source]]: [source.columns] \"{h}\" = \"{}\".",
                c.zh, c.name, c.name
            ));
        }
    }
    Err(MissingColumns {
        origin: origin.to_string(),
        missing: missing
            .iter()
            .map(|c| format!("{} ({})", c.zh, c.name))
            .collect::<Vec<_>>()
            .join(", "),
        columns: headers.join(", "),
        hint: hints.concat(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn finds_the_header_below_a_title() {
        let rows = vec![
            hs(&["2024年巡察发现问题台账", "", ""]),
            hs(&["问题编号", "反馈日期", "整改状态"]),
            hs(&["X1", "2024-01-01", "已完成"]),
        ];
        assert_eq!(
            find_header_row(Dataset::Findings, &BTreeMap::new(), &rows),
            Some(1)
        );
    }

    #[test]
    fn maps_labels_names_aliases_and_configured_headers() {
        let mut conf = BTreeMap::new();
        conf.insert("登记时间".to_string(), "received_on".to_string());
        let headers = hs(&[
            "信访件编号",
            "登记时间",
            "channel",
            "信访类别",
            "被反映单位",
            "被反映人职务",
            "是否署名 *",
            "是否重复件",
            "是否转为问题线索",
            "备注",
        ]);
        let m = map_headers(Dataset::Petitions, &conf, &headers, "p.csv").expect("maps");
        assert_eq!(m.by_column["received_on"], 1);
        assert_eq!(m.by_column["channel"], 2);
        assert_eq!(m.by_column["person_role"], 5);
        assert_eq!(m.by_column["signed"], 6);
        assert_eq!(m.unused, vec!["备注".to_string()]);
    }

    #[test]
    fn a_misspelt_header_is_named_with_its_close_match() {
        let headers = hs(&[
            "信访件编号",
            "受理日起",
            "来源渠道",
            "信访类别",
            "被反映单位",
            "被反映人职务类别",
            "是否署名",
            "是否重复件",
            "是否转为问题线索",
        ]);
        let e = map_headers(Dataset::Petitions, &BTreeMap::new(), &headers, "p.csv")
            .expect_err("missing");
        let msg = e.to_string();
        assert!(msg.contains("受理日期 (received_on)"), "{msg}");
        assert!(msg.contains("`受理日起` looks close"), "{msg}");
        assert!(msg.contains("p.csv"), "{msg}");
    }
}

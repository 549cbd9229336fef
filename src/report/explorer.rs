//! `explorer.html`: one self-contained page for the analyst, opened from
//! disk with no server and no network. It holds the unit tree, every
//! count of the roll-up table for the shown quarters and the quarter's
//! flags as JSON, Apache ECharts (`assets/vendor/echarts/`, Apache-2.0)
//! inline, and the glyphs of its characters. Untrusted text (unit names,
//! flag sentences) reaches the page only as JSON inside a
//! `<script type="application/json">` with `<`, `>`, `&` escaped, and is
//! shown through `textContent`; the Content-Security-Policy allows only
//! what is inline.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;
use serde_json::{Value, json};

use crate::aggregate::uq;
use crate::assets::Packed;
use crate::detect::continuity::flag_id;
use crate::model::{Flag, Quarter, UnitLevel};
use crate::store::frame::{polars_ctx, strings};

const TEMPLATE: &str = include_str!("../../assets/templates/explorer.html");
static ECHARTS: Packed = Packed::new(include_bytes!(
    "../../assets/vendor/echarts/echarts.min.js.zst"
));

/// JSON safe inside a `<script>` element.
pub fn script_json(v: &Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// The page for `quarters` (oldest first) from the roll-up table; cells
/// and points expecting fewer than `min_expected` are shown as too few,
/// as in the charts.
pub fn page(
    title: &str,
    rollup: &DataFrame,
    quarters: &[Quarter],
    flags: &[Flag],
    min_expected: f64,
) -> Result<String> {
    let mut data = data(rollup, quarters, flags)?;
    data["min_expected"] = json!(min_expected);
    let json = script_json(&data);
    // The glyphs of the data and of the page's own words and script.
    let font = super::web_font::font_face(&format!("{title}{json}{TEMPLATE}"));
    Ok(TEMPLATE
        .replacen("{{TITLE}}", &crate::text::escape_html(title), 1)
        .replace("{{MIN_EXPECTED}}", &min_expected.to_string())
        .replacen("{{FONT}}", &font, 1)
        .replacen(
            "{{ECHARTS}}",
            &ECHARTS.text().replace("</script", "<\\/script"),
            1,
        )
        .replacen("{{DATA}}", &json, 1))
}

fn data(rollup: &DataFrame, quarters: &[Quarter], flags: &[Flag]) -> Result<Value> {
    let names: Vec<String> = quarters.iter().map(|q| q.to_string()).collect();
    let last = names.last().cloned().unwrap_or_default();
    let metrics: Vec<String> = crate::aggregate::metrics::count_metrics()
        .into_iter()
        .filter(|m| rollup.column(m).is_ok())
        .collect();
    // The units as the last quarter lists them.
    let now = polars_ctx(
        rollup
            .clone()
            .lazy()
            .filter(col(uq::QUARTER).eq(lit(last.clone())))
            .sort([uq::UNIT_ID], Default::default())
            .collect(),
        "explorer units",
    )?;
    let ids = strings(&now, uq::UNIT_ID)?;
    let (unit_names, parents, levels) = (
        strings(&now, uq::NAME)?,
        strings(&now, uq::PARENT_ID)?,
        strings(&now, uq::LEVEL)?,
    );
    let heads: Vec<Option<f64>> = polars_ctx(
        now.column(uq::HEADCOUNT)
            .and_then(|c| c.cast(&DataType::Float64))
            .map(|c| c.f64().map(|v| v.iter().collect()).unwrap_or_default()),
        "headcount",
    )?;
    let row: BTreeMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, u)| (u.as_str(), i))
        .collect();
    let root = ids
        .iter()
        .zip(&parents)
        .find(|(_, p)| p.is_empty() || !row.contains_key(p.as_str()))
        .map(|(u, _)| u.clone())
        .unwrap_or_default();
    let units: Vec<Value> = (0..ids.len())
        .map(|i| {
            json!([
                ids[i],
                unit_names[i],
                if row.contains_key(parents[i].as_str()) {
                    Value::from(parents[i].clone())
                } else {
                    Value::Null
                },
                levels[i],
                heads[i].unwrap_or(0.0)
            ])
        })
        .collect();
    // Every metric: per unit (in `units` order), per quarter.
    let table = polars_ctx(
        rollup
            .clone()
            .lazy()
            .filter(col(uq::QUARTER).is_in(
                lit(Series::new("q".into(), names.clone())).implode(false),
                false,
            ))
            .collect(),
        "explorer values",
    )?;
    let (t_ids, t_q) = (strings(&table, uq::UNIT_ID)?, strings(&table, uq::QUARTER)?);
    let qpos: BTreeMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(k, q)| (q.as_str(), k))
        .collect();
    let mut values = serde_json::Map::new();
    for m in &metrics {
        let v: Vec<Option<f64>> = polars_ctx(
            table
                .column(m)
                .and_then(|c| c.cast(&DataType::Float64))
                .map(|c| c.f64().map(|x| x.iter().collect()).unwrap_or_default()),
            m,
        )?;
        let mut grid = vec![vec![Value::Null; names.len()]; ids.len()];
        for (r, value) in v.iter().enumerate() {
            if let (Some(&i), Some(&k), Some(x)) =
                (row.get(t_ids[r].as_str()), qpos.get(t_q[r].as_str()), value)
            {
                grid[i][k] = json!(x);
            }
        }
        values.insert(m.clone(), json!(grid));
    }
    let level_names: serde_json::Map<String, Value> = UnitLevel::ALL
        .iter()
        .map(|l| (l.code().to_string(), json!(l.label_zh())))
        .collect();
    Ok(json!({
        "quarters": names,
        "root": root,
        "units": units,
        "levels": level_names,
        "metrics": metrics.iter().map(|m| json!([m, crate::aggregate::labels::label_zh(m)])).collect::<Vec<_>>(),
        "values": values,
        "flags": flags.iter().map(|f| json!([flag_id(f), f.unit_id, f.sentence_zh, f.detector, evidence_zh(f)])).collect::<Vec<_>>(),
    }))
}

/// A flag's evidence in one line: its kind, the count against what was
/// expected, and the p and q values.
fn evidence_zh(f: &Flag) -> String {
    let e = &f.evidence;
    let kind = crate::model::FlagKind::parse(f.detector).map_or(f.detector, |k| k.label_zh());
    let sig = super::petitions::significant;
    if e.expected > 0.0 {
        format!(
            "{kind}：实际{}，预期{:.1}，p={}，q={}（阈值{}，同批检验{}个）",
            e.observed,
            e.expected,
            sig(e.p_value),
            sig(e.q_value),
            e.threshold,
            e.n_tested
        )
    } else {
        format!("{kind}：计数{}", e.observed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_cannot_leave_the_json_script() {
        let v = json!({"name": "</script><script>alert(1)</script>&\u{2028}"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: Value = serde_json::from_str(&s).expect("still JSON");
        assert_eq!(back, v);
    }

    #[test]
    fn too_few_follows_the_setting_given() {
        let q = Quarter::new(2024, 4).expect("quarter");
        let rollup = df!(
            uq::QUARTER => ["2024Q4", "2024Q4"],
            uq::UNIT_ID => ["C", "D01"],
            uq::NAME => ["市", "区"],
            uq::PARENT_ID => ["", "C"],
            uq::LEVEL => ["city", "district"],
            uq::HEADCOUNT => [100i64, 50],
        )
        .expect("rollup");
        let html = page("页", &rollup, &[q], &[], 0.5).expect("page");
        assert!(html.contains("预期不足0.5的格为空") && html.contains("预期不足0.5件"));
        assert!(html.contains("\"min_expected\":0.5"));
    }
}

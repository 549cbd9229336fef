//! `yanpan eval --matters STORE --truth FILE`: the matters a run decided,
//! scored against a synthetic city's planted ones, beside the export's own
//! repeat mark.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::aggregate::link::quality::{Quality, quality};
use crate::aggregate::link_read::MATTERS;
use crate::model::Dataset;
use crate::store::frame::{polars_ctx, text_column};
use crate::store::{Store, read_parquet};

/// The evaluation table (Markdown).
pub fn eval_matters(store: &Path, truth: &Path) -> Result<String> {
    let store = Store::open(store)?;
    let matters = read_parquet(&store.derived_path(MATTERS))?;
    let planted = planted(truth)?;
    let marks = polars_ctx(
        store
            .scan(Dataset::Petitions)?
            .select([
                col("petition_id").cast(DataType::String),
                col("repeat").fill_null(lit(false)),
            ])
            .collect(),
        "repeat marks",
    )?;
    let marked: HashMap<String, bool> = text_column(&marks, "petition_id")?
        .iter()
        .zip(
            polars_ctx(
                marks.column("repeat").and_then(|c| c.bool().cloned()),
                "repeat",
            )?
            .iter(),
        )
        .map(|(p, m)| (p.unwrap_or_default().to_string(), m.unwrap_or(false)))
        .collect();
    let ids = text_column(&matters, "petition_id")?;
    let found = text_column(&matters, "matter_id")?;
    let (mut computed, mut truth_ids, mut rows) = (Vec::new(), Vec::new(), Vec::new());
    for (p, m) in ids.iter().zip(found.iter()) {
        let (p, m) = (p.unwrap_or_default(), m.unwrap_or_default());
        let t = planted.get(p).map_or(p, String::as_str);
        computed.push(m);
        truth_ids.push(t);
        rows.push((t != p, m != p, marked.get(p).copied().unwrap_or(false)));
    }
    let q = quality(&computed, &truth_ids);
    Ok(table(&q, &rows))
}

/// petition id → its planted matter (petitions not listed are alone).
fn planted(truth: &Path) -> Result<HashMap<String, String>> {
    let mut r =
        csv::Reader::from_path(truth).with_context(|| format!("reading {}", truth.display()))?;
    let mut out = HashMap::new();
    for (n, row) in r.records().enumerate() {
        let row = row.with_context(|| format!("{}: row {}", truth.display(), n + 2))?;
        out.insert(row[0].to_string(), row[1].to_string());
    }
    Ok(out)
}

/// Precision and recall of "this petition is a repeat" against the truth.
fn repeat_scores(
    rows: &[(bool, bool, bool)],
    pick: impl Fn(&(bool, bool, bool)) -> bool,
) -> (f64, f64, f64) {
    let (mut tp, mut said, mut real, mut same) = (0usize, 0usize, 0usize, 0usize);
    for r in rows {
        let (t, s) = (r.0, pick(r));
        tp += usize::from(t && s);
        said += usize::from(s);
        real += usize::from(t);
        same += usize::from(t == s);
    }
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    (ratio(tp, said), ratio(tp, real), ratio(same, rows.len()))
}

fn table(q: &Quality, rows: &[(bool, bool, bool)]) -> String {
    let (cp, cr, ca) = repeat_scores(rows, |r| r.1);
    let (mp, mr, ma) = repeat_scores(rows, |r| r.2);
    format!(
        "Matters against the planted truth, {} petitions\n\n\
         | grouping | precision | recall |\n|---|---|---|\n\
         | pairwise | {:.3} | {:.3} |\n| B-cubed | {:.3} | {:.3} |\n\n\
         \"Is a repeat\" against the truth\n\n\
         | source | precision | recall | agrees with the truth |\n|---|---|---|---|\n\
         | computed matters | {cp:.3} | {cr:.3} | {:.1}% |\n\
         | the export's mark | {mp:.3} | {mr:.3} | {:.1}% |",
        q.petitions,
        q.pairwise_precision,
        q.pairwise_recall,
        q.bcubed_precision,
        q.bcubed_recall,
        ca * 100.0,
        ma * 100.0
    )
}

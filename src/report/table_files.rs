//! The published tables as files: every table a run publishes beside the
//! reports, as Parquet for analysts' tools and CSV or a workbook for
//! Excel/WPS.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;

use crate::aggregate::{Tables, chain_read, supervision_read};
use crate::detect::follow::FollowUp;
use crate::detect::{Detected, follow_tables, risk_score::RiskScore, tables};
use crate::model::Quarter;
use crate::store::csv::frame_csv;
use crate::store::frame::polars_ctx;
use crate::store::parquet_bytes;

/// The tables to write: name, table, and whether a `.csv` goes beside
/// the `.parquet`.
type Jobs = Vec<(String, DataFrame, bool)>;

/// Adds `tables/<name>.parquet` (and `.csv` with `csv`) to the jobs.
fn add(jobs: &mut Jobs, name: &str, df: DataFrame, csv: bool) {
    jobs.push((name.to_string(), df, csv));
}

/// Every job's files, each table encoded on its own core.
fn encode(jobs: Jobs) -> Result<BTreeMap<String, Vec<u8>>> {
    use rayon::prelude::*;
    let encoded: Vec<Vec<(String, Vec<u8>)>> = jobs
        .into_par_iter()
        .map(|(name, df, csv)| {
            let mut out = Vec::new();
            if csv {
                out.push((
                    format!("tables/{name}.csv"),
                    polars_ctx(frame_csv(&df), &name)?,
                ));
            }
            out.push((
                format!("tables/{name}.parquet"),
                polars_ctx(parquet_bytes(df), &name)?,
            ));
            Ok(out)
        })
        .collect::<Result<_>>()?;
    Ok(encoded.into_iter().flatten().collect())
}

/// Every published table of the run.
pub fn table_files(
    t: &Tables,
    detected: &Detected,
    risk_score: &RiskScore,
    quarantine: &DataFrame,
    shown: &[Quarter],
) -> Result<BTreeMap<String, Vec<u8>>> {
    let (files, workbook) = rayon::join(
        || tables_of(t, detected, risk_score, quarantine),
        || workbook(t, shown),
    );
    let mut files = files?;
    files.insert("tables/unit_quarter.xlsx".into(), workbook?);
    Ok(files)
}

/// The published tables but the workbook.
fn tables_of(
    t: &Tables,
    detected: &Detected,
    risk_score: &RiskScore,
    quarantine: &DataFrame,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = Jobs::new();
    add(&mut files, "matters", t.facts.matters.clone(), false);
    add(
        &mut files,
        "chain",
        chain_read::chain_frame(&t.facts.chain)?,
        false,
    );
    if let Some(c) = &t.facts.supervision {
        add(
            &mut files,
            "supervision_coverage",
            supervision_read::coverage_frame(c)?,
            true,
        );
        add(
            &mut files,
            "supervision_gaps",
            supervision_read::gaps_frame(c)?,
            true,
        );
    }
    for (name, table) in &t.derived {
        add(&mut files, name, table.clone(), false);
    }
    add(&mut files, "quarantine", quarantine.clone(), true);
    let contributions = polars_ctx(
        tables::contributions_frame(&risk_score.contributions(&detected.flags)),
        "risk contributions",
    )?;
    let contributions_csv = polars_ctx(frame_csv(&contributions), "risk contributions")?;
    add(
        &mut files,
        "flags",
        polars_ctx(
            tables::flags_frame(&detected.flags, &detected.history),
            "flags table",
        )?,
        true,
    );
    follow_up_tables(&mut files, &detected.follow_up)?;
    add(
        &mut files,
        "scores",
        polars_ctx(tables::scores_frame(&detected.scores), "scores table")?,
        false,
    );
    let mut out = encode(files)?;
    out.insert("tables/risk_contributions.csv".into(), contributions_csv);
    Ok(out)
}

/// The follow-up's tables, when the pipeline gives a ledger.
fn follow_up_tables(files: &mut Jobs, up: &FollowUp) -> Result<()> {
    if !(up.has_dispositions || up.has_recommendations) {
        return Ok(());
    }
    add(
        files,
        "follow_up_items",
        polars_ctx(follow_tables::items_frame(up), "follow-up items")?,
        true,
    );
    if up.has_dispositions {
        add(
            files,
            "flag_status",
            polars_ctx(follow_tables::status_frame(up), "flag status")?,
            true,
        );
        let mut rows = up.per_quarter.clone();
        rows.extend(up.per_detector.iter().cloned());
        add(
            files,
            "detector_yield",
            polars_ctx(follow_tables::yield_frame(&rows), "detector yield")?,
            true,
        );
        add(
            files,
            "dispositions_unmatched",
            polars_ctx(
                follow_tables::unmatched_frame(&up.unmatched),
                "unmatched dispositions",
            )?,
            true,
        );
    }
    Ok(())
}

/// The three tables for the report's quarters, so the workbook stays
/// within Excel's rows.
fn workbook(t: &Tables, shown: &[Quarter]) -> Result<Vec<u8>> {
    let names = Series::new(
        "q".into(),
        shown.iter().map(|q| q.to_string()).collect::<Vec<_>>(),
    );
    let only_shown = |df: &DataFrame| {
        polars_ctx(
            df.clone()
                .lazy()
                .filter(col("quarter").is_in(lit(names.clone()).implode(false), false))
                .collect(),
            "selecting the report's quarters",
        )
    };
    let [(_, own), (_, rolled), (_, people)] = &t.derived;
    let (own, rolled, people) = (only_shown(own)?, only_shown(rolled)?, only_shown(people)?);
    Ok(super::xlsx::bytes(
        "tables/unit_quarter.xlsx",
        &[
            ("本单位", &own),
            ("含下级单位", &rolled),
            ("领导人员", &people),
        ],
    )?)
}

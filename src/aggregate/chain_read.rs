//! The chain at the edge: per unit and petition quarter, the counts of
//! petitions, clues and verified clues (polars, over the store), and the
//! cases traced back to their petitions (pure, `aggregate::chain`).

use anyhow::Result;
use chrono::Duration;
use polars::prelude::*;

use crate::aggregate::chain::{self, CaseOutcome, CaseStep, ChainRow, ChainRules, PetitionStep};
use crate::model::{CaseSource, Dataset, Disposition, Quarter, Sanction};
use crate::store::Store;
use crate::store::frame::{ints, polars_ctx, strings, text_column};

/// Petition quarters the chain follows, ending at the run's quarter.
pub const COHORT_QUARTERS: usize = 8;

fn date_lit(d: chrono::NaiveDate) -> Expr {
    lit(d).cast(DataType::Date)
}

/// The chain rows of the `COHORT_QUARTERS` quarters ending at `quarter`.
pub fn chain_rows(store: &Store, quarter: Quarter, rules: ChainRules) -> Result<Vec<ChainRow>> {
    let first = quarter.offset(1 - COHORT_QUARTERS as i32);
    let (start, end) = (first.first_day(), quarter.last_day());
    let verified = col("disposition")
        .cast(DataType::String)
        .eq(lit(Disposition::Verify.code()))
        .fill_null(lit(false));
    let counts = polars_ctx(
        store
            .scan(Dataset::Petitions)?
            .filter(
                col("received_on")
                    .gt_eq(date_lit(start))
                    .and(col("received_on").lt_eq(date_lit(end))),
            )
            .group_by([
                col("unit_id").cast(DataType::String),
                col("quarter").cast(DataType::String),
            ])
            .agg([
                len().alias("petitions"),
                col("clue").fill_null(lit(false)).sum().alias("clues"),
                verified.clone().sum().alias("verified"),
            ])
            .sort(["unit_id", "quarter"], Default::default())
            .collect(),
        "chain counts",
    )?;
    let n = |c: &str| -> Result<Vec<u32>> {
        Ok(polars_ctx(
            counts
                .column(c)
                .and_then(|s| s.cast(&DataType::UInt32))
                .and_then(|s| s.u32().cloned()),
            c,
        )?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect())
    };
    let (petitions, clues, verified_n) = (n("petitions")?, n("clues")?, n("verified")?);
    let mut rows: Vec<ChainRow> = strings(&counts, "unit_id")?
        .into_iter()
        .zip(strings(&counts, "quarter")?)
        .enumerate()
        .map(|(k, (unit_id, quarter))| ChainRow {
            unit_id,
            quarter,
            petitions: petitions[k],
            clues: clues[k],
            verified: verified_n[k],
            ..Default::default()
        })
        .collect();
    let Some(cases) = store.scan_optional(Dataset::Cases)? else {
        return Ok(rows);
    };
    // Clue petitions a case filed in the cohort window may have grown from.
    let clue_petitions = polars_ctx(
        store
            .scan(Dataset::Petitions)?
            .filter(
                col("clue").fill_null(lit(false)).and(
                    col("received_on")
                        .gt_eq(date_lit(
                            start - Duration::days(i64::from(rules.window_days)),
                        ))
                        .and(col("received_on").lt_eq(date_lit(end))),
                ),
            )
            .select([
                col("petition_id").cast(DataType::String),
                col("unit_id").cast(DataType::String),
                col("person_id").cast(DataType::String),
                col("field").cast(DataType::String),
                col("discipline").cast(DataType::String),
                col("received_on"),
                col("quarter").cast(DataType::String),
                verified.alias("verified"),
            ])
            .collect(),
        "clue petitions",
    )?;
    let cases = polars_ctx(
        cases
            .filter(
                col("filed_on").gt_eq(date_lit(start)).and(
                    col("filed_on").lt_eq(date_lit(end)).and(
                        col("source")
                            .cast(DataType::String)
                            .eq(lit(CaseSource::Petition.code()))
                            .or(col("petition_id").is_not_null()),
                    ),
                ),
            )
            .select([
                col("unit_id").cast(DataType::String),
                col("person_id").cast(DataType::String),
                col("field").cast(DataType::String),
                col("discipline").cast(DataType::String),
                col("filed_on"),
                col("source").cast(DataType::String),
                col("petition_id").cast(DataType::String),
                col("form").cast(DataType::Int32),
                col("sanction").cast(DataType::String),
            ])
            .collect(),
        "cases from petitions",
    )?;
    let t = |df: &DataFrame, c: &str| text_column(df, c);
    let (p_ids, p_units, p_people, p_fields, p_kinds, p_quarters) = (
        t(&clue_petitions, "petition_id")?,
        t(&clue_petitions, "unit_id")?,
        t(&clue_petitions, "person_id")?,
        t(&clue_petitions, "field")?,
        t(&clue_petitions, "discipline")?,
        t(&clue_petitions, "quarter")?,
    );
    let p_days = ints(&clue_petitions, "received_on")?;
    let p_verified = polars_ctx(
        clue_petitions
            .column("verified")
            .and_then(|c| c.bool().cloned()),
        "verified",
    )?;
    let steps: Vec<PetitionStep<'_>> = (0..clue_petitions.height())
        .map(|i| PetitionStep {
            id: p_ids.get(i).unwrap_or(""),
            unit: p_units.get(i).unwrap_or(""),
            person: p_people.get(i),
            field: p_fields.get(i),
            discipline: p_kinds.get(i),
            day: p_days[i].unwrap_or(0),
            clue: true,
            verified: p_verified.get(i).unwrap_or(false),
        })
        .collect();
    let quarters: Vec<&str> = (0..steps.len())
        .map(|i| p_quarters.get(i).unwrap_or(""))
        .collect();
    let (c_units, c_people, c_fields, c_kinds, c_sources, c_ids, c_sanctions) = (
        t(&cases, "unit_id")?,
        t(&cases, "person_id")?,
        t(&cases, "field")?,
        t(&cases, "discipline")?,
        t(&cases, "source")?,
        t(&cases, "petition_id")?,
        t(&cases, "sanction")?,
    );
    let c_days = ints(&cases, "filed_on")?;
    let forms = ints(&cases, "form")?;
    let case_steps: Vec<CaseStep<'_>> = (0..cases.height())
        .map(|i| CaseStep {
            unit: c_units.get(i).unwrap_or(""),
            person: c_people.get(i),
            field: c_fields.get(i),
            discipline: c_kinds.get(i),
            day: c_days[i].unwrap_or(0),
            from_petition: c_sources.get(i) == Some(CaseSource::Petition.code()),
            petition_id: c_ids.get(i),
        })
        .collect();
    let traced: Vec<(usize, CaseOutcome)> = chain::trace(&steps, &case_steps, rules)
        .into_iter()
        .enumerate()
        .filter_map(|(c, m)| {
            let (i, _) = m?;
            Some((
                i,
                CaseOutcome {
                    form: forms[c].and_then(|f| u8::try_from(f).ok()).unwrap_or(0),
                    sanction: c_sanctions
                        .get(c)
                        .and_then(|s| Sanction::ALL.iter().position(|x| x.code() == s)),
                },
            ))
        })
        .collect();
    chain::add_cases(&mut rows, &steps, &quarters, &traced);
    Ok(rows)
}

/// `tables/chain`: one row per unit and petition quarter.
pub fn chain_frame(rows: &[ChainRow]) -> Result<DataFrame> {
    let col_of = |name: &str, f: &dyn Fn(&ChainRow) -> u32| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<u32>>())
    };
    let mut columns = vec![
        Column::new(
            "unit_id".into(),
            rows.iter().map(|r| r.unit_id.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "quarter".into(),
            rows.iter().map(|r| r.quarter.as_str()).collect::<Vec<_>>(),
        ),
        col_of("petitions", &|r| r.petitions),
        col_of("clues", &|r| r.clues),
        col_of("verified", &|r| r.verified),
        col_of("cases", &|r| r.cases),
    ];
    for k in 0..4 {
        columns.push(col_of(&format!("cases_form_{}", k + 1), &|r| r.forms[k]));
    }
    for (k, s) in Sanction::ALL.iter().enumerate() {
        columns.push(col_of(&format!("cases_sanction_{}", s.code()), &|r| {
            r.sanctions[k]
        }));
    }
    polars_ctx(DataFrame::new(rows.len(), columns), "chain table")
}

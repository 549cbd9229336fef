//! The two ledgers at the edge: the dispositions and recommendations the
//! store holds up to the report's quarter's last day, as typed records.

use anyhow::Result;
use polars::prelude::*;

use crate::model::ledger::{Action, Ledger, Recommendation};
use crate::model::{Dataset, FlagAction, FlagKind, KeyField, Quarter, Verdict};
use crate::store::Store;
use crate::store::frame::{dates, polars_ctx, strings, text_column};

/// Both ledgers through `quarter` (a source the store does not hold is
/// `None`).
pub fn ledger(store: &Store, quarter: Quarter) -> Result<Ledger> {
    Ok(Ledger {
        actions: through(store, Dataset::Dispositions, quarter)?
            .map(|df| actions(&df))
            .transpose()?,
        recommendations: through(store, Dataset::Recommendations, quarter)?
            .map(|df| recommendations(&df))
            .transpose()?,
    })
}

/// The dataset's rows dated on or before the quarter's last day.
fn through(store: &Store, d: Dataset, quarter: Quarter) -> Result<Option<DataFrame>> {
    let Some(scan) = store.scan_optional(d)? else {
        return Ok(None);
    };
    let date = d.quarter_date().unwrap_or("quarter");
    let last = lit(quarter.last_day()).cast(DataType::Date);
    polars_ctx(scan.filter(col(date).lt_eq(last)).collect(), d.name()).map(Some)
}

fn optional(df: &DataFrame, column: &str) -> Result<Vec<Option<String>>> {
    Ok(text_column(df, column)?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

fn actions(df: &DataFrame) -> Result<Vec<Action>> {
    let (ids, flags, units) = (
        strings(df, "action_id")?,
        optional(df, "flag_id")?,
        strings(df, "unit_id")?,
    );
    let (kinds, quarters, what) = (
        optional(df, "detector")?,
        optional(df, "flag_quarter")?,
        strings(df, "action")?,
    );
    let (sent, due, replied) = (
        dates(df, "sent_on")?,
        dates(df, "reply_due")?,
        dates(df, "replied_on")?,
    );
    let (verdicts, notes) = (optional(df, "verdict")?, strings(df, "note")?);
    let mut out: Vec<Action> = (0..df.height())
        .filter_map(|i| {
            Some(Action {
                action_id: ids[i].clone(),
                flag_id: flags[i].clone(),
                unit_id: units[i].clone(),
                detector: kinds[i].as_deref().and_then(FlagKind::parse),
                flag_quarter: quarters[i].as_deref().and_then(|q| q.trim().parse().ok()),
                action: FlagAction::parse(&what[i])?,
                sent_on: sent[i]?,
                reply_due: due[i],
                replied_on: replied[i],
                verdict: verdicts[i].as_deref().and_then(Verdict::parse),
                note: notes[i].clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| (a.sent_on, &a.action_id).cmp(&(b.sent_on, &b.action_id)));
    Ok(out)
}

fn recommendations(df: &DataFrame) -> Result<Vec<Recommendation>> {
    let (ids, units, subjects) = (
        strings(df, "recommendation_id")?,
        strings(df, "unit_id")?,
        strings(df, "subject")?,
    );
    let (fields, copied) = (optional(df, "field")?, optional(df, "copied_to")?);
    let (issued, due, feedback, visit) = (
        dates(df, "issued_on")?,
        dates(df, "due_on")?,
        dates(df, "feedback_on")?,
        dates(df, "return_visit_on")?,
    );
    let assessed: Vec<Option<bool>> = polars_ctx(
        df.column("assessed").and_then(|c| c.bool().cloned()),
        "assessed",
    )?
    .iter()
    .collect();
    let mut out: Vec<Recommendation> = (0..df.height())
        .filter_map(|i| {
            Some(Recommendation {
                id: ids[i].clone(),
                unit_id: units[i].clone(),
                issued_on: issued[i]?,
                subject: subjects[i].clone(),
                field: fields[i].as_deref().and_then(KeyField::parse),
                copied_to: copied[i].clone().filter(|c| !c.trim().is_empty()),
                due_on: due[i],
                feedback_on: feedback[i],
                return_visit_on: visit[i],
                assessed: assessed[i],
            })
        })
        .collect();
    out.sort_by(|a, b| (a.issued_on, &a.id).cmp(&(b.issued_on, &b.id)));
    Ok(out)
}

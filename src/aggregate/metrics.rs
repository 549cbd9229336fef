//! The metrics of the unit × quarter table, one expression each, named
//! after what they count. A record counts in the quarter its dataset is
//! partitioned by (petitions: received, findings: reported, cases: filed).

use polars::prelude::*;

use super::uq;
use crate::model::{
    CaseSource, Channel, Discipline, EnumValue, KeyField, PersonRole, PetitionClass, Sanction,
};

/// The amount involved in cases (涉案金额) in fen (分), an exact integer
/// total, as the unit × quarter table and its roll-up carry it.
pub const AMOUNT_FEN: &str = "amount_fen";
/// The same in yuan, as the published tables show it (see [`fen_to_yuan`]).
pub const AMOUNT: &str = "amount_yuan";

/// Days from receipt to disposition of the quarter's top-leader clues:
/// medians and percentiles do not add up the unit tree, so the roll-up
/// leaves them empty.
pub const NON_ADDITIVE: [&str; 2] = ["clue_days_top_leader_median", "clue_days_top_leader_p90"];

/// The counts of the unit × quarter table (what a funnel plot or an
/// observed/expected heatmap can show), in table order.
pub fn count_metrics() -> Vec<String> {
    use super::stocks;
    let mut out: Vec<String> = petitions()
        .into_iter()
        .chain(findings())
        .chain(cases())
        .filter(|m| matches!(m.reduce, Reduce::Len | Reduce::Count))
        .map(|m| m.name)
        .collect();
    out.extend(
        [
            stocks::CLUES_OPEN,
            stocks::TOP_LEADER_OVERDUE,
            stocks::CASES_CLOSED,
            stocks::RECT_DUE,
            stocks::RECT_ON_TIME,
            stocks::RECT_LATE,
            stocks::RECT_OVERDUE,
        ]
        .map(str::to_string),
    );
    out
}

/// The count metric named by its code or its Chinese header.
pub fn count_metric(name: &str) -> Option<String> {
    let name = name.trim();
    count_metrics()
        .into_iter()
        .find(|m| m == name || super::labels::label_zh(m) == name)
}

/// A named metric: a value per record, reduced per unit and quarter.
#[derive(Debug, Clone)]
pub struct Metric {
    pub name: String,
    /// Per record (null: the record does not count).
    pub value: Expr,
    pub reduce: Reduce,
}

/// How a metric's values reduce to one figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    /// The number of records, `u32` (the value is not used).
    Len,
    /// A count of the records whose value is true, `u32`.
    Count,
    /// An exact integer total, `i64`.
    Total,
    Median,
    P90,
}

impl Metric {
    /// The aggregation of the values in a group. (Evaluating the values
    /// inside the aggregation is faster and lighter than selecting them as
    /// columns before grouping: 1.0 s and 0.4 GB against 1.4 s and 1.5 GB
    /// for a national year.)
    pub fn aggregation(&self) -> Expr {
        let c = self.value.clone();
        match self.reduce {
            Reduce::Len => len().cast(DataType::UInt32),
            Reduce::Count => c.sum().cast(DataType::UInt32),
            Reduce::Total => c.sum(),
            Reduce::Median => c.median(),
            Reduce::P90 => c.quantile(lit(0.9), QuantileMethod::Linear),
        }
        .alias(self.name.as_str())
    }
}

fn metric(name: &str, value: Expr, reduce: Reduce) -> Metric {
    Metric {
        name: name.to_string(),
        value: value.alias(name),
        reduce,
    }
}

fn count(name: &str, condition: Expr) -> Metric {
    metric(name, condition.cast(DataType::UInt32), Reduce::Count)
}

fn total(name: &str) -> Metric {
    metric(name, lit(true), Reduce::Len)
}

/// One count per value of an enumeration: `{prefix}_{code}`.
fn by(column: &str, values: &[EnumValue], prefix: &str) -> Vec<Metric> {
    values
        .iter()
        .map(|v| count(&format!("{prefix}_{}", v.code), col(column).eq(lit(v.code))))
        .collect()
}

fn role_is(r: PersonRole) -> Expr {
    col("person_role").eq(lit(r.code()))
}

/// Median and 90th percentile of days to disposition for top-leader clues
/// received in the quarter and disposed since (empty when there are none):
/// the rows they are computed over, and the metrics. (A separate pass over
/// those few rows: a median inside the main group-by slows all of it.)
pub fn days_to_disposition() -> (Expr, Vec<Metric>) {
    let days = (col("disposed_on").cast(DataType::Int32)
        - col("received_on").cast(DataType::Int32))
    .cast(DataType::Float64);
    let disposed = col("clue")
        .and(role_is(PersonRole::TopLeader))
        .and(col("disposed_on").is_not_null());
    let [median, p90] = NON_ADDITIVE;
    (
        disposed,
        vec![
            metric(median, days.clone(), Reduce::Median),
            metric(p90, days, Reduce::P90),
        ],
    )
}

/// Petitions (信访举报) and the clues among them.
pub fn petitions() -> Vec<Metric> {
    let mut m = vec![
        total(uq::PETITIONS),
        count(uq::PETITIONS_TOP_LEADER, role_is(PersonRole::TopLeader)),
        count("petitions_member", role_is(PersonRole::Member)),
        count(uq::SIGNED, col("signed")),
        count(uq::REPEAT, col("repeat")),
        count(uq::CLUES, col("clue")),
        count(
            "clues_top_leader",
            col("clue").and(role_is(PersonRole::TopLeader)),
        ),
        count(
            "clues_disposed",
            col("clue").and(col("disposed_on").is_not_null()),
        ),
    ];
    m.extend(by("class", PetitionClass::VALUES, "petitions_class"));
    m.extend(by("channel", Channel::VALUES, "petitions_channel"));
    m.extend(by("discipline", Discipline::VALUES, "petitions_discipline"));
    m.extend(by("field", KeyField::VALUES, "petitions_field"));
    m
}

/// Inspection findings (巡视巡察发现问题).
pub fn findings() -> Vec<Metric> {
    let mut m = vec![
        total(uq::FINDINGS),
        count("findings_top_leader", col("involves_top_leader")),
    ];
    m.extend(by("field", KeyField::VALUES, "findings_field"));
    m
}

/// Cases (案件).
pub fn cases() -> Vec<Metric> {
    let mut m = vec![
        total(uq::CASES),
        count("cases_top_leader", role_is(PersonRole::TopLeader)),
    ];
    m.extend((1..=4).map(|f| count(&format!("cases_form_{f}"), col("form").eq(lit(f)))));
    m.extend(by("sanction", Sanction::VALUES, "cases_sanction"));
    m.extend(by("field", KeyField::VALUES, "cases_field"));
    m.extend(by("source", CaseSource::VALUES, "cases_source"));
    m.push(metric(AMOUNT_FEN, amount_fen(), Reduce::Total));
    m
}

/// The amount involved, summed exactly: each amount is rounded to the fen
/// (half away from zero) and added as an integer, so the total does not
/// depend on the order the engine adds rows in, and sums up the unit tree
/// without drift (a float sum would differ in its last digits).
fn amount_fen() -> Expr {
    let fen = col(AMOUNT) * lit(100.0);
    when(fen.clone().gt_eq(lit(0.0)))
        .then(fen.clone() + lit(0.5))
        .otherwise(fen - lit(0.5))
        .cast(DataType::Int64)
}

/// Replaces the fen total by yuan, each value divided in Rust so it is the
/// double nearest the decimal amount (a polars division by a literal
/// multiplies by 0.01 and can land one unit in the last place off).
pub fn fen_to_yuan(mut df: DataFrame) -> PolarsResult<DataFrame> {
    // Without a cases source the column is an empty-table zero of another width.
    let fen = df.column(AMOUNT_FEN)?.cast(&DataType::Int64)?;
    let yuan: Float64Chunked = fen
        .i64()?
        .iter()
        .map(|v| v.map(|fen| fen as f64 / 100.0))
        .collect();
    df.replace(AMOUNT_FEN, yuan.into_column())?;
    df.rename(AMOUNT_FEN, AMOUNT.into())?;
    Ok(df)
}

/// Rounds the days-to-disposition statistics to a tenth of a day, the
/// precision reports show, so that interpolation's last-digit noise does
/// not depend on the engine.
pub fn days_to_tenths(mut df: DataFrame) -> PolarsResult<DataFrame> {
    for name in NON_ADDITIVE {
        let tenths: Float64Chunked = df
            .column(name)?
            .f64()?
            .iter()
            .map(|v| v.map(|d| (d * 10.0).round() / 10.0))
            .collect();
        df.replace(name, tenths.into_column())?;
    }
    Ok(df)
}

/// The headline counts that get rates and changes.
pub const HEADLINE: [&str; 4] = [uq::PETITIONS, uq::CLUES, uq::FINDINGS, uq::CASES];

/// Adds, for each headline count, its rate per 100 staff (`_per_100`) and
/// its value in the previous quarter (`_prev_quarter`) and the same quarter
/// a year earlier (`_year_before`). Needs every unit's quarters present and
/// in order, as `unit_quarter` makes them; quarters before the table's
/// first are unknown (null), not zero.
pub fn with_changes(table: DataFrame) -> PolarsResult<DataFrame> {
    let mut exprs = Vec::new();
    for m in HEADLINE {
        let rate = when(col(uq::HEADCOUNT).gt(lit(0)))
            .then(
                col(m).cast(DataType::Float64) / col(uq::HEADCOUNT).cast(DataType::Float64)
                    * lit(100.0),
            )
            .otherwise(lit(NULL).cast(DataType::Float64));
        exprs.push(rate.alias(format!("{m}_per_100")));
        exprs.push(
            col(m)
                .shift(lit(1))
                .over([col(uq::UNIT_ID)])?
                .alias(format!("{m}_prev_quarter")),
        );
        exprs.push(
            col(m)
                .shift(lit(4))
                .over([col(uq::UNIT_ID)])?
                .alias(format!("{m}_year_before")),
        );
    }
    // Of the rectifications due in the quarter, the share done (on time or late).
    let (due, on_time, late) = (
        super::stocks::RECT_DUE,
        super::stocks::RECT_ON_TIME,
        super::stocks::RECT_LATE,
    );
    exprs.push(
        when(col(due).gt(lit(0)))
            .then(
                (col(on_time) + col(late)).cast(DataType::Float64)
                    / col(due).cast(DataType::Float64),
            )
            .otherwise(lit(NULL).cast(DataType::Float64))
            .alias("rectification_completion_rate"),
    );
    let table = table
        .lazy()
        .sort([uq::UNIT_ID, uq::QUARTER], Default::default())
        .with_columns(exprs)
        .collect()?;
    fen_to_yuan(table)
}

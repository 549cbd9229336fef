//! Findings raised again at a follow-up inspection (回头看): a follow-up
//! finding about a unit in a key field where an earlier inspection had
//! already found a problem. Counted in the quarter the follow-up finding
//! was reported (its partition), once per finding.

use polars::prelude::*;

use super::uq;
use crate::model::InspectionKind;

/// Follow-up findings repeating an earlier finding's unit and field.
pub const REPEATED: &str = "findings_repeated_at_follow_up";

/// Per unit and quarter (of `quarters`), the repeated findings. A
/// follow-up finding repeats an earlier one exactly when the first finding
/// in its unit and field was reported before it: a group-by and a join,
/// no finding × finding product.
pub fn repeated(findings: LazyFrame, quarters: &Series) -> LazyFrame {
    const FIRST: &str = "__first_reported_on";
    // Joined on the field's code as text: the stored enumeration's small
    // integer type cannot be a join key in this polars build.
    let field = || col("field").cast(DataType::String);
    let first = findings
        .clone()
        .filter(col("field").is_not_null())
        .group_by([col(uq::UNIT_ID), field()])
        .agg([col("reported_on").min().alias(FIRST)]);
    super::in_quarters(findings, quarters)
        .filter(
            col("kind")
                .eq(lit(InspectionKind::FollowUp.code()))
                .and(col("field").is_not_null()),
        )
        .select([
            col(uq::UNIT_ID),
            col(uq::QUARTER),
            field(),
            col("reported_on"),
        ])
        .join(
            first,
            [col(uq::UNIT_ID), col("field")],
            [col(uq::UNIT_ID), col("field")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col(FIRST).lt(col("reported_on")))
        .group_by([col(uq::UNIT_ID), col(uq::QUARTER)])
        .agg([len().cast(DataType::UInt32).alias(REPEATED)])
}

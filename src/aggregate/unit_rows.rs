//! Reading the unit × quarter table by unit: each row's figures as numbers
//! by column name, for the charts and reports that list units.

use polars::prelude::*;

use super::uq;
use crate::model::Quarter;

/// One unit's row in one quarter, numbers by requested column.
#[derive(Debug, Clone)]
pub struct UnitRow {
    pub unit_id: String,
    pub name: String,
    pub level: String,
    pub quarter: String,
    pub values: Vec<f64>,
}

/// The rows of `df` in `quarters`, with `columns` as numbers (missing
/// columns and nulls as 0).
pub fn unit_rows(
    df: &DataFrame,
    quarters: &[Quarter],
    columns: &[&str],
) -> PolarsResult<Vec<UnitRow>> {
    let names: Vec<String> = quarters.iter().map(|q| q.to_string()).collect();
    let have = df.schema();
    let mut select = vec![
        col(uq::UNIT_ID),
        col(uq::NAME),
        col(uq::LEVEL).cast(DataType::String),
        col(uq::QUARTER),
    ];
    select.extend(columns.iter().enumerate().map(|(i, c)| {
        let e = if have.contains(c) {
            col(*c).cast(DataType::Float64).fill_null(lit(0.0))
        } else {
            lit(0.0)
        };
        e.alias(format!("__v{i}"))
    }));
    let df = df
        .clone()
        .lazy()
        .filter(col(uq::QUARTER).is_in(lit(Series::new("q".into(), names)).implode(false), false))
        .select(select)
        .sort([uq::UNIT_ID, uq::QUARTER], Default::default())
        .collect()?;
    let text = |c: &str| df.column(c).and_then(|c| c.str().cloned());
    let (ids, unit_names, levels, qs) = (
        text(uq::UNIT_ID)?,
        text(uq::NAME)?,
        text(uq::LEVEL)?,
        text(uq::QUARTER)?,
    );
    let values = (0..columns.len())
        .map(|i| df.column(&format!("__v{i}")).and_then(|c| c.f64().cloned()))
        .collect::<PolarsResult<Vec<_>>>()?;
    Ok((0..df.height())
        .map(|i| UnitRow {
            unit_id: ids.get(i).unwrap_or_default().to_string(),
            name: unit_names.get(i).unwrap_or_default().to_string(),
            level: levels.get(i).unwrap_or_default().to_string(),
            quarter: qs.get(i).unwrap_or_default().to_string(),
            values: values.iter().map(|v| v.get(i).unwrap_or(0.0)).collect(),
        })
        .collect())
}

/// The median of `v` (sorted in place); `None` when empty.
pub fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_lengths() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}

//! Calendar arithmetic inside polars expressions: the quarter a date falls
//! in, as `Quarter::index` numbers it (year × 4 + quarter − 1), from the
//! date's day number alone (Howard Hinnant's civil-from-days).

use polars::prelude::*;

/// `a / b` rounded down, for `a >= 0` (every date after year 0): a
/// truncating cast of the float quotient, exact at these magnitudes, which
/// avoids polars' `floor_div` (it needs the `round_series` feature).
fn div(a: Expr, b: i64) -> Expr {
    (a.cast(DataType::Float64) / lit(b as f64)).cast(DataType::Int64)
}

/// The quarter index of a `Date` expression (null stays null).
pub fn quarter_index(date: Expr) -> Expr {
    let i = |v: i64| lit(v);
    let z = date.cast(DataType::Int32).cast(DataType::Int64) + i(719_468);
    let era = div(z.clone(), 146_097);
    let doe = z - era.clone() * i(146_097);
    let yoe = div(
        doe.clone() - div(doe.clone(), 1_460) + div(doe.clone(), 36_524)
            - div(doe.clone(), 146_096),
        365,
    );
    let doy = doe - (i(365) * yoe.clone() + div(yoe.clone(), 4) - div(yoe.clone(), 100));
    let mp = div(i(5) * doy + i(2), 153);
    let month = when(mp.clone().lt(i(10)))
        .then(mp.clone() + i(3))
        .otherwise(mp - i(9));
    let year = yoe + era * i(400) + when(month.clone().lt_eq(i(2))).then(i(1)).otherwise(i(0));
    year * i(4) + div(month - i(1), 3)
}

/// A two-column table, quarter index → quarter text, for `quarters`.
pub fn quarter_table(
    quarters: &[crate::model::Quarter],
    index: &str,
    name: &str,
) -> PolarsResult<DataFrame> {
    DataFrame::new(
        quarters.len(),
        vec![
            Column::new(
                index.into(),
                quarters
                    .iter()
                    .map(|q| i64::from(q.index()))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                name.into(),
                quarters.iter().map(|q| q.to_string()).collect::<Vec<_>>(),
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Quarter;
    use chrono::NaiveDate;

    #[test]
    fn matches_quarter_of_for_every_day_across_decades_and_leap_years() {
        let start = NaiveDate::from_ymd_opt(1899, 12, 1).expect("date");
        let days: Vec<NaiveDate> = (0..(365 * 150))
            .map(|d| start + chrono::Duration::days(d))
            .collect();
        let raw: Vec<i32> = days.iter().map(NaiveDate::to_epoch_days).collect();
        let df = DataFrame::new(
            raw.len(),
            vec![
                Column::new("d".into(), raw)
                    .cast(&DataType::Date)
                    .expect("date"),
            ],
        )
        .expect("frame");
        let out = df
            .lazy()
            .select([quarter_index(col("d")).alias("q")])
            .collect()
            .expect("collect");
        let got = out.column("q").expect("q").i64().expect("i64").clone();
        for (i, d) in days.iter().enumerate() {
            assert_eq!(got.get(i), Some(i64::from(Quarter::of(*d).index())), "{d}");
        }
    }
}

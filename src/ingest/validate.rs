//! The contract's rules across rows and datasets: unique ids, references to
//! units, an acyclic unit tree, date order, no future dates, and
//! rectification dates for finished rectifications. A row that breaks a
//! rule is taken out with its reason.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use polars::prelude::*;

use super::quarantine::{Reason, Rejection};
use super::typed::{SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET};
use crate::model::{ActivityKind, Dataset, RectificationStatus};

/// Row accessors over a typed frame.
struct Rows<'a> {
    df: &'a DataFrame,
}

impl<'a> Rows<'a> {
    fn strs(&self, name: &str) -> PolarsResult<Vec<Option<&'a str>>> {
        Ok(self.df.column(name)?.str()?.iter().collect())
    }
    fn dates(&self, name: &str) -> PolarsResult<Vec<Option<i32>>> {
        Ok(self.df.column(name)?.date()?.physical().iter().collect())
    }
    /// File, sheet and user-visible row of row `i`.
    fn origin(&self, i: usize) -> PolarsResult<(String, Option<String>, u64)> {
        let file = self
            .df
            .column(SOURCE_FILE)?
            .str()?
            .get(i)
            .unwrap_or("")
            .to_string();
        let sheet = self
            .df
            .column(SOURCE_SHEET)?
            .str()?
            .get(i)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let row = self.df.column(SOURCE_ROW)?.u64()?.get(i).unwrap_or(0);
        Ok((file, sheet, row))
    }
}

/// One broken rule on one row.
struct Broken {
    row: usize,
    column: &'static str,
    value: String,
    reason: Reason,
}

fn date_text(d: i32) -> String {
    NaiveDate::from_epoch_days(d).map_or_else(|| d.to_string(), |d| d.to_string())
}

fn label(dataset: Dataset, column: &str) -> &'static str {
    dataset.column(column).map_or("", |c| c.zh)
}

/// Rows whose `key` repeats an earlier row's.
fn duplicates(r: &Rows<'_>, keys: &[&'static str]) -> PolarsResult<Vec<Broken>> {
    let series: Vec<Series> = keys
        .iter()
        .map(|k| {
            Ok(r.df
                .column(k)?
                .cast(&DataType::String)?
                .as_materialized_series()
                .clone())
        })
        .collect::<PolarsResult<_>>()?;
    let cols: Vec<&StringChunked> = series
        .iter()
        .map(|s| s.str())
        .collect::<PolarsResult<_>>()?;
    let mut out = Vec::new();
    let mut duplicate = |i: usize, first: usize, value: Option<&str>| -> PolarsResult<()> {
        let (file, _, row) = r.origin(first)?;
        out.push(Broken {
            row: i,
            column: keys[0],
            value: value.unwrap_or("").to_string(),
            reason: Reason::DuplicateId {
                first: format!("{file} 第{row}行 / row {row}"),
            },
        });
        Ok(())
    };
    if let [only] = cols.as_slice() {
        // One key (the usual record id): no key vector per row.
        let mut seen: PlHashMap<Option<&str>, usize> = PlHashMap::with_capacity(r.df.height());
        for (i, key) in only.iter().enumerate() {
            let first = *seen.entry(key).or_insert(i);
            if first != i {
                duplicate(i, first, key)?;
            }
        }
    } else {
        let mut seen: HashMap<Vec<Option<&str>>, usize> = HashMap::new();
        for i in 0..r.df.height() {
            let key: Vec<Option<&str>> = cols.iter().map(|c| c.get(i)).collect();
            match seen.get(&key) {
                Some(&first) => duplicate(i, first, key[0])?,
                None => {
                    seen.insert(key, i);
                }
            }
        }
    }
    Ok(out)
}

fn unknown_refs(
    r: &Rows<'_>,
    column: &'static str,
    known: &HashSet<String>,
    reason: Reason,
    optional: bool,
) -> PolarsResult<Vec<Broken>> {
    let known: PlHashSet<&str> = known.iter().map(String::as_str).collect();
    Ok(r.strs(column)?
        .into_iter()
        .enumerate()
        .filter_map(|(i, v)| match v {
            Some(v) if !known.contains(v) => Some(Broken {
                row: i,
                column,
                value: v.to_string(),
                reason: reason.clone(),
            }),
            None if !optional => Some(Broken {
                row: i,
                column,
                value: String::new(),
                reason: Reason::Missing,
            }),
            _ => None,
        })
        .collect())
}

/// The dates a record may carry: none before `earliest` (a typo's year,
/// an export's 1900-01-01 for "unknown"), none after `today`.
#[derive(Debug, Clone, Copy)]
pub struct DateBounds {
    pub earliest: NaiveDate,
    pub today: NaiveDate,
}

fn plausible(
    r: &Rows<'_>,
    columns: &[&'static str],
    bounds: DateBounds,
) -> PolarsResult<Vec<Broken>> {
    let (first, last) = (
        bounds.earliest.to_epoch_days(),
        bounds.today.to_epoch_days(),
    );
    let mut out = Vec::new();
    for &c in columns {
        for (i, d) in r.dates(c)?.into_iter().enumerate() {
            let reason = match d {
                Some(d) if d > last => Reason::FutureDate,
                Some(d) if d < first => Reason::TooEarly {
                    earliest: bounds.earliest.to_string(),
                },
                _ => continue,
            };
            out.push(Broken {
                row: i,
                column: c,
                value: d.map(date_text).unwrap_or_default(),
                reason,
            });
        }
    }
    Ok(out)
}

/// `later` must not be before `earlier`.
fn order(
    dataset: Dataset,
    r: &Rows<'_>,
    later: &'static str,
    earlier: &'static str,
) -> PolarsResult<Vec<Broken>> {
    let (a, b) = (r.dates(later)?, r.dates(earlier)?);
    Ok(a.into_iter()
        .zip(b)
        .enumerate()
        .filter_map(|(i, (l, e))| match (l, e) {
            (Some(l), Some(e)) if l < e => Some(Broken {
                row: i,
                column: later,
                value: date_text(l),
                reason: Reason::DateOrder {
                    before: label(dataset, earlier),
                },
            }),
            _ => None,
        })
        .collect())
}

/// Unit ids whose parent chain loops back on itself.
fn in_cycles(ids: &[Option<&str>], parents: &[Option<&str>]) -> HashSet<String> {
    let parent: HashMap<&str, &str> = ids
        .iter()
        .zip(parents)
        .filter_map(|(i, p)| Some(((*i)?, (*p)?)))
        .collect();
    let mut out = HashSet::new();
    for start in parent.keys() {
        let mut cur = *start;
        for _ in 0..=parent.len() {
            match parent.get(cur) {
                Some(p) if p == start => {
                    out.insert(start.to_string());
                    break;
                }
                Some(p) => cur = p,
                None => break,
            }
        }
    }
    out
}

fn unit_rules(r: &Rows<'_>) -> PolarsResult<Vec<Broken>> {
    let mut out = duplicates(r, &["unit_id"])?;
    let ids = r.strs("unit_id")?;
    let known: HashSet<String> = ids.iter().flatten().map(|s| s.to_string()).collect();
    out.extend(unknown_refs(
        r,
        "parent_id",
        &known,
        Reason::UnknownParent,
        true,
    )?);
    let parents = r.strs("parent_id")?;
    let cyclic = in_cycles(&ids, &parents);
    for (i, id) in ids.iter().enumerate() {
        if id.is_some_and(|id| cyclic.contains(id)) {
            out.push(Broken {
                row: i,
                column: "parent_id",
                value: parents[i].unwrap_or("").to_string(),
                reason: Reason::Cycle,
            });
        }
    }
    Ok(out)
}

fn rules(
    dataset: Dataset,
    r: &Rows<'_>,
    units: &HashSet<String>,
    dates: DateBounds,
) -> PolarsResult<Vec<Broken>> {
    let keys: &[&'static str] = match dataset {
        Dataset::Units => return unit_rules(r),
        Dataset::Leaders => &["person_id", "unit_id", "role", "start_on"],
        _ => &[dataset.id_column()],
    };
    // The id check hashes every id: on a large file it runs beside the rest.
    let (ids, rest) = rayon::join(
        || duplicates(r, keys),
        || row_rules(dataset, r, units, dates),
    );
    let mut out = ids?;
    out.extend(rest?);
    Ok(out)
}

/// The rules of `dataset` other than unique ids.
fn row_rules(
    dataset: Dataset,
    r: &Rows<'_>,
    units: &HashSet<String>,
    dates: DateBounds,
) -> PolarsResult<Vec<Broken>> {
    if dataset == Dataset::Units {
        // The unit tree has its own rules (`unit_rules`).
        return Ok(Vec::new());
    }
    let mut out = unknown_refs(r, "unit_id", units, Reason::UnknownUnit, false)?;
    match dataset {
        Dataset::Units => {}
        Dataset::Leaders => {
            out.extend(order(dataset, r, "end_on", "start_on")?);
        }
        Dataset::Petitions => {
            out.extend(plausible(r, &["received_on", "disposed_on"], dates)?);
            out.extend(order(dataset, r, "disposed_on", "received_on")?);
        }
        Dataset::Findings => {
            out.extend(plausible(r, &["reported_on", "rectified_on"], dates)?);
            let status = r.strs("status")?;
            let rectified = r.dates("rectified_on")?;
            for (i, (s, d)) in status.iter().zip(&rectified).enumerate() {
                if *s == Some(RectificationStatus::Done.code()) && d.is_none() {
                    out.push(Broken {
                        row: i,
                        column: "rectified_on",
                        value: String::new(),
                        reason: Reason::RectifiedMissing,
                    });
                }
            }
        }
        Dataset::Cases => {
            out.extend(plausible(r, &["filed_on", "closed_on"], dates)?);
            out.extend(order(dataset, r, "closed_on", "filed_on")?);
        }
        Dataset::Supervision => {
            out.extend(plausible(r, &["held_on"], dates)?);
            // A talk is with someone: without the person it counts for no one.
            let kinds = r.strs("kind")?;
            let people = r.strs("person_id")?;
            for (i, (k, p)) in kinds.iter().zip(&people).enumerate() {
                let talk = [
                    ActivityKind::Talk.code(),
                    ActivityKind::AppointmentTalk.code(),
                ];
                if k.is_some_and(|k| talk.contains(&k)) && p.is_none() {
                    out.push(Broken {
                        row: i,
                        column: "person_id",
                        value: String::new(),
                        reason: Reason::TalkWithoutPerson,
                    });
                }
            }
        }
        Dataset::Dispositions => out.extend(disposition_rules(r, dates)?),
        Dataset::Recommendations => {
            out.extend(plausible(
                r,
                &["issued_on", "feedback_on", "return_visit_on"],
                dates,
            )?);
            for later in ["due_on", "feedback_on", "return_visit_on"] {
                out.extend(order(dataset, r, later, "issued_on")?);
            }
            out.extend(order(dataset, r, "return_visit_on", "feedback_on")?);
        }
    }
    Ok(out)
}

/// A disposition names its flag (by id, or by type and quarter), and its
/// reply comes after its notice.
fn disposition_rules(r: &Rows<'_>, dates: DateBounds) -> PolarsResult<Vec<Broken>> {
    let d = Dataset::Dispositions;
    let mut out = plausible(r, &["sent_on", "replied_on"], dates)?;
    out.extend(order(d, r, "replied_on", "sent_on")?);
    out.extend(order(d, r, "reply_due", "sent_on")?);
    let (ids, kinds, quarters) = (
        r.strs("flag_id")?,
        r.strs("detector")?,
        r.strs("flag_quarter")?,
    );
    for (i, ((id, kind), quarter)) in ids.iter().zip(&kinds).zip(&quarters).enumerate() {
        if let Some(q) = quarter
            && q.trim().parse::<crate::model::Quarter>().is_err()
        {
            out.push(Broken {
                row: i,
                column: "flag_quarter",
                value: q.to_string(),
                reason: Reason::BadQuarter,
            });
        } else if id.is_none() && (kind.is_none() || quarter.is_none()) {
            out.push(Broken {
                row: i,
                column: "flag_id",
                value: String::new(),
                reason: Reason::FlagUnidentified,
            });
        }
    }
    Ok(out)
}

/// Applies the dataset's rules; returns the rows that pass and the rejections.
/// `units` holds the unit ids accepted in this load (ignored for units).
pub fn validate(
    dataset: Dataset,
    df: DataFrame,
    units: &HashSet<String>,
    dates: DateBounds,
) -> PolarsResult<(DataFrame, Vec<Rejection>)> {
    let r = Rows { df: &df };
    let broken = rules(dataset, &r, units, dates)?;
    if broken.is_empty() {
        return Ok((df, Vec::new()));
    }
    let mut keep = vec![true; df.height()];
    let mut rejected = Vec::with_capacity(broken.len());
    for b in broken {
        keep[b.row] = false;
        let (file, sheet, row) = r.origin(b.row)?;
        rejected.push(Rejection {
            dataset: dataset.name(),
            file: file.into(),
            sheet,
            row,
            column: label(dataset, b.column).to_string(),
            value: b.value,
            reason: b.reason,
        });
    }
    let mask = BooleanChunked::from_slice("keep".into(), &keep);
    Ok((df.filter(&mask)?, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cycles_only_where_they_are() {
        let ids = [Some("A"), Some("B"), Some("C"), Some("D")];
        let parents = [Some("B"), Some("A"), Some("A"), None];
        let c = in_cycles(&ids, &parents);
        assert!(c.contains("A") && c.contains("B"));
        assert!(!c.contains("C") && !c.contains("D"));
    }
}

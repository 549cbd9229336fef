//! Rotation watch (交流轮岗, clause 二十): leaders who have held the same post
//! long enough that rotation is due, or overdue, by the thresholds in the
//! pipeline file, as of the quarter's last day; listed by unit. Pure.

use super::inputs::{Inputs, n};
use super::model::{Figure, Report, Section, Table};

pub use crate::model::Tenure;

/// The thresholds, in years in the same post.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RotationRules {
    pub due_years: f64,
    pub overdue_years: f64,
}

impl Default for RotationRules {
    fn default() -> Self {
        RotationRules {
            due_years: 5.0,
            overdue_years: 10.0,
        }
    }
}

impl RotationRules {
    /// `[rotation]`: both positive, overdue after due, or their defaults.
    pub fn configured(due_years: Option<f64>, overdue_years: Option<f64>) -> Result<Self, String> {
        let d = Self::default();
        let due = due_years.unwrap_or(d.due_years);
        let overdue = overdue_years.unwrap_or(d.overdue_years);
        if !(due > 0.0 && overdue > due) {
            return Err(format!(
                "[rotation] due_years = {due}, overdue_years = {overdue}: both positive, overdue after due"
            ));
        }
        Ok(RotationRules {
            due_years: due,
            overdue_years: overdue,
        })
    }
}

impl RotationRules {
    /// For `yanpan explain rotation`.
    pub fn explain(&self) -> crate::model::Explanation {
        crate::model::Explanation {
            method: "Rotation watch (交流轮岗, clause 二十): every leader in office at the quarter's end, with the years\n\
                     from the start of the post (leaders table, start_on) to the quarter's last day. From due_years\n\
                     rotation is advisable (宜交流), from overdue_years it is due (应交流). Listed by unit in the rotation\n\
                     report, in each problem unit's entry and in the organisation department's packet."
                .into(),
            settings: vec![
                ("[rotation] due_years".into(), self.due_years.to_string()),
                ("[rotation] overdue_years".into(), self.overdue_years.to_string()),
            ],
            example: format!(
                "A top leader in post since 2014-06-01 has {:.1} years at 2024-12-31: {}.",
                years(
                    chrono::NaiveDate::from_ymd_opt(2014, 6, 1).unwrap_or_default(),
                    chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default()
                ),
                if 10.58 >= self.overdue_years { "rotation due" } else if 10.58 >= self.due_years { "rotation advisable" } else { "not listed" }
            ),
        }
    }
}

/// Where a leader stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Overdue,
    Due,
}

/// Years in post on `day`.
pub fn years(start: chrono::NaiveDate, day: chrono::NaiveDate) -> f64 {
    (day - start).num_days() as f64 / 365.25
}

/// The leaders past a threshold on `day`, overdue first, then by unit.
pub fn watch(
    tenures: &[Tenure],
    rules: RotationRules,
    day: chrono::NaiveDate,
) -> Vec<(Status, f64, &Tenure)> {
    let mut out: Vec<(Status, f64, &Tenure)> = tenures
        .iter()
        .filter_map(|t| {
            let y = years(t.start_on, day);
            if y >= rules.overdue_years {
                Some((Status::Overdue, y, t))
            } else if y >= rules.due_years {
                Some((Status::Due, y, t))
            } else {
                None
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (a.0, &a.2.unit_id, &a.2.person_id).cmp(&(b.0, &b.2.unit_id, &b.2.person_id))
    });
    out
}

/// One unit's line for the problem-unit report: how many are due or overdue.
pub fn unit_line(i: &Inputs<'_>, unit_id: &str) -> String {
    let w = watch(i.tenures, i.rotation, i.quarter.last_day());
    let count = |s: Status| {
        w.iter()
            .filter(|x| x.0 == s && x.2.unit_id == unit_id)
            .count()
    };
    i.wording.t(
        "rotation.unit_line",
        &[
            ("due", &count(Status::Due)),
            ("overdue", &count(Status::Overdue)),
            ("due_years", &i.rotation.due_years),
            ("overdue_years", &i.rotation.overdue_years),
        ],
    )
}

pub fn build(i: &Inputs<'_>) -> Report {
    let w = i.wording;
    let day = i.quarter.last_day();
    let q = i.quarter_label(i.quarter);
    let list = watch(i.tenures, i.rotation, day);
    let overdue: Vec<_> = list.iter().filter(|x| x.0 == Status::Overdue).collect();
    let due: Vec<_> = list.iter().filter(|x| x.0 == Status::Due).collect();
    let top = |v: &[&(Status, f64, &Tenure)]| v.iter().filter(|x| x.2.role == "top_leader").count();
    let role = |r: &str| {
        w.s(if r == "top_leader" {
            "rotation.top_leader"
        } else {
            "rotation.member"
        })
    };
    let rows = |v: &[&(Status, f64, &Tenure)]| -> Vec<Vec<String>> {
        v.iter()
            .map(|(_, y, t)| {
                vec![
                    t.unit_name.clone(),
                    t.person_id.clone(),
                    role(&t.role),
                    t.start_on.to_string(),
                    format!("{y:.1}"),
                ]
            })
            .collect()
    };
    let headers = [
        "common.unit",
        "rotation.col_person",
        "rotation.col_role",
        "rotation.col_start",
        "rotation.col_years",
    ]
    .map(|k| w.s(k))
    .to_vec();
    let (dy, oy) = (i.rotation.due_years, i.rotation.overdue_years);
    let mut by_unit: std::collections::BTreeMap<&str, (usize, usize)> =
        std::collections::BTreeMap::new();
    for (s, _, t) in &list {
        let e = by_unit.entry(t.unit_name.as_str()).or_default();
        match s {
            Status::Overdue => e.1 += 1,
            Status::Due => e.0 += 1,
        }
    }
    Report {
        zh: i.zh(),
        id: "rotation".into(),
        title: w.t("rotation.title", &[("quarter", &q), ("scope", &i.scope)]),
        issuer: i.site.to_string(),
        dateline: i.dateline(),
        summary: vec![
            w.t(
                "rotation.summary_overdue",
                &[
                    ("overdue", &overdue.len()),
                    ("top", &top(&overdue)),
                    ("years", &oy),
                ],
            ),
            w.t(
                "rotation.summary_due",
                &[("due", &due.len()), ("top", &top(&due)), ("years", &dy)],
            ),
            w.s("rotation.summary_rule"),
        ],
        figures: vec![
            Figure {
                label: w.t("rotation.fig_overdue", &[("years", &oy)]),
                value: overdue.len().to_string(),
            },
            Figure {
                label: w.t("rotation.fig_due", &[("years", &dy)]),
                value: due.len().to_string(),
            },
            Figure {
                label: w.s("rotation.fig_units"),
                value: by_unit.len().to_string(),
            },
        ],
        sections: vec![
            Section {
                heading: w.t("rotation.h_overdue", &[("years", &oy)]),
                paragraphs: if overdue.is_empty() {
                    vec![w.s("rotation.none")]
                } else {
                    vec![]
                },
                table: (!overdue.is_empty()).then(|| Table {
                    title: w.s("rotation.table_overdue"),
                    headers: headers.clone(),
                    rows: rows(&overdue),
                }),
                ..Default::default()
            },
            Section {
                heading: w.s("rotation.h_units"),
                paragraphs: vec![w.t(
                    "rotation.units_note",
                    &[("due_years", &dy), ("overdue_years", &oy)],
                )],
                table: (!by_unit.is_empty()).then(|| Table {
                    title: w.s("rotation.table_units"),
                    headers: ["common.unit", "rotation.col_due", "rotation.col_overdue"]
                        .map(|k| w.s(k))
                        .to_vec(),
                    rows: by_unit
                        .iter()
                        .map(|(u, (d, o))| vec![u.to_string(), n(*d as f64), n(*o as f64)])
                        .collect(),
                }),
                ..Default::default()
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaders_past_each_threshold_are_due_or_overdue() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let t = |id: &str, start: &str| Tenure {
            person_id: id.into(),
            unit_id: "U".into(),
            unit_name: "单位".into(),
            role: "top_leader".into(),
            start_on: d(start),
        };
        let people = [
            t("A", "2014-01-01"),
            t("B", "2019-06-30"),
            t("C", "2020-01-02"),
        ];
        let w = watch(&people, RotationRules::default(), d("2024-12-31"));
        let ids: Vec<(Status, &str)> = w.iter().map(|x| (x.0, x.2.person_id.as_str())).collect();
        assert_eq!(ids, [(Status::Overdue, "A"), (Status::Due, "B")]);
    }
}

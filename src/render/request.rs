//! One chart asked for by kind and options: by `yanpan chart` on the
//! command line, or by a `[[chart]]` entry of the pipeline file (a saved
//! chart, drawn on every run into `charts/custom/`). Options a kind
//! cannot use are refused, never ignored.

use serde::Deserialize;

use super::custom;
use super::quarterly::{self, KINDS, SetInputs};
use super::spec::Chart;
use super::unit_charts;
use crate::model::KeyField;

/// A chart's options as given: the flags of `yanpan chart`, or the keys
/// of a `[[chart]]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartOptions {
    /// The file stem of a saved chart under `charts/custom/` (empty on the
    /// command line).
    #[serde(default)]
    pub name: String,
    pub kind: String,
    pub level: Option<String>,
    pub metric: Option<String>,
    pub field: Option<String>,
    pub unit: Option<String>,
    #[serde(default)]
    pub own: bool,
    #[serde(default)]
    pub compare: Vec<String>,
    pub by: Option<String>,
    pub quarters: Option<usize>,
    pub title: Option<String>,
}

/// A chart by kind and validated options.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartRequest {
    /// The file stem of a saved chart under `charts/custom/` (empty on the
    /// command line).
    pub name: String,
    pub kind: String,
    pub level: Option<String>,
    /// A count of the unit × quarter table by code (of the person ×
    /// quarter table for `persons`).
    pub metric: Option<String>,
    pub field: Option<KeyField>,
    /// The unit of a profile or a trend, or the scope of a funnel,
    /// heatmap or persons chart (the unit and every unit below it).
    pub unit: Option<String>,
    /// With `unit` or `compare`: the units' own records, not their
    /// subtrees'.
    pub own: bool,
    /// Units drawn side by side on one trend, for `metric`.
    pub compare: Vec<String>,
    /// A trend broken down: one stacked series per column of the family.
    pub by: Option<Breakdown>,
    /// Quarters shown (a saved chart's own; the run's by default).
    pub quarters: Option<usize>,
    /// The title drawn instead of the kind's own.
    pub title: Option<String>,
}

/// A breakdown of a metric into its parts (`--by`).
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    pub by: String,
    /// The columns `{metric}_{by}_*` of the unit × quarter table.
    pub columns: Vec<String>,
}

/// What `--by` can break a metric into.
pub const BREAKDOWNS: [&str; 6] = ["field", "channel", "class", "discipline", "form", "source"];

/// The options each kind uses.
fn usable(kind: &str) -> &'static [&'static str] {
    match kind {
        "profile" => &["--unit", "--quarters"],
        "trend" => &[
            "--unit",
            "--own",
            "--compare",
            "--metric",
            "--by",
            "--quarters",
        ],
        "key_fields" | "rectification" => &["--quarters"],
        "field" => &["--field"],
        "funnel" => &["--level", "--metric", "--unit"],
        "heatmap" => &["--level", "--metric", "--unit", "--quarters"],
        "persons" => &["--metric", "--unit"],
        _ => &[],
    }
}

fn key_fields() -> String {
    KeyField::KEY
        .iter()
        .map(|f| format!("{} ({})", f.code(), f.label_zh()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The columns of `metric` broken down `by`, or why not.
fn breakdown(metric: Option<&str>, by: &str) -> Result<(String, Breakdown), String> {
    if !BREAKDOWNS.contains(&by) {
        return Err(format!(
            "--by {by}: breakdowns are {}",
            BREAKDOWNS.join(", ")
        ));
    }
    let all = crate::aggregate::metrics::count_metrics();
    let family = |m: &str| -> Vec<String> {
        let prefix = format!("{m}_{by}_");
        all.iter()
            .filter(|c| c.starts_with(&prefix))
            .cloned()
            .collect()
    };
    let bases = ["petitions", "findings", "cases"];
    let metric = match metric {
        Some(m) => m.to_string(),
        None => bases
            .iter()
            .find(|m| !family(m).is_empty())
            .map_or_else(String::new, |m| m.to_string()),
    };
    let columns = family(&metric);
    if columns.is_empty() {
        let takes: Vec<&str> = bases
            .into_iter()
            .filter(|m| !family(m).is_empty())
            .collect();
        return Err(format!(
            "{metric} has no breakdown by {by}; by {by} breaks down {}",
            takes.join(", ")
        ));
    }
    Ok((
        metric,
        Breakdown {
            by: by.to_string(),
            columns,
        },
    ))
}

impl ChartRequest {
    /// A request from raw options: the kind known, every option usable by
    /// it, the metric a count of the table (code or Chinese name), the
    /// field a key field. The message names what is wrong.
    pub fn new(o: &ChartOptions) -> Result<Self, String> {
        let kind = o.kind.as_str();
        if !KINDS.contains(&kind) {
            return Err(format!("no chart {kind}; charts: {}", KINDS.join(", ")));
        }
        let given = [
            ("--unit", o.unit.is_some()),
            ("--field", o.field.is_some()),
            ("--level", o.level.is_some()),
            ("--metric", o.metric.is_some()),
            ("--own", o.own),
            ("--compare", !o.compare.is_empty()),
            ("--by", o.by.is_some()),
            ("--quarters", o.quarters.is_some()),
        ];
        let ok = usable(kind);
        let unused: Vec<&str> = given
            .iter()
            .filter(|(opt, set)| *set && !ok.contains(opt))
            .map(|(opt, _)| *opt)
            .collect();
        if !unused.is_empty() {
            let takes = if ok.is_empty() {
                "no option (it is drawn for the whole city in one quarter)".to_string()
            } else {
                ok.join(", ")
            };
            return Err(format!(
                "chart {kind} does not use {}; it takes {takes}",
                unused.join(", ")
            ));
        }
        let metric = o
            .metric
            .as_deref()
            .map(|m| {
                if kind == "persons" {
                    custom::person_metric(m)
                } else {
                    crate::aggregate::metrics::count_metric(m).ok_or_else(|| {
                        format!("no metric {m}: `yanpan chart --list` prints the metrics, by code and Chinese name")
                    })
                }
            })
            .transpose()?;
        let field = o
            .field
            .as_deref()
            .map(|raw| {
                KeyField::parse(raw)
                    .filter(|f| KeyField::KEY.contains(f))
                    .ok_or_else(|| format!("no key field {raw}; key fields: {}", key_fields()))
            })
            .transpose()?;
        let (metric, by) = match o.by.as_deref() {
            Some(by) => {
                let (m, b) = breakdown(metric.as_deref(), by)?;
                (Some(m), Some(b))
            }
            None => (metric, None),
        };
        let one_of =
            |a: bool, b: bool, why: &str| if a && b { Err(why.to_string()) } else { Ok(()) };
        if kind == "field" && field.is_none() {
            return Err(format!(
                "name a key field with --field; key fields: {}",
                key_fields()
            ));
        }
        if kind == "profile" && o.unit.is_none() {
            return Err("name a unit with --unit (its unit_id)".into());
        }
        if o.own && o.unit.is_none() && o.compare.is_empty() {
            return Err("--own is a unit's own records: name the unit with --unit".into());
        }
        one_of(
            !o.compare.is_empty(),
            o.unit.is_some(),
            "a trend draws --unit or --compare, not both",
        )?;
        one_of(
            !o.compare.is_empty(),
            by.is_some(),
            "a trend draws --compare or --by, not both",
        )?;
        if o.compare.len() == 1 || o.compare.len() > 8 {
            return Err(format!(
                "--compare takes 2 to 8 units, not {}",
                o.compare.len()
            ));
        }
        if let Some(n) = o.quarters
            && !(1..=MAX_QUARTERS).contains(&n)
        {
            return Err(format!("quarters = {n}: show 1 to {MAX_QUARTERS} quarters"));
        }
        Ok(ChartRequest {
            name: o.name.clone(),
            kind: kind.to_string(),
            level: o.level.clone(),
            metric,
            field,
            unit: o.unit.clone(),
            own: o.own,
            compare: o.compare.clone(),
            by,
            quarters: o.quarters,
            title: o.title.clone(),
        })
    }

    /// The chart, or why it cannot be drawn from these tables.
    pub fn draw(&self, set: &SetInputs<'_>) -> Result<Chart, String> {
        let e = |x: polars::prelude::PolarsError| x.to_string();
        let metric = self.metric.as_deref().unwrap_or("petitions");
        let unit = self.unit.as_deref();
        let mut chart = match self.kind.as_str() {
            "trend" if !self.compare.is_empty() => {
                Chart::Line(custom::compared(set, &self.compare, metric, self.own)?)
            }
            "trend" => match (&self.by, &self.metric, unit) {
                (Some(by), _, _) => custom::broken_down(set, unit, self.own, metric, by)?,
                (None, Some(_), _) => {
                    Chart::Line(custom::metric_trend(set, unit, self.own, metric)?)
                }
                (None, None, None) => Chart::Line(set.trend.clone()),
                (None, None, Some(unit)) => Chart::Line(custom::unit_trend(set, unit, self.own)?),
            },
            "key_fields" => quarterly::key_fields(set).map_err(e)?,
            "rectification" => quarterly::rectification(set).map_err(e)?,
            "pareto" => unit_charts::pareto(set).map_err(e)?,
            "clue_days" => unit_charts::clue_days(set, set.clue_days, set.deadline_days),
            "field" => {
                let field = self.field.unwrap_or(KeyField::Construction);
                unit_charts::field_units(set, field).map_err(e)?
            }
            "profile" => {
                let unit = unit.unwrap_or_default();
                unit_charts::profile(set, unit)
                    .map_err(e)?
                    .ok_or_else(|| format!("no unit {unit} in the derived tables"))?
            }
            "persons" => custom::persons(set, metric, unit)?,
            _ => self.level_chart(set, metric)?,
        };
        if !self.name.is_empty() {
            chart.rename(&format!("custom/{}", self.name), self.title.as_deref());
        }
        Ok(chart)
    }

    /// A funnel plot or heatmap of one level, within a unit's scope when
    /// one is named (the level below it by default).
    fn level_chart(&self, set: &SetInputs<'_>, metric: &str) -> Result<Chart, String> {
        let e = |x: polars::prelude::PolarsError| x.to_string();
        let scope = self
            .unit
            .as_deref()
            .map(|u| custom::scope(set.rollup, u))
            .transpose()?;
        let level = match (&self.level, &scope) {
            (Some(l), _) => l.clone(),
            (None, Some(s)) => s.child_level.clone(),
            (None, None) => "district".to_string(),
        };
        let levels = quarterly::levels(set, scope.as_ref()).map_err(e)?;
        if !levels.contains(&level) {
            let within = scope
                .as_ref()
                .map_or(String::new(), |s| format!(" under {}", s.unit_id));
            return Err(format!(
                "level {level}: charts exist{within} for {}",
                if levels.is_empty() {
                    "no level (too few units)".to_string()
                } else {
                    levels.join(", ")
                }
            ));
        }
        if self.kind == "funnel" {
            quarterly::funnel_of(set, &level, metric, scope.as_ref()).map_err(e)
        } else {
            quarterly::heatmap_of(set, &level, metric, scope.as_ref()).map_err(e)
        }
    }
}

/// The most quarters a chart shows (ten years).
pub const MAX_QUARTERS: usize = 40;

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(kind: &str, set: impl FnOnce(&mut ChartOptions)) -> Result<ChartRequest, String> {
        let mut o = ChartOptions {
            name: "x".into(),
            kind: kind.into(),
            ..ChartOptions::default()
        };
        set(&mut o);
        ChartRequest::new(&o)
    }

    #[test]
    fn a_request_refuses_what_its_kind_cannot_use() {
        let err = ask("pareto", |o| o.unit = Some("D03".into())).expect_err("citywide");
        assert!(err.contains("does not use --unit"), "{err}");
        let err = ask("funnel", |o| o.quarters = Some(4)).expect_err("one quarter");
        assert!(err.contains("does not use --quarters"), "{err}");
        assert!(ask("trend", |o| o.own = true).is_err());
        let r = ask("heatmap", |o| {
            o.level = Some("street".into());
            o.metric = Some("信访举报重点领域：土地规划".into());
        })
        .expect("valid");
        assert_eq!(r.metric.as_deref(), Some("petitions_field_land"));
        assert!(ask("field", |_| {}).is_err());
        assert!(ask("moon", |_| {}).is_err());
        let two = ["D01".to_string(), "D03".to_string()];
        let c = ask("trend", |o| {
            o.metric = Some("cases".into());
            o.compare = two.to_vec();
        })
        .expect("a comparison");
        assert_eq!(c.compare, two);
        assert!(
            ask("trend", |o| {
                o.unit = Some("D01".into());
                o.compare = two.to_vec();
            })
            .is_err()
        );
        assert!(ask("heatmap", |o| o.compare = two.to_vec()).is_err());
        assert!(ask("trend", |o| o.quarters = Some(0)).is_err());
        assert!(ask("trend", |o| o.quarters = Some(MAX_QUARTERS + 1)).is_err());
    }

    #[test]
    fn a_breakdown_names_the_columns_of_its_family() {
        let r = ask("trend", |o| o.by = Some("channel".into())).expect("petitions by channel");
        assert_eq!(r.metric.as_deref(), Some("petitions"));
        let by = r.by.expect("a breakdown");
        assert!(!by.columns.is_empty());
        assert!(
            by.columns
                .iter()
                .all(|c| c.starts_with("petitions_channel_"))
        );
        let forms = ask("trend", |o| o.by = Some("form".into())).expect("cases by form");
        assert_eq!(forms.metric.as_deref(), Some("cases"));
        assert_eq!(forms.by.expect("forms").columns.len(), 4);
        let fields = ask("trend", |o| {
            o.by = Some("field".into());
            o.metric = Some("findings".into());
        })
        .expect("findings by field");
        assert!(fields.by.expect("fields").columns[0].starts_with("findings_field_"));
        let err = ask("trend", |o| {
            o.by = Some("channel".into());
            o.metric = Some("cases".into());
        })
        .expect_err("cases have no channel");
        assert!(err.contains("by channel breaks down petitions"), "{err}");
        assert!(ask("trend", |o| o.by = Some("colour".into())).is_err());
        assert!(ask("heatmap", |o| o.by = Some("field".into())).is_err());
    }

    #[test]
    fn persons_count_what_names_a_leader() {
        let r = ask("persons", |o| o.metric = Some("问题线索".into())).expect("clues");
        assert_eq!(r.metric.as_deref(), Some("clues"));
        assert!(
            ask("persons", |o| o.metric =
                Some("petitions_field_land".into()))
            .is_err()
        );
    }
}

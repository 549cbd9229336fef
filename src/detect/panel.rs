//! A panel of counts: units × consecutive quarters, with each unit's
//! exposure (headcount) and peer group. The detectors' statistics work on
//! this plain structure, so `yanpan eval` can feed them simulated counts.

use polars::prelude::*;

use crate::aggregate::uq;
use crate::model::Quarter;

/// One unit's row of the panel.
#[derive(Debug, Clone)]
pub struct PanelUnit {
    pub id: String,
    pub name: String,
    /// Units are compared with the others of the same group (its level).
    pub group: String,
    pub parent: Option<String>,
    /// Exposure: headcount (0: unknown, the unit is not tested).
    pub exposure: f64,
    /// One count per quarter of the panel, in order.
    pub counts: Vec<f64>,
}

/// Units × quarters.
#[derive(Debug, Clone)]
pub struct Panel {
    /// The panel's quarters, consecutive and in order.
    pub quarters: Vec<Quarter>,
    pub units: Vec<PanelUnit>,
}

impl Panel {
    /// The index of `q` in the panel.
    pub fn index(&self, q: Quarter) -> Option<usize> {
        self.quarters.iter().position(|x| *x == q)
    }

    /// The panel of one count column of a unit × quarter table (own figures
    /// or the roll-up), over the table's quarters.
    pub fn from_table(df: &DataFrame, count: &str) -> PolarsResult<Panel> {
        let unit = df.column(uq::UNIT_ID)?.str()?;
        let name = df.column(uq::NAME)?.str()?;
        let level = df.column(uq::LEVEL)?.str()?;
        let parent = df.column(uq::PARENT_ID)?.str()?;
        let hc = df.column(uq::HEADCOUNT)?.cast(&DataType::Float64)?;
        let hc = hc.f64()?;
        let q = df.column(uq::QUARTER)?.str()?;
        let n = df.column(count)?.cast(&DataType::Float64)?;
        let n = n.f64()?;
        let mut quarters: Vec<Quarter> =
            q.iter().flatten().filter_map(|s| s.parse().ok()).collect();
        quarters.sort();
        quarters.dedup();
        let mut units: Vec<PanelUnit> = Vec::new();
        let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for i in 0..df.height() {
            let (Some(id), Some(qs)) = (unit.get(i), q.get(i)) else {
                continue;
            };
            let Some(qi) = qs
                .parse()
                .ok()
                .and_then(|q: Quarter| quarters.binary_search(&q).ok())
            else {
                continue;
            };
            let k = *at.entry(id.to_string()).or_insert_with(|| {
                units.push(PanelUnit {
                    id: id.to_string(),
                    name: name.get(i).unwrap_or(id).to_string(),
                    group: level.get(i).unwrap_or("other").to_string(),
                    parent: parent.get(i).map(str::to_string),
                    exposure: hc.get(i).unwrap_or(0.0),
                    counts: vec![0.0; quarters.len()],
                });
                units.len() - 1
            });
            units[k].counts[qi] = n.get(i).unwrap_or(0.0);
        }
        Ok(Panel { quarters, units })
    }

    /// Without the quarters before the first record: those are before the
    /// data began (a system introduced later, an export that starts
    /// later), not quarters with nothing.
    pub fn trimmed(mut self) -> Panel {
        let first = (0..self.quarters.len())
            .find(|&t| self.units.iter().any(|u| u.counts[t] > 0.0))
            .unwrap_or(self.quarters.len());
        for u in &mut self.units {
            u.counts.drain(..first);
        }
        self.quarters.drain(..first);
        self
    }
}

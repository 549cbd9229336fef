//! The render stage: the quarter's chart set drawn to SVG (for the HTML and
//! PDF reports) and PNG (at twice the size, for print), each chart on its
//! own core.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::draw::{self, DrawError};
use super::inputs::{SetSources, set_inputs};
use super::quarterly::quarterly;
use crate::model::Quarter;

/// The drawn charts.
#[derive(Debug, Clone, Default)]
pub struct Charts {
    /// Each chart's SVG by id (the reports embed them).
    pub svgs: BTreeMap<String, String>,
    /// `charts/<id>.svg`, `.png` and `.csv` (the numbers drawn), for
    /// publish.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Each chart's numbers by id (the reports' workbooks hold them).
    pub data: BTreeMap<String, polars::prelude::DataFrame>,
}

/// What can stop the render stage.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Draw(#[from] DrawError),
    #[error("chart set: {0}")]
    Polars(#[from] polars::prelude::PolarsError),
}

/// Draws the quarter's chart set.
pub fn render_stage(sources: SetSources<'_>) -> Result<Charts, RenderError> {
    draw::check_font()?;
    let saved = sources.settings.saved.clone();
    let base = sources.clone();
    let set = set_inputs(sources)?;
    let zh = set.zh;
    let mut charts = quarterly(&set)?;
    for r in &saved {
        // A saved chart with quarters of its own gets the set over those.
        let own_span: Vec<Quarter> = match r.quarters {
            Some(n) if n != set.quarters.len() => set
                .quarter
                .offset(1 - n as i32)
                .through(set.quarter)
                .collect(),
            _ => Vec::new(),
        };
        let drawn = if own_span.is_empty() {
            r.draw(&set)
        } else {
            r.draw(&set_inputs(SetSources {
                quarters: &own_span,
                ..base.clone()
            })?)
        };
        match drawn {
            Ok(c) => charts.push(c),
            Err(why) => log::warn!(target: "render", "saved chart {} not drawn: {why}", r.name),
        }
    }
    let drawn: Vec<(String, String, Vec<u8>)> = charts
        .par_iter()
        .map(|c| {
            let svg = draw::svg(c)?;
            let png = draw::rasterise(c.id(), &svg)?;
            Ok((c.id().to_string(), svg, png))
        })
        .collect::<Result<_, DrawError>>()?;
    let mut out = Charts::default();
    for (id, svg, png) in drawn {
        out.files
            .insert(format!("charts/{id}.svg"), svg.clone().into_bytes());
        out.files.insert(format!("charts/{id}.png"), png);
        out.svgs.insert(id, svg);
    }
    for c in &charts {
        let table = super::data::table(c, zh)?;
        out.files.insert(
            format!("charts/{}.csv", c.id()),
            crate::store::csv::frame_csv(&table)?,
        );
        out.data.insert(c.id().to_string(), table);
    }
    Ok(out)
}

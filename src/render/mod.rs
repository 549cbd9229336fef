//! Render: chart specifications (pure, `spec.rs`) drawn with plotters to
//! SVG and PNG (`draw.rs`), in one house style (`style.rs`), with the
//! embedded CJK font (`fonts.rs`).

pub mod bars;
pub mod custom;
pub mod data;
pub mod draw;
pub mod fonts;
pub mod funnel;
pub mod heatmap;
pub mod inputs;
pub mod multiples;
pub mod quarterly;
pub mod ranked;
pub mod request;
pub mod spec;
mod stage;
pub mod style;
pub mod unit_charts;

pub use inputs::{Marked, RenderSettings, SetSources};
pub use spec::{Chart, Line, LineChart, TrendLabels};
pub use stage::{Charts, RenderError, render_stage};

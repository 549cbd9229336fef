//! Compose: the report model (pure), the reports built from the tables,
//! and the writers.

pub mod markdown;
pub mod model;
pub mod petitions;

pub use model::{ChartRef, Report, Section, Table};

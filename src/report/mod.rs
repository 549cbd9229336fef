//! Compose: the report model (pure), the reports built from the tables,
//! the packets by recipient, and the writers (Markdown, HTML, PDF).

pub mod clues;
pub mod dispositions;
pub mod explorer;
pub mod flag_records;
pub mod html;
pub mod inputs;
pub mod key_field;
pub mod markdown;
pub mod model;
pub mod packet;
pub mod pdf;
pub mod petitions;
pub mod problem_units;
pub mod recommendations;
pub mod rectification;
pub mod rotation;
mod stage;
pub mod supervision;
pub mod table_files;
pub mod web_font;
pub mod wording;
pub mod xlsx;

pub use model::{ChartRef, Report, Section, Table};
pub use stage::{ComposeSettings, Composed, Sources, compose_reports};

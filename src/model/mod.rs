//! The data contract in types: quarters, enumerations, dataset schemas and flags.

pub mod enums;
mod flag;
mod quarter;
pub mod schema;

pub use enums::{
    ActivityKind, CaseSource, Channel, Discipline, Disposition, EnumValue, InspectionKind,
    KeyField, LeaderRole, PersonRole, PetitionClass, Rank, RectificationStatus, Sanction,
    SupervisingBody, UnitLevel,
};
pub use flag::{Evidence, Flag, Severity};
pub use quarter::{Quarter, QuarterParseError};
pub use schema::{ColumnSpec, Dataset, Kind};

//! The data contract in types: quarters, enumerations, dataset schemas and flags.

pub mod enums;
mod explanation;
mod facts;
mod flag;
pub mod ledger;
mod quarter;
pub mod schema;
pub mod setting;
pub mod tree;
mod values;

pub use enums::{
    ActivityKind, CaseSource, Channel, Discipline, Disposition, EnumValue, FlagAction, FlagKind,
    InspectionKind, KeyField, LeaderRole, PersonRole, PetitionClass, Rank, RectificationStatus,
    Sanction, SupervisingBody, UnitLevel, Verdict,
};
pub use explanation::Explanation;
pub use facts::{ClueDays, RepeatPetition, Tenure};
pub use flag::{Evidence, Flag, Severity};
pub use quarter::{Quarter, QuarterArg, QuarterParseError};
pub use schema::{ColumnSpec, Dataset, Kind};
pub use values::{Language, QuarterLabels, Ratio, UsageError};

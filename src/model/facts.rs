//! Records read from the store for one quarter's reports: leaders in
//! office, repeat petitions, top-leader clue ages.

/// A leader in office and when they took the post.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenure {
    pub person_id: String,
    pub unit_id: String,
    pub unit_name: String,
    /// `top_leader` or `member`.
    pub role: String,
    pub start_on: chrono::NaiveDate,
}

/// A repeat petition of the quarter, as the report lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct RepeatPetition {
    pub petition_id: String,
    pub unit_id: String,
    pub unit_name: String,
    pub received_on: String,
    /// Untrusted text: each writer escapes it.
    pub summary: String,
}

/// A top-leader clue: days from receipt to disposition, or (still open)
/// to the quarter's end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClueDays {
    pub days: i32,
    pub disposed: bool,
}

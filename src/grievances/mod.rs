//! Citizens' grievances (ความเดือดร้อน) heard in the field and followed to resolution.
//!
//! `workflow` is the pure state machine of API.md's transition table, `sla` the
//! deadlines, `agency` the referral targets, `input` the rules of a new grievance,
//! `view` what the API shows (with the complainant's personal data masked or not) and
//! `service` the use cases that put them together in one transaction each.

pub mod agency;
pub mod input;
pub mod service;
pub mod sla;
pub mod view;
pub mod workflow;

/// Open grievances of the same category within this distance are possible duplicates.
pub const DUPLICATE_RADIUS_M: f64 = 200.0;
/// ... if filed within this many days of each other.
pub const DUPLICATE_WINDOW_DAYS: i64 = 14;

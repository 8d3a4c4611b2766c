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

use crate::db::grievances::Nearness;

/// Open grievances of the same category within 200 m of each other, filed within 14 days
/// of each other, are possible duplicates.
pub const DUPLICATES: Nearness = Nearness {
    radius_m: 200.0,
    window: chrono::Duration::days(14),
};

//! The target-group register: the households volunteers visit again and again, and the
//! people in them, so that each visit and grievance can belong to a home and its story be
//! read.
//!
//! `input` holds the rules of a household and its members (consent before any personal
//! data; phones and national IDs sealed at the edge), `view` what the API shows (numbers
//! masked) and `service` the use cases, one transaction each.

pub mod input;
pub mod service;
pub mod view;

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// The last day a household's follow-up may fall on to count as due now: the week to
/// come in Bangkok, today included (overdue ones always count). The phone's list
/// (`GET /households?follow_up_due=true`) and the console's queue both ask this.
pub fn follow_ups_due_by(now: DateTime<Utc>) -> NaiveDate {
    crate::domain::bangkok_date(now) + Duration::days(6)
}

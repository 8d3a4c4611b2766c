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

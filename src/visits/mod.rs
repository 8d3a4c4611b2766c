//! Field visits: what the phone app files after each trip to the field.
//!
//! `input` turns the app's JSON into a [`NewVisit`] that satisfies every rule (or the
//! list of broken rules), and `view` shapes the stored visit for the API. Photos
//! are in `crate::photos`.

pub mod filing;
pub mod input;
pub mod review;
pub mod view;

pub use crate::placement::Flag;

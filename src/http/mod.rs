//! HTTP plumbing shared by every route: request ids, logging, metrics, panic safety,
//! and the extractors that turn raw requests into validated input.

mod client;
mod cors;
mod json;
mod metrics;
mod observe;
pub mod page;

pub use client::{ClientInfoExt, RequestId};
pub use cors::{cors, CorsPolicy};
pub use json::{from_value, parse_object, BatchJson, BodyLimits, ValidJson};
pub use metrics::Metrics;
pub use observe::observe;
pub use page::{Page, PageRequest};

//! HTTP plumbing shared by every route: request ids, logging, metrics, panic safety,
//! and the extractors that turn raw requests into validated input.

mod client;
mod cors;
mod json;
mod limits;
mod metrics;
mod observe;
pub mod page;
mod query;
mod shape;

pub use client::{ClientInfoExt, RequestId, TrustedProxies};
pub use cors::{cors, CorsPolicy};
pub use json::{from_value, parse_object, BatchJson, BodyLimits, ValidJson};
pub use limits::{
    declared_body_within, is_too_slow, limit_connections_and_bodies, BodyPace, ConnectionCounter,
};
pub use metrics::{Metrics, Readings};
pub use observe::{language_of, observe};
pub use page::{Page, PageRequest};
pub use query::{no_route, refuse_unknown_query, KnownQueries};
pub use shape::{leading_year, Checked, Shape};

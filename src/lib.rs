//! fieldweek: the backend of the Ministry of Social Development and Human Security's
//! weekly field work: visits, citizens' grievances and the summaries officials report.
//!
//! `main.rs` is a thin command line over this library, so the tests start exactly the
//! server that production runs ([`server::Services::prepare`] and [`server::start`]).

#[macro_use]
mod macros;

pub mod accounts;
pub mod audit_anchor;
pub mod auth;
pub mod config;
pub mod console;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod geo;
pub mod grievances;
pub mod households;
pub mod http;
pub mod openapi;
pub mod photos;
pub mod placement;
pub mod policy;
pub mod privacy;
pub mod private_files;
pub mod reports;
pub mod routes;
pub mod server;
pub mod sync;
pub mod telemetry;
pub mod visits;
pub mod webhooks;

//! End-to-end tests: the real server, over HTTP, on a fresh database per test.
//! Run on SQLite by default and on PostgreSQL with `TEST_DATABASE_URL` set.

mod areas;
mod auth;
mod cli;
mod console;
mod console_admin;
mod demo;
mod errors;
mod faults;
mod grievances;
mod grievances_phone;
mod hardening;
mod health;
mod helpers;
mod households;
mod import;
mod language;
mod names;
mod nodes;
mod openapi;
mod photo_store;
mod plans;
mod privacy;
mod properties;
mod queries;
mod replica;
mod reports;
mod security;
mod storage;
mod sync;
mod uploads;
mod users;
mod visits;

//! The HTTP routes, one file per resource. Handlers stay thin: parse, authorise, call
//! `db/` or `geo/`, shape the answer.

pub mod areas;
pub mod auth;
mod examples;
pub mod grievances;
pub mod health;
pub mod households;
pub mod meta;
pub mod photos;
pub mod plans;
pub mod privacy;
pub mod query;
pub mod reports;
pub mod sync;
pub mod uploads;
pub mod users;
pub mod visits;

use actix_web::middleware::from_fn;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

// A body of raw bytes (a photo, a spreadsheet) as `type: string, format: binary`, so
// client generators hand it over as a file or bytes, not a list of numbers. Only used
// inline in `content(...)`. A `//` comment: a doc comment would become its description.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(pub Vec<u8>);

/// Every documented route. The served OpenAPI document is collected from this same
/// registration, so the spec cannot list a route the server lacks, or miss one it has.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(
            scope::scope("/api/v1")
                .service(auth::login)
                .service(auth::refresh)
                .service(auth::logout)
                .service(auth::me)
                .service(auth::change_password)
                .service(users::create)
                .service(users::import)
                .service(users::list)
                .service(users::get)
                .service(users::update)
                .service(users::reset_password)
                // `batch` before `{id}`-style routes of the same prefix.
                .service(visits::submit_batch)
                .service(visits::submit)
                .service(visits::list)
                .service(visits::get)
                .service(visits::review)
                .service(visits::upload_photo)
                .service(visits::get_photo)
                .service(grievances::submit_batch)
                .service(grievances::submit)
                .service(grievances::list)
                .service(grievances::get)
                .service(grievances::transition)
                .service(grievances::comment)
                .service(grievances::upload_photo)
                .service(grievances::get_photo)
                .service(households::submit)
                .service(households::list)
                .service(households::get)
                .service(households::update)
                .service(
                    scope::scope("/uploads")
                        .wrap(from_fn(uploads::tus_resumable))
                        .service(uploads::options)
                        .service(uploads::create)
                        .service(uploads::status)
                        .service(uploads::append)
                        .service(uploads::terminate),
                )
                // `export` before any broader `/reports/weekly...` match.
                .service(reports::export)
                .service(reports::weekly_report)
                .service(plans::put_plan)
                .service(plans::progress)
                .service(plans::put_plan_for)
                .service(privacy::subject_access)
                .service(privacy::erasure)
                .service(sync::changes)
                // `locate` before `{code}`, which would otherwise swallow it.
                .service(areas::locate)
                .service(areas::list)
                .service(areas::boundary)
                .service(areas::get)
                .service(meta::list_labels),
        );
}

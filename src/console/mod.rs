//! The web console for supervisors and officials, served by the same binary under
//! `/console/`: server-rendered pages (askama templates, checked when compiling) with
//! htmx for partial updates, and no Node toolchain. Every page asks the same policy and
//! the same use cases as the API, with a signed-in [`session::Signed`] standing in for the
//! bearer token: the console never shows a record the API would hide.

mod assets;
mod audit;
mod case;
mod dashboard;
mod export;
mod households;
mod login;
mod outbox;
mod oversight;
mod pages;
mod pdf;
mod plans;
mod queue;
mod review;
pub mod session;
pub use outbox::WebhookTarget;
pub use pdf::PdfPrinter;
mod users;
mod words;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpResponse};

pub use queue::{MAX_BULK, MAX_EXPORT_ROWS, MAX_POINTS};
pub use session::SessionSettings;

/// What the console takes from the configuration.
#[derive(Debug, Clone, Default)]
pub struct ConsoleSettings {
    /// A basemap's tile URL template (`https://tile.example/{z}/{x}/{y}.png`), or empty:
    /// the maps then draw Thailand's outline only, with no tile server needed.
    pub tile_url: String,
}

impl ConsoleSettings {
    /// The origin of the tile server, which the pages' policy must let images come from.
    fn tile_origin(&self) -> Option<String> {
        let rest = self
            .tile_url
            .strip_prefix("https://")
            .map(|r| ("https://", r))
            .or_else(|| {
                self.tile_url
                    .strip_prefix("http://")
                    .map(|r| ("http://", r))
            })?;
        let host = rest.1.split('/').next()?;
        // A `{s}` subdomain template allows any subdomain of the host.
        let host = host.replace("{s}", "*");
        Some(format!("{}{host}", rest.0))
    }
}

/// Every console route. `/` and `/console` lead to the queue.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(to_console))
        .route("/console", web::get().to(to_console))
        .service(
            web::scope("/console")
                .wrap(from_fn(page_headers))
                .route("/", web::get().to(queue::page))
                .route("/login", web::get().to(login::form))
                .route("/login", web::post().to(login::submit))
                .route("/logout", web::post().to(login::logout))
                .route("/password", web::get().to(login::password_form))
                .route("/password", web::post().to(login::change_password))
                .route("/language/{choice}", web::get().to(login::language))
                .route("/assets/{version}/{file:.*}", web::get().to(assets::serve))
                .route("/grievances", web::get().to(queue::page))
                .route("/grievances/bulk", web::post().to(queue::bulk))
                .route("/grievances/points", web::get().to(queue::points))
                .route("/grievances/export.{format}", web::get().to(export::export))
                .route("/grievances/{id}", web::get().to(case::page))
                .route("/grievances/{id}/actions", web::post().to(case::act))
                .route("/grievances/{id}/comments", web::post().to(case::comment))
                .route("/grievances/{id}/reveal", web::post().to(case::reveal))
                .route("/{kind}/{id}/photos/{photo_id}", web::get().to(case::photo))
                .route("/map", web::get().to(queue::map))
                .route("/areas/{code}/boundary", web::get().to(queue::boundary))
                .route("/dashboard", web::get().to(dashboard::page))
                .route("/reports/weekly", web::get().to(dashboard::report))
                .route("/reports/weekly.pdf", web::get().to(pdf::weekly))
                .route("/print/{ticket}", web::get().to(pdf::redeem))
                .route("/plans", web::get().to(plans::page))
                .route("/users", web::get().to(users::page))
                .route("/users", web::post().to(users::create))
                .route("/users/import", web::post().to(users::import))
                .route("/users/{id}", web::post().to(users::act))
                .route("/audit", web::get().to(audit::page))
                .route("/audit/verify", web::post().to(audit::verify))
                .route("/outbox", web::get().to(outbox::page))
                .route("/outbox/{id}/retry", web::post().to(outbox::retry))
                .route("/plans/{fy}/users/{id}", web::post().to(plans::set))
                .route("/deadlines", web::get().to(oversight::deadlines))
                .route("/workload", web::get().to(oversight::workload))
                .route("/households", web::get().to(households::page))
                .route("/households/{id}", web::get().to(households::household))
                .route("/visits", web::get().to(review::page))
                .route("/visits/{id}/review", web::post().to(review::review)),
        );
}

async fn to_console() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/"))
        .finish()
}

/// The policy of the console's pages: scripts and styles only from this server, none
/// inline, no framing; images also from the configured tile server.
async fn page_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let tiles = req
        .app_data::<web::Data<ConsoleSettings>>()
        .and_then(|settings| settings.tile_origin());
    let mut response = next.call(req).await?;
    let policy = pages::content_security_policy(tiles.as_deref());
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_servers_origin_is_let_into_the_page_policy() {
        let settings = ConsoleSettings {
            tile_url: "https://{s}.tile.example.org/{z}/{x}/{y}.png".into(),
        };
        assert_eq!(
            settings.tile_origin().as_deref(),
            Some("https://*.tile.example.org")
        );
        assert_eq!(ConsoleSettings::default().tile_origin(), None);
    }
}

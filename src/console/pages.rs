//! What every console page shares: the frame around it (navigation, language switch,
//! sign-out), the security headers of a page, and rendering.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::assets;
use super::session::Signed;
use super::words::{label, words, Words};
use super::ConsoleSettings;
use crate::db::Db;
use crate::domain::Language;
use crate::error::ApiError;
use crate::policy::{self, Permission};

/// The frame of a signed-in page.
pub struct Chrome {
    pub w: &'static Words,
    pub user_name: String,
    pub role_label: String,
    pub csrf: String,
    /// The navigation entry this page belongs to.
    pub nav: &'static str,
    /// This page's own address, to come back to after switching language.
    pub here: String,
    /// Whether the person oversees an area (workload, bulk actions, visit review).
    pub oversees: bool,
    /// The administrators' screens: the audit log and the webhook outbox.
    pub administers: bool,
    pub assets: &'static str,
    /// A basemap's tile URL template, when one is configured.
    pub tile_url: String,
    /// The reader's own area, drawn on the maps.
    pub area_code: String,
}

impl Chrome {
    pub fn new(signed: &Signed, nav: &'static str, here: String, tile_url: &str) -> Self {
        Self {
            w: words(signed.language),
            user_name: signed.user.display_name.clone(),
            role_label: label(signed.user.role, signed.language),
            csrf: signed.csrf.clone(),
            nav,
            here: url_encode(&here),
            oversees: policy::allows(signed.user.role, Permission::OverseeGrievances),
            administers: policy::allows(signed.user.role, Permission::ReadAuditLog),
            assets: assets::version(),
            tile_url: tile_url.to_owned(),
            area_code: signed.user.area.as_str().to_owned(),
        }
    }
}

/// What a page is built from beside its own data: the request it answers (the address
/// to come back to), the signed-in reader, the database and the console's settings. A
/// handler that acts and then shows its page again hands it on whole.
#[derive(Clone, Copy)]
pub struct PageContext<'a> {
    pub req: &'a HttpRequest,
    pub signed: &'a Signed,
    pub db: &'a Db,
    pub settings: &'a ConsoleSettings,
}

impl<'a> PageContext<'a> {
    pub fn new(
        req: &'a HttpRequest,
        signed: &'a Signed,
        db: &'a Db,
        settings: &'a ConsoleSettings,
    ) -> Self {
        Self {
            req,
            signed,
            db,
            settings,
        }
    }

    /// The page's frame, under the navigation entry `nav`, coming back to this request.
    pub fn chrome(&self, nav: &'static str) -> Chrome {
        Chrome::new(
            self.signed,
            nav,
            request_path(self.req),
            &self.settings.tile_url,
        )
    }
}

/// The path and query of a request, to come back to.
pub fn request_path(req: &HttpRequest) -> String {
    req.uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/console/".into())
}

/// The refusal page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub w: &'static Words,
    pub title: &'a str,
    pub detail: &'a str,
    pub problems: &'a [String],
    pub assets: &'static str,
}

/// The Content-Security-Policy of every page: scripts, styles and data only from this
/// server, no inline script, no framing. A configured basemap adds its tile host.
pub fn content_security_policy(tile_origin: Option<&str>) -> String {
    let tiles = tile_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; \
         connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// A rendered page, never cached (pages hold personal data). Its security policy is
/// added on the way out, for every answer under `/console` (`console::headers`).
pub fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(html),
        Err(error) => {
            tracing::error!(error = %error, "a console page failed to render");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("internal error / ระบบขัดข้อง")
        }
    }
}

/// Percent-encodes `text` for a query string value.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A query string from name/value pairs, empty values left out.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", url_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// An option of a `<select>`: its value, what it says, whether it is chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, chosen: &str) -> Self {
        let value = value.into();
        Self {
            selected: value == chosen,
            value,
            label: label.into(),
        }
    }
}

/// The first value a form sent under `name`, trimmed; `None` when absent or blank.
pub fn form_field(form: &[(String, String)], name: &str) -> Option<String> {
    form.iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// A message at the top of a page after an action: done, or why not (every broken
/// field listed), in the reader's language.
pub struct Notice {
    pub ok: bool,
    pub text: String,
    pub problems: Vec<String>,
}

impl Notice {
    pub fn done(text: String) -> Self {
        Self {
            ok: true,
            text,
            problems: Vec::new(),
        }
    }

    /// What an action came to, as the page's status and its notice: `said` of what was
    /// done, or the refusal with its status.
    pub fn after<T>(
        outcome: Result<T, ApiError>,
        language: Language,
        said: impl FnOnce(T) -> String,
    ) -> (StatusCode, Self) {
        match outcome {
            Ok(done) => (StatusCode::OK, Self::done(said(done))),
            Err(error) => (
                actix_web::ResponseError::status_code(&error),
                Self::refused(&error, language),
            ),
        }
    }

    pub fn refused(error: &ApiError, language: Language) -> Self {
        let problem = error.problem(language);
        Self {
            ok: false,
            text: problem.detail.unwrap_or(problem.title),
            problems: problem
                .errors
                .unwrap_or_default()
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded_and_empty_ones_dropped() {
        assert_eq!(url_encode("a b&c=ด"), "a%20b%26c%3D%E0%B8%94");
        assert_eq!(
            query_string([("status", "accepted,assigned"), ("q", ""), ("area", "5001")]),
            "status=accepted%2Cassigned&area=5001"
        );
    }
}

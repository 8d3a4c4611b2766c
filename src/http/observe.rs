//! The outermost middleware: gives each request an id and a tracing span, turns a panic
//! into a 500 problem, makes every error answer problem+json in the language the caller
//! reads (`Accept-Language`), adds security headers, and records metrics and one log line
//! per request, with the caller and the problem's code.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};
use futures_util::FutureExt;
use tracing::Instrument;

use super::{Metrics, RequestId};
use crate::domain::{Language, UserId};
use crate::error::{ApiError, Problem, PROBLEM_CONTENT_TYPE};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_acceptable_request_id(id))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let language = language_of(req.headers());

    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().clone();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        path = %req.path(),
    );

    // The request cannot be cloned before routing (actix needs it unshared), so a panic
    // is answered through an error that renders the problem itself.
    let outcome = AssertUnwindSafe(next.call(req))
        .catch_unwind()
        .instrument(span.clone())
        .await;
    let response = match outcome {
        Ok(Ok(response)) => response.map_into_boxed_body(),
        Ok(Err(error)) => return Err(error),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            span.in_scope(|| tracing::error!(panic = %message, "handler panicked"));
            if let Some(metrics) = metrics {
                let seconds = started.elapsed().as_secs_f64();
                metrics.observe(method.as_str(), "unmatched", 500, seconds);
            }
            return Err(HandlerPanicked {
                request_id,
                language,
            }
            .into());
        }
    };
    let problem_code = response
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
        .map(ApiError::code);
    let mut response = as_problem_in(language, response);
    add_standard_headers(response.headers_mut(), &request_id);

    let status = response.status().as_u16();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed();
    if let Some(metrics) = metrics {
        metrics.observe(method.as_str(), &route, status, elapsed.as_secs_f64());
    }
    let user = response
        .request()
        .extensions()
        .get::<UserId>()
        .map(|id| id.to_string());
    let code = problem_code.or_else(|| problem_code_of(&response));
    span.in_scope(|| {
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        let user = user.as_deref().unwrap_or("-");
        let code = code.unwrap_or("-");
        if status >= 500 {
            tracing::error!(status, route, latency_ms, user, code, "request failed");
        } else if status == 403 {
            // Someone tried what their role or area does not allow: worth a look.
            tracing::warn!(status, route, latency_ms, user, code, "request refused");
        } else {
            tracing::info!(status, route, latency_ms, user, code, "request");
        }
    });
    Ok(response)
}

fn add_standard_headers(headers: &mut HeaderMap, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    for (name, value) in SECURITY_HEADERS {
        let name = HeaderName::from_static(name);
        // The console's pages bring a policy that lets them load their own scripts.
        if name == header::CONTENT_SECURITY_POLICY && headers.contains_key(&name) {
            continue;
        }
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// A handler panicked: a 500 problem with no detail, carrying the request id.
#[derive(Debug)]
struct HandlerPanicked {
    request_id: String,
    language: Language,
}

impl std::fmt::Display for HandlerPanicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "handler panicked (request {})", self.request_id)
    }
}

impl ResponseError for HandlerPanicked {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let mut response =
            Problem::for_status(self.status_code(), self.language).into_response(self.language);
        add_standard_headers(response.headers_mut(), &self.request_id);
        response
    }
}

/// Sent on every answer: the API serves JSON and files, never pages to be framed or sniffed.
const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
];

/// Ids are echoed into headers and logs, so only short, plain tokens are taken as given.
fn is_acceptable_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The language the caller reads, from `Accept-Language`.
pub fn language_of(headers: &HeaderMap) -> Language {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or_else(Language::default, Language::from_accept_language)
}

/// The caller's language, for answers that carry problems inside a success (batches).
impl actix_web::FromRequest for Language {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(language_of(req.headers())))
    }
}

/// The `code` of a problem answer that did not come from an `ApiError`.
fn problem_code_of(response: &ServiceResponse<BoxBody>) -> Option<&'static str> {
    let status = response.status();
    (status.is_client_error() || status.is_server_error())
        .then(|| ApiError::for_status(status).map_or("request_failed", |e| e.code()))
}

/// Every error answer as problem+json in `language`: an `ApiError` rendered again in the
/// caller's language (handlers render English), and actix's own 404/405/413 given a
/// problem body with the matching code.
fn as_problem_in(
    language: Language,
    response: ServiceResponse<BoxBody>,
) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_CONTENT_TYPE.as_bytes()));
    // The console answers people with pages of its own, refusals included.
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let (request, old) = response.into_parts();
    let api_error = old.error().and_then(|e| e.as_error::<ApiError>());
    let mut replacement = match api_error {
        Some(_) if language == Language::English => {
            return ServiceResponse::new(request, old);
        }
        Some(error) => error.problem(language).into_response(language),
        None if is_problem || is_page => return ServiceResponse::new(request, old),
        None => Problem::for_status(status, language).into_response(language),
    };
    for (name, value) in old.headers() {
        let ours = [
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
            header::CONTENT_LANGUAGE,
        ];
        if !ours.contains(name) {
            replacement
                .headers_mut()
                .insert(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(request, replacement)
}

#[cfg(test)]
mod tests {
    use actix_web::test::{
        call_service, init_service, read_body_json, try_call_service, TestRequest,
    };
    use actix_web::{middleware::from_fn, web, App, HttpResponse};

    use super::*;

    async fn panics() -> HttpResponse {
        panic!("boom: secret internals")
    }

    #[actix_web::test]
    async fn a_panicking_handler_answers_500_problem_without_detail() {
        let app = init_service(
            App::new()
                .wrap(from_fn(observe))
                .route("/panic", web::get().to(panics)),
        )
        .await;
        let error = try_call_service(
            &app,
            TestRequest::get()
                .uri("/panic")
                .insert_header(("x-request-id", "abc-123"))
                .to_request(),
        )
        .await
        .expect_err("a panic surfaces as an error actix renders");
        let response = actix_web::dev::ServiceResponse::new(
            TestRequest::default().to_http_request(),
            error.error_response(),
        );
        assert_eq!(response.status(), 500);
        assert_eq!(response.headers().get("x-request-id").unwrap(), "abc-123");
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            PROBLEM_CONTENT_TYPE
        );
        let body: serde_json::Value = read_body_json(response).await;
        assert_eq!(body["code"], "internal_error");
        assert!(body.get("detail").is_none(), "{body}");
        assert!(!body.to_string().contains("secret"));
    }

    #[actix_web::test]
    async fn a_plain_405_becomes_a_problem() {
        let app = init_service(
            App::new()
                .wrap(from_fn(observe))
                .service(web::resource("/only-get").route(web::get().to(HttpResponse::Ok))),
        )
        .await;
        let response = call_service(&app, TestRequest::post().uri("/only-get").to_request()).await;
        assert_eq!(response.status(), 405);
        let body: serde_json::Value = read_body_json(response).await;
        assert_eq!(body["code"], "method_not_allowed");
    }

    #[test]
    fn request_ids_are_plain_and_short() {
        assert!(is_acceptable_request_id(
            "6f1c2b9e-1d2a-4f7b-9a51-5d7e0c9f3b21"
        ));
        assert!(!is_acceptable_request_id(""));
        assert!(!is_acceptable_request_id("with space"));
        assert!(!is_acceptable_request_id(&"x".repeat(129)));
    }
}

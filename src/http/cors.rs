//! CORS from an allow-list in the configuration: none by default, so browsers on other
//! origins cannot call the API until an operator names the dashboards' origins.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

/// The origins allowed to call the API from a browser (`https://dash.example.go.th`).
#[derive(Debug, Clone, Default)]
pub struct CorsPolicy {
    pub allowed_origins: Vec<String>,
}

impl CorsPolicy {
    fn allows(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|allowed| allowed == origin)
    }
}

const ALLOWED_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
// The tus headers, so a browser's tus client can resume photo uploads too.
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, If-Match, X-Request-Id, \
    Tus-Resumable, Upload-Length, Upload-Offset, Upload-Metadata, Upload-Checksum";
const EXPOSED_HEADERS: &str = "ETag, Location, Retry-After, X-Request-Id, Content-Disposition, \
    Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, \
    Upload-Offset, Upload-Length, Upload-Expires, Upload-Metadata, Fieldweek-Photo, \
    Fieldweek-Photo-Status";

pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let policy = req.app_data::<web::Data<CorsPolicy>>().cloned();
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let allowed = match (&policy, &origin) {
        (Some(policy), Some(origin)) => policy.allows(origin),
        _ => false,
    };
    let is_preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if is_preflight {
        // Answered here: a refused preflight gets no CORS headers, so the browser stops.
        let mut response = HttpResponse::NoContent();
        if let (false, Some(origin)) = (allowed, &origin) {
            // The only refusal made here; other requests from such an origin run and
            // are answered without CORS headers, so the browser withholds the answer.
            tracing::warn!(
                event = "cors_preflight_refused",
                origin = ?origin.chars().take(200).collect::<String>(),
                "a browser on an origin not allowed asked to call the API"
            );
        }
        if allowed {
            response
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
        }
        let mut response = req.into_response(response.finish());
        decorate(
            response.headers_mut(),
            origin.as_deref().filter(|_| allowed),
        );
        return Ok(response.map_into_boxed_body());
    }
    let mut response = next.call(req).await?.map_into_boxed_body();
    decorate(
        response.headers_mut(),
        origin.as_deref().filter(|_| allowed),
    );
    Ok(response)
}

fn decorate(headers: &mut header::HeaderMap, allowed_origin: Option<&str>) {
    // Answers differ by Origin, so caches must keep them apart.
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allowed_origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
}

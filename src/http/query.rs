//! A query parameter the route does not know is refused (422, `unknown_field`), never
//! silently ignored: a phone that sends `week=` to a list without that filter must learn
//! that nothing was filtered. One it knows, given twice, is refused too (`duplicate_key`):
//! which of the two would count is anyone's guess. The parameters each route knows are
//! read from the OpenAPI document, which is collected from the routes themselves, so the
//! two cannot drift. The same document tells a path the server has from one it lacks, so
//! a request no route takes is a 405 with `Allow` where the path takes other methods.

use std::collections::HashMap;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::openapi::path::ParameterIn;

use crate::error::{ApiError, FieldCode, FieldError};

/// The query parameters of each route, by path template and method.
#[derive(Debug, Default)]
pub struct KnownQueries {
    by_route: HashMap<String, HashMap<Method, Vec<String>>>,
}

impl KnownQueries {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let mut by_route: HashMap<String, HashMap<Method, Vec<String>>> = HashMap::new();
        for (path, item) in &spec.paths.paths {
            let shared: Vec<String> = query_names(item.parameters.as_deref());
            let operations = [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::PATCH, &item.patch),
                (Method::DELETE, &item.delete),
            ];
            for (method, operation) in operations {
                if let Some(operation) = operation {
                    let mut names = shared.clone();
                    names.extend(query_names(operation.parameters.as_deref()));
                    by_route
                        .entry(path.clone())
                        .or_default()
                        .insert(method, names);
                }
            }
        }
        Self { by_route }
    }

    /// What is wrong with the parameters of `query` for this route: each one it does not
    /// take, and each one it takes that is given more than once. `None` for a route the
    /// document does not describe (the document itself).
    fn refusals_in(&self, method: &Method, route: &str, query: &str) -> Option<Vec<FieldError>> {
        let known = self.by_route.get(route)?.get(method)?;
        let pairs = web::Query::<Vec<(String, String)>>::from_query(query).ok()?;
        let mut seen: Vec<String> = Vec::new();
        let mut refusals: Vec<FieldError> = Vec::new();
        for (name, _) in pairs.into_inner() {
            let again = seen.contains(&name);
            if refusals.iter().any(|refusal| refusal.field == name) {
                continue;
            }
            if !known.contains(&name) {
                refusals.push(FieldError::new(
                    name.clone(),
                    FieldCode::UnknownField,
                    "is not a parameter of this endpoint",
                    "ไม่ใช่พารามิเตอร์ของรายการนี้ กรุณาตรวจสอบชื่อ",
                ));
            } else if again {
                refusals.push(FieldError::new(
                    name.clone(),
                    FieldCode::DuplicateKey,
                    "is given more than once: give it once (a list, where one is taken, \
                     separated by commas)",
                    "ระบุพารามิเตอร์นี้ซ้ำ กรุณาระบุเพียงครั้งเดียว (หากระบุได้หลายค่า ให้คั่นด้วยจุลภาค)",
                ));
            }
            seen.push(name);
        }
        Some(refusals)
    }

    /// The methods some route takes at `path` (a concrete path, matched against the
    /// documented templates), in a fixed order.
    pub fn methods_at(&self, path: &str) -> Vec<Method> {
        let mut methods: Vec<Method> = Vec::new();
        for (template, by_method) in &self.by_route {
            if template_matches(template, path) {
                methods.extend(by_method.keys().cloned());
            }
        }
        let rank = |method: &Method| {
            [
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ]
            .iter()
            .position(|m| m == method)
        };
        methods.sort_by_key(rank);
        methods.dedup();
        methods
    }
}

/// Whether a path template (`/api/v1/visits/{id}`) takes `path`: the same segments, a
/// `{name}` standing for any one non-empty segment, as the router takes them.
fn template_matches(template: &str, path: &str) -> bool {
    let mut expected = template.split('/');
    let mut given = path.split('/');
    loop {
        match (expected.next(), given.next()) {
            (None, None) => return true,
            (Some(want), Some(got)) => {
                let matches = if want.starts_with('{') && want.ends_with('}') {
                    !got.is_empty()
                } else {
                    want == got
                };
                if !matches {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The answer to a request no route took: 405 with `Allow` when the path takes other
/// methods, else 404.
pub async fn no_route(req: HttpRequest) -> HttpResponse {
    let allowed = req
        .app_data::<web::Data<KnownQueries>>()
        .map(|known| known.methods_at(req.path()))
        .unwrap_or_default();
    let language = super::language_of(req.headers());
    if allowed.is_empty() || allowed.contains(req.method()) {
        return ApiError::NotFound.response_in(language);
    }
    let mut response = ApiError::MethodNotAllowed.response_in(language);
    let list: Vec<&str> = allowed.iter().map(Method::as_str).collect();
    if let Ok(value) = HeaderValue::from_str(&list.join(", ")) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

fn query_names(parameters: Option<&[utoipa::openapi::path::Parameter]>) -> Vec<String> {
    parameters
        .unwrap_or_default()
        .iter()
        .filter(|p| p.parameter_in == ParameterIn::Query)
        .map(|p| p.name.clone())
        .collect()
}

pub async fn refuse_unknown_query(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !req.query_string().is_empty() {
        let known = req.app_data::<web::Data<KnownQueries>>();
        let route = req.match_pattern();
        if let (Some(known), Some(route)) = (known, route) {
            if let Some(refusals) = known.refusals_in(req.method(), &route, req.query_string()) {
                if !refusals.is_empty() {
                    let error = ApiError::Validation(refusals);
                    let (request, _) = req.into_parts();
                    return Ok(ServiceResponse::from_err(error, request));
                }
            }
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(known: &KnownQueries, route: &str, query: &str) -> Option<Vec<(String, FieldCode)>> {
        let refusals = known.refusals_in(&Method::GET, route, query)?;
        Some(refusals.into_iter().map(|r| (r.field, r.code)).collect())
    }

    #[test]
    fn every_documented_route_knows_its_parameters_and_nothing_else() {
        let known = KnownQueries::from_spec(&crate::server::api_spec());
        let grievances = "/api/v1/grievances";
        let unknown = |name: &str| (name.to_owned(), FieldCode::UnknownField);
        assert_eq!(
            refused(&known, grievances, "status=accepted&limit=5"),
            Some(vec![])
        );
        assert_eq!(
            refused(&known, grievances, "week=2026-W48&author=x&week=2026-W49"),
            Some(vec![unknown("week"), unknown("author")])
        );
        assert_eq!(
            refused(
                &known,
                grievances,
                "status=accepted&limit=5&status=closed&status=x"
            ),
            Some(vec![("status".to_owned(), FieldCode::DuplicateKey)])
        );
        // A route with no parameters at all knows none.
        assert_eq!(
            refused(&known, "/api/v1/grievances/{id}", "debug=1"),
            Some(vec![unknown("debug")])
        );
        assert_eq!(refused(&known, "/api/v1/openapi.json", "x=1"), None);
    }

    #[test]
    fn a_path_is_matched_against_the_documented_templates() {
        let known = KnownQueries::from_spec(&crate::server::api_spec());
        let methods = |path: &str| -> Vec<String> {
            known
                .methods_at(path)
                .iter()
                .map(|m| m.to_string())
                .collect()
        };
        assert_eq!(methods("/api/v1/visits"), ["GET", "POST"]);
        assert_eq!(methods("/api/v1/grievances/g-1"), ["GET"]);
        assert_eq!(methods("/api/v1/users/u-1"), ["GET", "PATCH"]);
        assert_eq!(methods("/api/v1/visits/v-1/photos/p-1"), ["GET"]);
        // `batch` is also an `{id}`: a GET there reaches the visit route.
        assert_eq!(methods("/api/v1/visits/batch"), ["GET", "POST"]);
        for unknown in [
            "/api/v1/nope",
            "/api/v1/visits/",
            "/api/v1/visits/v-1/extra",
            "/",
        ] {
            assert!(methods(unknown).is_empty(), "{unknown}");
        }
    }
}

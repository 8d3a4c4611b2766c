//! A query parameter the route does not know is refused (422, `unknown_field`), never
//! silently ignored: a phone that sends `week=` to a list without that filter must learn
//! that nothing was filtered. The parameters each route knows are read from the OpenAPI
//! document, which is collected from the routes themselves, so the two cannot drift.

use std::collections::HashMap;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
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

    /// The parameters of `query` that the route does not take; `None` for a route the
    /// document does not describe (health checks, the document itself).
    fn unknown_in(&self, method: &Method, route: &str, query: &str) -> Option<Vec<String>> {
        let known = self.by_route.get(route)?.get(method)?;
        let pairs = web::Query::<Vec<(String, String)>>::from_query(query).ok()?;
        let mut unknown: Vec<String> = Vec::new();
        for (name, _) in pairs.into_inner() {
            if !known.contains(&name) && !unknown.contains(&name) {
                unknown.push(name);
            }
        }
        Some(unknown)
    }
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
            if let Some(unknown) = known.unknown_in(req.method(), &route, req.query_string()) {
                if !unknown.is_empty() {
                    let error = ApiError::Validation(
                        unknown
                            .into_iter()
                            .map(|name| {
                                FieldError::new(
                                    name,
                                    FieldCode::UnknownField,
                                    "is not a parameter of this endpoint",
                                    "ไม่ใช่พารามิเตอร์ของรายการนี้ กรุณาตรวจสอบชื่อ",
                                )
                            })
                            .collect(),
                    );
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

    #[test]
    fn every_documented_route_knows_its_parameters_and_nothing_else() {
        let known = KnownQueries::from_spec(&crate::server::api_spec());
        let get = Method::GET;
        let grievances = "/api/v1/grievances";
        assert_eq!(
            known.unknown_in(&get, grievances, "status=accepted&limit=5"),
            Some(vec![])
        );
        assert_eq!(
            known.unknown_in(&get, grievances, "week=2026-W48&author=x&week=2026-W49"),
            Some(vec!["week".to_owned(), "author".to_owned()])
        );
        // A route with no parameters at all knows none.
        assert_eq!(
            known.unknown_in(&get, "/api/v1/grievances/{id}", "debug=1"),
            Some(vec!["debug".to_owned()])
        );
        assert_eq!(known.unknown_in(&get, "/api/v1/openapi.json", "x=1"), None);
    }
}

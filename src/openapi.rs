//! The OpenAPI document's fixed parts; paths and schemas are collected from the routes.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldCode, FieldProblem, Problem, ProblemCode};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "fieldweek",
        description = "Weekly field visits, citizens' grievances and field summaries for the \
                       Ministry of Social Development and Human Security (พม.). A method a \
                       path does not take answers 405 `method_not_allowed`, with `Allow` \
                       listing the methods it does.",
        license(name = "MIT"),
    ),
    tags(
        (name = "operations", description = "Health, readiness and metrics."),
        (name = "auth", description = "Login, token refresh and logout; one's own account."),
        (name = "users", description = "Accounts, managed within one's own area."),
        (name = "visits", description = "Weekly field visits: filing, offline sync, review, photos."),
        (name = "grievances", description = "Citizens' grievances: filing, workflow, SLAs, comments, photos."),
        (name = "households", description = "The target-group register: households and their members, visited over time."),
        (name = "uploads", description = "Resumable photo uploads over tus 1.0.0 (creation, creation-with-upload, expiration, termination, checksum), for visits and grievances on a bad network."),
        (name = "reports", description = "Weekly field summaries and their exports."),
        (name = "plans", description = "One-year plans with targets, and progress."),
        (name = "privacy", description = "PDPA data-subject requests (admins)."),
        (name = "sync", description = "The phone's feed of what changed in its sync set."),
        (name = "areas", description = "Thai administrative geography (bundled)."),
    ),
    components(schemas(Problem, FieldProblem, FieldCode, ProblemCode)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// Every `/api/v1` route but login and refresh needs `Authorization: Bearer <token>`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The operations of one path, of the methods the API uses.
fn operations_mut(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Names every operation `<tag>_<handler>` (`grievances_list`, `visits_list`): the
/// handlers' own names repeat across resources, and client generators refuse an
/// operationId seen twice.
pub fn name_operations_by_tag(spec: &mut utoipa::openapi::OpenApi) {
    for item in spec.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            let tag = operation
                .tags
                .as_ref()
                .and_then(|tags| tags.first())
                .cloned();
            if let (Some(tag), Some(id)) = (tag, operation.operation_id.as_mut()) {
                if !id.starts_with(&format!("{tag}_")) {
                    *id = format!("{tag}_{id}");
                }
            }
        }
    }
}

/// Writes "no token needed" as `security: []`, the form OpenAPI gives for lifting the
/// document-wide requirement, instead of utoipa's `[{}]` ("anonymous allowed"), which
/// client generators read as "needs a token" (a login that needs a login).
pub fn open_operations_need_no_token(spec: &mut utoipa::openapi::OpenApi) {
    for item in spec.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            let anonymous = operation.security.as_ref().is_some_and(|requirements| {
                requirements.iter().all(|r| {
                    serde_json::to_value(r)
                        .is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
                })
            });
            if anonymous {
                operation.security = Some(Vec::new());
            }
        }
    }
}

/// Points the items of a generic page (`Page_Visit.items`) at the schema they copy.
/// utoipa inlines a generic argument's schema, so generators would otherwise make a second
/// model of the same record (`PageVisitItemsItem` beside `Visit`).
pub fn reference_generic_items(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{ArrayItems, Schema};
    use utoipa::openapi::{Ref, RefOr};

    let Some(components) = spec.components.as_mut() else {
        return;
    };
    let named: Vec<(String, serde_json::Value)> = components
        .schemas
        .iter()
        .filter_map(|(name, schema)| Some((name.clone(), serde_json::to_value(schema).ok()?)))
        .collect();
    let name_of = |schema: &RefOr<Schema>| {
        let value = serde_json::to_value(schema).ok()?;
        named
            .iter()
            .find(|(_, named)| *named == value)
            .map(|(name, _)| name.clone())
    };
    for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::Object(object)) = schema else {
            continue;
        };
        for property in object.properties.values_mut() {
            let RefOr::T(Schema::Array(array)) = property else {
                continue;
            };
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                if matches!(**items, RefOr::T(Schema::Object(_))) {
                    if let Some(name) = name_of(items) {
                        **items = RefOr::Ref(Ref::from_schema_name(name));
                    }
                }
            }
        }
    }
}

/// Documents the problem answers any operation can give (bad syntax, no token, a body too
/// large or of the wrong type, a rule broken, too many requests, the database away),
/// where its own annotations do not already, so clients and schema-driven tests know
/// every status the server may send.
pub fn add_common_responses(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                crate::error::PROBLEM_CONTENT_TYPE,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    for (path, item) in spec.paths.paths.iter_mut() {
        for operation in operations_mut(item) {
            let secured = match &operation.security {
                None => path.starts_with("/api/"),
                Some(requirements) => requirements.iter().any(|r| {
                    serde_json::to_value(r)
                        .is_ok_and(|v| v.as_object().is_some_and(|o| !o.is_empty()))
                }),
            };
            let has_body = operation.request_body.is_some();
            let mut common = vec![
                ("400", "malformed_request: the request cannot be read"),
                // Any route: a query parameter it does not document is `unknown_field`.
                ("422", "validation_failed, with errors[] naming each field"),
                // Any route: too many connections from one client address.
                ("429", "too_many_requests, with Retry-After"),
                ("500", "internal_error"),
                ("503", "service_unavailable: the database does not answer"),
            ];
            if secured {
                common.push(("401", "unauthenticated, token_expired"));
            }
            if path.contains('{') {
                common.push(("404", "not_found: no such record, or not in your area"));
            }
            if has_body {
                common.push(("408", "request_timeout: the body arrived too slowly"));
                common.push(("413", "payload_too_large"));
                common.push(("415", "unsupported_media_type"));
            }
            for (status, description) in common {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(description).into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_an_id_of_its_own() {
        let spec = crate::server::api_spec();
        let mut ids: Vec<String> = Vec::new();
        for (path, item) in &spec.paths.paths {
            let operations = [&item.get, &item.put, &item.post, &item.delete, &item.patch];
            for operation in operations.into_iter().flatten() {
                let id = operation.operation_id.clone();
                let id = id.unwrap_or_else(|| panic!("an operation of {path} has no id"));
                assert!(!ids.contains(&id), "operationId {id} is used twice");
                // Generators make function names of them: `<tag>_<verb>`, snake_case.
                let tag = &operation.tags.as_ref().expect("every operation has a tag")[0];
                let verb = id.strip_prefix(&format!("{tag}_"));
                assert!(
                    verb.is_some_and(|verb| !verb.is_empty()
                        && !verb.starts_with('_')
                        && !verb.ends_with('_')
                        && !verb.contains("__")
                        && verb.chars().all(|c| c.is_ascii_lowercase() || c == '_')),
                    "operationId {id} of {path} is not <{tag}>_<snake_case verb>"
                );
                ids.push(id);
            }
        }
        for id in [
            "grievances_list",
            "visits_list",
            "plans_put",
            "reports_weekly",
        ] {
            assert!(ids.contains(&id.to_owned()), "{id} missing from {ids:?}");
        }
    }
}

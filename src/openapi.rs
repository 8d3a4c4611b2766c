//! The OpenAPI document's fixed parts; paths and schemas are collected from the routes.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "fieldweek",
        description = "Weekly field visits, citizens' grievances and field summaries for the \
                       Ministry of Social Development and Human Security (พม.).",
        license(name = "MIT"),
    ),
    tags(
        (name = "operations", description = "Health, readiness and metrics."),
        (name = "auth", description = "Login, token refresh and logout; one's own account."),
        (name = "users", description = "Accounts, managed within one's own area."),
        (name = "visits", description = "Weekly field visits: filing, offline sync, review, photos."),
        (name = "grievances", description = "Citizens' grievances: filing, workflow, SLAs, comments."),
        (name = "reports", description = "Weekly field summaries and their exports."),
        (name = "plans", description = "One-year plans with targets, and progress."),
        (name = "privacy", description = "PDPA data-subject requests (admins)."),
        (name = "areas", description = "Thai administrative geography (bundled)."),
    ),
    components(schemas(Problem, FieldError)),
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

//! Thai administrative areas: browse the hierarchy, look one up, draw its boundary,
//! locate a point.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::domain::{outside_thailand, GeoPoint};
use crate::error::{ApiError, FieldError, Problem};
use crate::geo::{Area, Geography, Located};
use crate::routes::query::parse_number;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A province, district or `TH`; without it, the 77 provinces.
    #[param(example = "50")]
    pub parent: Option<String>,
}

/// The children of an area (never paged: at most a few hundred).
#[utoipa::path(
    tag = "areas",
    params(ListQuery),
    responses(
        (status = 200, body = Vec<Area>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/areas")]
pub async fn list(
    _user: AuthUser,
    geography: web::Data<Geography>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Vec<Area>>, ApiError> {
    let parent = query.parent.as_deref().map(str::trim);
    let children = geography.children(parent).ok_or(ApiError::NotFound)?;
    Ok(web::Json(children.into_iter().cloned().collect()))
}

/// One area by its code (`TH`, or a 2-, 4- or 6-digit DOPA code).
#[utoipa::path(
    tag = "areas",
    params(("code" = String, Path, example = "500101")),
    responses(
        (status = 200, body = Area),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/areas/{code}")]
pub async fn get(
    _user: AuthUser,
    geography: web::Data<Geography>,
    code: web::Path<String>,
) -> Result<web::Json<Area>, ApiError> {
    let area = geography.area(code.trim()).ok_or(ApiError::NotFound)?;
    Ok(web::Json(area.clone()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocateQuery {
    /// WGS84 latitude.
    #[param(value_type = f64, required = true, example = 18.7883)]
    pub lat: Option<String>,
    /// WGS84 longitude.
    #[param(value_type = f64, required = true, example = 98.9853)]
    pub lon: Option<String>,
}

/// The subdistrict for a point, with its district and province, and how it was found.
#[utoipa::path(
    tag = "areas",
    params(LocateQuery),
    responses(
        (status = 200, body = Located),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/areas/locate")]
pub async fn locate(
    _user: AuthUser,
    geography: web::Data<Geography>,
    query: web::Query<LocateQuery>,
) -> Result<web::Json<Located>, ApiError> {
    // Taken as text, so a value that is not a number is a 422 naming it.
    let mut errors = Vec::new();
    let mut coordinate = |field: &str, raw: Option<&str>| {
        if raw.is_none() {
            errors.push(FieldError::required(field));
        }
        parse_number(&mut errors, field, raw)
    };
    let lat = coordinate("lat", query.lat.as_deref());
    let lon = coordinate("lon", query.lon.as_deref());
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return Err(ApiError::Validation(errors));
    };
    let point = GeoPoint::checked(lat, lon).map_err(|errors| {
        ApiError::Validation(
            errors
                .into_iter()
                .map(|(field, error)| FieldError::parse(field, error))
                .collect(),
        )
    })?;
    let located = geography.locate(point).map_err(|_| {
        ApiError::Validation(vec![
            FieldError::refused("lat", outside_thailand()),
            FieldError::refused("lon", outside_thailand()),
        ])
    })?;
    Ok(web::Json(located))
}

/// How long a client may reuse a boundary without asking again: they change only
/// with a new release of the data.
const BOUNDARY_MAX_AGE_S: u32 = 7 * 24 * 3600;

/// The boundary of a province, district or subdistrict as a GeoJSON `Feature`
/// (`MultiPolygon`, WGS84 lon/lat; properties `code`, `level`, `name_th`, `name_en`,
/// and `polygon_of` when a subdistrict has no polygon of its own and is drawn with
/// the one it was split from). Cacheable: `ETag`, and 304 on a matching
/// `If-None-Match`. Not for `TH`: draw the provinces.
#[utoipa::path(
    tag = "areas",
    params(("code" = String, Path, example = "500108")),
    responses(
        (status = 200, description = "A GeoJSON Feature", content_type = "application/geo+json",
         body = Object),
        (status = 304, description = "The client's copy is current"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/areas/{code}/boundary")]
pub async fn boundary(
    _user: AuthUser,
    geography: web::Data<Geography>,
    code: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let feature = geography
        .boundary_geojson(code.trim())
        .ok_or(ApiError::NotFound)?;
    let body = serde_json::to_vec(&feature).map_err(ApiError::internal)?;
    // The content's own hash: the tag changes exactly when the drawing does.
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..16]));
    let cache = format!("private, max-age={BOUNDARY_MAX_AGE_S}");
    let current = request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*");
    let mut response = if current {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache));
    Ok(if current {
        response.finish()
    } else {
        response.content_type("application/geo+json").body(body)
    })
}

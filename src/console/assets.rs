//! The console's static files, built into the binary: its own stylesheet and script, and
//! the vendored browser libraries (`assets/vendor/`, refreshed by
//! `scripts/vendor-console-assets.sh`). Served under a path that names their version, so
//! a browser may keep them for a year.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

/// Each served file: its name under `/console/assets/<version>/`, type and bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "console.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/console.css"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/console.js"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/vendor/htmx.org/htmx.min.js"),
    ),
    (
        "leaflet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/vendor/leaflet/leaflet.js"),
    ),
    (
        "leaflet.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/vendor/leaflet/leaflet.css"),
    ),
    (
        "images/marker-icon.png",
        "image/png",
        include_bytes!("assets/vendor/leaflet/images/marker-icon.png"),
    ),
    (
        "images/marker-icon-2x.png",
        "image/png",
        include_bytes!("assets/vendor/leaflet/images/marker-icon-2x.png"),
    ),
    (
        "images/marker-shadow.png",
        "image/png",
        include_bytes!("assets/vendor/leaflet/images/marker-shadow.png"),
    ),
    (
        "images/layers.png",
        "image/png",
        include_bytes!("assets/vendor/leaflet/images/layers.png"),
    ),
    (
        "images/layers-2x.png",
        "image/png",
        include_bytes!("assets/vendor/leaflet/images/layers-2x.png"),
    ),
    (
        "leaflet.markercluster.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/vendor/leaflet.markercluster/leaflet.markercluster.js"),
    ),
    (
        "MarkerCluster.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/vendor/leaflet.markercluster/MarkerCluster.css"),
    ),
    (
        "MarkerCluster.Default.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/vendor/leaflet.markercluster/MarkerCluster.Default.css"),
    ),
    (
        "thailand-outline.geojson",
        "application/geo+json",
        include_bytes!("../geo/data/thailand-outline.geojson"),
    ),
];

/// A short hash of every file: a new build with changed files gets new addresses.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut hash = Sha256::new();
        for (name, _, bytes) in FILES {
            hash.update(name.as_bytes());
            hash.update(bytes);
        }
        hex::encode(&hash.finalize()[..6])
    })
}

/// `GET /console/assets/{version}/{file}`.
pub async fn serve(path: web::Path<(String, String)>) -> HttpResponse {
    let (version, name) = path.into_inner();
    let Some((_, content_type, bytes)) = FILES.iter().find(|(file, _, _)| *file == name) else {
        return HttpResponse::NotFound().finish();
    };
    let cache = if version == self::version() {
        "public, max-age=31536000, immutable"
    } else {
        // An old page asking for an old version gets today's file, briefly cached.
        "public, max-age=300"
    };
    HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .body(*bytes)
}

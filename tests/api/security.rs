//! Cross-origin rules and the headers every answer carries.

use crate::helpers::{spawn_app, spawn_app_with};

const DASHBOARD: &str = "https://dash.example.go.th";

async fn preflight(app: &crate::helpers::TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/visits"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn no_origin_is_allowed_by_default() {
    let app = spawn_app().await;
    let response = preflight(&app, DASHBOARD).await;
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("Origin", DASHBOARD)
        .send()
        .await
        .unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    assert_eq!(response.headers()["vary"], "Origin");
}

#[tokio::test]
async fn only_listed_origins_are_allowed() {
    let app = spawn_app_with(|config| config.cors_origins = vec![DASHBOARD.into()]).await;
    let response = preflight(&app, DASHBOARD).await;
    assert_eq!(response.status(), 204);
    assert_eq!(response.headers()["access-control-allow-origin"], DASHBOARD);
    assert!(response.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("Authorization"));
    assert!(response.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert!(response.headers().contains_key("x-request-id"));

    crate::helpers::capture_warnings();
    let response = preflight(&app, "https://evil.example.com").await;
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    // The refusal is logged for operators, with the origin that asked.
    let request_id = response.headers()["x-request-id"].to_str().unwrap();
    let lines = crate::helpers::warnings_of(request_id);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["event"], "cors_preflight_refused");
    assert_eq!(lines[0]["origin"], "\"https://evil.example.com\"");

    let response = app
        .client
        .get(app.url("/healthz"))
        .header("Origin", DASHBOARD)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], DASHBOARD);
    assert!(response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("ETag"));
}

#[tokio::test]
async fn a_bad_origin_list_stops_the_start() {
    let vars = [("FIELDWEEK_CORS_ORIGINS", "*")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let error = fieldweek::config::Config::from_vars(&vars).unwrap_err();
    assert!(
        error.to_string().contains("FIELDWEEK_CORS_ORIGINS"),
        "{error}"
    );
}

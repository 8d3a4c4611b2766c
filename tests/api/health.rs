use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn readyz_is_ready_once_migrated() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readyz_is_unavailable_while_a_migration_is_pending() {
    use diesel::prelude::*;
    let app = spawn_app().await;
    let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
    // Forget the newest migration: the schema is now "behind" the binary.
    diesel::sql_query(
        "DELETE FROM __diesel_schema_migrations WHERE version = \
         (SELECT MAX(version) FROM __diesel_schema_migrations)",
    )
    .execute(&mut *conn)
    .unwrap();
    let body = assert_problem(app.get("/readyz").await, 503, "service_unavailable").await;
    assert!(body["detail"].as_str().unwrap().contains("migrations"));
}

/// PostgreSQL only: an embedded SQLite file cannot stop answering while the process runs.
#[tokio::test]
async fn readyz_is_unavailable_when_postgres_is_gone() {
    if crate::helpers::engine() != "postgres" {
        return;
    }
    let app = spawn_app().await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.drop_postgres_database();
    assert_problem(app.get("/readyz").await, 503, "service_unavailable").await;
    // Liveness is independent of the database.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn request_id_is_echoed_or_generated() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "phone-42.sync-7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "phone-42.sync-7");

    let response = app.get("/healthz").await;
    let generated = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");

    // A header that could inject into logs is replaced, not echoed.
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(response.headers()["x-request-id"], "bad id with spaces");
}

#[tokio::test]
async fn security_headers_are_on_every_answer() {
    let app = spawn_app().await;
    for path in [
        "/healthz",
        "/api/v1/areas",
        "/api/v1/openapi.json",
        "/no/such/route",
    ] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
        assert_eq!(response.headers()["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for code in ["50", "10", "9999"] {
        app.get_as(&admin, &format!("/api/v1/areas/{code}")).await;
    }
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    let line = |status: &str| {
        format!(
            "fieldweek_http_requests_total{{method=\"GET\",route=\"/api/v1/areas/{{code}}\",status=\"{status}\"}}"
        )
    };
    assert!(text.contains(&format!("{} 2", line("200"))), "{text}");
    assert!(text.contains(&format!("{} 1", line("404"))), "{text}");
    assert!(text.contains("fieldweek_http_request_duration_seconds_bucket"));
    // Raw paths never become labels.
    assert!(!text.contains("/api/v1/areas/9999"));
}

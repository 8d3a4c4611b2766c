use reqwest::Method;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn unknown_routes_answer_404_problem() {
    let app = spawn_app().await;
    for path in [
        "/nope",
        "/api/v1/nope",
        "/api/v2/areas",
        "/api/v1/areas/50/extra",
    ] {
        let body = assert_problem(app.get(path).await, 404, "not_found").await;
        assert_eq!(body["type"], "urn:fieldweek:problem:not_found");
    }
}

#[tokio::test]
async fn a_wrong_method_on_a_known_path_answers_405_with_allow() {
    let app = spawn_app().await;
    let grievance = "/api/v1/grievances/0b5c3f0e-8a41-4c8e-9d55-3f2a1c7e9b10";
    for (method, path, allow) in [
        (Method::DELETE, "/api/v1/visits", "GET, POST"),
        (Method::PATCH, grievance, "GET"),
        (Method::PUT, "/api/v1/grievances", "GET, POST"),
        (Method::DELETE, "/api/v1/areas/50", "GET"),
        (Method::GET, "/api/v1/auth/login", "POST"),
        (Method::POST, "/api/v1/users/u-1", "GET, PATCH"),
        (Method::DELETE, "/healthz", "GET"),
    ] {
        // No token: the path's methods are no secret (the spec lists them).
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        let allowed = response
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(allowed.as_deref(), Some(allow), "{method} {path}");
        assert_problem(response, 405, "method_not_allowed").await;
    }
    // A path nothing takes stays a 404, whatever the method.
    let response = app
        .client
        .delete(app.url("/api/v1/nope"))
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("allow").is_none());
    assert_problem(response, 404, "not_found").await;
}

#[tokio::test]
async fn a_query_value_of_the_wrong_type_is_a_422_naming_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let response = app
        .as_user(
            &admin,
            Method::GET,
            "/api/v1/areas/locate?lat=north&lon=east",
        )
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, 422, "validation_failed").await;
    let errors: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [("lat", "wrong_type"), ("lon", "wrong_type")]);
    let response = app
        .as_user(&admin, Method::GET, "/api/v1/areas/locate?lat=18.79")
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "lon");
    assert_eq!(body["errors"][0]["code"], "required");
}

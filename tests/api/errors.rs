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
async fn a_wrong_method_answers_a_problem() {
    let app = spawn_app().await;
    let response = app
        .client
        .delete(app.url("/api/v1/areas/50"))
        .send()
        .await
        .unwrap();
    // Routes are matched by method and path together, so an unsupported method finds none.
    assert_problem(response, 404, "not_found").await;
}

#[tokio::test]
async fn a_bad_query_string_answers_400_problem() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let response = app
        .as_user(
            &admin,
            reqwest::Method::GET,
            "/api/v1/areas/locate?lat=north&lon=east",
        )
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, 400, "malformed_request").await;
    assert!(!body["detail"].as_str().unwrap().is_empty());
}

use serde_json::Value;

use crate::helpers::spawn_app;

/// The committed `api-spec/openapi.yaml` is the contract the phone app codes against; the
/// running server must serve exactly it. Regenerate with `cargo run -- openapi > api-spec/openapi.yaml`.
#[tokio::test]
async fn served_spec_matches_the_committed_one() {
    let app = spawn_app().await;
    let (status, served) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);

    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/api-spec/openapi.yaml");
    let committed: Value =
        serde_norway::from_str(&std::fs::read_to_string(committed_path).unwrap()).unwrap();
    assert!(
        served == committed,
        "api-spec/openapi.yaml differs from what the server serves; \
         run `cargo run -- openapi > api-spec/openapi.yaml` and review the diff"
    );
}

#[tokio::test]
async fn spec_documents_every_path_of_the_contract_so_far() {
    let app = spawn_app().await;
    let (_, spec) = app.get_json("/api/v1/openapi.json").await;
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/areas",
        "/api/v1/areas/{code}",
        "/api/v1/areas/locate",
    ] {
        assert!(spec["paths"][path]["get"].is_object(), "{path} missing");
    }
    assert!(spec["components"]["schemas"]["Problem"].is_object());
    // Two types sharing a schema name would silently replace each other.
    let schemas = &spec["components"]["schemas"];
    assert_eq!(
        schemas["HealthStatus"]["properties"]["status"]["type"],
        "string"
    );
    assert!(schemas["Status"]["enum"]
        .as_array()
        .unwrap()
        .contains(&"submitted".into()));
    assert!(schemas["User"]["properties"]["username"].is_object());
    assert!(schemas["Visit"]["properties"]["review_status"].is_object());
    assert!(schemas["Grievance"]["properties"]["possible_duplicates"].is_object());
}

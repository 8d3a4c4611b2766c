use serde_json::{json, Value};

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

/// Raw bodies are bytes to a client generator (`type: string, format: binary`), never a list
/// of numbers; CSV stays text.
#[tokio::test]
async fn binary_bodies_are_documented_as_binary() {
    let app = spawn_app().await;
    let (_, spec) = app.get_json("/api/v1/openapi.json").await;
    let binary = json!({"type": "string", "format": "binary"});
    let upload = &spec["paths"]["/api/v1/visits/{id}/photos"]["post"]["requestBody"]["content"];
    let download = &spec["paths"]["/api/v1/visits/{id}/photos/{photo_id}"]["get"]["responses"]
        ["200"]["content"];
    for image in ["image/jpeg", "image/png", "image/webp"] {
        assert_eq!(upload[image]["schema"], binary, "upload {image}");
        assert_eq!(download[image]["schema"], binary, "download {image}");
    }
    let export =
        &spec["paths"]["/api/v1/reports/weekly/export"]["get"]["responses"]["200"]["content"];
    assert_eq!(
        export["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]["schema"],
        binary
    );
    assert_eq!(export["text/csv"]["schema"], json!({"type": "string"}));
}

/// Generators make one model per schema: a page's items name the record's own schema
/// instead of an inline copy, and an operation without a token says so with `security: []`.
#[tokio::test]
async fn spec_shapes_generators_rely_on() {
    let app = spawn_app().await;
    let (_, spec) = app.get_json("/api/v1/openapi.json").await;
    for (page, item) in [
        ("Page_Visit", "Visit"),
        ("Page_Grievance", "Grievance"),
        ("Page_User", "User"),
    ] {
        assert_eq!(
            spec["components"]["schemas"][page]["properties"]["items"]["items"],
            json!({"$ref": format!("#/components/schemas/{item}")}),
            "{page}"
        );
    }
    for path in ["/api/v1/auth/login", "/api/v1/auth/refresh"] {
        assert_eq!(spec["paths"][path]["post"]["security"], json!([]), "{path}");
    }
    assert_eq!(
        spec["paths"]["/api/v1/me"]["get"]["security"],
        json!([{"bearer": []}])
    );
}

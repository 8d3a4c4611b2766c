use chrono::{DateTime, Duration, FixedOffset, Utc};
use fieldweek::domain::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestUser};

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

/// The request examples tell one story (an account, its login, a visit, a batch, a
/// grievance heard on that visit, a comment, its workflow); the server accepts each as
/// written, but for the times, moved to just before now so the backfill window holds them.
#[tokio::test]
async fn request_examples_are_accepted_by_the_server() {
    let app = spawn_app().await;
    let (_, spec) = app.get_json("/api/v1/openapi.json").await;
    let body = |path: &str| {
        let example = &spec["paths"][path]["post"]["requestBody"]["content"]["application/json"];
        assert!(example.is_object(), "{path} has no JSON body");
        example.clone()
    };
    let mut examples = vec![
        body("/api/v1/users")["example"].clone(),
        body("/api/v1/auth/login")["example"].clone(),
        body("/api/v1/visits")["example"].clone(),
        body("/api/v1/visits/batch")["example"].clone(),
        body("/api/v1/grievances")["example"].clone(),
        body("/api/v1/grievances/{id}/comments")["example"].clone(),
    ];
    let transitions = body("/api/v1/grievances/{id}/transitions")["examples"].clone();
    for example in &examples {
        assert!(example.is_object(), "{examples:#?}");
    }
    let mut times = Vec::new();
    for example in &mut examples {
        collect_times(example, &mut times);
    }
    let latest = times.iter().max().expect("examples with times");
    let shift = (Utc::now() - Duration::hours(1)) - latest.with_timezone(&Utc);
    for example in &mut examples {
        shift_times(example, shift);
    }
    let [user, login, visit, batch, grievance, comment] = examples.try_into().unwrap();

    let admin = app.admin().await;
    let response = app
        .send_as(&admin, Method::POST, "/api/v1/users", &user)
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "the login example logs in the account created"
    );
    let tokens: Value = response.json().await.unwrap();
    let volunteer = TestUser {
        id: tokens["user"]["id"].as_str().unwrap().into(),
        password: login["password"].as_str().unwrap().into(),
        token: tokens["access_token"].as_str().unwrap().into(),
        refresh_token: tokens["refresh_token"].as_str().unwrap().into(),
    };

    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/visits", &visit)
        .await;
    assert_eq!(response.status(), 201);
    let filed: Value = response.json().await.unwrap();
    // The declared subdistrict is the point's own: no area_mismatch.
    assert_eq!(filed["area_code"], visit["area_code"]);
    assert_eq!(filed["flags"], json!([]), "{filed}");

    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/visits/batch", &batch)
        .await;
    assert_eq!(response.status(), 200);
    let outcome: Value = response.json().await.unwrap();
    let statuses: Vec<_> = outcome["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    // Its first visit is the one filed above, sent again.
    assert_eq!(statuses, [json!(200), json!(201)], "{outcome}");

    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/grievances", &grievance)
        .await;
    assert_eq!(response.status(), 201);
    let filed: Value = response.json().await.unwrap();
    assert_eq!(filed["visit_id"], visit["id"]);
    let id = filed["id"].as_str().unwrap().to_owned();

    let response = app
        .send_as(
            &volunteer,
            Method::POST,
            &format!("/api/v1/grievances/{id}/comments"),
            &comment,
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

    let supervisor = app.user("supervisor.cm", Role::Supervisor, "50").await;
    let official = app.user("official.cm", Role::Official, "5001").await;
    for (name, status) in [
        ("accept", "accepted"),
        ("assign", "assigned"),
        ("refer", "referred"),
    ] {
        let mut transition = transitions[name]["value"].clone();
        assert!(transition.is_object(), "no {name} example");
        if transition.get("assignee_id").is_some() {
            // The example's assignee is someone else's official.
            transition["assignee_id"] = json!(official.id);
        }
        let response = app
            .send_as(
                &supervisor,
                Method::POST,
                &format!("/api/v1/grievances/{id}/transitions"),
                &transition,
            )
            .await;
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["status"], status, "{name}: {answer}");
    }
}

const TIME_FIELDS: [&str; 2] = ["visited_at", "reported_at"];

fn collect_times(value: &Value, times: &mut Vec<DateTime<FixedOffset>>) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields {
                match field.as_str() {
                    Some(time) if TIME_FIELDS.contains(&name.as_str()) => {
                        times.push(DateTime::parse_from_rfc3339(time).unwrap())
                    }
                    _ => collect_times(field, times),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_times(item, times)),
        _ => {}
    }
}

fn shift_times(value: &mut Value, shift: Duration) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                match field.as_str() {
                    Some(time) if TIME_FIELDS.contains(&name.as_str()) => {
                        let moved = DateTime::parse_from_rfc3339(time).unwrap() + shift;
                        *field = json!(moved.to_rfc3339());
                    }
                    _ => shift_times(field, shift),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| shift_times(item, shift)),
        _ => {}
    }
}

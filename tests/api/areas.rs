use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn provinces_are_listed_without_a_parent() {
    let app = spawn_app().await;
    let user = app.admin().await;
    let (status, body) = app.get_as(&user, "/api/v1/areas").await;
    assert_eq!(status, 200);
    let provinces = body.as_array().unwrap();
    assert_eq!(provinces.len(), 77);
    let bangkok = &provinces[0];
    assert_eq!(bangkok["code"], "10");
    assert_eq!(bangkok["level"], "province");
    assert_eq!(bangkok["name_th"], "กรุงเทพมหานคร");
    assert_eq!(bangkok["name_en"], "Bangkok");
    assert!(provinces.iter().all(|p| p["level"] == "province"));
}

#[tokio::test]
async fn children_follow_the_code_hierarchy() {
    let app = spawn_app().await;
    let user = app.admin().await;
    let (status, districts) = app.get_as(&user, "/api/v1/areas?parent=50").await;
    assert_eq!(status, 200);
    let districts = districts.as_array().unwrap();
    assert!(districts.len() > 20, "Chiang Mai has 25 districts");
    assert!(districts
        .iter()
        .all(|d| d["level"] == "district" && d["parent_code"] == "50"));

    let (_, subdistricts) = app.get_as(&user, "/api/v1/areas?parent=5001").await;
    let subdistricts = subdistricts.as_array().unwrap();
    assert!(!subdistricts.is_empty());
    assert!(subdistricts
        .iter()
        .all(|s| s["level"] == "subdistrict" && s["code"].as_str().unwrap().starts_with("5001")));

    let (_, leaves) = app.get_as(&user, "/api/v1/areas?parent=500101").await;
    assert_eq!(leaves, Value::Array(vec![]));

    assert_problem(
        app.as_user(&user, Method::GET, "/api/v1/areas?parent=99")
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn one_area_by_code() {
    let app = spawn_app().await;
    let user = app.admin().await;
    let (status, area) = app.get_as(&user, "/api/v1/areas/500101").await;
    assert_eq!(status, 200);
    assert_eq!(area["level"], "subdistrict");
    assert_eq!(area["parent_code"], "5001");
    assert_eq!(area["name_en"], "Si Phum");

    let (_, country) = app.get_as(&user, "/api/v1/areas/TH").await;
    assert_eq!(country["level"], "country");

    for missing in ["99", "1234567", "abc", "%20"] {
        let response = app
            .as_user(&user, Method::GET, &format!("/api/v1/areas/{missing}"))
            .send()
            .await
            .unwrap();
        assert_problem(response, 404, "not_found").await;
    }
}

#[tokio::test]
async fn locate_finds_subdistrict_district_and_province() {
    let app = spawn_app().await;
    let user = app.admin().await;
    // Chiang Mai University, inside Suthep (500108): the case.
    let (status, body) = app
        .get_as(&user, "/api/v1/areas/locate?lat=18.8035&lon=98.9530")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["method"], "polygon");
    assert_eq!(body["subdistrict"]["code"], "500108");
    assert_eq!(body["subdistrict"]["name_en"], "Suthep");
    assert_eq!(body["district"]["code"], "5001");
    assert_eq!(body["province"]["code"], "50");
    assert_eq!(body["distance_m"], 0.0);
    assert_eq!(body["also_possible"], json!([]));
}

#[tokio::test]
async fn locate_in_bangkok_finds_the_khwaeng() {
    let app = spawn_app().await;
    let user = app.admin().await;
    // The Grand Palace.
    let (status, body) = app
        .get_as(&user, "/api/v1/areas/locate?lat=13.75&lon=100.4913")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["subdistrict"]["code"], "100101");
    assert_eq!(body["method"], "polygon");
}

#[tokio::test]
async fn boundaries_are_geojson_and_cacheable() {
    let app = spawn_app().await;
    let user = app.admin().await;
    let response = app
        .as_user(&user, Method::GET, "/api/v1/areas/500108/boundary")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/geo+json");
    assert!(headers["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let feature: Value = response.json().await.unwrap();
    assert_eq!(feature["type"], "Feature");
    assert_eq!(feature["properties"]["code"], "500108");
    assert_eq!(feature["geometry"]["type"], "MultiPolygon");

    // The client's copy is current: 304, no body, the same tag.
    for tag in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"other\", {etag}"),
    ] {
        let response = app
            .as_user(&user, Method::GET, "/api/v1/areas/500108/boundary")
            .header("If-None-Match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 304);
        assert_eq!(response.headers()["etag"].to_str().unwrap(), etag);
        assert!(response.bytes().await.unwrap().is_empty());
    }
    // Another area's tag does not match.
    let response = app
        .as_user(&user, Method::GET, "/api/v1/areas/5001/boundary")
        .header("If-None-Match", etag.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let district: Value = response.json().await.unwrap();
    assert_eq!(district["properties"]["level"], "district");

    // A khwaeng without its own polygon is drawn with the one it was split from.
    let (status, split) = app.get_as(&user, "/api/v1/areas/102602/boundary").await;
    assert_eq!(status, 200);
    assert_eq!(split["properties"]["polygon_of"], "102601");

    for missing in ["99", "TH", "abc"] {
        let response = app
            .as_user(
                &user,
                Method::GET,
                &format!("/api/v1/areas/{missing}/boundary"),
            )
            .send()
            .await
            .unwrap();
        assert_problem(response, 404, "not_found").await;
    }
    let anonymous = app.get("/api/v1/areas/50/boundary").await;
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn locate_refuses_points_outside_thailand() {
    let app = spawn_app().await;
    let user = app.admin().await;
    // Vientiane (Laos), Phnom Penh, Kuala Lumpur, the open sea.
    for (lat, lon) in [
        (17.9757, 102.6331),
        (11.5564, 104.9282),
        (3.139, 101.6869),
        (0.0, 0.0),
    ] {
        let response = app
            .as_user(
                &user,
                Method::GET,
                &format!("/api/v1/areas/locate?lat={lat}&lon={lon}"),
            )
            .send()
            .await
            .unwrap();
        let body = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "lat", "{body}");
    }
}

#[tokio::test]
async fn locate_rejects_bad_coordinates_with_the_field_named() {
    let app = spawn_app().await;
    let user = app.admin().await;
    let response = app
        .as_user(&user, Method::GET, "/api/v1/areas/locate?lat=95&lon=100")
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "lat");

    for query in ["lat=abc&lon=100", "lat=13", "", "lat=NaN&lon=100"] {
        let response = app
            .as_user(&user, Method::GET, &format!("/api/v1/areas/locate?{query}"))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(status == 400 || status == 422, "{query}: {status}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["code"] == "malformed_request" || body["code"] == "validation_failed",
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn areas_need_a_token() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/areas",
        "/api/v1/areas/50",
        "/api/v1/areas/locate?lat=18.8&lon=99",
    ] {
        assert_problem(app.get(path).await, 401, "unauthenticated").await;
    }
}

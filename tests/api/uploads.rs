//! Photos that arrive whole on a bad network: resumable uploads over tus 1.0.0, photos
//! on grievances, how many photos a record still waits for, and what a photo's EXIF says
//! about its record.

use std::time::Duration as StdDuration;

use base64::Engine;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use fieldweek::domain::Role;
use reqwest::{Method, Response};
use serde_json::{json, Value};
use sha2::Digest;

use crate::grievances::grievance;
use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp, TestUser};
use crate::visits::{file_ok, visit};

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Bytes that start like a JPEG: the server judges the type by the first bytes.
pub fn jpeg(seed: u8, len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..len).map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed)));
    bytes
}

pub fn metadata(record: &str, content_type: &str) -> String {
    format!(
        "record {},content_type {},filename {}",
        b64(record),
        b64(content_type),
        b64("IMG_0001.jpg")
    )
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

/// `POST /uploads` with tus headers; `body` makes it a creation-with-upload.
async fn create(
    app: &TestApp,
    user: &TestUser,
    record: &str,
    length: usize,
    body: Option<Vec<u8>>,
) -> Response {
    let mut request = app
        .as_user(user, Method::POST, "/api/v1/uploads")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
        .header("Upload-Metadata", metadata(record, "image/jpeg"));
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/offset+octet-stream")
            .body(body);
    }
    request.send().await.unwrap()
}

/// Creates an upload and returns its path.
async fn create_ok(app: &TestApp, user: &TestUser, record: &str, length: usize) -> String {
    let response = create(app, user, record, length, None).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    header(&response, "location").to_owned()
}

async fn patch(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    offset: usize,
    bytes: Vec<u8>,
    checksum: Option<String>,
) -> Response {
    let mut request = app
        .as_user(user, Method::PATCH, path)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes);
    if let Some(checksum) = checksum {
        request = request.header("Upload-Checksum", checksum);
    }
    request.send().await.unwrap()
}

async fn head(app: &TestApp, user: &TestUser, path: &str) -> Response {
    app.as_user(user, Method::HEAD, path)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap()
}

async fn offset_of(app: &TestApp, user: &TestUser, path: &str) -> usize {
    let response = head(app, user, path).await;
    assert_eq!(response.status(), 200);
    header(&response, "upload-offset").parse().unwrap()
}

fn sha256_b64(bytes: &[u8]) -> String {
    format!("sha256 {}", b64(sha2::Sha256::digest(bytes)))
}

async fn new_visit(app: &TestApp, user: &TestUser, body: Value) -> String {
    file_ok(app, user, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn upload_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir.path().join("photos/uploads"))
        .unwrap()
        .count()
}

#[tokio::test]
async fn options_advertise_tus_without_a_token() {
    let app = spawn_app().await;
    let response = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/uploads"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(header(&response, "tus-version"), "1.0.0");
    assert_eq!(header(&response, "tus-resumable"), "1.0.0");
    assert_eq!(header(&response, "tus-max-size"), "10485760");
    assert_eq!(header(&response, "tus-checksum-algorithm"), "sha1,sha256");
    let extensions: Vec<&str> = header(&response, "tus-extension").split(',').collect();
    for extension in [
        "creation",
        "creation-with-upload",
        "expiration",
        "termination",
        "checksum",
    ] {
        assert!(extensions.contains(&extension), "{extension}");
    }
}

#[tokio::test]
async fn a_photo_sent_in_pieces_arrives_whole_once() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let visit_id = new_visit(&app, &volunteer, visit(&new_id())).await;
    let record = format!("visit:{visit_id}");
    let bytes = jpeg(1, 300_000);

    let response = create(&app, &volunteer, &record, bytes.len(), None).await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "upload-offset"), "0");
    assert_eq!(header(&response, "tus-resumable"), "1.0.0");
    let expires = DateTime::parse_from_rfc2822(header(&response, "upload-expires")).unwrap();
    let in_a_day = Utc::now() + Duration::hours(24);
    assert!((expires.with_timezone(&Utc) - in_a_day).num_minutes().abs() <= 5);
    let path = header(&response, "location").to_owned();
    assert!(path.starts_with("/api/v1/uploads/"), "{path}");
    let status = head(&app, &volunteer, &path).await;
    assert_eq!(header(&status, "upload-length"), bytes.len().to_string());
    assert_eq!(header(&status, "upload-offset"), "0");
    assert_eq!(header(&status, "cache-control"), "no-store");
    assert!(header(&status, "upload-metadata").contains(&b64(&record)));

    // A first piece with its checksum.
    let first = bytes[..100_000].to_vec();
    let response = patch(
        &app,
        &volunteer,
        &path,
        0,
        first.clone(),
        Some(sha256_b64(&first)),
    )
    .await;
    assert_eq!(response.status(), 204);
    assert_eq!(header(&response, "upload-offset"), "100000");
    assert_eq!(offset_of(&app, &volunteer, &path).await, 100_000);

    // The wrong offset: 409, nothing written.
    assert_problem(
        patch(
            &app,
            &volunteer,
            &path,
            50_000,
            bytes[50_000..60_000].to_vec(),
            None,
        )
        .await,
        409,
        "offset_mismatch",
    )
    .await;
    // Bytes that fail their checksum (sha1 here): 460, the chunk discarded.
    let second = bytes[100_000..200_000].to_vec();
    let wrong = format!("sha1 {}", b64(sha1::Sha1::digest(b"other bytes")));
    assert_problem(
        patch(
            &app,
            &volunteer,
            &path,
            100_000,
            second.clone(),
            Some(wrong),
        )
        .await,
        460,
        "checksum_mismatch",
    )
    .await;
    assert_eq!(offset_of(&app, &volunteer, &path).await, 100_000);
    let right = format!("sha1 {}", b64(sha1::Sha1::digest(&second)));
    let response = patch(&app, &volunteer, &path, 100_000, second, Some(right)).await;
    assert_eq!(response.status(), 204);
    assert!(response.headers().get("fieldweek-photo").is_none());

    // The last piece makes it the visit's photo.
    let response = patch(
        &app,
        &volunteer,
        &path,
        200_000,
        bytes[200_000..].to_vec(),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    assert_eq!(header(&response, "upload-offset"), bytes.len().to_string());
    assert_eq!(header(&response, "fieldweek-photo-status"), "201");
    let photo_path = header(&response, "fieldweek-photo").to_owned();
    assert!(photo_path.starts_with(&format!("/api/v1/visits/{visit_id}/photos/")));
    let served = app
        .as_user(&volunteer, Method::GET, &photo_path)
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().to_vec(), bytes);
    // A client that lost that answer asks again and learns it is done.
    let status = head(&app, &volunteer, &path).await;
    assert_eq!(header(&status, "upload-offset"), bytes.len().to_string());
    assert_eq!(header(&status, "fieldweek-photo"), photo_path);

    let (_, stored) = app
        .get_as(&volunteer, &format!("/api/v1/visits/{visit_id}"))
        .await;
    assert_eq!(stored["photos_received"], 1);
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    assert_eq!(stored["photos"][0]["sha256"], sha.as_str());
    assert_eq!(stored["photos"][0]["bytes"], bytes.len());

    // The same bytes again, whole in the creation request: the photo already held.
    let response = create(&app, &volunteer, &record, bytes.len(), Some(bytes.clone())).await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "upload-offset"), bytes.len().to_string());
    assert_eq!(header(&response, "fieldweek-photo-status"), "200");
    assert_eq!(header(&response, "fieldweek-photo"), photo_path);
    // And by the one-shot POST.
    let again = app
        .as_user(
            &volunteer,
            Method::POST,
            &format!("/api/v1/visits/{visit_id}/photos"),
        )
        .header("Content-Type", "image/jpeg")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert!(photo_path.ends_with(again["id"].as_str().unwrap()));
    let (_, stored) = app
        .get_as(&volunteer, &format!("/api/v1/visits/{visit_id}"))
        .await;
    assert_eq!(stored["photos"].as_array().unwrap().len(), 1);
    assert_eq!(stored["photos_received"], 1);
    let audits = app.audit_entries("photo.added");
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0].1.as_deref(), Some(visit_id.as_str()));
    assert_eq!(audits[0].2["via"], "upload");
    assert_eq!(
        upload_files(&app),
        0,
        "finished uploads keep no bytes of their own"
    );
}

#[tokio::test]
async fn bytes_received_before_a_dropped_connection_are_kept() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let visit_id = new_visit(&app, &volunteer, visit(&new_id())).await;
    let bytes = jpeg(7, 400_000);
    let path = create_ok(&app, &volunteer, &format!("visit:{visit_id}"), bytes.len()).await;

    // 150,000 bytes, a pause, then the connection breaks mid-body.
    let sent = bytes[..150_000].to_vec();
    let stream = futures_util::stream::unfold(0, move |step| {
        let sent = sent.clone();
        async move {
            match step {
                0 => Some((Ok::<Vec<u8>, std::io::Error>(sent), 1)),
                1 => {
                    tokio::time::sleep(StdDuration::from_millis(500)).await;
                    Some((Err(std::io::Error::other("the network dropped")), 2))
                }
                _ => None,
            }
        }
    });
    let broken = app
        .as_user(&volunteer, Method::PATCH, &path)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await;
    assert!(broken.is_err(), "the body never finished");

    // The server learns of the drop on its own time: wait (generously) for the offset.
    let mut offset = 0;
    for _ in 0..300 {
        offset = offset_of(&app, &volunteer, &path).await;
        if offset > 0 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(offset, 150_000, "what came before the drop is kept");

    // A new client resumes from the stored offset.
    let response = patch(
        &app,
        &volunteer,
        &path,
        offset,
        bytes[offset..].to_vec(),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    let photo_path = header(&response, "fieldweek-photo").to_owned();
    let served = app
        .as_user(&volunteer, Method::GET, &photo_path)
        .send()
        .await
        .unwrap();
    let served = served.bytes().await.unwrap().to_vec();
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&served)),
        hex::encode(sha2::Sha256::digest(&bytes))
    );
}

#[tokio::test]
async fn limits_and_scoping_hold_at_creation() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let other = app.user("vol2", Role::Volunteer, "50").await;
    let official = app.user("off", Role::Official, "50").await;
    let visit_id = new_visit(&app, &volunteer, visit(&new_id())).await;
    let record = format!("visit:{visit_id}");

    // No Tus-Resumable, or another version: 412 with the version spoken.
    let response = app
        .as_user(&volunteer, Method::POST, "/api/v1/uploads")
        .header("Tus-Resumable", "0.2.2")
        .header("Upload-Length", "100")
        .header("Upload-Metadata", metadata(&record, "image/jpeg"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "tus-version"), "1.0.0");
    assert_eq!(
        header(&response, "tus-resumable"),
        "1.0.0",
        "refusals name it too"
    );
    assert_problem(response, 412, "tus_version_unsupported").await;
    // No Upload-Length.
    let response = app
        .as_user(&volunteer, Method::POST, "/api/v1/uploads")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Metadata", metadata(&record, "image/jpeg"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 400, "malformed_request").await;
    // Larger than a photo may be.
    assert_problem(
        create(&app, &volunteer, &record, 10 * 1024 * 1024 + 1, None).await,
        413,
        "payload_too_large",
    )
    .await;
    // Not an image type taken.
    let response = app
        .as_user(&volunteer, Method::POST, "/api/v1/uploads")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "100")
        .header("Upload-Metadata", metadata(&record, "image/gif"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 415, "unsupported_media_type").await;
    // Metadata without the record or the type, in Thai.
    let response = app
        .as_user(&volunteer, Method::POST, "/api/v1/uploads")
        .header("Tus-Resumable", "1.0.0")
        .header("Accept-Language", "th")
        .header("Upload-Length", "100")
        .header("Upload-Metadata", format!("filename {}", b64("a.jpg")))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 422, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["Upload-Metadata.record", "Upload-Metadata.content_type"]
    );
    assert_eq!(problem["errors"][0]["message"], "ต้องระบุ");
    // A record someone else cannot see, one they see but may not add to, one that
    // does not exist.
    assert_problem(
        create(&app, &other, &record, 100, None).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        create(&app, &official, &record, 100, None).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        create(&app, &volunteer, &format!("visit:{}", new_id()), 100, None).await,
        404,
        "not_found",
    )
    .await;

    // A visit holding 10 photos takes no eleventh upload.
    for seed in 0..10 {
        let response = app
            .as_user(
                &volunteer,
                Method::POST,
                &format!("/api/v1/visits/{visit_id}/photos"),
            )
            .header("Content-Type", "image/jpeg")
            .body(jpeg(seed, 500))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let problem = assert_problem(
        create(&app, &volunteer, &record, 100, None).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "photos");
    assert_eq!(problem["errors"][0]["code"], "too_many");
    assert_eq!(upload_files(&app), 0, "refused creations leave no file");
}

#[tokio::test]
async fn an_upload_is_its_creators_alone_and_ends_on_delete() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let visit_id = new_visit(&app, &volunteer, visit(&new_id())).await;
    let bytes = jpeg(3, 20_000);
    let path = create_ok(&app, &volunteer, &format!("visit:{visit_id}"), bytes.len()).await;
    assert_eq!(
        patch(&app, &volunteer, &path, 0, bytes[..5_000].to_vec(), None)
            .await
            .status(),
        204
    );

    // Another account, however senior, finds no such upload.
    assert_eq!(head(&app, &supervisor, &path).await.status(), 404);
    assert_problem(
        patch(
            &app,
            &supervisor,
            &path,
            5_000,
            bytes[5_000..].to_vec(),
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let response = app
        .as_user(&supervisor, Method::DELETE, &path)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
    assert_eq!(offset_of(&app, &volunteer, &path).await, 5_000);
    // Past the declared length: 413, and the chunk is discarded.
    let mut too_long = bytes[5_000..].to_vec();
    too_long.extend([0; 10]);
    assert_problem(
        patch(&app, &volunteer, &path, 5_000, too_long, None).await,
        413,
        "payload_too_large",
    )
    .await;
    assert_eq!(offset_of(&app, &volunteer, &path).await, 5_000);
    // PATCH must say what it sends.
    let response = app
        .as_user(&volunteer, Method::PATCH, &path)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "5000")
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(response, 415, "unsupported_media_type").await;

    assert_eq!(upload_files(&app), 1);
    // A half photo of a citizen's home is the server's user's alone.
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = app.data_dir.path().join("photos/uploads");
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let folder = std::fs::read_dir(&dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        assert_eq!(mode(&folder), 0o700);
        let part = std::fs::read_dir(&folder)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        assert_eq!(mode(&part), 0o600);
    }
    let response = app
        .as_user(&volunteer, Method::DELETE, &path)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(header(&response, "tus-resumable"), "1.0.0");
    assert_eq!(head(&app, &volunteer, &path).await.status(), 404);
    assert_eq!(upload_files(&app), 0, "its bytes are gone");
}

#[tokio::test]
async fn unfinished_uploads_expire_and_are_swept_with_their_bytes() {
    let app = spawn_app_with(|config| config.upload_expiry_seconds = 1).await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let visit_id = new_visit(&app, &volunteer, visit(&new_id())).await;
    let bytes = jpeg(4, 10_000);
    let response = create(
        &app,
        &volunteer,
        &format!("visit:{visit_id}"),
        bytes.len(),
        Some(bytes[..2_000].to_vec()),
    )
    .await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "upload-offset"), "2000");
    let path = header(&response, "location").to_owned();
    assert_eq!(upload_files(&app), 1);

    tokio::time::sleep(StdDuration::from_millis(2_500)).await;
    assert_eq!(head(&app, &volunteer, &path).await.status(), 410);
    assert_problem(
        patch(
            &app,
            &volunteer,
            &path,
            2_000,
            bytes[2_000..].to_vec(),
            None,
        )
        .await,
        410,
        "upload_expired",
    )
    .await;

    let db = app.services.db.clone();
    let swept = fieldweek::photos::sweep::sweep_expired_uploads(&db, &app.services.photos)
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert_eq!(upload_files(&app), 0);
    assert_eq!(head(&app, &volunteer, &path).await.status(), 404);
}

#[tokio::test]
async fn grievances_take_photos_by_the_rules_of_visits() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let other = app.user("vol2", Role::Volunteer, "50").await;
    let official = app.user("off", Role::Official, "50").await;
    let mut body = grievance(&new_id());
    body["photos_expected"] = json!(2);
    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/grievances", &body)
        .await;
    assert_eq!(response.status(), 201);
    let filed: Value = response.json().await.unwrap();
    let id = filed["id"].as_str().unwrap().to_owned();
    assert_eq!(filed["photos_expected"], 2);
    assert_eq!(filed["photos_received"], 0);
    assert_eq!(filed["photos"], json!([]));

    let post = |user: &TestUser, bytes: Vec<u8>| {
        app.as_user(
            user,
            Method::POST,
            &format!("/api/v1/grievances/{id}/photos"),
        )
        .header("Content-Type", "image/jpeg")
        .body(bytes)
        .send()
    };
    let response = post(&volunteer, jpeg(1, 2_000)).await.unwrap();
    assert_eq!(response.status(), 201);
    let photo: Value = response.json().await.unwrap();
    assert_eq!(
        post(&volunteer, jpeg(1, 2_000)).await.unwrap().status(),
        200
    );
    assert_problem(post(&other, jpeg(2, 100)).await.unwrap(), 404, "not_found").await;
    assert_problem(
        post(&official, jpeg(2, 100)).await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    let photo_path = format!(
        "/api/v1/grievances/{id}/photos/{}",
        photo["id"].as_str().unwrap()
    );
    for (user, status) in [(&official, 200), (&volunteer, 200), (&other, 404)] {
        let response = app
            .as_user(user, Method::GET, &photo_path)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status);
    }

    // Still one photo short: listed as waiting, until the second arrives by tus.
    let (_, page) = app
        .get_as(&official, "/api/v1/grievances?photos_missing=true")
        .await;
    assert_eq!(page["items"][0]["id"], id.as_str());
    assert_eq!(page["items"][0]["photos_received"], 1);
    let bytes = jpeg(5, 3_000);
    let response = create(
        &app,
        &volunteer,
        &format!("grievance:{id}"),
        bytes.len(),
        Some(bytes),
    )
    .await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "fieldweek-photo-status"), "201");
    let (_, page) = app
        .get_as(&official, "/api/v1/grievances?photos_missing=true")
        .await;
    assert_eq!(page["items"], json!([]));
    let (_, page) = app
        .get_as(&official, "/api/v1/grievances?photos_missing=false")
        .await;
    assert_eq!(page["items"][0]["id"], id.as_str());
    let (_, stored) = app
        .get_as(&official, &format!("/api/v1/grievances/{id}"))
        .await;
    assert_eq!(stored["photos_received"], 2);
    assert_eq!(stored["photos"].as_array().unwrap().len(), 2);
    let audits = app.audit_entries("photo.added");
    assert_eq!(audits.len(), 2);
    assert!(audits.iter().all(|a| a.1.as_deref() == Some(id.as_str())));
}

#[tokio::test]
async fn photos_expected_are_bounded_and_missing_ones_listed() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let mut body = visit(&new_id());
    body["photos_expected"] = json!(11);
    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/visits", &body)
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "photos_expected");
    assert_eq!(problem["errors"][0]["code"], "out_of_range");
    let mut body = grievance(&new_id());
    body["photos_expected"] = json!(-1);
    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/grievances", &body)
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "photos_expected");

    let mut waiting = visit(&new_id());
    waiting["photos_expected"] = json!(1);
    let waiting = new_visit(&app, &volunteer, waiting).await;
    let complete = new_visit(&app, &volunteer, visit(&new_id())).await;
    let listed = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, page) = app
        .get_as(&supervisor, "/api/v1/visits?photos_missing=true")
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed(&page), std::slice::from_ref(&waiting));
    assert_eq!(page["items"][0]["photos_expected"], 1);
    assert_eq!(page["items"][0]["photos_received"], 0);
    let (_, page) = app
        .get_as(&supervisor, "/api/v1/visits?photos_missing=false")
        .await;
    assert_eq!(listed(&page), [complete]);
    let (status, problem) = app
        .get_as(&supervisor, "/api/v1/visits?photos_missing=maybe")
        .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "photos_missing");

    let response = app
        .as_user(
            &volunteer,
            Method::POST,
            &format!("/api/v1/visits/{waiting}/photos"),
        )
        .header("Content-Type", "image/jpeg")
        .body(jpeg(1, 100))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let (_, page) = app
        .get_as(&supervisor, "/api/v1/visits?photos_missing=true")
        .await;
    assert_eq!(page["items"], json!([]));
}

/// A JPEG whose EXIF says where and when it was taken: written with kamadak-exif's
/// writer into an APP1 segment between the start and end markers (the server reads
/// the metadata and never decodes the image).
fn exif_jpeg(point: Option<(f64, f64)>, taken: Option<(&str, Option<&str>)>) -> Vec<u8> {
    use exif::{Field, In, Rational, Tag, Value};
    let dms = |degrees: f64| {
        let degrees = degrees.abs();
        let whole = degrees.floor();
        let minutes = ((degrees - whole) * 60.0).floor();
        let seconds = ((degrees - whole) * 60.0 - minutes) * 60.0;
        Value::Rational(vec![
            Rational::from((whole as u32, 1)),
            Rational::from((minutes as u32, 1)),
            Rational::from(((seconds * 1000.0).round() as u32, 1000)),
        ])
    };
    let ascii = |text: &str| Value::Ascii(vec![text.as_bytes().to_vec()]);
    let mut fields = Vec::new();
    if let Some((lat, lon)) = point {
        let field = |tag, value| Field {
            tag,
            ifd_num: In::PRIMARY,
            value,
        };
        fields.push(field(
            Tag::GPSLatitudeRef,
            ascii(if lat < 0.0 { "S" } else { "N" }),
        ));
        fields.push(field(Tag::GPSLatitude, dms(lat)));
        fields.push(field(
            Tag::GPSLongitudeRef,
            ascii(if lon < 0.0 { "W" } else { "E" }),
        ));
        fields.push(field(Tag::GPSLongitude, dms(lon)));
    }
    if let Some((at, offset)) = taken {
        fields.push(Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: ascii(at),
        });
        if let Some(offset) = offset {
            fields.push(Field {
                tag: Tag::OffsetTimeOriginal,
                ifd_num: In::PRIMARY,
                value: ascii(offset),
            });
        }
    }
    let mut writer = exif::experimental::Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend(tiff.into_inner());
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
    jpeg.extend(((segment.len() + 2) as u16).to_be_bytes());
    jpeg.extend(segment);
    jpeg.extend([0xFF, 0xD9]);
    jpeg
}

/// A time as a Thai phone's camera writes it: local (Bangkok) time, no zone.
fn exif_time(at: DateTime<Utc>, zone: FixedOffset) -> String {
    at.with_timezone(&zone)
        .format("%Y:%m:%d %H:%M:%S")
        .to_string()
}

#[tokio::test]
async fn a_photos_exif_flags_a_record_it_does_not_match() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let visited_at = Utc::now() - Duration::hours(3);
    let mut body = visit(&new_id());
    body["visited_at"] = json!(visited_at.to_rfc3339());
    let id = new_visit(&app, &volunteer, body).await;
    let bangkok = FixedOffset::east_opt(7 * 3600).unwrap();
    let utc = FixedOffset::east_opt(0).unwrap();

    let post = |bytes: Vec<u8>| {
        app.as_user(
            &volunteer,
            Method::POST,
            &format!("/api/v1/visits/{id}/photos"),
        )
        .header("Content-Type", "image/jpeg")
        .body(bytes)
        .send()
    };
    // Taken next door, an hour later (Bangkok time without a zone): nothing to flag.
    let near_time = exif_time(visited_at + Duration::hours(1), bangkok);
    let near = exif_jpeg(Some((18.7890, 98.9860)), Some((&near_time, None)));
    let response = post(near).await.unwrap();
    assert_eq!(response.status(), 201);
    let photo: Value = response.json().await.unwrap();
    assert_eq!(photo["flags"], json!([]));
    let taken_at: DateTime<Utc> = photo["taken_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        taken_at.timestamp(),
        (visited_at + Duration::hours(1)).timestamp(),
        "EXIF time read as Bangkok's"
    );
    assert!((photo["taken_location"]["lat"].as_f64().unwrap() - 18.789).abs() < 1e-4);
    // The same instant written in UTC with its offset: still nothing to flag.
    let utc_time = exif_time(visited_at + Duration::hours(2), utc);
    let response = post(exif_jpeg(None, Some((&utc_time, Some("+00:00")))))
        .await
        .unwrap();
    let photo: Value = response.json().await.unwrap();
    assert_eq!(photo["flags"], json!([]));
    let (_, stored) = app
        .get_as(&supervisor, &format!("/api/v1/visits/{id}"))
        .await;
    assert!(!stored["flags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f.as_str().unwrap().starts_with("photo_")));
    // No EXIF at all: no flag either.
    let response = post(jpeg(9, 500)).await.unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["flags"], json!([]));

    // 5 km away and three days earlier: both flags, on the photo and on the visit.
    let late_time = exif_time(visited_at - Duration::days(3), bangkok);
    let far = exif_jpeg(Some((18.8333, 98.9853)), Some((&late_time, None)));
    let response = post(far).await.unwrap();
    assert_eq!(response.status(), 201);
    let photo: Value = response.json().await.unwrap();
    assert_eq!(
        photo["flags"],
        json!(["photo_far_from_record", "photo_time_mismatch"])
    );
    let (_, stored) = app
        .get_as(&supervisor, &format!("/api/v1/visits/{id}"))
        .await;
    let flags = stored["flags"].as_array().unwrap();
    assert!(flags.contains(&json!("photo_far_from_record")), "{flags:?}");
    assert!(flags.contains(&json!("photo_time_mismatch")), "{flags:?}");
    let (_, page) = app
        .get_as(&supervisor, "/api/v1/visits?flag=photo_far_from_record")
        .await;
    assert_eq!(page["items"][0]["id"], id.as_str());
    // The labels name the new flags in Thai and English.
    let (_, labels) = app.get_json("/api/v1/meta/labels").await;
    let label = labels["visit_flag"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "photo_time_mismatch")
        .cloned()
        .unwrap();
    assert!(label["th"].as_str().unwrap().contains("24"));

    // A grievance's photo is judged against the grievance, and flags it the same way.
    let response = app
        .send_as(
            &volunteer,
            Method::POST,
            "/api/v1/grievances",
            &grievance(&new_id()),
        )
        .await;
    assert_eq!(response.status(), 201);
    let filed: Value = response.json().await.unwrap();
    let grievance_id = filed["id"].as_str().unwrap().to_owned();
    assert_eq!(filed["flags"], json!([]));
    let now = exif_time(Utc::now(), bangkok);
    let response = app
        .as_user(
            &volunteer,
            Method::POST,
            &format!("/api/v1/grievances/{grievance_id}/photos"),
        )
        .header("Content-Type", "image/jpeg")
        .body(exif_jpeg(Some((18.8333, 98.9853)), Some((&now, None))))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let (_, stored) = app
        .get_as(&supervisor, &format!("/api/v1/grievances/{grievance_id}"))
        .await;
    assert_eq!(
        stored["flags"],
        json!(["photo_far_from_record"]),
        "{stored}"
    );
}

#[tokio::test]
async fn an_erased_grievance_loses_its_photos_and_their_bytes() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let admin = app.admin().await;
    let body = grievance(&new_id());
    let national_id = body["complainant"]["national_id"].clone();
    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/grievances", &body)
        .await;
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bytes = jpeg(8, 4_000);
    let response = app
        .as_user(
            &volunteer,
            Method::POST,
            &format!("/api/v1/grievances/{id}/photos"),
        )
        .header("Content-Type", "image/jpeg")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let photo: Value = response.json().await.unwrap();
    // A visit's photo, which the erasure does not concern.
    let visit_id = new_visit(&app, &volunteer, visit(&new_id())).await;
    let kept = jpeg(9, 4_000);
    let response = app
        .as_user(
            &volunteer,
            Method::POST,
            &format!("/api/v1/visits/{visit_id}/photos"),
        )
        .header("Content-Type", "image/jpeg")
        .body(kept.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let response = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/privacy/erasure",
            &json!({"national_id": national_id}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let photo_path = format!(
        "/api/v1/grievances/{id}/photos/{}",
        photo["id"].as_str().unwrap()
    );
    let response = app
        .as_user(&volunteer, Method::GET, &photo_path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let (_, stored) = app
        .get_as(&volunteer, &format!("/api/v1/grievances/{id}"))
        .await;
    assert_eq!(stored["photos"], json!([]));
    assert_eq!(stored["photos_received"], 0);

    let file = |bytes: &[u8]| {
        let sha = hex::encode(sha2::Sha256::digest(bytes));
        app.data_dir.path().join("photos").join(&sha[..2]).join(sha)
    };
    assert!(file(&bytes).exists());
    let db = app.services.db.clone();
    let removed = fieldweek::photos::sweep::sweep_unreferenced_photos(
        &db,
        &app.services.photos,
        StdDuration::ZERO,
    )
    .await
    .unwrap();
    assert_eq!(removed, 1);
    assert!(
        !file(&bytes).exists(),
        "the erased grievance's photo is gone from disk"
    );
    assert!(file(&kept).exists(), "a visit's photo stays");
}

#[tokio::test]
async fn a_body_longer_than_what_the_upload_lacks_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let visit_id = new_visit(&app, &volunteer, visit(&new_id())).await;
    let bytes = jpeg(7, 50_000);
    let path = create_ok(&app, &volunteer, &format!("visit:{visit_id}"), bytes.len()).await;
    let response = patch(&app, &volunteer, &path, 0, bytes[..20_000].to_vec(), None).await;
    assert_eq!(response.status(), 204);
    // 40,000 bytes where 30,000 are missing: 413, and the offset stays where it was.
    let response = patch(&app, &volunteer, &path, 20_000, jpeg(8, 40_000), None).await;
    assert_eq!(response.status(), 413);
    assert_eq!(offset_of(&app, &volunteer, &path).await, 20_000);
    let response = patch(
        &app,
        &volunteer,
        &path,
        20_000,
        bytes[20_000..].to_vec(),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    assert_eq!(offset_of(&app, &volunteer, &path).await, bytes.len());
}

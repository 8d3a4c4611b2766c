//! Photos in S3-compatible object storage that every node shares, against a real
//! S3-compatible server (moto's standalone server; `.ci/run` starts one and names it in
//! `TEST_S3_ENDPOINT`): a photo sent to one node is read from another, a resumable upload
//! begun on one node is finished on the other, and a store that stops answering is a 503
//! with `Retry-After` that loses nothing acknowledged.

use fieldweek::config::PhotoStoreTarget;
use fieldweek::domain::Role;
use reqwest::{Method, Response};
use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with, Relay, TestApp, TestUser};
use crate::nodes::start_node_with;
use crate::uploads::{jpeg, metadata};

/// The S3-compatible server to test against, or `None` (the test is skipped, unless
/// `FIELDWEEK_TEST_REQUIRE_S3` says it must run, as in CI).
fn endpoint() -> Option<String> {
    match std::env::var("TEST_S3_ENDPOINT") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().trim_end_matches('/').to_owned()),
        _ if std::env::var("FIELDWEEK_TEST_REQUIRE_S3").is_ok_and(|v| v == "1") => {
            panic!("FIELDWEEK_TEST_REQUIRE_S3=1 but TEST_S3_ENDPOINT names no server")
        }
        _ => {
            eprintln!("skipped: no S3-compatible server (see scripts/s3-server.sh)");
            None
        }
    }
}

/// A new, empty bucket of its own for one test.
async fn new_bucket(endpoint: &str) -> String {
    let bucket = format!("fieldweek-{}", uuid::Uuid::new_v4().simple());
    let response = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("the S3 server answers");
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );
    bucket
}

/// The keys in `bucket` under `prefix`.
async fn keys(endpoint: &str, bucket: &str, prefix: &str) -> Vec<String> {
    let listing = reqwest::Client::new()
        .get(format!("{endpoint}/{bucket}?list-type=2&prefix={prefix}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    listing
        .split("<Key>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_owned()))
        .collect()
}

/// The environment that points a node's photos at `bucket/prefix` on `endpoint`.
fn store_variables(endpoint: &str, bucket: &str, prefix: &str) -> Vec<(String, String)> {
    vec![
        (
            "FIELDWEEK_PHOTO_STORE".into(),
            format!("s3://{bucket}/{prefix}"),
        ),
        ("AWS_ENDPOINT".into(), endpoint.into()),
        ("AWS_ALLOW_HTTP".into(), "true".into()),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID".into(), "fieldweek-test".into()),
        (
            "AWS_SECRET_ACCESS_KEY".into(),
            "fieldweek-test-secret".into(),
        ),
    ]
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn new_visit(app: &TestApp, volunteer: &TestUser) -> String {
    let body = crate::visits::visit(&uuid::Uuid::new_v4().to_string());
    let response = app
        .send_as(volunteer, Method::POST, "/api/v1/visits", &body)
        .await;
    assert_eq!(response.status(), 201);
    body["id"].as_str().unwrap().to_owned()
}

/// Requests to one node (`base`) as `user`.
struct Phone<'a> {
    client: reqwest::Client,
    user: &'a TestUser,
}

impl Phone<'_> {
    fn request(&self, method: Method, url: String) -> reqwest::RequestBuilder {
        self.client
            .request(method, url)
            .bearer_auth(&self.user.token)
    }

    async fn post_photo(&self, base: &str, visit: &str, bytes: &[u8]) -> Response {
        self.request(Method::POST, format!("{base}/api/v1/visits/{visit}/photos"))
            .header("Content-Type", "image/jpeg")
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, base: &str, path: &str) -> Response {
        self.request(Method::GET, format!("{base}{path}"))
            .send()
            .await
            .unwrap()
    }

    /// Creates an upload of `length` bytes with its first `first` bytes; its path.
    async fn begin_upload(&self, base: &str, visit: &str, length: usize, first: &[u8]) -> String {
        let response = self
            .request(Method::POST, format!("{base}/api/v1/uploads"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length.to_string())
            .header(
                "Upload-Metadata",
                metadata(&format!("visit:{visit}"), "image/jpeg"),
            )
            .header("Content-Type", "application/offset+octet-stream")
            .body(first.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(header(&response, "upload-offset"), first.len().to_string());
        header(&response, "location").to_owned()
    }

    async fn offset(&self, base: &str, path: &str) -> Response {
        self.request(Method::HEAD, format!("{base}{path}"))
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .unwrap()
    }

    async fn send_rest(&self, base: &str, path: &str, offset: usize, rest: &[u8]) -> Response {
        self.request(Method::PATCH, format!("{base}{path}"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(rest.to_vec())
            .send()
            .await
            .unwrap()
    }
}

/// Two `fieldweek serve` processes on one database, one bucket and (on PostgreSQL, when
/// the test server has one) one read replica, as a load balancer would use them.
#[tokio::test]
async fn two_nodes_share_photos_uploads_the_sync_feed_reports_and_console_sessions() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = new_bucket(&endpoint).await;
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let mut variables = store_variables(&endpoint, &bucket, "photos");
    if let (fieldweek::config::DatabaseTarget::Postgres { url }, Ok(replica)) = (
        &app.services.config.database,
        std::env::var("TEST_READ_DATABASE_URL"),
    ) {
        let name = url.rsplit('/').next().unwrap().split('?').next().unwrap();
        variables.push((
            "DATABASE_READ_URL".into(),
            crate::helpers::database_url(&replica, name),
        ));
    }
    let start = || {
        start_node_with(&app, |command| {
            command.envs(variables.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        })
    };
    let (a, b) = (start(), start());
    let phone = Phone {
        client: reqwest::Client::new(),
        user: &volunteer,
    };
    let visit = new_visit(&app, &volunteer).await;

    // A photo sent to one node is read whole from the other, and lives in the bucket.
    let bytes = jpeg(7, 300_000);
    let response = phone.post_photo(&a.url, &visit, &bytes).await;
    assert_eq!(response.status(), 201);
    let photo: Value = response.json().await.unwrap();
    let path = format!(
        "/api/v1/visits/{visit}/photos/{}",
        photo["id"].as_str().unwrap()
    );
    let read = phone.get(&b.url, &path).await;
    assert_eq!(read.status(), 200);
    assert_eq!(read.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let sha = photo["sha256"].as_str().unwrap();
    assert_eq!(
        keys(&endpoint, &bucket, "photos/").await,
        vec![format!("photos/{}/{sha}", &sha[..2])]
    );
    // The same bytes again, through the other node: the photo already held.
    let again = phone.post_photo(&b.url, &visit, &bytes).await;
    assert_eq!(again.status(), 200);

    // A resumable upload begun on one node and finished on the other.
    let large = jpeg(9, 6 * 1024 * 1024 + 123);
    let upload = phone
        .begin_upload(&a.url, &visit, large.len(), &large[..1_000_000])
        .await;
    let asked = phone.offset(&b.url, &upload).await;
    assert_eq!(asked.status(), 200);
    assert_eq!(header(&asked, "upload-offset"), "1000000");
    assert_eq!(
        keys(&endpoint, &bucket, "photos/uploads/").await.len(),
        1,
        "the first part is in the bucket, where any node finds it"
    );
    let done = phone
        .send_rest(&b.url, &upload, 1_000_000, &large[1_000_000..])
        .await;
    assert_eq!(done.status(), 204, "{:?}", done.text().await);
    let (_, stored) = app
        .get_as(&volunteer, &format!("/api/v1/visits/{visit}"))
        .await;
    let photos = stored["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 2);
    let finished = photos
        .iter()
        .find(|p| p["id"] != photo["id"])
        .expect("the uploaded photo");
    let read = phone
        .get(
            &a.url,
            &format!(
                "/api/v1/visits/{visit}/photos/{}",
                finished["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(read.status(), 200);
    assert_eq!(read.bytes().await.unwrap().as_ref(), large.as_slice());
    assert!(
        keys(&endpoint, &bucket, "photos/uploads/").await.is_empty(),
        "a finished upload keeps no parts"
    );

    // The sync feed: a page from one node, the next from the other, nothing lost or
    // repeated. (On PostgreSQL the feed holds back a change until every transaction
    // begun before it has ended, other tests' included: it is asked again meanwhile.)
    for _ in 0..3 {
        new_visit(&app, &volunteer).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let started = std::time::Instant::now();
    for turn in 0.. {
        let node = if turn % 2 == 0 { &a } else { &b };
        let mut path = "/api/v1/sync/changes?limit=1".to_owned();
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page: Value = phone.get(&node.url, &path).await.json().await.unwrap();
        for change in page["changes"].as_array().unwrap() {
            if change["kind"] == "visit" {
                seen.push(change["id"].as_str().unwrap().to_owned());
            }
        }
        cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
        if page["has_more"] == false {
            if seen.len() >= 4 || started.elapsed() > std::time::Duration::from_secs(30) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (4, 4), "{seen:?}");

    // The weekly summary is the same from either node (each may read its replica).
    let report = |node: &'static str| {
        let base = if node == "a" {
            a.url.clone()
        } else {
            b.url.clone()
        };
        let request = reqwest::Client::new()
            .get(format!("{base}/api/v1/reports/weekly?area=50"))
            .bearer_auth(&supervisor.token);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let started = std::time::Instant::now();
    loop {
        let (from_a, from_b) = (report("a").await, report("b").await);
        if from_a == from_b && from_a["visits"]["total"] == 4 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{from_a} / {from_b}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // A console session begun on one node goes on on the other, photos included.
    let mut browser = crate::console::Browser::new(&app);
    browser.at(&a.url);
    let (status, _) = browser.sign_in("sup", crate::helpers::PASSWORD).await;
    assert_eq!(status, 303);
    browser.at(&b.url);
    let (status, page, _) = browser.get("/console/").await;
    assert_eq!(status, 200, "{page}");
    let (status, _, headers) = browser
        .get(&format!(
            "/console/visits/{visit}/photos/{}",
            photo["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_does_not_answer_is_a_503_with_retry_after_and_loses_nothing() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = new_bucket(&endpoint).await;
    let relay = Relay::to(endpoint.trim_start_matches("http://")).await;
    let relay_url = format!("http://{}", relay.address);
    let variables: std::collections::HashMap<String, String> =
        store_variables(&relay_url, &bucket, "")
            .into_iter()
            .collect();
    let target = PhotoStoreTarget::parse(&variables["FIELDWEEK_PHOTO_STORE"], &variables).unwrap();
    let app = spawn_app_with(|config| config.photo_store = target).await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let phone = Phone {
        client: reqwest::Client::new(),
        user: &volunteer,
    };
    let base = app.address.clone();
    let visit = new_visit(&app, &volunteer).await;

    let bytes = jpeg(3, 50_000);
    let response = phone.post_photo(&base, &visit, &bytes).await;
    assert_eq!(response.status(), 201);
    let photo: Value = response.json().await.unwrap();
    let path = format!(
        "/api/v1/visits/{visit}/photos/{}",
        photo["id"].as_str().unwrap()
    );
    let later = jpeg(4, 40_000);
    let upload = phone
        .begin_upload(&base, &visit, later.len(), &later[..10_000])
        .await;

    relay.switch_off();
    let unavailable = |response: Response| async move {
        assert_eq!(response.status(), 503);
        let retry: u64 = header(&response, "retry-after").parse().unwrap();
        assert!(retry >= 1);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "service_unavailable");
    };
    unavailable(phone.get(&base, &path).await).await;
    unavailable(phone.post_photo(&base, &visit, &jpeg(5, 20_000)).await).await;
    unavailable(
        phone
            .send_rest(&base, &upload, 10_000, &later[10_000..])
            .await,
    )
    .await;
    // Nothing of the refused requests was acknowledged; nothing acknowledged is lost.
    let asked = phone.offset(&base, &upload).await;
    assert_eq!(header(&asked, "upload-offset"), "10000");
    let (_, stored) = app
        .get_as(&volunteer, &format!("/api/v1/visits/{visit}"))
        .await;
    assert_eq!(stored["photos"].as_array().unwrap().len(), 1);

    relay.switch_on();
    let read = phone.get(&base, &path).await;
    assert_eq!(read.status(), 200);
    assert_eq!(read.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let done = phone
        .send_rest(&base, &upload, 10_000, &later[10_000..])
        .await;
    assert_eq!(done.status(), 204, "{:?}", done.text().await);
    let (_, stored) = app
        .get_as(&volunteer, &format!("/api/v1/visits/{visit}"))
        .await;
    assert_eq!(stored["photos"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn erasure_and_expiry_reach_the_objects_in_the_bucket() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = new_bucket(&endpoint).await;
    let variables: std::collections::HashMap<String, String> =
        store_variables(&endpoint, &bucket, "fw")
            .into_iter()
            .collect();
    let target = PhotoStoreTarget::parse(&variables["FIELDWEEK_PHOTO_STORE"], &variables).unwrap();
    let app = spawn_app_with(|config| {
        config.photo_store = target;
        config.upload_expiry_seconds = 1;
    })
    .await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let admin = app.admin().await;
    let phone = Phone {
        client: reqwest::Client::new(),
        user: &volunteer,
    };
    let base = app.address.clone();

    // A complainant's grievance with a photo, and a visit's photo the erasure leaves.
    let body = crate::grievances::grievance(&uuid::Uuid::new_v4().to_string());
    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/grievances", &body)
        .await;
    assert_eq!(response.status(), 201);
    let grievance = body["id"].as_str().unwrap();
    let erased = jpeg(21, 30_000);
    let response = phone
        .request(
            Method::POST,
            format!("{base}/api/v1/grievances/{grievance}/photos"),
        )
        .header("Content-Type", "image/jpeg")
        .body(erased.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let visit = new_visit(&app, &volunteer).await;
    let kept = jpeg(22, 30_000);
    assert_eq!(phone.post_photo(&base, &visit, &kept).await.status(), 201);
    // An upload left unfinished.
    let later = jpeg(23, 30_000);
    phone
        .begin_upload(&base, &visit, later.len(), &later[..5_000])
        .await;
    let key_of = |bytes: &[u8]| {
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        format!("fw/{}/{sha}", &sha[..2])
    };
    let stored = keys(&endpoint, &bucket, "fw/").await;
    assert!(stored.contains(&key_of(&erased)) && stored.contains(&key_of(&kept)));
    assert_eq!(keys(&endpoint, &bucket, "fw/uploads/").await.len(), 1);

    let response = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/privacy/erasure",
            &serde_json::json!({"national_id": body["complainant"]["national_id"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let db = app.services.db.clone();
    let store = &app.services.photos;
    let removed =
        fieldweek::photos::sweep::sweep_unreferenced_photos(&db, store, std::time::Duration::ZERO)
            .await
            .unwrap();
    assert_eq!(removed, 1);
    let swept = fieldweek::photos::sweep::sweep_expired_uploads(&db, store)
        .await
        .unwrap();
    assert_eq!(swept, 1);
    let stored = keys(&endpoint, &bucket, "fw/").await;
    assert_eq!(
        stored,
        vec![key_of(&kept)],
        "only the visit's photo is left"
    );
}

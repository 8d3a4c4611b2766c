//! Reports from a read replica (`DATABASE_READ_URL`), against a real streaming replica of
//! the test server (`scripts/pg-replica.sh`, which `.ci/run` starts and names in
//! `TEST_READ_DATABASE_URL`): once the replica has caught up, the weekly summary and an
//! export read there equal the primary's; when the replica stops answering, they are read
//! from the primary, and the log and `/metrics` say so.

use std::time::{Duration, Instant};

use fieldweek::config::DatabaseTarget;
use fieldweek::domain::Role;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{capture_warnings, database_url, spawn_app_with, warned, Relay, TestApp};
use crate::nodes::start_node;

/// The replica's server URL, or `None` (the test is skipped, unless
/// `FIELDWEEK_TEST_REQUIRE_REPLICA` says it must run, as in CI). Only on PostgreSQL.
fn replica_server() -> Option<String> {
    if crate::helpers::engine() != "postgres" {
        return None;
    }
    match std::env::var("TEST_READ_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ if std::env::var("FIELDWEEK_TEST_REQUIRE_REPLICA").is_ok_and(|v| v == "1") => {
            panic!("FIELDWEEK_TEST_REQUIRE_REPLICA=1 but TEST_READ_DATABASE_URL names no replica")
        }
        _ => {
            eprintln!("skipped: no read replica (see scripts/pg-replica.sh)");
            None
        }
    }
}

/// `host:port` of a `postgres://user@host:port/db` URL.
fn host_and_port(url: &str) -> String {
    let after_at = url.rsplit_once('@').map_or(url, |(_, rest)| rest);
    after_at.split('/').next().unwrap().to_owned()
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_read_from_the_replica_and_from_the_primary_when_it_is_down() {
    let Some(replica) = replica_server() else {
        return;
    };
    capture_warnings();
    let relay = Relay::to(&host_and_port(&replica)).await;
    let relay_server = format!("postgres://postgres@{}/postgres", relay.address);
    let app = spawn_app_with(|config| {
        let DatabaseTarget::Postgres { url } = &config.database else {
            unreachable!("replica tests run on PostgreSQL")
        };
        let name = url.rsplit('/').next().unwrap().split('?').next().unwrap();
        config.read_database = Some(DatabaseTarget::Postgres {
            url: database_url(&relay_server, name),
        });
    })
    .await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let official = app.user("off", Role::Official, "50").await;
    for _ in 0..12 {
        let body = crate::visits::visit(&uuid::Uuid::new_v4().to_string());
        let response = app
            .send_as(&volunteer, Method::POST, "/api/v1/visits", &body)
            .await;
        assert_eq!(response.status(), 201);
        // What a user just wrote is read back at once, from the primary.
        let (status, _) = app
            .get_as(
                &volunteer,
                &format!("/api/v1/visits/{}", body["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(status, 200);
    }
    // The same database, with no replica: the primary's answers.
    let primary = start_node(&app);
    let client = reqwest::Client::new();
    let report_path = "/api/v1/reports/weekly?area=50";
    let export_path = "/api/v1/reports/weekly/export?area=50&format=csv&dataset=visits";
    let from_primary = |path: &'static str| {
        let request = client
            .get(format!("{}{path}", primary.url))
            .bearer_auth(&official.token);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        }
    };
    let expected_report: Value = serde_json::from_str(&from_primary(report_path).await).unwrap();
    assert_eq!(expected_report["visits"]["total"], 12);
    let expected_export = from_primary(export_path).await;
    let export_from = |app: &TestApp| {
        let request = app.as_user(&official, Method::GET, export_path);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        }
    };

    // The replica catches up: the same figures and the same file, read there.
    let started = Instant::now();
    loop {
        let (status, report) = app.get_as(&official, report_path).await;
        assert_eq!(status, 200);
        if report == expected_report {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the replica never caught up: {report}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(export_from(&app).await, expected_export);
    assert!(relay.carried() > 0, "the reports went through the replica");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(
        metric(&metrics, "fieldweek_read_replica_available"),
        Some(1.0)
    );
    assert_eq!(
        metric(&metrics, "fieldweek_read_replica_fallbacks_total"),
        Some(0.0)
    );

    // The replica stops answering: reports come from the primary, and say so.
    relay.switch_off();
    let (status, report) = app.get_as(&official, report_path).await;
    assert_eq!(status, 200);
    assert_eq!(report, expected_report);
    assert_eq!(export_from(&app).await, expected_export);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(
        metric(&metrics, "fieldweek_read_replica_available"),
        Some(0.0)
    );
    assert!(metric(&metrics, "fieldweek_read_replica_fallbacks_total").unwrap() >= 2.0);
    assert!(warned(
        "the read replica does not answer: reports read from the primary"
    ));
}

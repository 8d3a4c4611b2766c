//! Faults: a server killed mid-stream loses no acknowledged visit and doubles none; a
//! full disk during a photo upload is a clean error that leaves no partial file.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use fieldweek::db::schema::visits;
use fieldweek::domain::Role;
use serde_json::Value;

use crate::helpers::spawn_app;
use crate::nodes::{start_node, start_node_with};

#[tokio::test]
async fn kill_dash_nine_loses_no_acknowledged_visit() {
    let app = spawn_app().await;
    let volunteer = app.user("vol.kill", Role::Volunteer, "50").await;
    let node = start_node(&app);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // Every visit attempted, and whether the server acknowledged it (2xx).
    let sent: Arc<Mutex<HashMap<String, (Value, bool)>>> = Arc::default();
    let mut senders = Vec::new();
    for _ in 0..4 {
        let (client, sent, token, url) = (
            client.clone(),
            sent.clone(),
            volunteer.token.clone(),
            node.url.clone(),
        );
        senders.push(tokio::spawn(async move {
            loop {
                let id = uuid::Uuid::new_v4().to_string();
                let body = crate::visits::visit(&id);
                sent.lock()
                    .unwrap()
                    .insert(id.clone(), (body.clone(), false));
                let result = client
                    .post(format!("{url}/api/v1/visits"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                match result {
                    Ok(response) if response.status().is_success() => {
                        sent.lock().unwrap().get_mut(&id).unwrap().1 = true;
                    }
                    // The server is gone: stop this sender.
                    _ => return,
                }
            }
        }));
    }
    // Let a stream of submissions flow, then kill the server without warning.
    while sent
        .lock()
        .unwrap()
        .values()
        .filter(|(_, acked)| *acked)
        .count()
        < 60
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let pid = node.child.id();
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for sender in senders {
        sender.await.unwrap();
    }
    drop(node);

    let sent = sent.lock().unwrap().clone();
    let acknowledged: Vec<&String> = sent
        .iter()
        .filter(|(_, (_, acked))| *acked)
        .map(|(id, _)| id)
        .collect();
    let stored = || -> HashMap<String, i64> {
        let mut conn = app.services.db.get().unwrap();
        visits::table
            .group_by(visits::id)
            .select((visits::id, diesel::dsl::count_star()))
            .load::<(String, i64)>(&mut *conn)
            .unwrap()
            .into_iter()
            .collect()
    };
    let after_crash = stored();
    for id in &acknowledged {
        assert_eq!(
            after_crash.get(*id),
            Some(&1),
            "acknowledged visit {id} is missing"
        );
    }

    // The phone resends everything it has no answer for (and, to be sure, all the rest):
    // a restarted server stores each visit exactly once.
    let restarted = start_node(&app);
    for (id, (body, acked)) in &sent {
        let response = client
            .post(format!("{}/api/v1/visits", restarted.url))
            .bearer_auth(&volunteer.token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        if *acked {
            assert_eq!(status, 200, "{id} was stored, so the resend is a replay");
        } else {
            assert!(status == 201 || status == 200, "{id}: {status}");
        }
    }
    let final_rows = stored();
    assert_eq!(final_rows.len(), sent.len());
    assert!(final_rows.values().all(|n| *n == 1));
}

/// Mounts a tiny tmpfs; `None` where this process may not mount (not root).
struct TinyDisk {
    dir: tempfile::TempDir,
}

impl TinyDisk {
    fn mount(bytes: u64) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then_some(Self { dir })
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_during_a_photo_upload_is_a_clean_error() {
    let Some(disk) = TinyDisk::mount(1024 * 1024) else {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
        return;
    };
    let app = spawn_app().await;
    let volunteer = app.user("vol.disk", Role::Volunteer, "50").await;
    let id = uuid::Uuid::new_v4().to_string();
    let response = app
        .send_as(
            &volunteer,
            reqwest::Method::POST,
            "/api/v1/visits",
            &crate::visits::visit(&id),
        )
        .await;
    assert_eq!(response.status(), 201);
    // A node whose data directory (and so its photo store) is the 1 MiB disk.
    let node = start_node_with(&app, |command| {
        command.env("FIELDWEEK_DATA_DIR", disk.dir.path());
    });
    let client = reqwest::Client::new();
    let upload = |size: usize| {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
        bytes.extend((0..size).map(|i| (i % 251) as u8));
        client
            .post(format!("{}/api/v1/visits/{id}/photos", node.url))
            .bearer_auth(&volunteer.token)
            .header("Content-Type", "image/jpeg")
            .body(bytes)
            .send()
    };
    let response = upload(3 * 1024 * 1024).await.unwrap();
    assert_eq!(response.status(), 507);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "insufficient_storage");
    let leftovers = std::fs::read_dir(disk.dir.path().join("photos/tmp"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 0, "no partial file");
    let stored = std::fs::read_dir(disk.dir.path().join("photos"))
        .unwrap()
        .count();
    assert_eq!(stored, 1, "only the tmp folder");

    // Once there is room again, uploads work.
    assert_eq!(upload(100 * 1024).await.unwrap().status(), 201);
    drop(node);
}

//! The storage layer under concurrent writers.

use diesel::prelude::*;
use fieldweek::db::audit::{self, AuditEntry, ClientInfo};
use fieldweek::db::schema::audit_log;
use fieldweek::db::Db;

use crate::helpers::spawn_app;

/// Many threads, and a second pool standing in for a second process, write at once:
/// every write commits, none fails with SQLITE_BUSY or a serialisation error.
#[tokio::test]
async fn concurrent_writers_all_commit() {
    let app = spawn_app().await;
    let db = app.services.db.clone();
    let second = Db::connect(&app.services.config.database, 4).unwrap();

    let mut threads = Vec::new();
    for worker in 0..8 {
        let db = if worker % 2 == 0 {
            db.clone()
        } else {
            second.clone()
        };
        threads.push(std::thread::spawn(move || {
            for n in 0..25 {
                db.write_blocking(|conn| {
                    // Read, then write: the pattern that deadlocks a deferred SQLite transaction.
                    let _count: i64 = audit_log::table.count().get_result(conn)?;
                    audit::record(
                        conn,
                        &ClientInfo::default(),
                        AuditEntry {
                            actor_id: None,
                            action: "test.write",
                            record_type: "test",
                            record_id: Some(&format!("{worker}-{n}")),
                            details: serde_json::json!({ "worker": worker }),
                        },
                    )?;
                    Ok(())
                })
                .expect("write committed");
            }
        }));
    }
    for thread in threads {
        thread.join().unwrap();
    }
    let mut conn = db.get().unwrap();
    let written: i64 = audit_log::table
        .filter(audit_log::action.eq("test.write"))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(written, 200);
}

#[tokio::test]
async fn the_audit_log_refuses_edits_and_deletions() {
    let app = spawn_app().await;
    let db = app.services.db.clone();
    db.write_blocking(|conn| {
        audit::record(
            conn,
            &ClientInfo {
                addr: Some("127.0.0.1".into()),
                request_id: Some("r-1".into()),
            },
            AuditEntry {
                actor_id: Some("someone"),
                action: "test.append",
                record_type: "test",
                record_id: Some("1"),
                details: serde_json::json!({}),
            },
        )?;
        Ok(())
    })
    .unwrap();
    let mut conn = db.get().unwrap();
    let rows = audit::for_record(&mut conn, "test", "1").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].request_id.as_deref(), Some("r-1"));

    let edit = diesel::update(audit_log::table)
        .set(audit_log::action.eq("forged"))
        .execute(&mut *conn);
    assert!(edit.is_err(), "an edit must be refused");
    let delete = diesel::delete(audit_log::table).execute(&mut *conn);
    assert!(delete.is_err(), "a deletion must be refused");
    assert_eq!(audit::for_record(&mut conn, "test", "1").unwrap().len(), 1);
}

//! The storage layer under concurrent writers.

use diesel::prelude::*;
use fieldweek::db::audit::{self, AuditEntry, ClientInfo};
use fieldweek::db::schema::audit_log;
use fieldweek::db::{Db, DbConnection};

use crate::helpers::{engine, spawn_app};

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
                db.write_blocking(move |conn| {
                    // Read, then write: the pattern that deadlocks a deferred SQLite transaction.
                    let _count: i64 = audit_log::table.count().get_result(conn)?;
                    record_test_entry(
                        conn,
                        None,
                        "test.write",
                        &format!("{worker}-{n}"),
                        serde_json::json!({ "worker": worker }),
                    )
                })
                .expect("write committed");
            }
        }));
    }
    for thread in threads {
        thread.join().unwrap();
    }
    let mut conn = db.connection_for_cli_and_tests().unwrap();
    let written: i64 = audit_log::table
        .filter(audit_log::action.eq("test.write"))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(written, 200);
}

/// Writes that arrive together commit together on SQLite (one transaction, a savepoint
/// each). Whatever the grouping, a write is stored exactly when it was answered `Ok`: a
/// failing write is undone alone, and one that panics takes nothing half-done with it.
#[tokio::test]
async fn a_write_is_stored_exactly_when_it_is_acknowledged() {
    let app = spawn_app().await;
    let db = app.services.db.clone();
    let writes = (0..90).map(|n: u32| {
        let db = db.clone();
        async move {
            let answer = db
                .write(move |conn| {
                    record_test_entry(
                        conn,
                        None,
                        "test.group",
                        &n.to_string(),
                        serde_json::json!({}),
                    )?;
                    match n % 3 {
                        0 => Err(fieldweek::error::ApiError::NotFound),
                        1 if n == 40 => panic!("a bug in one write"),
                        _ => Ok(n),
                    }
                })
                .await;
            (n, answer)
        }
    });
    let answers = futures_util::future::join_all(writes).await;

    let mut conn = db.connection_for_cli_and_tests().unwrap();
    let stored: std::collections::HashSet<String> = audit_log::table
        .filter(audit_log::action.eq("test.group"))
        .select(audit_log::record_id)
        .load::<Option<String>>(&mut *conn)
        .unwrap()
        .into_iter()
        .flatten()
        .collect();
    for (n, answer) in &answers {
        assert_eq!(
            stored.contains(&n.to_string()),
            answer.is_ok(),
            "write {n} answered {answer:?}"
        );
        if n % 3 == 0 {
            assert!(answer.is_err(), "write {n} failed but was acknowledged");
        }
    }
    assert!(answers[40].1.is_err(), "the panicking write must fail");
    // The panic may sink the writes grouped with it, never the rest.
    let acknowledged = answers.iter().filter(|(_, answer)| answer.is_ok()).count();
    assert!(
        acknowledged >= 20,
        "only {acknowledged} of 60 good writes stored"
    );
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
    let mut conn = db.connection_for_cli_and_tests().unwrap();
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

/// Lets a test play the attacker with direct database access.
pub(crate) fn disable_append_only(conn: &mut fieldweek::db::DbConnection) {
    use diesel::connection::SimpleConnection;
    let sql = if crate::helpers::engine() == "postgres" {
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;"
    } else {
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
    };
    conn.batch_execute(sql).unwrap();
}

/// Appends one audit entry of record type `test`, as a write's work.
fn record_test_entry(
    conn: &mut fieldweek::db::DbConnection,
    actor_id: Option<&str>,
    action: &str,
    record_id: &str,
    details: serde_json::Value,
) -> Result<(), fieldweek::error::ApiError> {
    audit::record(
        conn,
        &ClientInfo::default(),
        AuditEntry {
            actor_id,
            action,
            record_type: "test",
            record_id: Some(record_id),
            details,
        },
    )?;
    Ok(())
}

fn write_entries(db: &Db, count: usize) {
    for n in 0..count {
        db.write_blocking(move |conn| {
            record_test_entry(
                conn,
                Some("tester"),
                "test.chain",
                &n.to_string(),
                serde_json::json!({ "n": n }),
            )
        })
        .unwrap();
    }
}

fn chain_ids(conn: &mut fieldweek::db::DbConnection) -> Vec<i64> {
    audit_log::table
        .filter(audit_log::action.eq("test.chain"))
        .order(audit_log::id.asc())
        .select(audit_log::id)
        .load(conn)
        .unwrap()
}

#[tokio::test]
async fn the_audit_chain_reveals_edits_insertions_and_deletions() {
    use fieldweek::db::audit::{verify, Verdict};
    let app = spawn_app().await;
    let db = app.services.db.clone();
    write_entries(&db, 6);
    let mut conn = db.connection_for_cli_and_tests().unwrap();
    let total: i64 = audit_log::table.count().get_result(&mut *conn).unwrap();
    assert_eq!(
        verify(&mut conn).unwrap(),
        Verdict::Intact {
            entries: total as u64
        }
    );
    disable_append_only(&mut conn);
    let ids = chain_ids(&mut conn);

    // An edited entry.
    diesel::update(audit_log::table.find(ids[2]))
        .set(audit_log::details.eq("{\"n\":99}"))
        .execute(&mut *conn)
        .unwrap();
    match verify(&mut conn).unwrap() {
        Verdict::Broken { id, reason } => {
            assert_eq!(
                (id, reason.en.contains("edited")),
                (ids[2], true),
                "{reason:?}"
            );
            assert!(reason.th.contains("แก้ไข"), "{reason:?}");
        }
        intact => panic!("edit not found: {intact:?}"),
    }
    diesel::update(audit_log::table.find(ids[2]))
        .set(audit_log::details.eq("{\"n\":2}"))
        .execute(&mut *conn)
        .unwrap();
    assert!(
        matches!(verify(&mut conn).unwrap(), Verdict::Intact { .. }),
        "restored"
    );

    // A deleted entry: the next one's link points at nothing.
    diesel::delete(audit_log::table.find(ids[4]))
        .execute(&mut *conn)
        .unwrap();
    match verify(&mut conn).unwrap() {
        Verdict::Broken { id, reason } => {
            assert_eq!(
                (id, reason.en.contains("deleted")),
                (ids[5], true),
                "{reason:?}"
            )
        }
        intact => panic!("deletion not found: {intact:?}"),
    }
}

#[tokio::test]
async fn an_inserted_audit_entry_breaks_the_chain() {
    use fieldweek::db::audit::{verify, Verdict};
    let app = spawn_app().await;
    let db = app.services.db.clone();
    write_entries(&db, 3);
    let mut conn = db.connection_for_cli_and_tests().unwrap();
    let last_hash: String = audit_log::table
        .order(audit_log::id.desc())
        .select(audit_log::hash)
        .first(&mut *conn)
        .unwrap();
    // A forger who links correctly but cannot produce the hash the contents call for.
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(chrono::Utc::now().naive_utc()),
            audit_log::action.eq("user.created"),
            audit_log::record_type.eq("user"),
            audit_log::details.eq("{}"),
            audit_log::prev_hash.eq(&last_hash),
            audit_log::hash.eq("0".repeat(64)),
        ))
        .execute(&mut *conn)
        .unwrap();
    let forged: i64 = audit_log::table
        .order(audit_log::id.desc())
        .select(audit_log::id)
        .first(&mut *conn)
        .unwrap();
    match verify(&mut conn).unwrap() {
        Verdict::Broken { id, reason } => {
            assert_eq!(id, forged);
            assert_eq!(
                reason.en,
                "its contents do not match its hash: the entry was edited or forged"
            );
        }
        intact => panic!("the inserted entry went unnoticed: {intact:?}"),
    }
}

/// Visits of different callers filed in one statement: one the database refuses (its
/// author does not exist) gets its own error, and the others are filed all the same.
#[tokio::test]
async fn a_refused_visit_does_not_sink_those_filed_with_it() {
    use fieldweek::auth::AuthUser;
    use fieldweek::db::Filed;
    use fieldweek::domain::AreaScope;
    use fieldweek::domain::{AreaCode, Role, UserId};
    use fieldweek::visits::filing::file_together;
    use fieldweek::visits::input::{NewVisit, VisitInput, VisitRules};

    let app = spawn_app().await;
    let volunteer = app.user("vol.refused", Role::Volunteer, "50").await;
    let area = AreaCode::parse("50").unwrap();
    let author = AuthUser {
        id: UserId::parse(&volunteer.id).unwrap(),
        username: "vol.refused".into(),
        display_name: "vol.refused (test)".into(),
        role: Role::Volunteer,
        scope: AreaScope::of(&area),
        area,
        client: ClientInfo::default(),
    };
    let new_visit = || {
        let input: VisitInput =
            serde_json::from_value(crate::visits::visit(&uuid::Uuid::new_v4().to_string()))
                .unwrap();
        let rules = VisitRules::default();
        NewVisit::parse(
            input,
            &author,
            &app.services.geography,
            &rules,
            chrono::Utc::now(),
        )
        .unwrap()
    };
    let mut orphan = new_visit();
    // An account id no account has.
    orphan.author_id = UserId::random();
    let visits = vec![new_visit(), orphan, new_visit()];
    let ids: Vec<String> = visits.iter().map(|visit| visit.id.to_string()).collect();

    let db = app.services.db.clone();
    let outcomes = tokio::task::spawn_blocking(move || file_together(&db, visits))
        .await
        .unwrap();
    assert!(matches!(outcomes[0], Ok(Filed::Created(_))));
    assert!(outcomes[1].is_err());
    assert!(matches!(outcomes[2], Ok(Filed::Created(_))));

    use fieldweek::db::schema::visits;
    let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
    let stored: Vec<String> = visits::table.select(visits::id).load(&mut *conn).unwrap();
    assert!(stored.contains(&ids[0]) && stored.contains(&ids[2]));
    assert!(!stored.contains(&ids[1]));
}

/// A burst of writes grows SQLite's log; once it has been copied into the database, the
/// log file is cut back to the size SQLite keeps rather than staying as large for good.
#[tokio::test]
async fn sqlite_log_is_cut_back_after_a_burst() {
    if engine() != "sqlite" {
        return;
    }
    use fieldweek::db::SQLITE_LOG_KEPT_BYTES as KEPT_BYTES;
    let app = spawn_app().await;
    let db = app.services.db.clone();
    let fieldweek::config::DatabaseTarget::Sqlite { path } = &app.services.config.database else {
        unreachable!("a SQLite test app")
    };
    let log = std::path::PathBuf::from(format!("{}-wal", path.display()));
    let log_size = || std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);

    // 80 MiB of pages, more than the log keeps, written to the log at commit.
    db.write(add_ballast(80)).await.unwrap();
    let burst = log_size();
    assert!(burst > KEPT_BYTES, "the burst made a log of {burst} bytes");

    // The checkpoint thread copies the log back within a second; the first write after
    // that starts the log again from the beginning and cuts the file.
    let started = std::time::Instant::now();
    while log_size() > KEPT_BYTES {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the log stayed at {} bytes",
            log_size()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        db.write(|conn| Ok(diesel::sql_query("DELETE FROM ballast").execute(conn)?))
            .await
            .unwrap();
    }
}

/// Dropping the last database handle copies SQLite's whole log into the database and
/// removes it, even straight after a burst, while the checkpoint thread may still be
/// copying: the process that ends (the server, `demo-data`) leaves nothing to replay.
#[test]
fn the_last_handle_leaves_no_sqlite_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("burst.db");
    let target = fieldweek::config::DatabaseTarget::Sqlite { path: path.clone() };
    for round in 0..3 {
        let db = Db::connect(&target, 2).unwrap();
        db.write_blocking(add_ballast(40)).unwrap();
        // Dropped about when the checkpoint thread wakes, so that the drop may find it
        // copying (before the thread was stopped and waited for, every round left a log).
        std::thread::sleep(std::time::Duration::from_millis(520));
        drop(db);
        assert!(
            !dir.path().join("burst.db-wal").exists(),
            "a log was left after round {round}"
        );
    }
    let mut conn =
        DbConnection::Sqlite(diesel::SqliteConnection::establish(&path.to_string_lossy()).unwrap());
    assert_eq!(ballast_rows(&mut conn), 3, "every burst is in the database");
}

/// While another process still has the database open (here a second handle, in the
/// middle of a read), dropping a handle neither waits for that reader nor takes the log
/// from under it; the last handle to go folds everything in.
#[test]
fn a_handle_dropped_beside_an_open_reader_leaves_it_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let target = fieldweek::config::DatabaseTarget::Sqlite { path: path.clone() };
    let log = dir.path().join("shared.db-wal");

    let staying = Db::connect(&target, 2).unwrap();
    staying.write_blocking(add_ballast(1)).unwrap();
    let mut reader = staying.connection_for_cli_and_tests().unwrap();
    diesel::sql_query("BEGIN").execute(&mut *reader).unwrap();
    assert_eq!(ballast_rows(&mut reader), 1);

    let leaving = Db::connect(&target, 2).unwrap();
    leaving.write_blocking(add_ballast(1)).unwrap();
    let started = std::time::Instant::now();
    drop(leaving);
    // A checkpoint that waited for the reader would hold the drop for the checkpoint
    // connection's whole busy timeout (5 s) and block every writer meanwhile.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "the drop waited {:?} for the other reader",
        started.elapsed()
    );
    assert!(
        log.exists(),
        "the log stays while the database is open elsewhere"
    );

    // The reader kept its snapshot; once it ends it sees the other handle's row.
    assert_eq!(ballast_rows(&mut reader), 1);
    diesel::sql_query("COMMIT").execute(&mut *reader).unwrap();
    assert_eq!(ballast_rows(&mut reader), 2);
    drop(reader);
    drop(staying);
    // r2d2 closes a dropped pool's connections on its own thread, which may run a moment
    // after the drop returns (its reaper can hold the pool just then).
    let closing = std::time::Instant::now();
    while log.exists() && closing.elapsed() < std::time::Duration::from_secs(3) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!log.exists(), "the last handle folds the log in");
    let mut conn =
        DbConnection::Sqlite(diesel::SqliteConnection::establish(&path.to_string_lossy()).unwrap());
    assert_eq!(ballast_rows(&mut conn), 2);
}

/// A write of one row of `mib` MiB of zeros into `ballast`, made on first use.
fn add_ballast(
    mib: u32,
) -> impl FnOnce(&mut DbConnection) -> Result<(), fieldweek::error::ApiError> {
    move |conn| {
        diesel::sql_query("CREATE TABLE IF NOT EXISTS ballast (b BLOB)").execute(conn)?;
        diesel::sql_query(format!(
            "INSERT INTO ballast VALUES (zeroblob({mib} * 1024 * 1024))"
        ))
        .execute(conn)?;
        Ok(())
    }
}

/// The rows of `ballast`.
fn ballast_rows(conn: &mut DbConnection) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query("SELECT count(*) AS n FROM ballast")
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

#[tokio::test]
async fn the_anchor_reveals_entries_deleted_from_the_end_of_the_audit_log() {
    use fieldweek::audit_anchor::{check_tail, TailCheck};
    let app = spawn_app().await;
    let db = app.services.db.clone();
    write_entries(&db, 4);
    let keeper = app.services.audit_anchor.clone();
    let mut conn = db.connection_for_cli_and_tests().unwrap();
    let anchor = keeper.anchor_now(&mut conn).unwrap().expect("an anchor");
    assert!(matches!(
        check_tail(&mut conn, &keeper).unwrap(),
        TailCheck::Holds { .. }
    ));

    // The last two entries deleted: still a chain, but the anchored head is gone.
    disable_append_only(&mut conn);
    let ids = chain_ids(&mut conn);
    diesel::delete(audit_log::table.filter(audit_log::id.ge(ids[2])))
        .execute(&mut *conn)
        .unwrap();
    assert!(matches!(
        fieldweek::db::audit::verify(&mut conn).unwrap(),
        fieldweek::db::audit::Verdict::Intact { .. }
    ));
    match check_tail(&mut conn, &keeper).unwrap() {
        TailCheck::Missing {
            anchor: found,
            reason,
        } => {
            assert_eq!(found, anchor);
            assert!(reason.en.contains("gone"), "{reason:?}");
            assert!(reason.th.contains("หายไป"), "{reason:?}");
        }
        other => panic!("a deleted tail went unnoticed: {other:?}"),
    }
    // The operator's command says so too, and fails.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fieldweek"));
    command
        .args(["audit", "verify"])
        .env("FIELDWEEK_DATA_DIR", app.data_dir.path())
        .env("PGSSLMODE", "disable");
    match &app.services.config.database {
        fieldweek::config::DatabaseTarget::Sqlite { path } => {
            command.env("DATABASE_URL", format!("sqlite://{}", path.display()))
        }
        fieldweek::config::DatabaseTarget::Postgres { url } => command.env("DATABASE_URL", url),
    };
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("tail is missing"), "{stderr}");

    // Everything deleted: the same.
    diesel::delete(audit_log::table)
        .execute(&mut *conn)
        .unwrap();
    assert!(matches!(
        check_tail(&mut conn, &keeper).unwrap(),
        TailCheck::Missing { .. }
    ));

    // An anchor file rewritten by hand no longer verifies.
    let path = app.services.config.data_dir.join("audit-anchor.json");
    let forged = std::fs::read_to_string(&path)
        .unwrap()
        .replace(&format!("\"head_id\":{}", anchor.head_id), "\"head_id\":1");
    std::fs::write(&path, forged).unwrap();
    let error = check_tail(&mut conn, &keeper).unwrap_err();
    assert!(error.to_string().contains("altered"), "{error}");
}

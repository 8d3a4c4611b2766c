//! The `fieldweek` binary as an operator runs it: bad configuration ends it with one
//! clear line and a non-zero exit, and SIGTERM stops it gracefully.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_fieldweek");

fn fieldweek(dir: &std::path::Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::null());
    command
}

/// `fieldweek users create` in `dir`, with `password` on its standard input.
fn create_user(
    dir: &std::path::Path,
    username: &str,
    role: &str,
    password: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut child = fieldweek(dir)
        .args([
            "users",
            "create",
            "--username",
            username,
            "--role",
            role,
            "--area",
            "50",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

fn fails_with(command: &mut Command, expected: &str) {
    let output = command.output().expect("run fieldweek");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(expected), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}

#[test]
fn an_unknown_database_scheme_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fails_with(
        fieldweek(dir.path()).env("DATABASE_URL", "mysql://localhost/fw"),
        "unknown scheme \"mysql\"",
    );
}

#[test]
fn an_unwritable_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    fails_with(
        fieldweek(dir.path())
            .env("FIELDWEEK_DATA_DIR", file.join("below-a-file"))
            .env("FIELDWEEK_BIND", "127.0.0.1:0"),
        "data directory",
    );
}

#[test]
fn a_port_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    fails_with(
        fieldweek(dir.path()).env("FIELDWEEK_BIND", &address),
        "cannot listen on",
    );
}

#[test]
fn serve_starts_on_sqlite_with_no_setup_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = fieldweek(dir.path())
        .env("FIELDWEEK_BIND", format!("127.0.0.1:{port}"))
        .env("FIELDWEEK_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut logs = BufReader::new(child.stderr.take().unwrap()).lines();

    // Wait for the "listening" line, then ask for readiness over plain TCP.
    let listening = logs
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains("fieldweek is listening"))
        .expect("a listening log line");
    let line: serde_json::Value = serde_json::from_str(&listening).expect("JSON log line");
    assert_eq!(line["level"], "INFO");
    assert!(dir.path().join("data/fieldweek.db").exists());
    assert_eq!(http_get(port, "/readyz").0, 200);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no graceful stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    assert!(logs
        .map_while(Result::ok)
        .any(|l| l.contains("fieldweek stopped")));
    // A clean stop copies SQLite's log into the database and leaves none behind.
    assert!(!dir.path().join("data/fieldweek.db-wal").exists());
}

/// A minimal HTTP/1.1 GET, so this test needs no async runtime.
fn http_get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    (status, response)
}

#[test]
fn users_create_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let output = create_user(dir.path(), "Somying", "supervisor", "a password from stdin");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("created Somying (supervisor, 50)"));

    // The same username again, and a weak password, are refused with one line each.
    for (username, password, expected) in [
        ("somying", "another good password", "username"),
        ("other", "short", "password"),
    ] {
        let output = create_user(dir.path(), username, "official", password);
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains(expected));
    }
}

#[test]
fn audit_verify_names_the_entry_that_was_edited() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let dir = tempfile::tempdir().unwrap();
    for username in ["first.user", "second.user", "third.user"] {
        let output = create_user(dir.path(), username, "official", "a password from stdin");
        assert!(output.status.success());
    }
    let output = fieldweek(dir.path())
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("audit log intact: 3 entries verified")
    );

    // An attacker with the database file rewrites the second entry.
    let mut conn = diesel::SqliteConnection::establish(
        &dir.path().join("data/fieldweek.db").to_string_lossy(),
    )
    .unwrap();
    conn.batch_execute(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET details = '{\"username\":\"someone.else\"}' WHERE id = (SELECT MIN(id) + 1 FROM audit_log);",
    )
    .unwrap();
    fails_with(
        fieldweek(dir.path()).args(["audit", "verify"]),
        "audit log broken at entry 2",
    );
}

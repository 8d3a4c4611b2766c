//! The console's account and administration screens through the real server: one
//! account created and a spreadsheet imported by a supervisor, the audit log read and its
//! chain checked by an administrator, and the webhook outbox's failures retried.

use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::console::{file_one, hidden, Browser};
use crate::helpers::{
    spawn_app, spawn_app_with, TestApp, ADMIN_PASSWORD, ADMIN_USERNAME, PASSWORD,
};
use fieldweek::domain::Role;

/// The one-time password the page shows after `marker`.
fn shown_password(page: &str, marker: &str) -> String {
    let start = page
        .find(marker)
        .unwrap_or_else(|| panic!("no one-time password in {page}"))
        + marker.len();
    page[start..].chars().take(19).collect()
}

async fn api_login(app: &TestApp, username: &str, password: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// An upload form as the accounts page sends it.
fn upload(csrf: Option<&str>, answer: &str, file: Option<(&str, &[u8])>) -> Form {
    let mut form = Form::new().text("answer", answer.to_owned());
    if let Some(csrf) = csrf {
        form = form.text("csrf", csrf.to_owned());
    }
    if let Some((name, bytes)) = file {
        form = form.part(
            "file",
            Part::bytes(bytes.to_vec())
                .file_name(name.to_owned())
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    }
    form
}

/// The text of the cells of each `<tr data-row=...>` of the import's outcome.
fn outcome_rows(page: &str) -> Vec<Vec<String>> {
    page.split("<tr data-row=")
        .skip(1)
        .map(|row| {
            let row = &row[..row.find("</tr>").unwrap()];
            row.split("<td>")
                .skip(1)
                .map(|cell| {
                    let cell = &cell[..cell.find("</td>").unwrap()];
                    // Drop any markup inside the cell.
                    let mut text = String::new();
                    let mut in_tag = false;
                    for c in cell.chars() {
                        match c {
                            '<' => in_tag = true,
                            '>' => in_tag = false,
                            c if !in_tag => text.push(c),
                            _ => {}
                        }
                    }
                    text.trim().to_owned()
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_supervisor_creates_one_account_and_imports_a_spreadsheet_of_them_in_the_console() {
    let app = spawn_app().await;
    let supervisor = app.user("sup.cm", Role::Supervisor, "50").await;
    app.user("off.cm", Role::Official, "50").await;
    let mut browser = Browser::new(&app);
    browser.sign_in("sup.cm", PASSWORD).await;
    let (status, page, _) = browser.get("/console/users").await;
    assert_eq!(status, 200, "{page}");
    let create_form = &page[page.find("id=\"create-account\"").unwrap()..];
    let create_form = &create_form[..create_form.find("</form>").unwrap()];
    assert!(
        create_form.contains("value=\"volunteer\"") && create_form.contains("value=\"official\""),
        "a supervisor creates volunteers and officials: {create_form}"
    );
    assert!(
        !create_form.contains("value=\"supervisor\"") && !create_form.contains("value=\"admin\""),
        "and no peer or admin: {create_form}"
    );
    let csrf = hidden(&page, "csrf");

    // One account, with a one-time password shown once.
    let new_account = [
        ("csrf", csrf.as_str()),
        ("username", "vol.manee"),
        ("display_name", "มานี ใจดี"),
        ("role", "volunteer"),
        ("area_code", "500101"),
        ("phone", "081-234-5678"),
    ];
    let (status, page, _) = browser.post("/console/users", &new_account).await;
    assert_eq!(status, 200, "{page}");
    let temporary = shown_password(&page, "(แสดงครั้งเดียว แจ้งเจ้าของบัญชี ต้องเปลี่ยนเมื่อเข้าสู่ระบบ): ");
    let (status, login) = api_login(&app, "vol.manee", &temporary).await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["password_change_required"], true);
    assert_eq!(login["user"]["area_code"], "500101");
    assert_eq!(login["user"]["phone"], "+66812345678");
    let created = app.audit_entries("user.created");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].0.as_deref(), Some(supervisor.id.as_str()));

    // The API's rules answer for the console: the same username, another area, a role
    // the supervisor does not manage.
    let (status, _, _) = browser.post("/console/users", &new_account).await;
    assert_eq!(status, 409, "the username is taken");
    let mut elsewhere = new_account;
    elsewhere[1] = ("username", "vol.far");
    elsewhere[4] = ("area_code", "57");
    let (status, page, _) = browser.post("/console/users", &elsewhere).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("area_code"),
        "the refused field is named: {page}"
    );
    let mut peer = new_account;
    peer[1] = ("username", "sup.peer");
    peer[3] = ("role", "supervisor");
    let (status, _, _) = browser.post("/console/users", &peer).await;
    assert_eq!(status, 403);
    assert_eq!(
        app.audit_entries("user.created").len(),
        1,
        "nothing else made"
    );

    // A spreadsheet of three: two new, one outside the supervisor's area.
    let sheet = "username,display_name,role,area_code,phone\n\
                 vol.a,สมชาย ดีมาก,volunteer,500101,\n\
                 vol.b,สมหญิง ดีมาก,อาสาสมัครพัฒนาสังคมและความมั่นคงของมนุษย์ (อพม.),500102,0812345670\n\
                 vol.c,ไกล บ้าน,volunteer,57,\n";
    let (status, body, _) = browser
        .post_multipart(
            "/console/users/import",
            upload(Some(&csrf), "page", Some(("อพม.csv", sheet.as_bytes()))),
        )
        .await;
    let page = String::from_utf8(body).unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("data-count=\"created\"><span class=\"big\">2</span>"),
        "{page}"
    );
    assert!(
        page.contains("data-count=\"refused\"><span class=\"big\">1</span>"),
        "{page}"
    );
    let rows = outcome_rows(&page);
    let summary: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|cells| (cells[0].as_str(), cells[1].as_str(), cells[3].as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("2", "vol.a", "สร้างใหม่"),
            ("3", "vol.b", "สร้างใหม่"),
            ("4", "vol.c", "ข้อมูลไม่ถูกต้อง")
        ]
    );
    assert!(
        rows[2][5].contains("ต้องอยู่ในพื้นที่รับผิดชอบของท่าน"),
        "the row says why, as creating one account would: {:?}",
        rows[2]
    );
    assert!(rows[2][4].is_empty(), "no password for a refused row");
    let (status, login) = api_login(&app, "vol.b", &rows[1][4]).await;
    assert_eq!(status, 200, "the shown one-time password signs in: {login}");
    assert_eq!(login["password_change_required"], true);
    assert_eq!(login["user"]["role"], "volunteer");

    // The same file again, its outcome downloaded: nothing new, and no password.
    let (status, body, headers) = browser
        .post_multipart(
            "/console/users/import",
            upload(Some(&csrf), "csv", Some(("อพม.csv", sheet.as_bytes()))),
        )
        .await;
    assert_eq!(status, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(headers["cache-control"], "no-store");
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "a BOM, for spreadsheets");
    let mut reader = csv::Reader::from_reader(&body[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["แถว", "ชื่อผู้ใช้", "ชื่อที่แสดง", "ผล", "รหัสผ่านชั่วคราว", "ปัญหา"]
    );
    let lines: Vec<(String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[1].to_owned(), r[3].to_owned(), r[4].to_owned())
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("vol.a".into(), "มีอยู่แล้ว".into(), String::new()),
            ("vol.b".into(), "มีอยู่แล้ว".into(), String::new()),
            ("vol.c".into(), "ข้อมูลไม่ถูกต้อง".into(), String::new()),
        ]
    );
    assert_eq!(app.audit_entries("user.created").len(), 3, "one + two");

    // Refused uploads: no anti-forgery token, no file, a file of another kind.
    let another = "username,display_name,role,area_code\nvol.d,ดี ดี,volunteer,500101\n";
    let (status, _, _) = browser
        .post_multipart(
            "/console/users/import",
            upload(None, "page", Some(("v.csv", another.as_bytes()))),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = browser
        .post_multipart("/console/users/import", upload(Some(&csrf), "page", None))
        .await;
    assert_eq!(status, 400);
    let (status, _, _) = browser
        .post_multipart(
            "/console/users/import",
            upload(Some(&csrf), "page", Some(("v.txt", another.as_bytes()))),
        )
        .await;
    assert_eq!(status, 415);
    assert_eq!(
        app.audit_entries("user.created").len(),
        3,
        "vol.d never made"
    );

    // Officials neither read nor import accounts here.
    let mut official = Browser::new(&app);
    official.sign_in("off.cm", PASSWORD).await;
    let (_, page, _) = official.get("/console/").await;
    let official_csrf = hidden(&page, "csrf");
    let (status, _, _) = official
        .post_multipart(
            "/console/users/import",
            upload(
                Some(&official_csrf),
                "page",
                Some(("v.csv", another.as_bytes())),
            ),
        )
        .await;
    assert_eq!(status, 403);
    assert!(!page.contains("/console/audit"), "no administrators' links");
}

#[tokio::test]
async fn an_administrator_reads_filters_and_verifies_the_audit_log_and_sees_a_forgery() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "500101").await;
    app.user("sup", Role::Supervisor, "50").await;
    file_one(&app, &volunteer).await;
    let mut supervisor = Browser::new(&app);
    supervisor.sign_in("sup", PASSWORD).await;
    let (status, _, _) = supervisor.get("/console/audit").await;
    assert_eq!(status, 403, "the log spans every area: administrators only");

    let mut admin = Browser::new(&app);
    admin.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let (status, page, _) = admin.get("/console/audit").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("href=\"/console/audit\""),
        "in the navigation"
    );
    let csrf = hidden(&page, "csrf");
    let entries = page.matches("<tr data-entry=").count();
    assert!(entries >= 5, "accounts made and sign-ins: {page}");
    assert!(
        page.contains("user.bootstrap") && page.contains("auth.login"),
        "{page}"
    );

    // By action family, by actor, and by Buddhist-Era dates.
    let (_, page, _) = admin.get("/console/audit?action=auth.").await;
    // Two sign-ins through the API (the test's accounts) and two through the console.
    assert_eq!(
        page.matches("<td class=\"action\">auth.login").count(),
        4,
        "{page}"
    );
    assert_eq!(page.matches("<tr data-entry=").count(), 4, "{page}");
    let (_, page, _) = admin.get("/console/audit?action=user.bootstrap").await;
    assert_eq!(page.matches("<tr data-entry=").count(), 1, "{page}");
    let (_, page, _) = admin.get("/console/audit?actor=sup").await;
    assert_eq!(page.matches("<tr data-entry=").count(), 2, "{page}");
    assert!(page.contains("<td>sup (test)</td>"), "by name: {page}");
    let (_, page, _) = admin.get("/console/audit?actor=nobody.here").await;
    assert!(page.contains("ไม่พบชื่อผู้ใช้นี้"), "{page}");
    let today = chrono::Utc::now().with_timezone(&chrono_tz_bangkok());
    let be_today = format!(
        "{}/{}/{}",
        today.format("%-d"),
        today.format("%-m"),
        today.format("%Y").to_string().parse::<i32>().unwrap() + 543
    );
    let (status, page, _) = admin
        .get(&format!("/console/audit?from={be_today}&to={be_today}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        page.matches("<tr data-entry=").count(),
        entries,
        "all of today"
    );
    let (_, page, _) = admin.get("/console/audit?to=1/1/2560").await;
    assert_eq!(
        page.matches("<tr data-entry=").count(),
        0,
        "none before 2017"
    );
    let (status, page, _) = admin.get("/console/audit?from=31/2/2569").await;
    assert_eq!(status, 422);
    assert!(page.contains("from"), "the field is named: {page}");

    // The chain holds; then an entry is edited behind the application's back.
    let (status, page, _) = admin
        .post("/console/audit/verify", &[("csrf", &csrf)])
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("ห่วงโซ่บันทึกครบถ้วน"), "{page}");
    {
        use diesel::prelude::*;
        use fieldweek::db::schema::audit_log;
        let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
        // The tables' own triggers refuse an edit: an attacker with the database's
        // owner's rights drops them first.
        crate::storage::disable_append_only(&mut conn);
        let first: i64 = audit_log::table
            .select(audit_log::id)
            .order(audit_log::id.asc())
            .first(&mut *conn)
            .unwrap();
        diesel::update(audit_log::table.find(first))
            .set(audit_log::details.eq("{\"forged\":true}"))
            .execute(&mut *conn)
            .unwrap();
    }
    let (status, page, _) = admin
        .post("/console/audit/verify", &[("csrf", &csrf)])
        .await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("ห่วงโซ่บันทึกขาดที่รายการ"), "{page}");
    assert!(
        page.contains("รายการถูกแก้ไขหรือปลอมแปลง") && !page.contains("edited or forged"),
        "why, in Thai: {page}"
    );
    let (status, _, _) = admin.post("/console/audit/verify", &[]).await;
    assert_eq!(status, 403, "the anti-forgery token is needed");
}

/// Bangkok's fixed offset: Thailand keeps no summer time.
fn chrono_tz_bangkok() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(7 * 3600).unwrap()
}

#[tokio::test]
async fn an_administrator_sees_failing_webhook_deliveries_and_retries_one() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|config| {
        config.webhook = Some(fieldweek::config::WebhookConfig {
            url: format!("http://hooks:secret@127.0.0.1:{port}/hook?token=abc"),
            secret: "webhook secret for tests".into(),
            poll_interval: Duration::from_millis(50),
            // Failed deliveries wait long: only "retry now" brings one back soon.
            retry_base: Duration::from_secs(3600),
        });
    })
    .await;
    let volunteer = app.user("vol", Role::Volunteer, "500101").await;
    let filed = file_one(&app, &volunteer).await;
    let grievance_id = filed["id"].as_str().unwrap().to_owned();
    let attempts = || {
        use diesel::prelude::*;
        use fieldweek::db::schema::webhook_outbox;
        let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
        webhook_outbox::table
            .select((webhook_outbox::id, webhook_outbox::attempts))
            .first::<(i64, i64)>(&mut *conn)
            .unwrap()
    };
    let started = Instant::now();
    while attempts().1 == 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "never tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (event_id, tried) = attempts();

    let mut admin = Browser::new(&app);
    admin.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let (status, page, _) = admin.get("/console/outbox").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&format!("<code>http://127.0.0.1:{port}/hook</code>")),
        "the receiver, without its credentials or query: {page}"
    );
    assert!(!page.contains("secret@") && !page.contains("token=abc"));
    assert!(
        page.contains("data-figure=\"waiting\"><span class=\"big\">1</span>"),
        "{page}"
    );
    assert!(
        page.contains("data-figure=\"failing\"><span class=\"big\">1</span>"),
        "{page}"
    );
    let failing = &page[page
        .find("<table class=\"outbox failing\">")
        .expect("failing table")..];
    assert!(failing.contains(&format!("data-event=\"{event_id}\"")));
    assert!(failing.contains("grievance.created"));
    assert!(failing.contains(&format!("/console/grievances/{grievance_id}")));

    let csrf = hidden(&page, "csrf");
    let (status, page, _) = admin
        .post(
            &format!("/console/outbox/{event_id}/retry"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("จะส่งใหม่ในรอบถัดไป"), "{page}");
    let started = Instant::now();
    while attempts().1 == tried {
        assert!(started.elapsed() < Duration::from_secs(30), "not retried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let audited = app.audit_entries("webhook.retry_requested");
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].1.as_deref(), Some(event_id.to_string().as_str()));

    let (status, _, _) = admin
        .post("/console/outbox/999999/retry", &[("csrf", &csrf)])
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = admin
        .post(&format!("/console/outbox/{event_id}/retry"), &[])
        .await;
    assert_eq!(status, 403, "the anti-forgery token is needed");

    app.user("sup", Role::Supervisor, "50").await;
    let mut supervisor = Browser::new(&app);
    supervisor.sign_in("sup", PASSWORD).await;
    let (status, _, _) = supervisor.get("/console/outbox").await;
    assert_eq!(status, 403);
}

/// Debian's chromium, if this machine has it. `.ci/run` installs it and sets
/// `FIELDWEEK_TEST_REQUIRE_CHROMIUM`, so there a missing one fails instead of skipping.
fn chromium() -> Option<std::path::PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|path| path.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("FIELDWEEK_TEST_REQUIRE_CHROMIUM").is_none(),
            "no chromium, and CI requires one"
        );
        eprintln!("no chromium on this machine: the server's PDF is not printed here");
    }
    found
}

#[tokio::test]
async fn an_official_downloads_the_weekly_report_as_a_pdf_printed_by_the_server() {
    let Some(chromium) = chromium() else { return };
    let app = spawn_app_with(|config| config.pdf_chromium = Some(chromium)).await;
    let volunteer = app.user("vol", Role::Volunteer, "500101").await;
    let official = app.user("off", Role::Official, "5001").await;
    let filed = app
        .send_as(
            &volunteer,
            reqwest::Method::POST,
            "/api/v1/visits",
            &crate::visits::visit(&uuid::Uuid::new_v4().to_string()),
        )
        .await;
    assert_eq!(filed.status(), 201);
    let mut browser = Browser::new(&app);
    browser.sign_in("off", PASSWORD).await;
    let (status, page, _) = browser.get("/console/reports/weekly").await;
    assert_eq!(status, 200);
    let href = page
        .split("id=\"report-pdf\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .map(|href| href.split('"').next().unwrap().replace("&amp;", "&"))
        .expect("the report offers its PDF");
    assert!(
        href.starts_with("/console/reports/weekly.pdf?week="),
        "{href}"
    );

    let response = app
        .client
        .get(app.url(&href))
        .header(reqwest::header::COOKIE, browser.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".pdf"));
    let pdf = response.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    assert!(pdf.len() > 10_000, "with pages in it: {} bytes", pdf.len());
    let printed = app.audit_entries("console.report_printed");
    assert_eq!(printed.len(), 1);
    assert_eq!(printed[0].0.as_deref(), Some(official.id.as_str()));
    assert_eq!(printed[0].2["area"], "5001");
    // Chromium's session was closed: only the official's own is left.
    let sessions = {
        use diesel::prelude::*;
        use fieldweek::db::schema::console_sessions;
        let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
        console_sessions::table
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap()
    };
    assert_eq!(sessions, 1);

    // Another province's report is refused before any printing.
    let (status, _, _) = browser.get("/console/reports/weekly.pdf?area=57").await;
    assert_eq!(status, 403);
    assert_eq!(app.audit_entries("console.report_printed").len(), 1);
}

#[tokio::test]
async fn without_chromium_the_pdf_is_refused_plainly_and_tickets_are_not_guessable() {
    let app = spawn_app_with(|config| config.pdf_chromium = None).await;
    app.user("off", Role::Official, "5001").await;
    let mut browser = Browser::new(&app);
    browser.sign_in("off", PASSWORD).await;
    let (_, page, _) = browser.get("/console/reports/weekly").await;
    assert!(
        !page.contains("report-pdf"),
        "no PDF link without a printer"
    );
    let (status, page, _) = browser.get("/console/reports/weekly.pdf").await;
    assert_eq!(status, 503);
    assert!(page.contains("chromium"), "{page}");
    let mut stranger = Browser::new(&app);
    let (status, _, headers) = stranger.get("/console/print/not-a-ticket").await;
    assert_eq!(status, 404);
    assert!(
        headers.get("set-cookie").is_none(),
        "no session for a made-up ticket"
    );
}

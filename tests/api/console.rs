//! The web console through the real server: sign-in and its cookie, sessions ended by
//! sign-out, deactivation and a password change, the anti-forgery token, the volunteer
//! kept out, and the console asking the same policy and workflow as the API.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::Method;
use serde_json::{json, Value};

use crate::grievances::grievance;
use crate::helpers::{spawn_app, TestApp, TestUser};
use fieldweek::domain::Role;

/// A browser: the console's cookies, and the anti-forgery token of its last page.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    /// The server it talks to: the app's, or another node's (`at`).
    base: String,
    cookies: Vec<(String, String)>,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            base: app.address.clone(),
            cookies: Vec::new(),
        }
    }

    /// From now on, talks to the server at `base`, with the same cookies: a load balancer
    /// sending the next request to another node.
    pub(crate) fn at(&mut self, base: &str) {
        self.base = base.to_owned();
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all(SET_COOKIE) {
            let text = header.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    fn has_cookie(&self, name: &str) -> bool {
        self.cookies.iter().any(|(n, _)| n == name)
    }

    pub(crate) async fn get(&mut self, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let response = self
            .app
            .client
            .get(self.url(path))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, response.text().await.unwrap(), headers)
    }

    pub(crate) async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String, reqwest::header::HeaderMap) {
        let response = self
            .app
            .client
            .post(self.url(path))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, response.text().await.unwrap(), headers)
    }

    /// Sends a form with a file, as a browser's upload does.
    pub(crate) async fn post_multipart(
        &mut self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> (u16, Vec<u8>, reqwest::header::HeaderMap) {
        let response = self
            .app
            .client
            .post(self.url(path))
            .header(COOKIE, self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, response.bytes().await.unwrap().to_vec(), headers)
    }

    /// Signs in through the form; answers the status of the form's POST.
    pub(crate) async fn sign_in(&mut self, username: &str, password: &str) -> (u16, String) {
        let (_, page, _) = self.get("/console/login").await;
        let csrf = hidden(&page, "csrf");
        let (status, body, headers) = self
            .post(
                "/console/login",
                &[
                    ("username", username),
                    ("password", password),
                    ("csrf", &csrf),
                    ("next", "/console/"),
                ],
            )
            .await;
        let location = headers
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        (status, location.unwrap_or(body))
    }
}

/// The value of the first hidden input named `name`.
pub(crate) fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

pub(crate) async fn file_one(app: &TestApp, volunteer: &TestUser) -> Value {
    let id = uuid::Uuid::new_v4().to_string();
    let response = app
        .send_as(
            volunteer,
            Method::POST,
            "/api/v1/grievances",
            &grievance(&id),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_supervisor_signs_in_with_a_strict_cookie_and_a_volunteer_is_kept_out() {
    let app = spawn_app().await;
    app.user_named("sup", "สมหญิง หัวหน้า", Role::Supervisor, "50")
        .await;
    app.user("vol", Role::Volunteer, "500101").await;

    let mut anonymous = Browser::new(&app);
    let (status, _, headers) = anonymous.get("/").await;
    assert_eq!(
        (status, headers[LOCATION].to_str().unwrap()),
        (303, "/console/")
    );
    let (status, _, headers) = anonymous.get("/console/grievances?view=overdue").await;
    assert_eq!(status, 303);
    assert!(headers[LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/console/login"));

    let mut wrong = Browser::new(&app);
    let (status, page) = wrong.sign_in("sup", "not the password").await;
    assert_eq!(status, 401);
    assert!(page.contains("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"), "{page}");
    assert!(!wrong.has_cookie("fw_session"));

    let mut supervisor = Browser::new(&app);
    let (_, login_page, headers) = supervisor.get("/console/login").await;
    assert!(login_page.contains("lang=\"th\""));
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    let csrf = hidden(&login_page, "csrf");
    let response = app
        .client
        .post(app.url("/console/login"))
        .header(COOKIE, supervisor.cookie_header())
        .form(&[
            ("username", "sup"),
            ("password", crate::helpers::PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let session_cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|h| h.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("fw_session="))
        .expect("a session cookie");
    assert!(
        session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Strict"),
        "{session_cookie}"
    );
    supervisor.keep_cookies(&response);
    let (status, queue, headers) = supervisor.get("/console/").await;
    assert_eq!(status, 200);
    assert!(queue.contains("คิวเรื่องร้องทุกข์") && queue.contains("สมหญิง หัวหน้า"));
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        app.audit_entries("auth.login").last().unwrap().2["via"],
        "console"
    );

    let mut volunteer = Browser::new(&app);
    let (status, page) = volunteer.sign_in("vol", crate::helpers::PASSWORD).await;
    assert_eq!(status, 403);
    assert!(page.contains("อาสาสมัคร"), "{page}");
    assert!(!volunteer.has_cookie("fw_session"));
}

#[tokio::test]
async fn sign_out_deactivation_and_a_password_change_each_end_a_console_session() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let official = app.user("off", Role::Official, "50").await;

    // Sign-out, with the page's token.
    let mut browser = Browser::new(&app);
    browser.sign_in("sup", crate::helpers::PASSWORD).await;
    let (_, page, _) = browser.get("/console/deadlines").await;
    let old_cookies = browser.cookie_header();
    let csrf = hidden(&page, "csrf");
    let (status, _, headers) = browser.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(
        (status, headers[LOCATION].to_str().unwrap()),
        (303, "/console/login?out=1")
    );
    let replay = app
        .client
        .get(app.url("/console/deadlines"))
        .header(COOKIE, old_cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 303, "a signed-out cookie opens nothing");

    // Deactivation by an admin.
    let mut browser = Browser::new(&app);
    browser.sign_in("off", crate::helpers::PASSWORD).await;
    assert_eq!(browser.get("/console/grievances").await.0, 200);
    let response = app
        .send_as(
            &admin,
            Method::PATCH,
            &format!("/api/v1/users/{}", official.id),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(browser.get("/console/grievances").await.0, 303);

    // A password change, through the API.
    let mut browser = Browser::new(&app);
    browser.sign_in("sup", crate::helpers::PASSWORD).await;
    assert_eq!(browser.get("/console/grievances").await.0, 200);
    let response = app
        .send_as(
            &supervisor,
            Method::PUT,
            "/api/v1/me/password",
            &json!({"current_password": crate::helpers::PASSWORD, "new_password": "a brand new passphrase 2570"}),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(browser.get("/console/grievances").await.0, 303);
}

#[tokio::test]
async fn a_session_idle_too_long_is_over() {
    let app = crate::helpers::spawn_app_with(|config| config.console_idle_minutes = 1).await;
    app.user("sup", Role::Supervisor, "50").await;
    let mut browser = Browser::new(&app);
    browser.sign_in("sup", crate::helpers::PASSWORD).await;
    assert_eq!(browser.get("/console/grievances").await.0, 200);
    // Move the session's last use two minutes back, as if the browser sat idle.
    {
        use diesel::prelude::*;
        use fieldweek::db::schema::console_sessions;
        let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
        let earlier = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(2);
        diesel::update(console_sessions::table)
            .set(console_sessions::last_seen_at.eq(earlier))
            .execute(&mut conn)
            .unwrap();
    }
    assert_eq!(browser.get("/console/grievances").await.0, 303);
}

#[tokio::test]
async fn a_form_without_the_sessions_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "500101").await;
    app.user("sup", Role::Supervisor, "50").await;
    let filed = file_one(&app, &volunteer).await;
    let id = filed["id"].as_str().unwrap();

    let mut browser = Browser::new(&app);
    browser.sign_in("sup", crate::helpers::PASSWORD).await;
    let path = format!("/console/grievances/{id}/actions");
    let (status, page, _) = browser.post(&path, &[("action", "accept")]).await;
    assert_eq!(status, 403);
    assert!(page.contains("แบบฟอร์มนี้หมดอายุ"), "{page}");
    let (status, _, _) = browser
        .post(&path, &[("action", "accept"), ("csrf", "forged")])
        .await;
    assert_eq!(status, 403);
    let (_, body) = app
        .get_as(&volunteer, &format!("/api/v1/grievances/{id}"))
        .await;
    assert_eq!(body["status"], "submitted");

    // With the token, the same action goes through the workflow.
    let (_, case, _) = browser.get(&format!("/console/grievances/{id}")).await;
    let csrf = hidden(&case, "csrf");
    let (status, page, _) = browser
        .post(
            &path,
            &[("action", "accept"), ("csrf", &csrf), ("version", "1")],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("รับเรื่องแล้ว"));
    let (_, body) = app
        .get_as(&volunteer, &format!("/api/v1/grievances/{id}"))
        .await;
    assert_eq!(body["status"], "accepted");
}

#[tokio::test]
async fn the_second_of_two_supervisors_is_told_the_case_changed_meanwhile() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "500101").await;
    app.user("sup1", Role::Supervisor, "50").await;
    app.user("sup2", Role::Supervisor, "50").await;
    let id = file_one(&app, &volunteer).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (mut first, mut second) = (Browser::new(&app), Browser::new(&app));
    first.sign_in("sup1", crate::helpers::PASSWORD).await;
    second.sign_in("sup2", crate::helpers::PASSWORD).await;
    let case = format!("/console/grievances/{id}");
    let (_, page_one, _) = first.get(&case).await;
    let (_, page_two, _) = second.get(&case).await;
    let version = hidden(&page_two, "version");
    let actions = format!("{case}/actions");
    let (status, _, _) = first
        .post(
            &actions,
            &[
                ("action", "accept"),
                ("csrf", &hidden(&page_one, "csrf")),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let (status, page, _) = second
        .post(
            &actions,
            &[
                ("action", "set_priority"),
                ("priority", "urgent"),
                ("csrf", &hidden(&page_two, "csrf")),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(status, 412);
    assert!(page.contains("ถูกแก้ไขโดยผู้อื่น"), "{page}");
    assert!(page.contains("รับเรื่องแล้ว"), "the page shows the new state");
    let (_, body) = app
        .get_as(&volunteer, &format!("/api/v1/grievances/{id}"))
        .await;
    assert_eq!(
        (body["status"].as_str(), body["priority"].as_str()),
        (Some("accepted"), Some("high"))
    );
}

#[tokio::test]
async fn the_console_shows_no_grievance_the_api_would_hide_and_reveals_personal_data_only_on_request(
) {
    let app = spawn_app().await;
    let in_area = app.user("vol", Role::Volunteer, "500101").await;
    let elsewhere = app.user("vol2", Role::Volunteer, "900101").await;
    app.user("sup", Role::Supervisor, "50").await;
    let ours = file_one(&app, &in_area).await;
    let mut theirs = grievance(&uuid::Uuid::new_v4().to_string());
    theirs["location"] = json!({"lat": 7.19755, "lon": 100.59519, "accuracy_m": 8.0});
    theirs["title"] = json!("เรื่องในสงขลา");
    let response = app
        .send_as(&elsewhere, Method::POST, "/api/v1/grievances", &theirs)
        .await;
    assert_eq!(response.status(), 201);
    let theirs: Value = response.json().await.unwrap();

    let mut browser = Browser::new(&app);
    browser.sign_in("sup", crate::helpers::PASSWORD).await;
    let (_, queue, _) = browser.get("/console/grievances?view=all").await;
    assert!(queue.contains(ours["id"].as_str().unwrap()));
    assert!(!queue.contains("เรื่องในสงขลา"));
    let (status, _, _) = browser
        .get(&format!(
            "/console/grievances/{}",
            theirs["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 404);
    // A wider area than one's own is refused, as the API refuses it.
    assert_eq!(browser.get("/console/grievances?area=90").await.0, 403);

    // Masked by default; the reveal is an explicit, audited click.
    let case = format!("/console/grievances/{}", ours["id"].as_str().unwrap());
    let (_, page, _) = browser.get(&case).await;
    assert!(
        page.contains("******5678") && !page.contains("+66812345678"),
        "masked"
    );
    assert!(app.audit_entries("grievance.personal_data_read").is_empty());
    let (status, page, _) = browser
        .post(
            &format!("{case}/reveal"),
            &[("csrf", &hidden(&page, "csrf"))],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("+66812345678"));
    assert_eq!(app.audit_entries("grievance.personal_data_read").len(), 1);
}

#[tokio::test]
async fn a_bulk_action_reports_each_cases_outcome_and_exports_follow_the_filter() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "500101").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let official = app
        .user_named("off", "สมชาย เจ้าหน้าที่", Role::Official, "50")
        .await;
    let a = file_one(&app, &volunteer).await;
    let b = file_one(&app, &volunteer).await;
    // One accepted first: assign works on it; the other is still submitted and fails.
    let response = app
        .send_as(
            &supervisor,
            Method::POST,
            &format!(
                "/api/v1/grievances/{}/transitions",
                a["id"].as_str().unwrap()
            ),
            &json!({"action": "accept"}),
        )
        .await;
    assert_eq!(response.status(), 200);

    let mut browser = Browser::new(&app);
    browser.sign_in("sup", crate::helpers::PASSWORD).await;
    let (_, queue, _) = browser.get("/console/grievances?view=unassigned").await;
    let csrf = hidden(&queue, "csrf");
    let filter = hidden(&queue, "filter");
    let (status, page, _) = browser
        .post(
            "/console/grievances/bulk",
            &[
                ("csrf", &csrf),
                ("filter", &filter),
                ("scope", "matching"),
                ("action", "assign"),
                ("assignee_id", &official.id),
            ],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page.matches("<tr class=\"ok\"").count(), 1, "{page}");
    assert_eq!(page.matches("<tr class=\"bad\"").count(), 1, "{page}");
    let (_, body) = app
        .get_as(
            &supervisor,
            &format!("/api/v1/grievances/{}", a["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(body["assignee_id"], json!(official.id));
    let (_, body) = app
        .get_as(
            &supervisor,
            &format!("/api/v1/grievances/{}", b["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(body["status"], "submitted");

    // The export of a filter holds exactly its grievances, in Thai.
    let (status, csv, _) = browser
        .get("/console/grievances/export.csv?view=all&status=submitted")
        .await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "รหัสเรื่อง");
    let ids: Vec<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
    assert_eq!(ids, vec![b["id"].as_str().unwrap().to_owned()]);
    assert!(
        !csv.contains("5678") || csv.contains("******"),
        "personal data stays masked"
    );
}

#[tokio::test]
async fn english_is_remembered_and_dates_are_buddhist_era_in_bangkok() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "500101").await;
    app.user("sup", Role::Supervisor, "50").await;
    let filed = file_one(&app, &volunteer).await;
    let mut browser = Browser::new(&app);
    browser.sign_in("sup", crate::helpers::PASSWORD).await;
    let (status, _, headers) = browser
        .get("/console/language/en?next=%2Fconsole%2Fdeadlines")
        .await;
    assert_eq!(
        (status, headers[LOCATION].to_str().unwrap()),
        (303, "/console/deadlines")
    );
    let (_, page, _) = browser.get("/console/grievances?view=all").await;
    assert!(page.contains("lang=\"en\"") && page.contains("Grievance queue"));
    let reported: chrono::DateTime<chrono::Utc> =
        filed["reported_at"].as_str().unwrap().parse().unwrap();
    let bangkok = reported.with_timezone(&chrono_tz::Asia::Bangkok);
    use chrono::Datelike;
    assert!(
        page.contains(&format!("{} BE", bangkok.year() + 543)),
        "{page}"
    );
    // Only the console's own paths are followed back: no open redirect.
    let (_, _, headers) = browser
        .get("/console/language/th?next=https%3A%2F%2Fevil.example")
        .await;
    assert_eq!(headers[LOCATION], "/console/");
}

/// The count each tab shows, from the queue page.
fn tab_counts(page: &str) -> Vec<(String, i64)> {
    page.split("data-tab=\"")
        .skip(1)
        .map(|rest| {
            let name = rest.split('"').next().unwrap().to_owned();
            let count = rest
                .split("<span class=\"count\">")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            (name, count)
        })
        .collect()
}

#[tokio::test]
async fn each_tabs_count_is_what_the_api_counts_for_the_same_filter() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "500101").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    // One past its deadline (reported three days ago, urgent), one fresh, one taken on
    // and assigned to the supervisor, one in another category.
    let mut late = grievance(&uuid::Uuid::new_v4().to_string());
    late["priority"] = json!("urgent");
    late["reported_at"] = json!((chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339());
    assert_eq!(
        app.send_as(&volunteer, Method::POST, "/api/v1/grievances", &late)
            .await
            .status(),
        201
    );
    file_one(&app, &volunteer).await;
    let mine = file_one(&app, &volunteer).await;
    let mine = mine["id"].as_str().unwrap();
    for action in [
        json!({"action": "accept"}),
        json!({"action": "assign", "assignee_id": supervisor.id}),
    ] {
        let path = format!("/api/v1/grievances/{mine}/transitions");
        assert_eq!(
            app.send_as(&supervisor, Method::POST, &path, &action)
                .await
                .status(),
            200
        );
    }
    let mut other = grievance(&uuid::Uuid::new_v4().to_string());
    other["category"] = json!("debt");
    assert_eq!(
        app.send_as(&volunteer, Method::POST, "/api/v1/grievances", &other)
            .await
            .status(),
        201
    );

    let mut browser = Browser::new(&app);
    browser.sign_in("sup", crate::helpers::PASSWORD).await;
    let open = "submitted,accepted,assigned,in_progress,referred";
    for filter in [
        "",
        "category=elderly",
        "status=submitted",
        "priority=urgent&due=overdue",
    ] {
        let (_, page, _) = browser.get(&format!("/console/grievances?{filter}")).await;
        let counts = tab_counts(&page);
        assert_eq!(counts.len(), 6, "{page}");
        for (tab, count) in counts {
            // Each tab as the API's own filter: it overrides what it narrows.
            let with = |extra: &str| format!("{filter}&{extra}");
            let query = match tab.as_str() {
                "open" if !filter.contains("status=") => with(&format!("status={open}")),
                "overdue" => with("due=overdue").replace("due=overdue&due=overdue", "due=overdue"),
                "due_soon" => with("due=due_soon").replace("due=overdue&", ""),
                "unassigned" if !filter.contains("status=") => {
                    with(&format!("assignee=none&status={open}"))
                }
                "unassigned" => with("assignee=none"),
                "mine" => with("assignee=me"),
                _ => filter.to_owned(),
            };
            let (status, body) = app
                .get_as(
                    &supervisor,
                    &format!("/api/v1/grievances?count=true&limit=1&{query}"),
                )
                .await;
            assert_eq!(status, 200, "{query}: {body}");
            assert_eq!(
                count,
                body["total"].as_i64().unwrap(),
                "tab {tab} under {filter:?} ({query})"
            );
        }
    }
}

/// The figures of a dashboard card, in page order, as (label, value).
fn figures(page: &str) -> Vec<(String, String)> {
    page.split("<a class=\"card")
        .skip(1)
        .map(|card| {
            let value = card
                .split("<span class=\"big\">")
                .nth(1)
                .and_then(|rest| rest.split("</span>").next())
                .unwrap_or_default()
                .to_owned();
            let label = card
                .split("</span>")
                .nth(1)
                .and_then(|rest| rest.split("</a>").next())
                .unwrap_or_default()
                .trim()
                .to_owned();
            (label, value)
        })
        .collect()
}

#[tokio::test]
async fn an_officials_dashboard_shows_the_apis_weekly_figures_within_its_area() {
    let app = spawn_app().await;
    let official = app.user("off.cm", Role::Official, "50").await;
    let volunteer = app.user("vol.cm", Role::Volunteer, "500101").await;
    for _ in 0..3 {
        let id = uuid::Uuid::new_v4().to_string();
        crate::visits::file_ok(&app, &volunteer, &crate::visits::visit(&id)).await;
    }
    file_one(&app, &volunteer).await;
    let (_, report) = app.get_as(&official, "/api/v1/reports/weekly").await;

    let mut browser = Browser::new(&app);
    browser.sign_in("off.cm", crate::helpers::PASSWORD).await;
    let (status, page, _) = browser.get("/console/dashboard").await;
    assert_eq!(status, 200, "{page}");
    let shown = figures(&page);
    let value = |label: &str| {
        shown
            .iter()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("no {label} in {shown:?}"))
            .1
            .clone()
    };
    assert_eq!(
        value("การลงพื้นที่ (ครั้ง)"),
        report["visits"]["total"].to_string()
    );
    assert_eq!(
        value("ครัวเรือนที่เยี่ยม"),
        report["visits"]["households_visited"].to_string()
    );
    assert_eq!(
        value("เรื่องร้องทุกข์ใหม่"),
        report["grievances"]["new"].to_string()
    );
    assert_eq!(
        value("ผู้ปฏิบัติงานที่ลงพื้นที่"),
        format!(
            "{} / {}",
            report["field_workers"]["active"], report["field_workers"]["registered"]
        )
    );
    assert!(page.contains(report["label_th"].as_str().unwrap()));
    assert!(page.contains("data-area=\"5001\""), "the district's row");

    // Drilled down; another province refused; a figure's visits listed without review.
    let (status, district, _) = browser.get("/console/dashboard?area=5001").await;
    assert_eq!(status, 200);
    assert!(district.contains("data-area=\"500101\""));
    let (status, _, _) = browser.get("/console/dashboard?area=57").await;
    assert_eq!(status, 403);
    let (status, _, _) = browser.get("/console/dashboard?week=2569-W49").await;
    assert_eq!(status, 422, "a Buddhist-Era week is named, not guessed");
    let week = report["week"].as_str().unwrap();
    let (status, visits, _) = browser
        .get(&format!(
            "/console/visits?area=50&week={week}&target_group=elderly"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(visits.matches("<article class=\"visit\"").count(), 3);
    assert!(
        !visits.contains("class=\"review\""),
        "officials do not review"
    );
    let (status, _, _) = browser.get("/console/visits").await;
    assert_eq!(status, 403, "the review queue stays the supervisors'");

    // The printed report: the same figures and the overdue list.
    let (status, printed, _) = browser.get("/console/reports/weekly").await;
    assert_eq!(status, 200);
    assert!(printed.contains("รายงานผลการลงพื้นที่ประจำสัปดาห์"));
    assert!(printed.contains("data-print"));
}

#[tokio::test]
async fn an_account_whose_password_was_reset_must_choose_its_own_in_the_console() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let supervisor = app.user("sup.cm", Role::Supervisor, "50").await;
    let response = app
        .send_as(
            &admin,
            Method::POST,
            &format!("/api/v1/users/{}/password", supervisor.id),
            &json!({"new_password": "given by the admin"}),
        )
        .await;
    assert_eq!(response.status(), 204);

    let mut browser = Browser::new(&app);
    let (status, _) = browser.sign_in("sup.cm", "given by the admin").await;
    assert_eq!(status, 303);
    let (status, _, headers) = browser.get("/console/grievances").await;
    assert_eq!(status, 303);
    assert_eq!(headers[LOCATION], "/console/password");
    let (status, form, _) = browser.get("/console/password").await;
    assert_eq!(status, 200);
    assert!(form.contains("รหัสผ่านของท่านถูกตั้งโดยผู้อื่น"));
    let csrf = hidden(&form, "csrf");
    let (status, page, _) = browser
        .post(
            "/console/password",
            &[
                ("current_password", "given by the admin"),
                ("new_password", "my own passphrase"),
                ("repeat_password", "not the same one"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("ไม่ตรงกัน"));
    let (status, _, headers) = browser
        .post(
            "/console/password",
            &[
                ("current_password", "given by the admin"),
                ("new_password", "my own passphrase"),
                ("repeat_password", "my own passphrase"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(headers[LOCATION], "/console/login?changed=1");
    let (status, _) = browser.sign_in("sup.cm", "my own passphrase").await;
    assert_eq!(status, 303);
    let (status, _, _) = browser.get("/console/grievances").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_supervisor_sets_a_volunteers_plan_in_the_console_and_the_area_rolls_it_up() {
    let app = spawn_app().await;
    app.user("sup.cm", Role::Supervisor, "50").await;
    app.user("off.cm", Role::Official, "50").await;
    let volunteer = app.user("vol.cm", Role::Volunteer, "500101").await;
    let year = fieldweek::domain::FiscalYear::containing_instant(chrono::Utc::now()).unwrap();

    let mut browser = Browser::new(&app);
    browser.sign_in("sup.cm", crate::helpers::PASSWORD).await;
    let (status, page, _) = browser.get("/console/plans").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&format!("data-user=\"{}\"", volunteer.id)));
    let csrf = hidden(&page, "csrf");
    let path = format!("/console/plans/{}/users/{}", year.be(), volunteer.id);
    let plan = |days: &'static str| {
        vec![
            ("weekly_field_days", days),
            ("visits_target", "120"),
            ("households_target", "300"),
            ("grievances_resolved_target", "10"),
            ("area", "50"),
        ]
    };
    let mut refused = plan("9");
    refused.push(("csrf", &csrf));
    let (status, page, _) = browser.post(&path, &refused).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("<li>weekly_field_days: "),
        "the broken field is named: {page}"
    );
    let mut good = plan("3");
    good.push(("csrf", &csrf));
    let (status, page, _) = browser.post(&path, &good).await;
    assert_eq!(status, 200);
    assert!(page.contains("บันทึกแผนแล้ว"));
    let (_, progress) = app
        .get_as(&volunteer, &format!("/api/v1/plans/{}/progress", year.be()))
        .await;
    assert_eq!(progress["plan"]["targets"]["visits_target"], 120);
    assert_eq!(app.audit_entries("plan.set").len(), 1);

    // An official reads the same page without the forms; the volunteer has no console.
    let mut official = Browser::new(&app);
    official.sign_in("off.cm", crate::helpers::PASSWORD).await;
    let (status, page, _) = official.get("/console/plans").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("เป้าหมายการลงพื้นที่ (ครั้ง/ปี) 120"),
        "the set target shows in the area's totals: {page}"
    );
    assert!(!page.contains("class=\"plan-form\""));
}

#[tokio::test]
async fn a_supervisor_finds_deactivates_moves_and_resets_accounts_of_its_area() {
    let app = spawn_app().await;
    app.user("sup.cm", Role::Supervisor, "50").await;
    app.user("off.cm", Role::Official, "50").await;
    let volunteer = app
        .user_named("vol.somsri", "สมศรี ใจงาม", Role::Volunteer, "500101")
        .await;
    app.user_named("vol.other", "บุญมา ทองดี", Role::Volunteer, "5002")
        .await;

    let mut browser = Browser::new(&app);
    browser.sign_in("sup.cm", crate::helpers::PASSWORD).await;
    let (status, page, _) = browser
        .get("/console/users?q=%E0%B8%AA%E0%B8%A1%E0%B8%A8%E0%B8%A3%E0%B8%B5")
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page.matches("<tr data-user=").count(),
        1,
        "found by a part of the name"
    );
    assert!(page.contains(&volunteer.id));
    let (_, page, _) = browser.get("/console/users?q=SOMSRI").await;
    assert_eq!(
        page.matches("<tr data-user=").count(),
        1,
        "and by the username, any case"
    );
    let csrf = hidden(&page, "csrf");
    let path = format!("/console/users/{}", volunteer.id);

    let (status, page, _) = browser
        .post(
            &path,
            &[("action", "move"), ("area_code", "5002"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("ย้ายพื้นที่แล้ว"));
    let (status, page, _) = browser
        .post(
            &path,
            &[("action", "move"), ("area_code", "57"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        status, 422,
        "not out of one's own area (the API names area_code)"
    );
    assert!(
        page.contains("area_code"),
        "the refused field is named: {page}"
    );
    let (status, page, _) = browser
        .post(&path, &[("action", "reset"), ("csrf", &csrf)])
        .await;
    assert_eq!(status, 200);
    let marker = "(แสดงครั้งเดียว แจ้งเจ้าของบัญชี ต้องเปลี่ยนเมื่อเข้าสู่ระบบ): ";
    let start = page.find(marker).expect("the one-time password is shown") + marker.len();
    let temporary: String = page[start..].chars().take(19).collect();
    let login: Value = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "vol.somsri", "password": temporary}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["password_change_required"], true, "{login}");
    assert_eq!(login["user"]["area_code"], "5002");
    let (status, _, _) = browser
        .post(&path, &[("action", "deactivate"), ("csrf", &csrf)])
        .await;
    assert_eq!(status, 200);
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "vol.somsri", "password": temporary}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "deactivated");
    let (_, page, _) = browser.get("/console/users?active=false").await;
    assert_eq!(page.matches("<tr data-user=").count(), 1);
    assert_eq!(app.audit_entries("user.updated").len(), 2);
    assert_eq!(app.audit_entries("user.password_reset").len(), 1);

    // Officials read no accounts screen.
    let mut official = Browser::new(&app);
    official.sign_in("off.cm", crate::helpers::PASSWORD).await;
    let (status, _, _) = official.get("/console/users").await;
    assert_eq!(status, 403);
}

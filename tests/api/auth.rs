//! Login, tokens, rotation, throttling and the rules of every token check.

use chrono::Utc;
use fieldweek::domain::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, capture_warnings, spawn_app, spawn_app_with, warnings_of, TestApp, TestUser,
    JWT_SECRET, PASSWORD,
};

async fn login_attempt(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

async fn refresh(app: &TestApp, refresh_token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .unwrap()
}

/// Sends `request` under a request id of its own, with warnings captured: the answer
/// and the id.
async fn traced(request: reqwest::RequestBuilder) -> (reqwest::Response, String) {
    capture_warnings();
    let id = uuid::Uuid::new_v4().to_string();
    (
        request.header("x-request-id", &id).send().await.unwrap(),
        id,
    )
}

/// The one security event the request `id` logged, which must be `event`. (A 403 also
/// has its request line logged at warn; that line names no event.)
fn security_warning(id: &str, event: &str) -> Value {
    let mut lines: Vec<Value> = warnings_of(id)
        .into_iter()
        .filter(|line| line.get("event").is_some())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = lines.remove(0);
    assert_eq!(line["level"], "WARN", "{line}");
    assert_eq!(line["event"], event, "{line}");
    line
}

fn login_request(app: &TestApp, username: &str, password: &str) -> reqwest::RequestBuilder {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": username, "password": password }))
}

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.client
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn login_returns_a_token_pair_and_the_user() {
    let app = spawn_app().await;
    let response = login_attempt(&app, "ADMIN", crate::helpers::ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 200, "usernames ignore letter case");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 40);
    let user = &body["user"];
    assert_eq!(user["role"], "admin");
    assert_eq!(user["area_code"], "TH");
    assert!(user.get("password_hash").is_none());
    assert_eq!(
        me_status(&app, body["access_token"].as_str().unwrap()).await,
        200
    );

    let logins = app.audit_entries("auth.login");
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].0.as_deref(), user["id"].as_str());
}

#[tokio::test]
async fn unknown_user_and_wrong_password_look_the_same() {
    let app = spawn_app().await;
    let wrong = assert_problem(
        login_attempt(&app, "admin", "not the password").await,
        401,
        "invalid_credentials",
    )
    .await;
    let unknown = assert_problem(
        login_attempt(&app, "nobody", "not the password").await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(wrong, unknown);
    let failures = app.audit_entries("auth.login_failed");
    let reasons: Vec<&str> = failures
        .iter()
        .map(|f| f.2["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["wrong_password", "unknown_username"]);
}

#[tokio::test]
async fn a_username_is_locked_after_five_failures_in_fifteen_minutes() {
    let app = spawn_app().await;
    let user = app.user("somchai", Role::Volunteer, "500101").await;
    for _ in 0..5 {
        assert_eq!(
            login_attempt(&app, "somchai", "wrong password!")
                .await
                .status(),
            401
        );
    }
    // Even the right password is refused now.
    let (response, request_id) = traced(login_request(&app, "somchai", &user.password)).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_problem(response, 429, "too_many_requests").await;
    // Operators see the lockout, with the username only as a hash.
    use sha2::Digest;
    let line = security_warning(&request_id, "login_locked_out");
    assert_eq!(line["locked"], "username");
    let hash = sha2::Sha256::digest(b"somchai");
    assert_eq!(line["username_hash"], hex::encode(&hash[..8]));
    assert_eq!(line["retry_after_secs"], retry_after);
    let text = line.to_string();
    assert!(
        !text.contains("somchai") && !text.contains(&user.password),
        "{text}"
    );
    // Other usernames from the same address are unaffected.
    assert_eq!(
        login_attempt(&app, "admin", crate::helpers::ADMIN_PASSWORD)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_success_clears_the_username_count() {
    let app = spawn_app().await;
    app.user("malee", Role::Volunteer, "500101").await;
    for round in 0..2 {
        for _ in 0..4 {
            assert_eq!(
                login_attempt(&app, "malee", "wrong password!")
                    .await
                    .status(),
                401,
                "round {round}"
            );
        }
        assert_eq!(
            login_attempt(&app, "malee", PASSWORD).await.status(),
            200,
            "round {round}"
        );
    }
}

#[tokio::test]
async fn a_client_address_is_locked_after_fifty_failures() {
    let app = spawn_app().await;
    // Fifty failures spread over many usernames, so no single username locks.
    for n in 0..50 {
        let response = login_attempt(&app, &format!("guess{}", n % 25), "wrong password!").await;
        assert_eq!(response.status(), 401, "attempt {n}");
    }
    let (response, request_id) =
        traced(login_request(&app, "admin", crate::helpers::ADMIN_PASSWORD)).await;
    assert_problem(response, 429, "too_many_requests").await;
    let line = security_warning(&request_id, "login_locked_out");
    assert_eq!(line["locked"], "address");
    assert_eq!(line["client_addr"], "127.0.0.1");
    assert!(!line.to_string().contains(crate::helpers::ADMIN_PASSWORD));
}

#[tokio::test]
async fn a_disabled_account_is_told_so_only_with_the_right_password() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user("wichai", Role::Official, "50").await;
    let response = app
        .send_as(
            &admin,
            Method::PATCH,
            &format!("/api/v1/users/{}", user.id),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let (response, request_id) = traced(login_request(&app, "wichai", PASSWORD)).await;
    assert_problem(response, 403, "account_disabled").await;
    let line = security_warning(&request_id, "login_account_disabled");
    assert_eq!(line["user"], user.id.as_str());
    assert_problem(
        login_attempt(&app, "wichai", "wrong password!").await,
        401,
        "invalid_credentials",
    )
    .await;
}

fn forge(claims: Value, algorithm: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// The login a real access token belongs to (its `sid` claim).
fn login_id(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&payload).unwrap();
    claims["sid"].as_str().unwrap().to_owned()
}

fn claims(user: &TestUser, overrides: Value) -> Value {
    let now = Utc::now().timestamp();
    let mut claims = json!({
        "iss": "fieldweek", "aud": "fieldweek-api", "sub": user.id,
        "iat": now, "exp": now + 600, "ver": 0, "sid": login_id(&user.token),
    });
    for (key, value) in overrides.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(key);
        } else {
            claims[key] = value.clone();
        }
    }
    claims
}

#[tokio::test]
async fn a_forged_access_token_is_logged_without_the_token() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let forged = forge(
        claims(&admin, json!({})),
        Algorithm::HS256,
        "another secret of at least 32 bytes!!",
    );
    let (response, request_id) =
        traced(app.client.get(app.url("/api/v1/me")).bearer_auth(&forged)).await;
    assert_problem(response, 401, "unauthenticated").await;
    let line = security_warning(&request_id, "access_token_invalid");
    assert_eq!(line["reason"], "InvalidSignature");
    assert!(!line.to_string().contains(&forged));
}

#[tokio::test]
async fn every_bad_token_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let now = Utc::now().timestamp();
    let good = forge(claims(&admin, json!({})), Algorithm::HS256, JWT_SECRET);
    assert_eq!(
        me_status(&app, &good).await,
        200,
        "a well-formed token is accepted"
    );

    let expired = forge(
        claims(&admin, json!({"iat": now - 3600, "exp": now - 1800})),
        Algorithm::HS256,
        JWT_SECRET,
    );
    let response = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&expired)
        .send()
        .await
        .unwrap();
    assert_problem(response, 401, "token_expired").await;

    let cases = [
        (
            "forged",
            forge(
                claims(&admin, json!({})),
                Algorithm::HS256,
                "another secret of at least 32 bytes!!",
            ),
        ),
        (
            "wrong audience",
            forge(
                claims(&admin, json!({"aud": "other-api"})),
                Algorithm::HS256,
                JWT_SECRET,
            ),
        ),
        (
            "wrong issuer",
            forge(
                claims(&admin, json!({"iss": "someone-else"})),
                Algorithm::HS256,
                JWT_SECRET,
            ),
        ),
        (
            "no iat",
            forge(
                claims(&admin, json!({"iat": null})),
                Algorithm::HS256,
                JWT_SECRET,
            ),
        ),
        (
            "no exp",
            forge(
                claims(&admin, json!({"exp": null})),
                Algorithm::HS256,
                JWT_SECRET,
            ),
        ),
        (
            "HS512",
            forge(claims(&admin, json!({})), Algorithm::HS512, JWT_SECRET),
        ),
        (
            "no login",
            forge(
                claims(&admin, json!({"sid": null})),
                Algorithm::HS256,
                JWT_SECRET,
            ),
        ),
        (
            "unknown login",
            forge(
                claims(&admin, json!({"sid": "no-such-login"})),
                Algorithm::HS256,
                JWT_SECRET,
            ),
        ),
        (
            "old version",
            forge(
                claims(&admin, json!({"ver": -1})),
                Algorithm::HS256,
                JWT_SECRET,
            ),
        ),
        (
            "unknown user",
            forge(
                claims(&admin, json!({"sub": "no-such-user"})),
                Algorithm::HS256,
                JWT_SECRET,
            ),
        ),
        ("alg none", alg_none(&claims(&admin, json!({})))),
        ("garbage", "not.a.jwt".into()),
    ];
    for (name, token) in cases {
        let response = app
            .client
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "unauthenticated", "{name}: {body}");
    }
    for header in ["", "Bearer", "Basic YWRtaW46eA==", "Bearer    "] {
        let response = app
            .client
            .get(app.url("/api/v1/me"))
            .header("Authorization", header)
            .send()
            .await
            .unwrap();
        assert_problem(response, 401, "unauthenticated").await;
    }
}

/// A token that claims no signature at all.
fn alg_none(claims: &Value) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_login() {
    let app = spawn_app().await;
    let user = app.user("nok", Role::Volunteer, "500101").await;

    let first = refresh(&app, &user.refresh_token).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let second_token = first["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_token, user.refresh_token);
    assert_eq!(
        me_status(&app, first["access_token"].as_str().unwrap()).await,
        200
    );

    // The spent token again: refused, and the family dies with it.
    let (response, request_id) = traced(
        app.client
            .post(app.url("/api/v1/auth/refresh"))
            .json(&json!({ "refresh_token": user.refresh_token })),
    )
    .await;
    assert_problem(response, 401, "unauthenticated").await;
    let line = security_warning(&request_id, "refresh_token_reused");
    assert_eq!(line["user"], user.id.as_str());
    assert_eq!(line["login"], login_id(&user.token));
    let text = line.to_string();
    assert!(!text.contains(&user.refresh_token) && !text.contains(&second_token));
    assert_problem(refresh(&app, &second_token).await, 401, "unauthenticated").await;
    let reuse = app.audit_entries("auth.refresh_reuse");
    assert_eq!(reuse.len(), 1);
    assert_eq!(reuse[0].0.as_deref(), Some(user.id.as_str()));
    // Every access token of that login, the first and the rotated one, ends with it.
    for token in [&user.token, first["access_token"].as_str().unwrap()] {
        assert_eq!(
            me_status(&app, token).await,
            401,
            "an access token of the revoked login"
        );
    }

    // Another login of the same user is a different family and still works.
    let other = app.login("nok", PASSWORD).await;
    assert_eq!(refresh(&app, &other.refresh_token).await.status(), 200);
    assert_eq!(me_status(&app, &other.token).await, 200);
    assert_problem(refresh(&app, "made-up-token").await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn logout_ends_the_login() {
    let app = spawn_app().await;
    let user = app.user("dao", Role::Volunteer, "500101").await;
    let other_login = app.login("dao", PASSWORD).await;
    let response = app
        .send_as(
            &user,
            Method::POST,
            "/api/v1/auth/logout",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert_problem(
        refresh(&app, &user.refresh_token).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_eq!(
        me_status(&app, &user.token).await,
        401,
        "the access token of the ended login"
    );
    assert_eq!(
        me_status(&app, &other_login.token).await,
        200,
        "the access token of another login"
    );
    assert_eq!(
        refresh(&app, &other_login.refresh_token).await.status(),
        200,
        "other logins live on"
    );
    let response = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .json(&json!({"refresh_token": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 401, "unauthenticated").await;
}

#[tokio::test]
async fn changing_ones_password_ends_every_session() {
    let app = spawn_app().await;
    let user = app.user("pim", Role::Official, "50").await;
    let path = "/api/v1/me/password";

    let response = app
        .send_as(
            &user,
            Method::PUT,
            path,
            &json!({"current_password": "wrong one!!", "new_password": "a brand new password"}),
        )
        .await;
    let body = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "current_password");
    let response = app
        .send_as(
            &user,
            Method::PUT,
            path,
            &json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    let body = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "new_password");
    let response = app
        .send_as(
            &user,
            Method::PUT,
            path,
            &json!({"current_password": PASSWORD, "new_password": "PIM"}),
        )
        .await;
    assert_problem(response, 422, "validation_failed").await;

    let response = app
        .send_as(
            &user,
            Method::PUT,
            path,
            &json!({"current_password": PASSWORD, "new_password": "a brand new password"}),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(me_status(&app, &user.token).await, 401);
    assert_problem(
        refresh(&app, &user.refresh_token).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_eq!(login_attempt(&app, "pim", PASSWORD).await.status(), 401);
    app.login("pim", "a brand new password").await;
    assert_eq!(app.audit_entries("user.password_changed").len(), 1);
}

#[tokio::test]
async fn me_and_everything_else_need_a_token() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/me").await, 401, "unauthenticated").await;
    assert_problem(app.get("/api/v1/users").await, 401, "unauthenticated").await;
    let response = app.get("/api/v1/me").await;
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
}

#[tokio::test]
async fn json_bodies_are_checked_before_anything_else() {
    let app = spawn_app().await;
    let url = app.url("/api/v1/auth/login");
    let send = |body: String, content_type: &'static str| {
        app.client
            .post(&url)
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    assert_problem(
        send("{not json".into(), "application/json").await.unwrap(),
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        send("[1,2]".into(), "application/json").await.unwrap(),
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        send("{}".into(), "text/plain").await.unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;

    let body = assert_problem(
        send(
            r#"{"username": 5, "password": "x"}"#.into(),
            "application/json",
        )
        .await
        .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "username");
    let body = assert_problem(
        send(
            r#"{"username": "a", "password": "x", "role": "admin"}"#.into(),
            "application/json",
        )
        .await
        .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "role");
    let body = assert_problem(
        send(r#"{"username": "a"}"#.into(), "application/json")
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "password");

    let huge = format!(
        r#"{{"username": "a", "password": "{}"}}"#,
        "x".repeat(70 * 1024)
    );
    assert_problem(
        send(huge, "application/json").await.unwrap(),
        413,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn writes_are_rate_limited_per_user() {
    let app = spawn_app_with(|config| config.writes_per_minute = 3).await;
    let admin = app.admin().await;
    let other = app.user("kanya", Role::Official, "50").await;
    let logout = |user: &TestUser| {
        let body = json!({"refresh_token": "unknown"});
        let user = user.clone();
        let app = &app;
        async move {
            app.send_as(&user, Method::POST, "/api/v1/auth/logout", &body)
                .await
        }
    };
    for _ in 0..3 {
        assert_eq!(logout(&admin).await.status(), 204);
    }
    let response = logout(&admin).await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, 429, "too_many_requests").await;
    // Reads are not limited, and other users have their own allowance.
    assert_eq!(me_status(&app, &admin.token).await, 200);
    assert_eq!(logout(&other).await.status(), 204);
}

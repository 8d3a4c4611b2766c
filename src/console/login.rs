//! Signing in and out of the console, and choosing its language. Sign-in goes through
//! `auth::login::sign_in`, the API's own throttling, lockout and audit.

use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::assets;
use super::pages::render;
use super::session::{
    self, console_cookie, language_of, random_token, same_secret, AccountHolderSession, Signed,
    LANGUAGE_COOKIE, SESSION_COOKIE, SIGN_IN_COOKIE,
};
use super::words::{words, Words};
use crate::auth::login::sign_in;
use crate::auth::password_change::change_own;
use crate::auth::PasswordHasher;
use crate::db::Db;
use crate::error::ApiError;
use crate::http::ClientInfoExt;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub w: &'static Words,
    pub csrf: String,
    pub next: String,
    pub message: String,
    pub username: String,
    pub assets: &'static str,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    ended: Option<String>,
    out: Option<String>,
    changed: Option<String>,
}

/// Only a path of the console itself, never another site: no open redirect.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next)
            if next.starts_with("/console/") && !next.starts_with("//") && !next.contains('\\') =>
        {
            next.to_owned()
        }
        _ => "/console/".to_owned(),
    }
}

fn login_page(
    req: &HttpRequest,
    status: StatusCode,
    next: String,
    message: String,
    username: String,
) -> HttpResponse {
    let w = words(language_of(req));
    let csrf = random_token();
    let page = LoginPage {
        w,
        csrf: csrf.clone(),
        next,
        message,
        username,
        assets: assets::version(),
    };
    let mut response = render(status, &page);
    let _ = response.add_cookie(&console_cookie(req, SIGN_IN_COOKIE, csrf));
    response
}

/// `GET /console/login`.
pub async fn form(req: HttpRequest) -> HttpResponse {
    let query = web::Query::<LoginQuery>::from_query(req.query_string()).ok();
    let w = words(language_of(&req));
    let message = match &query {
        Some(q) if q.out.is_some() => w.signed_out,
        Some(q) if q.changed.is_some() => w.password_changed,
        Some(q) if q.ended.is_some() => w.session_ended,
        _ => "",
    };
    let next = safe_next(query.as_ref().and_then(|q| q.next.as_deref()));
    login_page(
        &req,
        StatusCode::OK,
        next,
        message.to_owned(),
        String::new(),
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

/// `POST /console/login`.
pub async fn submit(
    req: HttpRequest,
    db: web::Data<Db>,
    hasher: web::Data<PasswordHasher>,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let language = language_of(&req);
    let w = words(language);
    let next = safe_next(form.next.as_deref());
    let expected = req.cookie(SIGN_IN_COOKIE).map(|c| c.value().to_owned());
    if !expected.is_some_and(|e| same_secret(&e, &form.csrf)) {
        return login_page(
            &req,
            StatusCode::FORBIDDEN,
            next,
            w.csrf_refused.to_owned(),
            form.username,
        );
    }
    let username = form.username.clone();
    let outcome = sign_in(
        &db,
        &hasher,
        req.client_info(),
        form.username,
        form.password,
        "console",
        |conn, user, now| {
            // A volunteer's password is right, but the console is not theirs: no session.
            if !crate::policy::may_use_console(user.role) {
                return Ok(None);
            }
            session::open(conn, user, now).map(Some)
        },
    )
    .await;
    let refused = |status, message: &str| {
        login_page(
            &req,
            status,
            next.clone(),
            message.to_owned(),
            username.clone(),
        )
    };
    match outcome {
        Ok((_, Some((token, _csrf)))) => {
            let mut response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next.as_str()))
                .finish();
            let _ = response.add_cookie(&console_cookie(&req, SESSION_COOKIE, token));
            let _ =
                response.add_removal_cookie(&console_cookie(&req, SIGN_IN_COOKIE, String::new()));
            response
        }
        Ok((_, None)) => refused(StatusCode::FORBIDDEN, w.volunteers_use_the_app),
        Err(ApiError::InvalidCredentials) => refused(StatusCode::UNAUTHORIZED, w.wrong_password),
        Err(ApiError::AccountDisabled) => refused(StatusCode::FORBIDDEN, w.account_disabled),
        Err(ApiError::TooManyRequests { .. }) => {
            refused(StatusCode::TOO_MANY_REQUESTS, w.locked_out)
        }
        Err(error) => {
            let problem = error.problem(language);
            refused(
                actix_web::ResponseError::status_code(&error),
                &problem.detail.unwrap_or(problem.title),
            )
        }
    }
}

/// `POST /console/logout`: ends the session here and everywhere its cookie went.
pub async fn logout(
    req: HttpRequest,
    AccountHolderSession(signed): AccountHolderSession,
    db: web::Data<Db>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, session::Refusal> {
    signed.check_csrf(&req, &form)?;
    signed
        .close(&db)
        .await
        .map_err(|e| session::Refusal::from_api(e, signed.language))?;
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/login?out=1"))
        .finish();
    let _ = response.add_removal_cookie(&console_cookie(&req, SESSION_COOKIE, String::new()));
    Ok(response)
}

/// `GET /console/language/{th|en}?next=`: remembers the choice in a cookie (no account
/// data changes) and goes back.
pub async fn language(req: HttpRequest, choice: web::Path<String>) -> HttpResponse {
    let query = web::Query::<LoginQuery>::from_query(req.query_string()).ok();
    let next = safe_next(query.as_ref().and_then(|q| q.next.as_deref()));
    let value = if choice.as_str() == "en" { "en" } else { "th" };
    let mut cookie: Cookie<'static> = console_cookie(&req, LANGUAGE_COOKIE, value.to_owned());
    cookie.set_max_age(actix_web::cookie::time::Duration::days(365));
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .finish();
    let _ = response.add_cookie(&cookie);
    response
}

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub w: &'static Words,
    pub csrf: String,
    /// Whether someone else set the password and it must change before anything else.
    pub owing: bool,
    pub message: String,
    pub assets: &'static str,
}

fn password_page(
    signed: &Signed,
    owing: bool,
    status: StatusCode,
    message: String,
) -> HttpResponse {
    render(
        status,
        &PasswordPage {
            w: words(signed.language),
            csrf: signed.csrf.clone(),
            owing,
            message,
            assets: assets::version(),
        },
    )
}

/// `GET /console/password`: the form to choose one's own password.
pub async fn password_form(
    AccountHolderSession(signed): AccountHolderSession,
    db: web::Data<Db>,
) -> Result<HttpResponse, session::Refusal> {
    let owing = owes_password_change(&signed, &db).await?;
    Ok(password_page(&signed, owing, StatusCode::OK, String::new()))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    repeat_password: String,
    csrf: String,
}

/// `POST /console/password`: changes it through the API's own rule
/// (`auth::password_change`); every session ends, this one too, so the person signs in
/// again with the new password.
pub async fn change_password(
    req: HttpRequest,
    AccountHolderSession(signed): AccountHolderSession,
    db: web::Data<Db>,
    hasher: web::Data<PasswordHasher>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, session::Refusal> {
    let form = form.into_inner();
    signed.check_csrf(&req, &[("csrf".to_owned(), form.csrf.clone())])?;
    let w = words(signed.language);
    let owing = owes_password_change(&signed, &db).await?;
    if form.new_password != form.repeat_password {
        return Ok(password_page(
            &signed,
            owing,
            StatusCode::UNPROCESSABLE_ENTITY,
            w.passwords_differ.to_owned(),
        ));
    }
    let outcome = change_own(
        &db,
        &hasher,
        signed.user.clone(),
        form.current_password,
        form.new_password,
    )
    .await;
    match outcome {
        Ok(()) => {
            let mut response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/console/login?changed=1"))
                .finish();
            let _ =
                response.add_removal_cookie(&console_cookie(&req, SESSION_COOKIE, String::new()));
            Ok(response)
        }
        Err(error @ (ApiError::Validation(_) | ApiError::TooManyRequests { .. })) => {
            let refusal = session::Refusal::from_api(error, signed.language);
            Ok(password_page(
                &signed,
                owing,
                actix_web::ResponseError::status_code(&refusal),
                refusal.said(),
            ))
        }
        Err(error) => Err(session::Refusal::from_api(error, signed.language)),
    }
}

async fn owes_password_change(signed: &Signed, db: &Db) -> Result<bool, session::Refusal> {
    let id = signed.user.id.clone();
    let language = signed.language;
    db.read(move |conn| {
        Ok(crate::db::users::find(conn, &id)?.is_some_and(|row| row.password_change_required))
    })
    .await
    .map_err(|e| session::Refusal::from_api(e, language))
}

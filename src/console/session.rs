//! Who is signed in to the console, and how: the session cookie, its anti-forgery token,
//! the language the person reads, and the console's refusals rendered as pages.
//!
//! The cookie holds a random token (`HttpOnly`, `SameSite=Strict`, `Secure` over TLS);
//! the database holds only its SHA-256. Every request reads the session with its account
//! in one statement, so sign-out, deactivation and a password change end it at once, on
//! every node. A session idle for longer than the configured time is over.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use futures_util::future::LocalBoxFuture;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::pages::{render, ErrorPage};
use super::words::words;
use crate::auth::AuthUser;
use crate::db::console_sessions::{self, ConsoleSessionRow};
use crate::db::users::UserRow;
use crate::db::{Db, DbConnection};
use crate::domain::{Language, UserId};
use crate::error::ApiError;
use crate::http::ClientInfoExt;
use crate::policy;

pub const SESSION_COOKIE: &str = "fw_session";
pub const LANGUAGE_COOKIE: &str = "fw_lang";
/// The anti-forgery token of the sign-in form, before any session exists.
pub const SIGN_IN_COOKIE: &str = "fw_signin";
/// Forms send the session's anti-forgery token in this field; htmx in the header.
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A session is touched at most this often, so reading pages is not a write each time.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// How the console's sessions behave, from the configuration.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// A session unused this long is over.
    pub idle: Duration,
    /// `Some(flag)`: always or never mark the cookie `Secure`; `None`: when the request
    /// came over HTTPS (directly or, per `X-Forwarded-Proto`, through a proxy).
    pub secure_cookie: Option<bool>,
}

/// A random token of 256 bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Equal, compared in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The language the person chose (the cookie), else Thai: the console's first readers
/// are Thai civil servants, whatever their browser says.
pub fn language_of(req: &HttpRequest) -> Language {
    match req.cookie(LANGUAGE_COOKIE).as_ref().map(Cookie::value) {
        Some("en") => Language::English,
        _ => Language::Thai,
    }
}

fn is_secure(req: &HttpRequest, settings: &SessionSettings) -> bool {
    settings
        .secure_cookie
        .unwrap_or_else(|| req.connection_info().scheme() == "https")
}

/// A cookie of the console's: `HttpOnly`, `SameSite=Strict`, under `/console`.
pub fn console_cookie(req: &HttpRequest, name: &'static str, value: String) -> Cookie<'static> {
    let secure = req
        .app_data::<web::Data<SessionSettings>>()
        .is_some_and(|settings| is_secure(req, settings));
    Cookie::build(name, value)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// Opens a session for `user` in the caller's transaction; returns the cookie's token and
/// the session's anti-forgery token.
pub fn open(
    conn: &mut DbConnection,
    user: &UserRow,
    now: NaiveDateTime,
) -> Result<(String, String), ApiError> {
    let token = random_token();
    let csrf = random_token();
    console_sessions::open(
        conn,
        &ConsoleSessionRow {
            token_hash: hash_token(&token),
            user_id: user.id.clone(),
            token_version: user.token_version,
            csrf_token: csrf.clone(),
            created_at: now,
            last_seen_at: now,
        },
    )?;
    Ok((token, csrf))
}

/// Ends the session of `token` (one the server opened for itself, as the PDF printer's).
pub fn close_token(conn: &mut DbConnection, token: &str) -> diesel::QueryResult<()> {
    console_sessions::close(conn, &hash_token(token))
}

/// A signed-in person of the console: the same `AuthUser` the API's handlers get, so
/// every page asks the same policy and services.
pub struct Signed {
    pub user: AuthUser,
    pub csrf: String,
    pub language: Language,
    token_hash: String,
}

impl Signed {
    /// Refuses a state-changing request that does not carry this session's anti-forgery
    /// token, in the form's `csrf` field or the `X-CSRF-Token` header.
    pub fn check_csrf(&self, req: &HttpRequest, form: &[(String, String)]) -> Result<(), Refusal> {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| {
                form.iter()
                    .find(|(name, _)| name == CSRF_FIELD)
                    .map(|(_, value)| value.clone())
            });
        match sent {
            Some(sent) if same_secret(&sent, &self.csrf) => Ok(()),
            _ => {
                tracing::warn!(
                    event = "console_csrf_refused",
                    user = %self.user.id,
                    "a console form without this session's anti-forgery token"
                );
                Err(Refusal::csrf(self.language))
            }
        }
    }

    /// Ends this session.
    pub async fn close(&self, db: &Db) -> Result<(), ApiError> {
        let hash = self.token_hash.clone();
        db.write(move |conn| Ok(console_sessions::close(conn, &hash)?))
            .await
    }
}

/// What reading a session came to: the account, the anti-forgery token, whether the
/// session is due a touch, and whether the account owes a password change.
enum Lookup {
    Open(Box<AuthUser>, String, bool, bool),
    Over,
}

/// Where an account that owes a password change is sent, whatever it asked for.
pub const PASSWORD_PAGE: &str = "/console/password";

impl FromRequest for Signed {
    type Error = Refusal;
    type Future = LocalBoxFuture<'static, Result<Self, Refusal>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(read_session(req.clone(), false))
    }
}

/// A console session whose account may still owe a password change: only for the
/// password page and signing out.
pub struct AccountHolderSession(pub Signed);

impl FromRequest for AccountHolderSession {
    type Error = Refusal;
    type Future = LocalBoxFuture<'static, Result<Self, Refusal>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { read_session(req, true).await.map(AccountHolderSession) })
    }
}

async fn read_session(req: HttpRequest, owing_allowed: bool) -> Result<Signed, Refusal> {
    {
        let language = language_of(&req);
        let sign_in = || Refusal::sign_in(&req, language);
        let token = req
            .cookie(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .ok_or_else(sign_in)?;
        let db = req
            .app_data::<web::Data<Db>>()
            .cloned()
            .ok_or_else(|| Refusal::internal(language))?;
        let settings = req
            .app_data::<web::Data<SessionSettings>>()
            .cloned()
            .ok_or_else(|| Refusal::internal(language))?;
        let hash = hash_token(&token);
        let client = req.client_info();
        let lookup = {
            let hash = hash.clone();
            db.read(move |conn| {
                let now = crate::db::now();
                let Some((session, row)) = console_sessions::find(conn, &hash)? else {
                    return Ok(Lookup::Over);
                };
                let idle = now - session.last_seen_at;
                if !row.active || row.token_version != session.token_version || idle > settings.idle
                {
                    return Ok(Lookup::Over);
                }
                let owing = row.password_change_required;
                let user = AuthUser::from_row(row, client)?;
                let stale = idle > Duration::seconds(TOUCH_EVERY_SECONDS);
                Ok(Lookup::Open(
                    Box::new(user),
                    session.csrf_token,
                    stale,
                    owing,
                ))
            })
            .await
            .map_err(|_| Refusal::internal(language))?
        };
        let (user, csrf, stale, owing) = match lookup {
            Lookup::Open(user, csrf, stale, owing) => (*user, csrf, stale, owing),
            Lookup::Over => {
                // Gone for good: the row goes too (if it is still there).
                let hash = hash.clone();
                let _ = db
                    .write(move |conn| Ok(console_sessions::close(conn, &hash)?))
                    .await;
                return Err(sign_in());
            }
        };
        if stale {
            let hash = hash.clone();
            db.write(move |conn| Ok(console_sessions::touch(conn, &hash, crate::db::now())?))
                .await
                .map_err(|_| Refusal::internal(language))?;
        }
        // For the request's log line: who asked.
        actix_web::HttpMessage::extensions_mut(&req).insert::<UserId>(user.id.clone());
        if !policy::may_use_console(user.role) {
            return Err(Refusal::page(
                StatusCode::FORBIDDEN,
                language,
                words(language).forbidden_title,
                words(language).volunteers_use_the_app.to_owned(),
            ));
        }
        if owing && !owing_allowed {
            return Err(Refusal::to(&req, PASSWORD_PAGE, language));
        }
        Ok(Signed {
            user,
            csrf,
            language,
            token_hash: hash,
        })
    }
}

/// A console request that could not be served, as the page (or redirect) a person gets.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    /// Where to send the browser instead (to sign in).
    redirect: Option<String>,
    htmx: bool,
    language: Language,
    title: &'static str,
    detail: String,
    problems: Vec<String>,
}

impl Refusal {
    pub fn page(
        status: StatusCode,
        language: Language,
        title: &'static str,
        detail: String,
    ) -> Self {
        Self {
            status,
            redirect: None,
            htmx: false,
            language,
            title,
            detail,
            problems: Vec::new(),
        }
    }

    /// Not signed in (or no longer): to the sign-in page, and back here afterwards.
    pub fn sign_in(req: &HttpRequest, language: Language) -> Self {
        let back = if req.method() == actix_web::http::Method::GET {
            req.uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let target = if back.is_empty() {
            "/console/login?ended=1".to_owned()
        } else {
            format!(
                "/console/login?ended=1&next={}",
                super::pages::url_encode(&back)
            )
        };
        Self {
            redirect: Some(target),
            htmx: req.headers().contains_key("hx-request"),
            ..Self::page(StatusCode::SEE_OTHER, language, "", String::new())
        }
    }

    /// Elsewhere in the console, at once (a page load for htmx too).
    pub fn to(req: &HttpRequest, target: &str, language: Language) -> Self {
        Self {
            redirect: Some(target.to_owned()),
            htmx: req.headers().contains_key("hx-request"),
            ..Self::page(StatusCode::SEE_OTHER, language, "", String::new())
        }
    }

    pub fn csrf(language: Language) -> Self {
        let w = words(language);
        Self::page(
            StatusCode::FORBIDDEN,
            language,
            w.forbidden_title,
            w.csrf_refused.to_owned(),
        )
    }

    pub fn internal(language: Language) -> Self {
        Self::from_api(ApiError::internal(anyhow::anyhow!("console")), language)
    }

    pub fn not_found(language: Language) -> Self {
        let w = words(language);
        Self::page(
            StatusCode::NOT_FOUND,
            language,
            w.not_found_title,
            w.not_found.to_owned(),
        )
    }

    /// An API refusal, told in the person's language: its detail and every broken field.
    pub fn from_api(error: ApiError, language: Language) -> Self {
        if let ApiError::Internal(cause) = &error {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let w = words(language);
        let status = error.status_code();
        let problem = error.problem(language);
        let title = match status {
            StatusCode::NOT_FOUND => return Self::not_found(language),
            StatusCode::FORBIDDEN => w.forbidden_title,
            _ => w.refused_title,
        };
        Self {
            problems: problem
                .errors
                .unwrap_or_default()
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect(),
            ..Self::page(
                status,
                language,
                title,
                problem.detail.unwrap_or(problem.title),
            )
        }
    }
}

impl Refusal {
    /// What the person is told, problems included, as one line.
    pub fn said(&self) -> String {
        std::iter::once(self.detail.as_str())
            .chain(self.problems.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "console refusal {}: {}", self.status, self.detail)
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(target) = &self.redirect {
            if self.htmx {
                // htmx follows this header with a full page load.
                return HttpResponse::Ok()
                    .insert_header(("HX-Redirect", target.as_str()))
                    .finish();
            }
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target.as_str()))
                .finish();
        }
        let page = ErrorPage {
            w: words(self.language),
            title: self.title,
            detail: &self.detail,
            problems: &self.problems,
            assets: super::assets::version(),
        };
        render(self.status, &page)
    }
}

//! `AuthUser`: the authenticated caller. A handler that takes one cannot run for an
//! anonymous request, so forgetting authentication does not compile. `Credentials`: the
//! same, with the account read left to the handler's own database work. Both refuse an
//! account that owes a password change (403 `password_change_required`); `AccountHolder`
//! is the caller of the few routes that account may still use (its own account, the
//! password change, logout).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::{ready, LocalBoxFuture, Ready};

use super::tokens::Claims;
use super::{TokenKeys, WriteRateLimiter};
use crate::db::audit::{self, AuditEntry, ClientInfo};
use crate::db::{users, Db, DbConnection};
use crate::domain::AreaScope;
use crate::domain::{AreaCode, Role, UserId};
use crate::error::ApiError;
use crate::http::ClientInfoExt;

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: UserId,
    pub username: String,
    /// Read with the account anyway: what the caller files and writes is shown with it.
    pub display_name: String,
    pub role: Role,
    pub area: AreaCode,
    /// What this user may see: every area-scoped query takes it.
    pub scope: AreaScope,
    pub client: ClientInfo,
}

impl AuthUser {
    /// The caller behind an account already checked to be signed in and active (by a
    /// token, or by a console session).
    pub fn from_row(row: users::UserRow, client: ClientInfo) -> Result<Self, ApiError> {
        let area = AreaCode::parse(&row.area_code)
            .map_err(|_| ApiError::internal(anyhow::anyhow!("stored area {:?}", row.area_code)))?;
        Ok(AuthUser {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            role: row.role,
            scope: AreaScope::of(&area),
            area,
            client,
        })
    }

    /// Records something this user did, in the caller's transaction.
    pub fn audit(
        &self,
        conn: &mut DbConnection,
        action: &str,
        record_type: &str,
        record_id: Option<&str>,
        details: serde_json::Value,
    ) -> diesel::QueryResult<()> {
        audit::record(
            conn,
            &self.client,
            AuditEntry {
                actor_id: Some(self.id.as_str()),
                action,
                record_type,
                record_id,
                details,
            },
        )
    }
}

/// A caller whose access token checks out but whose account has not been read yet.
///
/// Handlers on the busiest paths take this instead of [`AuthUser`] and confirm it on the
/// connection their own work runs on: one trip to the blocking pool instead of two. It
/// tells nothing about the caller until confirmed, so it cannot stand in for one.
pub struct Credentials {
    claims: Claims,
    client: ClientInfo,
    /// Set for writes, which take from the caller's rate-limit bucket when confirmed.
    write_limiter: Option<web::Data<WriteRateLimiter>>,
    /// Whether an account that must change its password may go on (`AccountHolder`).
    owing_password_change_allowed: bool,
}

impl Credentials {
    /// Reads the account behind the token, and whether its login is still open, on every
    /// request (one statement), so that deactivation, a role change, a bumped token
    /// version, a logout or a detected refresh-token reuse takes effect at once, on every
    /// node.
    pub fn confirm(self, conn: &mut DbConnection) -> Result<AuthUser, ApiError> {
        // A signed token names an account by the id the server gave it; anything else
        // names no account.
        let id = UserId::parse(&self.claims.sub).map_err(|_| session_ended())?;
        let row = users::find_with_open_login(conn, &id, &self.claims.sid)?
            .filter(|(row, login_open)| {
                *login_open && row.active && row.token_version == self.claims.ver
            })
            .map(|(row, _)| row)
            .ok_or_else(session_ended)?;
        if row.password_change_required && !self.owing_password_change_allowed {
            return Err(ApiError::PasswordChangeRequired);
        }
        if let Some(limiter) = &self.write_limiter {
            limiter
                .check(row.id.as_str())
                .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;
        }
        AuthUser::from_row(row, self.client)
    }

    fn from_request(req: &HttpRequest) -> Result<Self, ApiError> {
        let token = bearer_token(req)?;
        let keys = req
            .app_data::<web::Data<TokenKeys>>()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("token keys not installed")))?;
        let claims = keys.verify_access(&token)?;
        // For the request's log line: who asked.
        if let Ok(id) = UserId::parse(&claims.sub) {
            actix_web::HttpMessage::extensions_mut(req).insert(id);
        }
        let write_limiter = if req.method().is_safe() {
            None
        } else {
            req.app_data::<web::Data<WriteRateLimiter>>().cloned()
        };
        Ok(Credentials {
            claims,
            client: req.client_info(),
            write_limiter,
            owing_password_change_allowed: false,
        })
    }
}

impl FromRequest for Credentials {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Credentials::from_request(req))
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        confirmed(req, Credentials::from_request(req))
    }
}

/// A signed-in caller who may still owe a password change: only for the routes such an
/// account can use (reading its own account, changing the password, logging out).
pub struct AccountHolder(pub AuthUser);

impl FromRequest for AccountHolder {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let credentials = Credentials::from_request(req).map(|mut credentials| {
            credentials.owing_password_change_allowed = true;
            credentials
        });
        let user = confirmed(req, credentials);
        Box::pin(async move { user.await.map(AccountHolder) })
    }
}

fn confirmed(
    req: &HttpRequest,
    credentials: Result<Credentials, ApiError>,
) -> LocalBoxFuture<'static, Result<AuthUser, ApiError>> {
    let db = req.app_data::<web::Data<Db>>().cloned();
    Box::pin(async move {
        let credentials = credentials?;
        let db = db.ok_or_else(|| ApiError::internal(anyhow::anyhow!("no database")))?;
        db.read(move |conn| credentials.confirm(conn)).await
    })
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let missing = || {
        ApiError::unauthenticated(
            "send Authorization: Bearer <access token>",
            "กรุณาเข้าสู่ระบบ (ส่ง Authorization: Bearer ตามด้วยโทเคน)",
        )
    };
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?;
    let value = value.to_str().map_err(|_| {
        ApiError::unauthenticated(
            "the Authorization header is not readable",
            "อ่านค่า Authorization ไม่ได้",
        )
    })?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(missing()),
    }
}

fn session_ended() -> ApiError {
    ApiError::unauthenticated(
        "this session has ended; log in again",
        "การเข้าใช้งานนี้สิ้นสุดแล้ว กรุณาเข้าสู่ระบบใหม่",
    )
}

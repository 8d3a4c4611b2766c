//! Login, token refresh with rotation, logout, and the caller's own account.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::UserView;
use crate::auth::login::sign_in;
use crate::auth::password_change::change_own;
use crate::auth::tokens::{hash_refresh_token, issue_refresh_token};
use crate::auth::{AccountHolder, PasswordHasher, TokenKeys};
use crate::db::audit::{self, AuditEntry};
use crate::db::users::{self, UserRow};
use crate::db::{sessions, Db};
use crate::domain::UserId;
use crate::error::{ApiError, Problem};
use crate::http::{ClientInfoExt, ValidJson};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    #[schema(example = "somchai.k")]
    pub username: String,
    #[schema(example = "a long passphrase")]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Opaque; spent by its first use at `/auth/refresh`.
    pub refresh_token: String,
    pub user: UserView,
    /// Someone else set this password (an import, a reset): until it is changed with
    /// `PUT /me/password`, every other route but `GET /me` and logout answers 403
    /// `password_change_required`.
    pub password_change_required: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshInput {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeInput {
    pub current_password: String,
    pub new_password: String,
}

/// Exchange a username and password for an access token and a refresh token.
#[utoipa::path(
    tag = "auth",
    request_body(content = LoginInput, example = super::examples::login),
    responses(
        (status = 200, body = TokenPair),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "invalid_credentials"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "account_disabled"),
        (status = 429, body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64))),
    ),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    hasher: web::Data<PasswordHasher>,
    input: ValidJson<LoginInput>,
) -> Result<web::Json<TokenPair>, ApiError> {
    let LoginInput { username, password } = input.into_inner()?;
    let (user, session) = sign_in(
        &db,
        &hasher,
        req.client_info(),
        username,
        password,
        "api",
        |conn, user, now| {
            let login_id = uuid::Uuid::new_v4().to_string();
            let refresh_token = issue_refresh_token(conn, &user.id, &login_id, now)?;
            Ok(NewSession {
                refresh_token,
                login_id,
            })
        },
    )
    .await?;
    Ok(web::Json(token_pair(&keys, user, session)?))
}

/// A refresh token just issued, and the login (refresh-token family) it belongs to.
struct NewSession {
    refresh_token: String,
    login_id: String,
}

fn token_pair(keys: &TokenKeys, user: UserRow, session: NewSession) -> Result<TokenPair, ApiError> {
    let (access_token, expires_in) =
        keys.issue_access(user.id.as_str(), user.token_version, &session.login_id)?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token: session.refresh_token,
        password_change_required: user.password_change_required,
        user: user.into(),
    })
}

enum RefreshOutcome {
    Rotated {
        user: Box<UserRow>,
        session: NewSession,
    },
    /// A spent token again: its login is now revoked.
    Reused {
        user: UserId,
        login_id: String,
    },
    /// A live token of an account disabled or gone: its login is now revoked.
    AccountDisabled {
        user: UserId,
    },
    Refused,
}

/// Trade a refresh token for a new pair. Each refresh token works once: presenting a
/// spent one again revokes every token of that login.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshInput,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/auth/refresh")]
pub async fn refresh(
    req: HttpRequest,
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    input: ValidJson<RefreshInput>,
) -> Result<web::Json<TokenPair>, ApiError> {
    let presented = input.into_inner()?.refresh_token;
    let client = req.client_info();
    let outcome = db
        .write(move |conn| {
            let now = crate::db::now();
            match sessions::spend(conn, &hash_refresh_token(&presented), now)? {
                sessions::Rotation::Rotated { user_id, family_id } => {
                    match users::find(conn, &user_id)?.filter(|u| u.active) {
                        Some(user) => {
                            let refresh_token =
                                issue_refresh_token(conn, &user.id, &family_id, now)?;
                            Ok(RefreshOutcome::Rotated {
                                user: Box::new(user),
                                session: NewSession {
                                    refresh_token,
                                    login_id: family_id,
                                },
                            })
                        }
                        None => {
                            sessions::revoke_family(conn, &family_id, now)?;
                            Ok(RefreshOutcome::AccountDisabled { user: user_id })
                        }
                    }
                }
                sessions::Rotation::Reused { user_id, family_id } => {
                    audit::record(
                        conn,
                        &client,
                        AuditEntry {
                            actor_id: Some(user_id.as_str()),
                            action: "auth.refresh_reuse",
                            record_type: "user",
                            record_id: Some(user_id.as_str()),
                            details: serde_json::json!({ "family_id": family_id }),
                        },
                    )?;
                    Ok(RefreshOutcome::Reused {
                        user: user_id,
                        login_id: family_id,
                    })
                }
                sessions::Rotation::Invalid => Ok(RefreshOutcome::Refused),
            }
        })
        .await?;
    match outcome {
        RefreshOutcome::Rotated { user, session } => {
            Ok(web::Json(token_pair(&keys, *user, session)?))
        }
        RefreshOutcome::Reused { user, login_id } => {
            // Two holders of one token: it was copied. (Logged after the revocation
            // committed, and inside the request's span, so it carries its id.)
            tracing::warn!(
                event = "refresh_token_reused",
                user = %user,
                login = %login_id,
                "a spent refresh token came back; every token of its login is revoked"
            );
            Err(refresh_refused())
        }
        RefreshOutcome::AccountDisabled { user } => {
            tracing::warn!(
                event = "refresh_account_disabled",
                user = %user,
                "a refresh token of a disabled account; its login is revoked"
            );
            Err(refresh_refused())
        }
        RefreshOutcome::Refused => Err(refresh_refused()),
    }
}

fn refresh_refused() -> ApiError {
    ApiError::unauthenticated(
        "the refresh token is not valid; log in again",
        "โทเคนสำหรับต่ออายุไม่ถูกต้องหรือหมดอายุแล้ว กรุณาเข้าสู่ระบบใหม่",
    )
}

/// End this login: its refresh tokens and its access tokens stop working.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshInput,
    responses(
        (status = 204),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/auth/logout")]
pub async fn logout(
    AccountHolder(user): AccountHolder,
    db: web::Data<Db>,
    input: ValidJson<RefreshInput>,
) -> Result<HttpResponse, ApiError> {
    let presented = input.into_inner()?.refresh_token;
    db.write(move |conn| {
        // Only one's own login can be ended this way; anything else is quietly ignored.
        if let Some((family_id, owner)) =
            sessions::family_of(conn, &hash_refresh_token(&presented))?
        {
            if owner == user.id {
                sessions::revoke_family(conn, &family_id, crate::db::now())?;
                user.audit(
                    conn,
                    "auth.logout",
                    "user",
                    Some(user.id.as_str()),
                    serde_json::json!({}),
                )?;
            }
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's own account.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, body = UserView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn me(
    AccountHolder(user): AccountHolder,
    db: web::Data<Db>,
) -> Result<web::Json<UserView>, ApiError> {
    let row = db
        .read(move |conn| users::find(conn, &user.id)?.ok_or(ApiError::NotFound))
        .await?;
    Ok(web::Json(row.into()))
}

/// Change one's own password. Every session of the account ends: log in again.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordChangeInput,
    responses(
        (status = 204),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/me/password")]
pub async fn change_password(
    AccountHolder(user): AccountHolder,
    db: web::Data<Db>,
    hasher: web::Data<PasswordHasher>,
    input: ValidJson<PasswordChangeInput>,
) -> Result<HttpResponse, ApiError> {
    let PasswordChangeInput {
        current_password,
        new_password,
    } = input.into_inner()?;
    change_own(&db, &hasher, user, current_password, new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

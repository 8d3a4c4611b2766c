//! `AuthUser`: the authenticated caller. A handler that takes one cannot run for an
//! anonymous request, so forgetting authentication does not compile.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::{AreaScope, TokenKeys, WriteRateLimiter};
use crate::db::audit::{self, AuditEntry, ClientInfo};
use crate::db::{users, Db, DbConnection};
use crate::domain::{AreaCode, Role};
use crate::error::ApiError;
use crate::http::ClientInfoExt;

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub area: AreaCode,
    /// What this user may see: every area-scoped query takes it.
    pub scope: AreaScope,
    pub client: ClientInfo,
}

impl AuthUser {
    /// Officials, supervisors and admins.
    pub fn require_staff(&self) -> Result<(), ApiError> {
        self.require(self.role.is_staff(), "officials and above")
    }

    pub fn require_supervisor(&self) -> Result<(), ApiError> {
        self.require(self.role.is_supervisor_or_above(), "supervisors and admins")
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require(self.role.is_admin(), "admins")
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
                actor_id: Some(&self.id),
                action,
                record_type,
                record_id,
                details,
            },
        )
    }

    fn require(&self, allowed: bool, who: &str) -> Result<(), ApiError> {
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "only {who} may do this; you are a {}",
                self.role.as_str()
            )))
        }
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let keys = req.app_data::<web::Data<TokenKeys>>().cloned();
        let db = req.app_data::<web::Data<Db>>().cloned();
        let limiter = req.app_data::<web::Data<WriteRateLimiter>>().cloned();
        let is_write = !req.method().is_safe();
        let client = req.client_info();
        Box::pin(async move {
            let token = token?;
            let (Some(keys), Some(db)) = (keys, db) else {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "auth state not installed"
                )));
            };
            let claims = keys.verify_access(&token)?;
            let user_id = claims.sub.clone();
            // Read the account on every request: deactivation, a role change or a bumped
            // token version take effect at once, on every node.
            let row = db
                .read(move |conn| Ok(users::find(conn, &user_id)?))
                .await?
                .filter(|row| row.active && row.token_version == claims.ver)
                .ok_or_else(|| ApiError::Unauthenticated("this session has ended".into()))?;
            let role: Role = row
                .role
                .parse()
                .map_err(|_| ApiError::internal(anyhow::anyhow!("stored role {:?}", row.role)))?;
            let area = AreaCode::parse(&row.area_code).map_err(|_| {
                ApiError::internal(anyhow::anyhow!("stored area {:?}", row.area_code))
            })?;
            if is_write {
                if let Some(limiter) = limiter {
                    limiter.check(&row.id).map_err(|retry_after_secs| {
                        ApiError::TooManyRequests { retry_after_secs }
                    })?;
                }
            }
            Ok(AuthUser {
                id: row.id,
                username: row.username,
                role,
                scope: AreaScope::of(&area),
                area,
                client,
            })
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthenticated("send Authorization: Bearer <access token>".into())
    })?;
    let value = value.to_str().map_err(|_| {
        ApiError::Unauthenticated("the Authorization header is not readable".into())
    })?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::Unauthenticated(
            "send Authorization: Bearer <access token>".into(),
        )),
    }
}

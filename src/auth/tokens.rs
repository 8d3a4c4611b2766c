//! Access tokens (short-lived HS256 JWTs) and refresh tokens (opaque, stored hashed).

use std::collections::HashMap;
use std::sync::Mutex;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::db::{sessions, DbConnection};
use crate::domain::UserId;
use crate::error::ApiError;

pub const ISSUER: &str = "fieldweek";
pub const AUDIENCE: &str = "fieldweek-api";
pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;
pub const REFRESH_TOKEN_DAYS: i64 = 30;
const SECRET_FILE: &str = "jwt-secret";
/// HMAC-SHA256 of `label` under `key`.
fn derive(key: &[u8], label: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// Seconds of clock difference allowed when judging `exp`.
const LEEWAY_SECONDS: i64 = 5;
/// At most this many verified tokens are remembered (a few megabytes).
const MAX_REMEMBERED_TOKENS: usize = 20_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user's id.
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    /// The user's token version when issued: a bump ends every token issued before it.
    pub ver: i64,
    /// The login (refresh-token family) this token belongs to: logging out, or reuse of a
    /// spent refresh token, revokes the family and with it every access token of it.
    pub sid: String,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Tokens this process has verified, with their claims. A phone sends the same access
    /// token with every request for its fifteen minutes; checking its signature and
    /// claims once is enough, since neither can change. (The account behind a token is
    /// still read on every request.)
    verified: Mutex<HashMap<String, Claims>>,
    /// A key for other things the server signs (sync cursors), derived from the secret.
    derived: [u8; 32],
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        // Only HS256 is accepted: a token naming another algorithm (or `none`) is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // `ver` and `sid` are required too: `Claims` has no default for either.
        validation.leeway = LEEWAY_SECONDS as u64;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            verified: Mutex::new(HashMap::new()),
            derived: derive(secret, b"fieldweek derived signing key v1"),
        }
    }

    /// A key of its own for `purpose` (say, signing sync cursors): every node that
    /// shares the token secret derives the same one, and none reveals the secret.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        derive(&self.derived, purpose.as_bytes())
    }

    /// The secret from `FIELDWEEK_JWT_SECRET`, else the one kept in the data directory,
    /// generated there (mode 0600) on first start. Several nodes must share one secret:
    /// set the variable, or give them the same data directory.
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        if let Some(secret) = &config.jwt_secret {
            return Ok(Self::from_secret(secret.as_bytes()));
        }
        let secret =
            crate::private_files::load_or_create_secret(&config.data_dir.join(SECRET_FILE))?;
        Ok(Self::from_secret(&secret))
    }

    /// A signed access token and its lifetime in seconds.
    pub fn issue_access(
        &self,
        user_id: &str,
        token_version: i64,
        login_id: &str,
    ) -> Result<(String, i64), ApiError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id.into(),
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
            ver: token_version,
            sid: login_id.into(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(e.into()))?;
        Ok((token, ACCESS_TOKEN_SECONDS))
    }

    pub fn verify_access(&self, token: &str) -> Result<Claims, ApiError> {
        self.verify_access_at(token, Utc::now().timestamp())
    }

    fn verify_access_at(&self, token: &str, now: i64) -> Result<Claims, ApiError> {
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(claims) = verified.get(token) {
            if claims.exp < now - LEEWAY_SECONDS {
                verified.remove(token);
                return Err(ApiError::TokenExpired);
            }
            return Ok(claims.clone());
        }
        drop(verified);

        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => ApiError::TokenExpired,
                kind => {
                    // Expiry is routine; anything else is a token this server did not
                    // sign as it stands (forged, altered, another key or audience).
                    // Its claims are unproven, so no user is named, and never the token.
                    tracing::warn!(
                        event = "access_token_invalid",
                        reason = ?kind,
                        "an access token was refused"
                    );
                    ApiError::unauthenticated(
                        "the access token is not valid; log in again",
                        "โทเคนเข้าใช้งานไม่ถูกต้อง กรุณาเข้าสู่ระบบใหม่",
                    )
                }
            })?;
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= MAX_REMEMBERED_TOKENS {
            verified.retain(|_, claims| claims.exp >= now - LEEWAY_SECONDS);
            if verified.len() >= MAX_REMEMBERED_TOKENS {
                verified.clear();
            }
        }
        verified.insert(token.to_owned(), claims.clone());
        Ok(claims)
    }
}

/// A new opaque refresh token and the hash under which it is stored.
pub fn new_refresh_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

/// Issues a new refresh token in the login `family_id` and returns it; only its hash is
/// stored.
pub fn issue_refresh_token(
    conn: &mut DbConnection,
    user_id: &UserId,
    family_id: &str,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<String> {
    let (token, hash) = new_refresh_token();
    let expires_at = now + chrono::Duration::days(REFRESH_TOKEN_DAYS);
    sessions::issue(conn, user_id, family_id, &hash, expires_at, now)?;
    Ok(token)
}

/// Refresh tokens carry 256 random bits, so a fast unsalted hash is enough to make a
/// stolen table useless.
pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_carry_the_claims() {
        let keys = TokenKeys::from_secret(&[7u8; 32]);
        let (token, ttl) = keys.issue_access("user-1", 3, "login-1").unwrap();
        assert_eq!(ttl, 900);
        let claims = keys.verify_access(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.ver), ("user-1", 3));
        let other = TokenKeys::from_secret(&[8u8; 32]);
        assert!(matches!(
            other.verify_access(&token),
            Err(ApiError::Unauthenticated(_))
        ));
    }

    #[test]
    fn a_remembered_token_still_expires_and_a_forged_one_is_still_refused() {
        let keys = TokenKeys::from_secret(&[7u8; 32]);
        let (token, _) = keys.issue_access("user-1", 0, "login-1").unwrap();
        let claims = keys.verify_access(&token).unwrap();
        // The second check answers from memory, with the same claims.
        let again = keys.verify_access_at(&token, claims.iat + 60).unwrap();
        assert_eq!((again.sub.as_str(), again.exp), ("user-1", claims.exp));
        assert!(matches!(
            keys.verify_access_at(&token, claims.exp + LEEWAY_SECONDS + 1),
            Err(ApiError::TokenExpired)
        ));
        // Same claims, another signature: not in memory, so verified, and refused.
        let (head_and_claims, _) = token.rsplit_once('.').unwrap();
        let forged = format!("{head_and_claims}.{}", URL_SAFE_NO_PAD.encode([1u8; 32]));
        assert!(matches!(
            keys.verify_access(&forged),
            Err(ApiError::Unauthenticated(_))
        ));
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let (a, hash_a) = new_refresh_token();
        let (b, _) = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(hash_refresh_token(&a), hash_a);
        assert_eq!(hash_a.len(), 64);
    }
}

//! Identity and access: passwords, tokens, the authenticated-user extractor, login
//! throttling and the per-user write rate limit.

mod extractor;
pub mod login;
pub mod password;
pub mod password_change;
mod rate_limit;
pub mod throttle;
pub mod tokens;

pub use extractor::{AccountHolder, AuthUser, Credentials};
pub use password::{NewPassword, PasswordHasher};
pub use rate_limit::WriteRateLimiter;
pub use tokens::TokenKeys;

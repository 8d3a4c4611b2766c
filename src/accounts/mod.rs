//! Accounts: the rules for creating and changing users, shared by the users API, the
//! first-admin bootstrap and `fieldweek users create`.

pub mod import;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::auth::{password, NewPassword};
use crate::db::audit::{self, AuditEntry, ClientInfo};
use crate::db::users::{self, UserRow};
use crate::db::Db;
use crate::domain::prefixes;
use crate::domain::{AreaCode, ParseError, PhoneE164, Role, UserId};
use crate::error::{ApiError, FieldCode, FieldError};
use crate::geo::Geography;
use crate::policy;

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[schema(example = "50")]
    pub area_code: String,
    #[schema(example = "+66812345678")]
    pub phone: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<UserRow> for UserView {
    fn from(row: UserRow) -> Self {
        Self {
            role: row.role,
            id: row.id.into_string(),
            username: row.username,
            display_name: row.display_name,
            area_code: row.area_code,
            phone: row.phone,
            active: row.active,
            created_at: row.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserInput {
    #[schema(example = "somchai.k")]
    pub username: String,
    #[schema(example = "สมชาย ใจดี")]
    pub display_name: String,
    #[schema(example = "a long passphrase")]
    pub password: String,
    pub role: Role,
    #[schema(example = "5001")]
    pub area_code: String,
    #[schema(example = "081-234-5678")]
    pub phone: Option<String>,
}

/// A new account that satisfies every rule.
#[derive(Debug)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub password: NewPassword,
    pub role: Role,
    pub area: AreaCode,
    pub phone: Option<PhoneE164>,
}

impl NewAccount {
    /// Checks every field, reporting all broken rules at once.
    pub fn parse(input: CreateUserInput, geography: &Geography) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let username = collect(&mut errors, "username", parse_username(&input.username));
        let display_name = collect(
            &mut errors,
            "display_name",
            parse_display_name(&input.display_name),
        );
        let password = collect(
            &mut errors,
            "password",
            NewPassword::parse(&input.password, &input.username),
        );
        let area = collect(
            &mut errors,
            "area_code",
            parse_area(&input.area_code, geography),
        );
        let phone = match input.phone.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(raw) => collect(&mut errors, "phone", PhoneE164::parse(raw).map(Some)),
        };
        match (username, display_name, password, area, phone) {
            (Some(username), Some(display_name), Some(password), Some(area), Some(phone))
                if errors.is_empty() =>
            {
                Ok(Self {
                    username,
                    display_name,
                    password,
                    role: input.role,
                    area,
                    phone,
                })
            }
            _ => Err(errors),
        }
    }

    pub fn into_row(self, password_hash: String, now: NaiveDateTime) -> UserRow {
        let (province_code, district_code) = prefixes(&self.area);
        UserRow {
            id: UserId::random(),
            username_key: users::username_key(&self.username),
            username: self.username,
            display_name: self.display_name,
            role: self.role,
            area_code: self.area.into_string(),
            province_code,
            district_code,
            phone: self.phone.map(PhoneE164::into_string),
            password_hash,
            active: true,
            token_version: 0,
            created_at: now,
            updated_at: now,
            password_change_required: false,
        }
    }
}

/// Adds a failed check to `errors` under `field`; passes a good value through.
pub fn collect<T>(
    errors: &mut Vec<FieldError>,
    field: &str,
    result: Result<T, ParseError>,
) -> Option<T> {
    result
        .map_err(|error| errors.push(FieldError::parse(field, error)))
        .ok()
}

/// 3 to 64 characters: letters, digits and `.`, `_`, `-`, `@`. Kept as typed; compared
/// without regard to letter case.
pub fn parse_username(raw: &str) -> Result<String, ParseError> {
    let username = raw.trim();
    let length_ok = (3..=64).contains(&username.chars().count());
    let chars_ok = username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if length_ok && chars_ok {
        Ok(username.to_owned())
    } else {
        Err(ParseError::new(
            FieldCode::BadFormat,
            "must be 3 to 64 letters, digits or . _ - @",
            "ต้องมี 3 ถึง 64 ตัวอักษร ประกอบด้วยอักษรภาษาอังกฤษ ตัวเลข หรือ . _ - @ เท่านั้น",
        ))
    }
}

pub fn parse_display_name(raw: &str) -> Result<String, ParseError> {
    crate::domain::bounded_text(raw, 1, 200).map_err(|e| e.refusal().into())
}

/// A code of the bundled geography (or `TH`).
pub fn parse_area(raw: &str, geography: &Geography) -> Result<AreaCode, ParseError> {
    let area = AreaCode::parse(raw)?;
    if geography.area(area.as_str()).is_none() {
        return Err(ParseError::new(
            FieldCode::NotFoundReference,
            format!("{} is not a known area code", area.as_str()),
            format!("ไม่พบรหัสพื้นที่ {}", area.as_str()),
        ));
    }
    Ok(area)
}

/// Creates an account from start-up or the command line (blocking), audited with no actor.
pub fn create_blocking(db: &Db, account: NewAccount, action: &str) -> Result<UserRow, ApiError> {
    let hash = password::hash_blocking(&account.password).map_err(ApiError::Internal)?;
    let row = account.into_row(hash, crate::db::now());
    let stored = row.clone();
    let action = action.to_owned();
    db.write_blocking(move |conn| {
        users::insert(conn, &row)?;
        audit::record(
            conn,
            &ClientInfo::default(),
            AuditEntry {
                actor_id: None,
                action: &action,
                record_type: "user",
                record_id: Some(row.id.as_str()),
                details: serde_json::json!({
                    "username": row.username, "role": row.role, "area_code": row.area_code,
                }),
            },
        )?;
        Ok(())
    })?;
    Ok(stored)
}

/// Creates the configured first admin when the database has no user at all.
pub fn bootstrap_admin(
    db: &Db,
    geography: &Geography,
    username: &str,
    password: &str,
) -> anyhow::Result<bool> {
    let mut conn = db.get().map_err(|e| anyhow::anyhow!("{e}"))?;
    if users::count(&mut conn)? > 0 {
        return Ok(false);
    }
    drop(conn);
    let account = NewAccount::parse(
        CreateUserInput {
            username: username.to_owned(),
            display_name: "Administrator".into(),
            password: password.to_owned(),
            role: Role::Admin,
            area_code: AreaCode::COUNTRY.into(),
            phone: None,
        },
        geography,
    )
    .map_err(|errors| describe(ApiError::Validation(errors)))?;
    create_blocking(db, account, "user.bootstrap").map_err(describe)?;
    Ok(true)
}

/// One line for an operator from a validation error.
pub fn describe(error: ApiError) -> anyhow::Error {
    match error {
        ApiError::Validation(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{} {}", e.field, e.message.en))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}

/// 422 on `area_code` unless `area` lies inside `user`'s own area: an account created,
/// imported or moved stays where its manager answers for it.
pub fn ensure_in_area(user: &AuthUser, area: &AreaCode) -> Result<(), ApiError> {
    if user.scope.covers_code(area.as_str()) {
        Ok(())
    } else {
        Err(ApiError::Validation(vec![outside_own_area()]))
    }
}

/// The field error of an area outside the manager's own.
pub fn outside_own_area() -> FieldError {
    FieldError::new(
        "area_code",
        FieldCode::OutsideArea,
        "must lie inside your own area",
        "ต้องอยู่ในพื้นที่รับผิดชอบของท่าน",
    )
}

/// 403 unless `user` may manage accounts of `role` (`policy::may_manage`), saying who may
/// not manage whom.
pub fn ensure_may_manage(user: &AuthUser, role: Role) -> Result<(), ApiError> {
    if policy::may_manage(user.role, role) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            format!(
                "a {} may not manage {} accounts",
                user.role.as_str(),
                role.as_str()
            ),
            format!(
                "บทบาท {} ไม่มีสิทธิ์จัดการบัญชีบทบาท {}",
                user.role.as_str(),
                role.as_str()
            ),
        ))
    }
}

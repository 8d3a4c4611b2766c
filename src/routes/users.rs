//! Accounts: a supervisor manages volunteers and officials inside its own area; an admin
//! manages everyone. Officials may read the accounts of their area.

use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::accounts::import::read_rows;
// The console's account screens name these too.
pub use crate::accounts::import::{FileKind, ImportAnswer, ImportResult, MAX_IMPORT_BYTES};
pub use crate::accounts::CreateUserInput;
use crate::accounts::{self, collect, NewAccount, UserView};
use crate::auth::password_change::end_sessions_and_update;
use crate::auth::{AuthUser, NewPassword, PasswordHasher};
use crate::db::users::{self, UserChanges, UserFilter, UserRow};
use crate::db::Db;
use crate::domain::{prefixes, AreaScope};
use crate::domain::{Language, Message, PhoneE164, Role, UserId};
use crate::error::{ApiError, FieldCode, FieldError, Problem};
use crate::geo::Geography;
use crate::http::{declared_body_within, language_of, Page, PageRequest, ValidJson};
use crate::policy::{self, AccountChange, Permission};
use crate::routes::query::{parse_area, parse_bool, parse_names, parse_whole};

/// Create an account.
#[utoipa::path(
    tag = "users",
    request_body(content = CreateUserInput, example = super::examples::create_user),
    responses(
        (status = 201, body = UserView, headers(("Location" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "username_taken"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create(
    user: AuthUser,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    hasher: web::Data<PasswordHasher>,
    input: ValidJson<CreateUserInput>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&user, Permission::ManageAccounts)?;
    let stored = create_account(&db, &geography, &hasher, user, input.into_inner()?, false).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", stored.id)))
        .json(UserView::from(stored)))
}

/// Creates `account` on behalf of `user`, who must manage its role in its area: the API's
/// create and the console's. An account given a password someone else chose
/// (`must_change_password`) must choose its own at its first sign-in. Audited.
pub async fn create_account(
    db: &Db,
    geography: &Geography,
    hasher: &PasswordHasher,
    user: AuthUser,
    input: CreateUserInput,
    must_change_password: bool,
) -> Result<UserRow, ApiError> {
    policy::require(&user, Permission::ManageAccounts)?;
    let account = NewAccount::parse(input, geography).map_err(ApiError::Validation)?;
    accounts::ensure_may_manage(&user, account.role)?;
    accounts::ensure_in_area(&user, &account.area)?;

    let hash = hasher.hash(account.password.clone()).await?;
    let mut row = account.into_row(hash, crate::db::now());
    row.password_change_required = must_change_password;
    let stored = row.clone();
    db.write(move |conn| {
        users::insert(conn, &row)?;
        user.audit(
            conn,
            "user.created",
            "user",
            Some(row.id.as_str()),
            serde_json::json!({
                "username": row.username, "role": row.role, "area_code": row.area_code,
            }),
        )?;
        Ok(())
    })
    .await?;
    Ok(stored)
}

/// Create accounts in bulk from a CSV (`text/csv`, UTF-8, BOM optional) or XLSX file
/// whose first row names the columns `username, display_name, role, area_code, phone`:
/// one outcome per row, each row all or nothing, and the same file sent twice creates
/// nothing new. New accounts get a one-time password, shown only here, to be changed at
/// first sign-in.
#[utoipa::path(
    tag = "users",
    operation_id = "import",
    request_body(
        description = "up to 10,000 rows",
        content(
            (String = "text/csv"),
            (super::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ),
    ),
    responses(
        (status = 200, body = ImportAnswer),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/users/import")]
pub async fn import(
    user: AuthUser,
    req: HttpRequest,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    policy::require(&user, Permission::ManageAccounts)?;
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(FileKind::from_content_type)
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(Message::new(
                "send text/csv or an XLSX workbook",
                "กรุณาส่งไฟล์ CSV (text/csv) หรือ XLSX",
            ))
        })?;
    declared_body_within(&req, MAX_IMPORT_BYTES)?;
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if bytes.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit: MAX_IMPORT_BYTES,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    let answer = import_file(
        &db,
        &geography,
        user,
        kind,
        bytes.freeze(),
        language_of(req.headers()),
    )
    .await?;
    // The one-time passwords are in this answer and nowhere else.
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(answer))
}

/// Reads an import file of `kind` and creates its accounts on behalf of `user`: the API's
/// import and the console's upload.
pub async fn import_file(
    db: &Db,
    geography: &Geography,
    user: AuthUser,
    kind: FileKind,
    bytes: web::Bytes,
    language: Language,
) -> Result<ImportAnswer, ApiError> {
    policy::require(&user, Permission::ManageAccounts)?;
    let rows = web::block(move || read_rows(kind, &bytes))
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("reading the import: {e}")))??;
    crate::accounts::import::import(db, geography, user, rows, language).await
}

/// Every value is taken as text and checked by hand (`routes::query`), so a wrong one is
/// a 422 naming its parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Accounts of any of these roles.
    #[param(value_type = Option<Vec<Role>>, style = Form, explode = false)]
    pub role: Option<String>,
    /// Only accounts in this area, inside one's own (one's own included); a wider or
    /// another area is refused with 403.
    pub area: Option<String>,
    #[param(value_type = Option<bool>)]
    pub active: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    pub cursor: Option<String>,
    /// Part of the display name or the username, in any letter case.
    #[param(max_length = 100)]
    pub q: Option<String>,
}

/// Accounts in the caller's area, by username.
#[utoipa::path(
    tag = "users",
    params(ListQuery),
    responses(
        (status = 200, body = Page<UserView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list(
    user: AuthUser,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<UserView>>, ApiError> {
    policy::require(&user, Permission::ListAccounts)?;
    let query = query.into_inner();
    let mut errors = Vec::new();
    let roles = parse_names(&mut errors, "role", query.role.as_deref());
    let active = parse_bool(&mut errors, "active", query.active.as_deref());
    let area = parse_area(&mut errors, query.area.as_deref());
    let limit = parse_whole(&mut errors, "limit", query.limit.as_deref());
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 100) {
        errors.push(FieldError::new(
            "q",
            FieldCode::OutOfRange,
            "must be at most 100 characters",
            "ต้องไม่เกิน 100 ตัวอักษร",
        ));
    }
    let page = match PageRequest::parse(limit, query.cursor.as_deref(), 1) {
        Ok(page) => Some(page),
        Err(ApiError::Validation(more)) => {
            errors.extend(more);
            None
        }
        Err(other) => return Err(other),
    };
    let (Some(page), true) = (page, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let scope = match &area {
        None => user.scope.clone(),
        Some(area) => AreaScope::of(&policy::requested_area(&user, area)?),
    };
    let filter = UserFilter {
        scope,
        roles,
        active,
        name: query
            .q
            .filter(|q| !q.trim().is_empty())
            .map(|q| q.trim().to_owned()),
    };
    let after = page.after.as_ref().map(|key| key[0].clone());
    let limit = page.fetch_limit();
    let rows = db
        .read(move |conn| Ok(users::list(conn, &filter, after.as_deref(), limit)?))
        .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        &page,
        |row: &UserRow| vec![row.username_key.clone()],
        UserView::from,
    )))
}

/// One account (one's own, or one in one's area for officials and above).
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = UserView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get(
    user: AuthUser,
    db: web::Data<Db>,
    id: web::Path<String>,
) -> Result<web::Json<UserView>, ApiError> {
    let row = find_visible(&user, &db, id.into_inner()).await?;
    Ok(web::Json(row.into()))
}

/// Loads an account the caller may see, else 404 (never revealing that it exists).
async fn find_visible(user: &AuthUser, db: &Db, id: String) -> Result<UserRow, ApiError> {
    let id = UserId::unchecked(id);
    let scope = policy::account_read_scope(user, &id).ok_or(ApiError::NotFound)?;
    db.read(move |conn| users::find_in_scope(conn, &id, &scope)?.ok_or(ApiError::NotFound))
        .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserInput {
    pub display_name: Option<String>,
    /// A phone number, or null to remove it.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub role: Option<Role>,
    pub area_code: Option<String>,
    /// false deactivates the account and ends its sessions at once.
    pub active: Option<bool>,
}

/// Tells an absent field (`None`) from an explicit null (`Some(None)`).
fn present_or_null<'de, D>(deserializer: D) -> Result<Option<Option<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Option::<String>::deserialize(deserializer).map(Some)
}

/// Change an account. A new role or area, or deactivation, ends its sessions.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path)),
    request_body = UpdateUserInput,
    responses(
        (status = 200, body = UserView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update(
    user: AuthUser,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    id: web::Path<String>,
    input: ValidJson<UpdateUserInput>,
) -> Result<web::Json<UserView>, ApiError> {
    let updated =
        change_account(&db, &geography, user, id.into_inner(), input.into_inner()?).await?;
    Ok(web::Json(updated.into()))
}

/// Applies `input` to the account `id` on behalf of `user`, under the account rules
/// (`policy::may_change_account`): the API's `PATCH /users/{id}` and the console's
/// user screen. A new role or area, or deactivation, ends its sessions. Audited.
pub async fn change_account(
    db: &Db,
    geography: &Geography,
    user: AuthUser,
    id: String,
    input: UpdateUserInput,
) -> Result<UserRow, ApiError> {
    policy::require(&user, Permission::ManageAccounts)?;
    let target = find_in_area(&user, db, id).await?;
    let touches_privileges =
        input.role.is_some() || input.area_code.is_some() || input.active.is_some();
    let change = if touches_privileges {
        AccountChange::Privileges
    } else {
        AccountChange::Profile
    };
    ensure_may_change(&user, &target, change)?;
    let changes = parse_changes(&user, input, geography)?;

    let ends_sessions =
        changes.role.is_some() || changes.area_code.is_some() || changes.active == Some(false);
    let changed: Vec<&str> = [
        ("display_name", changes.display_name.is_some()),
        ("phone", changes.phone.is_some()),
        ("role", changes.role.is_some()),
        ("area_code", changes.area_code.is_some()),
        ("active", changes.active.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect();
    let details = serde_json::json!({
        "changed": changed,
        "role": changes.role,
        "area_code": changes.area_code,
        "active": changes.active,
    });

    let updated = db
        .write(move |conn| {
            let now = crate::db::now();
            if ends_sessions {
                end_sessions_and_update(conn, &target, changes, now)?;
            } else {
                users::update(
                    conn,
                    &target.id,
                    &UserChanges {
                        updated_at: Some(now),
                        ..changes
                    },
                )?;
            }
            user.audit(
                conn,
                "user.updated",
                "user",
                Some(target.id.as_str()),
                details,
            )?;
            users::find(conn, &target.id)?.ok_or(ApiError::NotFound)
        })
        .await?;
    Ok(updated)
}

fn parse_changes(
    user: &AuthUser,
    input: UpdateUserInput,
    geography: &Geography,
) -> Result<UserChanges, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut changes = UserChanges::default();
    if let Some(name) = input.display_name {
        changes.display_name = collect(
            &mut errors,
            "display_name",
            accounts::parse_display_name(&name),
        );
    }
    if let Some(phone) = input.phone {
        changes.phone = match phone.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(raw) => collect(
                &mut errors,
                "phone",
                PhoneE164::parse(raw).map(|p| Some(p.into_string())),
            ),
        };
    }
    if let Some(role) = input.role {
        accounts::ensure_may_manage(user, role)?;
        changes.role = Some(role);
    }
    if let Some(raw) = input.area_code {
        if let Some(area) = collect(
            &mut errors,
            "area_code",
            accounts::parse_area(&raw, geography),
        ) {
            if !user.scope.covers_code(area.as_str()) {
                errors.push(accounts::outside_own_area());
            } else {
                let (province, district) = prefixes(&area);
                changes.province_code = Some(province);
                changes.district_code = Some(district);
                changes.area_code = Some(area.into_string());
            }
        }
    }
    changes.active = input.active;
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(ApiError::Validation(errors))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetInput {
    pub new_password: String,
}

/// Set a new password for an account one manages; its sessions end, and it must choose
/// its own password at its next sign-in.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path)),
    request_body = PasswordResetInput,
    responses(
        (status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/users/{id}/password")]
pub async fn reset_password(
    user: AuthUser,
    db: web::Data<Db>,
    hasher: web::Data<PasswordHasher>,
    id: web::Path<String>,
    input: ValidJson<PasswordResetInput>,
) -> Result<HttpResponse, ApiError> {
    let new_password = input.into_inner()?.new_password;
    reset_password_of(&db, &hasher, user, id.into_inner(), &new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sets the password of the account `id` on behalf of `user` who manages it: the API's
/// reset and the console's. Its sessions end, and it must choose its own password at
/// its next sign-in. Audited.
pub async fn reset_password_of(
    db: &Db,
    hasher: &PasswordHasher,
    user: AuthUser,
    id: String,
    new_password: &str,
) -> Result<(), ApiError> {
    policy::require(&user, Permission::ManageAccounts)?;
    let target = find_in_area(&user, db, id).await?;
    ensure_may_change(&user, &target, AccountChange::Password)?;
    let password = NewPassword::parse(new_password, &target.username)
        .map_err(|error| ApiError::parse_field("new_password", error))?;
    let hash = hasher.hash(password).await?;
    db.write(move |conn| {
        // A password someone else knows is only good for choosing a new one.
        let changes = UserChanges {
            password_hash: Some(hash),
            password_change_required: Some(true),
            ..Default::default()
        };
        end_sessions_and_update(conn, &target, changes, crate::db::now())?;
        user.audit(
            conn,
            "user.password_reset",
            "user",
            Some(target.id.as_str()),
            serde_json::json!({}),
        )?;
        Ok(())
    })
    .await?;
    Ok(())
}

/// An account in the caller's area; 404 outside it, never revealing that it exists.
async fn find_in_area(user: &AuthUser, db: &Db, id: String) -> Result<UserRow, ApiError> {
    let id = UserId::unchecked(id);
    let scope = user.scope.clone();
    db.read(move |conn| users::find_in_scope(conn, &id, &scope)?.ok_or(ApiError::NotFound))
        .await
}

/// 403 unless the policy lets `user` make `change` to `target`, saying why not.
fn ensure_may_change(
    user: &AuthUser,
    target: &UserRow,
    change: AccountChange,
) -> Result<(), ApiError> {
    let role = target.role;
    if policy::may_change_account(user, &target.id, role, change) {
        return Ok(());
    }
    Err(match change {
        AccountChange::Privileges if target.id == user.id => ApiError::forbidden(
            "you cannot change your own role, area or active state",
            "ท่านไม่สามารถเปลี่ยนบทบาท พื้นที่ หรือสถานะการใช้งานของตนเองได้",
        ),
        AccountChange::Password if target.id == user.id => ApiError::forbidden(
            "change your own password with PUT /api/v1/me/password and your current password",
            "กรุณาเปลี่ยนรหัสผ่านของตนเองที่ PUT /api/v1/me/password โดยใช้รหัสผ่านปัจจุบัน",
        ),
        _ => return accounts::ensure_may_manage(user, role),
    })
}

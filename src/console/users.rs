//! The accounts of one's area for supervisors and admins: search by name, area, role and
//! state, when each last signed in and synced, and the changes a manager makes
//! (deactivate, reactivate, move to another area, reset the password to a one-time one).
//! Every change goes through the API's own account rules (`routes::users`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::pages::{form_field, render, Choice, Chrome, Notice};
use super::queue::request_path;
use super::session::{Refusal, Signed};
use super::words::{self, label, words};
use super::ConsoleSettings;
use crate::auth::password::temporary_password;
use crate::auth::PasswordHasher;
use crate::db::users::{self as store, UserFilter};
use crate::db::{activity, Db};
use crate::domain::{AreaScope, Role};
use crate::error::ApiError;
use crate::geo::Geography;
use crate::policy::{self, AccountChange, Permission};
use crate::routes::query::{parse_area, parse_bool, parse_name};
use crate::routes::users::{change_account, reset_password_of, UpdateUserInput};

/// Accounts shown at once.
const LISTED: i64 = 200;

#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    q: Option<String>,
    role: Option<String>,
    area: Option<String>,
    active: Option<String>,
}

pub struct AccountLine {
    pub id: String,
    pub name: String,
    pub username: String,
    pub role: String,
    pub area: String,
    pub area_code: String,
    pub active: bool,
    pub last_sign_in: String,
    pub last_sync: String,
    pub must_change_password: bool,
    pub manageable: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub c: Chrome,
    pub accounts: Vec<AccountLine>,
    pub q: String,
    pub area: String,
    pub roles: Vec<Choice>,
    pub states: Vec<Choice>,
    pub notice: Option<Notice>,
    pub capped: bool,
}

#[allow(clippy::too_many_arguments)] // the page's request, reader and services
async fn users_page(
    req: &HttpRequest,
    signed: &Signed,
    db: &Db,
    geography: &Geography,
    settings: &ConsoleSettings,
    query: &UsersQuery,
    notice: Option<Notice>,
) -> Result<UsersPage, Refusal> {
    let language = signed.language;
    let refuse = |e| Refusal::from_api(e, language);
    policy::require(&signed.user, Permission::ManageAccounts).map_err(refuse)?;
    let blank = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
    // The API's own readers of `GET /users`' parameters.
    let mut errors = Vec::new();
    let role: Option<Role> = parse_name(&mut errors, "role", blank(&query.role).as_deref());
    let area = parse_area(&mut errors, blank(&query.area).as_deref().map(str::trim));
    let active = parse_bool(&mut errors, "active", blank(&query.active).as_deref());
    if !errors.is_empty() {
        return Err(refuse(ApiError::Validation(errors)));
    }
    let scope = match &area {
        None => signed.user.scope.clone(),
        Some(area) => AreaScope::of(&policy::requested_area(&signed.user, area).map_err(refuse)?),
    };
    let filter = UserFilter {
        scope,
        roles: role.into_iter().collect(),
        active,
        name: blank(&query.q).map(|q| q.trim().chars().take(100).collect()),
    };
    let (rows, seen) = db
        .read(move |conn| {
            let rows = store::list(conn, &filter, None, LISTED + 1)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
            Ok((rows, activity::of(conn, &ids)?))
        })
        .await
        .map_err(refuse)?;
    let capped = rows.len() as i64 > LISTED;
    let w = words(language);
    let when = |at: Option<chrono::NaiveDateTime>| {
        at.map(|at| words::when(at.and_utc(), language))
            .unwrap_or_else(|| w.never.to_owned())
    };
    let accounts = rows
        .into_iter()
        .take(LISTED as usize)
        .map(|row| {
            let seen = seen.iter().find(|a| a.user_id == row.id.as_str());
            AccountLine {
                manageable: policy::may_change_account(
                    &signed.user,
                    &row.id,
                    row.role,
                    AccountChange::Privileges,
                ),
                id: row.id.to_string(),
                name: row.display_name,
                username: row.username,
                role: label(row.role, language),
                area: format!(
                    "{} {}",
                    row.area_code,
                    super::queue::area_name(geography, &row.area_code, language)
                ),
                area_code: row.area_code,
                active: row.active,
                last_sign_in: when(seen.and_then(|a| a.last_sign_in_at)),
                last_sync: when(seen.and_then(|a| a.last_sync_at)),
                must_change_password: row.password_change_required,
            }
        })
        .collect();
    let chosen_role = blank(&query.role).unwrap_or_default();
    let chosen_state = query.active.clone().unwrap_or_default();
    Ok(UsersPage {
        c: Chrome::new(signed, "users", request_path(req), &settings.tile_url),
        accounts,
        q: blank(&query.q).unwrap_or_default(),
        area: blank(&query.area).unwrap_or_default(),
        roles: std::iter::once(Choice {
            value: String::new(),
            label: w.any.to_owned(),
            selected: chosen_role.is_empty(),
        })
        .chain(Role::ALL.into_iter().map(|role| Choice {
            value: role.as_str().to_owned(),
            label: label(role, language),
            selected: chosen_role == role.as_str(),
        }))
        .collect(),
        states: [
            ("", w.any),
            ("true", w.account_active),
            ("false", w.inactive),
        ]
        .into_iter()
        .map(|(value, text)| Choice {
            value: value.to_owned(),
            label: text.to_owned(),
            selected: chosen_state == value,
        })
        .collect(),
        notice,
        capped,
    })
}

/// `GET /console/users?q=&role=&area=&active=`.
pub async fn page(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    settings: web::Data<ConsoleSettings>,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, Refusal> {
    let page = users_page(&req, &signed, &db, &geography, &settings, &query, None).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /console/users/{id}`: `action` = `deactivate`, `activate`, `move` (with
/// `area_code`) or `reset` (a one-time password, shown once, to be changed at the next
/// sign-in).
#[allow(clippy::too_many_arguments)] // an actix handler: one argument per extractor
pub async fn act(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    settings: web::Data<ConsoleSettings>,
    hasher: web::Data<PasswordHasher>,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Refusal> {
    let form = form.into_inner();
    signed.check_csrf(&req, &form)?;
    let language = signed.language;
    let w = words(language);
    let id = id.into_inner();
    let user = signed.user.clone();
    let change =
        |input: UpdateUserInput| change_account(&db, &geography, user.clone(), id.clone(), input);
    let outcome: Result<String, ApiError> = match form_field(&form, "action").as_deref() {
        Some("deactivate") => change(UpdateUserInput {
            active: Some(false),
            ..Default::default()
        })
        .await
        .map(|row| format!("{}: {}", w.deactivated, row.display_name)),
        Some("activate") => change(UpdateUserInput {
            active: Some(true),
            ..Default::default()
        })
        .await
        .map(|row| format!("{}: {}", w.activated, row.display_name)),
        Some("move") => change(UpdateUserInput {
            area_code: Some(form_field(&form, "area_code").unwrap_or_default()),
            ..Default::default()
        })
        .await
        .map(|row| format!("{}: {} → {}", w.moved, row.display_name, row.area_code)),
        Some("reset") => {
            let password = temporary_password();
            reset_password_of(&db, &hasher, user.clone(), id.clone(), &password)
                .await
                .map(|()| format!("{}: {password}", w.temporary_password_is))
        }
        _ => Err(ApiError::malformed("no such action", "ไม่มีการดำเนินการนี้")),
    };
    let (status, notice) = Notice::after(outcome, language, |text| text);
    let query = UsersQuery {
        q: form_field(&form, "q"),
        area: form_field(&form, "filter_area"),
        role: form_field(&form, "role"),
        active: form_field(&form, "active"),
    };
    let page = users_page(
        &req,
        &signed,
        &db,
        &geography,
        &settings,
        &query,
        Some(notice),
    )
    .await?;
    Ok(render(status, &page))
}

//! The accounts of one's area for supervisors and admins: search by name, area, role and
//! state, when each last signed in and synced, and the changes a manager makes
//! (deactivate, reactivate, move to another area, reset the password to a one-time one),
//! one account created or many imported from a spreadsheet. Every change goes through the
//! API's own account rules (`routes::users`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::pages::PageContext;
use super::pages::{form_field, render, Choice, Chrome, Notice};
use super::session::{Refusal, Signed};
use super::words::{self, label, words};
use super::ConsoleSettings;
use crate::auth::password::temporary_password;
use crate::auth::PasswordHasher;
use crate::db::users::{self as store, UserFilter};
use crate::db::{activity, Db};
use crate::domain::{AreaScope, Language, Role};
use crate::error::ApiError;
use crate::geo::Geography;
use crate::policy::{self, AccountChange, Permission};
use crate::routes::query::{parse_area, parse_bool, parse_name};
use crate::routes::users::{
    change_account, create_account, import_file, reset_password_of, CreateUserInput, FileKind,
    ImportAnswer, ImportResult, UpdateUserInput, MAX_IMPORT_BYTES,
};

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
    /// The roles the reader may create accounts of.
    pub creatable_roles: Vec<Choice>,
    pub imported: Option<ImportOutcome>,
}

/// An import's answer as the page shows it.
pub struct ImportOutcome {
    pub created: usize,
    pub unchanged: usize,
    pub refused: usize,
    pub lines: Vec<ImportLine>,
}

pub struct ImportLine {
    pub row: usize,
    pub username: String,
    pub display_name: String,
    pub ok: bool,
    pub outcome: &'static str,
    pub temporary_password: String,
    pub problem: String,
}

impl ImportLine {
    fn of(result: ImportResult, language: Language) -> Self {
        let w = words(language);
        let outcome = match result.status {
            201 => w.import_created,
            200 => w.import_unchanged,
            409 => w.import_taken,
            403 => w.import_not_allowed,
            _ => w.import_invalid,
        };
        let problem = result
            .problem
            .map(|problem| {
                let fields = problem.errors.unwrap_or_default();
                if fields.is_empty() {
                    problem.detail.unwrap_or(problem.title)
                } else {
                    fields
                        .into_iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            })
            .unwrap_or_default();
        Self {
            row: result.row,
            ok: matches!(result.status, 200 | 201),
            display_name: result
                .user
                .map(|user| user.display_name)
                .unwrap_or_default(),
            username: result.username,
            outcome,
            temporary_password: result.temporary_password.unwrap_or_default(),
            problem,
        }
    }
}

impl ImportOutcome {
    fn of(answer: ImportAnswer, language: Language) -> Self {
        Self {
            created: answer.created,
            unchanged: answer.unchanged,
            refused: answer.refused,
            lines: answer
                .results
                .into_iter()
                .map(|result| ImportLine::of(result, language))
                .collect(),
        }
    }

    /// The outcome as a CSV file (UTF-8 with a BOM, so spreadsheets read Thai), for an
    /// office to hand each volunteer a one-time password.
    fn csv(&self, language: Language) -> Result<Vec<u8>, ApiError> {
        let w = words(language);
        let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        let failed =
            |e: csv::Error| ApiError::internal(anyhow::anyhow!("writing the outcome: {e}"));
        out.write_record([
            w.col_row,
            w.username,
            w.display_name,
            w.col_outcome,
            w.temporary_password,
            w.col_problem,
        ])
        .map_err(failed)?;
        for line in &self.lines {
            out.write_record([
                line.row.to_string().as_str(),
                &line.username,
                &line.display_name,
                line.outcome,
                &line.temporary_password,
                &line.problem,
            ])
            .map_err(failed)?;
        }
        out.into_inner()
            .map_err(|e| ApiError::internal(anyhow::anyhow!("writing the outcome: {e}")))
    }
}

async fn users_page(
    cx: &PageContext<'_>,
    geography: &Geography,
    query: &UsersQuery,
    notice: Option<Notice>,
) -> Result<UsersPage, Refusal> {
    let PageContext { signed, db, .. } = *cx;
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
        c: cx.chrome("users"),
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
        creatable_roles: Role::ALL
            .into_iter()
            .filter(|role| policy::may_manage(signed.user.role, *role))
            .map(|role| Choice {
                value: role.as_str().to_owned(),
                label: label(role, language),
                selected: role == Role::Volunteer,
            })
            .collect(),
        imported: None,
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
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = users_page(&cx, &geography, &query, None).await?;
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
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = users_page(&cx, &geography, &query, Some(notice)).await?;
    Ok(render(status, &page))
}

/// `POST /console/users`: one account, with a one-time password shown once, to be
/// changed at its first sign-in.
pub async fn create(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    settings: web::Data<ConsoleSettings>,
    hasher: web::Data<PasswordHasher>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Refusal> {
    let form = form.into_inner();
    signed.check_csrf(&req, &form)?;
    let language = signed.language;
    let w = words(language);
    let field = |name| form_field(&form, name).unwrap_or_default();
    let password = temporary_password();
    let outcome = match parse_name::<Role>(&mut Vec::new(), "role", Some(&field("role"))) {
        None => Err(ApiError::malformed("no such role", "ไม่มีบทบาทนี้")),
        Some(role) => {
            let input = CreateUserInput {
                username: field("username"),
                display_name: field("display_name"),
                password: password.clone(),
                role,
                area_code: field("area_code").trim().to_owned(),
                phone: form_field(&form, "phone").filter(|p| !p.trim().is_empty()),
            };
            create_account(&db, &geography, &hasher, signed.user.clone(), input, true).await
        }
    };
    let (status, notice) = Notice::after(outcome, language, |row| {
        format!(
            "{}: {} ({}) · {}: {password}",
            w.account_created, row.display_name, row.username, w.temporary_password_is
        )
    });
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = users_page(&cx, &geography, &UsersQuery::default(), Some(notice)).await?;
    Ok(render(status, &page))
}

/// `POST /console/users/import` (multipart: `csrf`, `answer` = `page` or `csv`, and the
/// `file`): the API's import, its outcome shown on the page or downloaded as CSV.
pub async fn import(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    settings: web::Data<ConsoleSettings>,
    upload: actix_multipart::Multipart,
) -> Result<HttpResponse, Refusal> {
    let language = signed.language;
    let refuse = |e| Refusal::from_api(e, language);
    policy::require(&signed.user, Permission::ManageAccounts).map_err(refuse)?;
    crate::http::declared_body_within(&req, MAX_IMPORT_BYTES + FORM_OVERHEAD).map_err(refuse)?;
    let form = read_upload(upload).await.map_err(refuse)?;
    signed.check_csrf(&req, &form.fields)?;
    let outcome = match form.file {
        Some((kind, bytes)) => {
            import_file(&db, &geography, signed.user.clone(), kind, bytes, language).await
        }
        None => Err(ApiError::malformed(
            words(Language::English).import_no_file,
            words(Language::Thai).import_no_file,
        )),
    };
    let as_csv = form_field(&form.fields, "answer").as_deref() == Some("csv");
    match outcome {
        Ok(answer) if as_csv => {
            let file = ImportOutcome::of(answer, language)
                .csv(language)
                .map_err(refuse)?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    actix_web::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"import-outcome.csv\"",
                ))
                // The one-time passwords are in this file and nowhere else.
                .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
                .body(file))
        }
        outcome => {
            let (status, imported, notice) = match outcome {
                Ok(answer) => {
                    let shown = ImportOutcome::of(answer, language);
                    let w = words(language);
                    let text = format!(
                        "{}: {} {} · {} {} · {} {}",
                        w.import_outcome,
                        w.import_created,
                        shown.created,
                        w.import_unchanged,
                        shown.unchanged,
                        w.import_refused,
                        shown.refused
                    );
                    (StatusCode::OK, Some(shown), Notice::done(text))
                }
                Err(error) => (
                    actix_web::ResponseError::status_code(&error),
                    None,
                    Notice::refused(&error, language),
                ),
            };
            let cx = PageContext::new(&req, &signed, &db, &settings);
            let mut page =
                users_page(&cx, &geography, &UsersQuery::default(), Some(notice)).await?;
            page.imported = imported;
            Ok(render(status, &page))
        }
    }
}

/// What a multipart form adds around the file: its fields and part headers.
const FORM_OVERHEAD: usize = 16 * 1024;

/// The text fields of an upload form and its one file, by the kind its name says.
struct Upload {
    fields: Vec<(String, String)>,
    file: Option<(FileKind, web::Bytes)>,
}

/// Reads the form, refusing a file over the import's limit or of another kind, and more
/// text than a form of a few fields holds.
async fn read_upload(mut upload: actix_multipart::Multipart) -> Result<Upload, ApiError> {
    use futures_util::StreamExt;
    let unreadable = |e: actix_multipart::MultipartError| {
        ApiError::malformed(format!("the form cannot be read: {e}"), "อ่านแบบฟอร์มไม่ได้")
    };
    let mut fields = Vec::new();
    let mut text_bytes = 0usize;
    let mut file = None;
    while let Some(part) = upload.next().await {
        let mut part = part.map_err(unreadable)?;
        let name = part.name().unwrap_or_default().to_owned();
        let file_name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        let limit = if file_name.is_some() {
            MAX_IMPORT_BYTES
        } else {
            FORM_OVERHEAD.saturating_sub(text_bytes)
        };
        let mut bytes = web::BytesMut::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if bytes.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge {
                    limit: MAX_IMPORT_BYTES,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        match file_name {
            // A form sent with no file chosen has an empty, nameless file part.
            Some(file_name) if name == "file" && !bytes.is_empty() => {
                let kind = FileKind::from_file_name(&file_name).ok_or_else(|| {
                    ApiError::UnsupportedMediaType(crate::domain::Message::new(
                        "send a .csv or .xlsx file",
                        "กรุณาส่งไฟล์ .csv หรือ .xlsx",
                    ))
                })?;
                file = Some((kind, bytes.freeze()));
            }
            Some(_) => {}
            None => {
                text_bytes += bytes.len();
                fields.push((name, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    Ok(Upload { fields, file })
}

//! Onboarding in bulk: accounts from a CSV or XLSX file whose columns are `username,
//! display_name, role, area_code, phone`, one outcome per row.
//!
//! Each row is all or nothing (its account is one tuple of a multi-row insert that skips
//! a taken username, and its audit entry is written only for an account created), and
//! a file may be sent again: a row identical to
//! an existing account is 200 and creates nothing, the same username with other data is
//! 409 `username_taken`. A new account gets a random one-time password, shown only in
//! the answer, that must be changed at its first sign-in.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde::Serialize;
use utoipa::ToSchema;

use super::{CreateUserInput, NewAccount, UserView};
use crate::auth::password::{self, temporary_password};
use crate::auth::AuthUser;
use crate::db::audit::{self, AuditEntry};
use crate::db::users::{self, UserRow};
use crate::db::{Db, DbConnection};
use crate::domain::UserId;
use crate::domain::{Labelled, Language, Role};
use crate::error::{ApiError, FieldCode, FieldError, Problem};
use crate::geo::Geography;

/// Rows one file may hold.
pub const MAX_IMPORT_ROWS: usize = 10_000;
/// The largest file taken: 10,000 rows of a spreadsheet are well under this.
pub const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

/// The columns a file must name in its first row (`phone` may be left out).
const REQUIRED_COLUMNS: [&str; 4] = ["username", "display_name", "role", "area_code"];

/// What kind of file was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Xlsx,
}

impl FileKind {
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" => Some(Self::Csv),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// The kind a file's name says (`.csv`, `.xlsx`), for a browser's upload, whose
    /// declared type varies with the system (a CSV is often `application/vnd.ms-excel`).
    pub fn from_file_name(name: &str) -> Option<Self> {
        let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }
}

/// One data row as read, numbered as a spreadsheet shows it (the header is row 1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetRow {
    pub row: usize,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub area_code: String,
    pub phone: String,
}

fn file_problem(en: impl Into<String>, th: impl Into<String>) -> ApiError {
    ApiError::Validation(vec![FieldError::new(
        "file",
        FieldCode::BadFormat,
        en.into(),
        th.into(),
    )])
}

/// Reads every data row of the file (blank rows skipped). A file that cannot be read,
/// lacks a column or holds more than [`MAX_IMPORT_ROWS`] rows is refused whole.
pub fn read_rows(kind: FileKind, bytes: &[u8]) -> Result<Vec<SheetRow>, ApiError> {
    let table = match kind {
        FileKind::Csv => csv_table(bytes)?,
        FileKind::Xlsx => xlsx_table(bytes)?,
    };
    let mut lines = table.into_iter();
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .into_iter()
        .map(|name| name.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .into_iter()
        .filter(|name| column(name).is_none())
        .collect();
    if !missing.is_empty() {
        let missing = missing.join(", ");
        return Err(file_problem(
            format!("the first row must name the columns username, display_name, role, area_code and phone; missing: {missing}"),
            format!("แถวแรกต้องเป็นชื่อคอลัมน์ username, display_name, role, area_code และ phone (ขาด: {missing})"),
        ));
    }
    let at = |line: &[String], name: &str| {
        column(name)
            .and_then(|i| line.get(i))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    for (index, line) in lines.enumerate() {
        if line.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(file_problem(
                format!("a file holds at most {MAX_IMPORT_ROWS} rows: split it"),
                format!("ไฟล์หนึ่งมีได้ไม่เกิน {MAX_IMPORT_ROWS} แถว กรุณาแบ่งไฟล์"),
            ));
        }
        rows.push(SheetRow {
            row: index + 2,
            username: at(&line, "username"),
            display_name: at(&line, "display_name"),
            role: at(&line, "role"),
            area_code: at(&line, "area_code"),
            phone: at(&line, "phone"),
        });
    }
    Ok(rows)
}

fn csv_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, ApiError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    reader
        .records()
        .map(|record| {
            record
                .map(|r| r.iter().map(str::to_owned).collect())
                .map_err(|error| {
                    let line = error.position().map(|p| p.line()).unwrap_or_default();
                    file_problem(
                        format!("line {line} is not UTF-8 CSV"),
                        format!("บรรทัดที่ {line} ไม่ใช่ CSV แบบ UTF-8"),
                    )
                })
        })
        .collect()
}

fn xlsx_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, ApiError> {
    let unreadable = || {
        file_problem(
            "the file is not a readable XLSX workbook",
            "อ่านไฟล์ XLSX นี้ไม่ได้",
        )
    };
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(unreadable)?
        .map_err(|_| unreadable())?;
    if range.height() > MAX_IMPORT_ROWS + 1 + 1_000 {
        return Err(file_problem(
            format!("a file holds at most {MAX_IMPORT_ROWS} rows: split it"),
            format!("ไฟล์หนึ่งมีได้ไม่เกิน {MAX_IMPORT_ROWS} แถว กรุณาแบ่งไฟล์"),
        ));
    }
    Ok(range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect())
}

/// A cell as text. Numbers typed into a spreadsheet (a phone, an area code) come back as
/// floats: whole ones are written without a decimal point.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Float(number) if number.fract() == 0.0 && number.abs() < 1e15 => {
            format!("{}", *number as i64)
        }
        Data::Float(number) => number.to_string(),
        Data::Int(number) => number.to_string(),
        Data::Bool(flag) => flag.to_string(),
        other => other.to_string(),
    }
}

/// A role by its code or by its Thai or English label.
fn parse_role(raw: &str) -> Option<Role> {
    let wanted = raw.trim().to_lowercase();
    Role::ALL.into_iter().find(|role| {
        let label = role.label();
        role.as_str() == wanted
            || label.th.to_lowercase() == wanted
            || label.en.to_lowercase() == wanted
    })
}

/// One row's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// The row as the spreadsheet numbers it (the header is row 1).
    pub row: usize,
    pub username: String,
    /// 201 created, 200 already there as given, 409 the username is taken by other data,
    /// 403 a role the caller may not manage, 422 a bad row (an area outside the
    /// caller's among them).
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserView>,
    /// Only for 201, only in this answer: the account must change it at first sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportAnswer {
    pub results: Vec<ImportResult>,
    pub created: usize,
    pub unchanged: usize,
    pub refused: usize,
}

/// A row that passed every check, ready to be written.
struct Candidate {
    row: usize,
    account: NewAccount,
    temporary_password: String,
}

/// Imports `rows` on behalf of `user`; answers one result per row, in order.
pub async fn import(
    db: &Db,
    geography: &Geography,
    user: AuthUser,
    rows: Vec<SheetRow>,
    language: Language,
) -> Result<ImportAnswer, ApiError> {
    let mut results: Vec<Option<ImportResult>> = Vec::with_capacity(rows.len());
    let mut candidates = Vec::new();
    for sheet_row in rows {
        match check_row(&user, geography, &sheet_row) {
            Ok(candidate) => {
                candidates.push((results.len(), candidate));
                results.push(None);
            }
            Err(error) => results.push(Some(ImportResult {
                row: sheet_row.row,
                username: sheet_row.username,
                status: actix_web::ResponseError::status_code(&error).as_u16(),
                user: None,
                temporary_password: None,
                problem: Some(error.problem(language)),
            })),
        }
    }

    // Only rows whose username is free get a password: a file sent again hashes nothing.
    let keys: Vec<String> = candidates
        .iter()
        .map(|(_, c)| users::username_key(&c.account.username))
        .collect();
    let taken: HashSet<String> = db
        .read(move |conn| Ok(users::find_by_username_keys(conn, &keys)?))
        .await?
        .into_iter()
        .map(|row| row.username_key)
        .collect();
    // The one-time passwords are random, not chosen by people: a light argon2 is enough
    // for them (see `password::hash_temporary_blocking`).
    let hashed = tokio::task::spawn_blocking(move || {
        candidates
            .into_iter()
            .map(|(slot, candidate)| {
                let free = !taken.contains(&users::username_key(&candidate.account.username));
                let hash = free
                    .then(|| password::hash_temporary_blocking(&candidate.temporary_password))
                    .transpose()?;
                Ok((slot, candidate, hash))
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })
    .await
    .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing thread: {e}")))?
    .map_err(ApiError::Internal)?;

    let written = db
        .write(move |conn| write_rows(conn, &user, hashed))
        .await?;
    for (slot, outcome) in written {
        results[slot] = Some(outcome.into_result(language));
    }
    let results: Vec<ImportResult> = results.into_iter().flatten().collect();
    let count = |f: fn(u16) -> bool| results.iter().filter(|r| f(r.status)).count();
    Ok(ImportAnswer {
        created: count(|s| s == 201),
        unchanged: count(|s| s == 200),
        refused: count(|s| s >= 400),
        results,
    })
}

/// Every rule of a row that does not need the database: the account's own rules, and
/// that the caller may manage that role in that area.
fn check_row(
    user: &AuthUser,
    geography: &Geography,
    sheet_row: &SheetRow,
) -> Result<Candidate, ApiError> {
    let temporary_password = temporary_password();
    let role = parse_role(&sheet_row.role);
    let parsed = NewAccount::parse(
        CreateUserInput {
            username: sheet_row.username.clone(),
            display_name: sheet_row.display_name.clone(),
            password: temporary_password.clone(),
            role: role.unwrap_or(Role::Volunteer),
            area_code: sheet_row.area_code.clone(),
            phone: Some(sheet_row.phone.clone()),
        },
        geography,
    );
    let mut errors = match &parsed {
        Ok(_) => Vec::new(),
        Err(errors) => errors.clone(),
    };
    if role.is_none() {
        errors.push(FieldError::new(
            "role",
            FieldCode::NotAllowedValue,
            "must be volunteer, official, supervisor or admin",
            "ต้องเป็น volunteer, official, supervisor หรือ admin",
        ));
    }
    let account = match parsed {
        Ok(account) if errors.is_empty() => account,
        _ => return Err(ApiError::Validation(errors)),
    };
    // The same rules, and answers, as creating one account.
    super::ensure_may_manage(user, account.role)?;
    super::ensure_in_area(user, &account.area)?;
    Ok(Candidate {
        row: sheet_row.row,
        account,
        temporary_password,
    })
}

/// What writing one row came to.
struct Written {
    row: usize,
    username: String,
    status: u16,
    user: Option<UserRow>,
    temporary_password: Option<String>,
    problem: Option<ApiError>,
}

impl Written {
    fn into_result(self, language: Language) -> ImportResult {
        ImportResult {
            row: self.row,
            username: self.username,
            status: self.status,
            user: self.user.map(UserView::from),
            temporary_password: self.temporary_password,
            problem: self.problem.map(|p| p.problem(language)),
        }
    }
}

/// Whether an account already holds what a row asks for.
fn same_account(existing: &UserRow, account: &NewAccount) -> bool {
    existing.display_name == account.display_name
        && existing.role == account.role
        && existing.area_code == account.area.as_str()
        && existing.phone.as_deref() == account.phone.as_ref().map(|p| p.as_str())
}

fn username_taken(username: &str) -> ApiError {
    ApiError::conflict(
        crate::error::ConflictCode::UsernameTaken,
        format!("the username {username:?} belongs to an account with other details"),
        format!("ชื่อผู้ใช้ {username:?} เป็นของบัญชีอื่นที่มีข้อมูลต่างจากแถวนี้"),
    )
}

/// Writes a file's checked rows in the caller's transaction: the accounts already there
/// are read in a few statements, the new ones inserted a few hundred a statement (a row
/// is one `VALUES` tuple, so each is all or nothing), and the audit entries appended
/// together. A row repeating a username earlier in the file is judged against that row.
fn write_rows(
    conn: &mut DbConnection,
    user: &AuthUser,
    rows: Vec<(usize, Candidate, Option<String>)>,
) -> Result<Vec<(usize, Written)>, ApiError> {
    let keys: Vec<String> = rows
        .iter()
        .map(|(_, c, _)| users::username_key(&c.account.username))
        .collect();
    let mut known: HashMap<String, UserRow> = users::find_by_username_keys(conn, &keys)?
        .into_iter()
        .map(|row| (row.username_key.clone(), row))
        .collect();
    let now = crate::db::now();
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut new_rows = Vec::new();
    for ((slot, candidate, hash), key) in rows.into_iter().zip(keys) {
        let Candidate {
            row,
            account,
            temporary_password,
        } = candidate;
        let username = account.username.clone();
        let outcome = match (known.get(&key), hash) {
            (Some(existing), _) if same_account(existing, &account) => Written {
                row,
                username,
                status: 200,
                user: Some(existing.clone()),
                temporary_password: None,
                problem: None,
            },
            // Taken, or free when the file was read but not now: no password was made.
            (Some(_), _) | (None, None) => Written {
                row,
                status: 409,
                user: None,
                temporary_password: None,
                problem: Some(username_taken(&username)),
                username,
            },
            (None, Some(hash)) => {
                let mut new_row = account.into_row(hash, now);
                new_row.password_change_required = true;
                known.insert(key, new_row.clone());
                new_rows.push(new_row.clone());
                Written {
                    row,
                    username,
                    status: 201,
                    user: Some(new_row),
                    temporary_password: Some(temporary_password),
                    problem: None,
                }
            }
        };
        outcomes.push((slot, outcome));
    }

    // A username taken by someone else since it was read is refused, alone.
    let inserted: HashSet<UserId> = users::insert_where_free(conn, &new_rows)?
        .into_iter()
        .collect();
    let meant: HashSet<&UserId> = new_rows.iter().map(|row| &row.id).collect();
    for (_, outcome) in &mut outcomes {
        // The row that was to create it, or a later one that found it identical.
        let lost = outcome
            .user
            .as_ref()
            .is_some_and(|u| meant.contains(&u.id) && !inserted.contains(&u.id));
        if lost {
            outcome.status = 409;
            outcome.user = None;
            outcome.temporary_password = None;
            outcome.problem = Some(username_taken(&outcome.username));
        }
    }

    let created: Vec<(String, serde_json::Value)> = outcomes
        .iter()
        .filter(|(_, o)| o.status == 201)
        .filter_map(|(_, o)| o.user.as_ref())
        .map(|row| {
            (
                row.id.to_string(),
                serde_json::json!({
                    "username": row.username, "role": row.role,
                    "area_code": row.area_code, "via": "import",
                }),
            )
        })
        .collect();
    let count = |status: u16| outcomes.iter().filter(|(_, o)| o.status == status).count();
    let summary = serde_json::json!({
        "created": created.len(), "unchanged": count(200), "refused_at_write": count(409),
    });
    let actor = Some(user.id.as_str());
    let mut entries: Vec<AuditEntry> = created
        .iter()
        .map(|(id, details)| AuditEntry {
            actor_id: actor,
            action: "user.created",
            record_type: "user",
            record_id: Some(id.as_str()),
            details: details.clone(),
        })
        .collect();
    entries.push(AuditEntry {
        actor_id: actor,
        action: "user.import",
        record_type: "user",
        record_id: None,
        details: summary,
    });
    audit::record_many(conn, &user.client, &entries)?;
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_its_header_are_read_in_any_column_order() {
        let file = "\u{feff}Role,username,area_code,display_name\nvolunteer,a.one,500101,เอ หนึ่ง\n,,,\nอาสาสมัครพัฒนาสังคมและความมั่นคงของมนุษย์ (อพม.),b.two,5001,บี สอง\n";
        let rows = read_rows(FileKind::Csv, file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[0].username, "a.one");
        assert_eq!(rows[0].phone, "");
        assert_eq!(rows[1].row, 4, "the blank row keeps its number");
        assert_eq!(parse_role(&rows[1].role), Some(Role::Volunteer));
        assert_eq!(parse_role("Official"), Some(Role::Official));
        assert_eq!(parse_role("boss"), None);
    }

    #[test]
    fn a_missing_column_or_too_many_rows_refuse_the_whole_file() {
        let error = read_rows(FileKind::Csv, b"username,role\na,volunteer\n").unwrap_err();
        assert_eq!(error.code(), "validation_failed");
        let mut big = String::from("username,display_name,role,area_code\n");
        for i in 0..=MAX_IMPORT_ROWS {
            big.push_str(&format!("u{i},n,volunteer,50\n"));
        }
        assert!(read_rows(FileKind::Csv, big.as_bytes()).is_err());
    }

    #[test]
    fn temporary_passwords_are_long_random_and_verify() {
        let one = temporary_password();
        assert_eq!(one.len(), 19);
        assert_ne!(one, temporary_password());
        let hash = password::hash_temporary_blocking(&one).unwrap();
        assert!(password::verify_blocking(&one, &hash));
        assert!(!password::verify_blocking("something else", &hash));
    }

    #[test]
    fn whole_numbers_typed_in_a_spreadsheet_read_as_digits() {
        assert_eq!(cell_text(&Data::Float(500101.0)), "500101");
        assert_eq!(cell_text(&Data::Float(812345678.0)), "812345678");
        assert_eq!(cell_text(&Data::String("081".into())), "081");
    }
}

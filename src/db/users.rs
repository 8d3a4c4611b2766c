//! The `users` table.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{refresh_tokens, users};
use super::{is_unique_violation, DbConnection};
use crate::domain::AreaScope;
use crate::domain::{Role, UserId};
use crate::error::{ApiError, ConflictCode};
use crate::scoped;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: UserId,
    pub username: String,
    pub username_key: String,
    pub display_name: String,
    pub role: Role,
    pub area_code: String,
    pub province_code: Option<String>,
    pub district_code: Option<String>,
    pub phone: Option<String>,
    pub password_hash: String,
    pub active: bool,
    pub token_version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The password was set by someone else: the account must change it first.
    pub password_change_required: bool,
}

/// Usernames are unique whatever their letter case.
pub fn username_key(username: &str) -> String {
    username.trim().to_lowercase()
}

/// Inserts a new account; a taken username is a 409 `username_taken`.
pub fn insert(conn: &mut DbConnection, row: &UserRow) -> Result<(), ApiError> {
    match diesel::insert_into(users::table).values(row).execute(conn) {
        Ok(_) => Ok(()),
        Err(error) if is_unique_violation(&error) => Err(ApiError::conflict(
            ConflictCode::UsernameTaken,
            format!("the username {:?} is taken", row.username),
            format!("ชื่อผู้ใช้ {:?} มีผู้ใช้แล้ว กรุณาเลือกชื่ออื่น", row.username),
        )),
        Err(error) => Err(error.into()),
    }
}

/// Read on every authenticated request, hence on the engine's own connection.
pub fn find(conn: &mut DbConnection, id: &UserId) -> QueryResult<Option<UserRow>> {
    crate::natively!(conn, |conn| users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional())
}

/// One user, and whether the login `login_id` (a refresh-token family) is still open:
/// it is until it is revoked (logout, refresh-token reuse, a password change, ...).
pub fn find_with_open_login(
    conn: &mut DbConnection,
    id: &UserId,
    login_id: &str,
) -> QueryResult<Option<(UserRow, bool)>> {
    let login_open = diesel::dsl::exists(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(login_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    );
    crate::natively!(conn, |conn| users::table
        .find(id)
        .select((UserRow::as_select(), login_open))
        .first(conn)
        .optional())
}

/// One user, only if inside `scope`.
pub fn find_in_scope(
    conn: &mut DbConnection,
    id: &UserId,
    scope: &AreaScope,
) -> QueryResult<Option<UserRow>> {
    let query = users::table.filter(users::id.eq(id)).into_boxed();
    scoped!(query, users, scope)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username_key.eq(username_key(username)))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// At most this many ids a statement: far below either engine's limit on binds.
const NAMES_PER_STATEMENT: usize = 5_000;

/// The display names of the accounts `ids` names (each asked once), in one statement
/// for any page the API serves and none when there is nothing to ask. An id without
/// an account is left out: the caller decides what stands in for it.
pub fn display_names<'a>(
    conn: &mut DbConnection,
    ids: impl IntoIterator<Item = &'a UserId>,
) -> QueryResult<HashMap<UserId, String>> {
    let ids: Vec<&UserId> = ids
        .into_iter()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut names = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(NAMES_PER_STATEMENT) {
        let found: Vec<(UserId, String)> = users::table
            .filter(users::id.eq_any(chunk))
            .select((users::id, users::display_name))
            .load(conn)?;
        names.extend(found);
    }
    Ok(names)
}

/// The accounts holding any of these username keys ([`username_key`]), a statement per
/// few thousand keys.
pub fn find_by_username_keys(
    conn: &mut DbConnection,
    keys: &[String],
) -> QueryResult<Vec<UserRow>> {
    let mut found = Vec::new();
    for chunk in keys.chunks(NAMES_PER_STATEMENT) {
        found.extend(
            users::table
                .filter(users::username_key.eq_any(chunk))
                .select(UserRow::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// Rows per statement when creating accounts in bulk (16 columns: far below either
/// engine's limit on binds).
const NEW_USERS_PER_STATEMENT: usize = 500;

/// Inserts the accounts whose username is still free, a multi-row statement per few
/// hundred; an account whose username (or id) is taken meanwhile is skipped, alone.
/// Answers the ids inserted.
pub fn insert_where_free(conn: &mut DbConnection, rows: &[UserRow]) -> QueryResult<Vec<UserId>> {
    let mut inserted = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(NEW_USERS_PER_STATEMENT) {
        let statement = diesel::insert_into(users::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .returning(users::id);
        // An upsert is written differently by each engine: run on the concrete connection.
        let ids: Vec<UserId> = match conn {
            DbConnection::Sqlite(conn) => statement.get_results(conn)?,
            DbConnection::Postgres(conn) => statement.get_results(conn)?,
        };
        inserted.extend(ids);
    }
    Ok(inserted)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub struct UserFilter {
    pub scope: AreaScope,
    /// Any of these roles; all when empty.
    pub roles: Vec<Role>,
    pub active: Option<bool>,
    /// Part of the display name or the username (any letter case).
    pub name: Option<String>,
}

/// A `LIKE` pattern matching `text` anywhere.
fn containing(text: &str) -> String {
    format!("%{}%", super::like_literal(text))
}

/// A page of users ordered by username; `after` is the last username key of the page before.
pub fn list(
    conn: &mut DbConnection,
    filter: &UserFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table.into_boxed();
    query = scoped!(query, users, &filter.scope);
    if !filter.roles.is_empty() {
        query = query.filter(users::role.eq_any(&filter.roles));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    if let Some(name) = &filter.name {
        let pattern = containing(&name.to_lowercase());
        query = query.filter(
            users::username_key
                .like(pattern.clone())
                .escape('\\')
                .or(users::display_name.like(containing(name)).escape('\\')),
        );
    }
    if let Some(after) = after {
        query = query.filter(users::username_key.gt(after.to_owned()));
    }
    query
        .order(users::username_key.asc())
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub phone: Option<Option<String>>,
    pub role: Option<Role>,
    pub area_code: Option<String>,
    pub province_code: Option<Option<String>>,
    pub district_code: Option<Option<String>>,
    pub password_hash: Option<String>,
    pub active: Option<bool>,
    pub token_version: Option<i64>,
    pub updated_at: Option<NaiveDateTime>,
    pub password_change_required: Option<bool>,
}

pub fn update(conn: &mut DbConnection, id: &UserId, changes: &UserChanges) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)?;
    Ok(())
}

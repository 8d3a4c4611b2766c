//! The grievance use cases: file one, read one, move one through its workflow, comment
//! on one. Each runs on the caller's connection inside the caller's transaction, asks the
//! policy, applies the domain rule and writes the record with its history event, audit
//! entry and webhook outbox row together. Routes (and the console and feed to come) call
//! these; none repeats their side effects.

use chrono::Utc;

use super::input::NewGrievance;
use super::sla::SlaPolicy;
use super::view::{has_sensitive_data, CommentView, Extras, GrievanceView};
use super::workflow::{self, Tracking, TransitionRequest, WorkflowError};
use crate::auth::AuthUser;
use crate::db::grievances::{self as store, CommentRow, GrievanceRow, NewEvent};
use crate::db::{users, DbConnection, Filed};
use crate::domain::{Action, GrievanceId, Message, UserId};
use crate::error::{ApiError, ConflictCode, FieldCode, FieldError};
use crate::policy;
use crate::privacy::PiiCipher;
use crate::visits::view::Names;
use crate::webhooks::EventSink;

/// What the grievance use cases share: the complainant-data cipher, the deadlines and
/// the webhook outbox.
pub struct GrievanceServices {
    pub cipher: PiiCipher,
    pub sla: SlaPolicy,
    pub events: EventSink,
}

/// Builds full views of rows for `user`: history, comments (internal ones only where
/// the policy allows), possible duplicates, and the names of everyone they name (one
/// statement for all the rows). `unmask` decides per row whether personal data is shown.
pub fn views(
    conn: &mut DbConnection,
    user: &AuthUser,
    rows: Vec<GrievanceRow>,
    unmask: impl Fn(&GrievanceRow) -> bool,
    services: &GrievanceServices,
) -> Result<Vec<GrievanceView>, ApiError> {
    let ids: Vec<&GrievanceId> = rows.iter().map(|r| &r.id).collect();
    let (mut events, mut comments) =
        store::events_and_comments(conn, &ids, policy::may_read_internal_comments(user))?;
    let mut duplicates =
        store::possible_duplicates(conn, &rows, &policy::visibility(user), super::DUPLICATES)?;
    let mut photos = crate::db::photos::of_grievances(conn, &ids)?;
    let rows: Vec<(GrievanceRow, Extras)> = rows
        .into_iter()
        .map(|row| {
            let extras = Extras {
                history: events.remove(&row.id).unwrap_or_default(),
                comments: comments.remove(&row.id).unwrap_or_default(),
                possible_duplicates: duplicates.remove(row.id.as_str()).unwrap_or_default(),
                photos: photos.remove(&row.id).unwrap_or_default(),
                unmasked: unmask(&row),
            };
            (row, extras)
        })
        .collect();
    let names = Names::load(
        conn,
        rows.iter().flat_map(|(row, extras)| extras.people(row)),
    )?;
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .map(|(row, extras)| GrievanceView::new(row, extras, &names, &services.cipher, now))
        .collect())
}

/// The answer to a filing: whether it created the grievance, and what is stored.
pub struct Filing {
    pub created: bool,
    pub view: GrievanceView,
}

/// Files a grievance. Sending the same one again answers what is stored; the same id
/// with other content is a conflict.
pub fn file(
    conn: &mut DbConnection,
    user: &AuthUser,
    grievance: NewGrievance,
    services: &GrievanceServices,
) -> Result<Filing, ApiError> {
    grievance.check_visit_reference(conn, user)?;
    let id = grievance.id.clone();
    let now = crate::db::now();
    let (created, row) = match store::file(conn, grievance.into_row(now, &services.sla))? {
        Filed::Created(row) => {
            services
                .events
                .grievance(conn, "grievance.created", &row, now)?;
            (true, row)
        }
        Filed::Replayed(row) => (false, row),
        Filed::Conflict => {
            return Err(ApiError::conflict(
                ConflictCode::IdConflict,
                format!("grievance {id} already exists with different content"),
                format!("มีเรื่องร้องทุกข์รหัส {id} ที่มีเนื้อหาต่างกันอยู่แล้ว"),
            ))
        }
    };
    // The reporter is reading back what it just sent: not an unmasked read of someone
    // else's data.
    let view = one_view(conn, user, *row, true, services)?;
    Ok(Filing { created, view })
}

/// Whether reading `row` shows `user` the complainant's data in full, and so must be
/// audited (which needs a write transaction).
pub fn read_unmasks(user: &AuthUser, row: &GrievanceRow) -> bool {
    policy::may_unmask(user, row)
}

/// One grievance `user` may see, or 404.
pub fn find(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &GrievanceId,
) -> Result<GrievanceRow, ApiError> {
    store::find_visible(conn, id, &policy::visibility(user))?.ok_or(ApiError::NotFound)
}

/// Shows `row` to `user`. A read that shows the complainant's data in full is audited in
/// the same transaction, so call it inside a write when [`read_unmasks`] says so.
pub fn read(
    conn: &mut DbConnection,
    user: &AuthUser,
    row: GrievanceRow,
    services: &GrievanceServices,
) -> Result<GrievanceView, ApiError> {
    let unmasked = read_unmasks(user, &row);
    if unmasked && has_sensitive_data(&row) {
        user.audit(
            conn,
            "grievance.personal_data_read",
            "grievance",
            Some(row.id.as_str()),
            serde_json::json!({ "fields": ["phone", "national_id"] }),
        )?;
    }
    one_view(conn, user, row, unmasked, services)
}

fn one_view(
    conn: &mut DbConnection,
    user: &AuthUser,
    row: GrievanceRow,
    unmasked: bool,
    services: &GrievanceServices,
) -> Result<GrievanceView, ApiError> {
    let mut views = views(conn, user, vec![row], |_| unmasked, services)?;
    Ok(views.remove(0))
}

/// A request to move a grievance through its workflow, its text already checked.
pub struct TransitionCommand {
    pub grievance_id: GrievanceId,
    /// The version the client last read (`If-Match`); `None` for "any".
    pub expected_version: Option<i64>,
    pub action: Action,
    pub note: Option<String>,
    pub assignee_id: Option<String>,
    pub referred_to: Option<String>,
}

/// Moves a grievance through its workflow: locks and loads it (404 if the caller may not
/// see it), checks the version (412), lets the workflow decide and apply the action for
/// the caller as the policy sees it (403, 409, 422), checks the new assignee, then writes
/// the grievance, its history event, the webhook and the audit entry.
pub fn transition(
    conn: &mut DbConnection,
    user: &AuthUser,
    command: &TransitionCommand,
    services: &GrievanceServices,
) -> Result<GrievanceView, ApiError> {
    store::lock(conn, &command.grievance_id)?;
    let mut row = find(conn, user, &command.grievance_id)?;
    if let Some(expected) = command.expected_version {
        if expected != row.version {
            return Err(ApiError::VersionMismatch(Message::new(
                format!(
                    "the grievance is at version {}, not {expected}; reload it",
                    row.version
                ),
                format!(
                    "เรื่องนี้ถูกแก้ไขไปแล้ว (ฉบับที่ {} ไม่ใช่ {expected}) กรุณาโหลดข้อมูลใหม่",
                    row.version
                ),
            )));
        }
    }
    let before = tracking(&row);
    let request = TransitionRequest {
        action: command.action,
        note: command.note.as_deref(),
        assignee_id: command.assignee_id.as_deref(),
        referred_to: command.referred_to.as_deref(),
    };
    let now = crate::db::now();
    let actor = policy::actor(user, &row);
    let after =
        workflow::apply(&before, actor, &request, now, &services.sla).map_err(workflow_error)?;
    if command.action == Action::Assign {
        check_assignee(conn, after.assignee_id.as_ref(), &row)?;
    }

    write_tracking(&mut row, &after);
    row.version += 1;
    row.updated_at = now;
    store::update(conn, &row)?;
    let event = NewEvent {
        action: command.action.as_str(),
        from: Some(before.status),
        to: after.status,
        actor_id: &user.id,
        note: command.note.as_deref(),
    };
    store::append_event(conn, &row, event, now)?;
    let webhook = if command.action == Action::Assign {
        "grievance.assigned"
    } else {
        "grievance.status_changed"
    };
    services.events.grievance(conn, webhook, &row, now)?;
    user.audit(
        conn,
        "grievance.transition",
        "grievance",
        Some(row.id.as_str()),
        serde_json::json!({
            "action": command.action, "from": before.status, "to": after.status,
            "version": row.version,
        }),
    )?;
    let unmasked = policy::may_unmask(user, &row);
    one_view(conn, user, row, unmasked, services)
}

/// The workflow's part of a stored grievance.
fn tracking(row: &GrievanceRow) -> Tracking {
    Tracking {
        status: row.status,
        priority: row.priority,
        assignee_id: row.assignee_id.clone(),
        referred_to: row.referred_to.clone(),
        due_at: row.due_at,
        resolved_at: row.resolved_at,
        reopen_count: row.reopen_count,
        overdue_notified: row.overdue_notified,
    }
}

fn write_tracking(row: &mut GrievanceRow, tracking: &Tracking) {
    row.status = tracking.status;
    row.assignee_id.clone_from(&tracking.assignee_id);
    row.referred_to.clone_from(&tracking.referred_to);
    row.due_at = crate::db::to_micros(tracking.due_at);
    row.resolved_at = tracking.resolved_at;
    row.reopen_count = tracking.reopen_count;
    row.overdue_notified = tracking.overdue_notified;
}

fn workflow_error(error: WorkflowError) -> ApiError {
    let message = error.message();
    match error {
        WorkflowError::Forbidden { .. } => ApiError::Forbidden(message),
        WorkflowError::InvalidTransition { .. } => ApiError::Conflict {
            code: ConflictCode::InvalidTransition,
            detail: message,
        },
        WorkflowError::MissingField { field, .. } | WorkflowError::InvalidField { field, .. } => {
            ApiError::Validation(vec![FieldError {
                field: field.to_owned(),
                code: error.field_code(),
                message,
            }])
        }
    }
}

/// 422 unless the policy lets the grievance go to the account `id`.
fn check_assignee(
    conn: &mut DbConnection,
    id: Option<&UserId>,
    row: &GrievanceRow,
) -> Result<(), ApiError> {
    let candidate = match id {
        Some(id) => users::find(conn, id)?,
        None => None,
    };
    if candidate.is_some_and(|candidate| policy::may_assign_to(&candidate, &row.area_code)) {
        Ok(())
    } else {
        Err(ApiError::field(
            "assignee_id",
            FieldCode::NotAllowedValue,
            "must be an active official or supervisor whose area covers the grievance",
            "ต้องเป็นเจ้าหน้าที่หรือหัวหน้างานที่ยังใช้งานอยู่ และรับผิดชอบพื้นที่ของเรื่องนี้",
        ))
    }
}

/// Comments on a grievance `user` may see. Internal comments are for those the policy
/// lets read them.
pub fn comment(
    conn: &mut DbConnection,
    user: &AuthUser,
    grievance_id: &GrievanceId,
    body: &str,
    internal: bool,
) -> Result<CommentView, ApiError> {
    if !policy::may_write_comment(user, internal) {
        return Err(ApiError::forbidden(
            "volunteers cannot write internal comments",
            "อาสาสมัครไม่สามารถเขียนความเห็นภายในได้",
        ));
    }
    let body =
        crate::domain::bounded_text(body, 1, 4000).map_err(|e| ApiError::text_field("body", e))?;
    let row = find(conn, user, grievance_id)?;
    let now = crate::db::now();
    let comment = CommentRow {
        id: uuid::Uuid::new_v4().to_string(),
        grievance_id: row.id.clone(),
        author_id: user.id.clone(),
        body,
        internal,
        created_at: now,
    };
    store::add_comment(conn, &comment)?;
    store::touch(conn, &row.id, now)?;
    let names = Names::of([(user.id.clone(), user.display_name.clone())]);
    Ok(CommentView::new(comment, &names))
}

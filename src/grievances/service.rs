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
use crate::domain::{Action, CommentId, GrievanceId, Message, Status, UserId};
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
/// the policy allows), possible duplicates, the duplicates marked of each (those the
/// reader may see), each duplicate's parent's status, and the names of everyone they name
/// (one statement for all the rows). `unmask` decides per row whether personal data is
/// shown.
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
    let visibility = policy::visibility(user);
    let mut duplicates = store::possible_duplicates(conn, &rows, &visibility, super::DUPLICATES)?;
    let mut marked = store::duplicates_of(conn, &ids, &visibility)?;
    // A duplicate's reader learns its parent's status even when it may not read the
    // parent itself: that outcome is the duplicate's own.
    let parents: Vec<&GrievanceId> = rows
        .iter()
        .filter_map(|r| r.duplicate_of.as_ref())
        .collect();
    let parent_statuses = store::statuses(conn, &parents)?;
    let mut photos = crate::db::photos::of_grievances(conn, &ids)?;
    let rows: Vec<(GrievanceRow, Extras)> = rows
        .into_iter()
        .map(|row| {
            let extras = Extras {
                history: events.remove(&row.id).unwrap_or_default(),
                comments: comments.remove(&row.id).unwrap_or_default(),
                possible_duplicates: duplicates.remove(row.id.as_str()).unwrap_or_default(),
                duplicates: marked.remove(&row.id).unwrap_or_default(),
                parent_status: row
                    .duplicate_of
                    .as_ref()
                    .and_then(|parent| parent_statuses.get(parent).copied()),
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
    let (created, row) = file_row(conn, user, grievance, services)?;
    // The reporter is reading back what it just sent: not an unmasked read of someone
    // else's data.
    let view = one_view(conn, user, row, true, services)?;
    Ok(Filing { created, view })
}

/// Files a phone's batch in the caller's transaction: one outcome per grievance, in
/// order, each exactly what [`file`] would answer (201/200 with the stored grievance,
/// 409, or the 422 of a visit it cannot see), so that a refused one sinks no other. The
/// views are built together at the end.
pub fn file_batch(
    conn: &mut DbConnection,
    user: &AuthUser,
    grievances: Vec<NewGrievance>,
    services: &GrievanceServices,
) -> Result<Vec<Result<Filing, ApiError>>, ApiError> {
    let mut outcomes = Vec::with_capacity(grievances.len());
    let mut rows = Vec::new();
    for grievance in grievances {
        match file_row(conn, user, grievance, services) {
            Ok((created, row)) => {
                outcomes.push(Ok(created));
                rows.push(row);
            }
            // A refusal of this one item; anything else (the database failing) ends
            // the whole batch, and nothing of it is committed.
            Err(error @ (ApiError::Conflict { .. } | ApiError::Validation(_))) => {
                outcomes.push(Err(error))
            }
            Err(error) => return Err(error),
        }
    }
    let mut views = views(conn, user, rows, |_| true, services)?.into_iter();
    outcomes
        .into_iter()
        .map(|outcome| match outcome {
            Ok(created) => views
                .next()
                .map(|view| Ok(Filing { created, view }))
                .ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!("a filed grievance has no view"))
                }),
            Err(error) => Ok(Err(error)),
        })
        .collect()
}

/// Stores one grievance (or finds it stored): whether it was created, and the row.
fn file_row(
    conn: &mut DbConnection,
    user: &AuthUser,
    grievance: NewGrievance,
    services: &GrievanceServices,
) -> Result<(bool, GrievanceRow), ApiError> {
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
    Ok((created, *row))
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

/// The longest note a transition takes.
pub const MAX_NOTE_CHARS: usize = 4000;

/// A transition's note as sent: blank counts as none, anything else is 1 to
/// [`MAX_NOTE_CHARS`] characters (the API and the console read it the same way).
pub fn transition_note(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim) {
        Some(note) if !note.is_empty() => crate::domain::bounded_text(note, 1, MAX_NOTE_CHARS)
            .map(Some)
            .map_err(|e| FieldError::text("note", e)),
        _ => Ok(None),
    }
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
    /// With `mark_duplicate`: the grievance this one duplicates, as sent.
    pub duplicate_of: Option<String>,
    /// With `set_priority`: the new priority, as sent.
    pub priority: Option<String>,
}

/// Moves a grievance through its workflow: locks and loads it (404 if the caller may not
/// see it), checks the version (412), lets the workflow decide and apply the action for
/// the caller as the policy sees it (403, 409, 422), checks the new assignee or parent,
/// then writes the grievance, its history event, the webhook and the audit entry, and
/// marks as changed the duplicates whose parent's status this changed.
pub fn transition(
    conn: &mut DbConnection,
    user: &AuthUser,
    command: &TransitionCommand,
    services: &GrievanceServices,
) -> Result<GrievanceView, ApiError> {
    // Marking a duplicate reads its parent: both are locked, in id order, so that two
    // grievances marked as each other's duplicates at once queue instead of both passing.
    let parent = match command.action {
        Action::MarkDuplicate => command
            .duplicate_of
            .as_deref()
            .and_then(|raw| GrievanceId::parse(raw).ok()),
        _ => None,
    };
    let mut locks: Vec<&GrievanceId> = std::iter::once(&command.grievance_id)
        .chain(parent.as_ref())
        .collect();
    locks.sort_by_key(|id| id.as_str());
    locks.dedup();
    for id in locks {
        store::lock(conn, id)?;
    }
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
        duplicate_of: command.duplicate_of.as_deref(),
        priority: command.priority.as_deref(),
    };
    let now = crate::db::now();
    let actor = policy::actor(user, &row);
    let after =
        workflow::apply(&before, actor, &request, now, &services.sla).map_err(workflow_error)?;
    if command.action == Action::Assign {
        check_assignee(conn, after.assignee_id.as_ref(), &row)?;
    }
    if let (Action::MarkDuplicate, Some(parent)) = (command.action, &after.duplicate_of) {
        check_parent(conn, user, parent, &row)?;
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
    let webhook = match command.action {
        Action::Assign => "grievance.assigned",
        Action::SetPriority => "grievance.priority_changed",
        _ => "grievance.status_changed",
    };
    services.events.grievance(conn, webhook, &row, now)?;
    let mut details = serde_json::json!({
        "action": command.action, "from": before.status, "to": after.status,
        "version": row.version,
    });
    if before.priority != after.priority {
        details["priority"] = serde_json::json!({ "from": before.priority, "to": after.priority });
    }
    if let Some(parent) = after.duplicate_of.as_ref().or(before.duplicate_of.as_ref()) {
        details["duplicate_of"] = serde_json::json!(parent);
    }
    user.audit(
        conn,
        "grievance.transition",
        "grievance",
        Some(row.id.as_str()),
        details,
    )?;
    let duplicates = duplicates_of_changed_parent(conn, &row, before.status)?;
    // Updating their rows also moves them in the sync feed (its triggers), so each
    // duplicate's reporter hears of the new `parent_status`.
    store::touch_all(conn, &duplicates, now)?;
    // A parent whose list of duplicates changed (one marked, or one reopened) changed too.
    if before.duplicate_of != after.duplicate_of {
        let parents: Vec<GrievanceId> = [before.duplicate_of, after.duplicate_of.clone()]
            .into_iter()
            .flatten()
            .collect();
        store::touch_all(conn, &parents, now)?;
    }
    let unmasked = policy::may_unmask(user, &row);
    one_view(conn, user, row, unmasked, services)
}

/// The ids of every duplicate of `parent` when the transition just written changed its
/// status from `before`: each shows its parent's status (`parent_status`), so each has
/// changed for its reader. None when the status stayed.
pub fn duplicates_of_changed_parent(
    conn: &mut DbConnection,
    parent: &GrievanceRow,
    before: Status,
) -> Result<Vec<GrievanceId>, ApiError> {
    if parent.status == before {
        return Ok(Vec::new());
    }
    Ok(store::all_duplicates_of(conn, &parent.id)?)
}

/// The workflow's part of a stored grievance.
fn tracking(row: &GrievanceRow) -> Tracking {
    Tracking {
        id: row.id.clone(),
        status: row.status,
        priority: row.priority,
        assignee_id: row.assignee_id.clone(),
        referred_to: row.referred_to.clone(),
        due_at: row.due_at,
        resolved_at: row.resolved_at,
        reopen_count: row.reopen_count,
        overdue_notified: row.overdue_notified,
        duplicate_of: row.duplicate_of.clone(),
    }
}

fn write_tracking(row: &mut GrievanceRow, tracking: &Tracking) {
    row.status = tracking.status;
    row.priority = tracking.priority;
    row.assignee_id.clone_from(&tracking.assignee_id);
    row.referred_to.clone_from(&tracking.referred_to);
    row.due_at = crate::db::to_micros(tracking.due_at);
    row.resolved_at = tracking.resolved_at;
    row.reopen_count = tracking.reopen_count;
    row.overdue_notified = tracking.overdue_notified;
    row.duplicate_of.clone_from(&tracking.duplicate_of);
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

/// 422 unless `parent` can be the parent of the duplicate `row`: a grievance the caller
/// may see (one it may not see is answered as one that does not exist), not a duplicate
/// itself, while `row` has no duplicates of its own. So duplicates always point one step,
/// at a grievance that is not a duplicate.
fn check_parent(
    conn: &mut DbConnection,
    user: &AuthUser,
    parent: &GrievanceId,
    row: &GrievanceRow,
) -> Result<(), ApiError> {
    let Some(parent) = store::find_visible(conn, parent, &policy::visibility(user))? else {
        return Err(ApiError::field(
            "duplicate_of",
            FieldCode::NotFoundReference,
            "names no grievance you can see",
            "ไม่พบเรื่องร้องทุกข์ที่อ้างถึง หรือท่านไม่มีสิทธิ์เข้าถึง",
        ));
    };
    if parent.status == Status::Duplicate {
        return Err(ApiError::field(
            "duplicate_of",
            FieldCode::DuplicateChain,
            format!(
                "names a grievance that is itself a duplicate; name the one it duplicates ({})",
                parent.duplicate_of.as_ref().map_or("", GrievanceId::as_str)
            ),
            format!(
                "เรื่องที่อ้างถึงเป็นเรื่องซ้ำอยู่แล้ว กรุณาอ้างถึงเรื่องหลัก ({})",
                parent.duplicate_of.as_ref().map_or("", GrievanceId::as_str)
            ),
        ));
    }
    if !store::all_duplicates_of(conn, &row.id)?.is_empty() {
        return Err(ApiError::field(
            "duplicate_of",
            FieldCode::DuplicateChain,
            "this grievance has duplicates of its own; reopen them or mark this one's parent as theirs first",
            "เรื่องนี้มีเรื่องซ้ำที่อ้างถึงอยู่ กรุณาเปิดเรื่องเหล่านั้นอีกครั้งหรือย้ายไปอ้างถึงเรื่องหลักก่อน",
        ));
    }
    Ok(())
}

/// A comment about to be written, its text already checked by the route.
pub struct NewComment {
    /// The phone's own id: sending the same comment again is safe.
    pub id: Option<CommentId>,
    pub body: String,
    pub internal: bool,
}

/// Comments on a grievance `user` may see. Internal comments are for those the policy
/// lets read them.
/// With a client id the comment is filed idempotently: the same comment again answers
/// what is stored (`created: false`), other content under that id is a 409.
pub fn comment(
    conn: &mut DbConnection,
    user: &AuthUser,
    grievance_id: &GrievanceId,
    comment: NewComment,
) -> Result<Commented, ApiError> {
    let NewComment { id, body, internal } = comment;
    if !policy::may_write_comment(user, internal) {
        return Err(ApiError::forbidden(
            "volunteers cannot write internal comments",
            "อาสาสมัครไม่สามารถเขียนความเห็นภายในได้",
        ));
    }
    let body =
        crate::domain::bounded_text(&body, 1, 4000).map_err(|e| ApiError::text_field("body", e))?;
    let row = find(conn, user, grievance_id)?;
    let now = crate::db::now();
    let id = id.unwrap_or_else(CommentId::random);
    let comment = CommentRow {
        id: id.to_string(),
        grievance_id: row.id.clone(),
        author_id: user.id.clone(),
        body,
        internal,
        created_at: now,
    };
    let (created, stored) = match store::add_comment(conn, comment)? {
        Filed::Created(stored) => {
            store::touch(conn, &row.id, now)?;
            (true, stored)
        }
        Filed::Replayed(stored) => (false, stored),
        Filed::Conflict => {
            return Err(ApiError::conflict(
                ConflictCode::IdConflict,
                format!("comment {id} already exists with different content"),
                format!("มีความเห็นรหัส {id} ที่มีเนื้อหาต่างกันอยู่แล้ว"),
            ))
        }
    };
    // A resend answers only to the same author: the name is the caller's.
    let names = Names::of([(user.id.clone(), user.display_name.clone())]);
    Ok(Commented {
        created,
        view: CommentView::new(*stored, &names),
    })
}

/// The answer to a comment: whether it created it, and what is stored.
pub struct Commented {
    pub created: bool,
    pub view: CommentView,
}

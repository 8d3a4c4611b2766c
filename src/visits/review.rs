//! A supervisor's verdict on a visit: verified, or flagged with a note. The API's
//! `POST /visits/{id}/review` and the console's review screen both go through here.

use crate::auth::AuthUser;
use crate::db::{visits, DbConnection};
use crate::domain::{ReviewStatus, Visibility, VisitId};
use crate::error::{ApiError, FieldCode};
use crate::policy::{self, Permission};
use crate::visits::view::VisitView;

/// A verdict whose inputs passed their checks.
#[derive(Debug, Clone)]
pub struct Verdict {
    status: ReviewStatus,
    note: Option<String>,
}

impl Verdict {
    /// `status` must be verified or flagged; a flag needs a note of at most 1,000
    /// characters (a blank note counts as none).
    pub fn parse(status: ReviewStatus, note: Option<&str>) -> Result<Self, ApiError> {
        let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
            Some(note) => Some(
                crate::domain::bounded_text(note, 1, 1000)
                    .map_err(|e| ApiError::text_field("note", e))?,
            ),
            None => None,
        };
        match status {
            ReviewStatus::Pending => Err(ApiError::field(
                "review_status",
                FieldCode::NotAllowedValue,
                "must be verified or flagged",
                "ต้องเป็น verified (ตรวจแล้ว) หรือ flagged (พบข้อสังเกต)",
            )),
            ReviewStatus::Flagged if note.is_none() => Err(ApiError::field(
                "note",
                FieldCode::Required,
                "is required when flagging",
                "ต้องระบุหมายเหตุเมื่อตั้งข้อสังเกต",
            )),
            _ => Ok(Self { status, note }),
        }
    }
}

/// Records `verdict` on a visit `user` may see and review, with its audit entry, and
/// returns the visit as it now stands. Run it in a write transaction.
pub fn record(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &VisitId,
    verdict: &Verdict,
) -> Result<VisitView, ApiError> {
    policy::require(user, Permission::ReviewVisits)?;
    let row =
        visits::find_visible(conn, id, &policy::visibility(user))?.ok_or(ApiError::NotFound)?;
    let now = crate::db::now();
    visits::review(
        conn,
        &row.id,
        verdict.status,
        verdict.note.as_deref(),
        &user.id,
        now,
    )?;
    user.audit(
        conn,
        "visit.reviewed",
        "visit",
        Some(row.id.as_str()),
        serde_json::json!({ "review_status": verdict.status, "note": verdict.note }),
    )?;
    let row = visits::find_visible(conn, &row.id, &Visibility::everything())?
        .ok_or(ApiError::NotFound)?;
    let mut views = crate::visits::view::views(conn, vec![row])?;
    Ok(views.remove(0))
}

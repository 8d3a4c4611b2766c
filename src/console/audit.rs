//! The audit log for administrators: every entry, newest first, narrowed by action, actor,
//! record and Buddhist-Era dates, and the check of its hash chain and anchored tail (what
//! `fieldweek audit verify` does at the command line).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::pages::PageContext;
use super::pages::{render, url_encode, Chrome, Notice};
use super::session::{Refusal, Signed};
use super::words::{self, words};
use super::ConsoleSettings;
use crate::audit_anchor::{self, AnchorKeeper, TailCheck};
use crate::db::audit::{self as log, AuditFilter, Verdict};
use crate::db::{users, Db};
use crate::domain::FieldCode;
use crate::domain::{bangkok_start_of_day, Language, UserId};
use crate::error::{ApiError, FieldError};
use crate::policy::{self, Permission};

/// Entries on one page.
const PER_PAGE: i64 = 100;

/// The longest text a filter field takes.
const FILTER_CHARS: usize = 100;

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    record_type: Option<String>,
    record_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    below: Option<String>,
}

pub struct EntryLine {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub client: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub c: Chrome,
    pub entries: Vec<EntryLine>,
    pub action: String,
    pub actor: String,
    pub record_type: String,
    pub record_id: String,
    pub from: String,
    pub to: String,
    /// The next page's address, when there are older entries.
    pub older: Option<String>,
    pub paged: bool,
    pub notice: Option<Notice>,
}

/// A filter's text, trimmed, cut to a sane length; `None` when blank.
fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.chars().take(FILTER_CHARS).collect())
}

/// A `1/10/2569` date of the form, or a 422 naming the field.
fn date(errors: &mut Vec<FieldError>, field: &str, value: &Option<String>) -> Option<NaiveDate> {
    let text = given(value)?;
    let parsed = words::iso_date_from_thai(&text)
        .and_then(|iso| NaiveDate::parse_from_str(&iso, "%Y-%m-%d").ok());
    if parsed.is_none() {
        errors.push(FieldError::new(
            field,
            FieldCode::BadFormat,
            "must be a date: day/month/Buddhist-Era year, e.g. 1/10/2569",
            "ต้องเป็นวันที่ในรูปแบบ วัน/เดือน/ปี พ.ศ. เช่น 1/10/2569",
        ));
    }
    parsed
}

async fn audit_page(
    cx: &PageContext<'_>,
    query: &AuditQuery,
    notice: Option<Notice>,
) -> Result<AuditPage, Refusal> {
    let PageContext { signed, db, .. } = *cx;
    let language = signed.language;
    let refuse = |e| Refusal::from_api(e, language);
    policy::require(&signed.user, Permission::ReadAuditLog).map_err(refuse)?;
    let mut errors = Vec::new();
    let from = date(&mut errors, "from", &query.from);
    let to = date(&mut errors, "to", &query.to);
    let below = given(&query.below).and_then(|b| {
        let parsed = b.parse::<i64>().ok();
        if parsed.is_none() {
            errors.push(FieldError::new(
                "below",
                FieldCode::BadFormat,
                "must be an entry number",
                "ต้องเป็นเลขรายการ",
            ));
        }
        parsed
    });
    if !errors.is_empty() {
        return Err(refuse(ApiError::Validation(errors)));
    }
    let actor = given(&query.actor);
    let filter = AuditFilter {
        action: given(&query.action),
        actor_id: None,
        record_type: given(&query.record_type),
        record_id: given(&query.record_id),
        from: from.map(|d| bangkok_start_of_day(d).naive_utc()),
        // The whole of the last day.
        before: to
            .and_then(|d| d.succ_opt())
            .map(|d| bangkok_start_of_day(d).naive_utc()),
    };
    let (rows, names, actor_known) = db
        .read(move |conn| {
            let mut filter = filter;
            if let Some(username) = &actor {
                match users::find_by_username(conn, username)? {
                    Some(found) => filter.actor_id = Some(found.id.to_string()),
                    None => return Ok((Vec::new(), Default::default(), false)),
                }
            }
            let rows = log::list(conn, &filter, below, PER_PAGE + 1)?;
            let actors: Vec<UserId> = rows
                .iter()
                .filter_map(|r| r.actor_id.as_deref().and_then(|id| UserId::parse(id).ok()))
                .collect();
            let names = users::display_names(conn, actors.iter())?;
            Ok((rows, names, true))
        })
        .await
        .map_err(refuse)?;
    let w = words(language);
    let notice = notice.or_else(|| {
        (!actor_known).then(|| Notice {
            ok: false,
            text: w.audit_unknown_actor.to_owned(),
            problems: Vec::new(),
        })
    });
    let more = rows.len() as i64 > PER_PAGE;
    let entries: Vec<EntryLine> = rows
        .into_iter()
        .take(PER_PAGE as usize)
        .map(|row| EntryLine {
            id: row.id,
            at: words::when(row.at.and_utc(), language),
            actor: match row.actor_id {
                None => w.audit_system.to_owned(),
                Some(id) => UserId::parse(&id)
                    .ok()
                    .and_then(|id| names.get(&id).cloned())
                    .unwrap_or(id),
            },
            action: row.action,
            record_type: row.record_type,
            record_id: row.record_id.unwrap_or_default(),
            client: row.client_addr.unwrap_or_default(),
            details: row.details,
        })
        .collect();
    let older = more.then(|| {
        let last = entries.last().map_or(0, |e| e.id);
        let mut pairs = Vec::new();
        for (key, value) in [
            ("action", &query.action),
            ("actor", &query.actor),
            ("record_type", &query.record_type),
            ("record_id", &query.record_id),
            ("from", &query.from),
            ("to", &query.to),
        ] {
            if let Some(value) = given(value) {
                pairs.push(format!("{key}={}", url_encode(&value)));
            }
        }
        pairs.push(format!("below={last}"));
        format!("/console/audit?{}", pairs.join("&"))
    });
    Ok(AuditPage {
        c: cx.chrome("audit"),
        entries,
        action: given(&query.action).unwrap_or_default(),
        actor: given(&query.actor).unwrap_or_default(),
        record_type: given(&query.record_type).unwrap_or_default(),
        record_id: given(&query.record_id).unwrap_or_default(),
        from: given(&query.from).unwrap_or_default(),
        to: given(&query.to).unwrap_or_default(),
        older,
        paged: below.is_some(),
        notice,
    })
}

/// `GET /console/audit?action=&actor=&record_type=&record_id=&from=&to=&below=`.
pub async fn page(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    settings: web::Data<ConsoleSettings>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, Refusal> {
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = audit_page(&cx, &query, None).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /console/audit/verify`: walks the whole chain, then checks its anchored tail.
pub async fn verify(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    settings: web::Data<ConsoleSettings>,
    keeper: web::Data<AnchorKeeper>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Refusal> {
    signed.check_csrf(&req, &form)?;
    let language = signed.language;
    let refuse = |e| Refusal::from_api(e, language);
    policy::require(&signed.user, Permission::ReadAuditLog).map_err(refuse)?;
    let keeper = keeper.get_ref().clone();
    let (verdict, tail) = db
        .read(move |conn| {
            let verdict = log::verify(conn)?;
            let tail = audit_anchor::check_tail(conn, &keeper).map_err(ApiError::internal)?;
            Ok((verdict, tail))
        })
        .await
        .map_err(refuse)?;
    let notice = chain_notice(&verdict, &tail, language);
    let status = if notice.ok {
        StatusCode::OK
    } else {
        tracing::warn!(?verdict, ?tail, "the audit chain failed its check");
        StatusCode::CONFLICT
    };
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = audit_page(&cx, &AuditQuery::default(), Some(notice)).await?;
    Ok(render(status, &page))
}

/// What the check found, in the reader's language.
fn chain_notice(verdict: &Verdict, tail: &TailCheck, language: Language) -> Notice {
    let w = words(language);
    match (verdict, tail) {
        (Verdict::Broken { id, reason }, _) => Notice {
            ok: false,
            text: format!("{} {id}", w.chain_broken),
            problems: vec![reason.in_language(language).to_owned()],
        },
        (Verdict::Intact { .. }, TailCheck::Missing { reason, .. }) => Notice {
            ok: false,
            text: w.chain_tail_missing.to_owned(),
            problems: vec![reason.in_language(language).to_owned()],
        },
        (Verdict::Intact { entries }, TailCheck::Holds { anchor }) => Notice::done(format!(
            "{} {entries} · {} {} ({})",
            w.chain_intact,
            w.chain_anchored,
            anchor.head_id,
            words::when(anchor.at, language)
        )),
        (Verdict::Intact { entries }, TailCheck::Unanchored) => Notice::done(format!(
            "{} {entries} · {}",
            w.chain_intact, w.chain_unanchored
        )),
    }
}

//! One grievance's page: everything the API shows of it, its timeline, possible
//! duplicates, photos and position, and the actions its reader may take now as buttons.
//! An action names the version the page showed: if someone changed the case meanwhile,
//! the reader is told so and sees the new state (the API's `If-Match` rule).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::pages::PageContext;
use super::pages::{form_field, render, Choice, Chrome, Notice};
use super::queue::{area_name, carriers};
use super::session::{Refusal, Signed};
use super::words::{self, label, words, Words};
use super::ConsoleSettings;
use crate::db::Db;
use crate::domain::{departments, Action, CommentId, GrievanceId, Language, PhotoRecord, Priority};
use crate::error::ApiError;
use crate::geo::Geography;
use crate::grievances::service::{self, GrievanceServices, NewComment, TransitionCommand};
use crate::grievances::view::GrievanceView;
use crate::grievances::workflow;
use crate::photos::PhotoStore;
use crate::policy;

/// One entry of the timeline: an event of the workflow or a comment.
pub struct Entry {
    pub at: String,
    pub sort_key: chrono::DateTime<chrono::Utc>,
    pub who: String,
    pub what: String,
    pub note: String,
    pub comment: bool,
    pub internal: bool,
}

/// An action offered as a button, with the inputs it needs.
pub struct Offer {
    pub action: &'static str,
    pub label: String,
    pub needs_note: bool,
    pub needs_assignee: bool,
    pub needs_referral: bool,
    pub needs_priority: bool,
    pub needs_parent: bool,
}

impl Offer {
    fn new(action: Action, language: Language) -> Self {
        Self {
            action: action.as_str(),
            label: label(action, language),
            needs_note: matches!(
                action,
                Action::Reject | Action::Refer | Action::Resolve | Action::Reopen
            ),
            needs_assignee: action == Action::Assign,
            needs_referral: action == Action::Refer,
            needs_priority: action == Action::SetPriority,
            needs_parent: action == Action::MarkDuplicate,
        }
    }
}

pub struct PhotoItem {
    pub url: String,
    pub taken: String,
    pub flags: Vec<String>,
}

pub struct Link {
    pub id: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub c: Chrome,
    pub g: GrievanceView,
    pub status: String,
    pub status_code: &'static str,
    pub priority: String,
    pub priority_code: &'static str,
    pub category: String,
    pub area: String,
    pub target_groups: String,
    pub reported: String,
    pub due: String,
    pub deadline: String,
    pub assignee: String,
    pub complainant_name: String,
    pub phone: String,
    pub national_id: String,
    pub may_reveal: bool,
    pub flags: Vec<String>,
    pub timeline: Vec<Entry>,
    pub offers: Vec<Offer>,
    pub carriers: Vec<Choice>,
    pub priorities: Vec<Choice>,
    pub agencies: Vec<Choice>,
    pub possible_duplicates: Vec<Link>,
    pub duplicates: Vec<Link>,
    pub duplicate_of: Option<Link>,
    pub photos: Vec<PhotoItem>,
    pub photos_waiting: i32,
    pub may_comment: bool,
    pub may_comment_internal: bool,
    /// A fresh id for the comment form: sending it twice stores one comment.
    pub comment_id: String,
    /// A message at the top: done, or changed meanwhile, or refused.
    pub notice: Option<Notice>,
}

fn link(id: &str) -> Link {
    Link {
        id: id.to_owned(),
        href: format!("/console/grievances/{id}"),
    }
}

/// Builds the page for `view`, as `signed` may see and act on it.
async fn case_page(
    cx: &PageContext<'_>,
    geography: &Geography,
    view: GrievanceView,
    notice: Option<Notice>,
) -> Result<CasePage, Refusal> {
    let PageContext { signed, db, .. } = *cx;
    let language = signed.language;
    let w: &Words = words(language);
    let user = signed.user.clone();
    let id = GrievanceId::unchecked(view.id.clone());
    // What the reader may do now: the workflow's answer for this reader on this row.
    let (row, carriers) = {
        let user = user.clone();
        db.read(move |conn| {
            let row = service::find(conn, &user, &id)?;
            let carriers = carriers(conn, &user)?;
            Ok((row, carriers))
        })
        .await
        .map_err(|e| Refusal::from_api(e, language))?
    };
    let actor = policy::actor(&user, &row);
    let offers = workflow::allowed_actions(row.status, actor)
        .into_iter()
        .map(|action| Offer::new(action, language))
        .collect();
    let carriers = carriers
        .into_iter()
        .filter(|c| policy::may_assign_to(c, &row.area_code))
        .map(|c| {
            let current = view.assignee_id.clone().unwrap_or_default();
            Choice::new(c.id.as_str(), c.display_name.clone(), &current)
        })
        .collect();
    let mut timeline: Vec<Entry> = view
        .history
        .iter()
        .map(|event| Entry {
            at: words::when(event.at, language),
            sort_key: event.at,
            who: event.actor_name.clone(),
            what: match event.action.parse::<Action>() {
                Ok(action) => format!(
                    "{} → {}",
                    label(action, language),
                    label(event.to, language)
                ),
                Err(_) => format!("{} → {}", w.filed_event, label(event.to, language)),
            },
            note: event.note.clone().unwrap_or_default(),
            comment: false,
            internal: false,
        })
        .collect();
    timeline.extend(view.comments.iter().map(|comment| Entry {
        at: words::when(comment.created_at, language),
        sort_key: comment.created_at,
        who: comment.author_name.clone(),
        what: if comment.internal {
            w.internal_comment.to_owned()
        } else {
            w.comment.to_owned()
        },
        note: comment.body.clone(),
        comment: true,
        internal: comment.internal,
    }));
    timeline.sort_by_key(|entry| entry.sort_key);
    let complainant = view.complainant.clone();
    let photos = view
        .photos
        .iter()
        .map(|photo| PhotoItem {
            url: format!("/console/grievances/{}/photos/{}", view.id, photo.id),
            taken: photo
                .taken_at
                .map(|at| words::when(at, language))
                .unwrap_or_default(),
            flags: photo.flags.iter().map(|f| label(*f, language)).collect(),
        })
        .collect();
    Ok(CasePage {
        c: cx.chrome("queue"),
        status: label(view.status, language),
        status_code: view.status.as_str(),
        priority: label(view.priority, language),
        priority_code: view.priority.as_str(),
        category: label(view.category, language),
        area: area_name(geography, &view.area_code, language),
        target_groups: view
            .target_groups
            .iter()
            .map(|g| label(*g, language))
            .collect::<Vec<_>>()
            .join(", "),
        reported: words::when(view.reported_at, language),
        due: words::when(view.due_at, language),
        deadline: words::deadline(view.due_at, view.status, language),
        assignee: view
            .assignee
            .as_ref()
            .map(|a| a.display_name.clone())
            .unwrap_or_else(|| w.unassigned.to_owned()),
        complainant_name: complainant
            .as_ref()
            .and_then(|c| c.name.clone())
            .unwrap_or_default(),
        phone: complainant
            .as_ref()
            .and_then(|c| c.phone.clone())
            .unwrap_or_default(),
        national_id: complainant
            .as_ref()
            .and_then(|c| c.national_id.clone())
            .unwrap_or_default(),
        may_reveal: complainant.as_ref().is_some_and(|c| c.masked)
            && policy::may_unmask(&user, &row),
        flags: view.flags.iter().map(|f| label(*f, language)).collect(),
        timeline,
        offers,
        carriers,
        priorities: Priority::ALL
            .into_iter()
            .map(|p| Choice::new(p.as_str(), label(p, language), view.priority.as_str()))
            .collect(),
        agencies: departments()
            .iter()
            .map(|d| {
                let name = match language {
                    Language::Thai => d.name_th,
                    Language::English => d.name_en,
                };
                Choice::new(d.code, format!("{} {name}", d.code), "")
            })
            .collect(),
        possible_duplicates: view.possible_duplicates.iter().map(|id| link(id)).collect(),
        duplicates: view.duplicates.iter().map(|id| link(id)).collect(),
        duplicate_of: view.duplicate_of.as_deref().map(link),
        photos,
        photos_waiting: (view.photos_expected - view.photos_received).max(0),
        may_comment: policy::may_write_comment(&user, false),
        may_comment_internal: policy::may_write_comment(&user, true),
        comment_id: uuid::Uuid::new_v4().to_string(),
        notice,
        g: view,
    })
}

/// Reads one grievance for `signed`, masked, or unmasked and audited when `reveal`.
async fn read_view(
    signed: &Signed,
    db: &Db,
    services: &web::Data<GrievanceServices>,
    id: &str,
    reveal: bool,
) -> Result<GrievanceView, ApiError> {
    let user = signed.user.clone();
    let services = services.clone().into_inner();
    let id = GrievanceId::unchecked(id.to_owned());
    if reveal {
        // Opening the complainant's data is a write: its audit entry.
        db.write(move |conn| {
            let row = service::find(conn, &user, &id)?;
            service::read(conn, &user, row, &services)
        })
        .await
    } else {
        db.read(move |conn| {
            let row = service::find(conn, &user, &id)?;
            let mut views = service::views(conn, &user, vec![row], |_| false, &services)?;
            Ok(views.remove(0))
        })
        .await
    }
}

/// `GET /console/grievances/{id}`.
pub async fn page(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    services: web::Data<GrievanceServices>,
    settings: web::Data<ConsoleSettings>,
    id: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    show(
        &req, &signed, &db, &geography, &services, &settings, &id, false,
    )
    .await
}

/// The case page, the complainant's data masked or, when `reveal`, in full (audited).
#[allow(clippy::too_many_arguments)]
async fn show(
    req: &HttpRequest,
    signed: &Signed,
    db: &Db,
    geography: &Geography,
    services: &web::Data<GrievanceServices>,
    settings: &ConsoleSettings,
    id: &str,
    reveal: bool,
) -> Result<HttpResponse, Refusal> {
    let language = signed.language;
    let view = read_view(signed, db, services, id, reveal)
        .await
        .map_err(|e| Refusal::from_api(e, language))?;
    let cx = PageContext::new(req, signed, db, settings);
    let page = case_page(&cx, geography, view, None).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /console/grievances/{id}/reveal`: the same page with the complainant's phone and
/// national ID in full, for a reader the policy lets see them; the read is audited.
// An actix handler takes each thing it uses as an argument.
#[allow(clippy::too_many_arguments)]
pub async fn reveal(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    services: web::Data<GrievanceServices>,
    settings: web::Data<ConsoleSettings>,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Refusal> {
    signed.check_csrf(&req, &form)?;
    show(
        &req, &signed, &db, &geography, &services, &settings, &id, true,
    )
    .await
}

/// The version a console page showed, which every action names (the API's `If-Match`):
/// one that is missing or unreadable is refused, never taken as "any version".
pub fn shown_version(raw: Option<&str>, language: crate::domain::Language) -> Result<i64, Refusal> {
    raw.and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
        Refusal::from_api(
            ApiError::field(
                "version",
                crate::error::FieldCode::BadFormat,
                "the page did not say which version it showed; reload it",
                "หน้านี้ไม่ได้ระบุฉบับของเรื่อง กรุณาโหลดหน้าใหม่",
            ),
            language,
        )
    })
}

/// `POST /console/grievances/{id}/actions`: one workflow action, at the version shown.
// An actix handler takes each thing it uses as an argument.
#[allow(clippy::too_many_arguments)]
pub async fn act(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    services: web::Data<GrievanceServices>,
    settings: web::Data<ConsoleSettings>,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Refusal> {
    let form = form.into_inner();
    signed.check_csrf(&req, &form)?;
    let language = signed.language;
    let w = words(language);
    let action = form_field(&form, "action")
        .and_then(|a| a.parse::<Action>().ok())
        .ok_or_else(|| {
            Refusal::from_api(
                ApiError::field(
                    "action",
                    crate::error::FieldCode::NotAllowedValue,
                    "choose an action",
                    "กรุณาเลือกขั้นตอน",
                ),
                language,
            )
        })?;
    let note = service::transition_note(form_field(&form, "note").as_deref())
        .map_err(|e| Refusal::from_api(ApiError::Validation(vec![e]), language))?;
    let command = TransitionCommand {
        grievance_id: GrievanceId::unchecked(id.to_string()),
        expected_version: Some(shown_version(
            form_field(&form, "version").as_deref(),
            language,
        )?),
        action,
        note,
        assignee_id: form_field(&form, "assignee_id"),
        referred_to: form_field(&form, "referred_to"),
        duplicate_of: form_field(&form, "duplicate_of"),
        priority: form_field(&form, "priority"),
    };
    let outcome = {
        let (user, services) = (signed.user.clone(), services.clone().into_inner());
        db.write(move |conn| service::transition(conn, &user, &command, &services))
            .await
    };
    let (status, view, notice) = match outcome {
        Ok(view) => {
            let notice = Notice::done(format!("{}: {}", w.done, label(action, language)));
            (StatusCode::OK, view, notice)
        }
        Err(error) => {
            let status = actix_web::ResponseError::status_code(&error);
            if status == StatusCode::NOT_FOUND {
                return Err(Refusal::not_found(language));
            }
            let mut notice = Notice::refused(&error, language);
            if matches!(error, ApiError::VersionMismatch(_)) {
                notice.text = w.changed_meanwhile.to_owned();
            }
            // The page shows the case as it stands now.
            let view = read_view(&signed, &db, &services, &id, false)
                .await
                .map_err(|e| Refusal::from_api(e, language))?;
            (status, view, notice)
        }
    };
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = case_page(&cx, &geography, view, Some(notice)).await?;
    Ok(render(status, &page))
}

/// `POST /console/grievances/{id}/comments`.
// An actix handler takes each thing it uses as an argument.
#[allow(clippy::too_many_arguments)]
pub async fn comment(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    services: web::Data<GrievanceServices>,
    settings: web::Data<ConsoleSettings>,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Refusal> {
    let form = form.into_inner();
    signed.check_csrf(&req, &form)?;
    let language = signed.language;
    // The form's own id makes a double submit one comment.
    let comment_id = form_field(&form, "comment_id").and_then(|raw| CommentId::parse(&raw).ok());
    let comment = NewComment {
        id: comment_id,
        body: form_field(&form, "body").unwrap_or_default(),
        internal: form_field(&form, "internal").is_some(),
    };
    let grievance = GrievanceId::unchecked(id.to_string());
    let user = signed.user.clone();
    let outcome = db
        .write(move |conn| service::comment(conn, &user, &grievance, comment))
        .await;
    let (status, notice) = Notice::after(outcome, language, |_| words(language).done.to_owned());
    let view = read_view(&signed, &db, &services, &id, false)
        .await
        .map_err(|e| Refusal::from_api(e, language))?;
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = case_page(&cx, &geography, view, Some(notice)).await?;
    Ok(render(status, &page))
}

/// `GET /console/{visits|grievances}/{id}/photos/{photo_id}`: a photo the reader may see.
pub async fn photo(
    signed: Signed,
    db: web::Data<Db>,
    store: web::Data<PhotoStore>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, Refusal> {
    let language = signed.language;
    let (kind, id, photo_id) = path.into_inner();
    let record = match kind.as_str() {
        "grievances" => PhotoRecord::Grievance(GrievanceId::unchecked(id)),
        "visits" => PhotoRecord::Visit(crate::domain::VisitId::unchecked(id)),
        _ => return Err(Refusal::not_found(language)),
    };
    crate::routes::photos::get(signed.user, &db, &store, record, photo_id)
        .await
        .map_err(|e| Refusal::from_api(e, language))
}

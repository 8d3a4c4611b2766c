//! The supervisors' queue: grievances of one's area under the same filters as
//! `GET /grievances` (the filter lives in the URL, so it can be bookmarked and shared),
//! deadlines first, with a count on each tab; acting on many at once; the same filter
//! as a map and as exports.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::pages::{form_field, query_string, render, request_path, Choice, Chrome};
use super::session::{Refusal, Signed};
use super::words::{self, label, words, Words};
use super::ConsoleSettings;
use crate::auth::AuthUser;
use crate::db::grievances::{self as store, Narrowing};
use crate::db::users::{self as accounts, UserFilter};
use crate::db::{Db, DbConnection};
use crate::domain::{Category, Due, Language, Named, Priority, Role, Status};
use crate::error::ApiError;
use crate::geo::Geography;
use crate::grievances::service::{self, GrievanceServices, TransitionCommand};
use crate::grievances::view::GrievanceView;
use crate::policy::{self, Permission};
use crate::routes::grievances::{ListQuery, ListRequest};

/// Rows on one page of the queue.
const PAGE_ROWS: usize = 50;
/// At most this many grievances in one bulk action ("all matching" included).
pub const MAX_BULK: usize = 500;
/// At most this many points on the map, and rows in an export.
pub const MAX_POINTS: usize = 5_000;
pub const MAX_EXPORT_ROWS: usize = 20_000;

/// The queue's URL: the API list's filter names, plus the tab.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct QueueQuery {
    pub view: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    pub priority: Option<String>,
    pub area: Option<String>,
    pub assignee: Option<String>,
    pub due: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub cursor: Option<String>,
}

fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl QueueQuery {
    /// Reads a query string; an unreadable one is a refusal page.
    pub fn from_request(req: &HttpRequest, language: Language) -> Result<Self, Refusal> {
        Self::parse(req.query_string(), language)
    }

    pub fn parse(query: &str, language: Language) -> Result<Self, Refusal> {
        web::Query::<QueueQuery>::from_query(query)
            .map(web::Query::into_inner)
            .map_err(|_| {
                Refusal::from_api(
                    ApiError::malformed("the query string is not readable", "อ่านตัวกรองไม่ได้"),
                    language,
                )
            })
    }

    pub fn tab(&self) -> Tab {
        self.view
            .as_deref()
            .and_then(|name| Tab::ALL.into_iter().find(|tab| tab.name() == name))
            .unwrap_or(Tab::Open)
    }

    /// The filter as the API's list reads it, under `tab`, in `sort` (deadline first
    /// unless chosen), a page of `limit` from `cursor`.
    pub fn list_query(&self, tab: Tab, limit: usize, cursor: bool) -> ListQuery {
        let open = || {
            Status::ALL
                .into_iter()
                .filter(|s| s.is_open())
                .map(Status::as_str)
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut query = ListQuery {
            status: given(&self.status),
            category: given(&self.category),
            priority: given(&self.priority),
            area: given(&self.area),
            assignee: given(&self.assignee),
            overdue: None,
            due: given(&self.due),
            photos_missing: None,
            // People type dates in the Buddhist Era; the API reads them Gregorian.
            from: given(&self.from).map(|d| words::iso_date_from_thai(&d).unwrap_or(d)),
            to: given(&self.to).map(|d| words::iso_date_from_thai(&d).unwrap_or(d)),
            updated_since: None,
            q: given(&self.q),
            sort: Some(given(&self.sort).unwrap_or_else(|| "due_at".into())),
            bbox: None,
            near: None,
            radius_m: None,
            // The tabs' counts, taken in one pass, say how many match.
            count: None,
            limit: Some(limit.to_string()),
            cursor: if cursor { given(&self.cursor) } else { None },
        };
        match tab {
            Tab::Open => {
                query.status.get_or_insert_with(open);
            }
            Tab::Overdue => query.due = Some(Due::Overdue.as_str().into()),
            Tab::DueSoon => query.due = Some(Due::DueSoon.as_str().into()),
            Tab::Unassigned => {
                query.assignee = Some("none".into());
                query.status.get_or_insert_with(open);
            }
            Tab::Mine => query.assignee = Some("me".into()),
            Tab::All => {}
        }
        query
    }

    /// This filter's own query string (without the cursor), for links and forms.
    pub fn to_query_string(&self, tab: Option<Tab>) -> String {
        let view = tab.map(Tab::name).unwrap_or_default();
        let value = |v: &Option<String>| given(v).unwrap_or_default();
        let (status, category, priority, area) = (
            value(&self.status),
            value(&self.category),
            value(&self.priority),
            value(&self.area),
        );
        let (assignee, due, from, to, q, sort) = (
            value(&self.assignee),
            value(&self.due),
            value(&self.from),
            value(&self.to),
            value(&self.q),
            value(&self.sort),
        );
        query_string([
            ("view", view),
            ("status", &status),
            ("category", &category),
            ("priority", &priority),
            ("area", &area),
            ("assignee", &assignee),
            ("due", &due),
            ("from", &from),
            ("to", &to),
            ("q", &q),
            ("sort", &sort),
        ])
    }
}

/// The queue's tabs: presets over the filter, each with its count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Open,
    Overdue,
    DueSoon,
    Unassigned,
    Mine,
    All,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Open,
        Tab::Overdue,
        Tab::DueSoon,
        Tab::Unassigned,
        Tab::Mine,
        Tab::All,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Overdue => "overdue",
            Self::DueSoon => "due_soon",
            Self::Unassigned => "unassigned",
            Self::Mine => "mine",
            Self::All => "all",
        }
    }

    fn label(self, w: &Words) -> &'static str {
        match self {
            Self::Open => w.tab_open,
            Self::Overdue => w.tab_overdue,
            Self::DueSoon => w.tab_due_soon,
            Self::Unassigned => w.tab_unassigned,
            Self::Mine => w.tab_mine,
            Self::All => w.tab_all,
        }
    }
}

/// One tab as shown.
pub struct TabView {
    pub label: &'static str,
    pub href: String,
    pub count: i64,
    pub current: bool,
    pub name: &'static str,
}

/// One row of the queue as shown.
pub struct Row {
    pub id: String,
    pub version: i64,
    pub title: String,
    pub status: String,
    pub status_code: &'static str,
    pub priority: String,
    pub priority_code: &'static str,
    pub category: String,
    pub area: String,
    pub assignee: String,
    pub filed: String,
    pub due: String,
    pub deadline: String,
    pub overdue: bool,
}

impl Row {
    pub fn new(view: &GrievanceView, geography: &Geography, language: Language) -> Self {
        let w = words(language);
        Self {
            id: view.id.clone(),
            version: view.version,
            title: view.title.clone(),
            status: label(view.status, language),
            status_code: view.status.as_str(),
            priority: label(view.priority, language),
            priority_code: view.priority.as_str(),
            category: label(view.category, language),
            area: area_name(geography, &view.area_code, language),
            assignee: view
                .assignee
                .as_ref()
                .map(|a| a.display_name.clone())
                .unwrap_or_else(|| w.unassigned.to_owned()),
            filed: words::when(view.reported_at, language),
            due: words::when(view.due_at, language),
            deadline: words::deadline(view.due_at, view.status, language),
            overdue: view.overdue,
        }
    }
}

/// An area's name with its district, as people say it.
pub fn area_name(geography: &Geography, code: &str, language: Language) -> String {
    let name = |code: &str| {
        geography
            .area(code)
            .map(|area| area.name(language).to_owned())
    };
    let own = name(code).unwrap_or_else(|| code.to_owned());
    match code.len() {
        6 => match name(&code[..4]) {
            Some(district) => format!("{own}, {district}"),
            None => own,
        },
        _ => own,
    }
}

/// The choices of the filter form.
pub struct FilterForm {
    pub statuses: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub priorities: Vec<Choice>,
    pub areas: Vec<Choice>,
    pub assignees: Vec<Choice>,
    pub dues: Vec<Choice>,
    pub sorts: Vec<Choice>,
    pub from: String,
    pub to: String,
    pub q: String,
}

/// Staff of the caller's area who can carry grievances: the assignee choices.
pub fn carriers(
    conn: &mut DbConnection,
    user: &AuthUser,
) -> Result<Vec<accounts::UserRow>, ApiError> {
    let filter = UserFilter {
        scope: user.scope.clone(),
        roles: vec![Role::Official, Role::Supervisor],
        active: Some(true),
        name: None,
    };
    Ok(accounts::list(conn, &filter, None, 1_000)?)
}

fn choices<T: Named + crate::domain::Labelled>(
    chosen: &Option<String>,
    language: Language,
) -> Vec<Choice> {
    let chosen = given(chosen).unwrap_or_default();
    T::VALUES
        .iter()
        .map(|value| Choice::new(value.as_str(), label(*value, language), &chosen))
        .collect()
}

/// The areas one may narrow to: one's own, its children and (when not too many) theirs.
pub fn area_choices(
    geography: &Geography,
    user: &AuthUser,
    chosen: &str,
    language: Language,
) -> Vec<Choice> {
    let mut out = Vec::new();
    let own = user.area.as_str();
    let children = geography.children(Some(own)).unwrap_or_default();
    let grandchildren: usize = children
        .iter()
        .map(|c| geography.children(Some(&c.code)).map_or(0, |g| g.len()))
        .sum();
    for child in children {
        out.push(Choice::new(
            &child.code,
            area_name(geography, &child.code, language),
            chosen,
        ));
        if grandchildren <= 400 {
            for grandchild in geography.children(Some(&child.code)).unwrap_or_default() {
                let name = match language {
                    Language::Thai => &grandchild.name_th,
                    Language::English => &grandchild.name_en,
                };
                out.push(Choice::new(
                    &grandchild.code,
                    format!("\u{2003}{name}"),
                    chosen,
                ));
            }
        }
    }
    out
}

impl FilterForm {
    fn new(
        query: &QueueQuery,
        user: &AuthUser,
        carriers: &[accounts::UserRow],
        geography: &Geography,
        language: Language,
    ) -> Self {
        let w = words(language);
        let assignee = given(&query.assignee).unwrap_or_default();
        let mut assignees = vec![
            Choice::new("none", w.unassigned, &assignee),
            Choice::new("me", w.assigned_to_me, &assignee),
        ];
        assignees.extend(
            carriers
                .iter()
                .filter(|c| c.id != user.id)
                .map(|c| Choice::new(c.id.as_str(), c.display_name.clone(), &assignee)),
        );
        let sort = given(&query.sort).unwrap_or_else(|| "due_at".into());
        let sorts = [
            ("due_at", w.sort_due),
            ("priority", w.sort_priority),
            ("-created_at", w.sort_newest),
            ("created_at", w.sort_oldest),
        ]
        .into_iter()
        .map(|(value, text)| Choice::new(value, text, &sort))
        .collect();
        let area = given(&query.area).unwrap_or_default();
        Self {
            statuses: choices::<Status>(&query.status, language),
            categories: choices::<Category>(&query.category, language),
            priorities: choices::<Priority>(&query.priority, language),
            areas: area_choices(geography, user, &area, language),
            assignees,
            dues: choices::<Due>(&query.due, language),
            sorts,
            from: given(&query.from).unwrap_or_default(),
            to: given(&query.to).unwrap_or_default(),
            q: given(&query.q).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "queue.html")]
pub struct QueuePage {
    pub c: Chrome,
    pub tabs: Vec<TabView>,
    pub form: FilterForm,
    pub rows: Vec<Row>,
    pub total: i64,
    pub view: &'static str,
    /// This filter (with its tab), for export, map and bulk forms.
    pub filter: String,
    pub next_page: Option<String>,
    pub first_page: Option<String>,
    pub carriers: Vec<Choice>,
    pub priorities: Vec<Choice>,
    pub bulk_actions: Vec<Choice>,
    pub max_bulk: usize,
}

/// `GET /console/` and `/console/grievances`.
pub async fn page(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    services: web::Data<GrievanceServices>,
    settings: web::Data<ConsoleSettings>,
) -> Result<HttpResponse, Refusal> {
    let language = signed.language;
    let query = QueueQuery::from_request(&req, language)?;
    let tab = query.tab();
    // Every tab's request is checked up front: a bad filter is reported once, as the API would.
    let requests: Vec<(Tab, ListRequest)> = Tab::ALL
        .into_iter()
        .map(|t| {
            let list = query.list_query(t, PAGE_ROWS, t == tab);
            ListRequest::parse(&signed.user, list).map(|r| (t, r))
        })
        .collect::<Result<_, _>>()
        .map_err(|e| Refusal::from_api(e, language))?;
    // The tabs differ only in their statuses, deadline and assignee. Those of open work
    // (open, overdue, due soon, unassigned) lie within the open statuses and the ones the
    // filter names: one pass over those rows counts the four. "Mine" and "all" reach
    // closed grievances too: a second pass, over the rest of the filter, counts them.
    let narrowing_of = |tab: Tab| {
        requests
            .iter()
            .find(|(t, _)| *t == tab)
            .map(|(_, request)| Narrowing::take_from(&mut request.filter.clone()))
            .unwrap_or_default()
    };
    let open_work: Vec<Narrowing> = [Tab::Open, Tab::Overdue, Tab::DueSoon, Tab::Unassigned]
        .map(narrowing_of)
        .to_vec();
    let whole: Vec<Narrowing> = [Tab::Mine, Tab::All].map(narrowing_of).to_vec();
    let mut base = requests
        .iter()
        .find(|(t, _)| *t == Tab::All)
        .map(|(_, request)| request.clone())
        .ok_or_else(|| Refusal::internal(language))?;
    let named = Narrowing::take_from(&mut base.filter).statuses;
    let mut within_open = base.filter.clone();
    within_open.statuses = store::open_statuses().to_vec();
    within_open
        .statuses
        .extend(named.into_iter().filter(|s| !s.is_open()));
    let current = requests
        .into_iter()
        .find(|(t, _)| *t == tab)
        .map(|(_, request)| request)
        .ok_or_else(|| Refusal::internal(language))?;
    let user = signed.user.clone();
    let services = services.into_inner();
    let (listed, counts, carriers) = db
        .read(move |conn| {
            let now = crate::db::now();
            let listed = current.read(conn, &user, &services)?;
            let visibility = &base.visibility;
            let mut counts = store::count_each(conn, visibility, &within_open, &open_work, now)?;
            counts.extend(store::count_each(
                conn,
                visibility,
                &base.filter,
                &whole,
                now,
            )?);
            let carriers = carriers(conn, &user)?;
            Ok((listed, counts, carriers))
        })
        .await
        .map_err(|e| Refusal::from_api(e, language))?;
    let counts: Vec<(Tab, i64)> = Tab::ALL.into_iter().zip(counts).collect();
    let total = counts
        .iter()
        .find(|(t, _)| *t == tab)
        .map_or(0, |(_, count)| *count);
    let w = words(language);
    let tabs = counts
        .into_iter()
        .map(|(t, count)| TabView {
            label: t.label(w),
            href: format!("/console/grievances?{}", query.to_query_string(Some(t))),
            count,
            current: t == tab,
            name: t.name(),
        })
        .collect();
    let filter = query.to_query_string(Some(tab));
    let next_page = listed.page.next_cursor.as_ref().map(|cursor| {
        format!(
            "/console/grievances?{filter}&cursor={}",
            super::pages::url_encode(cursor)
        )
    });
    let first_page = given(&query.cursor).map(|_| format!("/console/grievances?{filter}"));
    let rows = listed
        .page
        .items
        .iter()
        .map(|view| Row::new(view, &geography, language))
        .collect();
    let form = FilterForm::new(&query, &signed.user, &carriers, &geography, language);
    let page = QueuePage {
        c: Chrome::new(&signed, "queue", request_path(&req), &settings.tile_url),
        tabs,
        form,
        rows,
        total,
        view: tab.name(),
        filter,
        next_page,
        first_page,
        carriers: carriers
            .iter()
            .map(|c| Choice::new(c.id.as_str(), c.display_name.clone(), ""))
            .collect(),
        priorities: choices::<Priority>(&None, language),
        bulk_actions: [
            crate::domain::Action::Assign,
            crate::domain::Action::Accept,
            crate::domain::Action::SetPriority,
        ]
        .into_iter()
        .map(|a| Choice::new(a.as_str(), label(a, language), ""))
        .collect(),
        max_bulk: MAX_BULK,
    };
    Ok(render(StatusCode::OK, &page))
}

/// Every grievance the filter matches, up to `cap`, from the first page on.
pub fn all_matching(
    conn: &mut DbConnection,
    user: &AuthUser,
    query: &QueueQuery,
    cap: usize,
    services: &GrievanceServices,
) -> Result<Vec<GrievanceView>, ApiError> {
    let tab = query.tab();
    let mut out = Vec::new();
    let mut page_query = query.list_query(tab, 500, false);
    loop {
        let request = ListRequest::parse(user, page_query.clone())?;
        let listed = request.read(conn, user, services)?;
        let next = listed.page.next_cursor.clone();
        out.extend(listed.page.items);
        match next {
            Some(cursor) if out.len() < cap => page_query.cursor = Some(cursor),
            _ => break,
        }
    }
    out.truncate(cap);
    Ok(out)
}

/// One grievance's outcome in a bulk action.
pub struct Outcome {
    pub id: String,
    pub title: String,
    pub ok: bool,
    pub message: String,
}

#[derive(Template)]
#[template(path = "bulk.html")]
pub struct BulkPage {
    pub c: Chrome,
    pub action: String,
    pub outcomes: Vec<Outcome>,
    pub succeeded: usize,
    pub failed: usize,
    pub back: String,
}

/// `POST /console/grievances/bulk`: assign, accept or change the priority of the rows
/// selected (each at the version the page showed), or of every grievance the filter
/// matches. Each grievance goes through the workflow on its own, in its own
/// transaction; each outcome is shown.
pub async fn bulk(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    services: web::Data<GrievanceServices>,
    settings: web::Data<ConsoleSettings>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Refusal> {
    let form = form.into_inner();
    signed.check_csrf(&req, &form)?;
    let language = signed.language;
    let w = words(language);
    policy::require(&signed.user, Permission::OverseeGrievances)
        .map_err(|e| Refusal::from_api(e, language))?;
    let field = |name: &str| form_field(&form, name);
    let action = match field("action").as_deref() {
        Some("accept") => crate::domain::Action::Accept,
        Some("assign") => crate::domain::Action::Assign,
        Some("set_priority") => crate::domain::Action::SetPriority,
        _ => {
            return Err(Refusal::from_api(
                ApiError::field(
                    "action",
                    crate::error::FieldCode::NotAllowedValue,
                    "choose accept, assign or set_priority",
                    "กรุณาเลือกรับเรื่อง มอบหมาย หรือเปลี่ยนความเร่งด่วน",
                ),
                language,
            ))
        }
    };
    let filter = field("filter").unwrap_or_default();
    let query = QueueQuery::parse(&filter, language)?;
    let everything = field("scope").as_deref() == Some("matching");
    // The rows ticked, each with the version the page showed: a row without a readable
    // one is refused like a stale one, never acted on at "any version".
    let mut unreadable = Vec::new();
    let mut targets: Vec<(String, Option<i64>)> = Vec::new();
    for (_, value) in form.iter().filter(|(name, _)| name == "id") {
        let (id, version) = value.split_once(':').unwrap_or((value, ""));
        match super::case::shown_version(Some(version), language) {
            Ok(version) => targets.push((id.to_owned(), Some(version))),
            Err(refusal) => unreadable.push(Outcome {
                id: id.to_owned(),
                title: String::new(),
                ok: false,
                message: refusal.said(),
            }),
        }
    }
    let user = signed.user.clone();
    let services = services.into_inner();
    if everything {
        let (user, services, query) = (user.clone(), services.clone(), query.clone());
        let matching = db
            .read(move |conn| all_matching(conn, &user, &query, MAX_BULK, &services))
            .await
            .map_err(|e| Refusal::from_api(e, language))?;
        targets = matching.into_iter().map(|view| (view.id, None)).collect();
    }
    targets.truncate(MAX_BULK);
    let (assignee_id, priority) = (field("assignee_id"), field("priority"));
    let mut outcomes = unreadable;
    for (id, version) in targets {
        let command = TransitionCommand {
            grievance_id: crate::domain::GrievanceId::unchecked(id.clone()),
            expected_version: version,
            action,
            note: None,
            assignee_id: assignee_id.clone(),
            referred_to: None,
            duplicate_of: None,
            priority: priority.clone(),
        };
        let (user, services) = (user.clone(), services.clone());
        let result = db
            .write(move |conn| service::transition(conn, &user, &command, &services))
            .await;
        outcomes.push(match result {
            Ok(view) => Outcome {
                id,
                title: view.title,
                ok: true,
                message: format!(
                    "{} · {}",
                    label(view.status, language),
                    label(view.priority, language)
                ),
            },
            Err(error) => {
                let problem = error.problem(language);
                let mut message = problem.detail.unwrap_or(problem.title);
                for e in problem.errors.unwrap_or_default() {
                    message.push_str(&format!(" ({}: {})", e.field, e.message));
                }
                Outcome {
                    id,
                    title: String::new(),
                    ok: false,
                    message,
                }
            }
        });
    }
    let succeeded = outcomes.iter().filter(|o| o.ok).count();
    let page = BulkPage {
        c: Chrome::new(
            &signed,
            "queue",
            format!("/console/grievances?{filter}"),
            &settings.tile_url,
        ),
        action: label(action, language),
        failed: outcomes.len() - succeeded,
        succeeded,
        outcomes,
        back: format!("/console/grievances?{filter}"),
    };
    let _ = w;
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "map.html")]
pub struct MapPage {
    pub c: Chrome,
    pub filter: String,
    pub tabs: Vec<TabView>,
}

/// `GET /console/map`: the current filter's grievances on a map.
pub async fn map(
    req: HttpRequest,
    signed: Signed,
    settings: web::Data<ConsoleSettings>,
) -> Result<HttpResponse, Refusal> {
    let query = QueueQuery::from_request(&req, signed.language)?;
    let tab = query.tab();
    let w = words(signed.language);
    let tabs = Tab::ALL
        .into_iter()
        .map(|t| TabView {
            label: t.label(w),
            href: format!("/console/map?{}", query.to_query_string(Some(t))),
            count: 0,
            current: t == tab,
            name: t.name(),
        })
        .collect();
    let page = MapPage {
        c: Chrome::new(&signed, "map", request_path(&req), &settings.tile_url),
        filter: query.to_query_string(Some(tab)),
        tabs,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `GET /console/grievances/points`: the filter's grievances as GeoJSON points, for the
/// map (at most [`MAX_POINTS`]).
pub async fn points(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    services: web::Data<GrievanceServices>,
) -> Result<HttpResponse, Refusal> {
    let language = signed.language;
    let query = QueueQuery::from_request(&req, language)?;
    let user = signed.user.clone();
    let services = services.into_inner();
    let views = db
        .read(move |conn| all_matching(conn, &user, &query, MAX_POINTS + 1, &services))
        .await
        .map_err(|e| Refusal::from_api(e, language))?;
    let capped = views.len() > MAX_POINTS;
    let features: Vec<serde_json::Value> = views
        .iter()
        .take(MAX_POINTS)
        .map(|view| {
            serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [view.location.lon, view.location.lat]},
                "properties": {
                    "id": view.id,
                    "title": view.title,
                    "status": label(view.status, language),
                    "priority": view.priority.as_str(),
                    "overdue": view.overdue,
                },
            })
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({
            "type": "FeatureCollection",
            "features": features,
            "capped": capped,
        })))
}

/// `GET /console/areas/{code}/boundary`: an area's outline as GeoJSON, for the maps (the
/// same polygons as the API's `GET /areas/{code}/boundary`).
pub async fn boundary(
    signed: Signed,
    geography: web::Data<Geography>,
    code: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let Some(boundary) = geography.boundary_geojson(&code) else {
        return Err(Refusal::not_found(signed.language));
    };
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .insert_header((
            actix_web::http::header::CACHE_CONTROL,
            "private, max-age=86400",
        ))
        .json(boundary))
}

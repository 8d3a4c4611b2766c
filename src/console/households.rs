//! The register in the console: the households of one's area whose follow-up is due (the
//! supervisor's queue, the longest overdue first), a search of the whole register, and
//! one household's timeline: its visits, grievances and changes, newest first. Each page
//! reads through the same policy and use cases as `GET /households`; members' numbers
//! stay masked.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::pages::request_path;
use super::pages::{query_string, render, Choice, Chrome};
use super::queue::area_name;
use super::session::{Refusal, Signed};
use super::words::{self, label, words, Words};
use super::ConsoleSettings;
use crate::db::households::{self as store, HouseholdFilter, HouseholdRow};
use crate::db::Db;
use crate::domain::{bangkok_date, buddhist_era_date, HouseholdId, Language, TargetGroup};
use crate::error::ApiError;
use crate::geo::Geography;
use crate::households::view::HouseholdView;
use crate::households::{follow_ups_due_by, service};
use crate::policy::{self, Permission};
use crate::privacy::PiiCipher;
use crate::routes::query::parse_names;

/// Households listed on one page at most; the heading says how many there are.
const LISTED: i64 = 200;

/// One household in a list.
pub struct HouseholdLine {
    pub id: String,
    pub area: String,
    pub address: String,
    pub target_groups: String,
    pub members: usize,
    pub last_visit: String,
    pub next_due: String,
    /// Days past its follow-up date (0 when not yet due).
    pub days_late: i64,
}

#[derive(Template)]
#[template(path = "households.html")]
pub struct HouseholdsPage {
    pub c: Chrome,
    /// The due queue, or the whole register searched.
    pub due_only: bool,
    pub q: String,
    pub groups: Vec<Choice>,
    pub lines: Vec<HouseholdLine>,
    /// How many match in all (the due queue), when more than are listed may.
    pub total: i64,
    pub capped: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// `all`: the whole register; otherwise the due queue.
    view: Option<String>,
    q: Option<String>,
    target_group: Option<String>,
}

/// `GET /console/households`: the due queue, or `?view=all` the register searched by
/// text and target group.
pub async fn page(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    settings: web::Data<ConsoleSettings>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, Refusal> {
    let language = signed.language;
    let refuse = |e| Refusal::from_api(e, language);
    policy::require(&signed.user, Permission::UseConsole).map_err(refuse)?;
    let due_only = query.view.as_deref() != Some("all");
    let mut errors = Vec::new();
    // The form sends an empty choice for "any".
    let chosen = query.target_group.as_deref().filter(|g| !g.is_empty());
    let groups: Vec<TargetGroup> = parse_names(&mut errors, "target_group", chosen);
    if !errors.is_empty() {
        return Err(refuse(ApiError::Validation(errors)));
    }
    let text: Option<String> = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| q.chars().take(100).collect());
    let scope = policy::households_scope(&signed.user);
    let today = bangkok_date(Utc::now());
    let filter = HouseholdFilter {
        scope: scope.clone(),
        target_groups: groups.clone(),
        text: text.clone(),
        bbox: None,
        follow_up_due: None,
    };
    let (rows, members, total) = db
        .read(move |conn| {
            let (rows, total) = if due_only {
                store::due_by(conn, &scope, follow_ups_due_by(Utc::now()), LISTED)?
            } else {
                let rows = store::list(conn, &filter, None, LISTED + 1)?;
                let total = rows.len() as i64;
                (rows, total)
            };
            let ids: Vec<&HouseholdId> = rows.iter().map(|r| &r.id).collect();
            let members = store::members_of(conn, &ids)?;
            Ok((rows, members, total))
        })
        .await
        .map_err(refuse)?;
    let capped = total > LISTED;
    let lines = rows
        .into_iter()
        .take(LISTED as usize)
        .map(|row| {
            let count = members
                .get(&row.id)
                .map_or(0, |m| m.iter().filter(|m| !m.removed).count());
            line(row, count, today, &geography, language)
        })
        .collect();
    let chosen = chosen.unwrap_or_default().to_owned();
    let mut choices = vec![Choice::new("", words(language).any, &chosen)];
    choices.extend(
        TargetGroup::ALL
            .iter()
            .map(|g| Choice::new(g.as_str(), label(*g, language), &chosen)),
    );
    let page = HouseholdsPage {
        c: Chrome::new(
            &signed,
            "households",
            request_path(&req),
            &settings.tile_url,
        ),
        due_only,
        q: text.unwrap_or_default(),
        groups: choices,
        lines,
        total,
        capped,
    };
    Ok(render(StatusCode::OK, &page))
}

fn line(
    row: HouseholdRow,
    members: usize,
    today: NaiveDate,
    geography: &Geography,
    language: Language,
) -> HouseholdLine {
    HouseholdLine {
        area: area_name(geography, &row.area_code, language),
        address: row.address.unwrap_or_default(),
        target_groups: group_labels(TargetGroup::from_bits(row.target_groups), language),
        members,
        last_visit: row
            .last_visit_at
            .map(|at| words::day(at.and_utc(), language))
            .unwrap_or_default(),
        next_due: row
            .next_visit_due
            .map(|day| buddhist_era_date(day, language))
            .unwrap_or_default(),
        days_late: days_late(row.next_visit_due, today),
        id: row.id.into_string(),
    }
}

/// Days a follow-up is past its date (0 when not yet due, or none is asked).
fn days_late(due: Option<NaiveDate>, today: NaiveDate) -> i64 {
    due.map_or(0, |due| (today - due).num_days().max(0))
}

fn group_labels(groups: impl IntoIterator<Item = TargetGroup>, language: Language) -> String {
    groups
        .into_iter()
        .map(|g| label(g, language))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A member as the household page lists it: numbers masked.
pub struct MemberLine {
    pub name: String,
    pub birth_year_be: String,
    pub sex: String,
    pub target_groups: String,
    pub national_id: String,
    pub phone: String,
}

/// One entry of a household's timeline.
pub struct Moment {
    pub at: String,
    pub sort_key: DateTime<Utc>,
    /// `visit`, `grievance` or `change`: the entry's mark.
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub title: String,
    pub detail: String,
    pub href: Option<String>,
}

#[derive(Template)]
#[template(path = "household.html")]
pub struct HouseholdPage {
    pub c: Chrome,
    pub h: HouseholdView,
    pub area: String,
    pub target_groups: String,
    pub created: String,
    pub last_visit: String,
    pub next_due: String,
    pub days_late: i64,
    pub members: Vec<MemberLine>,
    pub timeline: Vec<Moment>,
}

/// `GET /console/households/{id}`: one household and its story.
pub async fn household(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    settings: web::Data<ConsoleSettings>,
    cipher: web::Data<PiiCipher>,
    id: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let language = signed.language;
    let refuse = |e| Refusal::from_api(e, language);
    policy::require(&signed.user, Permission::UseConsole).map_err(refuse)?;
    let user = signed.user.clone();
    let cipher = cipher.into_inner();
    let view = db
        .read(move |conn| service::read(conn, &user, &id, &cipher))
        .await
        .map_err(refuse)?;
    let w = words(language);
    let today = bangkok_date(Utc::now());
    let page = HouseholdPage {
        c: Chrome::new(
            &signed,
            "households",
            request_path(&req),
            &settings.tile_url,
        ),
        area: area_name(&geography, &view.area_code, language),
        target_groups: group_labels(view.target_groups.iter().copied(), language),
        created: format!(
            "{} · {}",
            words::when(view.created_at, language),
            view.created_by.display_name
        ),
        last_visit: view
            .last_visit_at
            .map(|at| words::when(at, language))
            .unwrap_or_default(),
        next_due: view
            .next_visit_due
            .map(|day| buddhist_era_date(day, language))
            .unwrap_or_default(),
        days_late: days_late(view.next_visit_due, today),
        members: view
            .members
            .iter()
            .map(|m| MemberLine {
                name: m.name.clone().unwrap_or_default(),
                birth_year_be: m.birth_year_be.map(|y| y.to_string()).unwrap_or_default(),
                sex: m.sex.map(|s| label(s, language)).unwrap_or_default(),
                target_groups: group_labels(m.target_groups.iter().copied(), language),
                national_id: m.national_id.clone().unwrap_or_default(),
                phone: m.phone.clone().unwrap_or_default(),
            })
            .collect(),
        timeline: timeline(&view, w, language),
        h: view,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The household's visits, grievances and changes, newest first.
fn timeline(view: &HouseholdView, w: &Words, language: Language) -> Vec<Moment> {
    let visits_of_household = format!(
        "/console/visits?{}",
        query_string([("household", view.id.as_str())])
    );
    let mut moments: Vec<Moment> = Vec::new();
    for visit in &view.visits {
        let follow_up = match (visit.follow_up_needed, visit.follow_up_by) {
            (true, Some(by)) => {
                format!(" · {} {}", w.follow_up_by, buddhist_era_date(by, language))
            }
            (true, None) => format!(" · {}", w.follow_up_by),
            _ => String::new(),
        };
        moments.push(Moment {
            at: words::when(visit.visited_at, language),
            sort_key: visit.visited_at,
            kind: "visit",
            kind_label: w.moment_visit,
            title: format!(
                "{} · {}{follow_up}",
                label(visit.activity, language),
                visit.author.display_name
            ),
            detail: visit.summary.clone(),
            href: Some(format!("{visits_of_household}#v-{}", visit.id)),
        });
    }
    for grievance in &view.grievances {
        moments.push(Moment {
            at: words::when(grievance.created_at, language),
            sort_key: grievance.created_at,
            kind: "grievance",
            kind_label: w.moment_grievance,
            title: grievance.title.clone(),
            detail: format!(
                "{} · {}",
                label(grievance.category, language),
                label(grievance.status, language)
            ),
            href: Some(format!("/console/grievances/{}", grievance.id)),
        });
    }
    for event in &view.history {
        let what = match event.action.as_str() {
            "created" => w.household_registered,
            "erased" => w.household_erased,
            _ => w.household_changed,
        };
        moments.push(Moment {
            at: words::when(event.at, language),
            sort_key: event.at,
            kind: "change",
            kind_label: what,
            title: event.actor.display_name.clone(),
            detail: event
                .changes
                .iter()
                .map(|change| change_label(change, w))
                .collect::<Vec<_>>()
                .join(", "),
            href: None,
        });
    }
    moments.sort_by_key(|moment| std::cmp::Reverse(moment.sort_key));
    moments
}

/// A changed field as a reader names it: `members[<id>].phone` reads "member: phone".
fn change_label(change: &str, w: &Words) -> String {
    if let Some(count) = change.strip_prefix("members: ") {
        return format!("{} {count}", w.members);
    }
    let (member, field) = match change.split_once("].") {
        Some((_, field)) => (true, field),
        None => (false, change),
    };
    let field = match field {
        "address" => w.address,
        "location" => w.location,
        "area_code" => w.area,
        "consent" => w.consent,
        "name" => w.member_name,
        "phone" => w.phone,
        "national_id" => w.national_id,
        "birth_year" => w.birth_year,
        "sex" => w.sex,
        "target_groups" => w.target_groups,
        "notes" => w.note,
        "removed" => w.member_removed,
        "restored" => w.member_restored,
        "added" => w.member_added,
        "personal_data_removed" => w.personal_data_removed,
        other => other,
    };
    if member {
        format!("{}: {field}", w.member)
    } else {
        field.to_owned()
    }
}

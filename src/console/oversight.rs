//! What a supervisor watches over a whole area: deadlines at a glance (overdue and
//! due-soon by priority, cases resolved late this month) and the workload each assignee
//! carries, with the way to hand cases on from there.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};

use super::pages::request_path;
use super::pages::{render, url_encode, Chrome};
use super::queue::carriers;
use super::session::{Refusal, Signed};
use super::words::{self, label, words};
use super::ConsoleSettings;
use crate::db::grievances as store;
use crate::db::Db;
use crate::domain::{bangkok_date, bangkok_start_of_day, Due, IsoWeek, Priority};
use crate::policy::{self, Permission};

pub struct PriorityLine {
    pub priority: String,
    pub code: &'static str,
    pub overdue: usize,
    pub due_soon: usize,
    pub overdue_href: String,
    pub due_soon_href: String,
}

pub struct LateCase {
    pub id: String,
    pub title: String,
    pub priority: String,
    pub due: String,
    pub resolved: String,
    pub late_by: String,
}

#[derive(Template)]
#[template(path = "deadlines.html")]
pub struct DeadlinesPage {
    pub c: Chrome,
    pub lines: Vec<PriorityLine>,
    pub total_overdue: usize,
    pub total_due_soon: usize,
    pub late: Vec<LateCase>,
    pub month: String,
}

/// `GET /console/deadlines`.
pub async fn deadlines(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    settings: web::Data<ConsoleSettings>,
) -> Result<HttpResponse, Refusal> {
    let language = signed.language;
    let now = Utc::now();
    let today = bangkok_date(now);
    let month_start = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let since = bangkok_start_of_day(month_start).naive_utc();
    let visibility = policy::visibility(&signed.user);
    let (due, late) = db
        .read_report(move |conn| {
            let soon = (now + Duration::hours(Due::SOON_HOURS)).naive_utc();
            let due = store::open_due_before(conn, &visibility, soon)?;
            let late = store::resolved_late_since(conn, &visibility, since, 200)?;
            Ok((due, late))
        })
        .await
        .map_err(|e| Refusal::from_api(e, language))?;
    let now_naive = now.naive_utc();
    let lines: Vec<PriorityLine> = Priority::ALL
        .into_iter()
        .map(|priority| {
            let of = due.iter().filter(|(p, _)| *p == priority);
            let overdue = of.clone().filter(|(_, at)| *at < now_naive).count();
            let queue = |due: Due| {
                format!(
                    "/console/grievances?view=all&priority={}&due={}",
                    priority.as_str(),
                    due.as_str()
                )
            };
            PriorityLine {
                priority: label(priority, language),
                code: priority.as_str(),
                overdue,
                due_soon: of.count() - overdue,
                overdue_href: queue(Due::Overdue),
                due_soon_href: queue(Due::DueSoon),
            }
        })
        .collect();
    let late = late
        .into_iter()
        .map(|row| {
            let resolved = row.resolved_at.unwrap_or(row.due_at).and_utc();
            let due = row.due_at.and_utc();
            LateCase {
                id: row.id.to_string(),
                title: row.title,
                priority: label(row.priority, language),
                due: words::when(due, language),
                resolved: words::when(resolved, language),
                late_by: words::span((resolved - due).num_seconds(), language),
            }
        })
        .collect();
    let page = DeadlinesPage {
        c: Chrome::new(&signed, "deadlines", request_path(&req), &settings.tile_url),
        total_overdue: lines.iter().map(|l| l.overdue).sum(),
        total_due_soon: lines.iter().map(|l| l.due_soon).sum(),
        lines,
        late,
        month: words::day(bangkok_start_of_day(month_start), language),
    };
    Ok(render(StatusCode::OK, &page))
}

pub struct Carrier {
    pub id: String,
    pub name: String,
    pub role: String,
    pub open: usize,
    pub overdue: usize,
    pub oldest: String,
    pub resolved_this_week: usize,
    pub cases_href: String,
    pub reassign_href: String,
}

#[derive(Template)]
#[template(path = "workload.html")]
pub struct WorkloadPage {
    pub c: Chrome,
    pub carriers: Vec<Carrier>,
    pub week: String,
}

/// `GET /console/workload`: per assignee, open and overdue cases, the oldest open one's
/// age, and what they resolved this week; each links to their cases in the queue, where
/// a bulk action hands them on.
pub async fn workload(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    week_start: web::Data<Weekday>,
    settings: web::Data<ConsoleSettings>,
) -> Result<HttpResponse, Refusal> {
    let language = signed.language;
    policy::require(&signed.user, Permission::OverseeGrievances)
        .map_err(|e| Refusal::from_api(e, language))?;
    let now = Utc::now();
    let week = IsoWeek::containing(now, **week_start);
    let (week_from, _) = week.utc_range(**week_start);
    let visibility = policy::visibility(&signed.user);
    let user = signed.user.clone();
    let (loads, people) = db
        .read_report(move |conn| {
            let loads = store::assigned_load(conn, &visibility, week_from.naive_utc())?;
            let people = carriers(conn, &user)?;
            Ok((loads, people))
        })
        .await
        .map_err(|e| Refusal::from_api(e, language))?;
    let mut by_person: HashMap<String, Vec<&store::Load>> = HashMap::new();
    for load in &loads {
        if let Some(id) = &load.assignee_id {
            by_person.entry(id.to_string()).or_default().push(load);
        }
    }
    let now_naive = now.naive_utc();
    let mut carriers: Vec<Carrier> = people
        .iter()
        .map(|person| {
            let id = person.id.to_string();
            let loads = by_person.get(&id).cloned().unwrap_or_default();
            let open: Vec<_> = loads.iter().filter(|l| l.status.is_open()).collect();
            let oldest = open.iter().map(|l| l.created_at).min();
            Carrier {
                name: person.display_name.clone(),
                role: label(person.role, language),
                open: open.len(),
                overdue: open.iter().filter(|l| l.due_at < now_naive).count(),
                oldest: oldest
                    .map(|at| words::span((now_naive - at).num_seconds(), language))
                    .unwrap_or_default(),
                resolved_this_week: loads
                    .iter()
                    .filter(|l| l.resolved_at.is_some_and(|at| at >= week_from.naive_utc()))
                    .count(),
                cases_href: format!("/console/grievances?view=open&assignee={}", url_encode(&id)),
                reassign_href: format!(
                    "/console/grievances?view=open&assignee={}#bulk",
                    url_encode(&id)
                ),
                id,
            }
        })
        .collect();
    carriers.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(b.open.cmp(&a.open)));
    let page = WorkloadPage {
        c: Chrome::new(&signed, "workload", request_path(&req), &settings.tile_url),
        carriers,
        week: week.thai_label(**week_start),
    };
    let _ = words(language);
    Ok(render(StatusCode::OK, &page))
}

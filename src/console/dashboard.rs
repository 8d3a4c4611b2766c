//! The officials' weekly dashboard: one area's week (drilled down province, district,
//! subdistrict) against the twelve before it; what was done for whom; compliance against
//! the plan by sub-area; grievances; and who has not gone out yet. Every figure comes from
//! the API's own weekly report (`reports::weekly`) and links to its records.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Utc, Weekday};
use serde::Deserialize;

use super::pages::PageContext;
use super::pages::{render, url_encode, Chrome};
use super::session::{Refusal, Signed};
use super::words::{self, words};
use super::ConsoleSettings;
use crate::db::reports;
use crate::db::Db;
use crate::domain::{
    label_named, Activity, AreaCode, AreaScope, Category, Due, IsoWeek, Labelled, Language,
    TargetGroup,
};

use crate::geo::Geography;
use crate::grievances::service::GrievanceServices;
use crate::reports::weekly::{self, span_of, WeeklyReport};
use crate::routes::grievances::{ListQuery, ListRequest};
use crate::routes::reports::report_target;

/// Weeks shown before the chosen one in the trend.
const EARLIER_WEEKS: u32 = 12;

#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    week: Option<String>,
    area: Option<String>,
}

/// One bar of a chart: its label, value, length as a share of the longest (0 to 100),
/// and where it leads.
pub struct Bar {
    pub label: String,
    pub value: String,
    pub percent: u32,
    pub href: String,
}

fn bars(items: Vec<(String, i64, String)>) -> Vec<Bar> {
    let most = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
    items
        .into_iter()
        .map(|(label, value, href)| Bar {
            label,
            percent: u32::try_from(value.max(0) * 100 / most).unwrap_or(100),
            value: value.to_string(),
            href,
        })
        .collect()
}

/// Bars of counts by stored name, each labelled in `language` and leading to its
/// records.
fn named_bars<'a, T: Labelled>(
    counts: impl Iterator<Item = (&'a String, &'a i64)>,
    language: Language,
    records: impl Fn(&str) -> String,
) -> Vec<Bar> {
    bars(
        counts
            .map(|(name, n)| {
                let label = label_named::<T>(name, language).unwrap_or_else(|| name.clone());
                (label, *n, records(name))
            })
            .collect(),
    )
}

/// A sub-area's line: where to drill down, its visits and compliance.
pub struct SubArea {
    pub code: String,
    pub name: String,
    pub href: String,
    pub visits: i64,
    pub registered: i64,
    pub compliant: i64,
    pub rate: String,
    pub rate_value: f64,
    /// Below half of its people met their plan.
    pub low: bool,
}

pub struct Absent {
    pub name: String,
    pub area: String,
    pub last_visit: String,
}

pub struct Crumb {
    pub name: String,
    pub href: String,
}

pub struct Figure {
    pub label: &'static str,
    pub value: String,
    pub href: String,
    pub warn: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub c: Chrome,
    pub area_code: String,
    pub overdue_total: i64,
    pub week_label: String,
    pub week_code: String,
    pub area_name: String,
    pub crumbs: Vec<Crumb>,
    pub previous_href: String,
    pub next_href: Option<String>,
    pub print_href: String,
    pub figures: Vec<Figure>,
    pub trend: Vec<Bar>,
    pub trend_grievances: Vec<Bar>,
    pub by_group: Vec<Bar>,
    pub by_activity: Vec<Bar>,
    pub by_category: Vec<Bar>,
    pub sub_areas: Vec<SubArea>,
    pub sub_area_heading: &'static str,
    pub absent: Vec<Absent>,
    pub absent_total: i64,
    pub below_plan_total: i64,
    pub hotspots: Vec<String>,
    /// The sub-areas and hotspots for the map, as JSON (`console.js` draws them over the
    /// areas' real boundaries).
    pub map_data: String,
}

/// The week and area a dashboard shows: the API's own rule for a report's target
/// (`routes::reports::report_target`), refused as a page.
pub fn dashboard_target(
    signed: &Signed,
    query: &DashboardQuery,
    week_start: Weekday,
) -> Result<(IsoWeek, AreaCode), Refusal> {
    fn given(value: &Option<String>) -> Option<&str> {
        value.as_deref().filter(|v| !v.is_empty())
    }
    report_target(
        &signed.user,
        given(&query.week),
        given(&query.area),
        week_start,
        Vec::new(),
    )
    .map_err(|e| Refusal::from_api(e, signed.language))
}

fn dashboard_href(week: IsoWeek, area: &str) -> String {
    format!(
        "/console/dashboard?week={}&area={}",
        url_encode(&week.to_string()),
        url_encode(area)
    )
}

/// `GET /console/dashboard?week=&area=`.
pub async fn page(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    week_start: web::Data<Weekday>,
    settings: web::Data<ConsoleSettings>,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, Refusal> {
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = dashboard(&cx, geography.into_inner(), **week_start, &query).await?;
    Ok(render(StatusCode::OK, &page))
}

/// An overdue case in the printed report.
pub struct OverdueCase {
    pub title: String,
    pub category: String,
    pub priority: String,
    pub area: String,
    pub due: String,
    pub assignee: String,
}

/// At most this many overdue cases are printed (the report says how many there are).
const PRINTED_OVERDUE: usize = 40;

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub d: DashboardPage,
    /// The same page as a PDF made on the server, when this node has a chromium.
    pub pdf_href: Option<String>,
    pub generated: String,
    pub overdue: Vec<OverdueCase>,
    pub overdue_total: i64,
}

/// `GET /console/reports/weekly?week=&area=`: the week on one to three A4 pages for the
/// meeting, from the dashboard's own figures, with the overdue cases listed. Printed (or
/// saved as PDF) by the browser with the print stylesheet, or downloaded as the PDF the
/// server prints of this same page (`console::pdf`).
#[allow(clippy::too_many_arguments)] // an actix handler: one argument per extractor
pub async fn report(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    week_start: web::Data<Weekday>,
    settings: web::Data<ConsoleSettings>,
    services: web::Data<GrievanceServices>,
    printer: web::Data<super::pdf::PdfPrinter>,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, Refusal> {
    let language = signed.language;
    let geography = geography.into_inner();
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let d = dashboard(&cx, geography.clone(), **week_start, &query).await?;
    let user = signed.user.clone();
    let area = d.area_code.clone();
    let overdue = db
        .read_report(move |conn| {
            let list = ListQuery {
                area: Some(area),
                due: Some(Due::Overdue.as_str().to_owned()),
                sort: Some("due_at".into()),
                limit: Some(PRINTED_OVERDUE.to_string()),
                ..Default::default()
            };
            ListRequest::parse(&user, list)?.read(conn, &user, &services)
        })
        .await
        .map_err(|e| Refusal::from_api(e, language))?;
    let page = ReportPage {
        pdf_href: printer.available().then(|| {
            format!(
                "/console/reports/weekly.pdf?week={}&area={}",
                url_encode(&d.week_code),
                url_encode(&d.area_code)
            )
        }),
        generated: words::when(Utc::now(), language),
        overdue: overdue
            .page
            .items
            .into_iter()
            .map(|case| OverdueCase {
                title: case.title,
                category: words::label(case.category, language),
                priority: words::label(case.priority, language),
                area: format!(
                    "{} {}",
                    case.area_code,
                    geography.name_of(&case.area_code, language)
                ),
                due: words::when(case.due_at, language),
                assignee: case
                    .assignee
                    .map(|a| a.display_name)
                    .unwrap_or_else(|| words(language).unassigned.to_owned()),
            })
            .collect(),
        overdue_total: d.overdue_total,
        d,
    };
    Ok(render(StatusCode::OK, &page))
}

/// Everything the dashboard shows.
async fn dashboard(
    cx: &PageContext<'_>,
    geography: std::sync::Arc<Geography>,
    week_start: Weekday,
    query: &DashboardQuery,
) -> Result<DashboardPage, Refusal> {
    let PageContext { signed, db, .. } = *cx;
    let language = signed.language;
    let (week, area) = dashboard_target(signed, query, week_start)?;
    let (report, trend, trend_grievances, last_visits) = {
        let (geography, area) = (geography.clone(), area.clone());
        db.read_report(move |conn| {
            let report = weekly::compute(conn, &geography, &area, week, week_start)?;
            // The week and up to twelve before it, oldest first.
            let mut weeks: Vec<IsoWeek> = std::iter::successors(Some(week), IsoWeek::previous)
                .take(EARLIER_WEEKS as usize + 1)
                .collect();
            weeks.reverse();
            let spans: Vec<_> = weeks.iter().map(|w| span_of(*w, week_start)).collect();
            let scope = AreaScope::of(&area);
            let visits = reports::visits_per_span(conn, &scope, &spans)?;
            let filed = reports::grievances_per_span(conn, &scope, &spans)?;
            let absent: Vec<String> = report
                .field_workers
                .without_visits
                .iter()
                .map(|w| w.user_id.clone())
                .collect();
            let last = reports::last_visit_of(conn, &absent)?;
            let trend: Vec<(IsoWeek, i64)> = weeks.iter().copied().zip(visits).collect();
            let trend_grievances: Vec<(IsoWeek, i64)> = weeks.into_iter().zip(filed).collect();
            Ok((report, trend, trend_grievances, last))
        })
        .await
        .map_err(|e| Refusal::from_api(e, language))?
    };

    let w = words(language);
    let area_code = area.as_str().to_owned();
    // A figure's records: the week's visits by `week`; the week's grievances by the days
    // they were filed on (`from`, `to`), or, for states, as they stand (`view`, `status`).
    let week_days = format!(
        "&from={}&to={}",
        week.first_day(week_start),
        week.last_day(week_start)
    );
    let records = |path: &str, extra: &str| {
        let when = match path {
            "visits" => format!("&week={}", url_encode(&week.to_string())),
            _ if extra.contains("view=all") && !extra.contains("status=") => week_days.clone(),
            _ => String::new(),
        };
        format!(
            "/console/{path}?area={}{when}{extra}",
            url_encode(&area_code)
        )
    };
    let figures = key_figures(&report, w, &records);
    let trend_bar = |items: Vec<(IsoWeek, i64)>| {
        bars(
            items
                .into_iter()
                .map(|(shown, n)| {
                    (
                        shown.thai_label(week_start),
                        n,
                        dashboard_href(shown, &area_code),
                    )
                })
                .collect(),
        )
    };
    let v = &report.visits;
    let by_group = named_bars::<TargetGroup>(v.by_target_group.iter(), language, |name| {
        records("visits", &format!("&target_group={name}"))
    });
    let by_activity = named_bars::<Activity>(v.by_activity.iter(), language, |name| {
        records("visits", &format!("&activity={name}"))
    });
    let filed = report
        .grievances
        .by_category
        .iter()
        .filter(|(_, n)| **n > 0);
    let by_category = named_bars::<Category>(filed, language, |name| {
        records("grievances", &format!("&view=all&category={name}"))
    });
    let sub_areas = sub_areas(&report, &geography, week, language);
    let map_data = serde_json::json!({
        // The sub-areas only: staff placed at this very area would cover them all.
        "areas": sub_areas.iter().filter(|a| a.code != area.as_str()).map(|a| serde_json::json!({
            "code": a.code,
            "name": format!("{} {}", a.code, a.name),
            "rate": (a.registered > 0).then_some(a.rate_value),
            "label": format!("{} · {} {}", a.rate, a.visits, w.fig_visits),
            "href": a.href,
        })).collect::<Vec<_>>(),
        "hotspots": report.hotspots.iter().map(|h| serde_json::json!({
            "lat": h.center.lat,
            "lon": h.center.lon,
            "count": h.count,
            "label": format!("{} · {} {}", words::label(h.top_category, language), h.count, w.cases),
        })).collect::<Vec<_>>(),
    })
    .to_string();
    let absent = report
        .field_workers
        .without_visits
        .iter()
        .map(|person| Absent {
            name: person.display_name.clone(),
            area: format!(
                "{} {}",
                person.area_code,
                geography.name_of(&person.area_code, language)
            ),
            last_visit: last_visits
                .get(&person.user_id)
                .map(|at| words::day(at.and_utc(), language))
                .unwrap_or_else(|| w.never.to_owned()),
        })
        .collect();
    let crumbs = crumbs(signed, &area, &geography, week, language);
    Ok(DashboardPage {
        c: cx.chrome("dashboard"),
        area_code: area.as_str().to_owned(),
        overdue_total: report.grievances.overdue,
        week_label: report.label_th.clone(),
        week_code: report.week.clone(),
        area_name: format!(
            "{} {}",
            area.as_str(),
            geography.name_of(area.as_str(), language)
        ),
        crumbs,
        previous_href: week
            .previous()
            .map(|p| dashboard_href(p, area.as_str()))
            .unwrap_or_default(),
        next_href: week
            .next()
            .filter(|n| *n <= IsoWeek::containing(Utc::now(), week_start))
            .map(|n| dashboard_href(n, area.as_str())),
        print_href: format!(
            "/console/reports/weekly?week={}&area={}",
            url_encode(&week.to_string()),
            url_encode(area.as_str())
        ),
        figures,
        trend: trend_bar(trend),
        trend_grievances: trend_bar(trend_grievances),
        by_group,
        by_activity,
        by_category,
        sub_area_heading: match area.level() {
            crate::domain::AreaLevel::Country => w.by_province,
            crate::domain::AreaLevel::Province => w.by_district,
            _ => w.by_subdistrict,
        },
        sub_areas,
        map_data,
        absent,
        absent_total: report.field_workers.without_visits_total,
        below_plan_total: report.field_workers.below_plan_total,
        hotspots: report
            .hotspots
            .iter()
            .map(|h| {
                format!(
                    "{} · {} {} ({:.4}, {:.4})",
                    words::label(h.top_category, language),
                    h.count,
                    w.cases,
                    h.center.lat,
                    h.center.lon
                )
            })
            .collect(),
    })
}

fn key_figures(
    report: &WeeklyReport,
    w: &'static words::Words,
    records: &dyn Fn(&str, &str) -> String,
) -> Vec<Figure> {
    let v = &report.visits;
    let f = &report.field_workers;
    let g = &report.grievances;
    let figure = |label, value: String, href: String, warn| Figure {
        label,
        value,
        href,
        warn,
    };
    vec![
        figure(
            w.fig_visits,
            v.total.to_string(),
            records("visits", ""),
            false,
        ),
        figure(
            w.fig_households,
            v.households_visited.to_string(),
            records("visits", ""),
            false,
        ),
        figure(
            w.fig_people,
            v.people_reached.to_string(),
            records("visits", ""),
            false,
        ),
        figure(
            w.fig_went_out,
            format!("{} / {}", f.active, f.registered),
            "#absent".into(),
            f.active < f.registered,
        ),
        figure(
            w.fig_compliance,
            format!("{:.1}%", f.compliance_rate * 100.0),
            "#sub-areas".into(),
            f.compliance_rate < 0.5,
        ),
        figure(
            w.fig_new_grievances,
            g.new.to_string(),
            records("grievances", "&view=all"),
            false,
        ),
        figure(
            w.fig_resolved,
            g.resolved.to_string(),
            records("grievances", "&view=all&status=resolved"),
            false,
        ),
        figure(
            w.fig_overdue,
            g.overdue.to_string(),
            records("grievances", "&view=overdue"),
            g.overdue > 0,
        ),
        figure(
            w.fig_median_hours,
            g.median_hours_to_resolve
                .map(|h| format!("{h:.1}"))
                .unwrap_or_else(|| "–".into()),
            records("grievances", "&view=all&status=resolved"),
            false,
        ),
        figure(
            w.fig_register,
            report.households.registered.to_string(),
            "/console/households?view=all".into(),
            false,
        ),
        figure(
            w.fig_follow_ups,
            format!(
                "{} / {}",
                report.households.follow_ups_done, report.households.follow_ups_due
            ),
            "/console/households".into(),
            report.households.follow_ups_done < report.households.follow_ups_due,
        ),
        figure(
            w.fig_coverage,
            format!(
                "{} / {}",
                report.coverage.subdistricts_visited, report.coverage.subdistricts_total
            ),
            "#sub-areas".into(),
            false,
        ),
    ]
}

/// Visits and compliance per child area, each leading one level down.
fn sub_areas(
    report: &WeeklyReport,
    geography: &Geography,
    week: IsoWeek,
    language: Language,
) -> Vec<SubArea> {
    let mut codes: Vec<&str> = report
        .visits
        .by_area
        .iter()
        .map(|a| a.area_code.as_str())
        .chain(
            report
                .field_workers
                .by_area
                .iter()
                .map(|a| a.area_code.as_str()),
        )
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
        .into_iter()
        .map(|code| {
            let visits = report
                .visits
                .by_area
                .iter()
                .find(|a| a.area_code == code)
                .map_or(0, |a| a.count);
            let workers = report
                .field_workers
                .by_area
                .iter()
                .find(|a| a.area_code == code);
            let (registered, compliant, rate) = workers.map_or((0, 0, 0.0), |a| {
                (a.registered, a.compliant, a.compliance_rate)
            });
            SubArea {
                code: code.to_owned(),
                name: geography.name_of(code, language).to_owned(),
                href: dashboard_href(week, code),
                visits,
                registered,
                compliant,
                rate_value: rate,
                rate: if registered == 0 {
                    "–".into()
                } else {
                    format!("{:.1}%", rate * 100.0)
                },
                low: registered > 0 && rate < 0.5,
            }
        })
        .collect()
}

/// From the reader's own area down to this one, each a link.
fn crumbs(
    signed: &Signed,
    area: &AreaCode,
    geography: &Geography,
    week: IsoWeek,
    language: Language,
) -> Vec<Crumb> {
    let own = signed.user.area.as_str();
    let code = area.as_str();
    let mut chain: Vec<String> = Vec::new();
    if own == "TH" {
        chain.push("TH".into());
    }
    for len in [2, 4, 6] {
        if code != "TH" && code.len() >= len && len >= own.len().min(6) {
            let prefix = &code[..len];
            if own == "TH" || prefix.starts_with(own) {
                chain.push(prefix.to_owned());
            }
        }
    }
    chain.dedup();
    chain
        .into_iter()
        .map(|c| Crumb {
            name: geography.name_of(&c, language).to_owned(),
            href: dashboard_href(week, &c),
        })
        .collect()
}

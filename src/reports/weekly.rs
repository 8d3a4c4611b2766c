//! The weekly field summary: who went out, where, for whom, what was found, what got
//! solved. Every figure comes from an SQL aggregate over the week in Bangkok time.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Weekday};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::reports::{self, Span};
use crate::db::DbConnection;
use crate::domain::AreaScope;
use crate::domain::{
    Activity, AreaCode, Category, FiscalYear, GeoPoint, IsoWeek, Priority, TargetGroup,
};
use crate::error::ApiError;
use crate::geo::{cluster_points, Geography};

/// Grievances within this distance of each other form a hotspot...
pub const HOTSPOT_RADIUS_M: f64 = 500.0;
/// ... when at least this many are close together.
pub const HOTSPOT_MIN_GRIEVANCES: usize = 3;
/// At most this many field workers without visits are listed (all are counted).
pub const MAX_LISTED_WITHOUT_VISITS: i64 = 2_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaCount {
    pub area_code: String,
    pub name_th: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitFigures {
    pub total: i64,
    /// Every target group, with zero where none was visited.
    pub by_target_group: BTreeMap<String, i64>,
    pub by_activity: BTreeMap<String, i64>,
    /// Per child area: provinces of the country, districts of a province, subdistricts of
    /// a district.
    pub by_area: Vec<AreaCount>,
    pub households_visited: i64,
    pub people_reached: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldWorkerRef {
    pub user_id: String,
    pub display_name: String,
    pub area_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaCompliance {
    pub area_code: String,
    pub name_th: String,
    pub registered: i64,
    pub compliant: i64,
    /// compliant / registered, rounded to 3 decimals.
    pub compliance_rate: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BelowPlanRef {
    pub user_id: String,
    pub display_name: String,
    pub area_code: String,
    /// Distinct days with a visit in the week.
    pub field_days: i64,
    /// The plan's `weekly_field_days` (1 without a plan).
    pub planned_days: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldWorkerFigures {
    /// Active volunteers and officials of the area.
    pub registered: i64,
    /// Those of them with at least one visit in the week.
    pub active: i64,
    /// Those whose field days in the week reach their plan's `weekly_field_days` (one
    /// day without a plan).
    pub compliant: i64,
    /// compliant / registered, rounded to 3 decimals (0 when nobody is registered).
    pub compliance_rate: f64,
    /// Who fell short of their plan (at most 2,000 listed, by area and name;
    /// `below_plan_total` counts them all).
    pub below_plan: Vec<BelowPlanRef>,
    pub below_plan_total: i64,
    /// Compliance per child area (as `visits.by_area`), where anyone is registered.
    pub by_area: Vec<AreaCompliance>,
    /// Who went nowhere (at most 2,000 listed; `without_visits_total` counts them all).
    pub without_visits: Vec<FieldWorkerRef>,
    pub without_visits_total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrievanceFigures {
    /// Filed in the week.
    pub new: i64,
    pub by_category: BTreeMap<String, i64>,
    pub by_priority: BTreeMap<String, i64>,
    /// Resolved in the week.
    pub resolved: i64,
    /// Not resolved, closed or rejected at the week's end.
    pub open_at_end: i64,
    /// Open at the week's end and past their deadline.
    pub overdue: i64,
    /// For the grievances resolved in the week; null when none was.
    pub median_hours_to_resolve: Option<f64>,
}

/// The target-group register's week, counted where each household lives.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdFigures {
    /// On the register at the week's end.
    pub registered: i64,
    /// Registered in the week.
    pub new: i64,
    /// Households with at least one visit in the week.
    pub visited: i64,
    /// Follow-ups asked for by a date in the week (one per visit asking).
    pub follow_ups_due: i64,
    /// Those of them done: a later visit reached the household by the week's end.
    pub follow_ups_done: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Coverage {
    pub subdistricts_total: i64,
    pub subdistricts_visited: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Hotspot {
    pub center: GeoPoint,
    pub count: i64,
    pub top_category: Category,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeeklyReport {
    #[schema(example = "2026-W47")]
    pub week: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The week in Thai, Buddhist Era.
    #[schema(example = "16-22 พ.ย. 2569")]
    pub label_th: String,
    pub area_code: String,
    pub visits: VisitFigures,
    pub field_workers: FieldWorkerFigures,
    pub grievances: GrievanceFigures,
    pub households: HouseholdFigures,
    pub coverage: Coverage,
    pub hotspots: Vec<Hotspot>,
}

/// The half-open UTC span of a week.
pub fn span_of(week: IsoWeek, week_start: Weekday) -> Span {
    let (start, end) = week.utc_range(week_start);
    Span {
        start: start.naive_utc(),
        end: end.naive_utc(),
    }
}

pub fn compute(
    conn: &mut DbConnection,
    geography: &Geography,
    area: &AreaCode,
    week: IsoWeek,
    week_start: Weekday,
) -> Result<WeeklyReport, ApiError> {
    let scope = AreaScope::of(area);
    let span = span_of(week, week_start);

    let counted = reports::visit_counts(conn, &scope, span)?;
    let by_target_group = every_name_counted(
        TargetGroup::ALL.iter().map(|g| g.as_str()),
        counted.by_target_group,
    );
    let by_activity = every_name_counted(
        Activity::ALL.iter().map(|a| a.as_str()),
        counted.by_activity,
    );
    let by_area = counted
        .by_child_area
        .into_iter()
        .map(|(area_code, count)| AreaCount {
            name_th: geography
                .area(&area_code)
                .map(|a| a.name_th.clone())
                .unwrap_or_default(),
            area_code,
            count,
        })
        .collect();

    let (registered, active, without) =
        reports::field_workers(conn, &scope, span, MAX_LISTED_WITHOUT_VISITS)?;
    let first = week.first_day(week_start);
    let days = reports::Days {
        first,
        after_last: first + chrono::Duration::days(7),
    };
    let (compliance_by_area, below_plan) = reports::compliance(
        conn,
        &scope,
        days,
        plan_year(week, week_start),
        MAX_LISTED_WITHOUT_VISITS,
    )?;
    let compliant = compliance_by_area.iter().map(|a| a.compliant).sum::<i64>();
    let mut compliance_children: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for counted in compliance_by_area {
        let child = area.child_holding(&counted.area_code).to_owned();
        let entry = compliance_children.entry(child).or_default();
        entry.0 += counted.registered;
        entry.1 += counted.compliant;
    }

    let grievance_totals = reports::grievance_totals(conn, &scope, span)?;
    let by_category = every_name_counted(
        Category::ALL.iter().map(|c| c.as_str()),
        reports::new_grievances_by(conn, &scope, span, false)?,
    );
    let by_priority = every_name_counted(
        Priority::ALL.iter().map(|p| p.as_str()),
        reports::new_grievances_by(conn, &scope, span, true)?,
    );
    let median = reports::median_seconds_to_resolve(conn, &scope, span)?;

    let register = reports::household_counts(
        conn,
        &scope,
        span,
        (week.first_day(week_start), week.last_day(week_start)),
    )?;

    let points = reports::new_grievance_points(conn, &scope, span)?;
    let hotspots = hotspots(&points);

    Ok(WeeklyReport {
        week: week.to_string(),
        starts_on: week.first_day(week_start),
        ends_on: week.last_day(week_start),
        label_th: week.thai_label(week_start),
        area_code: area.as_str().to_owned(),
        visits: VisitFigures {
            total: counted.total,
            by_target_group,
            by_activity,
            by_area,
            households_visited: counted.households,
            people_reached: counted.people,
        },
        field_workers: FieldWorkerFigures {
            registered,
            active,
            compliant,
            compliance_rate: rate(compliant, registered),
            below_plan_total: registered - compliant,
            by_area: compliance_children
                .into_iter()
                .map(|(area_code, (registered, compliant))| AreaCompliance {
                    name_th: geography
                        .area(&area_code)
                        .map(|a| a.name_th.clone())
                        .unwrap_or_default(),
                    compliance_rate: rate(compliant, registered),
                    area_code,
                    registered,
                    compliant,
                })
                .collect(),
            below_plan: below_plan
                .into_iter()
                .map(|b| BelowPlanRef {
                    user_id: b.user_id,
                    display_name: b.display_name,
                    area_code: b.area_code,
                    field_days: b.field_days,
                    planned_days: b.planned_days,
                })
                .collect(),
            without_visits: without
                .into_iter()
                .map(|w| FieldWorkerRef {
                    user_id: w.user_id,
                    display_name: w.display_name,
                    area_code: w.area_code,
                })
                .collect(),
            without_visits_total: registered - active,
        },
        grievances: GrievanceFigures {
            new: grievance_totals.new,
            by_category,
            by_priority,
            resolved: grievance_totals.resolved,
            open_at_end: grievance_totals.open_at_end,
            overdue: grievance_totals.overdue_at_end,
            median_hours_to_resolve: median
                .map(|seconds| (seconds / 3600.0 * 100.0).round() / 100.0),
        },
        households: HouseholdFigures {
            registered: register.registered,
            new: register.registered_in_week,
            visited: register.visited,
            follow_ups_due: register.follow_ups_due,
            follow_ups_done: register.follow_ups_done,
        },
        coverage: Coverage {
            subdistricts_total: geography.subdistrict_count_under(area.as_str()) as i64,
            subdistricts_visited: counted.subdistricts_visited,
        },
        hotspots,
    })
}

/// The fiscal year (Buddhist Era) whose plans a week is measured against: the one it
/// starts in.
pub fn plan_year(week: IsoWeek, week_start: Weekday) -> i32 {
    FiscalYear::containing(week.first_day(week_start))
        .map(|year| i32::from(year.be()))
        .unwrap_or_default()
}

/// `part / whole` rounded to 3 decimals; 0 when the whole is nothing.
pub fn rate(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 / whole as f64 * 1000.0).round() / 1000.0
}

/// The counts by name, with every name of its kind present (0 when nothing counted), so
/// the phone app and dashboards see the same keys every week.
fn every_name_counted<'a>(
    names: impl Iterator<Item = &'a str>,
    counts: impl IntoIterator<Item = (String, i64)>,
) -> BTreeMap<String, i64> {
    let mut counted: BTreeMap<String, i64> = names.map(|name| (name.to_owned(), 0)).collect();
    counted.extend(counts);
    counted
}

/// Density-based clusters of the week's grievances, largest first, each with its most
/// frequent category.
fn hotspots(points: &[(f64, f64, String)]) -> Vec<Hotspot> {
    let located: Vec<(GeoPoint, usize)> = points
        .iter()
        .enumerate()
        .map(|(i, (lat, lon, _))| (GeoPoint::new(*lat, *lon), i))
        .collect();
    cluster_points(&located, HOTSPOT_RADIUS_M, HOTSPOT_MIN_GRIEVANCES)
        .into_iter()
        .map(|cluster| {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for &member in &cluster.members {
                *counts.entry(points[member].2.as_str()).or_default() += 1;
            }
            // Most frequent; ties go to the first in alphabetical order, for stable output.
            let top = counts
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .and_then(|(category, _)| Category::parse(category))
                .unwrap_or(Category::Other);
            Hotspot {
                center: cluster.center,
                count: cluster.members.len() as i64,
                top_category: top,
            }
        })
        .collect()
}

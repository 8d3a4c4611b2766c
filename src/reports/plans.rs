//! One-year plans: a user's targets for a Thai fiscal year, and progress against them
//! with the pace expected by today.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use std::collections::{BTreeMap, HashMap};

use crate::db::plans::{Done, PersonPlan, PlanRow};
use crate::domain::{AreaCode, FiscalYear, Role};
use crate::error::{FieldCode, FieldError};
use crate::geo::Geography;

const MAX_TARGET: i32 = 1_000_000;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// Days a week in the field, 0 to 7.
    #[schema(minimum = 0, maximum = 7, example = 2)]
    pub weekly_field_days: i32,
    #[schema(minimum = 0, example = 150)]
    pub visits_target: i32,
    #[schema(minimum = 0, example = 400)]
    pub households_target: i32,
    #[schema(minimum = 0, example = 24)]
    pub grievances_resolved_target: i32,
}

impl PlanInput {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if !(0..=7).contains(&self.weekly_field_days) {
            errors.push(FieldError::new(
                "weekly_field_days",
                FieldCode::OutOfRange,
                "must be from 0 to 7",
                "ต้องเป็นจำนวนวันตั้งแต่ 0 ถึง 7",
            ));
        }
        for (field, value) in [
            ("visits_target", self.visits_target),
            ("households_target", self.households_target),
            (
                "grievances_resolved_target",
                self.grievances_resolved_target,
            ),
        ] {
            if !(0..=MAX_TARGET).contains(&value) {
                errors.push(FieldError::new(
                    field,
                    FieldCode::OutOfRange,
                    format!("must be from 0 to {MAX_TARGET}"),
                    format!("ต้องเป็นจำนวนตั้งแต่ 0 ถึง {MAX_TARGET}"),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Targets {
    pub weekly_field_days: i32,
    pub visits_target: i32,
    pub households_target: i32,
    pub grievances_resolved_target: i32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Plan {
    pub user_id: String,
    /// Buddhist Era, e.g. 2570 (1 Oct 2026 to 30 Sep 2027).
    pub fiscal_year: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub targets: Targets,
    pub updated_at: DateTime<Utc>,
}

impl Plan {
    pub fn new(row: PlanRow, year: FiscalYear) -> Self {
        Self {
            targets: Targets::of(&row),
            user_id: row.user_id,
            fiscal_year: row.fiscal_year,
            starts_on: year.first_day(),
            ends_on: year.last_day(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Figures {
    pub field_days: f64,
    pub visits: f64,
    pub households: f64,
    pub grievances_resolved: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OnPace {
    pub field_days: bool,
    pub visits: bool,
    pub households: bool,
    pub grievances_resolved: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Progress {
    pub plan: Plan,
    /// The Bangkok date the figures run to.
    pub as_of: NaiveDate,
    /// How much of the fiscal year has passed, 0 to 1.
    pub elapsed_fraction: f64,
    /// Done from the start of the fiscal year to now.
    pub done: Figures,
    /// What the targets call for by today, at an even pace (field days: the weekly target
    /// times the weeks elapsed).
    pub expected_by_today: Figures,
    pub on_pace: OnPace,
    /// The whole year's targets in the same units as `done` (field days: weekly target × 52).
    pub year_targets: Figures,
}

impl Progress {
    pub fn new(plan: Plan, year: FiscalYear, done: Done, today: NaiveDate) -> Self {
        let elapsed = Elapsed::of(year, today);
        let expected = elapsed.expected(&plan.targets);
        let done = Figures::from(done);
        let t = &plan.targets;
        let year_targets = Figures {
            field_days: round2(f64::from(t.weekly_field_days) * elapsed.total_days / 7.0),
            visits: f64::from(t.visits_target),
            households: f64::from(t.households_target),
            grievances_resolved: f64::from(t.grievances_resolved_target),
        };
        Self {
            on_pace: OnPace::of(&done, &expected),
            as_of: today,
            elapsed_fraction: (elapsed.fraction * 10_000.0).round() / 10_000.0,
            done,
            expected_by_today: expected,
            year_targets,
            plan,
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// How much of a fiscal year has passed by a Bangkok date, and what a plan calls for by
/// then at an even pace (field days: the weekly target times the weeks elapsed). The one
/// rule of pace, for a person and for an area alike.
struct Elapsed {
    days: f64,
    total_days: f64,
    fraction: f64,
}

impl Elapsed {
    fn of(year: FiscalYear, today: NaiveDate) -> Self {
        let total_days = (year.last_day() - year.first_day()).num_days() as f64 + 1.0;
        let days = ((today - year.first_day()).num_days() as f64 + 1.0).clamp(0.0, total_days);
        Self {
            days,
            total_days,
            fraction: days / total_days,
        }
    }

    fn expected(&self, t: &Targets) -> Figures {
        Figures {
            field_days: round2(f64::from(t.weekly_field_days) * self.days / 7.0),
            visits: round2(f64::from(t.visits_target) * self.fraction),
            households: round2(f64::from(t.households_target) * self.fraction),
            grievances_resolved: round2(f64::from(t.grievances_resolved_target) * self.fraction),
        }
    }
}

impl From<Done> for Figures {
    fn from(done: Done) -> Self {
        Self {
            field_days: done.field_days as f64,
            visits: done.visits as f64,
            households: done.households as f64,
            grievances_resolved: done.grievances_resolved as f64,
        }
    }
}

impl Figures {
    fn add(&mut self, other: &Figures) {
        self.field_days = round2(self.field_days + other.field_days);
        self.visits = round2(self.visits + other.visits);
        self.households = round2(self.households + other.households);
        self.grievances_resolved = round2(self.grievances_resolved + other.grievances_resolved);
    }
}

impl OnPace {
    fn of(done: &Figures, expected: &Figures) -> Self {
        Self {
            field_days: done.field_days >= expected.field_days,
            visits: done.visits >= expected.visits,
            households: done.households >= expected.households,
            grievances_resolved: done.grievances_resolved >= expected.grievances_resolved,
        }
    }

    /// On pace on every target.
    pub fn all(&self) -> bool {
        self.field_days && self.visits && self.households && self.grievances_resolved
    }
}

impl Targets {
    fn of(row: &PlanRow) -> Self {
        Self {
            weekly_field_days: row.weekly_field_days,
            visits_target: row.visits_target,
            households_target: row.households_target,
            grievances_resolved_target: row.grievances_resolved_target,
        }
    }

    fn add(&mut self, other: &Targets) {
        self.weekly_field_days += other.weekly_field_days;
        self.visits_target += other.visits_target;
        self.households_target += other.households_target;
        self.grievances_resolved_target += other.grievances_resolved_target;
    }
}

/// At most this many people are listed in an area's progress (all are counted).
pub const MAX_LISTED_PEOPLE: usize = 2_000;

/// One person's plan and work in an area's progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonProgress {
    pub user_id: String,
    pub display_name: String,
    pub role: Role,
    pub area_code: String,
    /// Null when the person has no plan for the year.
    pub targets: Option<Targets>,
    pub done: Figures,
    /// Null when the person has no plan for the year.
    pub expected_by_today: Option<Figures>,
    /// Null when the person has no plan for the year.
    pub on_pace: Option<OnPace>,
}

/// An area's plan: the sum of its people's plans, what they have done, and what the
/// plans call for by today.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct PlanTotals {
    /// The people's targets added up (weekly field days: person-days a week).
    pub targets: Targets,
    /// Everyone's work, with or without a plan.
    pub done: Figures,
    /// What the plans call for by today, added up.
    pub expected_by_today: Figures,
    pub people: i64,
    pub people_with_plan: i64,
    /// People with a plan on pace on every target.
    pub people_on_pace: i64,
}

impl PlanTotals {
    fn count(&mut self, person: &PersonProgress) {
        self.people += 1;
        self.done.add(&person.done);
        if let (Some(targets), Some(expected)) = (&person.targets, &person.expected_by_today) {
            self.people_with_plan += 1;
            self.targets.add(targets);
            self.expected_by_today.add(expected);
        }
        if person.on_pace.as_ref().is_some_and(OnPace::all) {
            self.people_on_pace += 1;
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaPlanTotals {
    pub area_code: String,
    pub name_th: String,
    #[serde(flatten)]
    pub totals: PlanTotals,
}

/// `GET /plans/{fiscal_year}/progress?area=`: an area's plan rolled up from its people,
/// by person and by sub-area.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaProgress {
    pub fiscal_year: i32,
    pub area_code: String,
    pub as_of: NaiveDate,
    pub elapsed_fraction: f64,
    pub totals: PlanTotals,
    /// By area and name; at most 2,000 (`people_total` counts them all).
    pub people: Vec<PersonProgress>,
    pub people_total: i64,
    /// Per child area: provinces of the country, districts of a province, subdistricts of
    /// a district. People placed at the area itself are under its own code.
    pub by_area: Vec<AreaPlanTotals>,
}

impl AreaProgress {
    pub fn new(
        area: &AreaCode,
        year: FiscalYear,
        people: Vec<PersonPlan>,
        mut done: HashMap<String, Done>,
        today: NaiveDate,
        geography: &Geography,
    ) -> Self {
        let elapsed = Elapsed::of(year, today);
        let mut totals = PlanTotals::default();
        let mut by_area: BTreeMap<String, PlanTotals> = BTreeMap::new();
        let mut listed = Vec::new();
        let people_total = people.len() as i64;
        for person in people {
            let done = Figures::from(done.remove(&person.user_id).unwrap_or_default());
            let targets = person.plan.as_ref().map(Targets::of);
            let expected = targets.as_ref().map(|t| elapsed.expected(t));
            let progress = PersonProgress {
                on_pace: expected.as_ref().map(|e| OnPace::of(&done, e)),
                user_id: person.user_id,
                display_name: person.display_name,
                role: person.role,
                targets,
                done,
                expected_by_today: expected,
                area_code: person.area_code,
            };
            totals.count(&progress);
            let child = area.child_holding(&progress.area_code).to_owned();
            by_area.entry(child).or_default().count(&progress);
            if listed.len() < MAX_LISTED_PEOPLE {
                listed.push(progress);
            }
        }
        Self {
            fiscal_year: i32::from(year.be()),
            area_code: area.as_str().to_owned(),
            as_of: today,
            elapsed_fraction: (elapsed.fraction * 10_000.0).round() / 10_000.0,
            totals,
            people: listed,
            people_total,
            by_area: by_area
                .into_iter()
                .map(|(area_code, totals)| AreaPlanTotals {
                    name_th: geography
                        .area(&area_code)
                        .map(|a| a.name_th.clone())
                        .unwrap_or_default(),
                    area_code,
                    totals,
                })
                .collect(),
        }
    }
}

//! One-year plans: a user's targets for a Thai fiscal year, and progress against them
//! with the pace expected by today.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::plans::{Done, PlanRow};
use crate::domain::FiscalYear;
use crate::error::{FieldCode, FieldError};

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

#[derive(Debug, Clone, Serialize, ToSchema)]
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
            user_id: row.user_id,
            fiscal_year: row.fiscal_year,
            starts_on: year.first_day(),
            ends_on: year.last_day(),
            targets: Targets {
                weekly_field_days: row.weekly_field_days,
                visits_target: row.visits_target,
                households_target: row.households_target,
                grievances_resolved_target: row.grievances_resolved_target,
            },
            updated_at: row.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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
        let total_days = (year.last_day() - year.first_day()).num_days() as f64 + 1.0;
        let elapsed_days =
            ((today - year.first_day()).num_days() as f64 + 1.0).clamp(0.0, total_days);
        let fraction = elapsed_days / total_days;
        let t = &plan.targets;
        let year_targets = Figures {
            field_days: f64::from(t.weekly_field_days) * total_days / 7.0,
            visits: f64::from(t.visits_target),
            households: f64::from(t.households_target),
            grievances_resolved: f64::from(t.grievances_resolved_target),
        };
        let round = |x: f64| (x * 100.0).round() / 100.0;
        let expected = Figures {
            field_days: round(f64::from(t.weekly_field_days) * elapsed_days / 7.0),
            visits: round(year_targets.visits * fraction),
            households: round(year_targets.households * fraction),
            grievances_resolved: round(year_targets.grievances_resolved * fraction),
        };
        let done = Figures {
            field_days: done.field_days as f64,
            visits: done.visits as f64,
            households: done.households as f64,
            grievances_resolved: done.grievances_resolved as f64,
        };
        Self {
            on_pace: OnPace {
                field_days: done.field_days >= expected.field_days,
                visits: done.visits >= expected.visits,
                households: done.households >= expected.households,
                grievances_resolved: done.grievances_resolved >= expected.grievances_resolved,
            },
            as_of: today,
            elapsed_fraction: (fraction * 10_000.0).round() / 10_000.0,
            done,
            expected_by_today: expected,
            year_targets: Figures {
                field_days: round(year_targets.field_days),
                ..year_targets
            },
            plan,
        }
    }
}

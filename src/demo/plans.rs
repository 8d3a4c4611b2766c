//! One-year plans for the demo's field workers, so that the plans pages and compliance
//! against the plan have something to show: most volunteers and officials have a plan
//! for the current fiscal year, a few have none (as in a real province).

use chrono::NaiveDateTime;
use rand::Rng;

use super::world::World;
use crate::db::plans::PlanRow;
use crate::domain::{FiscalYear, Role};

/// The share of field workers given a plan.
const WITH_PLAN: f64 = 0.85;

/// The plans of `world`'s volunteers and officials for `year`.
pub fn rows(
    world: &World,
    year: FiscalYear,
    at: NaiveDateTime,
    rng: &mut impl Rng,
) -> Vec<PlanRow> {
    let mut rows = Vec::new();
    for person in &world.people {
        if !matches!(person.role, Role::Volunteer | Role::Official) || !rng.gen_bool(WITH_PLAN) {
            continue;
        }
        rows.push({
            // An official goes out more often and resolves more than a volunteer.
            let (days, visits, households, resolved) = match person.role {
                Role::Official => (2..=3, 100..=200, 150..=400, 10..=30),
                _ => (1..=2, 40..=100, 80..=250, 2..=8),
            };
            PlanRow {
                user_id: person.id.to_string(),
                fiscal_year: i32::from(year.be()),
                weekly_field_days: rng.gen_range(days),
                visits_target: rng.gen_range(visits),
                households_target: rng.gen_range(households),
                grievances_resolved_target: rng.gen_range(resolved),
                updated_at: at,
            }
        });
    }
    rows
}

//! Service-level deadlines: how long a grievance of each priority may stay
//! open before it counts as overdue.

use chrono::{DateTime, Duration, Utc};

use crate::config::SlaHours;
use crate::domain::Priority;
use crate::domain::Status;

/// The longest a policy may allow: one year, so a typo cannot switch the
/// deadline off in practice.
const MAX_HOURS: i64 = 8760;

/// The time allowed per priority. Fields are private so every policy has
/// passed [`SlaPolicy::from_hours`]'s bounds (or is the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaPolicy {
    urgent: Duration,
    high: Duration,
    normal: Duration,
    low: Duration,
}

impl Default for SlaPolicy {
    /// The ministry's standard: urgent 24 hours, high 3 days, normal 7 days,
    /// low 15 days.
    fn default() -> Self {
        Self {
            urgent: Duration::hours(24),
            high: Duration::days(3),
            normal: Duration::days(7),
            low: Duration::days(15),
        }
    }
}

impl SlaPolicy {
    /// A policy from hours per priority, each 1 to 8760 (one year).
    pub fn from_hours(urgent: i64, high: i64, normal: i64, low: i64) -> Result<Self, String> {
        let hours = |name: &str, value: i64| {
            if (1..=MAX_HOURS).contains(&value) {
                Ok(Duration::hours(value))
            } else {
                Err(format!(
                    "{name}: must be between 1 and {MAX_HOURS} hours, got {value}"
                ))
            }
        };
        Ok(Self {
            urgent: hours("urgent", urgent)?,
            high: hours("high", high)?,
            normal: hours("normal", normal)?,
            low: hours("low", low)?,
        })
    }

    /// The configured deadlines, or the ministry's standard when none are configured.
    pub fn configured(hours: Option<SlaHours>) -> Result<Self, String> {
        match hours {
            None => Ok(Self::default()),
            Some(h) => Self::from_hours(h.urgent, h.high, h.normal, h.low),
        }
    }

    /// The time allowed for a grievance of `priority`.
    pub fn allowance(&self, priority: Priority) -> Duration {
        match priority {
            Priority::Urgent => self.urgent,
            Priority::High => self.high,
            Priority::Normal => self.normal,
            Priority::Low => self.low,
        }
    }

    /// When a grievance created at `created` with `priority` falls due.
    pub fn due_at(&self, created: DateTime<Utc>, priority: Priority) -> DateTime<Utc> {
        // Only a timestamp near chrono's far end could overflow; saturate
        // rather than panic on such input.
        created
            .checked_add_signed(self.allowance(priority))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// When the clock of a new grievance starts: when the complainant told the volunteer
/// (`reported_at`), not when the phone synced, so a grievance heard days before it reached
/// the server is due that much sooner. A report time ahead of the server's clock (within
/// the allowed skew) starts it no later than its receipt.
pub fn clock_start(
    reported_at: Option<DateTime<Utc>>,
    received_at: DateTime<Utc>,
) -> DateTime<Utc> {
    reported_at.map_or(received_at, |reported| reported.min(received_at))
}

/// Whether a grievance is past its deadline: `now` is after `due_at` and the
/// grievance is still open (resolved, closed and rejected ones stop the clock).
pub fn is_overdue(due_at: DateTime<Utc>, status: Status, now: DateTime<Utc>) -> bool {
    now > due_at && !status.is_terminal_for_sla()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    #[test]
    fn default_policy_matches_the_api() {
        let policy = SlaPolicy::default();
        let created = at("2025-03-10T02:00:00Z");
        assert_eq!(
            policy.due_at(created, Priority::Urgent),
            at("2025-03-11T02:00:00Z")
        );
        assert_eq!(
            policy.due_at(created, Priority::High),
            at("2025-03-13T02:00:00Z")
        );
        assert_eq!(
            policy.due_at(created, Priority::Normal),
            at("2025-03-17T02:00:00Z")
        );
        assert_eq!(
            policy.due_at(created, Priority::Low),
            at("2025-03-25T02:00:00Z")
        );
        assert_eq!(SlaPolicy::from_hours(24, 72, 168, 360), Ok(policy));
    }

    #[test]
    fn due_at_keeps_the_exact_instant_across_month_ends() {
        let policy = SlaPolicy::from_hours(1, 2, 3, 4).unwrap();
        let created = Utc.with_ymd_and_hms(2024, 2, 29, 23, 30, 15).unwrap();
        assert_eq!(
            policy.due_at(created, Priority::Low),
            at("2024-03-01T03:30:15Z")
        );
        assert_eq!(policy.allowance(Priority::High), Duration::hours(2));
    }

    #[test]
    fn due_at_saturates_instead_of_overflowing() {
        let policy = SlaPolicy::default();
        assert_eq!(
            policy.due_at(DateTime::<Utc>::MAX_UTC, Priority::Low),
            DateTime::<Utc>::MAX_UTC
        );
        let near_end = DateTime::<Utc>::MAX_UTC - Duration::hours(1);
        assert_eq!(
            policy.due_at(near_end, Priority::Urgent),
            DateTime::<Utc>::MAX_UTC
        );
        // The far past is no problem.
        assert_eq!(
            policy.due_at(DateTime::<Utc>::MIN_UTC, Priority::Urgent),
            DateTime::<Utc>::MIN_UTC + Duration::hours(24)
        );
    }

    #[test]
    fn the_clock_starts_when_the_complainant_spoke() {
        let policy = SlaPolicy::default();
        let received = at("2026-12-07T03:00:00Z");
        let heard = at("2026-12-04T03:00:00Z");
        let start = clock_start(Some(heard), received);
        assert_eq!(start, heard);
        assert_eq!(
            policy.due_at(start, Priority::Normal),
            at("2026-12-11T03:00:00Z"),
            "heard three days before it synced: due three days sooner"
        );
        assert_eq!(clock_start(None, received), received);
        // A phone clock a little ahead never pushes the deadline later.
        assert_eq!(
            clock_start(Some(received + Duration::minutes(4)), received),
            received
        );
    }

    #[test]
    fn from_hours_bounds_each_priority() {
        assert!(SlaPolicy::from_hours(1, 1, 1, 1).is_ok());
        assert!(SlaPolicy::from_hours(8760, 8760, 8760, 8760).is_ok());
        assert_eq!(
            SlaPolicy::from_hours(0, 72, 168, 360),
            Err("urgent: must be between 1 and 8760 hours, got 0".to_owned())
        );
        assert_eq!(
            SlaPolicy::from_hours(24, -1, 168, 360),
            Err("high: must be between 1 and 8760 hours, got -1".to_owned())
        );
        assert!(SlaPolicy::from_hours(24, 72, 8761, 360)
            .unwrap_err()
            .starts_with("normal:"));
        assert!(SlaPolicy::from_hours(24, 72, 168, i64::MAX)
            .unwrap_err()
            .starts_with("low:"));
        assert!(SlaPolicy::from_hours(i64::MIN, 72, 168, 360).is_err());
    }

    #[test]
    fn overdue_only_after_the_deadline() {
        let due = at("2025-03-11T02:00:00Z");
        assert!(!is_overdue(
            due,
            Status::Assigned,
            at("2025-03-11T01:59:59Z")
        ));
        assert!(!is_overdue(due, Status::Assigned, due));
        assert!(is_overdue(
            due,
            Status::Assigned,
            due + Duration::milliseconds(1)
        ));
    }

    #[test]
    fn resolved_closed_rejected_and_duplicates_are_never_overdue() {
        let due = at("2025-03-11T02:00:00Z");
        let late = at("2026-01-01T00:00:00Z");
        for status in Status::ALL {
            let expected = !matches!(
                status,
                Status::Resolved | Status::Closed | Status::Rejected | Status::Duplicate
            );
            assert_eq!(is_overdue(due, status, late), expected, "{status}");
        }
    }

    #[test]
    fn priority_names_round_trip() {
        for priority in Priority::ALL {
            assert_eq!(priority.as_str().parse::<Priority>(), Ok(priority));
            assert_eq!(priority.to_string(), priority.as_str());
            assert_eq!(
                serde_json::to_value(priority).unwrap(),
                serde_json::json!(priority.as_str())
            );
        }
        for bad in ["", "Urgent", "critical", " low"] {
            assert_eq!(
                bad.parse::<Priority>().unwrap_err().to_string(),
                "must be one of: urgent, high, normal, low"
            );
        }
        let schema = serde_json::to_value(<Priority as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(
            schema["enum"],
            serde_json::json!(["urgent", "high", "normal", "low"])
        );
    }
}

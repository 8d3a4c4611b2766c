//! When demo field work happens: on the days of the last few Bangkok weeks up to now,
//! mostly on weekdays and in working hours, never in the future.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Weekday};
use rand::Rng;

use crate::domain::{bangkok_date, bangkok_start_of_day};

/// Field hours, in minutes after Bangkok midnight: 07:30 to 18:30.
const DAY_START_MIN: f64 = 450.0;
const DAY_END_MIN: f64 = 1110.0;
/// A visit filed "now" would be refused as in the future by a skewed clock; keep clear.
const SAFETY_MIN: f64 = 5.0;

struct Day {
    /// Bangkok midnight of the day, in UTC.
    start: NaiveDateTime,
    /// Which share of the field hours has passed (1 for every day before today).
    elapsed: f64,
}

/// The days a demo data set covers, each weighted by how much field work it sees.
pub struct Calendar {
    now: NaiveDateTime,
    days: Vec<Day>,
    cumulative: Vec<f64>,
    /// The first day of the window (a Monday), in Bangkok.
    pub first_day: NaiveDate,
}

fn weekday_weight(day: Weekday) -> f64 {
    match day {
        Weekday::Sat => 0.3,
        Weekday::Sun => 0.12,
        _ => 1.0,
    }
}

impl Calendar {
    /// The `weeks` ISO weeks (Monday to Sunday, Bangkok) ending with the current one,
    /// cut at `now`.
    pub fn new(now: NaiveDateTime, weeks: u32) -> Self {
        let today = bangkok_date(now.and_utc());
        let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        let mut weeks = i64::from(weeks.max(1));
        loop {
            let first_day = monday - Duration::weeks(weeks - 1);
            let calendar = Self::build(now, first_day, today);
            // Early on a Monday of a one-week window no field hour has passed yet;
            // then take the week before as well rather than put visits in the future.
            if calendar.cumulative.last().is_some_and(|&total| total > 0.0) {
                return calendar;
            }
            weeks += 1;
        }
    }

    fn build(now: NaiveDateTime, first_day: NaiveDate, today: NaiveDate) -> Self {
        let now_local_min = {
            let start = bangkok_start_of_day(today).naive_utc();
            (now - start).num_seconds() as f64 / 60.0
        };
        let mut days = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for date in first_day.iter_days().take_while(|date| *date <= today) {
            let elapsed = if date == today {
                ((now_local_min - SAFETY_MIN - DAY_START_MIN) / (DAY_END_MIN - DAY_START_MIN))
                    .clamp(0.0, 1.0)
            } else {
                1.0
            };
            total += weekday_weight(date.weekday()) * elapsed;
            days.push(Day {
                start: bangkok_start_of_day(date).naive_utc(),
                elapsed,
            });
            cumulative.push(total);
        }
        Self {
            now,
            days,
            cumulative,
            first_day,
        }
    }

    pub fn now(&self) -> NaiveDateTime {
        self.now
    }

    /// A moment of field work: a weighted day, then a time in the morning or afternoon
    /// rounds (rarely outside them). Always three draws, so what follows in the random
    /// sequence does not depend on the day of the week the data is generated.
    pub fn sample(&self, rng: &mut impl Rng) -> NaiveDateTime {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let pick = rng.gen::<f64>() * total;
        let index = self
            .cumulative
            .partition_point(|&c| c <= pick)
            .min(self.days.len().saturating_sub(1));
        let shape = rng.gen::<f64>();
        let position = rng.gen::<f64>();
        let mut minute = if shape < 0.5 {
            510.0 + position * 180.0 // 08:30 to 11:30
        } else if shape < 0.9 {
            780.0 + position * 210.0 // 13:00 to 16:30
        } else {
            DAY_START_MIN + position * (DAY_END_MIN - DAY_START_MIN)
        };
        let Some(day) = self.days.get(index) else {
            return self.now;
        };
        // Today: squeeze the day's hours into those already past.
        minute = DAY_START_MIN + (minute - DAY_START_MIN) * day.elapsed;
        let at = day.start + Duration::seconds((minute * 60.0) as i64);
        at.min(self.now)
    }
}

/// How long after `at` something reached the server (a phone syncs when it finds a
/// signal), never later than `now`.
pub fn sync_delay(rng: &mut impl Rng, at: NaiveDateTime, now: NaiveDateTime) -> NaiveDateTime {
    let shape = rng.gen::<f64>();
    let seconds = if shape < 0.55 {
        rng.gen_range(30..1_200)
    } else if shape < 0.9 {
        rng.gen_range(1_200..28_800)
    } else {
        rng.gen_range(28_800..259_200)
    };
    (at + Duration::seconds(seconds)).min(now).max(at)
}

/// Drops sub-second precision, so stored and generated values compare equal on both engines.
pub fn whole_seconds(at: NaiveDateTime) -> NaiveDateTime {
    at.with_nanosecond(0).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;

    fn utc(text: &str) -> NaiveDateTime {
        text.parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn samples_stay_within_the_weeks_and_before_now() {
        // A Wednesday, 10:00 in Bangkok.
        let now = utc("2026-11-25T03:00:00Z");
        let calendar = Calendar::new(now, 12);
        assert_eq!(
            calendar.first_day,
            NaiveDate::from_ymd_opt(2026, 9, 7).unwrap()
        );
        let earliest = bangkok_start_of_day(calendar.first_day).naive_utc();
        let mut rng = StdRng::seed_from_u64(1);
        let mut weekend = 0;
        for _ in 0..10_000 {
            let at = calendar.sample(&mut rng);
            assert!(at >= earliest && at <= now - Duration::minutes(5), "{at}");
            let local = at + Duration::hours(7);
            let hour = local.hour();
            assert!((7..=18).contains(&hour), "{local}");
            if local.weekday().number_from_monday() > 5 {
                weekend += 1;
            }
        }
        // Weekends carry 0.42 of 5.42 of a week's weight.
        assert!((400..1_200).contains(&weekend), "{weekend}");
    }

    #[test]
    fn a_monday_before_work_still_has_a_past() {
        // Monday 06:00 in Bangkok: no field hour has passed this week.
        let now = utc("2026-11-22T23:00:00Z");
        let calendar = Calendar::new(now, 1);
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..1_000 {
            assert!(calendar.sample(&mut rng) < now);
        }
    }

    #[test]
    fn sync_delay_never_passes_now() {
        let now = utc("2026-11-25T03:00:00Z");
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..1_000 {
            let at = now - Duration::minutes(10);
            let received = sync_delay(&mut rng, at, now);
            assert!(received >= at && received <= now);
        }
    }
}

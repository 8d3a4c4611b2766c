//! The rules of a visit, checked once at the edge: a [`NewVisit`] can only be built from
//! input that satisfies all of them.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::db::visits::VisitRow;
use crate::domain::{bounded_text, Refusal};
use crate::domain::{Activity, HouseholdId, ReviewStatus, TargetGroup, UserId, VisitId};
use crate::error::{FieldCode, FieldError};
use crate::geo::Geography;
use crate::placement::{LocationInput, Placement};

const MAX_COUNT: i64 = 1_000_000;
const MAX_NEEDS: usize = 20;

/// A visit as the phone app sends it. Author, review status and receipt time come from
/// the server only: sending them is an error.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    /// The phone's own UUID for this visit; resending it is safe.
    #[schema(example = "6f1c2b9e-1d2a-4f7b-9a51-5d7e0c9f3b21")]
    pub id: Option<String>,
    #[schema(value_type = String, format = DateTime, example = "2026-11-20T10:30:00+07:00")]
    pub visited_at: DateTime<FixedOffset>,
    pub location: LocationInput,
    /// The subdistrict (6 digits); derived from the point when absent.
    #[schema(example = "500102")]
    pub area_code: Option<String>,
    #[schema(min_items = 1)]
    pub target_groups: Vec<TargetGroup>,
    pub activity: Activity,
    #[schema(minimum = 0)]
    pub households_visited: i64,
    #[schema(minimum = 0)]
    pub people_reached: i64,
    /// 1 to 4,000 characters.
    #[schema(example = "เยี่ยมบ้านผู้สูงอายุติดเตียง 3 ครัวเรือน")]
    pub summary: String,
    #[serde(default)]
    pub needs: Vec<String>,
    pub follow_up_needed: bool,
    /// With `follow_up_needed`: the day to go back by (from the visit's day to a year
    /// after; a week after the visit when not given).
    #[schema(value_type = Option<String>, format = Date, example = "2026-12-10")]
    pub follow_up_by: Option<NaiveDate>,
    /// The household of the register visited (`/households`), one the author may read.
    pub household_id: Option<String>,
    /// How many photos the phone will send for this visit (0 to 10): until that many
    /// arrived, the visit shows up under `photos_missing=true`.
    #[schema(minimum = 0, maximum = 10)]
    pub photos_expected: Option<i64>,
}

/// Days after a visit its follow-up is due when the phone names no date.
pub const FOLLOW_UP_DAYS: i64 = 7;
/// How far after a visit a follow-up may be set.
const FOLLOW_UP_HORIZON_DAYS: i64 = 366;

/// Limits that come from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct VisitRules {
    /// How far back a visit may be filed.
    pub backfill: Duration,
    /// How far in the future a phone's clock may run.
    pub clock_skew: Duration,
}

impl VisitRules {
    /// Why a time a phone sent cannot be taken: ahead of the server's clock by more
    /// than the allowed skew, or older than the backfill window.
    pub fn refuse_time(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> Option<Refusal> {
        if at > now + self.clock_skew {
            return Some(Refusal::new(
                FieldCode::InFuture,
                "is in the future; check the phone's date and time",
                "เป็นเวลาในอนาคต กรุณาตรวจสอบวันและเวลาของโทรศัพท์",
            ));
        }
        let days = self.backfill.num_days();
        (at < now - self.backfill).then(|| {
            Refusal::new(
                FieldCode::TooOld,
                format!("is older than the {days}-day backfill window"),
                format!("ย้อนหลังเกิน {days} วันที่อนุญาตให้บันทึกย้อนหลัง"),
            )
        })
    }
}

impl Default for VisitRules {
    fn default() -> Self {
        Self {
            backfill: Duration::days(60),
            clock_skew: Duration::minutes(5),
        }
    }
}

/// A visit that satisfies every rule, with its area resolved and its flags set.
#[derive(Debug, Clone)]
pub struct NewVisit {
    pub id: VisitId,
    pub author_id: UserId,
    /// The author's display name, for the answer to the filing: the caller's own.
    pub author_name: String,
    pub visited_at: NaiveDateTime,
    pub placement: Placement,
    pub target_groups: Vec<TargetGroup>,
    pub activity: Activity,
    pub households_visited: i64,
    pub people_reached: i64,
    pub summary: String,
    pub needs: Vec<String>,
    pub follow_up_needed: bool,
    pub follow_up_by: Option<NaiveDate>,
    pub household_id: Option<HouseholdId>,
    pub photos_expected: i32,
    /// Identifies the content the client sent, to tell a resend from a different visit.
    pub content_hash: String,
}

impl NewVisit {
    /// Checks every rule, returning all broken ones with their field paths.
    pub fn parse(
        input: VisitInput,
        author: &AuthUser,
        geography: &Geography,
        rules: &VisitRules,
        now: DateTime<Utc>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let id = match input.id.as_deref().map(VisitId::parse) {
            None => VisitId::random(),
            Some(Ok(id)) => id,
            Some(Err(e)) => {
                errors.push(FieldError::parse("id", e));
                VisitId::random()
            }
        };

        let visited_at = input.visited_at.with_timezone(&Utc);
        if let Some(refusal) = rules.refuse_time(visited_at, now) {
            errors.push(FieldError::refused("visited_at", refusal));
        }

        let placement = Placement::resolve(
            &input.location,
            input.area_code.as_deref(),
            author,
            geography,
            &mut errors,
        );
        let mut target_groups = input.target_groups.clone();
        target_groups.sort();
        target_groups.dedup();
        if target_groups.is_empty() {
            errors.push(FieldError::new(
                "target_groups",
                FieldCode::Empty,
                "must name at least one target group",
                "ต้องระบุกลุ่มเป้าหมายอย่างน้อย 1 กลุ่ม",
            ));
        }
        for (field, value) in [
            ("households_visited", input.households_visited),
            ("people_reached", input.people_reached),
        ] {
            if !(0..=MAX_COUNT).contains(&value) {
                errors.push(FieldError::new(
                    field,
                    FieldCode::OutOfRange,
                    format!("must be from 0 to {MAX_COUNT}"),
                    format!("ต้องเป็นจำนวนตั้งแต่ 0 ถึง {MAX_COUNT}"),
                ));
            }
        }
        let mut text_errors: Vec<FieldError> = Vec::new();
        let summary = bounded_text(&input.summary, 1, 4000)
            .map_err(|e| text_errors.push(FieldError::text("summary", e)))
            .unwrap_or_default();
        if input.needs.len() > MAX_NEEDS {
            errors.push(FieldError::new(
                "needs",
                FieldCode::TooMany,
                format!("must list at most {MAX_NEEDS} needs"),
                format!("ระบุความต้องการได้ไม่เกิน {MAX_NEEDS} รายการ"),
            ));
        }
        let needs: Vec<String> = input
            .needs
            .iter()
            .enumerate()
            .filter_map(|(i, need)| {
                bounded_text(need, 1, 200)
                    .map_err(|e| text_errors.push(FieldError::text(format!("needs[{i}]"), e)))
                    .ok()
            })
            .collect();

        let photos_expected = crate::domain::photos_expected(input.photos_expected)
            .map_err(|e| errors.push(FieldError::parse("photos_expected", e)))
            .unwrap_or_default();
        let follow_up_by = follow_up_date(&input, visited_at, &mut errors);
        let household_id = input.household_id.as_deref().and_then(|raw| {
            HouseholdId::parse(raw)
                .map_err(|e| errors.push(FieldError::parse("household_id", e)))
                .ok()
        });

        errors.extend(text_errors);
        let (Some(placement), true) = (placement, errors.is_empty()) else {
            return Err(errors);
        };
        let content_hash = content_hash(&input, &id, &summary, &needs, &target_groups);
        Ok(Self {
            id,
            author_id: author.id.clone(),
            author_name: author.display_name.clone(),
            visited_at: crate::db::to_micros(visited_at.naive_utc()),
            placement,
            target_groups,
            activity: input.activity,
            households_visited: input.households_visited,
            people_reached: input.people_reached,
            summary,
            needs,
            follow_up_needed: input.follow_up_needed,
            follow_up_by,
            household_id,
            photos_expected,
            content_hash,
        })
    }
}

/// The day a follow-up is due: the one given, or a week after the visit's (Bangkok) day;
/// none without `follow_up_needed`, which a date alone is refused for.
fn follow_up_date(
    input: &VisitInput,
    visited_at: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    let visited_on = crate::domain::bangkok_date(visited_at);
    match (input.follow_up_needed, input.follow_up_by) {
        (false, None) => None,
        (false, Some(_)) => {
            errors.push(FieldError::new(
                "follow_up_by",
                FieldCode::NotAllowedValue,
                "is only taken with follow_up_needed: true",
                "ระบุวันติดตามได้เฉพาะเมื่อ follow_up_needed เป็น true",
            ));
            None
        }
        (true, None) => Some(visited_on + Duration::days(FOLLOW_UP_DAYS)),
        (true, Some(by)) => {
            let latest = visited_on + Duration::days(FOLLOW_UP_HORIZON_DAYS);
            if by < visited_on || by > latest {
                errors.push(FieldError::new(
                    "follow_up_by",
                    FieldCode::OutOfRange,
                    format!("must be from the visit's day ({visited_on}) to {latest}"),
                    format!("ต้องอยู่ระหว่างวันที่ลงพื้นที่ ({visited_on}) ถึง {latest}"),
                ));
            }
            Some(by)
        }
    }
}

/// A canonical digest of what the client sent (after normalisation: UTC time, sorted
/// target groups, trimmed text), so the same visit resent in another shape still matches.
fn content_hash(
    input: &VisitInput,
    id: &VisitId,
    summary: &str,
    needs: &[String],
    target_groups: &[TargetGroup],
) -> String {
    let mut canonical = serde_json::json!({
        "id": id,
        "visited_at": input.visited_at.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Micros, true),
        "lat": input.location.lat,
        "lon": input.location.lon,
        "accuracy_m": input.location.accuracy_m,
        "area_code": input.area_code.as_deref().map(str::trim).filter(|a| !a.is_empty()),
        "target_groups": target_groups,
        "activity": input.activity,
        "households_visited": input.households_visited,
        "people_reached": input.people_reached,
        "summary": summary,
        "needs": needs,
        "follow_up_needed": input.follow_up_needed,
    });
    // Only when asked for: visits filed before the field existed keep their digest.
    if let Some(expected) = input.photos_expected.filter(|n| *n != 0) {
        canonical["photos_expected"] = expected.into();
    }
    if let Some(by) = input.follow_up_by {
        canonical["follow_up_by"] = by.to_string().into();
    }
    if let Some(household) = input.household_id.as_deref() {
        canonical["household_id"] = household.trim().to_lowercase().into();
    }
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}
impl NewVisit {
    /// The row this visit is stored as, received at `received_at`.
    pub fn into_row(self, received_at: NaiveDateTime) -> VisitRow {
        let place = self.placement;
        VisitRow {
            id: self.id,
            author_id: self.author_id,
            visited_at: self.visited_at,
            received_at,
            flags: crate::placement::Flag::join(&place.flags),
            lat: place.lat,
            lon: place.lon,
            accuracy_m: place.accuracy_m,
            declared_area_code: place.declared_area_code,
            area_code: place.area_code,
            province_code: place.province_code,
            district_code: place.district_code,
            activity: self.activity,
            households_visited: self.households_visited,
            people_reached: self.people_reached,
            summary: self.summary,
            needs: serde_json::to_string(&self.needs).unwrap_or_else(|_| "[]".into()),
            follow_up_needed: self.follow_up_needed,
            review_status: ReviewStatus::Pending,
            review_note: None,
            reviewed_by: None,
            reviewed_at: None,
            content_hash: self.content_hash,
            visited_on: crate::domain::bangkok_date(self.visited_at.and_utc()).to_string(),
            target_groups: TargetGroup::bits_of(&self.target_groups),
            updated_at: received_at,
            photos_expected: self.photos_expected,
            photos_received: 0,
            household_id: self.household_id,
            follow_up_by: self.follow_up_by,
        }
    }
}

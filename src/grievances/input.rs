//! The rules of a new grievance, checked once at the edge.

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::sla::{clock_start, SlaPolicy};
use crate::auth::AuthUser;
use crate::db::grievances::GrievanceRow;
use crate::db::DbConnection;
use crate::domain::{
    bounded_text, Category, GrievanceId, HouseholdId, ParseError, PhoneE164, Priority, Status,
    TargetGroup, ThaiNationalId, UserId, VisitId,
};
use crate::error::{ApiError, FieldCode, FieldError};
use crate::geo::Geography;
use crate::placement::{Flag, LocationInput, Placement};
use crate::privacy::PiiCipher;
use crate::visits::input::VisitRules;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplainantInput {
    #[schema(example = "นางสมศรี ใจดี")]
    pub name: Option<String>,
    #[schema(example = "081-234-5678")]
    pub phone: Option<String>,
    /// 13 digits with a valid check digit.
    #[schema(example = "1103702071188")]
    pub national_id: Option<String>,
    /// The complainant agreed to have their personal data recorded (PDPA).
    pub consent: bool,
}

/// A grievance as the phone app sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrievanceInput {
    /// The phone's own UUID; resending it is safe.
    pub id: Option<String>,
    /// When the citizen raised it (at most the backfill window ago, 60 days by default;
    /// not in the future); defaults to when it reached the server. The deadline (`due_at`)
    /// counts from it.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reported_at: Option<DateTime<FixedOffset>>,
    pub location: LocationInput,
    /// The subdistrict (6 digits); derived from the point when absent.
    pub area_code: Option<String>,
    pub category: Category,
    pub priority: Priority,
    /// 1 to 200 characters.
    pub title: String,
    /// 1 to 8,000 characters.
    pub description: String,
    #[serde(default)]
    pub target_groups: Vec<TargetGroup>,
    /// The visit during which it was heard.
    pub visit_id: Option<String>,
    /// The household of the register it concerns (`/households`), one the filer may read.
    pub household_id: Option<String>,
    pub complainant: Option<ComplainantInput>,
    /// How many photos the phone will send for this grievance (0 to 10): until that many
    /// arrived, it shows up under `photos_missing=true`.
    #[schema(minimum = 0, maximum = 10)]
    pub photos_expected: Option<i64>,
}

/// The complainant's data, the sensitive parts already encrypted.
#[derive(Debug, Clone, Default)]
pub struct ProtectedComplainant {
    pub name: Option<String>,
    pub consent: Option<bool>,
    pub phone_cipher: Option<String>,
    pub phone_hash: Option<String>,
    pub phone_last4: Option<String>,
    pub national_id_cipher: Option<String>,
    pub national_id_hash: Option<String>,
    pub national_id_last4: Option<String>,
}

/// A grievance that satisfies every rule.
#[derive(Debug, Clone)]
pub struct NewGrievance {
    pub id: GrievanceId,
    pub reporter_id: UserId,
    /// When the citizen raised it; `None`: when it reaches the server.
    pub reported_at: Option<NaiveDateTime>,
    pub placement: Placement,
    pub category: Category,
    pub priority: Priority,
    pub title: String,
    pub description: String,
    pub target_groups: Vec<TargetGroup>,
    pub visit_id: Option<VisitId>,
    pub household_id: Option<HouseholdId>,
    pub complainant: ProtectedComplainant,
    pub photos_expected: i32,
    pub content_hash: String,
}

impl NewGrievance {
    pub fn parse(
        input: GrievanceInput,
        reporter: &AuthUser,
        geography: &Geography,
        rules: &VisitRules,
        cipher: &PiiCipher,
        now: DateTime<Utc>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        // Free-text errors carry their own code; they join `errors` at the end.
        let mut text_errors: Vec<FieldError> = Vec::new();
        let placement = Placement::resolve(
            &input.location,
            input.area_code.as_deref(),
            reporter,
            geography,
            &mut errors,
        );
        let mut error =
            |field: &str, error: ParseError| errors.push(FieldError::parse(field, error));

        let id = match input.id.as_deref().map(GrievanceId::parse) {
            None => GrievanceId::random(),
            Some(Ok(id)) => id,
            Some(Err(e)) => {
                error("id", e);
                GrievanceId::random()
            }
        };
        let visit_id = input
            .visit_id
            .as_deref()
            .and_then(|raw| VisitId::parse(raw).map_err(|e| error("visit_id", e)).ok());
        let household_id = input.household_id.as_deref().and_then(|raw| {
            HouseholdId::parse(raw)
                .map_err(|e| error("household_id", e))
                .ok()
        });
        let reported_at = input.reported_at.map(|at| at.with_timezone(&Utc));
        if let Some(refusal) = reported_at.and_then(|at| rules.refuse_time(at, now)) {
            error("reported_at", refusal.into());
        }
        let title = bounded_text(&input.title, 1, 200)
            .map_err(|e| text_errors.push(FieldError::text("title", e)))
            .unwrap_or_default();
        let description = bounded_text(&input.description, 1, 8000)
            .map_err(|e| text_errors.push(FieldError::text("description", e)))
            .unwrap_or_default();
        let mut target_groups = input.target_groups.clone();
        target_groups.sort();
        target_groups.dedup();

        let mut complainant = ProtectedComplainant::default();
        if let Some(person) = &input.complainant {
            let personal = [&person.name, &person.phone, &person.national_id]
                .iter()
                .any(|field| field.as_deref().is_some_and(|v| !v.trim().is_empty()));
            if personal && !person.consent {
                error(
                    "complainant.consent",
                    ParseError::new(
                        FieldCode::ConsentRequired,
                        "personal data may only be recorded with the complainant's consent",
                        "บันทึกข้อมูลส่วนบุคคลได้เฉพาะเมื่อผู้ร้องให้ความยินยอมแล้ว",
                    ),
                );
            }
            complainant.consent = Some(person.consent);
            if let Some(name) = person.name.as_deref().filter(|n| !n.trim().is_empty()) {
                complainant.name = bounded_text(name, 1, 200)
                    .map_err(|e| text_errors.push(FieldError::text("complainant.name", e)))
                    .ok();
            }
            if let Some(raw) = person.phone.as_deref().filter(|p| !p.trim().is_empty()) {
                match PhoneE164::parse(raw) {
                    Ok(phone) => match cipher.encrypt(phone.as_str()) {
                        Ok(sealed) => {
                            complainant.phone_cipher = Some(sealed);
                            complainant.phone_hash = Some(cipher.lookup_hash(phone.as_str()));
                            complainant.phone_last4 = Some(phone.last4().to_owned());
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "encrypting a phone number failed");
                            error("complainant.phone", not_protected())
                        }
                    },
                    Err(e) => error("complainant.phone", e),
                }
            }
            if let Some(raw) = person
                .national_id
                .as_deref()
                .filter(|n| !n.trim().is_empty())
            {
                match ThaiNationalId::parse(raw) {
                    Ok(national_id) => match cipher.protect_national_id(&national_id) {
                        Ok(sealed) => {
                            complainant.national_id_cipher = Some(sealed.ciphertext);
                            complainant.national_id_hash = Some(sealed.lookup_hash);
                            complainant.national_id_last4 = Some(sealed.last4);
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "encrypting a national ID failed");
                            error("complainant.national_id", not_protected())
                        }
                    },
                    Err(e) => error("complainant.national_id", e),
                }
            }
        }

        let photos_expected = crate::domain::photos_expected(input.photos_expected)
            .map_err(|e| errors.push(FieldError::parse("photos_expected", e)))
            .unwrap_or_default();

        errors.extend(text_errors);
        let (Some(placement), true) = (placement, errors.is_empty()) else {
            return Err(errors);
        };
        let content_hash = content_hash(
            &input,
            &id,
            &title,
            &description,
            &target_groups,
            &complainant,
            cipher,
        );
        Ok(Self {
            id,
            reporter_id: reporter.id.clone(),
            reported_at: reported_at.map(|at| crate::db::to_micros(at.naive_utc())),
            placement,
            category: input.category,
            priority: input.priority,
            title,
            description,
            target_groups,
            visit_id,
            household_id,
            complainant,
            photos_expected,
            content_hash,
        })
    }

    /// The visit a grievance was heard on must be one its filer can see: a made-up id,
    /// or another volunteer's visit, is refused (`not_found_reference`); so must the
    /// household it concerns.
    pub fn check_visit_reference(
        &self,
        conn: &mut DbConnection,
        filer: &AuthUser,
    ) -> Result<(), ApiError> {
        if let Some(household) = &self.household_id {
            crate::households::service::check_reference(conn, filer, household)?;
        }
        let Some(visit_id) = &self.visit_id else {
            return Ok(());
        };
        let visible = crate::policy::visibility(filer);
        match crate::db::visits::find_visible(conn, visit_id, &visible)? {
            Some(_) => Ok(()),
            None => Err(ApiError::field(
                "visit_id",
                FieldCode::NotFoundReference,
                "names no visit you can see",
                "ไม่พบการเยี่ยมบ้านที่อ้างถึง หรือท่านไม่มีสิทธิ์เข้าถึง",
            )),
        }
    }

    /// The deadline of this grievance received at `received_at`: its allowance from when
    /// the complainant spoke (`sla::clock_start`).
    pub fn due_at(&self, policy: &SlaPolicy, received_at: NaiveDateTime) -> NaiveDateTime {
        let start = clock_start(
            self.reported_at.map(|at| at.and_utc()),
            received_at.and_utc(),
        );
        crate::db::to_micros(policy.due_at(start, self.priority).naive_utc())
    }
}

/// A canonical digest of what the client sent. Personal data enters it only through its
/// keyed lookup hashes, so the digest reveals nothing about the complainant.
fn content_hash(
    input: &GrievanceInput,
    id: &GrievanceId,
    title: &str,
    description: &str,
    target_groups: &[TargetGroup],
    complainant: &ProtectedComplainant,
    cipher: &PiiCipher,
) -> String {
    let mut canonical = serde_json::json!({
        "id": id,
        "reported_at": input.reported_at.map(|at| at.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Micros, true)),
        "lat": input.location.lat,
        "lon": input.location.lon,
        "accuracy_m": input.location.accuracy_m,
        "area_code": input.area_code.as_deref().map(str::trim).filter(|a| !a.is_empty()),
        "category": input.category,
        "priority": input.priority,
        "title": title,
        "description": description,
        "target_groups": target_groups,
        "visit_id": input.visit_id.as_deref().map(str::to_lowercase),
        "complainant": {
            "name": complainant.name.as_deref().map(|n| cipher.lookup_hash(n)),
            "consent": complainant.consent,
            "phone": complainant.phone_hash,
            "national_id": complainant.national_id_hash,
        },
    });
    // Only when asked for: grievances filed before the field existed keep their digest.
    if let Some(household) = input.household_id.as_deref() {
        canonical["household_id"] = household.trim().to_lowercase().into();
    }
    if let Some(expected) = input.photos_expected.filter(|n| *n != 0) {
        canonical["photos_expected"] = expected.into();
    }
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}
impl NewGrievance {
    /// The row this grievance is stored as, filed at `now` with its deadline under `sla`.
    pub fn into_row(self, now: NaiveDateTime, sla: &SlaPolicy) -> GrievanceRow {
        let due_at = self.due_at(sla, now);
        let place = self.placement;
        let person = self.complainant;
        GrievanceRow {
            id: self.id,
            reporter_id: self.reporter_id,
            reported_at: self.reported_at.unwrap_or(now),
            created_at: now,
            updated_at: now,
            lat: place.lat,
            lon: place.lon,
            accuracy_m: place.accuracy_m,
            declared_area_code: place.declared_area_code,
            area_code: place.area_code,
            province_code: place.province_code,
            district_code: place.district_code,
            category: self.category,
            priority: self.priority,
            title: self.title,
            description: self.description,
            target_groups: serde_json::to_string(&self.target_groups)
                .unwrap_or_else(|_| "[]".into()),
            visit_id: self.visit_id,
            complainant_name: person.name,
            complainant_consent: person.consent,
            phone_cipher: person.phone_cipher,
            phone_hash: person.phone_hash,
            phone_last4: person.phone_last4,
            national_id_cipher: person.national_id_cipher,
            national_id_hash: person.national_id_hash,
            national_id_last4: person.national_id_last4,
            status: Status::Submitted,
            version: 1,
            assignee_id: None,
            referred_to: None,
            due_at,
            resolved_at: None,
            reopen_count: 0,
            overdue_notified: false,
            content_hash: self.content_hash,
            anonymised_at: None,
            duplicate_of: None,
            photos_expected: self.photos_expected,
            photos_received: 0,
            flags: Flag::join(&place.flags),
            household_id: self.household_id,
        }
    }
}

/// Personal data that could not be encrypted is not stored; the cause is logged.
fn not_protected() -> ParseError {
    ParseError::new(
        FieldCode::BadFormat,
        "could not be stored safely; try again",
        "ไม่สามารถจัดเก็บข้อมูลนี้อย่างปลอดภัยได้ กรุณาลองใหม่",
    )
}

//! The rules of a household and its members, checked once at the edge: consent before
//! any personal data, members' phones and national IDs sealed before they go further.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::{
    bounded_text, BirthYear, FieldCode, HouseholdId, MemberId, ParseError, PhoneE164, Sex,
    TargetGroup, ThaiNationalId,
};
use crate::error::FieldError;
use crate::geo::Geography;
use crate::placement::{LocationInput, Placement};
use crate::privacy::{PiiCipher, ProtectedValue};

/// A household's members at most: a register of homes, not of villages.
pub const MAX_MEMBERS: usize = 30;

/// A person of the household as the phone sends them. Without the household's consent
/// only their year of birth, sex and target groups may be given.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    /// The phone's own UUID for the person; names the member in a later change.
    pub id: Option<String>,
    #[schema(example = "นางบุญมา ใจดี")]
    pub name: Option<String>,
    /// Buddhist Era (2490 to 2570) or Common Era; kept in the Common Era.
    #[schema(example = 2490)]
    pub birth_year: Option<i64>,
    pub sex: Option<Sex>,
    pub target_groups: Option<Vec<TargetGroup>>,
    /// 13 digits with a valid check digit.
    #[schema(example = "1103702071188")]
    pub national_id: Option<String>,
    #[schema(example = "081-234-5678")]
    pub phone: Option<String>,
    /// Up to 2,000 characters.
    pub notes: Option<String>,
    /// In a change: `true` takes the person off the household (kept in its history).
    pub removed: Option<bool>,
}

/// A household as the phone files it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdInput {
    /// The phone's own UUID; resending it is safe.
    pub id: Option<String>,
    pub location: LocationInput,
    /// The subdistrict (6 digits); derived from the point when absent.
    pub area_code: Option<String>,
    /// Up to 500 characters: house number, village, landmarks.
    #[schema(example = "12 หมู่ 3 บ้านสันป่าสัก")]
    pub address: Option<String>,
    /// The household agreed to have its members' personal data recorded (PDPA).
    pub consent: bool,
    #[serde(default)]
    pub members: Vec<MemberInput>,
}

/// A change to a household: the fields given replace the stored ones; members are
/// matched by `id` (a new `id` adds a person, `removed: true` takes one off), and of a
/// known member only the fields given change (an empty text clears one).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdPatch {
    pub location: Option<LocationInput>,
    pub area_code: Option<String>,
    pub address: Option<String>,
    pub consent: Option<bool>,
    pub members: Option<Vec<MemberInput>>,
}

/// A person that satisfies every rule, personal data sealed.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub id: MemberId,
    pub name: Option<String>,
    pub birth_year: Option<BirthYear>,
    pub sex: Option<Sex>,
    pub target_groups: Vec<TargetGroup>,
    pub phone: Option<ProtectedValue>,
    pub national_id: Option<ProtectedValue>,
    pub notes: Option<String>,
    pub removed: bool,
}

/// A household that satisfies every rule.
#[derive(Debug, Clone)]
pub struct NewHousehold {
    pub id: HouseholdId,
    pub placement: Placement,
    pub address: Option<String>,
    pub consent: bool,
    pub members: Vec<NewMember>,
    /// Tells a resend (the same content) from another household under the same id.
    pub content_hash: String,
}

fn consent_required(field: &str) -> FieldError {
    FieldError::parse(
        field,
        ParseError::new(
            FieldCode::ConsentRequired,
            "a name, phone or national ID may only be recorded with the household's consent",
            "บันทึกชื่อ เบอร์โทรศัพท์ หรือเลขประจำตัวประชาชนได้เฉพาะเมื่อครัวเรือนให้ความยินยอมแล้ว",
        ),
    )
}

fn not_protected() -> ParseError {
    ParseError::new(
        FieldCode::BadFormat,
        "could not be stored safely; try again",
        "ไม่สามารถจัดเก็บข้อมูลนี้อย่างปลอดภัยได้ กรุณาลองใหม่",
    )
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl NewMember {
    /// Checks one person at `at` (`members[2]`), every broken rule into `errors`.
    pub fn parse(
        input: &MemberInput,
        at: &str,
        consent: bool,
        cipher: &PiiCipher,
        errors: &mut Vec<FieldError>,
    ) -> Option<Self> {
        let field = |name: &str| format!("{at}.{name}");
        let mut found = Vec::new();
        let id = match input.id.as_deref().map(MemberId::parse) {
            None => MemberId::random(),
            Some(Ok(id)) => id,
            Some(Err(e)) => {
                found.push(FieldError::parse(field("id"), e));
                MemberId::random()
            }
        };
        let personal = [&input.name, &input.phone, &input.national_id]
            .iter()
            .any(|value| given(value).is_some());
        if personal && !consent {
            errors.push(consent_required(&field("name")));
            return None;
        }
        let name = given(&input.name).and_then(|name| {
            bounded_text(name, 1, 200)
                .map_err(|e| found.push(FieldError::text(field("name"), e)))
                .ok()
        });
        let notes = given(&input.notes).and_then(|notes| {
            bounded_text(notes, 1, 2000)
                .map_err(|e| found.push(FieldError::text(field("notes"), e)))
                .ok()
        });
        let birth_year = input.birth_year.and_then(|year| {
            BirthYear::parse(year)
                .map_err(|e| found.push(FieldError::parse(field("birth_year"), e)))
                .ok()
        });
        let phone = match given(&input.phone).map(PhoneE164::parse) {
            None => None,
            Some(Err(e)) => {
                found.push(FieldError::parse(field("phone"), e));
                None
            }
            Some(Ok(phone)) => sealed(cipher.protect_phone(&phone), &field("phone"), &mut found),
        };
        let national_id = match given(&input.national_id).map(ThaiNationalId::parse) {
            None => None,
            Some(Err(e)) => {
                found.push(FieldError::parse(field("national_id"), e));
                None
            }
            Some(Ok(number)) => sealed(
                cipher.protect_national_id(&number),
                &field("national_id"),
                &mut found,
            ),
        };
        let mut target_groups = input.target_groups.clone().unwrap_or_default();
        target_groups.sort();
        target_groups.dedup();
        if !found.is_empty() {
            errors.extend(found);
            return None;
        }
        Some(Self {
            id,
            name,
            birth_year,
            sex: input.sex,
            target_groups,
            phone,
            national_id,
            notes,
            removed: input.removed.unwrap_or(false),
        })
    }
}

/// The sealed value, or the field's error when it could not be sealed.
fn sealed(
    outcome: Result<ProtectedValue, crate::privacy::PiiError>,
    field: &str,
    found: &mut Vec<FieldError>,
) -> Option<ProtectedValue> {
    outcome
        .map_err(|e| {
            tracing::error!(error = %e, field, "sealing personal data failed");
            found.push(FieldError::parse(field, not_protected()));
        })
        .ok()
}

impl NewHousehold {
    pub fn parse(
        input: &HouseholdInput,
        author: &AuthUser,
        geography: &Geography,
        cipher: &PiiCipher,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let id = match input.id.as_deref().map(HouseholdId::parse) {
            None => HouseholdId::random(),
            Some(Ok(id)) => id,
            Some(Err(e)) => {
                errors.push(FieldError::parse("id", e));
                HouseholdId::random()
            }
        };
        let placement = Placement::resolve(
            &input.location,
            input.area_code.as_deref(),
            author,
            geography,
            &mut errors,
        );
        let address = parse_address(&input.address, &mut errors);
        let members = parse_members(&input.members, input.consent, cipher, &mut errors);
        let (Some(placement), true) = (placement, errors.is_empty()) else {
            return Err(errors);
        };
        let content_hash = content_hash(input, &id, cipher);
        Ok(Self {
            id,
            placement,
            address,
            consent: input.consent,
            members,
            content_hash,
        })
    }
}

/// The address, at most 500 characters; blank is none.
pub fn parse_address(raw: &Option<String>, errors: &mut Vec<FieldError>) -> Option<String> {
    given(raw).and_then(|address| {
        bounded_text(address, 1, 500)
            .map_err(|e| errors.push(FieldError::text("address", e)))
            .ok()
    })
}

/// Every person of `inputs`, each checked; at most [`MAX_MEMBERS`], no id twice.
pub fn parse_members(
    inputs: &[MemberInput],
    consent: bool,
    cipher: &PiiCipher,
    errors: &mut Vec<FieldError>,
) -> Vec<NewMember> {
    if inputs.len() > MAX_MEMBERS {
        errors.push(FieldError::new(
            "members",
            FieldCode::TooMany,
            format!("at most {MAX_MEMBERS} members"),
            format!("สมาชิกได้ไม่เกิน {MAX_MEMBERS} คน"),
        ));
        return Vec::new();
    }
    let members: Vec<NewMember> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, member)| {
            NewMember::parse(member, &format!("members[{i}]"), consent, cipher, errors)
        })
        .collect();
    let mut ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|pair| pair[0] == pair[1]) {
        errors.push(FieldError::new(
            "members",
            FieldCode::NotAllowedValue,
            "each member's id must differ",
            "รหัสสมาชิกแต่ละคนต้องไม่ซ้ำกัน",
        ));
    }
    members
}

/// A hash of what was sent (personal data by its keyed lookup hash, never in clear), so
/// that a resend is told from a different household under the same id.
fn content_hash(input: &HouseholdInput, id: &HouseholdId, cipher: &PiiCipher) -> String {
    let keyed = |value: &Option<String>| given(value).map(|v| cipher.lookup_hash(v));
    let members: Vec<serde_json::Value> = input
        .members
        .iter()
        .map(|m| {
            serde_json::json!([
                m.id,
                keyed(&m.name),
                m.birth_year,
                m.sex,
                m.target_groups,
                keyed(&m.national_id),
                keyed(&m.phone),
                keyed(&m.notes),
                m.removed,
            ])
        })
        .collect();
    let canonical = serde_json::json!([
        id.as_str(),
        input.location.lat,
        input.location.lon,
        input.location.accuracy_m,
        input.area_code,
        given(&input.address),
        input.consent,
        members,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

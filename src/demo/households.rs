//! Demo households: each volunteer keeps a few homes of its own subdistrict on the
//! register, most with consent and their members' names and numbers (sealed as the API
//! seals them), some without. The visits and grievances of a volunteer then name one of
//! its households now and then, so the register has stories, repeat visits and
//! follow-ups from the first look.
//!
//! A household's id follows from the seed, the volunteer and its place in the
//! volunteer's list ([`Register::household_of`]): the visit and grievance makers name
//! households without holding the register in memory.

use chrono::{Duration, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::field::{hex_digest, spot};
use super::grievances::national_id;
use super::world::{mobile_phone, pick, thai_name, uuid, World};
use crate::db::households::{EventRow, HouseholdRow, MemberRow};
use crate::domain::{HouseholdId, MemberId, PhoneE164, Role, Sex, TargetGroup, ThaiNationalId};
use crate::privacy::PiiCipher;

/// The share of households that agreed to have personal data recorded.
const CONSENT_SHARE: f64 = 0.85;

/// Notes a volunteer keeps about a member.
const NOTES: &[&str] = &[
    "ติดเตียง ต้องการผ้าอ้อมผู้ใหญ่",
    "อยู่ลำพัง ลูกหลานทำงานต่างจังหวัด",
    "รับเบี้ยยังชีพแล้ว",
    "ยังไม่ได้ลงทะเบียนคนพิการ",
    "ต้องการรถเข็น",
    "กำลังศึกษาชั้นประถม",
];

/// The households of the demo's volunteers, by volunteer and place in its list.
#[derive(Debug, Clone, Copy)]
pub struct Register {
    seed: u64,
    pub per_volunteer: usize,
}

impl Register {
    pub fn new(seed: u64, per_volunteer: usize) -> Self {
        Self {
            seed,
            per_volunteer,
        }
    }

    /// The `index`-th household of the person `author` (an index into `World::people`).
    pub fn household_of(&self, author: usize, index: usize) -> HouseholdId {
        let seed = self
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(((author as u64) << 16) | index as u64);
        HouseholdId::unchecked(uuid(&mut StdRng::seed_from_u64(seed)))
    }

    /// A household the person visits, when it keeps any: the first of its list more
    /// often than the last, so some homes see a volunteer week after week.
    pub fn visited_by(
        &self,
        world: &World,
        author: usize,
        rng: &mut impl Rng,
    ) -> Option<HouseholdId> {
        if self.per_volunteer == 0 || world.people[author].role != Role::Volunteer {
            return None;
        }
        let index = rng
            .gen_range(0..self.per_volunteer)
            .min(rng.gen_range(0..self.per_volunteer));
        Some(self.household_of(author, index))
    }
}

/// Households, their members and their first history event, written together.
#[derive(Default)]
pub struct HouseholdChunk {
    pub households: Vec<HouseholdRow>,
    pub members: Vec<MemberRow>,
    pub events: Vec<EventRow>,
}

/// Makes the register a chunk at a time, volunteer after volunteer.
pub struct HouseholdMaker<'a> {
    world: &'a World,
    register: Register,
    cipher: &'a PiiCipher,
    /// Households are registered in the weeks before the demo's field work starts.
    registered_before: NaiveDateTime,
    volunteers: Vec<usize>,
    /// The next household to make: a place in `volunteers`, then in its list.
    next: (usize, usize),
}

impl<'a> HouseholdMaker<'a> {
    pub fn new(
        world: &'a World,
        register: Register,
        cipher: &'a PiiCipher,
        registered_before: NaiveDateTime,
    ) -> Self {
        let volunteers = world
            .people
            .iter()
            .enumerate()
            .filter(|(_, person)| person.role == Role::Volunteer)
            .map(|(index, _)| index)
            .collect();
        Self {
            world,
            register,
            cipher,
            registered_before,
            volunteers,
            next: (0, 0),
        }
    }

    /// How many households the whole register holds.
    pub fn total(&self) -> usize {
        self.volunteers.len() * self.register.per_volunteer
    }

    /// The next `count` households.
    pub fn chunk(&mut self, count: usize) -> anyhow::Result<HouseholdChunk> {
        let mut chunk = HouseholdChunk::default();
        for _ in 0..count {
            let (volunteer, index) = self.next;
            let Some(&author) = self.volunteers.get(volunteer) else {
                break;
            };
            self.household(author, index, &mut chunk)?;
            self.next = if index + 1 < self.register.per_volunteer {
                (volunteer, index + 1)
            } else {
                (volunteer + 1, 0)
            };
        }
        Ok(chunk)
    }

    fn household(
        &self,
        author: usize,
        index: usize,
        chunk: &mut HouseholdChunk,
    ) -> anyhow::Result<()> {
        let id = self.register.household_of(author, index);
        // Its own generator, from its id: the same household whatever came before.
        let rng = &mut StdRng::seed_from_u64(
            u64::from_str_radix(&id.as_str().replace('-', "")[..16], 16).unwrap_or_default(),
        );
        let person = &self.world.people[author];
        let spot = spot(self.world, author, rng);
        let created_at = self.registered_before
            - Duration::seconds(rng.gen_range(86_400..60 * 86_400))
            - Duration::seconds(i64::from(rng.gen_range(0..3_600u32)));
        let consent = rng.gen::<f64>() < CONSENT_SHARE;
        let (surname_source, _) = thai_name(rng);
        let surname = surname_source
            .split_once(' ')
            .map(|(_, surname)| surname.to_owned())
            .unwrap_or_default();
        let mut members = Vec::new();
        for (position, kind) in member_kinds(rng).into_iter().enumerate() {
            members.push(self.member(&id, position as i64, kind, consent, &surname, rng)?);
        }
        let target_groups = members.iter().fold(0, |bits, m| bits | m.target_groups);
        let moo = rng.gen_range(1..=12);
        let address = consent.then(|| {
            format!(
                "{} หมู่ {moo} ต.{}",
                rng.gen_range(1..=250),
                spot.name_th.trim_start_matches("ตำบล")
            )
        });
        chunk.events.push(EventRow {
            id: uuid(rng),
            household_id: id.clone(),
            version: 1,
            action: "created".into(),
            changes: serde_json::json!([format!("members: {}", members.len())]).to_string(),
            actor_id: person.id.clone(),
            at: created_at,
        });
        chunk.households.push(HouseholdRow {
            content_hash: hex_digest(&[id.as_str(), &created_at.to_string()]),
            id,
            created_by: person.id.clone(),
            created_at,
            updated_at: created_at,
            lat: spot.point.lat,
            lon: spot.point.lon,
            accuracy_m: spot.accuracy_m,
            province_code: spot.province_code(),
            district_code: spot.district_code(),
            area_code: spot.area_code,
            address,
            consent,
            target_groups,
            version: 1,
            // Kept by the visits as they are written (migration 20's trigger).
            last_visit_at: None,
            next_visit_due: None,
        });
        chunk.members.extend(members);
        Ok(())
    }

    fn member(
        &self,
        household: &HouseholdId,
        position: i64,
        kind: MemberKind,
        consent: bool,
        surname: &str,
        rng: &mut StdRng,
    ) -> anyhow::Result<MemberRow> {
        let (name, woman) = thai_name(rng);
        let given = name.split(' ').next().unwrap_or_default();
        let (born, groups): (std::ops::RangeInclusive<i32>, Vec<TargetGroup>) = match kind {
            MemberKind::Elder => (1936..=1962, vec![TargetGroup::Elderly]),
            MemberKind::Adult => (1965..=2000, vec![]),
            MemberKind::Child => (2010..=2020, vec![TargetGroup::Children]),
        };
        let mut groups = groups;
        if rng.gen::<f64>() < 0.15 {
            groups.push(TargetGroup::Disabled);
        }
        if rng.gen::<f64>() < 0.3 {
            groups.push(TargetGroup::LowIncome);
        }
        let adult = kind != MemberKind::Child;
        let phone = (consent && adult && rng.gen::<f64>() < 0.6)
            .then(|| {
                let raw = mobile_phone(rng);
                let phone = PhoneE164::parse(&raw).map_err(|e| anyhow::anyhow!("{raw}: {e}"))?;
                anyhow::Ok(self.cipher.protect_phone(&phone)?)
            })
            .transpose()?;
        let national = (consent && rng.gen::<f64>() < 0.5)
            .then(|| {
                let raw = national_id(rng);
                let id = ThaiNationalId::parse(&raw).map_err(|e| anyhow::anyhow!("{e}"))?;
                anyhow::Ok(self.cipher.protect_national_id(&id)?)
            })
            .transpose()?;
        let notes = (consent && !groups.is_empty() && rng.gen::<f64>() < 0.4)
            .then(|| (*pick(rng, NOTES)).to_owned());
        Ok(MemberRow {
            id: MemberId::unchecked(uuid(rng)),
            household_id: household.clone(),
            position,
            name: consent.then(|| format!("{given} {surname}")),
            birth_year: Some(rng.gen_range(born)),
            sex: Some(if woman { Sex::Female } else { Sex::Male }),
            target_groups: TargetGroup::bits_of(&groups),
            phone_cipher: phone.as_ref().map(|p| p.ciphertext.clone()),
            phone_hash: phone.as_ref().map(|p| p.lookup_hash.clone()),
            phone_last4: phone.map(|p| p.last4),
            national_id_cipher: national.as_ref().map(|n| n.ciphertext.clone()),
            national_id_hash: national.as_ref().map(|n| n.lookup_hash.clone()),
            national_id_last4: national.map(|n| n.last4),
            notes,
            removed: false,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MemberKind {
    Elder,
    Adult,
    Child,
}

/// Who lives in a home the ministry visits: mostly an elder, often with a working-age
/// adult, sometimes children.
fn member_kinds(rng: &mut impl Rng) -> Vec<MemberKind> {
    let mut kinds = Vec::new();
    if rng.gen::<f64>() < 0.75 {
        kinds.push(MemberKind::Elder);
    }
    for _ in 0..rng.gen_range(0..=2) {
        kinds.push(MemberKind::Adult);
    }
    for _ in 0..rng.gen_range(0..=2) {
        kinds.push(MemberKind::Child);
    }
    if kinds.is_empty() {
        kinds.push(MemberKind::Adult);
    }
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_households_id_follows_from_the_seed_its_volunteer_and_its_place() {
        let register = Register::new(7, 5);
        assert_eq!(register.household_of(3, 1), register.household_of(3, 1));
        assert_ne!(register.household_of(3, 1), register.household_of(3, 2));
        assert_ne!(register.household_of(3, 1), register.household_of(4, 1));
        assert_ne!(
            register.household_of(3, 1),
            Register::new(8, 5).household_of(3, 1)
        );
    }
}

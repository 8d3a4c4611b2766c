//! Demo field visits, made a chunk at a time so a million of them never sit in memory.

use chrono::Duration;
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::calendar::{sync_delay, whole_seconds, Calendar};
use super::field::{hex_digest, spot, Authors};
use super::households::Register;
use super::words;
use super::world::{pick, uuid, World};
use crate::db::visits::VisitRow;
use crate::domain::bangkok_date;
use crate::domain::{Activity, ReviewStatus, TargetGroup, VisitId};

/// How often each group is among a visit's target groups: the ministry's field work is
/// mostly with older people, people with disabilities and poor households.
const GROUP_WEIGHTS: [(TargetGroup, u32); 10] = [
    (TargetGroup::Elderly, 25),
    (TargetGroup::Disabled, 15),
    (TargetGroup::Children, 14),
    (TargetGroup::LowIncome, 12),
    (TargetGroup::Families, 10),
    (TargetGroup::Underprivileged, 9),
    (TargetGroup::Youth, 7),
    (TargetGroup::Women, 5),
    (TargetGroup::Homeless, 2),
    (TargetGroup::Beggars, 1),
];

const ACTIVITY_WEIGHTS: [(Activity, u32); 5] = [
    (Activity::HomeVisit, 55),
    (Activity::FollowUp, 20),
    (Activity::CommunityMeeting, 10),
    (Activity::Outreach, 10),
    (Activity::Other, 5),
];

pub struct VisitMaker<'a> {
    world: &'a World,
    calendar: &'a Calendar,
    authors: &'a Authors,
    register: Register,
    groups: WeightedIndex<u32>,
    activities: WeightedIndex<u32>,
    rng: StdRng,
}

impl<'a> VisitMaker<'a> {
    pub fn new(
        world: &'a World,
        calendar: &'a Calendar,
        authors: &'a Authors,
        register: Register,
        rng: StdRng,
    ) -> anyhow::Result<Self> {
        let groups = WeightedIndex::new(GROUP_WEIGHTS.iter().map(|(_, w)| *w))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let activities = WeightedIndex::new(ACTIVITY_WEIGHTS.iter().map(|(_, w)| *w))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Self {
            world,
            calendar,
            authors,
            register,
            groups,
            activities,
            rng,
        })
    }

    /// The next `count` visits.
    pub fn chunk(&mut self, count: usize) -> Vec<VisitRow> {
        let mut chunk: Vec<VisitRow> = (0..count).map(|_| self.visit()).collect();
        // In key order, the primary key's B-tree is walked once per chunk rather than
        // jumped about in.
        chunk.sort_unstable_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        chunk
    }

    fn visit(&mut self) -> VisitRow {
        // Each visit draws from its own generator, so how many numbers one takes (which
        // can depend on the clock) never shifts the visits after it.
        let rng = &mut StdRng::seed_from_u64(self.rng.gen());
        let now = self.calendar.now();
        let id = uuid(rng);
        let author = self.authors.sample(rng);
        let person = &self.world.people[author];
        let spot = spot(self.world, author, rng);
        let visited_at = whole_seconds(self.calendar.sample(rng));
        let received_at = sync_delay(rng, visited_at, now);

        let activity = ACTIVITY_WEIGHTS[self.activities.sample(rng)].0;
        let wanted = match rng.gen::<f64>() {
            u if u < 0.6 => 1,
            u if u < 0.9 => 2,
            _ => 3,
        };
        let mut groups: Vec<TargetGroup> = Vec::with_capacity(wanted);
        // A few extra tries suffice: drawing a group already taken just draws again.
        for _ in 0..wanted * 4 {
            let group = GROUP_WEIGHTS[self.groups.sample(rng)].0;
            if !groups.contains(&group) {
                groups.push(group);
            }
            if groups.len() == wanted {
                break;
            }
        }
        let primary = groups[0];
        groups.sort();

        // Most of a volunteer's home visits and follow-ups go to a household it keeps.
        let household_id = matches!(activity, Activity::HomeVisit | Activity::FollowUp)
            .then(|| self.register.visited_by(self.world, author, rng))
            .flatten()
            .filter(|_| rng.gen::<f64>() < 0.7);
        let (households, people) = match activity {
            _ if household_id.is_some() => (1, rng.gen_range(1..=5)),
            Activity::HomeVisit => {
                let households = rng.gen_range(1..=4);
                (households, households * rng.gen_range(1..=4))
            }
            Activity::FollowUp => {
                let households = rng.gen_range(1..=3);
                (households, households * rng.gen_range(1..=3))
            }
            Activity::CommunityMeeting => (rng.gen_range(5..=12), rng.gen_range(12..=40)),
            Activity::Outreach => {
                let households = rng.gen_range(3..=12);
                (households, (households * rng.gen_range(1..=3)).min(40))
            }
            Activity::Other => {
                let households = rng.gen_range(1..=6);
                (households, households * rng.gen_range(1..=2))
            }
        };

        let topic = pick(rng, words::visit_topics(primary));
        let finding = pick(rng, words::VISIT_FINDINGS);
        let outcome = pick(rng, words::VISIT_OUTCOMES);
        let summary = match activity {
            Activity::CommunityMeeting => {
                format!("ประชุมประชาคม มีผู้เข้าร่วม {people} คน {topic} {finding} {outcome}")
            }
            Activity::Outreach => format!("ออกหน่วยเชิงรุก {topic} {finding} {outcome}"),
            _ => format!("{topic} {finding} {outcome}"),
        };
        let mut needs: Vec<&str> = Vec::new();
        for _ in 0..rng.gen_range(0..=3) {
            let need = *pick(rng, words::NEEDS);
            if !needs.contains(&need) {
                needs.push(need);
            }
        }
        let follow_up_needed = rng.gen::<f64>() < if needs.is_empty() { 0.15 } else { 0.75 };
        let follow_up_by = follow_up_needed
            .then(|| bangkok_date(visited_at.and_utc()) + Duration::days(rng.gen_range(3..=14)));

        // Supervisors review older visits; the newest mostly wait.
        let old = now - visited_at > Duration::days(7);
        let review = rng.gen::<f64>();
        let (verified, flagged) = if old { (0.3, 0.33) } else { (0.05, 0.06) };
        let review_status = if review < verified {
            ReviewStatus::Verified
        } else if review < flagged {
            ReviewStatus::Flagged
        } else {
            ReviewStatus::Pending
        };
        let review_delay = Duration::seconds(rng.gen_range(3_600..432_000));
        let flag_note = *pick(rng, words::REVIEW_FLAG_NOTES);
        let reviewed = review_status != ReviewStatus::Pending;
        let supervisor = self.world.provinces[person.province].supervisor;

        let reviewed_at = reviewed.then(|| (received_at + review_delay).min(now));
        let visited_on = bangkok_date(visited_at.and_utc()).to_string();
        let content_hash = hex_digest(&[&id, &visited_at.to_string(), &summary]);
        VisitRow {
            author_id: person.id.clone(),
            visited_at,
            received_at,
            lat: spot.point.lat,
            lon: spot.point.lon,
            accuracy_m: spot.accuracy_m,
            // The app declares the worker's own subdistrict, so the area is exactly that.
            declared_area_code: Some(spot.area_code.clone()),
            province_code: spot.province_code(),
            district_code: spot.district_code(),
            flags: spot.flags().to_owned(),
            area_code: spot.area_code,
            activity,
            households_visited: households,
            people_reached: people.clamp(1, 40),
            summary,
            needs: serde_json::to_string(&needs).unwrap_or_else(|_| "[]".into()),
            follow_up_needed,
            review_status,
            review_note: (review_status == ReviewStatus::Flagged).then(|| flag_note.to_owned()),
            reviewed_by: reviewed.then(|| self.world.people[supervisor].id.clone()),
            reviewed_at,
            updated_at: reviewed_at.unwrap_or(received_at),
            content_hash,
            visited_on,
            target_groups: TargetGroup::bits_of(&groups),
            // Demo visits carry no photos and promise none.
            photos_expected: 0,
            photos_received: 0,
            id: VisitId::unchecked(id),
            household_id,
            follow_up_by,
        }
    }
}

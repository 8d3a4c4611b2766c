//! Demo grievances in every status of the workflow, each with the history that led
//! there: the same actions, actors and rules the API enforces.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::calendar::{sync_delay, whole_seconds, Calendar};
use super::field::{hex_digest, spot, Authors};
use super::households::Register;
use super::words;
use super::world::{is_bangkok, mobile_phone, pick, thai_name, uuid, World};
use crate::db::grievances::GrievanceRow;
use crate::db::schema::grievance_events;
use crate::domain::Category;
use crate::domain::Priority;
use crate::domain::{Action, Actor, GrievanceId, Status};
use crate::domain::{PhoneE164, ThaiNationalId};
use crate::grievances::sla::SlaPolicy;
use crate::grievances::workflow::{self, Tracking, TransitionRequest};
use crate::privacy::PiiCipher;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = grievance_events, treat_none_as_default_value = false)]
pub struct EventRecord {
    pub id: String,
    pub grievance_id: String,
    pub action: &'static str,
    pub from_status: Option<&'static str>,
    pub to_status: &'static str,
    pub actor_id: String,
    pub note: Option<String>,
    pub at: NaiveDateTime,
    pub elapsed_seconds: i64,
}

#[derive(Default)]
pub struct GrievanceChunk {
    pub grievances: Vec<GrievanceRow>,
    pub events: Vec<EventRecord>,
}

/// How often field staff meet each kind of problem.
const CATEGORY_WEIGHTS: [(Category, u32); 14] = [
    (Category::Poverty, 18),
    (Category::Elderly, 14),
    (Category::Disability, 10),
    (Category::Debt, 9),
    (Category::Housing, 8),
    (Category::ChildrenYouth, 8),
    (Category::FamilyViolence, 7),
    (Category::Other, 7),
    (Category::Drugs, 5),
    (Category::Homeless, 4),
    (Category::TeenPregnancy, 4),
    (Category::Begging, 3),
    (Category::MissingPerson, 2),
    (Category::HumanTrafficking, 1),
];

/// Priorities by category: danger to a person is urgent far more often.
fn priority_weights(category: Category) -> [(Priority, f64); 4] {
    use Priority::*;
    match category {
        Category::FamilyViolence | Category::HumanTrafficking | Category::MissingPerson => {
            [(Urgent, 0.4), (High, 0.4), (Normal, 0.2), (Low, 0.0)]
        }
        Category::Drugs | Category::TeenPregnancy | Category::Homeless => {
            [(Urgent, 0.15), (High, 0.4), (Normal, 0.4), (Low, 0.05)]
        }
        _ => [(Urgent, 0.05), (High, 0.2), (Normal, 0.55), (Low, 0.2)],
    }
}

/// Where grievances of a given age stand: new ones wait, old ones are mostly closed.
fn status_weights(age: Duration) -> &'static [(Status, f64)] {
    use Status::*;
    if age < Duration::hours(2) {
        &[(Submitted, 1.0)]
    } else if age < Duration::days(2) {
        &[
            (Submitted, 0.45),
            (Accepted, 0.2),
            (Assigned, 0.2),
            (InProgress, 0.1),
            (Rejected, 0.05),
        ]
    } else if age < Duration::days(10) {
        &[
            (Submitted, 0.1),
            (Accepted, 0.08),
            (Rejected, 0.06),
            (Assigned, 0.16),
            (InProgress, 0.25),
            (Referred, 0.1),
            (Resolved, 0.18),
            (Closed, 0.07),
        ]
    } else {
        &[
            (Submitted, 0.01),
            (Accepted, 0.01),
            (Rejected, 0.08),
            (Assigned, 0.02),
            (InProgress, 0.04),
            (Referred, 0.04),
            (Resolved, 0.2),
            (Closed, 0.6),
        ]
    }
}

/// One weighted choice from a single draw (weights need not sum to 1).
fn choose<T: Copy>(weights: &[(T, f64)], draw: f64) -> Option<T> {
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    let mut left = draw * total;
    for (item, weight) in weights {
        if left < *weight {
            return Some(*item);
        }
        left -= weight;
    }
    weights.last().map(|(item, _)| *item)
}

/// The actions that take a new grievance to `status`, sometimes by a detour: a
/// reassignment, a referral before resolving, or a reopening after a first resolution.
fn path(status: Status, rng: &mut impl Rng) -> Vec<Action> {
    use Action::*;
    let reopened = rng.gen::<f64>() < 0.04;
    let reassigned = rng.gen::<f64>() < 0.05;
    let started_first = rng.gen::<f64>() < 0.6;
    let via_referral = rng.gen::<f64>() < 0.15;
    let rejected_late = rng.gen::<f64>() < 0.3;
    let mut actions = Vec::new();
    let accept = |actions: &mut Vec<Action>| {
        actions.push(Accept);
        if reopened {
            actions.extend([Assign, Start, Resolve, Reopen]);
        }
    };
    let assign = |actions: &mut Vec<Action>| {
        actions.push(Assign);
        if reassigned {
            actions.push(Assign);
        }
    };
    match status {
        Status::Submitted => {}
        Status::Rejected if rejected_late => actions.extend([Accept, Reject]),
        Status::Rejected => actions.push(Reject),
        Status::Accepted => accept(&mut actions),
        Status::Assigned => {
            accept(&mut actions);
            assign(&mut actions);
        }
        Status::InProgress => {
            accept(&mut actions);
            assign(&mut actions);
            actions.push(Start);
        }
        Status::Referred => {
            accept(&mut actions);
            assign(&mut actions);
            if started_first {
                actions.push(Start);
            }
            actions.push(Refer);
        }
        Status::Duplicate => actions.extend([Accept, MarkDuplicate]),
        Status::Resolved | Status::Closed => {
            accept(&mut actions);
            assign(&mut actions);
            actions.push(Start);
            if via_referral {
                actions.push(Refer);
            }
            actions.push(Resolve);
            if status == Status::Closed {
                actions.push(Close);
            }
        }
    }
    actions
}

/// How long each step typically takes, in seconds (before fitting into the time there was).
fn delay_range(action: Action) -> std::ops::Range<i64> {
    const HOUR: i64 = 3_600;
    const DAY: i64 = 86_400;
    match action {
        Action::Accept => HOUR..2 * DAY,
        Action::Reject => 2 * HOUR..3 * DAY,
        Action::Assign => HOUR / 2..DAY,
        Action::Start => 2 * HOUR..3 * DAY,
        Action::Refer => DAY..5 * DAY,
        Action::Resolve => DAY..10 * DAY,
        Action::Close => DAY..7 * DAY,
        Action::Reopen => 2 * DAY..10 * DAY,
        Action::MarkDuplicate => HOUR..2 * DAY,
        Action::SetPriority => HOUR / 2..DAY,
    }
}

/// A 13-digit Thai national ID with a valid check digit (first digit 1 to 8, as issued).
pub fn national_id(rng: &mut impl Rng) -> String {
    let mut digits = [0u32; 12];
    digits[0] = rng.gen_range(1..=8);
    for digit in &mut digits[1..] {
        *digit = rng.gen_range(0..10);
    }
    let first12: String = digits.iter().map(|d| char::from(b'0' + *d as u8)).collect();
    let check = ThaiNationalId::check_digit(&first12).expect("twelve digits have a check digit");
    format!("{first12}{check}")
}

pub struct GrievanceMaker<'a> {
    world: &'a World,
    calendar: &'a Calendar,
    authors: &'a Authors,
    register: Register,
    cipher: &'a PiiCipher,
    categories: WeightedIndex<u32>,
    sla: SlaPolicy,
    made: usize,
    /// The last grievance made that is not a duplicate: what a duplicate points at.
    parent: Option<String>,
    rng: StdRng,
}

/// The grievance a history is made for.
struct Case<'a> {
    id: &'a str,
    /// Index into `World::people`.
    reporter: usize,
    category: Category,
    priority: Priority,
    created_at: NaiveDateTime,
}

/// What a grievance's history leaves on it.
struct History {
    events: Vec<EventRecord>,
    updated_at: NaiveDateTime,
    /// What the workflow left on the grievance.
    tracking: Tracking,
    /// The assignee as an index into `World::people`, to pick who acts next.
    assignee: Option<usize>,
}

/// What the complainant's columns hold.
#[derive(Default)]
struct Complainant {
    name: Option<String>,
    consent: Option<bool>,
    phone: Option<(String, String, String)>,
    national_id: Option<(String, String, String)>,
}

impl<'a> GrievanceMaker<'a> {
    pub fn new(
        world: &'a World,
        calendar: &'a Calendar,
        authors: &'a Authors,
        register: Register,
        cipher: &'a PiiCipher,
        rng: StdRng,
    ) -> anyhow::Result<Self> {
        let categories = WeightedIndex::new(CATEGORY_WEIGHTS.iter().map(|(_, w)| *w))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Self {
            world,
            calendar,
            authors,
            register,
            cipher,
            categories,
            sla: SlaPolicy::default(),
            made: 0,
            parent: None,
            rng,
        })
    }

    pub fn chunk(&mut self, count: usize) -> anyhow::Result<GrievanceChunk> {
        let mut chunk = GrievanceChunk {
            grievances: Vec::with_capacity(count),
            events: Vec::with_capacity(count * 5),
        };
        for _ in 0..count {
            self.grievance(&mut chunk)?;
        }
        Ok(chunk)
    }

    fn grievance(&mut self, chunk: &mut GrievanceChunk) -> anyhow::Result<()> {
        // Each grievance draws from its own generator: its status depends on its age, so
        // on the clock, and a longer history must not shift the grievances after it.
        let rng = &mut StdRng::seed_from_u64(self.rng.gen());
        let now = self.calendar.now();
        let id = uuid(rng);
        let reporter = self.authors.sample(rng);
        let spot = spot(self.world, reporter, rng);
        let mut reported_at = whole_seconds(self.calendar.sample(rng));
        let mut created_at = sync_delay(rng, reported_at, now);
        // A quarter of a volunteer's grievances come from a household it keeps.
        let household_id = self
            .register
            .visited_by(self.world, reporter, rng)
            .filter(|_| rng.gen::<f64>() < 0.25);

        let category = CATEGORY_WEIGHTS[self.categories.sample(rng)].0;
        let priority = choose(&priority_weights(category), rng.gen()).unwrap_or(Priority::Normal);
        let title = *pick(rng, words::grievance_titles(category));
        let detail = *pick(rng, words::GRIEVANCE_DETAILS);
        let request = *pick(rng, words::GRIEVANCE_REQUESTS);
        let kind = if is_bangkok(&spot.area_code) {
            "แขวง"
        } else {
            "ตำบล"
        };
        let description = format!("{title} ที่{kind}{} {detail} {request}", spot.name_th);
        let complainant = complainant(rng, self.cipher)?;

        // The first grievances take every status in turn, so even a small data set
        // shows the whole workflow; the rest follow their age.
        let draw: f64 = rng.gen();
        let status = match Status::ALL.get(self.made) {
            Some(status) => *status,
            None => choose(status_weights(now - created_at), draw).unwrap_or(Status::Submitted),
        };
        self.made += 1;
        // A duplicate needs a grievance before it to point at.
        let status = match (&self.parent, status) {
            (None, Status::Duplicate) => Status::Accepted,
            _ => status,
        };
        // A grievance with a history needs time for it: move a too-recent one back.
        if status != Status::Submitted && now - created_at < Duration::hours(2) {
            reported_at -= Duration::days(2);
            created_at -= Duration::days(2);
        }
        let case = Case {
            id: &id,
            reporter,
            category,
            priority,
            created_at,
        };
        let history = self.history(rng, &case, status)?;
        let tracking = history.tracking;

        let mut groups = words::grievance_groups(category).to_vec();
        groups.sort();
        let content_hash = hex_digest(&[&id, &reported_at.to_string(), title, &description]);
        let (phone_cipher, phone_hash, phone_last4) = split(complainant.phone);
        let (national_id_cipher, national_id_hash, national_id_last4) =
            split(complainant.national_id);
        let people = &self.world.people;
        chunk.grievances.push(GrievanceRow {
            reporter_id: people[reporter].id.clone(),
            reported_at,
            created_at,
            updated_at: history.updated_at,
            lat: spot.point.lat,
            lon: spot.point.lon,
            accuracy_m: spot.accuracy_m,
            declared_area_code: Some(spot.area_code.clone()),
            province_code: spot.province_code(),
            district_code: spot.district_code(),
            area_code: spot.area_code,
            category,
            priority,
            title: title.to_owned(),
            description,
            target_groups: serde_json::to_string(&groups).unwrap_or_else(|_| "[]".into()),
            visit_id: None,
            complainant_name: complainant.name,
            complainant_consent: complainant.consent,
            phone_cipher,
            phone_hash,
            phone_last4,
            national_id_cipher,
            national_id_hash,
            national_id_last4,
            status: tracking.status,
            version: history.events.len() as i64,
            assignee_id: tracking.assignee_id,
            referred_to: tracking.referred_to,
            due_at: tracking.due_at,
            resolved_at: tracking.resolved_at,
            reopen_count: tracking.reopen_count,
            // Already past due: announcing them all would flood a webhook receiver.
            overdue_notified: tracking.status.is_open() && tracking.due_at < now,
            content_hash,
            anonymised_at: None,
            duplicate_of: tracking.duplicate_of,
            photos_expected: 0,
            photos_received: 0,
            flags: String::new(),
            id: GrievanceId::unchecked(id.clone()),
            household_id,
        });
        if tracking.status != Status::Duplicate {
            self.parent = Some(id);
        }
        chunk.events.extend(history.events);
        Ok(())
    }

    /// The events that take a new grievance to `status`, with plausible actors and
    /// times between its filing and now, and what they leave on the grievance.
    fn history(&self, rng: &mut impl Rng, case: &Case, status: Status) -> anyhow::Result<History> {
        let people = &self.world.people;
        let reporter = &people[case.reporter];
        let province = &self.world.provinces[reporter.province];
        // Supervisors assign to the officials of the district, or take it on themselves.
        let officials = &province.districts[reporter.district].officials;
        let candidates = if officials.is_empty() {
            std::slice::from_ref(&province.supervisor)
        } else {
            officials.as_slice()
        };

        let actions = path(status, rng);
        let mut delays: Vec<i64> = actions
            .iter()
            .map(|action| rng.gen_range(delay_range(*action)))
            .collect();
        // Squeeze the history into the time between filing and a minute ago.
        let room = (self.calendar.now() - case.created_at).num_seconds() - 60;
        let total: i64 = delays.iter().sum();
        if total > room && total > 0 {
            let factor = room.max(0) as f64 / total as f64;
            delays
                .iter_mut()
                .for_each(|d| *d = (*d as f64 * factor) as i64);
        }

        let mut history = History {
            events: vec![EventRecord {
                id: uuid(rng),
                grievance_id: case.id.to_owned(),
                action: "create",
                from_status: None,
                to_status: Status::Submitted.as_str(),
                actor_id: reporter.id.to_string(),
                note: None,
                at: case.created_at,
                elapsed_seconds: 0,
            }],
            updated_at: case.created_at,
            tracking: Tracking {
                id: GrievanceId::unchecked(case.id.to_owned()),
                status: Status::Submitted,
                priority: case.priority,
                assignee_id: None,
                referred_to: None,
                due_at: self.due(case.created_at, case.priority),
                resolved_at: None,
                reopen_count: 0,
                overdue_notified: false,
                duplicate_of: None,
            },
            assignee: None,
        };
        for (action, delay) in actions.into_iter().zip(delays) {
            // Strictly after the previous event, so the history sorts the same everywhere.
            let at = (history.updated_at + Duration::seconds(delay))
                .max(history.updated_at + Duration::seconds(1));
            let note: Option<String> = match action {
                Action::Reject => Some(pick(rng, words::REJECT_NOTES).to_string()),
                Action::Assign if rng.gen::<f64>() < 0.5 => {
                    Some(pick(rng, words::ASSIGN_NOTES).to_string())
                }
                Action::Refer => Some(pick(rng, words::REFER_NOTES).to_string()),
                Action::Resolve => Some(pick(rng, words::RESOLVE_NOTES).to_string()),
                Action::Reopen => Some(pick(rng, words::REOPEN_NOTES).to_string()),
                _ => None,
            };
            let by_assignee = rng.gen::<f64>() < 0.85;
            let actor = match action {
                Action::Start => history.assignee,
                Action::Refer | Action::Resolve if by_assignee => history.assignee,
                _ => None,
            }
            .unwrap_or(province.supervisor);
            let new_assignee = (action == Action::Assign).then(|| *pick(rng, candidates));
            let agency = (action == Action::Refer)
                .then(|| *pick(rng, words::referral_agencies(case.category)));
            let assignee_id = new_assignee.map(|index| people[index].id.as_str());
            // The same rules and effects as the API: a bug here fails loudly instead of
            // writing a history the server itself would never produce.
            let tracking = workflow::apply(
                &history.tracking,
                Actor {
                    role: people[actor].role,
                    is_assignee: history.assignee == Some(actor),
                },
                &TransitionRequest {
                    action,
                    note: note.as_deref(),
                    assignee_id,
                    referred_to: agency,
                    duplicate_of: (action == Action::MarkDuplicate)
                        .then_some(self.parent.as_deref())
                        .flatten(),
                    priority: None,
                },
                at,
                &self.sla,
            )
            .map_err(|e| anyhow::anyhow!("demo grievance history: {e}"))?;
            if new_assignee.is_some() {
                history.assignee = new_assignee;
            }
            history.events.push(EventRecord {
                id: uuid(rng),
                grievance_id: case.id.to_owned(),
                action: action.as_str(),
                from_status: Some(history.tracking.status.as_str()),
                to_status: tracking.status.as_str(),
                actor_id: people[actor].id.to_string(),
                note,
                at,
                elapsed_seconds: (at - case.created_at).num_seconds(),
            });
            history.tracking = tracking;
            history.updated_at = at;
        }
        Ok(history)
    }

    fn due(&self, from: NaiveDateTime, priority: Priority) -> NaiveDateTime {
        self.sla.due_at(from.and_utc(), priority).naive_utc()
    }
}

/// Personal data protected exactly as filing through the API does: encrypted,
/// with a keyed lookup hash and the last four digits.
fn complainant(rng: &mut impl Rng, cipher: &PiiCipher) -> anyhow::Result<Complainant> {
    let kind = rng.gen::<f64>();
    if kind >= 0.7 {
        return Ok(Complainant::default());
    }
    if kind >= 0.6 {
        // Met the volunteer but did not agree to have personal data recorded.
        return Ok(Complainant {
            consent: Some(false),
            ..Complainant::default()
        });
    }
    let (name, woman) = thai_name(rng);
    let title = if !woman {
        "นาย"
    } else if rng.gen::<f64>() < 0.6 {
        "นาง"
    } else {
        "นางสาว"
    };
    let phone = (rng.gen::<f64>() < 0.85).then(|| mobile_phone(rng));
    let national = (rng.gen::<f64>() < 0.5).then(|| national_id(rng));
    let phone = match phone {
        Some(raw) => {
            let phone = PhoneE164::parse(&raw).map_err(|e| anyhow::anyhow!("{raw}: {e}"))?;
            Some((
                cipher.encrypt(phone.as_str())?,
                cipher.lookup_hash(phone.as_str()),
                phone.last4().to_owned(),
            ))
        }
        None => None,
    };
    let national_id = match national {
        Some(raw) => {
            let id = ThaiNationalId::parse(&raw).map_err(|e| anyhow::anyhow!("{e}"))?;
            let sealed = cipher.protect_national_id(&id)?;
            Some((sealed.ciphertext, sealed.lookup_hash, sealed.last4))
        }
        None => None,
    };
    Ok(Complainant {
        name: Some(format!("{title}{name}")),
        consent: Some(true),
        phone,
        national_id,
    })
}

type Sealed = (Option<String>, Option<String>, Option<String>);

fn split(sealed: Option<(String, String, String)>) -> Sealed {
    match sealed {
        Some((cipher, hash, last4)) => (Some(cipher), Some(hash), Some(last4)),
        None => (None, None, None),
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn national_ids_have_valid_check_digits() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..1_000 {
            let id = national_id(&mut rng);
            assert!(ThaiNationalId::parse(&id).is_ok(), "{id}");
        }
    }

    /// Every path follows the API's transition table and ends in its status.
    #[test]
    fn paths_lead_to_their_status() {
        let mut rng = StdRng::seed_from_u64(2);
        for status in Status::ALL {
            for _ in 0..200 {
                let mut current = Status::Submitted;
                for action in path(status, &mut rng) {
                    assert!(
                        action.allowed_from().contains(&current),
                        "{status}: {action}"
                    );
                    current = action.target(current);
                }
                assert_eq!(current, status);
            }
        }
    }

    #[test]
    fn weighted_choice_follows_the_weights() {
        let weights = [("a", 0.2), ("b", 0.0), ("c", 0.8)];
        assert_eq!(choose(&weights, 0.0), Some("a"));
        assert_eq!(choose(&weights, 0.5), Some("c"));
        assert_eq!(choose(&weights, 0.999_999), Some("c"));
        assert_eq!(choose::<&str>(&[], 0.5), None);
    }
}

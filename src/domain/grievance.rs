//! The vocabulary of grievances: where one is in its life, what can be done to it,
//! what it is about and how urgent it is. The rules over them live in
//! `grievances::workflow` and `grievances::sla`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Role;

/// Where a grievance is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Submitted,
    Accepted,
    Rejected,
    Assigned,
    InProgress,
    Referred,
    Resolved,
    Closed,
    /// Marked as a duplicate of another grievance (`duplicate_of`): closed for work, its
    /// outcome is its parent's.
    Duplicate,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Submitted,
        Status::Accepted,
        Status::Rejected,
        Status::Assigned,
        Status::InProgress,
        Status::Referred,
        Status::Resolved,
        Status::Closed,
        Status::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Assigned => "assigned",
            Self::InProgress => "in_progress",
            Self::Referred => "referred",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
            Self::Duplicate => "duplicate",
        }
    }

    /// Still needs work: neither resolved, closed, rejected nor a duplicate.
    pub fn is_open(self) -> bool {
        !self.is_terminal_for_sla()
    }

    /// Resolved, closed, rejected or a duplicate: the SLA clock stops, so such a
    /// grievance is never overdue.
    pub fn is_terminal_for_sla(self) -> bool {
        matches!(
            self,
            Self::Resolved | Self::Closed | Self::Rejected | Self::Duplicate
        )
    }
}

/// What a user asks to do with a grievance (`POST .../transitions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    Reject,
    Assign,
    Start,
    Refer,
    Resolve,
    Close,
    Reopen,
    /// Closes a grievance as a duplicate of another (`duplicate_of`).
    MarkDuplicate,
    /// Changes an open grievance's priority (`priority`), and with it its deadline; the
    /// status stays.
    SetPriority,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::Accept,
        Action::Reject,
        Action::Assign,
        Action::Start,
        Action::Refer,
        Action::Resolve,
        Action::Close,
        Action::Reopen,
        Action::MarkDuplicate,
        Action::SetPriority,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Reject => "reject",
            Self::Assign => "assign",
            Self::Start => "start",
            Self::Refer => "refer",
            Self::Resolve => "resolve",
            Self::Close => "close",
            Self::Reopen => "reopen",
            Self::MarkDuplicate => "mark_duplicate",
            Self::SetPriority => "set_priority",
        }
    }
}

/// The user acting on a grievance, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Actor {
    pub role: Role,
    /// Whether the user is the grievance's current assignee.
    pub is_assignee: bool,
}

string_enum! {
    /// What the grievance is about: the 1300 hotline's issues plus what field staff meet most.
    Category {
        FamilyViolence => "family_violence",
        TeenPregnancy => "teen_pregnancy",
        HumanTrafficking => "human_trafficking",
        Drugs => "drugs",
        Homeless => "homeless",
        Begging => "begging",
        ChildrenYouth => "children_youth",
        MissingPerson => "missing_person",
        Elderly => "elderly",
        Disability => "disability",
        Poverty => "poverty",
        Housing => "housing",
        Debt => "debt",
        Other => "other",
    }
}

/// How urgently a grievance needs an answer; sets its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Urgent,
    High,
    Normal,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Urgent,
        Priority::High,
        Priority::Normal,
        Priority::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Urgent => "urgent",
            Self::High => "high",
            Self::Normal => "normal",
            Self::Low => "low",
        }
    }
}

string_enum! {
    /// Where an open grievance stands against its deadline: past it, within a day of it,
    /// or further off. Closed grievances are in none of them.
    Due {
        Overdue => "overdue",
        DueSoon => "due_soon",
        OnTime => "on_time",
    }
}

impl Due {
    /// How close a deadline counts as "due soon".
    pub const SOON_HOURS: i64 = 24;
}

named_by_as_str!(Status, "status", &Status::ALL);
named_by_as_str!(Action, "action", &Action::ALL);
named_by_as_str!(Priority, "priority", &Priority::ALL);

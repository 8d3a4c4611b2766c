//! The grievance state machine: which action moves a grievance from which
//! status to which, and who may take it.
//!
//! Pure rules, no I/O: `grievances::service` loads the grievance, asks the policy for
//! the [`Actor`] and calls [`apply`], which decides ([`decide`]) and returns every change
//! the transition makes ([`Tracking`]); the error says which HTTP answer to give (403,
//! 409 or 422) and carries what the response needs. The demo's histories are built with
//! the same two functions.

use chrono::NaiveDateTime;

use super::agency::parse_referral;
use super::sla::SlaPolicy;
use crate::domain::Priority;
use crate::domain::{Action, Actor, FieldCode, GrievanceId, Labelled, Message, Status, UserId};

impl Action {
    /// The statuses this action may be taken from.
    pub fn allowed_from(self) -> &'static [Status] {
        self.rule().from
    }

    /// The status this action leads to from `current`.
    pub fn target(self, current: Status) -> Status {
        self.rule().to.unwrap_or(current)
    }

    fn rule(self) -> Rule {
        use Status::*;
        // One row per action, as in the API's transition table.
        match self {
            Self::Accept => Rule::new(&[Submitted], Accepted, Who::Supervisor),
            Self::Reject => {
                Rule::new(&[Submitted, Accepted], Rejected, Who::Supervisor).needs(&[Field::Note])
            }
            Self::Assign => Rule::new(&[Accepted, Assigned, InProgress], Assigned, Who::Supervisor)
                .needs(&[Field::AssigneeId]),
            Self::Start => Rule::new(&[Assigned], InProgress, Who::Assignee),
            Self::Refer => Rule::new(&[Assigned, InProgress], Referred, Who::AssigneeOrSupervisor)
                .needs(&[Field::ReferredTo, Field::Note]),
            Self::Resolve => {
                Rule::new(&[InProgress, Referred], Resolved, Who::AssigneeOrSupervisor)
                    .needs(&[Field::Note])
            }
            Self::Close => Rule::new(&[Resolved], Closed, Who::Supervisor),
            Self::Reopen => Rule::new(
                &[Resolved, Closed, Rejected, Duplicate],
                Accepted,
                Who::Supervisor,
            )
            .needs(&[Field::Note]),
            Self::MarkDuplicate => {
                Rule::new(&[Submitted, Accepted, Assigned], Duplicate, Who::Supervisor)
                    .needs(&[Field::DuplicateOf])
            }
            Self::SetPriority => Rule::staying(
                &[Submitted, Accepted, Assigned, InProgress, Referred],
                Who::Supervisor,
            )
            .needs(&[Field::Priority]),
        }
    }
}

/// The body of a transition request, borrowed from the parsed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionRequest<'a> {
    pub action: Action,
    pub note: Option<&'a str>,
    pub assignee_id: Option<&'a str>,
    pub referred_to: Option<&'a str>,
    pub duplicate_of: Option<&'a str>,
    /// With `set_priority`: the new priority's name.
    pub priority: Option<&'a str>,
}

impl<'a> TransitionRequest<'a> {
    /// A request with no inputs besides the action.
    pub fn new(action: Action) -> Self {
        Self {
            action,
            note: None,
            assignee_id: None,
            referred_to: None,
            duplicate_of: None,
            priority: None,
        }
    }
}

/// Why a transition was refused. Each variant maps to one API answer:
/// `Forbidden` to 403, `InvalidTransition` to 409 `invalid_transition`,
/// `MissingField` to 422 with `field` as the error's path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("{}", forbidden_message(*.action))]
    Forbidden { action: Action },
    #[error("{}", invalid_transition_message(*.from, *.action, .allowed))]
    InvalidTransition {
        from: Status,
        action: Action,
        /// What this actor may do from `from` instead, in [`Action::ALL`] order.
        allowed: Vec<Action>,
    },
    #[error("{field}: {}", message.en)]
    MissingField {
        field: &'static str,
        message: Message,
    },
    /// An input the action uses is present but not acceptable.
    #[error("{field}: {}", message.en)]
    InvalidField {
        field: &'static str,
        code: FieldCode,
        message: Message,
    },
}

impl WorkflowError {
    /// The API's stable error code for this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Forbidden { .. } => "forbidden",
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::MissingField { .. } | Self::InvalidField { .. } => "validation_failed",
        }
    }
}

fn forbidden_message(action: Action) -> String {
    let who = match action.rule().who {
        Who::Supervisor => "a supervisor or an admin",
        Who::Assignee => "the grievance's assignee",
        Who::AssigneeOrSupervisor => "the grievance's assignee, a supervisor or an admin",
    };
    format!("only {who} may {action} a grievance")
}

impl WorkflowError {
    /// What a person is told, in Thai and English.
    pub fn message(&self) -> Message {
        match self {
            Self::Forbidden { action } => {
                let who = match action.rule().who {
                    Who::Supervisor => "หัวหน้างานหรือผู้ดูแลระบบ",
                    Who::Assignee => "ผู้รับผิดชอบเรื่องนี้",
                    Who::AssigneeOrSupervisor => "ผู้รับผิดชอบเรื่องนี้ หัวหน้างาน หรือผู้ดูแลระบบ",
                };
                Message::new(
                    self.to_string(),
                    format!("เฉพาะ{who}เท่านั้นที่{}ได้", action.label().th),
                )
            }
            Self::InvalidTransition {
                from,
                action,
                allowed,
            } => {
                let allowed = if allowed.is_empty() {
                    "ไม่มี".to_owned()
                } else {
                    allowed
                        .iter()
                        .map(|a| a.label().th.into_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                Message::new(
                    self.to_string(),
                    format!(
                        "ไม่สามารถ{}ได้ เนื่องจากเรื่องอยู่ในสถานะ \"{}\" ขั้นตอนที่ทำได้ขณะนี้: {allowed}",
                        action.label().th,
                        from.label().th
                    ),
                )
            }
            Self::MissingField { message, .. } | Self::InvalidField { message, .. } => {
                message.clone()
            }
        }
    }

    /// The field error of a missing or unacceptable input.
    pub fn field_code(&self) -> FieldCode {
        match self {
            Self::MissingField { .. } => FieldCode::Required,
            Self::InvalidField { code, .. } => *code,
            _ => FieldCode::NotAllowedValue,
        }
    }
}

fn invalid_transition_message(from: Status, action: Action, allowed: &[Action]) -> String {
    let allowed = if allowed.is_empty() {
        "none".to_owned()
    } else {
        allowed
            .iter()
            .map(|action| action.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("cannot {action} a grievance that is {from}; actions allowed now: {allowed}")
}

/// Decides whether `actor` may take `request.action` on a grievance in
/// `current`, and if so, the status it moves to.
///
/// Checks run in a fixed order so the answer is predictable: first whether
/// this actor could ever take the action (403), then whether the action fits
/// the current status (409), then the inputs (422). Inputs the action does
/// not use are ignored here.
pub fn decide(
    current: Status,
    actor: Actor,
    request: &TransitionRequest,
) -> Result<Status, WorkflowError> {
    let action = request.action;
    let rule = action.rule();
    if !rule.who.permits(actor) {
        return Err(WorkflowError::Forbidden { action });
    }
    if !rule.from.contains(&current) {
        return Err(WorkflowError::InvalidTransition {
            from: current,
            action,
            allowed: allowed_actions(current, actor),
        });
    }
    for &field in rule.needs {
        let value = match field {
            Field::Note => request.note,
            Field::AssigneeId => request.assignee_id,
            Field::ReferredTo => request.referred_to,
            Field::DuplicateOf => request.duplicate_of,
            Field::Priority => request.priority,
        };
        // Blank counts as missing: a note of spaces explains nothing.
        if value.is_none_or(|value| value.trim().is_empty()) {
            return Err(WorkflowError::MissingField {
                field: field.name(),
                message: field.missing_message(action),
            });
        }
    }
    Ok(rule.to.unwrap_or(current))
}

/// The actions `actor` may take on a grievance in `current`, in
/// [`Action::ALL`] order (what a client may offer as buttons).
pub fn allowed_actions(current: Status, actor: Actor) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|action| {
            let rule = action.rule();
            rule.who.permits(actor) && rule.from.contains(&current)
        })
        .collect()
}

/// The part of a grievance its workflow reads and changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracking {
    /// Read only: a grievance cannot be a duplicate of itself.
    pub id: GrievanceId,
    pub status: Status,
    /// Read only: a reopened grievance's new deadline depends on it.
    pub priority: Priority,
    pub assignee_id: Option<UserId>,
    pub referred_to: Option<String>,
    pub due_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub reopen_count: i64,
    /// Whether the overdue webhook went out for the current deadline.
    pub overdue_notified: bool,
    /// The grievance this one duplicates, while its status is `duplicate`.
    pub duplicate_of: Option<GrievanceId>,
}

/// Decides `request` for `actor` ([`decide`]), checks the inputs the action uses, and
/// returns the grievance's tracking after the transition at `at`: every change a
/// transition makes is made here.
///
/// The assignee's id is only checked to be an id; whether that account may take the
/// grievance needs the database and is the policy's (`policy::may_assign_to`). Likewise
/// `duplicate_of` is checked to be another grievance's id here; whether the caller may see
/// that grievance and whether it is a duplicate itself is `grievances::service`'s.
pub fn apply(
    before: &Tracking,
    actor: Actor,
    request: &TransitionRequest,
    at: NaiveDateTime,
    sla: &SlaPolicy,
) -> Result<Tracking, WorkflowError> {
    let to = decide(before.status, actor, request)?;
    let mut after = Tracking {
        status: to,
        ..before.clone()
    };
    let input = |value: Option<&str>| value.unwrap_or_default().trim().to_owned();
    match request.action {
        Action::Assign => {
            let id = UserId::parse(&input(request.assignee_id)).map_err(|_| {
                WorkflowError::InvalidField {
                    field: Field::AssigneeId.name(),
                    code: FieldCode::NotAllowedValue,
                    message: Message::new("must be a user id", "ต้องเป็นรหัสผู้ใช้ (UUID) ของผู้รับผิดชอบ"),
                }
            })?;
            after.assignee_id = Some(id);
        }
        Action::Refer => {
            let referral = parse_referral(&input(request.referred_to)).map_err(|message| {
                WorkflowError::InvalidField {
                    field: Field::ReferredTo.name(),
                    code: FieldCode::NotAllowedValue,
                    message,
                }
            })?;
            after.referred_to = Some(referral.value);
        }
        Action::Resolve => after.resolved_at = Some(at),
        Action::MarkDuplicate => {
            let field = Field::DuplicateOf.name();
            let parent = GrievanceId::parse(&input(request.duplicate_of)).map_err(|_| {
                WorkflowError::InvalidField {
                    field,
                    code: FieldCode::BadFormat,
                    message: Message::new(
                        "must be a grievance id",
                        "ต้องเป็นรหัส (UUID) ของเรื่องร้องทุกข์",
                    ),
                }
            })?;
            if parent == before.id {
                return Err(WorkflowError::InvalidField {
                    field,
                    code: FieldCode::SelfReference,
                    message: Message::new(
                        "must name another grievance, not this one",
                        "ต้องระบุเรื่องอื่น ไม่ใช่เรื่องนี้เอง",
                    ),
                });
            }
            after.duplicate_of = Some(parent);
        }
        Action::Reopen => {
            // Reopened, a duplicate stands on its own again.
            after.duplicate_of = None;
            after.reopen_count += 1;
            after.resolved_at = None;
            // A reopened grievance gets a fresh deadline from now, and may be announced
            // as overdue again when it passes.
            after.due_at = sla.due_at(at.and_utc(), before.priority).naive_utc();
            after.overdue_notified = false;
        }
        Action::SetPriority => {
            let priority: Priority =
                input(request.priority)
                    .parse()
                    .map_err(|_| WorkflowError::InvalidField {
                        field: Field::Priority.name(),
                        code: FieldCode::NotAllowedValue,
                        message: Message::new(
                            "must be one of urgent, high, normal, low",
                            "ต้องเป็น urgent, high, normal หรือ low",
                        ),
                    })?;
            // The deadline keeps its starting point (the report, or the last reopening)
            // and takes the new priority's allowance from there.
            let started = before.due_at.and_utc() - sla.allowance(before.priority);
            after.priority = priority;
            after.due_at = sla.due_at(started, priority).naive_utc();
            if after.due_at > at {
                after.overdue_notified = false;
            }
        }
        Action::Accept | Action::Reject | Action::Start | Action::Close => {}
    }
    Ok(after)
}

struct Rule {
    from: &'static [Status],
    /// `None`: the status stays.
    to: Option<Status>,
    who: Who,
    needs: &'static [Field],
}

impl Rule {
    const fn new(from: &'static [Status], to: Status, who: Who) -> Self {
        Self {
            from,
            to: Some(to),
            who,
            needs: &[],
        }
    }

    /// A rule that changes the grievance but not its status.
    const fn staying(from: &'static [Status], who: Who) -> Self {
        Self {
            from,
            to: None,
            who,
            needs: &[],
        }
    }

    const fn needs(self, needs: &'static [Field]) -> Self {
        Self { needs, ..self }
    }
}

#[derive(Clone, Copy)]
enum Who {
    Supervisor,
    Assignee,
    AssigneeOrSupervisor,
}

impl Who {
    fn permits(self, actor: Actor) -> bool {
        let supervisor = actor.role.is_supervisor_or_above();
        match self {
            Self::Supervisor => supervisor,
            Self::Assignee => actor.is_assignee,
            Self::AssigneeOrSupervisor => supervisor || actor.is_assignee,
        }
    }
}

#[derive(Clone, Copy)]
enum Field {
    Note,
    AssigneeId,
    ReferredTo,
    DuplicateOf,
    Priority,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::AssigneeId => "assignee_id",
            Self::ReferredTo => "referred_to",
            Self::DuplicateOf => "duplicate_of",
            Self::Priority => "priority",
        }
    }

    fn missing_message(self, action: Action) -> Message {
        let (what, thai) = match self {
            Self::Note => ("a note", "บันทึก"),
            Self::AssigneeId => ("the assignee's id", "ผู้รับผิดชอบ"),
            Self::ReferredTo => ("the agency referred to", "หน่วยงานที่ส่งต่อ"),
            Self::DuplicateOf => ("the grievance it duplicates", "เรื่องที่ซ้ำกัน"),
            Self::Priority => ("the new priority", "ระดับความเร่งด่วนใหม่"),
        };
        Message::new(
            format!("{what} is required to {action} a grievance"),
            format!("ต้องระบุ{thai}เมื่อ{}", action.label().th),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    /// The API's transition table, transcribed separately from `Action::rule`
    /// so that the exhaustive test compares two independent statements of it.
    const TABLE: &str = "
        accept  | submitted                      | accepted    | supervisor
        reject  | submitted accepted             | rejected    | supervisor
        assign  | accepted assigned in_progress  | assigned    | supervisor
        start   | assigned                       | in_progress | assignee
        refer   | assigned in_progress           | referred    | assignee supervisor
        resolve | in_progress referred           | resolved    | assignee supervisor
        close   | resolved                       | closed      | supervisor
        reopen  | resolved closed rejected duplicate | accepted | supervisor
        mark_duplicate | submitted accepted assigned | duplicate | supervisor
        set_priority | submitted accepted assigned in_progress referred | (unchanged) | supervisor
    ";

    struct Row {
        action: &'static str,
        from: Vec<&'static str>,
        to: &'static str,
        who: Vec<&'static str>,
    }

    fn table() -> Vec<Row> {
        TABLE
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                Row {
                    action: cells[0],
                    from: cells[1].split_whitespace().collect(),
                    to: cells[2],
                    who: cells[3].split_whitespace().collect(),
                }
            })
            .collect()
    }

    fn may(row: &Row, role: &str, is_assignee: bool) -> bool {
        row.who.iter().any(|who| match *who {
            "supervisor" => role == "supervisor" || role == "admin",
            "assignee" => is_assignee,
            other => panic!("unknown performer {other}"),
        })
    }

    fn full_request(action: Action) -> TransitionRequest<'static> {
        TransitionRequest {
            action,
            note: Some("checked on site"),
            assignee_id: Some("5b0c8f9e-2f0e-4d4c-9d8e-0a4c6b1f2e3d"),
            referred_to: Some("ผส."),
            duplicate_of: Some("0b6d3c1e-7f2a-4e8b-9c5d-1a2b3c4d5e6f"),
            priority: Some("urgent"),
        }
    }

    #[test]
    fn every_action_status_and_actor_matches_the_table() {
        let rows = table();
        assert_eq!(rows.len(), 10);
        let mut cases = 0;
        for role_name in ["volunteer", "official", "supervisor", "admin"] {
            let role: Role = role_name.parse().unwrap();
            for is_assignee in [false, true] {
                let actor = Actor { role, is_assignee };
                for status in Status::ALL {
                    let expected_allowed: Vec<&str> = rows
                        .iter()
                        .filter(|row| {
                            may(row, role_name, is_assignee) && row.from.contains(&status.as_str())
                        })
                        .map(|row| row.action)
                        .collect();
                    for row in &rows {
                        let action: Action = row.action.parse().unwrap();
                        let got = decide(status, actor, &full_request(action));
                        let context =
                            format!("{role_name} assignee={is_assignee} {status} {action}");
                        if !may(row, role_name, is_assignee) {
                            assert_eq!(got, Err(WorkflowError::Forbidden { action }), "{context}");
                        } else if !row.from.contains(&status.as_str()) {
                            let Err(WorkflowError::InvalidTransition {
                                from,
                                action: refused,
                                allowed,
                            }) = got
                            else {
                                panic!("{context}: expected invalid_transition, got {got:?}");
                            };
                            assert_eq!((from, refused), (status, action), "{context}");
                            let allowed: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
                            assert_eq!(allowed, expected_allowed, "{context}");
                        } else {
                            let to = if row.to == "(unchanged)" {
                                status.as_str()
                            } else {
                                row.to
                            };
                            assert_eq!(got.map(Status::as_str), Ok(to), "{context}");
                        }
                        cases += 1;
                    }
                    let allowed: Vec<&str> = allowed_actions(status, actor)
                        .into_iter()
                        .map(Action::as_str)
                        .collect();
                    assert_eq!(
                        allowed, expected_allowed,
                        "{role_name} {is_assignee} {status}"
                    );
                }
            }
        }
        assert_eq!(cases, 720);
    }

    #[test]
    fn volunteers_and_officials_who_are_not_the_assignee_may_do_nothing() {
        for role in [Role::Volunteer, Role::Official] {
            let actor = Actor {
                role,
                is_assignee: false,
            };
            for status in Status::ALL {
                assert!(allowed_actions(status, actor).is_empty());
                for action in Action::ALL {
                    assert_eq!(
                        decide(status, actor, &full_request(action)),
                        Err(WorkflowError::Forbidden { action })
                    );
                }
            }
        }
    }

    #[test]
    fn required_fields_are_enforced() {
        let supervisor = Actor {
            role: Role::Supervisor,
            is_assignee: true,
        };
        let cases = [
            (Action::Reject, Status::Submitted, "note"),
            (Action::Assign, Status::Accepted, "assignee_id"),
            (Action::Refer, Status::InProgress, "referred_to"),
            (Action::Resolve, Status::Referred, "note"),
            (Action::Reopen, Status::Closed, "note"),
        ];
        for (action, from, field) in cases {
            let error = decide(from, supervisor, &TransitionRequest::new(action)).unwrap_err();
            let WorkflowError::MissingField {
                field: got,
                ref message,
            } = error
            else {
                panic!("{action}: expected a missing field, got {error:?}");
            };
            assert_eq!(got, field, "{action}");
            assert!(message.en.contains(action.as_str()), "{message:?}");
            assert!(message.th.contains(&*action.label().th), "{message:?}");
            assert_eq!(error.code(), "validation_failed");
        }
    }

    #[test]
    fn blank_inputs_count_as_missing() {
        let supervisor = Actor {
            role: Role::Admin,
            is_assignee: false,
        };
        for blank in ["", "   ", "\n\t", "\u{3000}"] {
            let request = TransitionRequest {
                note: Some(blank),
                ..TransitionRequest::new(Action::Reject)
            };
            assert!(matches!(
                decide(Status::Submitted, supervisor, &request),
                Err(WorkflowError::MissingField { field: "note", .. })
            ));
            let request = TransitionRequest {
                assignee_id: Some(blank),
                ..TransitionRequest::new(Action::Assign)
            };
            assert!(matches!(
                decide(Status::Accepted, supervisor, &request),
                Err(WorkflowError::MissingField {
                    field: "assignee_id",
                    ..
                })
            ));
        }
    }

    #[test]
    fn refer_needs_both_the_agency_and_a_note() {
        let assignee = Actor {
            role: Role::Official,
            is_assignee: true,
        };
        let only_agency = TransitionRequest {
            referred_to: Some("พก."),
            ..TransitionRequest::new(Action::Refer)
        };
        assert!(matches!(
            decide(Status::Assigned, assignee, &only_agency),
            Err(WorkflowError::MissingField { field: "note", .. })
        ));
        let only_note = TransitionRequest {
            note: Some("needs a wheelchair"),
            ..TransitionRequest::new(Action::Refer)
        };
        assert!(matches!(
            decide(Status::Assigned, assignee, &only_note),
            Err(WorkflowError::MissingField {
                field: "referred_to",
                ..
            })
        ));
        let both = TransitionRequest {
            note: Some("needs a wheelchair"),
            ..only_agency
        };
        assert_eq!(
            decide(Status::Assigned, assignee, &both),
            Ok(Status::Referred)
        );
    }

    #[test]
    fn actions_without_required_inputs_need_none_and_ignore_extras() {
        let supervisor = Actor {
            role: Role::Supervisor,
            is_assignee: false,
        };
        assert_eq!(
            decide(
                Status::Submitted,
                supervisor,
                &TransitionRequest::new(Action::Accept)
            ),
            Ok(Status::Accepted)
        );
        assert_eq!(
            decide(
                Status::Resolved,
                supervisor,
                &TransitionRequest::new(Action::Close)
            ),
            Ok(Status::Closed)
        );
        let assignee = Actor {
            role: Role::Volunteer,
            is_assignee: true,
        };
        assert_eq!(
            decide(Status::Assigned, assignee, &full_request(Action::Start)),
            Ok(Status::InProgress)
        );
    }

    #[test]
    fn forbidden_comes_before_invalid_transition_and_missing_fields() {
        let official = Actor {
            role: Role::Official,
            is_assignee: false,
        };
        // Wrong status and no note, yet the answer is about the role.
        assert_eq!(
            decide(
                Status::Closed,
                official,
                &TransitionRequest::new(Action::Reject)
            ),
            Err(WorkflowError::Forbidden {
                action: Action::Reject
            })
        );
        // A supervisor who is not the assignee may never start, whatever the status.
        let supervisor = Actor {
            role: Role::Supervisor,
            is_assignee: false,
        };
        let error = decide(
            Status::Assigned,
            supervisor,
            &TransitionRequest::new(Action::Start),
        )
        .unwrap_err();
        assert_eq!(
            error,
            WorkflowError::Forbidden {
                action: Action::Start
            }
        );
        assert_eq!(error.code(), "forbidden");
        assert_eq!(
            error.to_string(),
            "only the grievance's assignee may start a grievance"
        );
    }

    #[test]
    fn invalid_transition_comes_before_missing_fields() {
        let admin = Actor {
            role: Role::Admin,
            is_assignee: false,
        };
        let error = decide(
            Status::Closed,
            admin,
            &TransitionRequest::new(Action::Reject),
        )
        .unwrap_err();
        assert_eq!(
            error,
            WorkflowError::InvalidTransition {
                from: Status::Closed,
                action: Action::Reject,
                allowed: vec![Action::Reopen],
            }
        );
        assert_eq!(error.code(), "invalid_transition");
        assert_eq!(
            error.to_string(),
            "cannot reject a grievance that is closed; actions allowed now: reopen"
        );
    }

    #[test]
    fn invalid_transition_message_says_when_nothing_is_allowed() {
        let assignee = Actor {
            role: Role::Volunteer,
            is_assignee: true,
        };
        let error = decide(Status::Resolved, assignee, &full_request(Action::Resolve)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot resolve a grievance that is resolved; actions allowed now: none"
        );
    }

    #[test]
    fn missing_field_message_names_the_field() {
        let admin = Actor {
            role: Role::Admin,
            is_assignee: false,
        };
        let error = decide(
            Status::Accepted,
            admin,
            &TransitionRequest::new(Action::Assign),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "assignee_id: the assignee's id is required to assign a grievance"
        );
    }

    #[test]
    fn allowed_from_and_target_describe_the_table() {
        assert_eq!(
            Action::Reopen.allowed_from(),
            [
                Status::Resolved,
                Status::Closed,
                Status::Rejected,
                Status::Duplicate
            ]
        );
        assert_eq!(Action::Reopen.target(Status::Closed), Status::Accepted);
        assert_eq!(
            Action::SetPriority.target(Status::Referred),
            Status::Referred
        );
        for row in table() {
            let action: Action = row.action.parse().unwrap();
            let from: Vec<&str> = action.allowed_from().iter().map(|s| s.as_str()).collect();
            assert_eq!(from, row.from, "{action}");
            let from_status = action.allowed_from()[0];
            let to = if row.to == "(unchanged)" {
                from_status.as_str()
            } else {
                row.to
            };
            assert_eq!(action.target(from_status).as_str(), to, "{action}");
        }
    }

    #[test]
    fn open_and_sla_terminal_statuses_partition_all_statuses() {
        let terminal: Vec<Status> = Status::ALL
            .into_iter()
            .filter(|status| status.is_terminal_for_sla())
            .collect();
        assert_eq!(
            terminal,
            [
                Status::Rejected,
                Status::Resolved,
                Status::Closed,
                Status::Duplicate
            ]
        );
        for status in Status::ALL {
            assert_ne!(status.is_open(), status.is_terminal_for_sla(), "{status}");
        }
    }

    #[test]
    fn names_round_trip_through_from_str_display_and_serde() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
            assert_eq!(status.to_string(), status.as_str());
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
        for action in Action::ALL {
            assert_eq!(action.as_str().parse::<Action>(), Ok(action));
            assert_eq!(action.to_string(), action.as_str());
            assert_eq!(
                serde_json::from_value::<Action>(serde_json::json!(action.as_str())).unwrap(),
                action
            );
        }
        for bad in ["", "InProgress", "in-progress", " submitted", "Submitted"] {
            assert!(bad.parse::<Status>().is_err(), "{bad}");
        }
        for bad in ["", "Accept", "approve", "reopen "] {
            assert!(bad.parse::<Action>().is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Status>("\"InProgress\"").is_err());
    }

    #[test]
    fn apply_makes_every_change_of_a_transition() {
        let sla = SlaPolicy::default();
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let supervisor = Actor {
            role: Role::Supervisor,
            is_assignee: false,
        };
        let before = Tracking {
            id: GrievanceId::parse("7e1d2c3b-4a59-4687-8695-a4b3c2d1e0f9").unwrap(),
            status: Status::Resolved,
            priority: Priority::Urgent,
            assignee_id: Some(UserId::parse("5b0c8f9e-2f0e-4d4c-9d8e-0a4c6b1f2e3d").unwrap()),
            referred_to: Some("ผส.".into()),
            due_at: at - chrono::Duration::days(1),
            resolved_at: Some(at - chrono::Duration::hours(1)),
            reopen_count: 2,
            overdue_notified: true,
            duplicate_of: None,
        };
        let reopened = apply(&before, supervisor, &full_request(Action::Reopen), at, &sla).unwrap();
        assert_eq!(
            reopened,
            Tracking {
                status: Status::Accepted,
                due_at: sla.due_at(at.and_utc(), Priority::Urgent).naive_utc(),
                resolved_at: None,
                reopen_count: 3,
                overdue_notified: false,
                ..before.clone()
            }
        );

        let assign = TransitionRequest {
            assignee_id: Some(" 5B0C8F9E2F0E4D4C9D8E0A4C6B1F2E3E "),
            ..TransitionRequest::new(Action::Assign)
        };
        let assigned = apply(&reopened, supervisor, &assign, at, &sla).unwrap();
        assert_eq!(
            assigned.assignee_id.as_ref().map(UserId::as_str),
            Some("5b0c8f9e-2f0e-4d4c-9d8e-0a4c6b1f2e3e")
        );
        assert_eq!(
            Tracking {
                assignee_id: None,
                ..assigned.clone()
            },
            Tracking {
                status: Status::Assigned,
                assignee_id: None,
                ..reopened.clone()
            }
        );

        let refer = TransitionRequest {
            referred_to: Some(" ผส "),
            ..full_request(Action::Refer)
        };
        let referred = apply(&assigned, supervisor, &refer, at, &sla).unwrap();
        assert_eq!(referred.referred_to.as_deref(), Some("ผส."));
        let resolved = apply(
            &referred,
            supervisor,
            &full_request(Action::Resolve),
            at,
            &sla,
        );
        assert_eq!(resolved.unwrap().resolved_at, Some(at));

        let accepted = Tracking {
            status: Status::Submitted,
            ..before.clone()
        };
        let after = apply(
            &accepted,
            supervisor,
            &full_request(Action::Accept),
            at,
            &sla,
        );
        assert_eq!(
            after.unwrap(),
            Tracking {
                status: Status::Accepted,
                ..accepted
            }
        );
    }

    #[test]
    fn apply_refuses_inputs_that_are_present_but_wrong() {
        let sla = SlaPolicy::default();
        let supervisor = Actor {
            role: Role::Admin,
            is_assignee: false,
        };
        let tracking = |status| Tracking {
            id: GrievanceId::random(),
            status,
            priority: Priority::Normal,
            assignee_id: None,
            referred_to: None,
            due_at: NaiveDateTime::default(),
            resolved_at: None,
            reopen_count: 0,
            overdue_notified: false,
            duplicate_of: None,
        };
        let assign = TransitionRequest {
            assignee_id: Some("somchai"),
            ..TransitionRequest::new(Action::Assign)
        };
        let error = apply(
            &tracking(Status::Accepted),
            supervisor,
            &assign,
            NaiveDateTime::default(),
            &sla,
        )
        .unwrap_err();
        assert_eq!(
            error,
            WorkflowError::InvalidField {
                field: "assignee_id",
                code: FieldCode::NotAllowedValue,
                message: Message::new("must be a user id", "ต้องเป็นรหัสผู้ใช้ (UUID) ของผู้รับผิดชอบ")
            }
        );
        let refer = TransitionRequest {
            referred_to: Some("x"),
            ..full_request(Action::Refer)
        };
        let error = apply(
            &tracking(Status::InProgress),
            supervisor,
            &refer,
            NaiveDateTime::default(),
            &sla,
        )
        .unwrap_err();
        assert!(
            matches!(
                error,
                WorkflowError::InvalidField {
                    field: "referred_to",
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!(error.code(), "validation_failed");
    }

    #[test]
    fn mark_duplicate_names_another_grievance_and_reopen_forgets_it() {
        let sla = SlaPolicy::default();
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let admin = Actor {
            role: Role::Admin,
            is_assignee: false,
        };
        let before = Tracking {
            id: GrievanceId::parse("7e1d2c3b-4a59-4687-8695-a4b3c2d1e0f9").unwrap(),
            status: Status::Assigned,
            priority: Priority::Normal,
            assignee_id: None,
            referred_to: None,
            due_at: at,
            resolved_at: None,
            reopen_count: 0,
            overdue_notified: false,
            duplicate_of: None,
        };
        let mark = |parent: &'static str| TransitionRequest {
            duplicate_of: Some(parent),
            ..TransitionRequest::new(Action::MarkDuplicate)
        };
        let marked = apply(
            &before,
            admin,
            &mark(" 0B6D3C1E7F2A4E8B9C5D1A2B3C4D5E6F "),
            at,
            &sla,
        )
        .unwrap();
        assert_eq!(
            marked,
            Tracking {
                status: Status::Duplicate,
                duplicate_of: Some(
                    GrievanceId::parse("0b6d3c1e-7f2a-4e8b-9c5d-1a2b3c4d5e6f").unwrap()
                ),
                ..before.clone()
            }
        );

        // Itself, in any spelling of its id, and a text that is no id at all.
        for (parent, code) in [
            (
                "7E1D2C3B-4A59-4687-8695-A4B3C2D1E0F9",
                FieldCode::SelfReference,
            ),
            ("grievance 12", FieldCode::BadFormat),
        ] {
            let error = apply(&before, admin, &mark(parent), at, &sla).unwrap_err();
            assert!(
                matches!(
                    error,
                    WorkflowError::InvalidField {
                        field: "duplicate_of",
                        ..
                    }
                ),
                "{error:?}"
            );
            assert_eq!(error.field_code(), code, "{parent}");
        }
        let error = decide(
            Status::Accepted,
            admin,
            &TransitionRequest::new(Action::MarkDuplicate),
        )
        .unwrap_err();
        assert_eq!(error.field_code(), FieldCode::Required);

        let reopen = TransitionRequest {
            note: Some("not the same family after all"),
            ..TransitionRequest::new(Action::Reopen)
        };
        let reopened = apply(&marked, admin, &reopen, at, &sla).unwrap();
        assert_eq!(reopened.status, Status::Accepted);
        assert_eq!(reopened.duplicate_of, None);
        assert_eq!(reopened.reopen_count, 1);
        assert_eq!(
            reopened.due_at,
            sla.due_at(at.and_utc(), Priority::Normal).naive_utc()
        );
    }

    #[test]
    fn schemas_list_the_snake_case_names() {
        let schema = serde_json::to_value(<Status as utoipa::PartialSchema>::schema()).unwrap();
        let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(schema["enum"], serde_json::json!(names));
        let schema = serde_json::to_value(<Action as utoipa::PartialSchema>::schema()).unwrap();
        let names: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(schema["enum"], serde_json::json!(names));
    }
}

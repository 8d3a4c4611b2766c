//! Who may see which records. Every route, export and background job that lists or opens
//! visits or grievances asks here, so the rule is written once.
//!
//! Staff (officials, supervisors, admins) see every record of their area. Volunteers see
//! what they filed themselves, and only while it lies in their current area: an account
//! moved to another area leaves its old records behind with the area's staff.

use crate::auth::AuthUser;
use crate::db::{grievances, visits};

/// The visits `user` may see.
pub fn visible_visits(user: &AuthUser) -> visits::Visibility {
    visits::Visibility {
        scope: user.scope.clone(),
        only_author: only_own(user),
    }
}

/// The grievances `user` may see.
pub fn visible_grievances(user: &AuthUser) -> grievances::Visibility {
    grievances::Visibility {
        scope: user.scope.clone(),
        only_reporter: only_own(user),
    }
}

/// Volunteers are limited to their own records; staff are not.
fn only_own(user: &AuthUser) -> Option<String> {
    (!user.role.is_staff()).then(|| user.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AreaScope;
    use crate::domain::{AreaCode, Role};

    fn user(role: Role, area: &str) -> AuthUser {
        let area = AreaCode::parse(area).unwrap();
        AuthUser {
            id: "me".into(),
            username: "me".into(),
            role,
            scope: AreaScope::of(&area),
            area,
            client: Default::default(),
        }
    }

    #[test]
    fn who_sees_which_visit() {
        // (caller's role, caller's area, record's author, record's area, visible)
        let table = [
            (Role::Volunteer, "500108", "me", "500108", true),
            (Role::Volunteer, "500108", "other", "500108", false),
            // Moved away: its own old record stays behind.
            (Role::Volunteer, "400101", "me", "500108", false),
            (Role::Official, "50", "other", "500108", true),
            (Role::Official, "40", "other", "500108", false),
            (Role::Supervisor, "5001", "other", "500108", true),
            (Role::Supervisor, "5002", "me", "500108", false),
            (Role::Admin, "TH", "other", "960101", true),
        ];
        for (role, area, author, record_area, expected) in table {
            let visibility = visible_visits(&user(role, area));
            assert_eq!(
                visibility.allows_record(author, record_area),
                expected,
                "{role:?} in {area} reading {author}'s visit in {record_area}"
            );
        }
    }

    #[test]
    fn volunteers_are_limited_to_their_own_grievances_in_their_area() {
        let volunteer = visible_grievances(&user(Role::Volunteer, "500108"));
        assert_eq!(volunteer.only_reporter.as_deref(), Some("me"));
        assert_eq!(volunteer.scope, AreaScope::Subdistrict("500108".into()));
        let official = visible_grievances(&user(Role::Official, "50"));
        assert_eq!(official.only_reporter, None);
        assert_eq!(official.scope, AreaScope::Province("50".into()));
    }
}

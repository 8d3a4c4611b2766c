use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An account's role. Variants are declared in rank order, so the derived
/// ordering compares seniority (`Volunteer < Official < Supervisor < Admin`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Volunteer,
    Official,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Volunteer,
        Role::Official,
        Role::Supervisor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Volunteer => "volunteer",
            Self::Official => "official",
            Self::Supervisor => "supervisor",
            Self::Admin => "admin",
        }
    }

    /// Seniority: 0 for a volunteer up to 3 for an admin.
    pub fn rank(self) -> u8 {
        match self {
            Self::Volunteer => 0,
            Self::Official => 1,
            Self::Supervisor => 2,
            Self::Admin => 3,
        }
    }

    /// Ministry staff: officials and everyone above them.
    pub fn is_staff(self) -> bool {
        self.rank() >= Self::Official.rank()
    }

    /// Supervisors and admins.
    pub fn is_supervisor_or_above(self) -> bool {
        self.rank() >= Self::Supervisor.rank()
    }

    pub fn is_admin(self) -> bool {
        self == Self::Admin
    }
}

named_by_as_str!(Role, "role", &Role::ALL);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_as_str_and_from_str() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(role.to_string(), role.as_str());
        }
    }

    #[test]
    fn from_str_rejects_unknown_and_differently_cased_names() {
        for bad in ["", "Admin", "ADMIN", " admin", "superuser", "staff"] {
            let error = bad.parse::<Role>().unwrap_err();
            assert_eq!(
                error.to_string(),
                "must be one of: volunteer, official, supervisor, admin"
            );
        }
    }

    #[test]
    fn serde_uses_snake_case_names() {
        assert_eq!(
            serde_json::to_string(&Role::Supervisor).unwrap(),
            "\"supervisor\""
        );
        assert_eq!(
            serde_json::from_str::<Role>("\"official\"").unwrap(),
            Role::Official
        );
        assert!(serde_json::from_str::<Role>("\"Official\"").is_err());
    }

    #[test]
    fn rank_and_ordering_agree() {
        let ranks: Vec<u8> = Role::ALL.iter().map(|r| r.rank()).collect();
        assert_eq!(ranks, [0, 1, 2, 3]);
        assert!(Role::Volunteer < Role::Official);
        assert!(Role::Supervisor < Role::Admin);
    }

    #[test]
    fn staff_is_official_and_above() {
        assert!(!Role::Volunteer.is_staff());
        assert!(Role::Official.is_staff());
        assert!(Role::Supervisor.is_staff());
        assert!(Role::Admin.is_staff());
        assert!(!Role::Official.is_supervisor_or_above());
        assert!(Role::Supervisor.is_supervisor_or_above());
        assert!(Role::Admin.is_admin());
        assert!(!Role::Supervisor.is_admin());
    }

    #[test]
    fn schema_lists_the_four_roles() {
        let schema = serde_json::to_value(<Role as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(
            schema["enum"],
            serde_json::json!(["volunteer", "official", "supervisor", "admin"])
        );
    }
}

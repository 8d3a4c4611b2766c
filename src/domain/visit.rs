//! The vocabulary of field visits: who a visit was for, what kind of work it was, and
//! a supervisor's verdict on it.

string_enum! {
    /// Who the visit was for.
    TargetGroup {
        Children => "children",
        Youth => "youth",
        Women => "women",
        Families => "families",
        Elderly => "elderly",
        Disabled => "disabled",
        Underprivileged => "underprivileged",
        LowIncome => "low_income",
        Homeless => "homeless",
        Beggars => "beggars",
    }
}

impl TargetGroup {
    /// The group's bit in `visits.target_groups`. The bits are stored data: a group
    /// keeps its bit for ever, and a new group takes a bit no group ever had.
    pub const fn bit(self) -> i64 {
        match self {
            Self::Children => 1,
            Self::Youth => 1 << 1,
            Self::Women => 1 << 2,
            Self::Families => 1 << 3,
            Self::Elderly => 1 << 4,
            Self::Disabled => 1 << 5,
            Self::Underprivileged => 1 << 6,
            Self::LowIncome => 1 << 7,
            Self::Homeless => 1 << 8,
            Self::Beggars => 1 << 9,
        }
    }

    /// The stored form of a set of groups.
    pub fn bits_of(groups: &[TargetGroup]) -> i64 {
        groups.iter().fold(0, |bits, group| bits | group.bit())
    }

    /// The groups whose bits are set, in order.
    pub fn from_bits(bits: i64) -> Vec<TargetGroup> {
        Self::ALL
            .iter()
            .copied()
            .filter(|group| bits & group.bit() != 0)
            .collect()
    }
}

string_enum! {
    /// What kind of field work it was.
    Activity {
        HomeVisit => "home_visit",
        CommunityMeeting => "community_meeting",
        FollowUp => "follow_up",
        Outreach => "outreach",
        Other => "other",
    }
}

string_enum! {
    /// A supervisor's verdict on a visit; `pending` until reviewed.
    ReviewStatus {
        Pending => "pending",
        Verified => "verified",
        Flagged => "flagged",
    }
}

#[cfg(test)]
mod tests {
    use super::TargetGroup;

    #[test]
    fn every_target_group_has_a_bit_of_its_own() {
        let mut seen = 0;
        for group in TargetGroup::ALL {
            assert_eq!(group.bit().count_ones(), 1, "{group:?}");
            assert_eq!(seen & group.bit(), 0, "{group:?} shares a bit");
            seen |= group.bit();
        }
    }

    #[test]
    fn target_groups_survive_the_round_trip_through_bits() {
        let groups = vec![
            TargetGroup::Youth,
            TargetGroup::Elderly,
            TargetGroup::Beggars,
        ];
        assert_eq!(
            TargetGroup::from_bits(TargetGroup::bits_of(&groups)),
            groups
        );
        assert!(TargetGroup::from_bits(0).is_empty());
        assert_eq!(
            TargetGroup::from_bits(TargetGroup::bits_of(TargetGroup::ALL)),
            TargetGroup::ALL
        );
    }
}

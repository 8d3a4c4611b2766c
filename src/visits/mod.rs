//! Field visits: what the phone app files after each trip to the field.
//!
//! `input` turns the app's JSON into a [`NewVisit`] that satisfies every rule (or the
//! list of broken rules), `view` shapes the stored visit for the API, and `photos`
//! stores the pictures taken on the visit.

pub mod input;
pub mod photos;
pub mod view;

pub use crate::placement::Flag;

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

//! Field visits: what the phone app files after each trip to the field.
//!
//! `input` turns the app's JSON into a [`NewVisit`] that satisfies every rule (or the
//! list of broken rules), `view` shapes the stored visit for the API, and `photos`
//! stores the pictures taken on the visit.

pub mod input;
pub mod photos;
pub mod view;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

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

string_enum! {
    /// Set by the server: `area_mismatch` (the declared subdistrict is far from the GPS
    /// point), `low_accuracy` (GPS accuracy worse than 100 m), `area_approximate` (no
    /// subdistrict could be derived from the point; the visit is filed at province level).
    Flag {
        AreaMismatch => "area_mismatch",
        LowAccuracy => "low_accuracy",
        AreaApproximate => "area_approximate",
    }
}

//! Record ids, one type per table, so a user id cannot go where a grievance id goes.
//!
//! Each holds the text the database stores: a hyphenated lowercase UUID.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::ParseError;
use super::message::FieldCode;

/// A client's UUID in the stored form, whatever case or form (braces, no hyphens,
/// `urn:uuid:`) it came in.
fn normalised_uuid(raw: &str) -> Result<String, ParseError> {
    uuid::Uuid::parse_str(raw.trim())
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| {
            ParseError::new(
                FieldCode::BadFormat,
                "must be a UUID, e.g. 6f1c2b9e-1d2a-4f7b-9a51-5d7e0c9f3b21",
                "ต้องเป็นรหัส UUID เช่น 6f1c2b9e-1d2a-4f7b-9a51-5d7e0c9f3b21",
            )
        })
}

macro_rules! uuid_ids {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh random id.
            pub fn random() -> Self {
                Self(uuid::Uuid::new_v4().hyphenated().to_string())
            }

            /// An id a client sent: any form of UUID, normalised.
            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                normalised_uuid(raw).map(Self)
            }

            /// Text taken as an id as it is: text that already is one (what the database
            /// holds, what the demo's seeded generator makes), or text that only looks a
            /// record up (a path segment), which finds one only if it has exactly this id.
            pub fn unchecked(text: String) -> Self {
                Self(text)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )+};
}

uuid_ids!(
    /// An account (`users.id`).
    UserId,
    /// A field visit (`visits.id`).
    VisitId,
    /// A grievance (`grievances.id`).
    GrievanceId,
    /// A visit's photo (`visit_photos.id`).
    PhotoId,
    /// A comment on a grievance (`grievance_comments.id`).
    CommentId,
    /// A household of the register (`households.id`).
    HouseholdId,
    /// A person of a household (`household_members.id`).
    MemberId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_form_of_uuid_to_the_stored_form() {
        let stored = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
        for raw in [
            stored,
            " 6F1C2A3B-4D5E-4F60-8A7B-9C0D1E2F3A4B ",
            "6f1c2a3b4d5e4f608a7b9c0d1e2f3a4b",
            "{6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b}",
            "urn:uuid:6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
        ] {
            assert_eq!(GrievanceId::parse(raw).unwrap().as_str(), stored, "{raw}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_uuid() {
        for raw in [
            "",
            "u1",
            "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4",
            "no-such-user",
        ] {
            assert_eq!(
                UserId::parse(raw).unwrap_err().to_string(),
                "must be a UUID, e.g. 6f1c2b9e-1d2a-4f7b-9a51-5d7e0c9f3b21"
            );
        }
    }

    #[test]
    fn fresh_ids_are_stored_form_uuids_and_differ() {
        let (a, b) = (VisitId::random(), VisitId::random());
        assert_ne!(a, b);
        assert_eq!(VisitId::parse(a.as_str()).unwrap(), a);
    }

    #[test]
    fn shows_and_serialises_as_the_bare_text() {
        let id = PhotoId::parse("6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b").unwrap();
        assert_eq!(id.to_string(), id.as_str());
        assert_eq!(serde_json::to_value(&id).unwrap(), id.as_str());
    }
}

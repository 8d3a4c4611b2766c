//! Small macros shared across the crate.

/// A closed set of string values: a serde/OpenAPI enum with `ALL`, `as_str` and `parse`,
/// for the vocabularies of the API (target groups, categories, ...).
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
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

        named_by_as_str!($name, stringify!($name), $name::ALL);
    };
}

/// Implements `domain::Named` for an enum with an `as_str` name.
macro_rules! named_by_as_str {
    ($name:ident, $what:expr, $values:expr) => {
        impl $crate::domain::Named for $name {
            const WHAT: &'static str = $what;
            const VALUES: &'static [Self] = $values;

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }
    };
}

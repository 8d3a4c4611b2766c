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

/// Implements `domain::Named` for an enum with an `as_str` name, and shows and parses it
/// by that name (accepting exactly the names serde uses).
macro_rules! named_by_as_str {
    ($name:ident, $what:expr, $values:expr) => {
        impl $crate::domain::Named for $name {
            const WHAT: &'static str = $what;
            const VALUES: &'static [Self] = $values;

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($name::as_str(*self))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::ParseError;

            fn from_str(name: &str) -> Result<Self, Self::Err> {
                <Self as $crate::domain::Named>::from_name(name).ok_or_else(|| {
                    let names: Vec<&str> = ($values).iter().map(|v| $name::as_str(*v)).collect();
                    $crate::domain::ParseError::new(
                        $crate::domain::FieldCode::NotAllowedValue,
                        format!("must be one of: {}", names.join(", ")),
                        format!("ต้องเป็นค่าใดค่าหนึ่งต่อไปนี้: {}", names.join(", ")),
                    )
                })
            }
        }
    };
}

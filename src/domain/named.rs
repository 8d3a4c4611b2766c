//! Closed vocabularies whose values have stable names: the names are what the API
//! sends, what the database stores and what labels are looked up by.

/// A closed set of values, each with a stable name.
pub trait Named: Copy + Sized + 'static {
    /// What a value is, in words, for messages ("status").
    const WHAT: &'static str;
    /// Every value, in the order they are listed to people.
    const VALUES: &'static [Self];

    fn as_str(self) -> &'static str;

    /// The value with this exact name.
    fn from_name(name: &str) -> Option<Self> {
        Self::VALUES
            .iter()
            .copied()
            .find(|value| value.as_str() == name)
    }
}

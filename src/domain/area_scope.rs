//! Area scoping: a user sees and acts on records whose area code starts with theirs.
//!
//! Scoped tables carry `area_code` plus its `province_code` and `district_code` prefixes,
//! so the scope is an indexed equality on one column whatever the engine or collation.
//! Every area-scoped query applies `scoped!` (in `db`) with the caller's scope.

use crate::domain::{AreaCode, AreaLevel};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AreaScope {
    Everywhere,
    Province(String),
    District(String),
    Subdistrict(String),
}

impl AreaScope {
    pub fn of(area: &AreaCode) -> Self {
        let code = area.as_str().to_owned();
        match area.level() {
            AreaLevel::Country => Self::Everywhere,
            AreaLevel::Province => Self::Province(code),
            AreaLevel::District => Self::District(code),
            AreaLevel::Subdistrict => Self::Subdistrict(code),
        }
    }

    pub fn covers_code(&self, code: &str) -> bool {
        match self {
            Self::Everywhere => true,
            Self::Province(p) | Self::District(p) | Self::Subdistrict(p) => {
                code.starts_with(p.as_str())
            }
        }
    }
}

/// The province and district prefixes stored beside an area code.
pub fn prefixes(area: &AreaCode) -> (Option<String>, Option<String>) {
    let code = area.as_str();
    match area.level() {
        AreaLevel::Country => (None, None),
        AreaLevel::Province => (Some(code.to_owned()), None),
        AreaLevel::District | AreaLevel::Subdistrict => {
            (Some(code[..2].to_owned()), Some(code[..4].to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(code: &str) -> AreaCode {
        AreaCode::parse(code).unwrap()
    }

    #[test]
    fn scope_follows_the_code_prefix() {
        let chiang_mai = AreaScope::of(&area("50"));
        assert!(chiang_mai.covers_code("500101"));
        assert!(chiang_mai.covers_code("50"));
        assert!(!chiang_mai.covers_code("51"));
        assert!(AreaScope::of(&area("TH")).covers_code("10"));
    }

    #[test]
    fn prefixes_of_each_level() {
        assert_eq!(prefixes(&area("TH")), (None, None));
        assert_eq!(prefixes(&area("50")), (Some("50".into()), None));
        assert_eq!(
            prefixes(&area("500101")),
            (Some("50".into()), Some("5001".into()))
        );
    }
}

//! The vocabulary of the target-group register: a member's sex and year of birth.

use chrono::Datelike;

use super::error::ParseError;
use super::message::FieldCode;

string_enum! {
    /// A member's sex as the household states it.
    Sex {
        Female => "female",
        Male => "male",
        Other => "other",
    }
}

/// A year of birth, kept in the Common Era. Thai forms write the Buddhist Era (2490 to
/// 2570, 1947 to 2027), which is taken and converted; so is a Common-Era year from 1900
/// to this year. Anything else is a typing slip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BirthYear(i32);

/// Years between the eras.
const BUDDHIST_ERA_OFFSET: i32 = 543;

impl BirthYear {
    pub fn parse(year: i64) -> Result<Self, ParseError> {
        let this_year = chrono::Utc::now().year();
        let common = match year {
            2490..=2570 => year - BUDDHIST_ERA_OFFSET as i64,
            other => other,
        };
        if (1900..=this_year as i64).contains(&common) {
            Ok(Self(common as i32))
        } else {
            Err(ParseError::new(
                FieldCode::OutOfRange,
                format!(
                    "must be a year of birth: Buddhist Era 2490 to 2570, or Common Era 1900 to {this_year}"
                ),
                format!(
                    "ต้องเป็นปีเกิด พ.ศ. 2490 ถึง 2570 หรือ ค.ศ. 1900 ถึง {this_year}"
                ),
            ))
        }
    }

    /// A year already stored (Common Era).
    pub fn stored(year: i32) -> Self {
        Self(year)
    }

    pub fn common_era(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buddhist_era_years_are_converted_and_slips_refused() {
        assert_eq!(BirthYear::parse(2510).unwrap().common_era(), 1967);
        assert_eq!(BirthYear::parse(1967).unwrap().common_era(), 1967);
        assert_eq!(BirthYear::parse(2490).unwrap().common_era(), 1947);
        assert!(
            BirthYear::parse(2571).is_err(),
            "no one born next year in BE"
        );
        assert!(BirthYear::parse(1899).is_err());
        assert!(BirthYear::parse(25).is_err());
        assert!(BirthYear::parse(3000).is_err());
    }
}

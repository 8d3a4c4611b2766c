//! What a person reads when a value is refused: a stable code for programs and a message
//! in Thai and in English for people (API.md, "Errors a phone can show").

use std::borrow::Cow;

use serde::Serialize;
use utoipa::ToSchema;

/// The language a person reads answers in, from the request's `Accept-Language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    Thai,
    #[default]
    English,
}

impl Language {
    /// The language an `Accept-Language` header prefers among the two we write: Thai
    /// when `th` (or `th-TH`, ...) ranks above English, English otherwise. Ties go to
    /// the earlier entry, as browsers list them in order of preference.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, Language)> = None;
        for entry in header.split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let language = match primary {
                "th" => Language::Thai,
                "en" => Language::English,
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, language));
            }
        }
        best.map_or_else(Language::default, |(_, language)| language)
    }

    /// `th` or `en`, for `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::Thai => "th",
            Language::English => "en",
        }
    }
}

/// A sentence in English and in Thai. The Thai is written as a Thai civil servant
/// would read it, not word for word from the English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub en: Cow<'static, str>,
    pub th: Cow<'static, str>,
}

impl Message {
    pub fn new(en: impl Into<Cow<'static, str>>, th: impl Into<Cow<'static, str>>) -> Self {
        Self {
            en: en.into(),
            th: th.into(),
        }
    }

    pub fn in_language(&self, language: Language) -> &str {
        match language {
            Language::Thai => &self.th,
            Language::English => &self.en,
        }
    }
}

/// Why one field was refused: the stable codes of API.md. Clients branch on these; they
/// keep their meaning, and more may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldCode {
    Required,
    UnknownField,
    /// The same key twice in one JSON object: parsers disagree on which one wins.
    DuplicateKey,
    WrongType,
    BadFormat,
    OutOfRange,
    TooLong,
    TooMany,
    Empty,
    NotAllowedValue,
    OutsideThailand,
    OutsideArea,
    InFuture,
    TooOld,
    CheckDigit,
    BuddhistEraYear,
    ConsentRequired,
    NotFoundReference,
    /// A record that refers to itself where it must name another (`duplicate_of`).
    SelfReference,
    /// A duplicate named as the parent of another, or a parent marked as a duplicate:
    /// duplicates point at one grievance that is not itself a duplicate.
    DuplicateChain,
}

impl FieldCode {
    pub const ALL: &'static [FieldCode] = &[
        FieldCode::Required,
        FieldCode::UnknownField,
        FieldCode::DuplicateKey,
        FieldCode::WrongType,
        FieldCode::BadFormat,
        FieldCode::OutOfRange,
        FieldCode::TooLong,
        FieldCode::TooMany,
        FieldCode::Empty,
        FieldCode::NotAllowedValue,
        FieldCode::OutsideThailand,
        FieldCode::OutsideArea,
        FieldCode::InFuture,
        FieldCode::TooOld,
        FieldCode::CheckDigit,
        FieldCode::BuddhistEraYear,
        FieldCode::ConsentRequired,
        FieldCode::NotFoundReference,
        FieldCode::SelfReference,
        FieldCode::DuplicateChain,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::UnknownField => "unknown_field",
            Self::DuplicateKey => "duplicate_key",
            Self::WrongType => "wrong_type",
            Self::BadFormat => "bad_format",
            Self::OutOfRange => "out_of_range",
            Self::TooLong => "too_long",
            Self::TooMany => "too_many",
            Self::Empty => "empty",
            Self::NotAllowedValue => "not_allowed_value",
            Self::OutsideThailand => "outside_thailand",
            Self::OutsideArea => "outside_area",
            Self::InFuture => "in_future",
            Self::TooOld => "too_old",
            Self::CheckDigit => "check_digit",
            Self::BuddhistEraYear => "buddhist_era_year",
            Self::ConsentRequired => "consent_required",
            Self::NotFoundReference => "not_found_reference",
            Self::SelfReference => "self_reference",
            Self::DuplicateChain => "duplicate_chain",
        }
    }

    /// The code's name for people (the labels of `GET /meta/labels`).
    pub fn label(self) -> Message {
        let (en, th) = match self {
            Self::Required => ("Required", "ต้องระบุ"),
            Self::UnknownField => ("Unknown field", "ไม่รู้จักช่องข้อมูลนี้"),
            Self::DuplicateKey => ("Field given twice", "ระบุช่องข้อมูลซ้ำ"),
            Self::WrongType => ("Wrong type", "ชนิดข้อมูลไม่ถูกต้อง"),
            Self::BadFormat => ("Bad format", "รูปแบบไม่ถูกต้อง"),
            Self::OutOfRange => ("Out of range", "ค่าอยู่นอกช่วงที่กำหนด"),
            Self::TooLong => ("Too long", "ยาวเกินกำหนด"),
            Self::TooMany => ("Too many", "จำนวนเกินกำหนด"),
            Self::Empty => ("Empty", "ไม่มีข้อความ"),
            Self::NotAllowedValue => ("Value not allowed", "ค่าที่ไม่อนุญาต"),
            Self::OutsideThailand => ("Outside Thailand", "อยู่นอกประเทศไทย"),
            Self::OutsideArea => ("Outside your area", "อยู่นอกพื้นที่รับผิดชอบ"),
            Self::InFuture => ("In the future", "เป็นเวลาในอนาคต"),
            Self::TooOld => ("Too old", "ย้อนหลังเกินกำหนด"),
            Self::CheckDigit => ("Check digit does not match", "เลขตรวจสอบไม่ถูกต้อง"),
            Self::BuddhistEraYear => ("Buddhist Era year", "ใช้ปีพุทธศักราช"),
            Self::ConsentRequired => ("Consent required", "ต้องได้รับความยินยอม"),
            Self::NotFoundReference => ("Referenced record not found", "ไม่พบข้อมูลที่อ้างถึง"),
            Self::SelfReference => ("Refers to itself", "อ้างถึงตัวเอง"),
            Self::DuplicateChain => ("Chain of duplicates", "อ้างถึงเรื่องซ้ำต่อกันเป็นทอด"),
        };
        Message::new(en, th)
    }
}

/// A value refused for one reason: its code and what a person is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: FieldCode,
    pub message: Message,
}

impl Refusal {
    pub fn new(
        code: FieldCode,
        en: impl Into<Cow<'static, str>>,
        th: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            code,
            message: Message::new(en, th),
        }
    }
}

/// Years from 2400 on are the Buddhist Era (Gregorian + 543): a phone set to the Thai
/// calendar, not a date in the 25th century.
pub const FIRST_BUDDHIST_ERA_YEAR: i32 = 2400;

/// The refusal of a date, time or week written in the Buddhist Era.
pub fn buddhist_era_year(year: i32) -> Refusal {
    let gregorian = year - 543;
    Refusal::new(
        FieldCode::BuddhistEraYear,
        format!(
            "the year {year} is in the Buddhist Era; send the Gregorian year ({gregorian}): \
             set the phone's calendar to Gregorian"
        ),
        format!(
            "ปี {year} เป็นปีพุทธศักราช กรุณาส่งเป็นปีคริสต์ศักราช ({gregorian}) \
             โดยตั้งปฏิทินของโทรศัพท์เป็นแบบคริสต์ศักราช (Gregorian)"
        ),
    )
}

/// The refusal of a point that lies outside Thailand's territory.
pub fn outside_thailand() -> Refusal {
    Refusal::new(
        FieldCode::OutsideThailand,
        "the point lies outside Thailand; check the phone's location",
        "พิกัดอยู่นอกประเทศไทย กรุณาตรวจสอบตำแหน่งของโทรศัพท์",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_of_thai_and_english() {
        for (header, expected) in [
            ("th", Language::Thai),
            ("th-TH,th;q=0.9,en;q=0.8", Language::Thai),
            ("en-US,en;q=0.9,th;q=0.8", Language::English),
            ("fr, th;q=0.5", Language::Thai),
            ("en;q=0.3, th;q=0.7", Language::Thai),
            ("th;q=0, en", Language::English),
            ("fr", Language::English),
            ("", Language::English),
            ("*", Language::English),
            ("TH-th", Language::Thai),
        ] {
            assert_eq!(
                Language::from_accept_language(header),
                expected,
                "{header:?}"
            );
        }
    }

    #[test]
    fn every_field_code_has_a_name_and_a_label_in_both_languages() {
        let mut names: Vec<&str> = FieldCode::ALL.iter().map(|c| c.as_str()).collect();
        for code in FieldCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
            let label = code.label();
            assert!(!label.en.is_empty() && !label.th.is_empty());
            assert!(label
                .th
                .chars()
                .any(|c| ('\u{0E00}'..='\u{0E7F}').contains(&c)));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FieldCode::ALL.len());
    }

    #[test]
    fn a_buddhist_era_year_says_which_gregorian_year_to_send() {
        let refusal = buddhist_era_year(2569);
        assert_eq!(refusal.code, FieldCode::BuddhistEraYear);
        assert!(refusal.message.en.contains("2026"));
        assert!(refusal.message.th.contains("2026"));
        assert!(refusal.message.th.contains("พุทธศักราช"));
    }
}

//! Photos: which record one belongs to, the image types taken, and the limits that hold
//! for every way a photo arrives (one request, or a resumable upload).

use super::error::ParseError;
use super::ids::{GrievanceId, VisitId};
use super::message::FieldCode;

/// The largest photo taken, in bytes.
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
/// The most photos one record (a visit or a grievance) holds.
pub const MAX_PHOTOS_PER_RECORD: i64 = 10;

/// The record a photo belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PhotoRecord {
    Visit(VisitId),
    Grievance(GrievanceId),
}

impl PhotoRecord {
    /// `visit:<id>` or `grievance:<id>`, as a resumable upload's metadata names it.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let refused = || {
            ParseError::new(
                FieldCode::BadFormat,
                "must be visit:<id> or grievance:<id>",
                "ต้องอยู่ในรูป visit:<รหัส> หรือ grievance:<รหัส>",
            )
        };
        let (kind, id) = raw.trim().split_once(':').ok_or_else(refused)?;
        match kind {
            "visit" => Ok(Self::Visit(VisitId::parse(id)?)),
            "grievance" => Ok(Self::Grievance(GrievanceId::parse(id)?)),
            _ => Err(refused()),
        }
    }

    /// `visit` or `grievance`: the kind's stored name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Visit(_) => "visit",
            Self::Grievance(_) => "grievance",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Self::Visit(id) => id.as_str(),
            Self::Grievance(id) => id.as_str(),
        }
    }

    /// The record back from its stored kind and id (trusted: written by [`Self::kind`]).
    pub fn stored(kind: &str, id: String) -> Option<Self> {
        match kind {
            "visit" => Some(Self::Visit(VisitId::unchecked(id))),
            "grievance" => Some(Self::Grievance(GrievanceId::unchecked(id))),
            _ => None,
        }
    }

    /// Where the API serves the record's photo `photo_id`.
    pub fn photo_path(&self, photo_id: &str) -> String {
        format!("/api/v1/{}s/{}/photos/{photo_id}", self.kind(), self.id())
    }
}

impl std::fmt::Display for PhotoRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind(), self.id())
    }
}

/// The image types accepted, known by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
}

impl ImageType {
    /// How many first bytes [`ImageType::matches`] needs to judge.
    pub const HEAD_BYTES: usize = 12;

    pub fn from_content_type(value: &str) -> Option<Self> {
        match value
            .split(';')
            .next()?
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            "image/webp" => Some(Self::Webp),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    /// Whether `head` (the first bytes of the body) starts like this type.
    pub fn matches(self, head: &[u8]) -> bool {
        match self {
            Self::Jpeg => head.starts_with(&[0xFF, 0xD8, 0xFF]),
            Self::Png => head.starts_with(b"\x89PNG\r\n\x1a\n"),
            Self::Webp => head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP",
        }
    }
}

/// `photos_expected` of a visit or grievance: how many photos the phone will send.
pub fn photos_expected(value: Option<i64>) -> Result<i32, ParseError> {
    match value {
        None => Ok(0),
        Some(n) if (0..=MAX_PHOTOS_PER_RECORD).contains(&n) => Ok(n as i32),
        Some(_) => Err(ParseError::new(
            FieldCode::OutOfRange,
            format!("must be from 0 to {MAX_PHOTOS_PER_RECORD}"),
            format!("ต้องเป็นจำนวนตั้งแต่ 0 ถึง {MAX_PHOTOS_PER_RECORD}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_decide() {
        assert!(ImageType::Jpeg.matches(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0, 0, 0, 0, 0, 0]));
        assert!(!ImageType::Png.matches(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(ImageType::Png.matches(b"\x89PNG\r\n\x1a\n\0\0\0\x0d"));
        assert!(ImageType::Webp.matches(b"RIFF\x10\0\0\0WEBPVP8 "));
        assert!(!ImageType::Webp.matches(b"RIFF\x10\0\0\0WAVEfmt "));
        assert_eq!(
            ImageType::from_content_type("IMAGE/PNG; q=1"),
            Some(ImageType::Png)
        );
        assert_eq!(ImageType::from_content_type("image/gif"), None);
    }

    #[test]
    fn records_by_kind_and_id() {
        let id = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
        let record = PhotoRecord::parse(&format!("grievance:{id}")).unwrap();
        assert_eq!(record.kind(), "grievance");
        assert_eq!(record.to_string(), format!("grievance:{id}"));
        assert!(PhotoRecord::parse(&format!("user:{id}")).is_err());
        assert!(PhotoRecord::parse("visit:nope").is_err());
        assert!(PhotoRecord::parse(id).is_err());
    }

    #[test]
    fn expected_photos_are_bounded() {
        assert_eq!(photos_expected(None).unwrap(), 0);
        assert_eq!(photos_expected(Some(10)).unwrap(), 10);
        assert_eq!(
            photos_expected(Some(11)).unwrap_err().code(),
            FieldCode::OutOfRange
        );
        assert!(photos_expected(Some(-1)).is_err());
    }
}

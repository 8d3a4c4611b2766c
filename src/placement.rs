//! Where a field record (a visit, a grievance) is filed: the GPS point checked, the
//! subdistrict derived from it or the declared one checked against it, and the caller's
//! own area enforced. One set of rules for every kind of record.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::{outside_thailand, AreaCode, AreaLevel, GpsFix, Labelled, Message};
use crate::error::{FieldCode, FieldError};
use crate::geo::{Geography, NEAR_BOUNDARY_M};

/// GPS fixes worse than this are flagged `low_accuracy`.
pub const LOW_ACCURACY_M: f64 = 100.0;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Location)]
pub struct LocationInput {
    /// WGS84 latitude.
    #[schema(example = 18.7883)]
    pub lat: f64,
    /// WGS84 longitude.
    #[schema(example = 98.9853)]
    pub lon: f64,
    /// The phone's estimate of the fix's accuracy, in metres.
    #[schema(example = 12.0)]
    pub accuracy_m: Option<f64>,
}

string_enum! {
    /// Set by the server: `area_mismatch` (the GPS point is outside the declared
    /// subdistrict, farther than its accuracy or 300 m), `low_accuracy` (GPS accuracy
    /// worse than 100 m), `area_approximate` (no subdistrict could be derived from the
    /// point; the record is filed at district or province level), `near_boundary` (the
    /// point lies just outside the record's area, within its accuracy or 300 m of the
    /// area's coarse edge, or off the coast beside it; filed there all the same),
    /// `photo_far_from_record` (a photo's EXIF position is more than 1 km from the point),
    /// `photo_time_mismatch` (a photo's EXIF time is more than 24 h from the record's).
    Flag {
        AreaMismatch => "area_mismatch",
        LowAccuracy => "low_accuracy",
        AreaApproximate => "area_approximate",
        NearBoundary => "near_boundary",
        PhotoFarFromRecord => "photo_far_from_record",
        PhotoTimeMismatch => "photo_time_mismatch",
    }
}

impl Labelled for Flag {
    const LABELS: &'static str = "visit_flag";

    fn label(self) -> Message {
        let (en, th) = match self {
            Flag::AreaMismatch => (
                "GPS point outside the declared subdistrict",
                "พิกัด GPS อยู่นอกตำบลที่ระบุ",
            ),
            Flag::LowAccuracy => ("Low GPS accuracy", "พิกัด GPS คลาดเคลื่อนสูง"),
            Flag::AreaApproximate => (
                "Filed at district or province level (no subdistrict found)",
                "ระบุพื้นที่ได้เพียงระดับอำเภอหรือจังหวัด",
            ),
            Flag::NearBoundary => (
                "GPS point just outside the area's boundary",
                "พิกัด GPS อยู่นอกเขตพื้นที่เล็กน้อย (ใกล้แนวเขต)",
            ),
            Flag::PhotoFarFromRecord => (
                "Photo taken more than 1 km from the record's point",
                "ภาพถ่ายอยู่ห่างจากพิกัดที่บันทึกเกิน 1 กม.",
            ),
            Flag::PhotoTimeMismatch => (
                "Photo taken more than 24 hours from the record's time",
                "ภาพถ่ายต่างจากเวลาที่บันทึกเกิน 24 ชั่วโมง",
            ),
        };
        Message::new(en, th)
    }
}

impl Flag {
    /// The stored form: comma-separated.
    pub fn join(flags: &[Flag]) -> String {
        flags
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn split(stored: &str) -> Vec<Flag> {
        stored.split(',').filter_map(Flag::parse).collect()
    }
}

/// A checked place: the point, the area the record is filed under, and the flags.
#[derive(Debug, Clone)]
pub struct Placement {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub declared_area_code: Option<String>,
    pub area_code: String,
    pub province_code: String,
    pub district_code: Option<String>,
    pub flags: Vec<Flag>,
}

impl Placement {
    /// Checks the point and the declared subdistrict (if any), records every broken rule
    /// in `errors`, and returns the placement when there was none.
    pub fn resolve(
        location: &LocationInput,
        declared: Option<&str>,
        author: &AuthUser,
        geography: &Geography,
        errors: &mut Vec<FieldError>,
    ) -> Option<Self> {
        let before = errors.len();
        let mut flags = Vec::new();
        let fix = match GpsFix::new(location.lat, location.lon, location.accuracy_m) {
            Ok(fix) => Some(fix),
            Err(problems) => {
                for (field, error) in problems {
                    errors.push(FieldError::parse(format!("location.{field}"), error));
                }
                None
            }
        };
        if location.accuracy_m.is_some_and(|a| a > LOW_ACCURACY_M) {
            flags.push(Flag::LowAccuracy);
        }

        let declared = match declared.map(str::trim) {
            None | Some("") => None,
            Some(raw) => match AreaCode::parse(raw) {
                Ok(code)
                    if code.level() == AreaLevel::Subdistrict
                        && geography.area(code.as_str()).is_some() =>
                {
                    Some(code)
                }
                _ => {
                    errors.push(FieldError::new(
                        "area_code",
                        FieldCode::NotFoundReference,
                        format!("{raw:?} is not a known subdistrict code"),
                        format!("{raw:?} ไม่ใช่รหัสตำบลที่มีอยู่ (ต้องเป็นรหัสตำบล 6 หลัก)"),
                    ));
                    None
                }
            },
        };

        let fix = fix?;
        let point = fix.point;
        let located = match geography.locate(point) {
            Ok(located) => located,
            Err(_) => {
                errors.push(FieldError::refused("location", outside_thailand()));
                return None;
            }
        };
        // Coarse edges must not block field work: this near its area, a point counts
        // as in it (flagged `near_boundary`).
        let tolerance = fix.accuracy_m.unwrap_or(0.0).max(NEAR_BOUNDARY_M);
        let mut area_code = match (&declared, &located.subdistrict) {
            (Some(code), _) => {
                match geography.nearest_subdistrict_in(code.as_str(), point, tolerance) {
                    Some((_, distance)) if distance > 0.0 => flags.push(Flag::NearBoundary),
                    Some(_) => {}
                    None => flags.push(Flag::AreaMismatch),
                }
                code.as_str().to_owned()
            }
            (None, Some(subdistrict)) => {
                if located.distance_m > 0.0 {
                    flags.push(Flag::NearBoundary);
                }
                subdistrict.code.clone()
            }
            (None, None) => {
                flags.push(Flag::AreaApproximate);
                located
                    .district
                    .as_ref()
                    .unwrap_or(&located.province)
                    .code
                    .clone()
            }
        };
        if declared.is_none() && !author.scope.covers_code(&area_code) {
            // The point's own area is a neighbour's; the filer's area may be just
            // across the coarse edge.
            if let Some((nearest, _)) =
                geography.nearest_subdistrict_in(author.area.as_str(), point, tolerance)
            {
                area_code = nearest;
                flags.retain(|flag| *flag != Flag::AreaApproximate);
                if !flags.contains(&Flag::NearBoundary) {
                    flags.push(Flag::NearBoundary);
                }
            }
        }
        if !author.scope.covers_code(&area_code) {
            errors.push(FieldError::new(
                "area_code",
                FieldCode::OutsideArea,
                format!(
                    "{area_code} must lie inside your own area ({})",
                    author.area
                ),
                format!("พื้นที่ {area_code} อยู่นอกพื้นที่รับผิดชอบของท่าน ({})", author.area),
            ));
        }
        if errors.len() > before {
            return None;
        }
        flags.sort();
        Some(Self {
            lat: point.lat,
            lon: point.lon,
            accuracy_m: fix.accuracy_m,
            declared_area_code: declared.map(AreaCode::into_string),
            province_code: area_code[..2].to_owned(),
            district_code: (area_code.len() >= 4).then(|| area_code[..4].to_owned()),
            area_code,
            flags,
        })
    }
}

//! The ministry's own departments: where a grievance is most often referred.

use serde::Serialize;
use utoipa::ToSchema;

/// A department of the Ministry of Social Development and Human Security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub struct Department {
    /// The Thai abbreviation, as written in ministry documents (e.g. `ผส.`).
    pub code: &'static str,
    pub name_th: &'static str,
    pub name_en: &'static str,
}

const DEPARTMENTS: [Department; 5] = [
    Department {
        code: "ดย.",
        name_th: "กรมกิจการเด็กและเยาวชน",
        name_en: "Department of Children and Youth",
    },
    Department {
        code: "สค.",
        name_th: "กรมกิจการสตรีและสถาบันครอบครัว",
        name_en: "Department of Women's Affairs and Family Development",
    },
    Department {
        code: "ผส.",
        name_th: "กรมกิจการผู้สูงอายุ",
        name_en: "Department of Older Persons",
    },
    Department {
        code: "พก.",
        name_th: "กรมส่งเสริมและพัฒนาคุณภาพชีวิตคนพิการ",
        name_en: "Department of Empowerment of Persons with Disabilities",
    },
    Department {
        code: "พส.",
        name_th: "กรมพัฒนาสังคมและสวัสดิการ",
        name_en: "Department of Social Development and Welfare",
    },
];

/// The ministry's departments, in a fixed order (for a picker in the app).
pub fn departments() -> &'static [Department] {
    &DEPARTMENTS
}

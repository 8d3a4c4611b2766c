//! Thailand's administrative areas: country, provinces, districts, subdistricts.

use std::ops::Range;

use anyhow::{bail, ensure, Context};
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{AreaCode, AreaLevel, Language};

/// An administrative area of Thailand.
///
/// Codes are the Department of Provincial Administration (DOPA) codes and are
/// hierarchical by prefix: subdistrict `100101` is in district `1001`, which is
/// in province `10` (Bangkok).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Area {
    /// `TH` for the country, otherwise a 2-, 4- or 6-digit DOPA code.
    #[schema(example = "5001")]
    pub code: String,
    /// Level of the area; follows from the length of the code.
    pub level: AreaLevel,
    /// Official Thai name.
    #[schema(example = "เมืองเชียงใหม่")]
    pub name_th: String,
    /// Romanized name.
    #[schema(example = "Mueang Chiang Mai")]
    pub name_en: String,
    /// Code of the enclosing area: the province of a district, the district of a
    /// subdistrict. Null for the country and for provinces, which are the top of
    /// the listing (the areas listed when no parent is given).
    #[schema(example = "50")]
    pub parent_code: Option<String>,
}

impl Area {
    /// The area's name in `language`: the official Thai one, or the romanized one.
    pub fn name(&self, language: Language) -> &str {
        match language {
            Language::Thai => &self.name_th,
            Language::English => &self.name_en,
        }
    }
}

/// All areas, each level sorted by code so that the areas under any code form
/// one contiguous run, found by binary search.
#[derive(Debug)]
pub(super) struct AreaTable {
    country: Area,
    provinces: Vec<Area>,
    districts: Vec<Area>,
    subdistricts: Vec<Area>,
    /// Each level's codes as numbers, in the same order: a lookup compares integers
    /// rather than strings (an export names three areas for each of a million rows).
    province_keys: Vec<u32>,
    district_keys: Vec<u32>,
    subdistrict_keys: Vec<u32>,
}

impl AreaTable {
    /// Parses the DOPA lists: JSON arrays of `[code, name_th, name_en, ...]` rows.
    pub(super) fn parse(
        provinces_json: &str,
        districts_json: &str,
        subdistricts_json: &str,
    ) -> anyhow::Result<Self> {
        let provinces = parse_level::<(String, String, String)>(
            provinces_json,
            AreaLevel::Province,
            |(code, name_th, name_en)| (code, name_th, name_en),
        )
        .context("provinces.json")?;
        let districts = parse_level::<(String, String, String)>(
            districts_json,
            AreaLevel::District,
            |(code, name_th, name_en)| (code, name_th, name_en),
        )
        .context("districts.json")?;
        // The fourth column (postcodes) is not needed here.
        let subdistricts = parse_level::<(String, String, String, String)>(
            subdistricts_json,
            AreaLevel::Subdistrict,
            |(code, name_th, name_en, _postcodes)| (code, name_th, name_en),
        )
        .context("subdistricts.json")?;

        let keys = |areas: &[Area]| areas.iter().filter_map(|a| numeric(&a.code)).collect();
        let table = Self {
            province_keys: keys(&provinces),
            district_keys: keys(&districts),
            subdistrict_keys: keys(&subdistricts),
            country: Area {
                code: AreaCode::COUNTRY.to_owned(),
                level: AreaLevel::Country,
                name_th: "ประเทศไทย".to_owned(),
                name_en: "Thailand".to_owned(),
                parent_code: None,
            },
            provinces,
            districts,
            subdistricts,
        };
        table.check_parents()?;
        Ok(table)
    }

    /// Every district and subdistrict must hang under an existing area, so that
    /// walking up from any code never comes up empty.
    fn check_parents(&self) -> anyhow::Result<()> {
        for area in self.districts.iter().chain(&self.subdistricts) {
            let parent = area.parent_code.as_deref().unwrap_or_default();
            ensure!(
                self.get(parent).is_some(),
                "area {} has no parent area {parent}",
                area.code
            );
        }
        Ok(())
    }

    pub(super) fn subdistricts(&self) -> &[Area] {
        &self.subdistricts
    }

    /// The area with this code, `TH` included.
    pub(super) fn get(&self, code: &str) -> Option<&Area> {
        if code == AreaCode::COUNTRY {
            return Some(&self.country);
        }
        let level = level_of(code)?;
        let keys = match level {
            AreaLevel::Country => return None,
            AreaLevel::Province => &self.province_keys,
            AreaLevel::District => &self.district_keys,
            AreaLevel::Subdistrict => &self.subdistrict_keys,
        };
        let index = keys.binary_search(&numeric(code)?).ok()?;
        self.level(level).get(index)
    }

    /// The areas one level below `parent` (`None` meaning the country), or
    /// `None` when `parent` is not a known code.
    pub(super) fn children(&self, parent: Option<&str>) -> Option<&[Area]> {
        let parent = self.get(parent.unwrap_or(AreaCode::COUNTRY))?;
        Some(match parent.level {
            AreaLevel::Country => &self.provinces,
            AreaLevel::Province => &self.districts[under(&self.districts, &parent.code)],
            AreaLevel::District => &self.subdistricts[under(&self.subdistricts, &parent.code)],
            AreaLevel::Subdistrict => &[],
        })
    }

    /// Indexes in [`Self::subdistricts`] of the subdistricts in the area `code`
    /// (all of them for `TH`); empty for an unknown code.
    pub(super) fn subdistrict_range(&self, code: &str) -> Range<usize> {
        match self.get(code) {
            Some(area) if area.level == AreaLevel::Country => 0..self.subdistricts.len(),
            Some(area) => under(&self.subdistricts, &area.code),
            None => 0..0,
        }
    }

    /// Every area, parents before their children.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Area> {
        std::iter::once(&self.country)
            .chain(&self.provinces)
            .chain(&self.districts)
            .chain(&self.subdistricts)
    }

    fn level(&self, level: AreaLevel) -> &[Area] {
        match level {
            AreaLevel::Country => std::slice::from_ref(&self.country),
            AreaLevel::Province => &self.provinces,
            AreaLevel::District => &self.districts,
            AreaLevel::Subdistrict => &self.subdistricts,
        }
    }
}

/// A code of digits as a number; within a level (codes of one length) the numbers sort
/// as the codes do.
fn numeric(code: &str) -> Option<u32> {
    if code.is_empty() || code.len() > 9 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    code.parse().ok()
}

/// The numbered level whose codes have this length.
fn level_of(code: &str) -> Option<AreaLevel> {
    match code.len() {
        2 => Some(AreaLevel::Province),
        4 => Some(AreaLevel::District),
        6 => Some(AreaLevel::Subdistrict),
        _ => None,
    }
}

/// The index range of the `areas` (sorted by code) whose codes start with
/// `prefix`.
fn under(areas: &[Area], prefix: &str) -> Range<usize> {
    // Codes with the prefix sort after every smaller code and before every larger
    // code without it, so both ends are partition points.
    let start = areas.partition_point(|area| area.code.as_str() < prefix);
    let end =
        areas.partition_point(|area| area.code.as_str() < prefix || area.code.starts_with(prefix));
    start..end
}

/// Parses one level's JSON rows into areas sorted by code, rejecting malformed
/// or duplicate codes.
fn parse_level<Row: DeserializeOwned>(
    json: &str,
    level: AreaLevel,
    columns: impl Fn(Row) -> (String, String, String),
) -> anyhow::Result<Vec<Area>> {
    let Some(code_len) = level.code_len() else {
        bail!("{level:?} areas are not listed in the data");
    };
    let rows: Vec<Row> = serde_json::from_str(json)?;
    let mut areas = rows
        .into_iter()
        .map(|row| {
            let (code, name_th, name_en) = columns(row);
            ensure!(
                code.len() == code_len && code.bytes().all(|b| b.is_ascii_digit()),
                "{code:?} is not a {code_len}-digit code"
            );
            // Provinces are the top of the listing; see `Area::parent_code`.
            let parent_code =
                (level != AreaLevel::Province).then(|| code[..code_len - 2].to_owned());
            Ok(Area {
                code,
                level,
                name_th,
                name_en,
                parent_code,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    areas.sort_by(|a, b| a.code.cmp(&b.code));
    if let Some(pair) = areas.windows(2).find(|pair| pair[0].code == pair[1].code) {
        bail!("duplicate code {}", pair[0].code);
    }
    ensure!(!areas.is_empty(), "no areas");
    Ok(areas)
}

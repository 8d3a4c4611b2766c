//! The shape of a JSON input, checked against the OpenAPI schema of the type it is read
//! into before serde sees it. serde stops at the first problem; this walk reports every
//! missing field, unknown field, wrong type, value outside its enum and unreadable time at
//! once, each with its path, code and a message in Thai and English, and never a parser's
//! own words. The schema is the one the spec publishes, so the two cannot disagree.
//!
//! A broken value is then replaced by a harmless stand-in of the right type, so the input
//! can still be read and its semantic rules checked: a missing summary and a point outside
//! Thailand come back together. [`Checked::parse_with`] drops the semantic errors of the
//! fields that were stood in for.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{DateTime, NaiveDate};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::domain::{buddhist_era_year, FieldCode, FIRST_BUDDHIST_ERA_YEAR};
use crate::error::{ApiError, FieldError};

/// The schema of one input type, with the schemas it refers to.
#[derive(Debug)]
pub struct Shape {
    root: Value,
    components: HashMap<String, Value>,
}

static SHAPES: LazyLock<Mutex<HashMap<TypeId, Arc<Shape>>>> = LazyLock::new(Default::default);

impl Shape {
    /// The shape of `T`, built once per type.
    pub fn of<T: ToSchema + 'static>() -> Arc<Shape> {
        let mut shapes = SHAPES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        shapes
            .entry(TypeId::of::<T>())
            .or_insert_with(|| {
                let mut referenced = Vec::new();
                T::schemas(&mut referenced);
                let components = referenced
                    .into_iter()
                    .filter_map(|(name, schema)| Some((name, serde_json::to_value(schema).ok()?)))
                    .collect();
                Arc::new(Shape {
                    root: serde_json::to_value(T::schema()).unwrap_or(Value::Null),
                    components,
                })
            })
            .clone()
    }

    /// Checks `value` and reads it into `T`, standing in for what is broken.
    pub fn read<T: DeserializeOwned>(&self, mut value: Value) -> Checked<T> {
        let mut errors = Vec::new();
        self.repair(&self.root, &mut value, "", &mut errors);
        match crate::http::from_value::<T>(value) {
            Ok(input) => Checked {
                input: Some(input),
                errors,
            },
            Err(error) => {
                // A value the schema allows but a domain type refused while reading.
                if !errors.iter().any(|e| overlaps(&e.field, &error.field)) {
                    errors.push(error);
                }
                Checked {
                    input: None,
                    errors,
                }
            }
        }
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut schema = schema;
        for _ in 0..16 {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let name = reference.rsplit('/').next().unwrap_or(reference);
            match self.components.get(name) {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }

    /// Checks `value` against `schema` at `path`, replacing what is broken.
    fn repair(&self, schema: &Value, value: &mut Value, path: &str, errors: &mut Vec<FieldError>) {
        let schema = self.resolve(schema);
        if let Some(choices) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
        {
            return self.repair_choice(choices, value, path, errors);
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            for part in parts {
                self.repair(part, value, path, errors);
            }
            return;
        }
        let types = types_of(schema);
        if types.is_empty() {
            return; // any value
        }
        let Some(kind) = types.iter().find(|t| fits(t, value)).copied() else {
            errors.push(wrong_type(path, &types));
            *value = self.stand_in(schema);
            return;
        };
        match kind {
            "object" => self.repair_object(schema, value, path, errors),
            "array" => {
                let items = schema.get("items").cloned().unwrap_or(Value::Null);
                if let Value::Array(elements) = value {
                    for (index, element) in elements.iter_mut().enumerate() {
                        self.repair(&items, element, &format!("{path}[{index}]"), errors);
                    }
                }
            }
            "string" => self.repair_string(schema, value, path, errors),
            _ => {}
        }
    }

    /// `Option<T>` is written `oneOf: [null, T]`: the value must fit one choice.
    fn repair_choice(
        &self,
        choices: &[Value],
        value: &mut Value,
        path: &str,
        errors: &mut Vec<FieldError>,
    ) {
        if value.is_null()
            && choices
                .iter()
                .any(|c| types_of(self.resolve(c)) == ["null"])
        {
            return;
        }
        let mut best: Option<(Vec<FieldError>, Value)> = None;
        for choice in choices {
            if types_of(self.resolve(choice)) == ["null"] {
                continue;
            }
            let mut attempt = value.clone();
            let mut found = Vec::new();
            self.repair(choice, &mut attempt, path, &mut found);
            if found.is_empty() {
                *value = attempt;
                return;
            }
            if best.as_ref().is_none_or(|(e, _)| found.len() < e.len()) {
                best = Some((found, attempt));
            }
        }
        if let Some((found, attempt)) = best {
            errors.extend(found);
            *value = attempt;
        }
    }

    fn repair_object(
        &self,
        schema: &Value,
        value: &mut Value,
        path: &str,
        errors: &mut Vec<FieldError>,
    ) {
        let Value::Object(object) = value else {
            return;
        };
        let properties = schema.get("properties").and_then(Value::as_object);
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        if let Some(properties) = properties {
            let names: Vec<String> = object.keys().cloned().collect();
            for name in names {
                let field = join(path, &name);
                match properties.get(&name) {
                    Some(property) => {
                        if let Some(inner) = object.get_mut(&name) {
                            self.repair(property, inner, &field, errors);
                        }
                    }
                    None if closed => {
                        errors.push(FieldError::new(
                            field,
                            FieldCode::UnknownField,
                            "is not a known field",
                            "ไม่รู้จักช่องข้อมูลนี้ กรุณาตรวจสอบชื่อช่องข้อมูล",
                        ));
                        object.remove(&name);
                    }
                    None => {}
                }
            }
        }
        for name in required_of(schema) {
            if !object.contains_key(name) {
                errors.push(FieldError::required(join(path, name)));
                let property = properties
                    .and_then(|p| p.get(name))
                    .cloned()
                    .unwrap_or(Value::Null);
                object.insert(name.to_owned(), self.stand_in(&property));
            }
        }
    }

    fn repair_string(
        &self,
        schema: &Value,
        value: &mut Value,
        path: &str,
        errors: &mut Vec<FieldError>,
    ) {
        let Value::String(text) = value else {
            return;
        };
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.iter().any(|a| a.as_str() == Some(text.as_str())) {
                let names: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
                let names = names.join(", ");
                errors.push(FieldError::new(
                    path,
                    FieldCode::NotAllowedValue,
                    format!("must be one of: {names}"),
                    format!("ต้องเป็นค่าใดค่าหนึ่งต่อไปนี้: {names}"),
                ));
                *value = self.stand_in(schema);
            }
            return;
        }
        let refusal = match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => check_date_time(text),
            Some("date") => check_date(text),
            _ => None,
        };
        if let Some(error) = refusal {
            errors.push(FieldError::refused(path, error));
            *value = self.stand_in(schema);
        }
    }

    /// A value of the schema's type that reads without error: what a broken or missing
    /// value is replaced by, so the rest of the input can still be checked.
    fn stand_in(&self, schema: &Value) -> Value {
        let schema = self.resolve(schema);
        if let Some(choices) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .or_else(|| schema.get("allOf"))
            .and_then(Value::as_array)
        {
            return choices
                .iter()
                .find(|c| types_of(self.resolve(c)) != ["null"])
                .map_or(Value::Null, |c| self.stand_in(c));
        }
        if let Some(first) = schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            return first.clone();
        }
        let types = types_of(schema);
        if types.contains(&"null") {
            return Value::Null;
        }
        match types.first().copied() {
            Some("string") => match schema.get("format").and_then(Value::as_str) {
                Some("date-time") => Value::from("2000-01-01T00:00:00Z"),
                Some("date") => Value::from("2000-01-01"),
                _ => Value::from(""),
            },
            Some("integer" | "number") => Value::from(0),
            Some("boolean") => Value::Bool(false),
            Some("array") => Value::Array(Vec::new()),
            Some("object") => {
                let mut object = Map::new();
                let properties = schema.get("properties").and_then(Value::as_object);
                for name in required_of(schema) {
                    let property = properties
                        .and_then(|p| p.get(name))
                        .cloned()
                        .unwrap_or(Value::Null);
                    object.insert(name.to_owned(), self.stand_in(&property));
                }
                Value::Object(object)
            }
            _ => Value::Null,
        }
    }
}

/// An input read through its shape: the value (with stand-ins for what was broken) and
/// every structural error found.
#[derive(Debug)]
pub struct Checked<T> {
    input: Option<T>,
    errors: Vec<FieldError>,
}

impl<T> Checked<T> {
    /// The input, when nothing was wrong with its shape.
    pub fn into_inner(self) -> Result<T, ApiError> {
        match self.input {
            Some(input) if self.errors.is_empty() => Ok(input),
            _ => Err(ApiError::Validation(self.errors)),
        }
    }

    /// Reads the input with `parse` (its semantic rules) and answers every error at once:
    /// the shape's and those of `parse` about fields whose shape was sound.
    pub fn parse_with<R>(
        self,
        parse: impl FnOnce(T) -> Result<R, Vec<FieldError>>,
    ) -> Result<R, Vec<FieldError>> {
        let Some(input) = self.input else {
            return Err(self.errors);
        };
        let mut errors = self.errors;
        match parse(input) {
            Ok(parsed) if errors.is_empty() => Ok(parsed),
            Ok(_) => Err(errors),
            Err(found) => {
                let structural = errors.len();
                for error in found {
                    if !errors[..structural]
                        .iter()
                        .any(|e| overlaps(&e.field, &error.field))
                    {
                        errors.push(error);
                    }
                }
                Err(errors)
            }
        }
    }
}

/// Whether two field paths name the same value or one holds the other.
fn overlaps(a: &str, b: &str) -> bool {
    let holds = |outer: &str, inner: &str| {
        inner == outer
            || outer == "body"
            || inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    };
    holds(a, b) || holds(b, a)
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn required_of(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn fits(kind: &str, value: &Value) -> bool {
    match kind {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

fn wrong_type(path: &str, types: &[&str]) -> FieldError {
    let field = if path.is_empty() { "body" } else { path };
    let (en, th) = match types.iter().find(|t| **t != "null").copied() {
        Some("string") => ("must be text", "ต้องเป็นข้อความ"),
        Some("integer") => ("must be a whole number", "ต้องเป็นจำนวนเต็ม"),
        Some("number") => ("must be a number", "ต้องเป็นตัวเลข"),
        Some("boolean") => ("must be true or false", "ต้องเป็น true หรือ false"),
        Some("array") => ("must be a list", "ต้องเป็นรายการ (array)"),
        _ => ("must be an object", "ต้องเป็นกลุ่มข้อมูล (object)"),
    };
    FieldError::new(field, FieldCode::WrongType, en, th)
}

/// An RFC 3339 time with its offset, in the Gregorian calendar.
fn check_date_time(text: &str) -> Option<crate::domain::Refusal> {
    if let Some(year) = leading_year(text).filter(|y| *y >= FIRST_BUDDHIST_ERA_YEAR) {
        return Some(buddhist_era_year(year));
    }
    DateTime::parse_from_rfc3339(text).err().map(|_| {
        crate::domain::Refusal::new(
            FieldCode::BadFormat,
            "must be a date and time with its offset (RFC 3339), e.g. 2026-12-03T10:30:00+07:00",
            "ต้องเป็นวันและเวลาพร้อมเขตเวลา (RFC 3339) ในปีคริสต์ศักราช \
             เช่น 2026-12-03T10:30:00+07:00",
        )
    })
}

/// A calendar day `YYYY-MM-DD`, in the Gregorian calendar.
fn check_date(text: &str) -> Option<crate::domain::Refusal> {
    if let Some(year) = leading_year(text).filter(|y| *y >= FIRST_BUDDHIST_ERA_YEAR) {
        return Some(buddhist_era_year(year));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").err().map(|_| {
        crate::domain::Refusal::new(
            FieldCode::BadFormat,
            "must be a day written YYYY-MM-DD, e.g. 2026-12-03",
            "ต้องเป็นวันที่ในรูปแบบ ปปปป-ดด-วว (ปีคริสต์ศักราช) เช่น 2026-12-03",
        )
    })
}

/// The four-digit year a date or time starts with.
pub fn leading_year(text: &str) -> Option<i32> {
    let digits = text.trim().get(..4)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let next = text.trim().as_bytes().get(4).copied();
    matches!(next, None | Some(b'-'))
        .then(|| digits.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Point {
        lat: f64,
        lon: f64,
    }

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Home,
        Office,
    }

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        #[schema(value_type = String, format = DateTime)]
        at: DateTime<chrono::FixedOffset>,
        point: Point,
        kinds: Vec<Kind>,
        count: i64,
        note: Option<String>,
        summary: String,
    }

    fn check(value: Value) -> Checked<Input> {
        Shape::of::<Input>().read(value)
    }

    fn codes(checked: &Checked<Input>) -> Vec<(String, FieldCode)> {
        checked
            .errors
            .iter()
            .map(|e| (e.field.clone(), e.code))
            .collect()
    }

    #[test]
    fn a_sound_input_reads_without_errors() {
        let checked = check(serde_json::json!({
            "at": "2026-12-03T10:30:00+07:00", "point": {"lat": 18.7, "lon": 98.9},
            "kinds": ["home"], "count": 3, "note": null, "summary": "ok"
        }));
        assert!(checked.errors.is_empty(), "{:?}", checked.errors);
        assert_eq!(checked.into_inner().unwrap().count, 3);
    }

    #[test]
    fn every_structural_problem_is_reported_at_once_with_its_path() {
        let checked = check(serde_json::json!({
            "at": "2026-12-03T10:30:00", "point": {"lat": "18.7", "lon": 98.9, "alt": 1},
            "kinds": ["home", "shop"], "count": 1.5, "extra": true
        }));
        let mut found = codes(&checked);
        found.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            found,
            vec![
                ("at".to_owned(), FieldCode::BadFormat),
                ("count".to_owned(), FieldCode::WrongType),
                ("extra".to_owned(), FieldCode::UnknownField),
                ("kinds[1]".to_owned(), FieldCode::NotAllowedValue),
                ("point.alt".to_owned(), FieldCode::UnknownField),
                ("point.lat".to_owned(), FieldCode::WrongType),
                ("summary".to_owned(), FieldCode::Required),
            ]
        );
        // Stand-ins let the rest be read.
        assert!(checked.input.is_some());
        for error in &checked.errors {
            for text in [&error.message.en, &error.message.th] {
                assert!(!text.contains("invalid type") && !text.contains("expected"));
            }
        }
    }

    #[test]
    fn a_buddhist_era_time_is_its_own_mistake() {
        let checked = check(serde_json::json!({
            "at": "2569-12-03T10:30:00+07:00", "point": {"lat": 18.7, "lon": 98.9},
            "kinds": [], "count": 0, "summary": "x"
        }));
        assert_eq!(
            codes(&checked),
            vec![("at".to_owned(), FieldCode::BuddhistEraYear)]
        );
        assert!(checked.errors[0].message.th.contains("2026"));
    }

    #[test]
    fn semantic_errors_about_broken_fields_are_dropped_and_the_others_kept() {
        let checked = check(serde_json::json!({
            "at": "2026-12-03T10:30:00+07:00", "point": {"lat": 18.7, "lon": 98.9},
            "kinds": [], "count": "many"
        }));
        let errors = checked
            .parse_with(|_: Input| -> Result<(), Vec<FieldError>> {
                Err(vec![
                    FieldError::new("count", FieldCode::OutOfRange, "x", "x"),
                    FieldError::new("summary", FieldCode::Empty, "x", "x"),
                    FieldError::new("point", FieldCode::OutsideThailand, "x", "x"),
                ])
            })
            .unwrap_err();
        let found: Vec<(&str, FieldCode)> =
            errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            found,
            vec![
                ("count", FieldCode::WrongType),
                ("summary", FieldCode::Required),
                ("point", FieldCode::OutsideThailand),
            ]
        );
    }

    #[test]
    fn paths_overlap_only_along_one_branch() {
        assert!(overlaps("location", "location.lat"));
        assert!(overlaps("needs[0]", "needs"));
        assert!(!overlaps("location", "location_note"));
        assert!(!overlaps("needs", "summary"));
    }

    #[test]
    fn the_leading_year_is_read_only_from_a_date() {
        assert_eq!(leading_year("2569-12-03T10:30:00+07:00"), Some(2569));
        assert_eq!(leading_year("2026-W48"), Some(2026));
        assert_eq!(leading_year("20261203"), None);
        assert_eq!(leading_year("x"), None);
    }
}

//! `ValidJson<T>`: the JSON body extractor every write endpoint uses.
//!
//! It enforces the content type and the size cap while the body streams in (413 without
//! reading the rest), answers 400 for a body that is not a JSON object, and checks the
//! object against `T`'s schema (`http::shape`), so a handler answers every broken field
//! at once: the shape's and its own rules'.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use super::shape::{Checked, Shape};
use crate::error::{ApiError, FieldCode, FieldError};

/// Body caps, installed as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// One record (a visit, a grievance, a login).
    pub record: usize,
    /// A batch of records (offline sync).
    pub batch: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            record: 64 * 1024,
            batch: 4 * 1024 * 1024,
        }
    }
}

/// A JSON body of one record, at most `BodyLimits::record` bytes, read through its shape.
pub struct ValidJson<T>(pub Checked<T>);

/// A JSON body of a batch, at most `BodyLimits::batch` bytes. Its items are kept as JSON
/// values: each is read through its own shape, so one bad item never sinks the others.
pub struct BatchJson<T>(pub T);

impl<T> ValidJson<T> {
    /// The body, when its shape was sound (else a 422 naming every broken field).
    pub fn into_inner(self) -> Result<T, ApiError> {
        self.0.into_inner()
    }

    /// The body read by `parse`, with every error at once: see [`Checked::parse_with`].
    pub fn parse_with<R>(
        self,
        parse: impl FnOnce(T) -> Result<R, Vec<FieldError>>,
    ) -> Result<R, ApiError> {
        self.0.parse_with(parse).map_err(ApiError::Validation)
    }
}

impl<T> BatchJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + ToSchema + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = limits(req).record;
        extract(req, payload, limit, ValidJson)
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for BatchJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = limits(req).batch;
        let checks = check_headers(req, limit);
        let mut payload = payload.take();
        Box::pin(async move {
            checks?;
            let body = read_capped(&mut payload, limit).await?;
            let value = parse_json_object(&body)?;
            from_value(value)
                .map(BatchJson)
                .map_err(|error| ApiError::Validation(vec![error]))
        })
    }
}

fn limits(req: &HttpRequest) -> BodyLimits {
    req.app_data::<BodyLimits>().copied().unwrap_or_default()
}

fn extract<T, W>(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
    wrap: fn(Checked<T>) -> W,
) -> LocalBoxFuture<'static, Result<W, ApiError>>
where
    T: DeserializeOwned + ToSchema + 'static,
    W: 'static,
{
    let checks = check_headers(req, limit);
    let mut payload = payload.take();
    Box::pin(async move {
        checks?;
        let body = read_capped(&mut payload, limit).await?;
        parse_object(&body).map(wrap)
    })
}

fn check_headers(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType(crate::domain::Message::new(
            "send the body as Content-Type: application/json",
            "กรุณาส่งข้อมูลเป็น JSON (Content-Type: application/json)",
        )));
    }
    super::declared_body_within(req, limit)?;
    Ok(())
}

/// Reads the body, giving up as soon as it passes `limit` bytes.
pub async fn read_capped(payload: &mut Payload, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Parses a body that must be a JSON object and reads it into `T` through its shape.
pub fn parse_object<T: DeserializeOwned + ToSchema + 'static>(
    body: &[u8],
) -> Result<Checked<T>, ApiError> {
    Ok(Shape::of::<T>().read(parse_json_object(body)?))
}

/// Parses a body that must be one JSON object (400 otherwise).
fn parse_json_object(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    let value = parse_without_repeated_keys(body)?;
    if !value.is_object() {
        return Err(ApiError::malformed(
            "the body must be a JSON object",
            "ข้อมูลที่ส่งต้องเป็น JSON แบบ object ({ ... })",
        ));
    }
    Ok(value)
}

/// Parses JSON, refusing an object that names one key twice (422): parsers disagree on
/// which of the two wins, so a proxy or a log could read another record than we store.
fn parse_without_repeated_keys(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    let mut reader = serde_json::Deserializer::from_slice(body);
    let not_json = || ApiError::malformed("the body is not valid JSON", "ข้อมูลที่ส่งไม่ใช่ JSON ที่ถูกต้อง");
    let parsed: Result<NoRepeatedKeys, _> = serde_path_to_error::deserialize(&mut reader);
    if parsed.is_ok() {
        reader.end().map_err(|_| not_json())?;
    }
    parsed.map(|NoRepeatedKeys(value)| value).map_err(|error| {
        let message = error.inner().to_string();
        match message
            .strip_prefix(REPEATED_KEY)
            .and_then(|rest| rest.split_once('`'))
        {
            Some((key, _)) if error.inner().is_data() => {
                let parent: Vec<String> = error.path().iter().map(|s| s.to_string()).collect();
                let parent = join_path(&parent);
                let field = if parent.is_empty() {
                    key.to_owned()
                } else {
                    format!("{parent}.{key}")
                };
                ApiError::Validation(vec![FieldError::new(
                    field,
                    FieldCode::DuplicateKey,
                    "appears more than once in the same object",
                    "ระบุช่องข้อมูลนี้ซ้ำในกลุ่มข้อมูลเดียวกัน",
                )])
            }
            _ => not_json(),
        }
    })
}

const REPEATED_KEY: &str = "repeated key `";

/// A JSON value whose objects were checked, while being read, for a key named twice.
struct NoRepeatedKeys(serde_json::Value);

impl<'de> serde::Deserialize<'de> for NoRepeatedKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(NoRepeatedKeysVisitor)
            .map(NoRepeatedKeys)
    }
}

struct NoRepeatedKeysVisitor;

impl<'de> serde::de::Visitor<'de> for NoRepeatedKeysVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(NoRepeatedKeys(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(items.into())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("{REPEATED_KEY}{key}`")));
            }
            let NoRepeatedKeys(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(object.into())
    }
}

/// Deserialises an already-parsed value, naming the offending field on failure. The
/// shape check has usually caught the problem first; what is left here is a value a
/// domain type refused while being read, told in our words, never serde's.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| field_error(&e))
}

/// Names the field a serde error is about, by its JSON path.
fn field_error(error: &serde_path_to_error::Error<serde_json::Error>) -> FieldError {
    let message = error.inner().to_string();
    let mut segments: Vec<String> = error.path().iter().map(|s| s.to_string()).collect();
    // serde puts an unknown field in the path already, a missing one not; either way the
    // error should name the field itself.
    if message.starts_with("unknown field `") {
        segments.pop();
    }
    let parent = join_path(&segments);
    let named = |rest: &str| {
        rest.split_once('`').map(|(name, _)| {
            if parent.is_empty() {
                name.to_owned()
            } else {
                format!("{parent}.{name}")
            }
        })
    };
    if let Some(field) = message.strip_prefix("unknown field `").and_then(named) {
        return FieldError::new(
            field,
            FieldCode::UnknownField,
            "is not a known field",
            "ไม่รู้จักช่องข้อมูลนี้ กรุณาตรวจสอบชื่อช่องข้อมูล",
        );
    }
    if let Some(field) = message.strip_prefix("missing field `").and_then(named) {
        return FieldError::required(field);
    }
    let field = if parent.is_empty() {
        "body".to_owned()
    } else {
        parent
    };
    FieldError::new(
        field,
        FieldCode::BadFormat,
        "has a value that cannot be read here; check its type and format",
        "ค่านี้ไม่อยู่ในรูปแบบที่ระบบอ่านได้ กรุณาตรวจสอบชนิดและรูปแบบของข้อมูล",
    )
}

/// `location.lat`, `target_groups[0]`.
fn join_path(segments: &[String]) -> String {
    let mut path = String::new();
    for segment in segments {
        if segment.starts_with('[') || path.is_empty() {
            path.push_str(segment);
        } else {
            path.push('.');
            path.push_str(segment);
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Location {
        lat: f64,
        lon: f64,
    }

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        location: Location,
        tags: Vec<String>,
    }

    fn errors_of(body: &str) -> ApiError {
        parse_object::<Input>(body.as_bytes())
            .and_then(Checked::into_inner)
            .unwrap_err()
    }

    fn single_field(error: ApiError) -> FieldError {
        match error {
            ApiError::Validation(mut errors) => errors.remove(0),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn not_json_or_not_an_object_is_malformed() {
        assert!(matches!(errors_of("{"), ApiError::MalformedRequest(_)));
        assert!(matches!(errors_of("[1, 2]"), ApiError::MalformedRequest(_)));
        assert!(matches!(errors_of("\"x\""), ApiError::MalformedRequest(_)));
    }

    #[test]
    fn wrong_type_names_the_nested_field() {
        let error = single_field(errors_of(
            r#"{"location": {"lat": "north", "lon": 100.0}, "tags": []}"#,
        ));
        assert_eq!(error.field, "location.lat");
        let error = single_field(errors_of(
            r#"{"location": {"lat": 1.0, "lon": 100.0}, "tags": [1]}"#,
        ));
        assert_eq!(error.field, "tags[0]");
    }

    #[test]
    fn a_key_named_twice_is_refused_with_its_path() {
        let error = single_field(errors_of(
            r#"{"location": {"lat": 1.0, "lon": 2.0, "lat": 3.0}, "tags": []}"#,
        ));
        assert_eq!(error.field, "location.lat");
        assert_eq!(error.code, FieldCode::DuplicateKey);
        let error = single_field(errors_of(r#"{"tags": [], "tags": ["x"]}"#));
        assert_eq!(error.field, "tags");
        let error = single_field(errors_of(r#"{"tags": [{"a": 1, "a": 2}]}"#));
        assert_eq!(error.field, "tags[0].a");
        // The same key in two different objects is fine.
        assert!(parse_without_repeated_keys(br#"{"a": {"k": 1}, "b": {"k": 2}}"#).is_ok());
        // Trailing garbage is still not JSON.
        assert!(matches!(errors_of("{} x"), ApiError::MalformedRequest(_)));
    }

    #[test]
    fn unknown_and_missing_fields_name_themselves() {
        let error = single_field(errors_of(
            r#"{"location": {"lat": 1.0, "lon": 2.0, "alt": 3}, "tags": []}"#,
        ));
        assert_eq!(error.field, "location.alt");
        let error = single_field(errors_of(r#"{"location": {"lat": 1.0, "lon": 2.0}}"#));
        assert_eq!(error.field, "tags");
        assert_eq!(error.code, FieldCode::Required);
        assert_eq!(error.message.th, "ต้องระบุ");
    }
}

//! The one error type of the HTTP API, rendered as RFC 9457 `application/problem+json`.
//!
//! Every variant maps to a stable machine-readable `code` from API.md; clients branch on
//! `code`, people read `title` and `detail`. Internal errors are logged with their cause
//! and answered without any detail, so no SQL or stack trace ever reaches a client.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::TextError;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// One rule broken by one field of the input, named by its JSON path (`location.lat`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    #[schema(example = "location.lat")]
    pub field: String,
    /// Stable, machine-readable reason, where one has been given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<FieldCode>,
    #[schema(example = "must be between -90 and 90")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: None,
            message: message.into(),
        }
    }

    pub fn coded(field: impl Into<String>, code: FieldCode, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: Some(code),
            message: message.into(),
        }
    }

    /// A free-text field refused by [`bounded_text`](crate::domain::bounded_text).
    pub fn text(field: impl Into<String>, error: TextError) -> Self {
        let code = match error {
            TextError::Empty => FieldCode::Empty,
            TextError::TooShort { .. } => FieldCode::OutOfRange,
            TextError::TooLong { .. } => FieldCode::TooLong,
            TextError::ControlCharacter => FieldCode::BadFormat,
        };
        Self::coded(field, code, error.to_string())
    }
}

/// The stable codes of field errors (API.md, "Errors a phone can show").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
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
}

/// The codes of a 409 answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictCode {
    IdConflict,
    UsernameTaken,
    InvalidTransition,
}

impl ConflictCode {
    fn as_str(self) -> &'static str {
        match self {
            Self::IdConflict => "id_conflict",
            Self::UsernameTaken => "username_taken",
            Self::InvalidTransition => "invalid_transition",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    MalformedRequest(String),
    #[error("authentication required: {0}")]
    Unauthenticated(String),
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("token expired")]
    TokenExpired,
    #[error("account disabled")]
    AccountDisabled,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {detail}")]
    Conflict { code: ConflictCode, detail: String },
    #[error("version mismatch: {0}")]
    VersionMismatch(String),
    #[error("payload too large: over {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("the request body arrived too slowly")]
    RequestTimeout,
    #[error("too many requests, retry after {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    ServiceUnavailable(String),
    #[error("insufficient storage")]
    InsufficientStorage,
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl ApiError {
    /// A 422 for a single field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// A 422 for a single free-text field.
    pub fn text_field(field: impl Into<String>, error: TextError) -> Self {
        Self::Validation(vec![FieldError::text(field, error)])
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::Internal(cause.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedRequest(_) => "malformed_request",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::TokenExpired => "token_expired",
            Self::AccountDisabled => "account_disabled",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict { code, .. } => code.as_str(),
            Self::VersionMismatch(_) => "version_mismatch",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Validation(_) => "validation_failed",
            Self::RequestTimeout => "request_timeout",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::ServiceUnavailable(_) => "service_unavailable",
            Self::InsufficientStorage => "insufficient_storage",
            Self::Internal(_) => "internal_error",
        }
    }

    /// What the client is told; `None` where saying more would leak internals.
    fn detail(&self) -> Option<String> {
        match self {
            Self::MalformedRequest(d)
            | Self::Unauthenticated(d)
            | Self::Forbidden(d)
            | Self::VersionMismatch(d)
            | Self::UnsupportedMediaType(d)
            | Self::ServiceUnavailable(d) => Some(d.clone()),
            Self::Conflict { detail, .. } => Some(detail.clone()),
            Self::InvalidCredentials => Some("unknown username or wrong password".into()),
            Self::TokenExpired => Some("the access token has expired; refresh it".into()),
            Self::AccountDisabled => Some("this account has been deactivated".into()),
            Self::NotFound => Some("no such resource".into()),
            Self::MethodNotAllowed => Some("this resource does not accept that method".into()),
            Self::PayloadTooLarge { limit } => {
                Some(format!("the request body is larger than {limit} bytes"))
            }
            Self::Validation(errors) => Some(match errors.len() {
                1 => "one field is invalid".to_owned(),
                n => format!("{n} fields are invalid"),
            }),
            Self::RequestTimeout => {
                Some("the request body arrived too slowly; send it again".into())
            }
            Self::TooManyRequests { retry_after_secs } => {
                Some(format!("too many attempts; retry in {retry_after_secs} s"))
            }
            Self::InsufficientStorage => {
                Some("the server has no room to store this; try again later".into())
            }
            Self::Internal(_) => None,
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        Problem {
            problem_type: format!("urn:fieldweek:problem:{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            code: self.code().to_owned(),
            errors: match self {
                Self::Validation(errors) => Some(errors.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) | Self::InvalidCredentials | Self::TokenExpired => {
                StatusCode::UNAUTHORIZED
            }
            Self::AccountDisabled | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::VersionMismatch(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            // The request span carries the request id, so this line can be matched to the 500.
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let mut response = self.problem().into_response();
        if let Self::TooManyRequests { retry_after_secs } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from((*retry_after_secs).max(1)),
            );
        }
        if matches!(
            self,
            Self::Unauthenticated(_) | Self::InvalidCredentials | Self::TokenExpired
        ) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"fieldweek\""),
            );
        }
        response
    }
}

/// The RFC 9457 body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(example = "urn:fieldweek:problem:validation_failed")]
    pub problem_type: String,
    #[schema(example = "Unprocessable Entity")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable, machine-readable reason: branch on this, not on `title` or `detail`.
    #[schema(example = "validation_failed")]
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl Problem {
    /// A problem for a status that no `ApiError` produced (e.g. actix's own 405).
    pub fn for_status(status: StatusCode) -> Self {
        let error = match status {
            StatusCode::BAD_REQUEST => {
                ApiError::MalformedRequest("the request is malformed".into())
            }
            StatusCode::UNAUTHORIZED => {
                ApiError::Unauthenticated("a bearer token is required".into())
            }
            StatusCode::FORBIDDEN => ApiError::Forbidden("not allowed".into()),
            StatusCode::NOT_FOUND => ApiError::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { limit: 0 },
            StatusCode::REQUEST_TIMEOUT => ApiError::RequestTimeout,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ApiError::UnsupportedMediaType("this content type is not accepted here".into())
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                ApiError::ServiceUnavailable("try again shortly".into())
            }
            _ => {
                return Problem {
                    problem_type: "about:blank".into(),
                    title: status.canonical_reason().unwrap_or("Error").into(),
                    status: status.as_u16(),
                    detail: None,
                    code: if status.is_server_error() {
                        "internal_error".into()
                    } else {
                        "request_failed".into()
                    },
                    errors: None,
                };
            }
        };
        let mut problem = error.problem();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            problem.detail = Some("the request body is too large".into());
        }
        problem
    }

    pub fn into_response(self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status)
            .content_type(PROBLEM_CONTENT_TYPE)
            .json(self)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => Self::NotFound,
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => {
                tracing::warn!(error = info.message(), "database connection lost");
                Self::ServiceUnavailable("the database is unavailable; try again shortly".into())
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(error: r2d2::Error) -> Self {
        tracing::warn!(error = %error, "no database connection available");
        Self::ServiceUnavailable("the database is unavailable; try again shortly".into())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        Self::Internal(anyhow::anyhow!("a blocking task panicked or was cancelled"))
    }
}

//! The one error type of the HTTP API, rendered as RFC 9457 `application/problem+json`.
//!
//! Every variant maps to a stable machine-readable `code` from API.md; clients branch on
//! `code`, people read `title`, `detail` and each field's `message`, in Thai or English as
//! the request's `Accept-Language` prefers (`http::observe` renders it in the caller's
//! language). Internal errors are logged with their cause and answered without any
//! detail, so no SQL, parser text or stack trace ever reaches a client.

use std::borrow::Cow;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::domain::FieldCode;
use crate::domain::{Language, Message, ParseError, Refusal, TextError};

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// One rule broken by one field of the input, named by its JSON path (`location.lat`)
/// or by its query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: FieldCode,
    pub message: Message,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: FieldCode,
        en: impl Into<Cow<'static, str>>,
        th: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::refused(field, Refusal::new(code, en, th))
    }

    pub fn refused(field: impl Into<String>, refusal: Refusal) -> Self {
        Self {
            field: field.into(),
            code: refusal.code,
            message: refusal.message,
        }
    }

    /// A value a domain type refused.
    pub fn parse(field: impl Into<String>, error: ParseError) -> Self {
        Self::refused(field, error.into_refusal())
    }

    /// A free-text field refused by [`bounded_text`](crate::domain::bounded_text).
    pub fn text(field: impl Into<String>, error: TextError) -> Self {
        Self::refused(field, error.refusal())
    }

    /// A field the input must have.
    pub fn required(field: impl Into<String>) -> Self {
        Self::new(field, FieldCode::Required, "is required", "ต้องระบุ")
    }

    fn in_language(&self, language: Language) -> FieldProblem {
        FieldProblem {
            field: self.field.clone(),
            code: self.code,
            message: self.message.in_language(language).to_owned(),
        }
    }
}

string_enum! {
    /// The stable code of every problem answer (API.md): clients branch on it.
    ProblemCode {
        MalformedRequest => "malformed_request",
        Unauthenticated => "unauthenticated",
        InvalidCredentials => "invalid_credentials",
        TokenExpired => "token_expired",
        AccountDisabled => "account_disabled",
        PasswordChangeRequired => "password_change_required",
        Forbidden => "forbidden",
        NotFound => "not_found",
        MethodNotAllowed => "method_not_allowed",
        IdConflict => "id_conflict",
        UsernameTaken => "username_taken",
        InvalidTransition => "invalid_transition",
        VersionMismatch => "version_mismatch",
        CursorExpired => "cursor_expired",
        PayloadTooLarge => "payload_too_large",
        UnsupportedMediaType => "unsupported_media_type",
        ValidationFailed => "validation_failed",
        RequestTimeout => "request_timeout",
        TooManyRequests => "too_many_requests",
        ServiceUnavailable => "service_unavailable",
        InsufficientStorage => "insufficient_storage",
        InternalError => "internal_error",
        RequestFailed => "request_failed",
        OffsetMismatch => "offset_mismatch",
        ChecksumMismatch => "checksum_mismatch",
        TusVersionUnsupported => "tus_version_unsupported",
        UploadExpired => "upload_expired",
        UploadLocked => "upload_locked",
    }
}

impl ProblemCode {
    /// The problem's name for people: the `title` in Thai and the labels of
    /// `GET /meta/labels`.
    pub fn label(self) -> Message {
        let (en, th) = match self {
            Self::MalformedRequest => ("Malformed request", "คำขอมีรูปแบบไม่ถูกต้อง"),
            Self::Unauthenticated => ("Sign-in required", "กรุณาเข้าสู่ระบบ"),
            Self::InvalidCredentials => ("Wrong username or password", "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"),
            Self::TokenExpired => ("Session expired", "หมดเวลาการเข้าใช้งาน"),
            Self::AccountDisabled => ("Account disabled", "บัญชีถูกระงับการใช้งาน"),
            Self::PasswordChangeRequired => ("Change your password first", "กรุณาเปลี่ยนรหัสผ่านก่อน"),
            Self::Forbidden => ("Not allowed", "ไม่มีสิทธิ์ดำเนินการ"),
            Self::NotFound => ("Not found", "ไม่พบข้อมูล"),
            Self::MethodNotAllowed => ("Method not allowed", "ไม่รองรับวิธีเรียกใช้นี้"),
            Self::IdConflict => ("Id already used", "รหัสนี้ถูกใช้กับข้อมูลอื่นแล้ว"),
            Self::UsernameTaken => ("Username taken", "ชื่อผู้ใช้นี้มีผู้ใช้แล้ว"),
            Self::InvalidTransition => (
                "Not possible in this status",
                "ไม่สามารถดำเนินการได้ในสถานะปัจจุบัน",
            ),
            Self::VersionMismatch => ("Changed by someone else", "ข้อมูลถูกแก้ไขโดยผู้อื่นแล้ว"),
            Self::CursorExpired => ("Sync again from the start", "ต้องเริ่มซิงค์ข้อมูลใหม่ตั้งแต่ต้น"),
            Self::PayloadTooLarge => ("Too large", "ข้อมูลมีขนาดใหญ่เกินกำหนด"),
            Self::UnsupportedMediaType => ("Unsupported content type", "ไม่รองรับชนิดข้อมูลที่ส่งมา"),
            Self::ValidationFailed => ("Invalid data", "ข้อมูลไม่ถูกต้อง"),
            Self::RequestTimeout => ("Sent too slowly", "ส่งข้อมูลช้าเกินไป"),
            Self::TooManyRequests => ("Too many requests", "ส่งคำขอถี่เกินไป"),
            Self::ServiceUnavailable => ("Service unavailable", "ระบบไม่พร้อมให้บริการชั่วคราว"),
            Self::InsufficientStorage => ("No room to store", "พื้นที่จัดเก็บข้อมูลไม่พอ"),
            Self::InternalError => ("Internal error", "ระบบขัดข้อง"),
            Self::RequestFailed => ("Request failed", "ดำเนินการไม่สำเร็จ"),
            Self::OffsetMismatch => ("Wrong upload offset", "ตำแหน่งการส่งไฟล์ไม่ตรงกัน"),
            Self::ChecksumMismatch => ("Checksum mismatch", "ค่าตรวจสอบไฟล์ไม่ตรงกัน"),
            Self::TusVersionUnsupported => ("Unsupported tus version", "ไม่รองรับโพรโทคอล tus รุ่นนี้"),
            Self::UploadExpired => ("Upload expired", "การส่งไฟล์หมดอายุแล้ว"),
            Self::UploadLocked => ("Upload in use", "ไฟล์นี้กำลังถูกส่งอยู่"),
        };
        Message::new(en, th)
    }
}

/// The codes of a 409 answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictCode {
    IdConflict,
    UsernameTaken,
    InvalidTransition,
}

/// The problems of a resumable (tus) upload, each with the status tus gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadCode {
    /// 409: the client's `Upload-Offset` is not the stored one.
    OffsetMismatch,
    /// 460: the bytes of a chunk do not match its `Upload-Checksum`.
    ChecksumMismatch,
    /// 412: a `Tus-Resumable` version other than 1.0.0.
    TusVersionUnsupported,
    /// 410: the upload passed its `Upload-Expires`.
    Expired,
    /// 423: another request is writing to this upload.
    Locked,
}

/// Seconds a client told 503 (the database or the photo store not answering) waits
/// before trying again (`Retry-After`).
pub const SERVICE_RETRY_AFTER_SECS: u64 = 15;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("upload: {}", detail.en)]
    Upload { code: UploadCode, detail: Message },
    #[error("malformed request: {}", .0.en)]
    MalformedRequest(Message),
    #[error("authentication required: {}", .0.en)]
    Unauthenticated(Message),
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("token expired")]
    TokenExpired,
    #[error("account disabled")]
    AccountDisabled,
    /// Someone else set this account's password; only changing it is allowed.
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("forbidden: {}", .0.en)]
    Forbidden(Message),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {}", detail.en)]
    Conflict { code: ConflictCode, detail: Message },
    #[error("version mismatch: {}", .0.en)]
    VersionMismatch(Message),
    /// A sync cursor too old, from another account, or not one the server gave out: 410.
    #[error("cursor expired: {}", .0.en)]
    CursorExpired(Message),
    #[error("payload too large: over {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type: {}", .0.en)]
    UnsupportedMediaType(Message),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("the request body arrived too slowly")]
    RequestTimeout,
    #[error("too many requests, retry after {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {}", .0.en)]
    ServiceUnavailable(Message),
    #[error("insufficient storage")]
    InsufficientStorage,
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl ApiError {
    /// A 422 for a single field.
    pub fn field(
        field: impl Into<String>,
        code: FieldCode,
        en: impl Into<Cow<'static, str>>,
        th: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Validation(vec![FieldError::new(field, code, en, th)])
    }

    /// A 422 for a single free-text field.
    pub fn text_field(field: impl Into<String>, error: TextError) -> Self {
        Self::Validation(vec![FieldError::text(field, error)])
    }

    /// A 422 for a value a domain type refused.
    pub fn parse_field(field: impl Into<String>, error: ParseError) -> Self {
        Self::Validation(vec![FieldError::parse(field, error)])
    }

    pub fn forbidden(en: impl Into<Cow<'static, str>>, th: impl Into<Cow<'static, str>>) -> Self {
        Self::Forbidden(Message::new(en, th))
    }

    pub fn malformed(en: impl Into<Cow<'static, str>>, th: impl Into<Cow<'static, str>>) -> Self {
        Self::MalformedRequest(Message::new(en, th))
    }

    pub fn unauthenticated(
        en: impl Into<Cow<'static, str>>,
        th: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Unauthenticated(Message::new(en, th))
    }

    pub fn unavailable(en: impl Into<Cow<'static, str>>, th: impl Into<Cow<'static, str>>) -> Self {
        Self::ServiceUnavailable(Message::new(en, th))
    }

    pub fn conflict(
        code: ConflictCode,
        en: impl Into<Cow<'static, str>>,
        th: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Conflict {
            code,
            detail: Message::new(en, th),
        }
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::Internal(cause.into())
    }

    pub fn upload(
        code: UploadCode,
        en: impl Into<Cow<'static, str>>,
        th: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Upload {
            code,
            detail: Message::new(en, th),
        }
    }

    pub fn problem_code(&self) -> ProblemCode {
        match self {
            Self::Upload { code, .. } => match code {
                UploadCode::OffsetMismatch => ProblemCode::OffsetMismatch,
                UploadCode::ChecksumMismatch => ProblemCode::ChecksumMismatch,
                UploadCode::TusVersionUnsupported => ProblemCode::TusVersionUnsupported,
                UploadCode::Expired => ProblemCode::UploadExpired,
                UploadCode::Locked => ProblemCode::UploadLocked,
            },
            Self::MalformedRequest(_) => ProblemCode::MalformedRequest,
            Self::Unauthenticated(_) => ProblemCode::Unauthenticated,
            Self::InvalidCredentials => ProblemCode::InvalidCredentials,
            Self::TokenExpired => ProblemCode::TokenExpired,
            Self::AccountDisabled => ProblemCode::AccountDisabled,
            Self::PasswordChangeRequired => ProblemCode::PasswordChangeRequired,
            Self::Forbidden(_) => ProblemCode::Forbidden,
            Self::NotFound => ProblemCode::NotFound,
            Self::MethodNotAllowed => ProblemCode::MethodNotAllowed,
            Self::Conflict { code, .. } => match code {
                ConflictCode::IdConflict => ProblemCode::IdConflict,
                ConflictCode::UsernameTaken => ProblemCode::UsernameTaken,
                ConflictCode::InvalidTransition => ProblemCode::InvalidTransition,
            },
            Self::VersionMismatch(_) => ProblemCode::VersionMismatch,
            Self::CursorExpired(_) => ProblemCode::CursorExpired,
            Self::PayloadTooLarge { .. } => ProblemCode::PayloadTooLarge,
            Self::UnsupportedMediaType(_) => ProblemCode::UnsupportedMediaType,
            Self::Validation(_) => ProblemCode::ValidationFailed,
            Self::RequestTimeout => ProblemCode::RequestTimeout,
            Self::TooManyRequests { .. } => ProblemCode::TooManyRequests,
            Self::ServiceUnavailable(_) => ProblemCode::ServiceUnavailable,
            Self::InsufficientStorage => ProblemCode::InsufficientStorage,
            Self::Internal(_) => ProblemCode::InternalError,
        }
    }

    pub fn code(&self) -> &'static str {
        self.problem_code().as_str()
    }

    /// What the client is told; `None` where saying more would leak internals.
    fn detail(&self) -> Option<Message> {
        let message = |en: &'static str, th: &'static str| Some(Message::new(en, th));
        match self {
            Self::MalformedRequest(d)
            | Self::Unauthenticated(d)
            | Self::Forbidden(d)
            | Self::VersionMismatch(d)
            | Self::CursorExpired(d)
            | Self::UnsupportedMediaType(d)
            | Self::ServiceUnavailable(d) => Some(d.clone()),
            Self::Conflict { detail, .. } | Self::Upload { detail, .. } => Some(detail.clone()),
            Self::InvalidCredentials => message(
                "unknown username or wrong password",
                "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง",
            ),
            Self::TokenExpired => message(
                "the access token has expired; refresh it",
                "สิทธิ์การเข้าใช้งานหมดอายุแล้ว กรุณาต่ออายุหรือเข้าสู่ระบบใหม่",
            ),
            Self::AccountDisabled => message(
                "this account has been deactivated",
                "บัญชีนี้ถูกระงับการใช้งานแล้ว กรุณาติดต่อผู้ดูแลระบบ",
            ),
            Self::PasswordChangeRequired => message(
                "your password was set by someone else: change it (PUT /api/v1/me/password) first",
                "รหัสผ่านนี้ถูกตั้งโดยผู้อื่น กรุณาเปลี่ยนรหัสผ่านของท่านก่อนใช้งาน",
            ),
            Self::NotFound => message("no such resource", "ไม่พบข้อมูลที่ต้องการ"),
            Self::MethodNotAllowed => message(
                "this resource does not accept that method",
                "รายการนี้ไม่รองรับวิธีเรียกใช้ที่ส่งมา",
            ),
            Self::PayloadTooLarge { limit } if *limit > 0 => Some(Message::new(
                format!("the request body is larger than {limit} bytes"),
                format!("ข้อมูลที่ส่งมามีขนาดเกิน {limit} ไบต์"),
            )),
            Self::PayloadTooLarge { .. } => {
                message("the request body is too large", "ข้อมูลที่ส่งมามีขนาดใหญ่เกินกำหนด")
            }
            Self::Validation(errors) => Some(match errors.len() {
                1 => Message::new("one field is invalid", "ข้อมูล 1 รายการไม่ถูกต้อง"),
                n => Message::new(
                    format!("{n} fields are invalid"),
                    format!("ข้อมูล {n} รายการไม่ถูกต้อง"),
                ),
            }),
            Self::RequestTimeout => message(
                "the request body arrived too slowly; send it again",
                "ได้รับข้อมูลช้าเกินไป กรุณาส่งใหม่อีกครั้ง",
            ),
            Self::TooManyRequests { retry_after_secs } => Some(Message::new(
                format!("too many attempts; retry in {retry_after_secs} s"),
                format!("ส่งคำขอถี่เกินไป กรุณาลองใหม่ในอีก {retry_after_secs} วินาที"),
            )),
            Self::InsufficientStorage => message(
                "the server has no room to store this; try again later",
                "ระบบไม่มีพื้นที่จัดเก็บข้อมูลนี้ กรุณาลองใหม่ภายหลัง",
            ),
            Self::Internal(_) => None,
        }
    }

    /// The RFC 9457 body, in `language`.
    pub fn problem(&self, language: Language) -> Problem {
        let status = self.status_code();
        let code = self.problem_code();
        Problem {
            problem_type: format!("urn:fieldweek:problem:{}", code.as_str()),
            title: match language {
                Language::English => status
                    .canonical_reason()
                    .map(str::to_owned)
                    .unwrap_or_else(|| code.label().en.into_owned()),
                Language::Thai => code.label().th.into_owned(),
            },
            status: status.as_u16(),
            detail: self
                .detail()
                .map(|detail| detail.in_language(language).to_owned()),
            code,
            errors: match self {
                Self::Validation(errors) => {
                    Some(errors.iter().map(|e| e.in_language(language)).collect())
                }
                _ => None,
            },
        }
    }

    /// The whole answer, in `language`.
    pub fn response_in(&self, language: Language) -> HttpResponse {
        if let Self::Internal(cause) = self {
            // The request span carries the request id, so this line can be matched to the 500.
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let mut response = self.problem(language).into_response(language);
        let retry_after = match self {
            Self::TooManyRequests { retry_after_secs } => Some((*retry_after_secs).max(1)),
            // The database or the photo store did not answer: a phone syncing in the
            // background waits this long, rather than retrying at once.
            Self::ServiceUnavailable(_) => Some(SERVICE_RETRY_AFTER_SECS),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Self::Upload {
            code: UploadCode::TusVersionUnsupported,
            ..
        } = self
        {
            // tus: a 412 names the versions the server speaks.
            response.headers_mut().insert(
                HeaderName::from_static("tus-version"),
                HeaderValue::from_static("1.0.0"),
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

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) | Self::InvalidCredentials | Self::TokenExpired => {
                StatusCode::UNAUTHORIZED
            }
            Self::AccountDisabled | Self::PasswordChangeRequired | Self::Forbidden(_) => {
                StatusCode::FORBIDDEN
            }
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Upload { code, .. } => match code {
                UploadCode::OffsetMismatch => StatusCode::CONFLICT,
                // tus 1.0.0's checksum extension: 460 Checksum Mismatch.
                UploadCode::ChecksumMismatch => {
                    StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST)
                }
                UploadCode::TusVersionUnsupported => StatusCode::PRECONDITION_FAILED,
                UploadCode::Expired => StatusCode::GONE,
                UploadCode::Locked => StatusCode::LOCKED,
            },
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::VersionMismatch(_) => StatusCode::PRECONDITION_FAILED,
            Self::CursorExpired(_) => StatusCode::GONE,
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

    /// English; `http::observe` renders it again in the caller's language.
    fn error_response(&self) -> HttpResponse {
        self.response_in(Language::English)
    }
}

/// The RFC 9457 body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(example = "urn:fieldweek:problem:validation_failed")]
    pub problem_type: String,
    /// The kind of problem, for people: in Thai when `Accept-Language` prefers Thai.
    #[schema(example = "Unprocessable Entity")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong, for people, in the same language as `title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable, machine-readable reason: branch on this, not on `title` or `detail`.
    pub code: ProblemCode,
    /// Every broken field of a 422, structural and semantic alike.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
}

/// One broken field as the client reads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = FieldError)]
pub struct FieldProblem {
    /// The JSON path (`location.lat`, `target_groups[1]`) or the query parameter.
    #[schema(example = "location.lat")]
    pub field: String,
    pub code: FieldCode,
    /// For people, in Thai when `Accept-Language` prefers Thai.
    #[schema(example = "must be a latitude: a number between -90 and 90")]
    pub message: String,
}

impl ApiError {
    /// The error behind a status that no `ApiError` produced (actix's own 404 or 413,
    /// for example); `None` for statuses we never answer with on our own.
    pub fn for_status(status: StatusCode) -> Option<Self> {
        Some(match status {
            StatusCode::BAD_REQUEST => {
                Self::malformed("the request is malformed", "คำขอมีรูปแบบไม่ถูกต้อง")
            }
            StatusCode::UNAUTHORIZED => {
                Self::unauthenticated("a bearer token is required", "กรุณาเข้าสู่ระบบก่อนใช้งาน")
            }
            StatusCode::FORBIDDEN => Self::forbidden("not allowed", "ไม่มีสิทธิ์ดำเนินการ"),
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge { limit: 0 },
            StatusCode::REQUEST_TIMEOUT => Self::RequestTimeout,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType(Message::new(
                "this content type is not accepted here",
                "ไม่รองรับชนิดข้อมูลที่ส่งมา",
            )),
            StatusCode::SERVICE_UNAVAILABLE => {
                Self::unavailable("try again shortly", "กรุณาลองใหม่อีกครั้งในอีกสักครู่")
            }
            _ => return None,
        })
    }
}

impl Problem {
    /// A problem for a status that no `ApiError` stands for.
    pub fn for_status(status: StatusCode, language: Language) -> Self {
        if let Some(error) = ApiError::for_status(status) {
            return error.problem(language);
        }
        let code = if status.is_server_error() {
            ProblemCode::InternalError
        } else {
            ProblemCode::RequestFailed
        };
        Problem {
            problem_type: "about:blank".into(),
            title: match language {
                Language::English => status.canonical_reason().unwrap_or("Error").into(),
                Language::Thai => code.label().th.into_owned(),
            },
            status: status.as_u16(),
            detail: None,
            code,
            errors: None,
        }
    }

    pub fn into_response(self, language: Language) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status)
            .content_type(PROBLEM_CONTENT_TYPE)
            .insert_header((header::CONTENT_LANGUAGE, language.tag()))
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
                Self::unavailable(
                    "the database is unavailable; try again shortly",
                    "ฐานข้อมูลไม่พร้อมใช้งานชั่วคราว กรุณาลองใหม่ในอีกสักครู่",
                )
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(error: r2d2::Error) -> Self {
        tracing::warn!(error = %error, "no database connection available");
        Self::unavailable(
            "the database is unavailable; try again shortly",
            "ฐานข้อมูลไม่พร้อมใช้งานชั่วคราว กรุณาลองใหม่ในอีกสักครู่",
        )
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        Self::Internal(anyhow::anyhow!("a blocking task panicked or was cancelled"))
    }
}

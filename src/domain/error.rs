use std::borrow::Cow;

use super::message::{FieldCode, Message, Refusal};

/// Why a value was rejected: a stable code and a message in English and Thai.
///
/// The message describes the value only ("must be ..."); the caller names the field
/// by its JSON path. `Display` shows the English, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", refusal.message.en)]
pub struct ParseError {
    refusal: Refusal,
}

impl ParseError {
    pub fn new(
        code: FieldCode,
        en: impl Into<Cow<'static, str>>,
        th: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            refusal: Refusal::new(code, en, th),
        }
    }

    pub fn code(&self) -> FieldCode {
        self.refusal.code
    }

    pub fn message(&self) -> &Message {
        &self.refusal.message
    }

    pub fn into_refusal(self) -> Refusal {
        self.refusal
    }
}

impl From<Refusal> for ParseError {
    fn from(refusal: Refusal) -> Self {
        Self { refusal }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_the_english_and_keeps_both_languages() {
        let error = ParseError::new(FieldCode::BadFormat, "must be something", "ต้องเป็นบางอย่าง");
        assert_eq!(error.to_string(), "must be something");
        assert_eq!(error.code(), FieldCode::BadFormat);
        assert_eq!(error.message().th, "ต้องเป็นบางอย่าง");
    }
}

use std::borrow::Cow;

/// Why a value was rejected, as a message meant for an API client.
///
/// The message describes the value only ("must be ..."); the caller prefixes
/// the JSON field path, e.g. `citizen_id: must be ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    message: Cow<'static, str>,
}

impl ParseError {
    pub fn new(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            message: message.into(),
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<ParseError> for String {
    fn from(error: ParseError) -> Self {
        error.message.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_and_converts_to_the_bare_message() {
        let error = ParseError::new("must be something");
        assert_eq!(error.to_string(), "must be something");
        assert_eq!(error.message(), "must be something");
        assert_eq!(String::from(error), "must be something");
    }
}

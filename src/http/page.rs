//! Keyset pagination: `?limit=` (default 50, at most 500) and an opaque `?cursor=` that
//! carries the sort key of the last item of the previous page.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, FieldCode, FieldError};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// A validated page request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: i64,
    /// The sort key of the last item already seen.
    pub after: Option<Vec<String>>,
}

impl PageRequest {
    /// `key_parts` is how many strings a cursor of this list holds.
    pub fn parse(
        limit: Option<i64>,
        cursor: Option<&str>,
        key_parts: usize,
    ) -> Result<Self, ApiError> {
        Self::parse_with(limit, cursor, None, key_parts)
    }

    /// For a list with several orders: a cursor carries the name of the order it was
    /// given out for, and is refused under another (its key would mean something else).
    pub fn parse_in_order(
        limit: Option<i64>,
        cursor: Option<&str>,
        order: &str,
        key_parts: usize,
    ) -> Result<Self, ApiError> {
        Self::parse_with(limit, cursor, Some(order), key_parts)
    }

    fn parse_with(
        limit: Option<i64>,
        cursor: Option<&str>,
        order: Option<&str>,
        key_parts: usize,
    ) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push(FieldError::new(
                "limit",
                FieldCode::OutOfRange,
                format!("must be from 1 to {MAX_LIMIT}"),
                format!("ต้องเป็นจำนวนตั้งแต่ 1 ถึง {MAX_LIMIT}"),
            ));
        }
        let after = match cursor.filter(|c| !c.is_empty()).map(decode_cursor) {
            None => None,
            Some(Some(mut parts)) => match order {
                Some(order) if parts.first().is_some_and(|given| given != order) => {
                    errors.push(FieldError::new(
                        "cursor",
                        FieldCode::NotAllowedValue,
                        format!(
                            "was given out for another order of this list ({}), not for {order}: \
                             ask for the first page again",
                            parts[0]
                        ),
                        "ค่า cursor นี้มาจากการเรียงลำดับแบบอื่น กรุณาเริ่มอ่านหน้าแรกใหม่",
                    ));
                    None
                }
                Some(_) if parts.len() == key_parts + 1 => Some(parts.split_off(1)),
                None if parts.len() == key_parts => Some(parts),
                _ => {
                    errors.push(not_a_cursor());
                    None
                }
            },
            Some(None) => {
                errors.push(not_a_cursor());
                None
            }
        };
        if errors.is_empty() {
            Ok(Self { limit, after })
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    /// Rows to ask the database for: one more than the page, to learn whether another follows.
    pub fn fetch_limit(&self) -> i64 {
        self.limit + 1
    }
}

fn not_a_cursor() -> FieldError {
    FieldError::new(
        "cursor",
        FieldCode::BadFormat,
        "is not a cursor this list gave out; start again without it",
        "ค่า cursor ไม่ถูกต้อง กรุณาเริ่มอ่านรายการใหม่โดยไม่ระบุ cursor",
    )
}

/// `{"items": [...], "next_cursor": "..." | null, "total"?: n}`
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Only with `count=true`: how many items match the filters, over all pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub total: Option<i64>,
}

impl<T> Page<T> {
    /// A page whose next one starts after `next_key` (none: this is the last page).
    pub fn new(items: Vec<T>, next_key: Option<Vec<String>>) -> Self {
        Self {
            items,
            next_cursor: next_key.map(|key| encode_cursor(&key)),
            total: None,
        }
    }

    /// [`Page::new`] for a list read in `order` (see [`PageRequest::parse_in_order`]).
    pub fn in_order(items: Vec<T>, order: &str, next_key: Option<Vec<String>>) -> Self {
        Self::new(
            items,
            next_key.map(|key| std::iter::once(order.to_owned()).chain(key).collect()),
        )
    }

    pub fn with_total(self, total: Option<i64>) -> Self {
        Self { total, ..self }
    }

    /// Builds a page from up to `limit + 1` rows fetched in order.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        request: &PageRequest,
        key: impl Fn(&R) -> Vec<String>,
        view: impl FnMut(R) -> T,
    ) -> Self {
        let has_more = rows.len() as i64 > request.limit;
        rows.truncate(request.limit as usize);
        let next_cursor = if has_more {
            rows.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        Self {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
            total: None,
        }
    }
}

fn encode_cursor(parts: &[String]) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(parts).unwrap_or_default())
}

fn decode_cursor(cursor: &str) -> Option<Vec<String>> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A cursor this list did not give out (or gave out for other filters or another order).
pub fn bad_cursor() -> FieldError {
    FieldError::new(
        "cursor",
        FieldCode::BadFormat,
        "is not a cursor this list gave out; start again without it",
        "ค่า cursor ไม่ถูกต้อง กรุณาเริ่มอ่านรายการใหม่โดยไม่ระบุ cursor",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = encode_cursor(&["2026-11-22T01:00:00Z".into(), "id-1".into()]);
        let request = PageRequest::parse(Some(10), Some(&cursor), 2).unwrap();
        assert_eq!(request.after.unwrap()[1], "id-1");
        assert!(PageRequest::parse(None, Some("%%%"), 2).is_err());
        assert!(PageRequest::parse(None, Some(&cursor), 1).is_err());
        assert!(PageRequest::parse(Some(0), None, 1).is_err());
        assert!(PageRequest::parse(Some(501), None, 1).is_err());
        assert_eq!(PageRequest::parse(None, None, 1).unwrap().limit, 50);
    }

    #[test]
    fn a_cursor_is_refused_under_another_order() {
        let page = Page::in_order(vec![1], "due_at", Some(vec!["t".into(), "id-1".into()]));
        let cursor = page.next_cursor.unwrap();
        let request = PageRequest::parse_in_order(None, Some(&cursor), "due_at", 2).unwrap();
        assert_eq!(request.after.unwrap(), ["t", "id-1"]);
        let Err(ApiError::Validation(errors)) =
            PageRequest::parse_in_order(None, Some(&cursor), "-created_at", 2)
        else {
            panic!("a cursor of another order must be refused");
        };
        assert_eq!(errors[0].field, "cursor");
        assert_eq!(errors[0].code, FieldCode::NotAllowedValue);
        assert!(
            errors[0].message.en.contains("due_at"),
            "{:?}",
            errors[0].message
        );
        // Too few parts for this order, or not a cursor at all.
        assert!(PageRequest::parse_in_order(None, Some(&cursor), "due_at", 3).is_err());
        assert!(PageRequest::parse_in_order(None, Some("%%%"), "due_at", 2).is_err());
    }

    #[test]
    fn a_full_page_carries_a_cursor_and_the_last_does_not() {
        let request = PageRequest::parse(Some(2), None, 1).unwrap();
        let page = Page::from_rows(vec![1, 2, 3], &request, |n| vec![n.to_string()], |n| n);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(
            decode_cursor(page.next_cursor.as_deref().unwrap()).unwrap(),
            ["2"]
        );
        let page = Page::from_rows(vec![1, 2], &request, |n| vec![n.to_string()], |n| n);
        assert!(page.next_cursor.is_none());
    }
}

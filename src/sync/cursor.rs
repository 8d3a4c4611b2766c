//! The feed's cursor: opaque to the phone, signed by the server, bound to one account.
//!
//! Its bytes: a version, the position of the last change the phone holds (transaction id
//! and number), and when the server issued it (seconds since 1970), then the first 16
//! bytes of an HMAC-SHA256 over the account's id and all of that, in base64url. The
//! account is inside the HMAC rather than the bytes: another account's cursor fails the
//! check like a forged one. Whatever fails (garbled, cut short, signed for someone else,
//! older than the retention) is one answer, 410 `cursor_expired`: the phone starts again
//! without a cursor.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::sync::Position;
use crate::domain::{Message, UserId};
use crate::error::ApiError;

const VERSION: u8 = 1;
const BODY: usize = 1 + 8 + 8 + 8;
const TAG: usize = 16;

/// Where a phone stands in its feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub position: Position,
    /// When the server issued it, in seconds since 1970 (see `SyncFeed::read` for why a
    /// cursor handed out mid-way through a backlog keeps its predecessor's time).
    pub issued_at: i64,
}

/// Signs and checks cursors.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl CursorKey {
    pub fn new(key: [u8; 32]) -> Self {
        Self(key)
    }

    fn tag(&self, user: &UserId, body: &[u8]) -> [u8; TAG] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key");
        mac.update(user.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(body);
        let full = mac.finalize().into_bytes();
        let mut tag = [0; TAG];
        tag.copy_from_slice(&full[..TAG]);
        tag
    }

    pub fn encode(&self, user: &UserId, cursor: Cursor) -> String {
        let mut bytes = Vec::with_capacity(BODY + TAG);
        bytes.push(VERSION);
        bytes.extend_from_slice(&cursor.position.xid.to_be_bytes());
        bytes.extend_from_slice(&cursor.position.seq.to_be_bytes());
        bytes.extend_from_slice(&cursor.issued_at.to_be_bytes());
        let tag = self.tag(user, &bytes);
        bytes.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The cursor `raw` stands for, if this server issued it to `user` no longer than
    /// `retention_secs` before `now` (seconds since 1970).
    pub fn decode(
        &self,
        user: &UserId,
        raw: &str,
        now: i64,
        retention_secs: i64,
    ) -> Result<Cursor, ApiError> {
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| unusable())?;
        if bytes.len() != BODY + TAG || bytes[0] != VERSION {
            return Err(unusable());
        }
        let (body, tag) = bytes.split_at(BODY);
        // Compared in constant time: a forger learns nothing from how long it took.
        let expected = self.tag(user, body);
        let same = expected
            .iter()
            .zip(tag)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b));
        if same != 0 {
            return Err(unusable());
        }
        let number = |at: usize| i64::from_be_bytes(body[at..at + 8].try_into().expect("8 bytes"));
        let cursor = Cursor {
            position: Position {
                xid: number(1),
                seq: number(9),
            },
            issued_at: number(17),
        };
        if now - cursor.issued_at > retention_secs {
            return Err(ApiError::CursorExpired(Message::new(
                "this cursor is older than the feed keeps changes; sync again without a cursor",
                "cursor นี้เก่าเกินระยะเวลาที่ระบบเก็บการเปลี่ยนแปลงไว้ กรุณาซิงค์ใหม่โดยไม่ระบุ cursor",
            )));
        }
        Ok(cursor)
    }
}

fn unusable() -> ApiError {
    ApiError::CursorExpired(Message::new(
        "this is not a cursor the feed gave to this account; sync again without a cursor",
        "cursor นี้ไม่ใช่ค่าที่ระบบให้กับบัญชีนี้ กรุณาซิงค์ใหม่โดยไม่ระบุ cursor",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn cursor() -> Cursor {
        Cursor {
            position: Position { xid: 812, seq: 77 },
            issued_at: 1_800_000_000,
        }
    }

    fn code(result: Result<Cursor, ApiError>) -> &'static str {
        result.map_or_else(|e| e.code(), |_| "ok")
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_account_only() {
        let key = CursorKey::new([7; 32]);
        let (me, other) = (UserId::random(), UserId::random());
        let raw = key.encode(&me, cursor());
        let now = cursor().issued_at + 60;
        assert_eq!(key.decode(&me, &raw, now, 30 * DAY).unwrap(), cursor());
        assert_eq!(
            code(key.decode(&other, &raw, now, 30 * DAY)),
            "cursor_expired"
        );
        // Another server's key, a cut-short cursor, a changed byte, garbage.
        let stranger = CursorKey::new([8; 32]);
        assert_eq!(code(stranger.decode(&me, &raw, now, DAY)), "cursor_expired");
        assert_eq!(
            code(key.decode(&me, &raw[..raw.len() - 3], now, DAY)),
            "cursor_expired"
        );
        let mut bytes = URL_SAFE_NO_PAD.decode(&raw).unwrap();
        bytes[10] ^= 1;
        let forged = URL_SAFE_NO_PAD.encode(bytes);
        assert_eq!(code(key.decode(&me, &forged, now, DAY)), "cursor_expired");
        assert_eq!(code(key.decode(&me, "%%%", now, DAY)), "cursor_expired");
        assert_eq!(code(key.decode(&me, "", now, DAY)), "cursor_expired");
    }

    #[test]
    fn a_cursor_older_than_the_retention_is_refused() {
        let key = CursorKey::new([7; 32]);
        let me = UserId::random();
        let raw = key.encode(&me, cursor());
        let issued = cursor().issued_at;
        assert!(key.decode(&me, &raw, issued + 30 * DAY, 30 * DAY).is_ok());
        assert_eq!(
            code(key.decode(&me, &raw, issued + 30 * DAY + 1, 30 * DAY)),
            "cursor_expired"
        );
    }
}

//! The audit chain's anchor: a signed note of the chain's newest entry, kept outside the
//! database.
//!
//! The hash chain shows an entry edited, inserted or deleted in the middle, but not the
//! newest entries deleted: the shortened chain is still a chain. So each node notes the
//! head (its id and hash) every few seconds, signed with HMAC-SHA256 under a key kept in
//! the data directory (`audit-anchor-key`, never in the database), in
//! `audit-anchor.json` and in the log. `fieldweek audit verify` then reports a missing
//! tail when the anchored entry is gone or has another hash. Entries newer than the last
//! anchor (a few seconds' worth) are covered only from the next one on.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::db::{audit, Db, DbConnection};
use crate::domain::{buddhist_era_time, Language, Message};

const KEY_FILE: &str = "audit-anchor-key";
const ANCHOR_FILE: &str = "audit-anchor.json";

/// The newest entry of the chain when it was anchored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub head_id: i64,
    pub head_hash: String,
    pub at: DateTime<Utc>,
    /// HMAC-SHA256 over the three fields above, hex.
    pub mac: String,
}

/// Where anchors are written, and the key that signs them.
#[derive(Clone)]
pub struct AnchorKeeper {
    key: Vec<u8>,
    path: PathBuf,
}

impl AnchorKeeper {
    /// The keeper of `data_dir`, its key generated there (0600) on first use.
    pub fn open(data_dir: &Path) -> anyhow::Result<Self> {
        let key = crate::private_files::load_or_create_secret(&data_dir.join(KEY_FILE))?;
        Ok(Self {
            key,
            path: data_dir.join(ANCHOR_FILE),
        })
    }

    fn mac(&self, head_id: i64, head_hash: &str, at: &DateTime<Utc>) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(format!("{head_id}\n{head_hash}\n{}", at.to_rfc3339()).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The last anchor written, if any; an error if the file was altered.
    pub fn read(&self) -> anyhow::Result<Option<Anchor>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.path.display())),
        };
        let anchor: Anchor = serde_json::from_str(&text)
            .with_context(|| format!("{} is not an anchor", self.path.display()))?;
        if self.mac(anchor.head_id, &anchor.head_hash, &anchor.at) != anchor.mac {
            anyhow::bail!(
                "{} does not carry a valid signature: it was altered",
                self.path.display()
            );
        }
        Ok(Some(anchor))
    }

    /// Anchors the chain's current head, unless it is the one already anchored.
    pub fn anchor_now(&self, conn: &mut DbConnection) -> anyhow::Result<Option<Anchor>> {
        let Some((head_id, head_hash)) = audit::head(conn)? else {
            return Ok(None);
        };
        if let Ok(Some(last)) = self.read() {
            if last.head_id == head_id && last.head_hash == head_hash {
                return Ok(Some(last));
            }
        }
        let at = Utc::now();
        let anchor = Anchor {
            mac: self.mac(head_id, &head_hash, &at),
            head_id,
            head_hash,
            at,
        };
        // A name of this write's own: nodes may share a data directory.
        let temporary = self
            .path
            .with_extension(format!("{}.tmp", uuid::Uuid::new_v4()));
        {
            use std::io::Write;
            let mut file = crate::private_files::new_file_options().open(&temporary)?;
            file.write_all(serde_json::to_string(&anchor)?.as_bytes())?;
            file.sync_all()?;
        }
        if let Err(error) = std::fs::rename(&temporary, &self.path) {
            let _ = std::fs::remove_file(&temporary);
            return Err(error.into());
        }
        tracing::info!(
            head_id = anchor.head_id,
            head_hash = %anchor.head_hash,
            mac = %anchor.mac,
            "audit chain anchored"
        );
        Ok(Some(anchor))
    }

    /// Anchors every `interval` until the process ends.
    pub async fn run_forever(self, db: Db, interval: Duration) {
        loop {
            tokio::time::sleep(interval).await;
            let keeper = self.clone();
            let result = db
                .read(move |conn| {
                    keeper
                        .anchor_now(conn)
                        .map_err(crate::error::ApiError::Internal)
                })
                .await;
            if let Err(error) = result {
                tracing::warn!(%error, "anchoring the audit chain failed");
            }
        }
    }
}

/// Whether the anchored entry is still in the chain, as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailCheck {
    /// Nothing was anchored yet.
    Unanchored,
    Holds {
        anchor: Anchor,
    },
    /// The anchored entry is gone or changed: entries at the end were deleted.
    Missing {
        anchor: Anchor,
        reason: Message,
    },
}

pub fn check_tail(conn: &mut DbConnection, keeper: &AnchorKeeper) -> anyhow::Result<TailCheck> {
    let Some(anchor) = keeper.read()? else {
        return Ok(TailCheck::Unanchored);
    };
    Ok(match audit::hash_of(conn, anchor.head_id)? {
        Some(hash) if hash == anchor.head_hash => TailCheck::Holds { anchor },
        Some(_) => TailCheck::Missing {
            reason: Message::new(
                format!(
                    "entry {} has another hash than when it was anchored at {}",
                    anchor.head_id, anchor.at
                ),
                format!(
                    "รายการที่ {} มีค่าแฮชต่างจากเมื่อบันทึกยืนยันไว้ ({})",
                    anchor.head_id,
                    buddhist_era_time(anchor.at, Language::Thai)
                ),
            ),
            anchor,
        },
        None => TailCheck::Missing {
            reason: Message::new(
                format!(
                    "entry {}, the newest when anchored at {}, is gone: the entries at the end of the log were deleted",
                    anchor.head_id, anchor.at
                ),
                format!(
                    "รายการที่ {} ซึ่งเป็นรายการล่าสุดเมื่อบันทึกยืนยันไว้ ({}) หายไป รายการท้ายบันทึกถูกลบ",
                    anchor.head_id,
                    buddhist_era_time(anchor.at, Language::Thai)
                ),
            ),
            anchor,
        },
    })
}

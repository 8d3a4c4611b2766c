//! SQLite checkpoints off the request path.
//!
//! By default the connection whose commit pushes the write-ahead log past 1,000 pages
//! copies the log back into the database file there and then, with an fsync, inside
//! somebody's request: a quarter of the time of a batch sync went there. The server's
//! connections turn that off and this thread checkpoints instead, every
//! [`INTERVAL`], copying each page once however often it changed in between.

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};

const INTERVAL: Duration = Duration::from_millis(500);

/// Keeps the checkpoint thread alive; it stops once every clone is dropped.
#[derive(Clone)]
pub struct Checkpointer {
    _alive: Arc<()>,
}

impl Checkpointer {
    pub fn start(path: PathBuf) -> anyhow::Result<Self> {
        let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
        conn.batch_execute("PRAGMA busy_timeout = 5000;")?;
        let alive = Arc::new(());
        let watched: Weak<()> = Arc::downgrade(&alive);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while watched.upgrade().is_some() {
                    std::thread::sleep(INTERVAL);
                    // PASSIVE never waits for readers or writers: what it cannot copy
                    // now, the next round does.
                    if let Err(error) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
                        tracing::warn!(%error, "SQLite checkpoint failed; retrying");
                    }
                }
            })?;
        Ok(Self { _alive: alive })
    }
}

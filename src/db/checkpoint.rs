//! SQLite checkpoints off the request path.
//!
//! By default the connection whose commit pushes the write-ahead log past 1,000 pages
//! copies the log back into the database file there and then, with an fsync, inside
//! somebody's request: a quarter of the time of a batch sync went there. The server's
//! connections turn that off and this thread checkpoints instead, every
//! [`INTERVAL`], copying each page once however often it changed in between.
//!
//! When the database handle is dropped, the thread closes its connection and the drop
//! waits for that. The connection that closes last in the last process folds the whole
//! log into the database and removes it (SQLite's own rule), so a process that ends (the
//! server, `demo-data`) leaves no log to be read again at the next start. While another
//! process still has the database open, the log stays for it, and nobody waits.

use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};

const INTERVAL: Duration = Duration::from_millis(500);

/// Runs the checkpoint thread; dropping it ends the thread and closes its connection.
pub struct Checkpointer {
    /// Dropped to tell the thread to finish.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Checkpointer {
    pub fn start(path: PathBuf) -> anyhow::Result<Self> {
        let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
        conn.batch_execute("PRAGMA busy_timeout = 5000;")?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    // PASSIVE never waits for readers or writers: what it cannot copy
                    // now, the next round does.
                    if let Err(error) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
                        tracing::warn!(%error, "SQLite checkpoint failed; retrying");
                    }
                }
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

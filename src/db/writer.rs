//! SQLite's one writer: a thread that owns the write connection and commits the writes
//! waiting for it together (group commit).
//!
//! SQLite takes one writer at a time and every commit waits for an fsync, so with many
//! phones filing at once most of a write's time was the disk. The writer takes every
//! write queued behind the one it was doing and runs them in one transaction, each in a
//! savepoint of its own: a write that fails is rolled back alone, and every caller is
//! answered only once the commit that holds its write is durable. One fsync then serves
//! the whole group, and pages the writes share (the tail of each time index) are written
//! to the log once.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};

use super::{ConnectionManager, DbConnection};
use crate::error::ApiError;

/// At most this many writes share a transaction, so one commit stays short and a write
/// that arrives during it waits for one group at most.
const MAX_GROUP: usize = 32;

/// The writer's page cache is large enough for a group of 200-visit batches: with
/// SQLite's default 2 MiB the dirty pages spilled into the log in the middle of the
/// transaction and every index page was read from the file again. Readers keep the
/// default, so an export does not grow the server by a large cache per connection.
const WRITER_CACHE_KIB: u32 = 64 * 1024;

/// The handle the rest of the server holds. Dropping it ends the thread once the writes
/// already queued are done, and waits for that: the connection is closed (and the log
/// checkpointed) before anyone copies or removes the file.
pub struct SqliteWriter {
    queue: Option<mpsc::Sender<Box<dyn PendingWrite>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for SqliteWriter {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            // A write that held the last handle is dropped on the writer itself.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl SqliteWriter {
    pub fn start(manager: ConnectionManager) -> anyhow::Result<Self> {
        let connection = connect(&manager)?;
        let (queue, waiting) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                Writer {
                    manager,
                    connection,
                }
                .run(waiting)
            })?;
        Ok(Self {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Runs `work` in the writer's next transaction and waits for the commit.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.submit(work, move |result| {
            let _ = reply.send(result);
        });
        answer.await.unwrap_or_else(|_| Err(writer_gone()))
    }

    /// [`SqliteWriter::write`] for a thread that may block.
    pub fn write_blocking<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = mpsc::sync_channel(1);
        self.submit(work, move |result| {
            let _ = reply.send(result);
        });
        answer.recv().unwrap_or_else(|_| Err(writer_gone()))
    }

    fn submit<T, F, R>(&self, work: F, reply: R)
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
        R: FnOnce(Result<T, ApiError>) + Send + 'static,
    {
        let write = Box::new(Write {
            work: Some(work),
            result: None,
            reply: Box::new(reply),
        });
        // If the thread is gone the write is dropped with its reply, which the caller
        // sees as a closed channel.
        if let Some(queue) = &self.queue {
            let _ = queue.send(write);
        }
    }
}

/// Waits for the next item, then takes every one queued behind it, up to `max`: a group
/// never waits for company. `None` once every sender is gone and the queue is empty.
pub(crate) fn next_group<T>(waiting: &mpsc::Receiver<T>, max: usize) -> Option<Vec<T>> {
    let mut group = vec![waiting.recv().ok()?];
    while group.len() < max {
        match waiting.try_recv() {
            Ok(next) => group.push(next),
            Err(_) => break,
        }
    }
    Some(group)
}

/// The error a caller sees when the writer could not answer at all.
fn writer_gone() -> ApiError {
    ApiError::Internal(anyhow::anyhow!("the SQLite writer thread has stopped"))
}

fn connect(manager: &ConnectionManager) -> anyhow::Result<DbConnection> {
    use r2d2::ManageConnection;
    let mut conn = manager.connect()?;
    // Each write of a group runs in a savepoint, whose undo pages go to a temporary
    // file unless told to stay in memory; they are dropped at every release.
    conn.batch_execute(&format!(
        "PRAGMA cache_size = -{WRITER_CACHE_KIB}; PRAGMA temp_store = MEMORY;"
    ))?;
    Ok(conn)
}

/// One write waiting for the writer: its work, then its caller's answer.
trait PendingWrite: Send {
    /// Runs the work in the open transaction; true when it succeeded.
    fn run(&mut self, conn: &mut DbConnection) -> bool;
    /// Answers the caller once the fate of the group is known: `Ok` when it committed.
    fn answer(self: Box<Self>, committed: Result<(), &str>);
}

struct Write<T, F> {
    work: Option<F>,
    result: Option<Result<T, ApiError>>,
    reply: Box<dyn FnOnce(Result<T, ApiError>) + Send>,
}

impl<T, F> PendingWrite for Write<T, F>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send,
    T: Send,
{
    fn run(&mut self, conn: &mut DbConnection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let result = work(conn);
        let succeeded = result.is_ok();
        self.result = Some(result);
        succeeded
    }

    fn answer(self: Box<Self>, committed: Result<(), &str>) {
        let answer = match (self.result, committed) {
            (Some(Err(error)), _) => Err(error),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(why)) => Err(ApiError::Internal(anyhow::anyhow!(
                "the write was not committed: {why}"
            ))),
            (None, Ok(())) => Err(ApiError::Internal(anyhow::anyhow!("the write never ran"))),
        };
        (self.reply)(answer);
    }
}

struct Writer {
    manager: ConnectionManager,
    connection: DbConnection,
}

impl Writer {
    fn run(mut self, waiting: mpsc::Receiver<Box<dyn PendingWrite>>) {
        while let Some(group) = next_group(&waiting, MAX_GROUP) {
            self.commit(group);
        }
    }

    fn commit(&mut self, mut group: Vec<Box<dyn PendingWrite>>) {
        let conn = &mut self.connection;
        // IMMEDIATE takes the write lock up front, so a write that reads first cannot
        // fail halfway with SQLITE_BUSY (another process, such as the CLI, may write).
        if let Err(error) =
            AnsiTransactionManager::begin_transaction_sql(sqlite(conn), "BEGIN IMMEDIATE")
        {
            return answer_all(group, Err(&error.to_string()));
        }
        // A lone write needs no savepoint: the transaction is its own.
        let savepoints = group.len() > 1;
        let mut failure: Option<String> = None;
        for write in &mut group {
            if let Err(why) = run_one(conn, write.as_mut(), savepoints) {
                failure = Some(why);
                break;
            }
        }
        let committed = match failure {
            None => DbConnection::commit_transaction(conn).map_err(|e| e.to_string()),
            Some(why) => Err(why),
        };
        if committed.is_err() && !roll_back_all(conn) {
            self.reconnect();
        }
        answer_all(
            group,
            committed.as_ref().map(|_| ()).map_err(String::as_str),
        );
    }

    fn reconnect(&mut self) {
        match connect(&self.manager) {
            Ok(fresh) => self.connection = fresh,
            Err(error) => tracing::error!(%error, "cannot reopen the SQLite write connection"),
        }
    }
}

/// Runs one write, in a savepoint when it shares the transaction. `Err` means the whole
/// transaction must go: the work panicked, or its savepoint could not be undone.
fn run_one(
    conn: &mut DbConnection,
    write: &mut dyn PendingWrite,
    savepoint: bool,
) -> Result<(), String> {
    if savepoint {
        DbConnection::begin_transaction(conn).map_err(|e| e.to_string())?;
    }
    let succeeded = catch_unwind(AssertUnwindSafe(|| write.run(conn)))
        .map_err(|_| "a write in the same transaction panicked".to_owned())?;
    if !savepoint {
        // Alone in the transaction: its failure rolls the transaction back.
        return if succeeded {
            Ok(())
        } else {
            Err("rolled back".into())
        };
    }
    if succeeded {
        DbConnection::commit_transaction(conn).map_err(|e| e.to_string())
    } else {
        DbConnection::rollback_transaction(conn).map_err(|e| e.to_string())
    }
}

/// Undoes whatever is still open (savepoints included); false when the connection could
/// not be brought back to no transaction and must be replaced.
fn roll_back_all(conn: &mut DbConnection) -> bool {
    loop {
        match AnsiTransactionManager::transaction_manager_status_mut(sqlite(conn))
            .transaction_depth()
        {
            Ok(None) => return true,
            Ok(Some(_)) => {
                if DbConnection::rollback_transaction(conn).is_err() {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
}

fn sqlite(conn: &mut DbConnection) -> &mut diesel::SqliteConnection {
    match conn {
        DbConnection::Sqlite(sqlite) => sqlite,
        DbConnection::Postgres(_) => unreachable!("the writer is only started on SQLite"),
    }
}

fn answer_all(group: Vec<Box<dyn PendingWrite>>, committed: Result<(), &str>) {
    for write in group {
        write.answer(committed);
    }
}

//! How a single visit reaches the database: filed together with the others that arrive
//! at the same moment.
//!
//! On PostgreSQL each statement is a round trip and a backend's turn on the CPU, and with
//! thousands of phones filing at once most of a filing's cost was its own INSERT. The
//! desk's thread takes every filing queued behind the one it was filing and files them
//! all in one statement ([`visits::file`] takes many, keeps their order and tells each
//! outcome apart, as for a phone's batch), then answers each caller with its own
//! outcome. A group never waits for company: the thread files what is there as soon as
//! it is free, so a lone filing goes at once.
//!
//! On SQLite the writer thread already commits concurrent writes together (see
//! `db::writer`), so there the desk hands each filing straight to it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::db::visits as store;
use crate::db::{next_group, Db, Filed, OneStatement};
use crate::error::ApiError;
use crate::visits::input::NewVisit;
use crate::visits::view::{Names, VisitView};

/// At most this many filings share a statement: a phone's batch holds as many.
const MAX_GROUP: usize = 200;

type Reply = tokio::sync::oneshot::Sender<Result<Filed<VisitView>, ApiError>>;

struct Filing {
    visit: NewVisit,
    reply: Reply,
}

pub struct FilingDesk {
    db: Db,
    /// `None` on SQLite, where the writer thread groups writes itself.
    queue: Option<mpsc::Sender<Filing>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for FilingDesk {
    /// Ends the thread once the filings already queued are answered, and waits for that.
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl FilingDesk {
    pub fn start(db: Db) -> anyhow::Result<Self> {
        if db.groups_writes() {
            return Ok(Self {
                db,
                queue: None,
                thread: None,
            });
        }
        let (queue, waiting) = mpsc::channel();
        let desk_db = db.clone();
        let thread = std::thread::Builder::new()
            .name("visit-filing".into())
            .spawn(move || file_as_they_come(&desk_db, waiting))?;
        Ok(Self {
            db,
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Files one visit, idempotently on its id, and says what came of it once durable.
    pub async fn file(&self, visit: NewVisit) -> Result<Filed<VisitView>, ApiError> {
        let Some(queue) = &self.queue else {
            return self
                .db
                .write_one_statement(move |write| file_one(write, visit))
                .await;
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        queue
            .send(Filing { visit, reply })
            .map_err(|_| unanswered())?;
        answer.await.unwrap_or_else(|_| Err(unanswered()))
    }
}

fn file_as_they_come(db: &Db, waiting: mpsc::Receiver<Filing>) {
    while let Some(group) = next_group(&waiting, MAX_GROUP) {
        // A panic answers its own group with errors (their replies are dropped unsent)
        // and leaves the desk open for the next.
        let _ = catch_unwind(AssertUnwindSafe(|| file_group(db, group)));
    }
}

fn file_group(db: &Db, group: Vec<Filing>) {
    let (visits, replies): (Vec<NewVisit>, Vec<Reply>) = group
        .into_iter()
        .map(|filing| (filing.visit, filing.reply))
        .unzip();
    for (reply, outcome) in replies.into_iter().zip(file_together(db, visits)) {
        let _ = reply.send(outcome);
    }
}

/// Files visits received now in one statement (see `db::visits::file`), answering each
/// with what the API shows of it.
pub fn file(
    write: OneStatement<'_>,
    visits: Vec<NewVisit>,
) -> diesel::QueryResult<Vec<Filed<VisitView>>> {
    let now = crate::db::now();
    // Each visit is its caller's, and a resend answers only to the same author: the
    // names are known, with no statement to read them.
    let names = Names::of(
        visits
            .iter()
            .map(|visit| (visit.author_id.clone(), visit.author_name.clone())),
    );
    let rows = visits
        .into_iter()
        .map(|visit| visit.into_row(now))
        .collect();
    let filed = store::file(write, rows)?;
    Ok(filed
        .into_iter()
        .map(|outcome| outcome.map(|visit| VisitView::new(visit, &names)))
        .collect())
}

/// Files the visits of different callers in one statement, with one outcome each, in
/// order. Should the database refuse the statement, each is filed again on its own
/// (nothing of a failed statement is stored), so that a visit it refuses cannot sink the
/// others; should there be no database to ask, all get that answer at once.
pub fn file_together(db: &Db, visits: Vec<NewVisit>) -> Vec<Result<Filed<VisitView>, ApiError>> {
    if visits.len() == 1 {
        return visits
            .into_iter()
            .map(|visit| file_alone(db, visit))
            .collect();
    }
    let count = visits.len();
    let each = visits.clone();
    match db.with_connection(|conn| Ok(file(OneStatement::new(conn), visits)?)) {
        Ok(outcomes) if outcomes.len() == count => outcomes.into_iter().map(Ok).collect(),
        Ok(_) => (0..count).map(|_| Err(no_outcome())).collect(),
        Err(ApiError::ServiceUnavailable(why)) => (0..count)
            .map(|_| Err(ApiError::ServiceUnavailable(why.clone())))
            .collect(),
        Err(error) => {
            tracing::warn!(%error, visits = count, "a group filing failed; filing each alone");
            each.into_iter()
                .map(|visit| file_alone(db, visit))
                .collect()
        }
    }
}

fn file_alone(db: &Db, visit: NewVisit) -> Result<Filed<VisitView>, ApiError> {
    db.with_connection(|conn| file_one(OneStatement::new(conn), visit))
}

fn file_one(write: OneStatement<'_>, visit: NewVisit) -> Result<Filed<VisitView>, ApiError> {
    file(write, vec![visit])?.pop().ok_or_else(no_outcome)
}

fn no_outcome() -> ApiError {
    ApiError::internal(anyhow::anyhow!("filing gave no outcome"))
}

/// The error a caller sees when the desk could not answer at all.
fn unanswered() -> ApiError {
    ApiError::internal(anyhow::anyhow!("the visit filing desk gave no answer"))
}

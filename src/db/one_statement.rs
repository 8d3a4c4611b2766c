//! Connections lent for less than everything: [`OneStatement`] for one write, then
//! [`ReadOnly`] for reads. In a module of their own, so that no other code, not even
//! the rest of `db`, can take the connection back out of them.

use diesel::prelude::*;
use diesel::query_builder::SelectQuery;
use diesel::query_dsl::methods::LoadQuery;

use super::DbConnection;

/// A connection lent for exactly one writing statement (`Db::write_one_statement`).
///
/// A second write does not compile: [`OneStatement::get_results`] takes the loan by
/// value, so it runs once, and hands back a [`ReadOnly`], which runs nothing but SELECT
/// statements. One write, then reads:
///
/// ```no_run
/// use diesel::prelude::*;
/// use fieldweek::db::{schema::visits, OneStatement};
///
/// fn remove(write: OneStatement<'_>, id: &str) -> QueryResult<Vec<String>> {
///     let removed = diesel::delete(visits::table.find(id)).returning(visits::id);
///     let (_, mut reads) = write.get_results::<_, String>(removed)?;
///     reads.load(visits::table.select(visits::id))
/// }
/// ```
///
/// A second statement: the loan was used up by the first.
///
/// ```compile_fail
/// use diesel::prelude::*;
/// use fieldweek::db::{schema::visits, OneStatement};
///
/// fn remove(write: OneStatement<'_>, id: &str) -> QueryResult<Vec<String>> {
///     let removed = diesel::delete(visits::table.find(id)).returning(visits::id);
///     let (_, mut reads) = write.get_results::<_, String>(removed)?;
///     let again = diesel::delete(visits::table).returning(visits::id);
///     let (all, _) = write.get_results::<_, String>(again)?;
///     Ok(all)
/// }
/// ```
///
/// A write through the reads: a DELETE is no SELECT.
///
/// ```compile_fail
/// use diesel::prelude::*;
/// use fieldweek::db::{schema::visits, OneStatement};
///
/// fn remove(write: OneStatement<'_>, id: &str) -> QueryResult<Vec<String>> {
///     let removed = diesel::delete(visits::table.find(id)).returning(visits::id);
///     let (_, mut reads) = write.get_results::<_, String>(removed)?;
///     reads.load(diesel::delete(visits::table).returning(visits::id))
/// }
/// ```
pub struct OneStatement<'c> {
    conn: &'c mut DbConnection,
}

impl<'c> OneStatement<'c> {
    /// Lends `conn` for one statement: for work that runs where a connection is already
    /// held, as the PostgreSQL filing desk does.
    pub(crate) fn new(conn: &'c mut DbConnection) -> Self {
        Self { conn }
    }

    /// Runs the statement (an `INSERT ... RETURNING`, say) on the engine's own connection
    /// (see [`natively!`](crate::natively)) and gives back its rows and the connection,
    /// now for reads only.
    pub fn get_results<'q, Q, U>(self, statement: Q) -> QueryResult<(Vec<U>, ReadOnly<'c>)>
    where
        Q: LoadQuery<'q, SqliteConnection, U> + LoadQuery<'q, PgConnection, U>,
    {
        let rows = crate::natively!(&mut *self.conn, |conn| statement.get_results(conn))?;
        Ok((rows, ReadOnly { conn: self.conn }))
    }
}

/// A connection lent for reading: it runs diesel's SELECT statements (the only queries
/// that are [`SelectQuery`]) and nothing else.
pub struct ReadOnly<'c> {
    conn: &'c mut DbConnection,
}

impl<'c> ReadOnly<'c> {
    /// Lends `conn` for reads only: reading code that takes a `ReadOnly` serves work that
    /// holds the whole connection as well as the reads after a [`OneStatement`] (adding
    /// photos to visits, say).
    pub(crate) fn new(conn: &'c mut DbConnection) -> Self {
        Self { conn }
    }

    /// Runs a SELECT, as diesel's `load` would.
    pub fn load<'q, Q, U>(&mut self, query: Q) -> QueryResult<Vec<U>>
    where
        Q: SelectQuery + LoadQuery<'q, DbConnection, U>,
    {
        query.load(self.conn)
    }
}

//! Every statement's SQL, binds and duration at DEBUG under the target `fieldweek::sql`
//! (`RUST_LOG=info,fieldweek::sql=debug`): how slow queries are found, and how the
//! benchmark replays the exact statements of a request in the database's own CLI.

use std::time::Instant;

use diesel::connection::{Instrumentation, InstrumentationEvent};

/// The log target; filter on it to see the statements.
pub const TARGET: &str = "fieldweek::sql";

/// One per connection: a connection runs one statement at a time.
#[derive(Default)]
pub struct SqlLog {
    started: Option<Instant>,
}

impl Instrumentation for SqlLog {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => {
                // Only when someone listens: the clock read is the whole cost otherwise.
                self.started =
                    tracing::enabled!(target: TARGET, tracing::Level::DEBUG).then(Instant::now);
            }
            InstrumentationEvent::FinishQuery { query, error, .. } => {
                if let Some(started) = self.started.take() {
                    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                    tracing::debug!(
                        target: TARGET,
                        elapsed_ms,
                        failed = error.is_some(),
                        sql = %query,
                    );
                }
            }
            _ => {}
        }
    }
}

//! `fieldweek demo-data`: realistic synthetic data for trying the product and for
//! benchmarks. Real provinces from the bundled geography; a supervisor, officials and
//! volunteers in each; weeks of visits with Thai summaries; grievances in every status
//! of the workflow with their full history.
//!
//! The seed decides the data: the same options give the same accounts, ids and
//! records. Only the times follow the clock (the weeks end today, and a grievance's age
//! decides how far it has got), and complainants' encrypted data takes a fresh nonce
//! each time, as in production.
//!
//! It writes everything in one transaction: a failed or interrupted run leaves nothing
//! behind. Demo data goes into a database once: when demo accounts (`demo.sup.*`,
//! `demo.off.*`, `demo.vol.*`) already exist, [`generate`] refuses and writes nothing.
//! An existing `demo.admin` is kept as it is. Never run it against a production
//! database: every demo account shares one known password.

mod calendar;
mod field;
mod grievances;
mod households;
mod plans;
mod store;
mod visits;
mod words;
mod world;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::auth::password::{self, NewPassword};
use crate::db::audit::{self, AuditEntry, ClientInfo};
use crate::db::schema::users;
use crate::db::{write_transaction, Db, DbConnection};
use crate::domain::{bangkok_start_of_day, FiscalYear, Role};
use crate::geo::Geography;
use crate::privacy::PiiCipher;

use calendar::{whole_seconds, Calendar};
use field::Authors;
use grievances::GrievanceMaker;
use households::{HouseholdMaker, Register};
use visits::VisitMaker;
use world::WorldOptions;

pub use world::ADMIN_USERNAME;

/// The most of each a single run makes: far beyond any benchmark, short of a typo
/// that would fill the disk.
const MAX_VOLUNTEERS_PER_PROVINCE: usize = 5_000;
const MAX_OFFICIALS_PER_PROVINCE: usize = 500;
const MAX_WEEKS: u32 = 52;
const MAX_VISITS: usize = 100_000_000;
const MAX_GRIEVANCES: usize = 10_000_000;
const MAX_HOUSEHOLDS_PER_VOLUNTEER: usize = 50;

/// Rows generated and written together.
const ROWS_PER_CHUNK: usize = 5_000;
/// Chunks the generator may run ahead of the writer.
const CHUNKS_QUEUED: usize = 4;
const PROGRESS_EVERY: usize = 250_000;

/// What to generate. [`Default`] is a small but complete data set.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    /// How many provinces, 1 to 77, taken in a fixed order: Chiang Mai, Khon Kaen,
    /// Songkhla, Nakhon Ratchasima, Bangkok, then other regional centres, then the rest.
    pub provinces: usize,
    pub volunteers_per_province: usize,
    pub officials_per_province: usize,
    /// ISO weeks of field work, ending with the current week in Bangkok.
    pub weeks: u32,
    /// Visits in all, spread over the provinces' volunteers and officials.
    pub visits: usize,
    pub grievances: usize,
    /// Households each volunteer keeps on the register (0: none).
    pub households_per_volunteer: usize,
    /// The one password of every demo account.
    pub password: String,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            provinces: 5,
            volunteers_per_province: 40,
            officials_per_province: 6,
            weeks: 12,
            visits: 5_000,
            grievances: 500,
            households_per_volunteer: 5,
            password: "demo password 2026".to_owned(),
        }
    }
}

impl DemoOptions {
    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.volunteers_per_province <= MAX_VOLUNTEERS_PER_PROVINCE,
            "--volunteers-per-province must be at most {MAX_VOLUNTEERS_PER_PROVINCE}"
        );
        anyhow::ensure!(
            self.officials_per_province <= MAX_OFFICIALS_PER_PROVINCE,
            "--officials-per-province must be at most {MAX_OFFICIALS_PER_PROVINCE}"
        );
        anyhow::ensure!(
            (1..=MAX_WEEKS).contains(&self.weeks),
            "--weeks must be between 1 and {MAX_WEEKS}"
        );
        anyhow::ensure!(
            self.visits <= MAX_VISITS,
            "--visits must be at most {MAX_VISITS}"
        );
        anyhow::ensure!(
            self.households_per_volunteer <= MAX_HOUSEHOLDS_PER_VOLUNTEER,
            "--households-per-volunteer must be at most {MAX_HOUSEHOLDS_PER_VOLUNTEER}"
        );
        anyhow::ensure!(
            self.grievances <= MAX_GRIEVANCES,
            "--grievances must be at most {MAX_GRIEVANCES}"
        );
        anyhow::ensure!(
            self.volunteers_per_province + self.officials_per_province > 0
                || self.visits + self.grievances == 0,
            "visits and grievances need volunteers or officials to file them"
        );
        Ok(())
    }
}

/// What [`generate`] wrote, and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSummary {
    /// The provinces' codes, in the order they were filled.
    pub provinces: Vec<String>,
    pub supervisors: usize,
    pub officials: usize,
    pub volunteers: usize,
    /// Whether `demo.admin` was created (false when it already existed).
    pub admin_created: bool,
    pub visits: usize,
    pub grievances: usize,
    pub grievance_events: usize,
    pub households: usize,
    pub household_members: usize,
    pub elapsed: Duration,
}

impl DemoSummary {
    pub fn users(&self) -> usize {
        self.supervisors + self.officials + self.volunteers + usize::from(self.admin_created)
    }

    /// Every row written.
    pub fn rows(&self) -> usize {
        self.users()
            + self.visits
            + self.grievances
            + self.grievance_events
            + self.households
            + self.household_members
    }

    pub fn rows_per_second(&self) -> f64 {
        self.rows() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// One paragraph for the operator: what was written, how fast, and how to log in.
    pub fn report(&self, password: &str) -> String {
        let example = self.provinces.first().map_or("50", String::as_str);
        let admin = if self.admin_created {
            "created"
        } else {
            "already there"
        };
        format!(
            "Wrote {rows} rows in {seconds:.1} s ({rate:.0} rows/s): {users} accounts in \
             {provinces} province(s) ({codes}), {visits} visits, \
             {grievances} grievances ({events} history events), {households} households \
             ({members} people). Log in as demo.admin \
             ({admin}), demo.sup.<province> (e.g. demo.sup.{example}), \
             demo.off.<province>.<n> (1 to {officials}) or demo.vol.<province>.<n> \
             (1 to {volunteers}) with the password {password:?}.",
            rows = self.rows(),
            seconds = self.elapsed.as_secs_f64(),
            rate = self.rows_per_second(),
            users = self.users(),
            provinces = self.provinces.len(),
            codes = self.provinces.join(", "),
            visits = self.visits,
            grievances = self.grievances,
            events = self.grievance_events,
            households = self.households,
            members = self.household_members,
            officials = self.officials / self.provinces.len().max(1),
            volunteers = self.volunteers / self.provinces.len().max(1),
        )
    }
}

/// Writes a demo data set, all of it or (on any error) nothing. Blocking: run it from
/// the command line or the blocking pool. It holds the write lock throughout on SQLite,
/// and on PostgreSQL locks the tables it fills (see [`store::set_aside`]): run it
/// before serving, not beside a busy server.
pub fn generate(
    db: &Db,
    geography: &Geography,
    cipher: &PiiCipher,
    options: &DemoOptions,
) -> anyhow::Result<DemoSummary> {
    let started = Instant::now();
    options.check()?;
    let provinces = world::pick_provinces(geography, options.provinces)?;
    let password = NewPassword::parse(&options.password, ADMIN_USERNAME)
        .map_err(|e| anyhow::anyhow!("the demo password {e}"))?;
    // One hash for every account: hashing thousands would take minutes.
    let password_hash = password::hash_blocking(&password)?;
    let calendar = Calendar::new(whole_seconds(crate::db::now()), options.weeks);
    let plan = Plan {
        geography,
        cipher,
        options,
        world: WorldOptions {
            provinces,
            volunteers_per_province: options.volunteers_per_province,
            officials_per_province: options.officials_per_province,
            password_hash: &password_hash,
            window_start: bangkok_start_of_day(calendar.first_day).naive_utc(),
        },
        calendar,
        started,
    };

    let mut conn = db
        .get()
        .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
    let conn: &mut DbConnection = &mut conn;
    store::begin_bulk_load(conn)?;
    let written = write_transaction(conn, |conn| fill(conn, plan));
    // Put the pooled connection back as the pool made it, whatever happened.
    let restored = store::end_bulk_load(conn);
    let mut summary = written?;
    restored?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Everything [`fill`] needs, checked and prepared.
struct Plan<'a> {
    geography: &'a Geography,
    cipher: &'a PiiCipher,
    options: &'a DemoOptions,
    world: WorldOptions<'a>,
    calendar: Calendar,
    started: Instant,
}

/// The body of [`generate`]'s transaction.
fn fill(conn: &mut DbConnection, plan: Plan) -> anyhow::Result<DemoSummary> {
    let Plan {
        geography,
        cipher,
        options,
        world: world_options,
        calendar,
        started,
    } = plan;
    store::tune_transaction(conn)?;
    refuse_if_present(conn)?;

    // Separate streams, so that asking for more visits leaves the people and the
    // grievances as they were.
    let mut seeds = StdRng::seed_from_u64(options.seed);
    let mut people_rng = StdRng::seed_from_u64(seeds.gen());
    let mut authors_rng = StdRng::seed_from_u64(seeds.gen());
    let visits_rng = StdRng::seed_from_u64(seeds.gen());
    let grievances_rng = StdRng::seed_from_u64(seeds.gen());
    // Drawn after the others, so adding plans left every other stream as it was.
    let mut plans_rng = StdRng::seed_from_u64(seeds.gen());

    let admin = world::admin_row(
        &mut people_rng,
        world_options.password_hash,
        world_options.window_start,
    );
    let admin_created = users::table
        .filter(users::username_key.eq(ADMIN_USERNAME))
        .count()
        .get_result::<i64>(conn)?
        == 0;
    if admin_created {
        store::users(conn, std::slice::from_ref(&admin))?;
    }
    let world = world::build(geography, &world_options, &mut people_rng, |rows| {
        Ok(store::users(conn, &rows)?)
    })
    .context("creating the demo accounts")?;
    let year =
        FiscalYear::containing_instant(chrono::Utc::now()).context("the current fiscal year")?;
    store::plans(
        conn,
        &plans::rows(&world, year, crate::db::now(), &mut plans_rng),
    )
    .context("writing the demo plans")?;
    let count = |role: Role| world.people.iter().filter(|p| p.role == role).count();
    let mut summary = DemoSummary {
        provinces: world_options
            .provinces
            .iter()
            .map(|p| p.code.clone())
            .collect(),
        supervisors: count(Role::Supervisor),
        officials: count(Role::Official),
        volunteers: count(Role::Volunteer),
        admin_created,
        visits: 0,
        grievances: 0,
        grievance_events: 0,
        households: 0,
        household_members: 0,
        elapsed: Duration::ZERO,
    };

    // Before the visits and grievances that name them.
    let register = Register::new(options.seed, options.households_per_volunteer);
    let mut maker = HouseholdMaker::new(&world, register, cipher, world_options.window_start);
    let mut members = 0;
    summary.households = load(
        conn,
        &["households", "household_members", "household_events"],
        "households",
        maker.total(),
        started,
        |count| maker.chunk(count),
        |conn, chunk| {
            store::households(conn, chunk)?;
            members += chunk.members.len();
            Ok(())
        },
    )
    .context("writing the demo households")?;
    summary.household_members = members;

    if options.visits + options.grievances > 0 {
        let authors = Authors::new(&world, &mut authors_rng)?;

        let mut maker = VisitMaker::new(&world, &calendar, &authors, register, visits_rng)?;
        summary.visits = load(
            conn,
            &["visits"],
            "visits",
            options.visits,
            started,
            |count| Ok(maker.chunk(count)),
            |conn, chunk| Ok(store::visits(conn, chunk)?),
        )
        .context("writing the demo visits")?;

        let mut maker = GrievanceMaker::new(
            &world,
            &calendar,
            &authors,
            register,
            cipher,
            grievances_rng,
        )?;
        let mut events = 0;
        summary.grievances = load(
            conn,
            &["grievances", "grievance_events"],
            "grievances",
            options.grievances,
            started,
            |count| maker.chunk(count),
            |conn, chunk| {
                store::grievances(conn, chunk)?;
                events += chunk.events.len();
                Ok(())
            },
        )
        .context("writing the demo grievances")?;
        summary.grievance_events = events;
    }

    audit::record(
        conn,
        &ClientInfo::default(),
        AuditEntry {
            actor_id: None,
            action: "demo_data.generated",
            record_type: "demo_data",
            record_id: None,
            details: serde_json::json!({
                "seed": options.seed,
                "provinces": summary.provinces,
                "users": summary.users(),
                "visits": summary.visits,
                "grievances": summary.grievances,
                "households": summary.households,
            }),
        },
    )?;
    Ok(summary)
}

/// Refuses a database that already holds demo accounts: the same seed would make the
/// same ids again, and a second roster beside the first would only confuse.
fn refuse_if_present(conn: &mut DbConnection) -> anyhow::Result<()> {
    let existing: Option<String> = users::table
        .filter(users::username_key.like("demo.%"))
        .filter(users::username_key.ne(ADMIN_USERNAME))
        .select(users::username)
        .first(conn)
        .optional()?;
    match existing {
        Some(username) => anyhow::bail!(
            "this database already holds demo data (account {username}); \
             demo-data fills a database once: point DATABASE_URL at a fresh one"
        ),
        None => Ok(()),
    }
}

/// Writes `total` generated rows into `tables`, with their indexes (and on PostgreSQL
/// their keys) set aside meanwhile and made again at the end (see [`store::set_aside`]).
/// Run it inside the caller's transaction: if anything fails, the indexes come back
/// with the rollback. Returns how many rows were written.
fn load<C, M, W>(
    conn: &mut DbConnection,
    tables: &[&str],
    what: &str,
    total: usize,
    started: Instant,
    make: M,
    write: W,
) -> anyhow::Result<usize>
where
    C: Send,
    M: FnMut(usize) -> anyhow::Result<C> + Send,
    W: FnMut(&mut DbConnection, &C) -> anyhow::Result<()>,
{
    if total == 0 {
        return Ok(0);
    }
    let set_aside = store::set_aside(conn, tables)?;
    let written = stream(conn, what, total, started, make, write)?;
    if total >= PROGRESS_EVERY {
        eprintln!(
            "demo-data: building the indexes of {} ({:.1} s)",
            tables.join(", "),
            started.elapsed().as_secs_f64()
        );
    }
    store::restore(conn, &set_aside)?;
    Ok(written)
}

/// Generates rows in chunks on another thread while this one writes them, so making
/// the next chunk overlaps with writing the last; reports progress now and then.
fn stream<C, M, W>(
    conn: &mut DbConnection,
    what: &str,
    total: usize,
    started: Instant,
    mut make: M,
    mut write: W,
) -> anyhow::Result<usize>
where
    C: Send,
    M: FnMut(usize) -> anyhow::Result<C> + Send,
    W: FnMut(&mut DbConnection, &C) -> anyhow::Result<()>,
{
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::sync_channel::<anyhow::Result<(usize, C)>>(CHUNKS_QUEUED);
        let producer = scope.spawn(move || {
            let mut left = total;
            while left > 0 {
                let count = left.min(ROWS_PER_CHUNK);
                let chunk = make(count);
                let failed = chunk.is_err();
                // A closed channel means the writer gave up; its error is the one to report.
                if sender.send(chunk.map(|chunk| (count, chunk))).is_err() || failed {
                    return;
                }
                left -= count;
            }
        });

        let mut done = 0;
        let mut next_report = PROGRESS_EVERY;
        let written = receiver.iter().try_for_each(|next| {
            let (count, chunk) = next?;
            write(conn, &chunk)?;
            done += count;
            if done >= next_report {
                eprintln!(
                    "demo-data: {done} of {total} {what} ({:.1} s)",
                    started.elapsed().as_secs_f64()
                );
                next_report += PROGRESS_EVERY;
            }
            anyhow::Ok(())
        });
        // Stops the generator if writing failed.
        drop(receiver);
        producer
            .join()
            .map_err(|_| anyhow::anyhow!("the demo {what} generator stopped unexpectedly"))?;
        written.map(|()| done)
    })
}

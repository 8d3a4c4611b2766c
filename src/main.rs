//! The `fieldweek` command: `serve` (the default), `migrate`, `openapi`.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use fieldweek::accounts::{self, CreateUserInput, NewAccount};
use fieldweek::config::Config;
use fieldweek::demo::{self, DemoOptions};
use fieldweek::domain::Role;
use fieldweek::geo::Geography;
use fieldweek::server::{self, Services};
use fieldweek::{db, telemetry};

/// mimalloc rather than the system's allocator: an export allocates its rows' strings on
/// the reading thread and frees them on the encoding one, and glibc serialises such
/// frees on the first thread's arena lock (see BENCHMARKS.md, issue 27).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "fieldweek",
    version,
    about = "Field-reporting backend for พม. volunteers and officials"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (YAML) the server serves.
    Openapi,
    /// Manage accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Fill the database with realistic synthetic data, for trying the product and for
    /// benchmarks. The same seed gives the same data; a database takes demo data once.
    DemoData(DemoDataArgs),
}

#[derive(clap::Args)]
struct DemoDataArgs {
    #[arg(long, default_value_t = DemoOptions::default().seed)]
    seed: u64,
    /// 1 to 77, starting with Chiang Mai, Khon Kaen, Songkhla, Nakhon Ratchasima, Bangkok.
    #[arg(long, default_value_t = DemoOptions::default().provinces)]
    provinces: usize,
    #[arg(long, default_value_t = DemoOptions::default().volunteers_per_province)]
    volunteers_per_province: usize,
    #[arg(long, default_value_t = DemoOptions::default().officials_per_province)]
    officials_per_province: usize,
    /// Weeks of field work, ending with the current week.
    #[arg(long, default_value_t = DemoOptions::default().weeks)]
    weeks: u32,
    /// Visits in all.
    #[arg(long, default_value_t = DemoOptions::default().visits)]
    visits: usize,
    #[arg(long, default_value_t = DemoOptions::default().grievances)]
    grievances: usize,
    /// Households each volunteer keeps on the register (0 to 50).
    #[arg(long, default_value_t = DemoOptions::default().households_per_volunteer)]
    households_per_volunteer: usize,
    /// The password of every demo account.
    #[arg(
        long,
        env = "FIELDWEEK_DEMO_PASSWORD",
        hide_env_values = true,
        default_value_t = DemoOptions::default().password
    )]
    password: String,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain and name the first edited, inserted or deleted entry.
    Verify,
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create an account; the password is read from the first line of standard input.
    Create {
        #[arg(long)]
        username: String,
        /// volunteer, official, supervisor or admin.
        #[arg(long)]
        role: Role,
        /// TH, or a 2-, 4- or 6-digit area code.
        #[arg(long)]
        area: String,
        /// Defaults to the username.
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        phone: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command.unwrap_or(Command::Serve)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("fieldweek: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Openapi => {
            print!("{}", server::api_spec().to_yaml()?);
            Ok(())
        }
        Command::Serve => serve(configure()?),
        Command::Users {
            command:
                UsersCommand::Create {
                    username,
                    role,
                    area,
                    display_name,
                    phone,
                },
        } => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let input = CreateUserInput {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                password: password.trim_end_matches(['\r', '\n']).to_owned(),
                role,
                area_code: area,
                phone,
            };
            let config = configure()?;
            config.prepare_directories()?;
            let geography = Geography::load()?;
            let database = db::Db::connect(&config.database, 1)?;
            {
                let mut conn = database
                    .connection_for_cli_and_tests()
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                db::run_migrations(&mut conn)?;
            }
            let account = NewAccount::parse(input, &geography).map_err(|errors| {
                accounts::describe(fieldweek::error::ApiError::Validation(errors))
            })?;
            let user = accounts::create_blocking(&database, account, "user.created_by_cli")
                .map_err(accounts::describe)?;
            println!(
                "created {} ({}, {}): {}",
                user.username, user.role, user.area_code, user.id
            );
            Ok(())
        }
        Command::DemoData(args) => {
            let services = Services::prepare(configure()?)?;
            let options = DemoOptions {
                seed: args.seed,
                provinces: args.provinces,
                volunteers_per_province: args.volunteers_per_province,
                officials_per_province: args.officials_per_province,
                weeks: args.weeks,
                visits: args.visits,
                grievances: args.grievances,
                households_per_volunteer: args.households_per_volunteer,
                password: args.password,
            };
            let summary = demo::generate(
                &services.db,
                &services.geography,
                &services.cipher,
                &options,
            )?;
            println!("{}", summary.report(&options.password));
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let config = configure()?;
            let database = db::Db::connect(&config.database, 1)?;
            let mut conn = database
                .connection_for_cli_and_tests()
                .map_err(|_| anyhow::anyhow!("cannot connect to {:?}", config.database))?;
            let entries = match db::audit::verify(&mut conn)? {
                db::audit::Verdict::Intact { entries } => entries,
                db::audit::Verdict::Broken { id, reason } => {
                    anyhow::bail!("audit log broken at entry {id}: {}", reason.en)
                }
            };
            let keeper = fieldweek::audit_anchor::AnchorKeeper::open(&config.data_dir)?;
            match fieldweek::audit_anchor::check_tail(&mut conn, &keeper)? {
                fieldweek::audit_anchor::TailCheck::Missing { reason, .. } => {
                    anyhow::bail!("audit log's tail is missing: {}", reason.en)
                }
                fieldweek::audit_anchor::TailCheck::Holds { anchor } => println!(
                    "audit log intact: {entries} entries verified, up to entry {} anchored at {}",
                    anchor.head_id, anchor.at
                ),
                fieldweek::audit_anchor::TailCheck::Unanchored => println!(
                    "audit log intact: {entries} entries verified (no anchor yet in {})",
                    config.data_dir.display()
                ),
            }
            Ok(())
        }
        Command::Migrate => {
            let config = configure()?;
            config.prepare_directories()?;
            let database = db::Db::connect(&config.database, 1)?;
            let mut conn = database
                .connection_for_cli_and_tests()
                .map_err(|_| anyhow::anyhow!("cannot connect to {:?}", config.database))?;
            let applied = db::run_migrations(&mut conn)?;
            println!("{applied} migration(s) applied to {:?}", config.database);
            Ok(())
        }
    }
}

/// Reads the environment and starts logging as it asks.
fn configure() -> anyhow::Result<Config> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format);
    Ok(config)
}

fn serve(config: Config) -> anyhow::Result<()> {
    // Bind first: a port in use should fail fast, before any database work.
    let listener = TcpListener::bind(&config.bind)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
    let services = Services::prepare(config)?;
    tracing::info!(
        address = %listener.local_addr()?,
        database = ?services.config.database,
        "fieldweek is listening"
    );
    actix_web::rt::System::new().block_on(async move {
        // actix stops gracefully on SIGTERM and SIGINT: in-flight requests finish first.
        server::start(services, listener)?.await?;
        tracing::info!("fieldweek stopped");
        Ok(())
    })
}

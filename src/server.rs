//! Start-up: everything between a validated `Config` and a listening server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::accounts;
use crate::audit_anchor::AnchorKeeper;
use crate::auth::{PasswordHasher, TokenKeys, WriteRateLimiter};
use crate::config::Config;
use crate::db::{self, Db};
use crate::error::ApiError;
use crate::geo::Geography;
use crate::grievances::service::GrievanceServices;
use crate::grievances::sla::SlaPolicy;
use crate::http::{
    cors, no_route, observe, refuse_unknown_query, BodyLimits, CorsPolicy, KnownQueries, Metrics,
    TrustedProxies,
};
use crate::http::{limit_connections_and_bodies, BodyPace, ConnectionCounter};
use crate::photos::uploads::UploadDesk;
use crate::photos::PhotoStore;
use crate::privacy::PiiCipher;
use crate::reports::slots::ExportSlots;
use crate::sync::SyncFeed;
use crate::visits::filing::FilingDesk;
use crate::visits::input::VisitRules;
use crate::webhooks::{self, EventSink};
use crate::{openapi, routes};

/// What every worker shares: built once, before the first request.
#[derive(Clone)]
pub struct Services {
    pub config: Arc<Config>,
    pub db: Db,
    pub geography: Arc<Geography>,
    pub metrics: Arc<Metrics>,
    pub token_keys: Arc<TokenKeys>,
    pub hasher: PasswordHasher,
    pub write_limiter: Arc<WriteRateLimiter>,
    pub photos: PhotoStore,
    pub uploads: UploadDesk,
    pub cipher: PiiCipher,
    pub exports: ExportSlots,
    pub filings: Arc<FilingDesk>,
    pub audit_anchor: AnchorKeeper,
    pub sla: SlaPolicy,
    /// Open connections by client address (`FIELDWEEK_MAX_CONNECTIONS_PER_ADDRESS`).
    pub connections: Arc<ConnectionCounter>,
}

impl Services {
    /// Blocking: prepares the data directory, opens the database, applies migrations and
    /// loads the geography into it. Every failure is one clear message.
    pub fn prepare(config: Config) -> anyhow::Result<Self> {
        config.prepare_directories()?;
        let sla = SlaPolicy::configured(config.sla_hours)
            .map_err(|m| anyhow::anyhow!("FIELDWEEK_SLA_HOURS: {m}"))?;
        let geography = Arc::new(Geography::load().context("loading the bundled geography")?);
        let mut db = Db::connect(&config.database, config.db_pool_size)?;
        if let Some(replica) = &config.read_database {
            tracing::info!(replica = ?replica, "reports read from the replica");
            db = db.with_read_replica(replica, config.db_pool_size);
        }
        {
            let mut conn = db
                .get()
                .map_err(|_| anyhow::anyhow!("cannot connect to {:?}", config.database))?;
            let applied = db::run_migrations(&mut conn)?;
            if applied > 0 {
                tracing::info!(applied, "database migrations applied");
            }
        }
        let areas_source = Arc::clone(&geography);
        let reloaded = db
            .write_blocking(move |conn| Ok(db::areas::sync(conn, &areas_source)?))
            .map_err(|e| anyhow::anyhow!("loading areas into the database: {e}"))?;
        if reloaded {
            tracing::info!("areas table loaded from the bundled geography");
        }
        if let Some(admin) = &config.admin {
            if accounts::bootstrap_admin(&db, &geography, &admin.username, &admin.password)
                .context("creating the first admin from FIELDWEEK_ADMIN_USERNAME")?
            {
                tracing::info!(username = %admin.username, "first admin created");
            }
        }
        let token_keys = Arc::new(TokenKeys::load(&config)?);
        let photos = PhotoStore::open(&config.data_dir, &config.photo_store)
            .context("preparing the photo store (FIELDWEEK_PHOTO_STORE)")?;
        tracing::info!(store = %photos.describe(), "photos are kept here");
        let audit_anchor =
            AnchorKeeper::open(&config.data_dir).context("preparing the audit anchor")?;
        let cipher = PiiCipher::load(config.pii_key.as_deref(), &config.data_dir)
            .context("loading the key for complainants' personal data")?;
        Ok(Self {
            connections: ConnectionCounter::new(
                config.max_connections_per_address,
                TrustedProxies(config.trusted_proxies.clone()),
            ),
            hasher: PasswordHasher::new(config.hash_concurrency)?,
            exports: ExportSlots::new(config.export_slots()),
            filings: Arc::new(FilingDesk::start(db.clone())?),
            write_limiter: Arc::new(WriteRateLimiter::new(config.writes_per_minute)),
            token_keys,
            uploads: UploadDesk::new(
                photos.clone(),
                chrono::Duration::seconds(config.upload_expiry_seconds),
            ),
            photos,
            audit_anchor,
            sla,
            cipher,
            config: Arc::new(config),
            db,
            geography,
            metrics: Arc::new(Metrics::new()),
        })
    }
}

/// The served OpenAPI document, collected from the same route registration the server uses.
pub fn api_spec() -> utoipa::openapi::OpenApi {
    let (_, mut spec) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    openapi::name_operations_by_tag(&mut spec);
    openapi::reference_generic_items(&mut spec);
    openapi::open_operations_need_no_token(&mut spec);
    openapi::add_common_responses(&mut spec);
    spec
}

/// Binds nothing itself: the caller passes a listener, so tests can use port 0 and a port
/// in use is reported before anything else starts.
pub fn start(services: Services, listener: TcpListener) -> anyhow::Result<actix_web::dev::Server> {
    let spec = api_spec();
    let known_queries = web::Data::new(KnownQueries::from_spec(&spec));
    // Serialised once; each answer shares the same bytes.
    let spec_json = web::Bytes::from(spec.to_json().context("serialising the OpenAPI document")?);
    let config = services.config.clone();
    let trusted_proxies = TrustedProxies(config.trusted_proxies.clone());
    let connections = services.connections.clone();
    let trusted_proxies = web::Data::new(trusted_proxies);
    let body_pace = web::Data::new(BodyPace::default());
    let db = web::Data::new(services.db.clone());
    let geography = web::Data::from(services.geography.clone());
    let metrics = web::Data::from(services.metrics.clone());
    let token_keys = web::Data::from(services.token_keys.clone());
    let hasher = web::Data::new(services.hasher.clone());
    let write_limiter = web::Data::from(services.write_limiter.clone());
    let limits = BodyLimits {
        record: config.max_json_bytes,
        ..BodyLimits::default()
    };
    let visit_rules = web::Data::new(VisitRules {
        backfill: chrono::Duration::days(config.backfill_days),
        ..VisitRules::default()
    });
    let week_start = web::Data::new(config.week_start);
    let console_sessions = web::Data::new(crate::console::SessionSettings {
        idle: chrono::Duration::minutes(config.console_idle_minutes),
        secure_cookie: config.console_secure_cookie,
    });
    let console_settings = web::Data::new(crate::console::ConsoleSettings {
        tile_url: config.console_tile_url.clone().unwrap_or_default(),
    });
    let webhook_target = web::Data::new(crate::console::WebhookTarget::of(
        config.webhook.as_ref().map(|hook| hook.url.as_str()),
    ));
    let audit_anchor = web::Data::new(services.audit_anchor.clone());
    let cipher = web::Data::new(services.cipher.clone());
    let printer = web::Data::new(crate::console::PdfPrinter::new(
        config.pdf_chromium.clone(),
        listener
            .local_addr()
            .context("reading the listening address")?,
    ));
    let photos = web::Data::new(services.photos.clone());
    let uploads = web::Data::new(services.uploads.clone());
    let exports = web::Data::new(services.exports.clone());
    let filings = web::Data::from(services.filings.clone());
    let cors_policy = web::Data::new(CorsPolicy {
        allowed_origins: config.cors_origins.clone(),
    });
    let sync_feed = SyncFeed::new(
        services.token_keys.derive_key("fieldweek sync cursor"),
        config.sync_retention,
    );
    let grievance_services = web::Data::new(GrievanceServices {
        cipher: services.cipher.clone(),
        sla: services.sla,
        events: EventSink::new(config.webhook.is_some()),
    });
    // Hourly: erase personal data past its retention period, and expired uploads.
    tokio::spawn(crate::privacy::retention::run_forever(
        services.db.clone(),
        crate::privacy::retention::Retention {
            grievance_days: config.retention_days,
            delivered_webhook_days: config.webhook_keep_days,
            sync_removal_days: sync_feed.removal_days(),
        },
        std::time::Duration::from_secs(3600),
    ));
    // Hourly too: the photo store's expired uploads and photos nothing refers to.
    tokio::spawn(crate::photos::sweep::run_forever(
        services.db.clone(),
        services.photos.clone(),
        std::time::Duration::from_secs(3600),
    ));
    // Every few seconds: a signed note of the audit chain's head, outside the database.
    tokio::spawn(
        services
            .audit_anchor
            .clone()
            .run_forever(services.db.clone(), std::time::Duration::from_secs(5)),
    );
    if let Some(webhook) = config.webhook.clone() {
        // Runs beside the server until the process ends.
        tokio::spawn(webhooks::run_dispatcher(services.db.clone(), webhook));
    }

    let sync_feed = web::Data::new(sync_feed);
    let mut server = HttpServer::new(move || {
        let spec_json = spec_json.clone();
        let (app, _) = App::new()
            .wrap(from_fn(refuse_unknown_query))
            .wrap(from_fn(limit_connections_and_bodies))
            .wrap(from_fn(cors))
            .wrap(from_fn(observe))
            .app_data(cors_policy.clone())
            .app_data(known_queries.clone())
            .app_data(trusted_proxies.clone())
            .app_data(body_pace.clone())
            .app_data(db.clone())
            .app_data(geography.clone())
            .app_data(metrics.clone())
            .app_data(token_keys.clone())
            .app_data(hasher.clone())
            .app_data(write_limiter.clone())
            .app_data(visit_rules.clone())
            .app_data(week_start.clone())
            .app_data(photos.clone())
            .app_data(uploads.clone())
            .app_data(exports.clone())
            .app_data(filings.clone())
            .app_data(grievance_services.clone())
            .app_data(sync_feed.clone())
            .app_data(limits)
            .app_data(console_sessions.clone())
            .app_data(console_settings.clone())
            .app_data(webhook_target.clone())
            .app_data(audit_anchor.clone())
            .app_data(printer.clone())
            .app_data(cipher.clone())
            .app_data(web::QueryConfig::default().error_handler(|error, _| {
                tracing::info!(error = %error, "a query string could not be read");
                ApiError::malformed(
                    "the query string could not be read; check each parameter's value",
                    "อ่านพารามิเตอร์ของคำขอไม่ได้ กรุณาตรวจสอบค่าของแต่ละพารามิเตอร์",
                )
                .into()
            }))
            .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()))
            .app_data(web::JsonConfig::default().limit(limits.record))
            .into_utoipa_app()
            // Before the `/api/v1` scope, which would otherwise answer 404 for it.
            .route(
                "/api/v1/openapi.json",
                web::get().to(move || {
                    let spec_json = spec_json.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("application/json")
                            .body(spec_json)
                    }
                }),
            )
            .configure(routes::configure)
            .split_for_parts();
        let app = app.configure(crate::console::configure);
        // 404, or 405 with `Allow` for a path that takes other methods.
        app.default_service(web::to(no_route))
    })
    .on_connect(move |io, data| connections.on_connect(io, data))
    .listen(listener)
    .context("starting the HTTP server")?
    .shutdown_timeout(config.shutdown_timeout.as_secs());
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}

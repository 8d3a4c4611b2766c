//! Configuration from the environment, validated once at start into typed values.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Weekday;

pub use crate::db::DatabaseTarget;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {message}")]
    Invalid { name: &'static str, message: String },
    #[error("data directory {path}: {message}")]
    DataDir { path: PathBuf, message: String },
}

fn invalid(name: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        message: message.into(),
    }
}

/// The SQLite file's name inside the data directory when `DATABASE_URL` is unset.
pub const DEFAULT_SQLITE_FILE: &str = "fieldweek.db";

/// `sqlite://relative/path.db`, `sqlite:///absolute/path.db`, `postgres://...`.
/// Anything else is refused rather than silently becoming a SQLite file name.
pub fn parse_database_url(url: &str) -> Result<DatabaseTarget, ConfigError> {
    let url = url.trim();
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        if rest.is_empty() || rest.contains('?') || rest == ":memory:" {
            return Err(invalid(
                "DATABASE_URL",
                "a SQLite URL names a file, e.g. sqlite://data/fieldweek.db",
            ));
        }
        return Ok(DatabaseTarget::Sqlite {
            path: PathBuf::from(rest),
        });
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(DatabaseTarget::Postgres {
            url: url.to_owned(),
        });
    }
    let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
    Err(invalid(
        "DATABASE_URL",
        format!("unknown scheme {scheme:?}: use sqlite://PATH or postgres://..."),
    ))
}

/// Where events go when webhooks are configured.
#[derive(Clone)]
pub struct WebhookConfig {
    pub url: String,
    pub secret: String,
    /// How often the dispatcher looks for work.
    pub poll_interval: Duration,
    /// The first retry's delay; each later one doubles, up to an hour.
    pub retry_base: Duration,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Hours a grievance of each priority may stay open (`FIELDWEEK_SLA_HOURS`); the
/// grievance rules check and apply them (`grievances::sla::SlaPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaHours {
    pub urgent: i64,
    pub high: i64,
    pub normal: i64,
    pub low: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone)]
pub struct AdminBootstrap {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for AdminBootstrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminBootstrap")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Where photos and unfinished resumable uploads are kept (`FIELDWEEK_PHOTO_STORE`).
#[derive(Clone, PartialEq, Eq)]
pub enum PhotoStoreTarget {
    /// `<data dir>/photos`: one node, or nodes sharing that folder.
    DataDir,
    /// `s3://bucket/prefix` on S3-compatible storage shared by every node, with the
    /// `AWS_*` variables (endpoint, region, credentials) as object_store reads them.
    S3 {
        bucket: String,
        prefix: String,
        options: Vec<(String, String)>,
    },
}

impl std::fmt::Debug for PhotoStoreTarget {
    // The options hold the secret key: only their names are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DataDir => write!(f, "DataDir"),
            Self::S3 {
                bucket,
                prefix,
                options,
            } => f
                .debug_struct("S3")
                .field("bucket", bucket)
                .field("prefix", prefix)
                .field(
                    "options",
                    &options.iter().map(|(key, _)| key).collect::<Vec<_>>(),
                )
                .finish(),
        }
    }
}

impl PhotoStoreTarget {
    /// `data` (the default) or `s3://bucket[/prefix]`; `vars` give the `AWS_*` options.
    pub fn parse(value: &str, vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let value = value.trim();
        if value == "data" {
            return Ok(Self::DataDir);
        }
        let Some(rest) = value.strip_prefix("s3://") else {
            return Err(invalid(
                "FIELDWEEK_PHOTO_STORE",
                format!("{value:?} is neither `data` nor s3://bucket/prefix"),
            ));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(invalid(
                "FIELDWEEK_PHOTO_STORE",
                "s3:// needs a bucket name",
            ));
        }
        let mut options: Vec<(String, String)> = vars
            .iter()
            .filter(|(key, value)| key.starts_with("AWS_") && !value.trim().is_empty())
            .map(|(key, value)| (key.clone(), value.trim().to_owned()))
            .collect();
        options.sort();
        Ok(Self::S3 {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            options,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseTarget,
    pub bind: String,
    pub data_dir: PathBuf,
    pub jwt_secret: Option<String>,
    pub admin: Option<AdminBootstrap>,
    pub log_format: LogFormat,
    /// Database connections per process.
    pub db_pool_size: u32,
    /// HTTP worker threads; `None` lets actix use one per core.
    pub workers: Option<usize>,
    /// Largest JSON body of a single record.
    pub max_json_bytes: usize,
    /// How long a graceful shutdown waits for in-flight requests.
    pub shutdown_timeout: Duration,
    /// First day of the reporting week (ISO: Monday).
    pub week_start: Weekday,
    /// Write requests one user may make a minute (per node).
    pub writes_per_minute: u32,
    /// How many days back a visit may be filed.
    pub backfill_days: i64,
    /// Grievance deadlines by priority; the ministry's standard when unset.
    pub sla_hours: Option<SlaHours>,
    /// Key material for the complainant's personal data; else generated in the data dir.
    pub pii_key: Option<String>,
    /// Where grievance events are POSTed, if anywhere.
    pub webhook: Option<WebhookConfig>,
    /// Browser origins allowed to call the API (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// Days after closure (or rejection) before a grievance's personal data is erased.
    pub retention_days: i64,
    /// Password hashes computed at once (each takes 19 MiB and a core for ~50 ms).
    pub hash_concurrency: usize,
    /// Exports running at once; by default a quarter of the pool (at least one), since
    /// each holds a connection while it runs.
    pub max_exports: Option<usize>,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` name the real client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Open connections one client address may hold (per node); trusted proxies are exempt.
    pub max_connections_per_address: usize,
    /// Days a delivered webhook stays in the outbox before it is pruned.
    pub webhook_keep_days: i64,
    /// Seconds an unfinished resumable upload lives (`Upload-Expires`).
    pub upload_expiry_seconds: i64,
    /// How long a sync cursor stays usable (`FIELDWEEK_SYNC_RETENTION_DAYS`); removals
    /// are kept a day longer. Tests set it shorter than a day.
    pub sync_retention: Duration,
    /// Minutes a console session may sit unused before it ends.
    pub console_idle_minutes: i64,
    /// `Some`: always (or never) mark the console's cookies `Secure`; `None` (`auto`): when
    /// the request came over HTTPS.
    pub console_secure_cookie: Option<bool>,
    /// A basemap's tile URL template for the console's maps; none by default (the maps
    /// draw Thailand's outline, with no tile server).
    pub console_tile_url: Option<String>,
    /// The chromium that prints the console's weekly report as a PDF on the server;
    /// `None`: no PDF from the server (a browser still prints the page itself).
    pub pdf_chromium: Option<PathBuf>,
    /// Where photos are kept: the data directory, or object storage every node shares.
    pub photo_store: PhotoStoreTarget,
    /// A streaming replica of the PostgreSQL primary where reports read
    /// (`DATABASE_READ_URL`).
    pub read_database: Option<DatabaseTarget>,
}

/// Where Debian, Ubuntu and Google install chromium, in the order looked for.
const CHROMIUM_PLACES: [&str; 3] = [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
];

impl Config {
    /// Defaults everywhere: what `cargo run` gets with an empty environment.
    pub fn with_database(database: DatabaseTarget, data_dir: PathBuf) -> Self {
        Self {
            database,
            bind: "127.0.0.1:8080".into(),
            data_dir,
            jwt_secret: None,
            admin: None,
            log_format: LogFormat::Text,
            db_pool_size: 10,
            workers: None,
            max_json_bytes: 64 * 1024,
            shutdown_timeout: Duration::from_secs(30),
            week_start: Weekday::Mon,
            writes_per_minute: 300,
            backfill_days: 60,
            sla_hours: None,
            pii_key: None,
            cors_origins: Vec::new(),
            retention_days: 730,
            webhook: None,
            // One core is always left to the other requests during a login rush.
            hash_concurrency: std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1).max(1)),
            max_exports: None,
            trusted_proxies: Vec::new(),
            max_connections_per_address: 256,
            webhook_keep_days: 30,
            upload_expiry_seconds: 24 * 3600,
            console_idle_minutes: 30,
            console_secure_cookie: None,
            console_tile_url: None,
            pdf_chromium: None,
            photo_store: PhotoStoreTarget::DataDir,
            read_database: None,
            sync_retention: Duration::from_secs(30 * 86_400),
        }
    }

    pub fn export_slots(&self) -> usize {
        self.max_exports
            .unwrap_or((self.db_pool_size as usize / 4).max(1))
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());

        let data_dir = PathBuf::from(get("FIELDWEEK_DATA_DIR").unwrap_or("data"));
        // Without a URL, the database lives in the data directory, wherever that is.
        let database = match get("DATABASE_URL") {
            Some(url) => parse_database_url(url)?,
            None => DatabaseTarget::Sqlite {
                path: data_dir.join(DEFAULT_SQLITE_FILE),
            },
        };
        let mut config = Self::with_database(database, data_dir);

        if let Some(url) = get("DATABASE_READ_URL") {
            let replica = parse_database_url(url)?;
            let both_postgres = matches!(replica, DatabaseTarget::Postgres { .. })
                && matches!(config.database, DatabaseTarget::Postgres { .. });
            if !both_postgres {
                return Err(invalid(
                    "DATABASE_READ_URL",
                    "a read replica is a PostgreSQL standby of a PostgreSQL DATABASE_URL",
                ));
            }
            config.read_database = Some(replica);
        }
        if let Some(store) = get("FIELDWEEK_PHOTO_STORE") {
            config.photo_store = PhotoStoreTarget::parse(store, vars)?;
        }
        if let Some(bind) = get("FIELDWEEK_BIND") {
            config.bind = bind.to_owned();
        }
        if let Some(secret) = get("FIELDWEEK_JWT_SECRET") {
            // HS256 needs at least 256 bits of key.
            if secret.len() < 32 {
                return Err(invalid(
                    "FIELDWEEK_JWT_SECRET",
                    "must be at least 32 bytes (256 bits)",
                ));
            }
            config.jwt_secret = Some(secret.to_owned());
        }
        config.admin =
            match (
                get("FIELDWEEK_ADMIN_USERNAME"),
                vars.get("FIELDWEEK_ADMIN_PASSWORD"),
            ) {
                (Some(username), Some(password)) => Some(AdminBootstrap {
                    username: username.to_owned(),
                    password: password.clone(),
                }),
                (None, None) => None,
                _ => return Err(invalid(
                    "FIELDWEEK_ADMIN_USERNAME",
                    "set both FIELDWEEK_ADMIN_USERNAME and FIELDWEEK_ADMIN_PASSWORD, or neither",
                )),
            };
        config.log_format = match get("FIELDWEEK_LOG_FORMAT") {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "FIELDWEEK_LOG_FORMAT",
                    format!("{other:?} is neither text nor json"),
                ))
            }
        };
        if let Some(size) = get("FIELDWEEK_DB_POOL_SIZE") {
            config.db_pool_size = parse_in_range("FIELDWEEK_DB_POOL_SIZE", size, 1, 200)?;
        }
        if let Some(exports) = get("FIELDWEEK_MAX_EXPORTS") {
            config.max_exports = Some(parse_in_range("FIELDWEEK_MAX_EXPORTS", exports, 1, 100)?);
        }
        if let Some(workers) = get("FIELDWEEK_WORKERS") {
            config.workers = Some(parse_in_range("FIELDWEEK_WORKERS", workers, 1, 256)?);
        }
        if let Some(bytes) = get("FIELDWEEK_MAX_JSON_BYTES") {
            config.max_json_bytes =
                parse_in_range("FIELDWEEK_MAX_JSON_BYTES", bytes, 1024, 4 * 1024 * 1024)?;
        }
        if let Some(secs) = get("FIELDWEEK_SHUTDOWN_TIMEOUT_SECS") {
            config.shutdown_timeout = Duration::from_secs(parse_in_range(
                "FIELDWEEK_SHUTDOWN_TIMEOUT_SECS",
                secs,
                0,
                3600,
            )?);
        }
        if let Some(rate) = get("FIELDWEEK_WRITES_PER_MINUTE") {
            config.writes_per_minute =
                parse_in_range("FIELDWEEK_WRITES_PER_MINUTE", rate, 1, 1_000_000)?;
        }
        if let Some(days) = get("FIELDWEEK_BACKFILL_DAYS") {
            config.backfill_days = parse_in_range("FIELDWEEK_BACKFILL_DAYS", days, 1, 3650)?;
        }
        if let Some(hours) = get("FIELDWEEK_SLA_HOURS") {
            let parts: Vec<i64> = hours
                .split(',')
                .map(|h| h.trim().parse::<i64>())
                .collect::<Result<_, _>>()
                .map_err(|_| {
                    invalid(
                        "FIELDWEEK_SLA_HOURS",
                        "four whole numbers of hours: urgent,high,normal,low",
                    )
                })?;
            let [urgent, high, normal, low] = parts[..] else {
                return Err(invalid(
                    "FIELDWEEK_SLA_HOURS",
                    "four whole numbers of hours: urgent,high,normal,low",
                ));
            };
            config.sla_hours = Some(SlaHours {
                urgent,
                high,
                normal,
                low,
            });
        }
        config.pii_key = get("FIELDWEEK_PII_KEY").map(str::to_owned);
        if let Some(url) = get("FIELDWEEK_WEBHOOK_URL") {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(invalid("FIELDWEEK_WEBHOOK_URL", "must be an http(s) URL"));
            }
            let secret = get("FIELDWEEK_WEBHOOK_SECRET")
                .filter(|s| s.len() >= 16)
                .ok_or_else(|| {
                    invalid(
                        "FIELDWEEK_WEBHOOK_SECRET",
                        "must be set (at least 16 bytes) with FIELDWEEK_WEBHOOK_URL",
                    )
                })?;
            let retry = match get("FIELDWEEK_WEBHOOK_RETRY_SECONDS") {
                Some(secs) => parse_in_range("FIELDWEEK_WEBHOOK_RETRY_SECONDS", secs, 1, 3600)?,
                None => 5,
            };
            config.webhook = Some(WebhookConfig {
                url: url.to_owned(),
                secret: secret.to_owned(),
                poll_interval: Duration::from_secs(1),
                retry_base: Duration::from_secs(retry),
            });
        }
        if let Some(origins) = get("FIELDWEEK_CORS_ORIGINS") {
            for origin in origins.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                let scheme_ok = origin.starts_with("https://") || origin.starts_with("http://");
                if !scheme_ok || origin.ends_with('/') || origin.contains('*') {
                    return Err(invalid(
                        "FIELDWEEK_CORS_ORIGINS",
                        format!("{origin:?} is not an origin like https://dash.example.go.th"),
                    ));
                }
                config.cors_origins.push(origin.to_owned());
            }
        }
        if let Some(list) = get("FIELDWEEK_TRUSTED_PROXIES") {
            config.trusted_proxies = parse_networks("FIELDWEEK_TRUSTED_PROXIES", list)?;
        }
        if let Some(count) = get("FIELDWEEK_MAX_CONNECTIONS_PER_ADDRESS") {
            config.max_connections_per_address =
                parse_in_range("FIELDWEEK_MAX_CONNECTIONS_PER_ADDRESS", count, 1, 100_000)?;
        }
        if let Some(days) = get("FIELDWEEK_WEBHOOK_KEEP_DAYS") {
            config.webhook_keep_days =
                parse_in_range("FIELDWEEK_WEBHOOK_KEEP_DAYS", days, 1, 3650)?;
        }
        if let Some(secs) = get("FIELDWEEK_UPLOAD_EXPIRY_SECONDS") {
            config.upload_expiry_seconds =
                parse_in_range("FIELDWEEK_UPLOAD_EXPIRY_SECONDS", secs, 60, 30 * 24 * 3600)?;
        }
        if let Some(minutes) = get("FIELDWEEK_CONSOLE_IDLE_MINUTES") {
            config.console_idle_minutes =
                parse_in_range("FIELDWEEK_CONSOLE_IDLE_MINUTES", minutes, 1, 24 * 60)?;
        }
        if let Some(secure) = get("FIELDWEEK_CONSOLE_SECURE_COOKIE") {
            config.console_secure_cookie = match secure.trim() {
                "auto" => None,
                "true" => Some(true),
                "false" => Some(false),
                other => {
                    return Err(invalid(
                        "FIELDWEEK_CONSOLE_SECURE_COOKIE",
                        format!("{other:?} is not auto, true or false"),
                    ))
                }
            };
        }
        if let Some(url) = get("FIELDWEEK_CONSOLE_TILE_URL") {
            let url = url.trim();
            if !(url.starts_with("https://") || url.starts_with("http://")) || !url.contains("{z}")
            {
                return Err(invalid(
                    "FIELDWEEK_CONSOLE_TILE_URL",
                    format!(
                        "{url:?} is not a tile URL like https://tile.example/{{z}}/{{x}}/{{y}}.png"
                    ),
                ));
            }
            config.console_tile_url = Some(url.to_owned());
        }
        config.pdf_chromium = match get("FIELDWEEK_PDF_CHROMIUM").map(str::trim) {
            Some("off") => None,
            Some(path) => {
                let path = PathBuf::from(path);
                if !path.is_file() {
                    return Err(invalid(
                        "FIELDWEEK_PDF_CHROMIUM",
                        format!("{} is not a file (a chromium, or `off`)", path.display()),
                    ));
                }
                Some(path)
            }
            None => CHROMIUM_PLACES
                .iter()
                .map(PathBuf::from)
                .find(|path| path.is_file()),
        };
        if let Some(days) = get("FIELDWEEK_RETENTION_DAYS") {
            config.retention_days = parse_in_range("FIELDWEEK_RETENTION_DAYS", days, 1, 36_500)?;
        }
        if let Some(days) = get("FIELDWEEK_SYNC_RETENTION_DAYS") {
            let days: u64 = parse_in_range("FIELDWEEK_SYNC_RETENTION_DAYS", days, 1, 3_650)?;
            config.sync_retention = Duration::from_secs(days * 86_400);
        }
        if let Some(day) = get("FIELDWEEK_WEEK_START") {
            config.week_start = day.parse().map_err(|_| {
                invalid(
                    "FIELDWEEK_WEEK_START",
                    format!("{day:?} is not a weekday (mon, tue, ...)"),
                )
            })?;
        }
        Ok(config)
    }

    /// Creates the data directory (and the SQLite file's folder) and proves they are writable,
    /// so a misconfigured deployment stops at start with one clear line. What it creates,
    /// and the SQLite file, only the server's own user may read.
    pub fn prepare_directories(&self) -> Result<(), ConfigError> {
        ensure_writable_dir(&self.data_dir)?;
        if let DatabaseTarget::Sqlite { path } = &self.database {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                ensure_writable_dir(parent)?;
            }
            crate::private_files::ensure_private_file(path).map_err(|e| ConfigError::DataDir {
                path: path.clone(),
                message: format!("cannot create the database file: {e}"),
            })?;
        }
        Ok(())
    }
}

/// Comma-separated addresses (`10.0.0.7`) or networks (`10.0.0.0/8`, `fd00::/8`).
fn parse_networks(name: &'static str, list: &str) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    invalid(
                        name,
                        format!("{item:?} is not an address or a network like 10.0.0.0/8"),
                    )
                })
        })
        .collect()
}

fn parse_in_range<T>(name: &'static str, value: &str, min: T, max: T) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match value.parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(invalid(
            name,
            format!("{value:?} is not a number from {min} to {max}"),
        )),
    }
}

fn ensure_writable_dir(path: &Path) -> Result<(), ConfigError> {
    let fail = |message: String| ConfigError::DataDir {
        path: path.to_owned(),
        message,
    };
    crate::private_files::create_dir_all(path)
        .map_err(|e| fail(format!("cannot create it: {e}")))?;
    let probe = path.join(format!(".write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"ok").map_err(|e| fail(format!("not writable: {e}")))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_to_sqlite_under_data() {
        let config = Config::from_vars(&HashMap::new()).unwrap();
        assert_eq!(
            config.database,
            DatabaseTarget::Sqlite {
                path: "data/fieldweek.db".into()
            }
        );
        assert_eq!(config.bind, "127.0.0.1:8080");
        assert_eq!(config.max_json_bytes, 65536);
    }

    #[test]
    fn photos_go_to_a_bucket_and_reports_to_a_replica_only_when_told() {
        let config = Config::from_vars(&vars(&[
            ("FIELDWEEK_PHOTO_STORE", "s3://photos/field/week/"),
            ("AWS_ENDPOINT", "http://127.0.0.1:9000"),
            ("AWS_SECRET_ACCESS_KEY", "very secret"),
            ("DATABASE_URL", "postgres://app@db/fieldweek"),
            ("DATABASE_READ_URL", "postgres://app@replica/fieldweek"),
        ]))
        .unwrap();
        let PhotoStoreTarget::S3 {
            bucket,
            prefix,
            options,
        } = &config.photo_store
        else {
            panic!("{:?}", config.photo_store)
        };
        assert_eq!((bucket.as_str(), prefix.as_str()), ("photos", "field/week"));
        assert_eq!(options.len(), 2);
        assert!(!format!("{:?}", config.photo_store).contains("very secret"));
        assert!(config.read_database.is_some());

        for refused in [
            vec![("FIELDWEEK_PHOTO_STORE", "ftp://photos")],
            vec![("FIELDWEEK_PHOTO_STORE", "s3:///prefix")],
            // A replica of an embedded SQLite file means nothing.
            vec![("DATABASE_READ_URL", "postgres://app@replica/fieldweek")],
        ] {
            assert!(Config::from_vars(&vars(&refused)).is_err(), "{refused:?}");
        }
        let default = Config::from_vars(&HashMap::new()).unwrap();
        assert_eq!(default.photo_store, PhotoStoreTarget::DataDir);
        assert!(default.read_database.is_none());
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let config = Config::from_vars(&vars(&[(
            "FIELDWEEK_TRUSTED_PROXIES",
            "10.0.0.7, 192.168.0.0/16,fd00::/8",
        )]))
        .unwrap();
        let names: Vec<String> = config
            .trusted_proxies
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, ["10.0.0.7/32", "192.168.0.0/16", "fd00::/8"]);
        assert!(Config::from_vars(&vars(&[("FIELDWEEK_TRUSTED_PROXIES", "proxy.local")])).is_err());
        assert!(Config::from_vars(&vars(&[("FIELDWEEK_TRUSTED_PROXIES", "10.0.0.0/33")])).is_err());
    }

    #[test]
    fn without_a_url_the_database_follows_the_data_directory() {
        let config = Config::from_vars(&vars(&[("FIELDWEEK_DATA_DIR", "/srv/fw")])).unwrap();
        assert_eq!(
            config.database,
            DatabaseTarget::Sqlite {
                path: "/srv/fw/fieldweek.db".into()
            }
        );
        let config = Config::from_vars(&vars(&[
            ("FIELDWEEK_DATA_DIR", "/srv/fw"),
            ("DATABASE_URL", "sqlite://elsewhere.db"),
        ]))
        .unwrap();
        assert_eq!(
            config.database,
            DatabaseTarget::Sqlite {
                path: "elsewhere.db".into()
            }
        );
    }

    #[test]
    fn exports_at_once_follow_the_pool_unless_set() {
        let slots =
            |pairs: &[(&str, &str)]| Config::from_vars(&vars(pairs)).unwrap().export_slots();
        assert_eq!(slots(&[]), 2);
        assert_eq!(slots(&[("FIELDWEEK_DB_POOL_SIZE", "40")]), 10);
        assert_eq!(slots(&[("FIELDWEEK_DB_POOL_SIZE", "2")]), 1);
        assert_eq!(slots(&[("FIELDWEEK_MAX_EXPORTS", "3")]), 3);
        assert!(Config::from_vars(&vars(&[("FIELDWEEK_MAX_EXPORTS", "0")])).is_err());
    }

    #[test]
    fn unknown_scheme_is_refused() {
        let error = Config::from_vars(&vars(&[("DATABASE_URL", "mysql://x/y")])).unwrap_err();
        assert!(
            error.to_string().contains("unknown scheme \"mysql\""),
            "{error}"
        );
        assert!(parse_database_url("fieldweek.db").is_err());
        assert!(parse_database_url("sqlite::memory:").is_err());
    }

    #[test]
    fn postgres_password_is_redacted_in_debug() {
        let target = parse_database_url("postgres://app:s3cret@db:5432/fw").unwrap();
        assert_eq!(format!("{target:?}"), "postgres://***@db:5432/fw");
    }

    #[test]
    fn short_jwt_secret_and_half_admin_are_refused() {
        assert!(Config::from_vars(&vars(&[("FIELDWEEK_JWT_SECRET", "short")])).is_err());
        assert!(Config::from_vars(&vars(&[("FIELDWEEK_ADMIN_USERNAME", "root")])).is_err());
        assert!(Config::from_vars(&vars(&[("FIELDWEEK_DB_POOL_SIZE", "0")])).is_err());
    }

    #[test]
    fn unwritable_data_dir_is_reported() {
        let file = tempfile::NamedTempFile::new().unwrap();
        // A path below a regular file can never be created.
        let config = Config::with_database(
            DatabaseTarget::Sqlite {
                path: "x.db".into(),
            },
            file.path().join("sub"),
        );
        let error = config.prepare_directories().unwrap_err();
        assert!(error.to_string().contains("cannot create it"), "{error}");
    }
}

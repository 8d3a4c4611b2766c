//! Prometheus metrics: requests and latency by route template (never by raw path, which
//! would let any client create unbounded label values); the build; the process; and,
//! read at each scrape, the database pool, the webhook outbox and the read replica.

use prometheus::core::Collector;
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::db::{OutboxBacklog, PoolUse, ReplicaUse};

pub struct Metrics {
    registry: Registry,
    /// Without the `fieldweek_` prefix: process metrics keep the names every dashboard
    /// knows (`process_cpu_seconds_total`, ...).
    process: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

/// What a scrape reads from the services at that moment.
#[derive(Debug, Clone, Copy)]
pub struct Readings {
    pub pool: PoolUse,
    /// `None` when the outbox could not be read in time: its gauges are then left out
    /// rather than shown stale.
    pub outbox: Option<OutboxBacklog>,
    /// `None` without a read replica: its metrics are then left out.
    pub replica: Option<ReplicaUse>,
}

/// `FIELDWEEK_GIT_COMMIT` in the build's environment, if whoever builds sets it: no git
/// needed to build.
const GIT_COMMIT: &str = match option_env!("FIELDWEEK_GIT_COMMIT") {
    Some(commit) => commit,
    None => "unknown",
};

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("fieldweek".into()), None)
            .expect("a constant prefix is a valid registry name");
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered"),
            &["method", "route", "status"],
        )
        .expect("constant metric options are valid");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from receiving a request to answering it",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route", "status"],
        )
        .expect("constant metric options are valid");
        registry
            .register(Box::new(requests.clone()))
            .expect("registered once");
        registry
            .register(Box::new(latency.clone()))
            .expect("registered once");
        let build = IntGaugeVec::new(
            Opts::new("build_info", "The running build; always 1"),
            &["version", "commit"],
        )
        .expect("constant metric options are valid");
        build
            .with_label_values(&[env!("CARGO_PKG_VERSION"), GIT_COMMIT])
            .set(1);
        registry.register(Box::new(build)).expect("registered once");

        let process = Registry::new();
        #[cfg(target_os = "linux")]
        process
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("registered once");
        Self {
            registry,
            process,
            requests,
            latency,
        }
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency.with_label_values(&labels).observe(seconds);
    }

    /// The Prometheus text exposition format, with `now`'s readings.
    pub fn render(&self, now: &Readings) -> String {
        let mut families = self.registry.gather();
        families.extend(now.gauges().iter().flat_map(|gauge| gauge.collect()));
        families.extend(self.process.gather());
        let mut out = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = TextEncoder::new().encode(&families, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Readings {
    /// Made afresh at each scrape, so a reading that failed cannot linger.
    fn gauges(&self) -> Vec<Box<dyn Collector>> {
        let int = |name: &str, help: &str, value: i64| -> Box<dyn Collector> {
            let gauge = IntGauge::new(format!("fieldweek_{name}"), help)
                .expect("constant metric options are valid");
            gauge.set(value);
            Box::new(gauge)
        };
        let mut gauges = vec![
            int(
                "db_pool_connections",
                "Connections the database pool holds open",
                self.pool.connections.into(),
            ),
            int(
                "db_pool_idle_connections",
                "Open pool connections not lent out",
                self.pool.idle.into(),
            ),
            int(
                "db_pool_max_connections",
                "The most connections the pool may open",
                self.pool.max_size.into(),
            ),
        ];
        if let Some(outbox) = self.outbox {
            gauges.push(int(
                "webhook_outbox_undelivered",
                "Webhook deliveries queued and not yet acknowledged",
                outbox.undelivered,
            ));
            let age = Gauge::new(
                "fieldweek_webhook_outbox_oldest_age_seconds",
                "Seconds the oldest undelivered webhook has waited; 0 when none waits",
            )
            .expect("constant metric options are valid");
            age.set(outbox.oldest_age_seconds);
            gauges.push(Box::new(age));
        }
        if let Some(replica) = self.replica {
            gauges.push(int(
                "read_replica_available",
                "1 when the last read meant for the replica was served there, else 0",
                replica.available.into(),
            ));
            // A counter by its meaning; made afresh at each scrape from the replica's own
            // count, like the gauges.
            let fallbacks = prometheus::IntCounter::new(
                "fieldweek_read_replica_fallbacks_total",
                "Reads meant for the replica (reports, exports, dashboards) that went to the primary",
            )
            .expect("constant metric options are valid");
            fallbacks.inc_by(replica.fallbacks);
            gauges.push(Box::new(fallbacks));
        }
        gauges
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

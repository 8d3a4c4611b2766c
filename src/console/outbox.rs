//! The webhook outbox for administrators: whether events are sent and where, the backlog
//! and how long its oldest event has waited, the deliveries that fail (with the receiver's
//! last answer) and the latest that succeeded; a failing event can be retried now.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::pages::PageContext;
use super::pages::{render, Chrome, Notice};
use super::session::{Refusal, Signed};
use super::words::{self, words};
use super::ConsoleSettings;
use crate::db::Db;
use crate::domain::Language;
use crate::error::ApiError;
use crate::policy::{self, Permission};
use crate::webhooks::{self, OutboxEntry};

/// Events shown in each list.
const SHOWN: i64 = 100;

/// Where events go, for the page: the receiver's address without its query or secret.
#[derive(Debug, Clone, Default)]
pub struct WebhookTarget {
    /// `None` when webhooks are off.
    pub url: Option<String>,
}

impl WebhookTarget {
    /// The receiver `url` as the page may show it: no user or password before its host,
    /// no query or fragment (either may carry a token).
    pub fn of(url: Option<&str>) -> Self {
        let shown = url.map(|url| {
            let url = url.split(['?', '#']).next().unwrap_or_default();
            match url.split_once("://") {
                Some((scheme, rest)) => {
                    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                    let host = authority.rsplit('@').next().unwrap_or_default();
                    format!("{scheme}://{host}{path}")
                }
                None => String::new(),
            }
        });
        Self { url: shown }
    }
}

pub struct EventLine {
    pub id: i64,
    pub event: String,
    pub grievance_id: String,
    pub created: String,
    pub attempts: i64,
    pub next_attempt: String,
    pub delivered: String,
    pub error: String,
}

impl EventLine {
    fn of(entry: OutboxEntry, language: Language) -> Self {
        let when = |at: chrono::NaiveDateTime| words::when(at.and_utc(), language);
        Self {
            id: entry.id,
            event: entry.event_type,
            grievance_id: entry.grievance_id.unwrap_or_default(),
            created: when(entry.created_at),
            attempts: entry.attempts,
            next_attempt: when(entry.next_attempt_at),
            delivered: entry.delivered_at.map(when).unwrap_or_default(),
            error: entry.last_error.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "outbox.html")]
pub struct OutboxPage {
    pub c: Chrome,
    pub target: Option<String>,
    pub waiting: i64,
    pub oldest: String,
    pub failing_total: i64,
    pub failing: Vec<EventLine>,
    pub delivered: Vec<EventLine>,
    pub notice: Option<Notice>,
}

async fn outbox_page(
    cx: &PageContext<'_>,
    target: &WebhookTarget,
    notice: Option<Notice>,
) -> Result<OutboxPage, Refusal> {
    let PageContext { signed, db, .. } = *cx;
    let language = signed.language;
    let refuse = |e| Refusal::from_api(e, language);
    policy::require(&signed.user, Permission::WatchDeliveries).map_err(refuse)?;
    let state = db
        .read(|conn| Ok(webhooks::state(conn, crate::db::now(), SHOWN)?))
        .await
        .map_err(refuse)?;
    let lines = |entries: Vec<OutboxEntry>| {
        entries
            .into_iter()
            .map(|entry| EventLine::of(entry, language))
            .collect()
    };
    Ok(OutboxPage {
        c: cx.chrome("outbox"),
        target: target.url.clone(),
        waiting: state.backlog.undelivered,
        oldest: if state.backlog.undelivered == 0 {
            "-".to_owned()
        } else {
            words::span(state.backlog.oldest_age_seconds as i64, language)
        },
        failing_total: state.failing_total,
        failing: lines(state.failing),
        delivered: lines(state.delivered),
        notice,
    })
}

/// `GET /console/outbox`.
pub async fn page(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    settings: web::Data<ConsoleSettings>,
    target: web::Data<WebhookTarget>,
) -> Result<HttpResponse, Refusal> {
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = outbox_page(&cx, &target, None).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /console/outbox/{id}/retry`: the event is due at the dispatcher's next round.
/// Audited.
pub async fn retry(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    settings: web::Data<ConsoleSettings>,
    target: web::Data<WebhookTarget>,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Refusal> {
    signed.check_csrf(&req, &form)?;
    let language = signed.language;
    policy::require(&signed.user, Permission::WatchDeliveries)
        .map_err(|e| Refusal::from_api(e, language))?;
    let id = id.into_inner();
    let user = signed.user.clone();
    let outcome = db
        .write(move |conn| {
            if !webhooks::retry_now(conn, id, crate::db::now())? {
                return Err(ApiError::NotFound);
            }
            user.audit(
                conn,
                "webhook.retry_requested",
                "webhook_outbox",
                Some(&id.to_string()),
                serde_json::json!({}),
            )?;
            Ok(())
        })
        .await;
    let w = words(language);
    let (status, notice) = match outcome {
        Err(ApiError::NotFound) => (
            StatusCode::NOT_FOUND,
            Notice {
                ok: false,
                text: w.outbox_gone.to_owned(),
                problems: Vec::new(),
            },
        ),
        outcome => Notice::after(outcome, language, |()| {
            format!("#{id}: {}", w.outbox_retry_queued)
        }),
    };
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = outbox_page(&cx, &target, Some(notice)).await?;
    Ok(render(status, &page))
}

#[cfg(test)]
mod tests {
    use super::WebhookTarget;

    #[test]
    fn the_receivers_address_is_shown_without_credentials_or_query() {
        let shown = |url| WebhookTarget::of(Some(url)).url.unwrap();
        assert_eq!(
            shown("https://user:secret@hooks.example.go.th/fieldweek?token=abc#x"),
            "https://hooks.example.go.th/fieldweek"
        );
        assert_eq!(shown("http://127.0.0.1:9000"), "http://127.0.0.1:9000");
        assert_eq!(WebhookTarget::of(None).url, None);
    }
}

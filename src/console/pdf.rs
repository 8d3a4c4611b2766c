//! The printed weekly report as a PDF made on the server: headless chromium prints the
//! very page a person prints from the browser (`/console/reports/weekly`), so the two
//! never differ.
//!
//! Chromium cannot be handed a cookie, so the reader's right to the page travels as a
//! print ticket: a random, single-use name that lives a minute in this node's memory and
//! is on chromium's command line only. Chromium opens `/console/print/{ticket}`, which
//! trades it for a console session of the reader's own (its cookie set in chromium's
//! throwaway profile) and leads on to the report; the session is closed once the PDF is
//! written. The page is rendered by the same node, over loopback, with the reader's
//! rights: nothing the reader may not see can be printed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Weekday;

use super::dashboard::{dashboard_target, DashboardQuery};
use super::pages::url_encode;
use super::session::{self, console_cookie, Refusal, Signed, LANGUAGE_COOKIE, SESSION_COOKIE};
use super::words::words;
use crate::db::{users, Db};
use crate::domain::Language;
use crate::error::ApiError;
use crate::policy::{self, Permission};

/// How long a ticket may wait for chromium to come for it.
const TICKET_LIFE: Duration = Duration::from_secs(60);
/// The longest a report may take to print, chromium's start included.
const PRINT_TIMEOUT: Duration = Duration::from_secs(60);
/// The time chromium's page may run its scripts (the map fetches its boundaries) before
/// it prints; virtual time, so a quick page prints sooner.
const SCRIPT_BUDGET_MS: u32 = 20_000;
/// Reports printed at once: each is a whole chromium, and the machine serves the phones.
const PRINTS_AT_ONCE: usize = 2;
/// How long a request waits for a free printer before it is told to come back.
const QUEUE_WAIT: Duration = Duration::from_secs(30);

struct Ticket {
    session_token: String,
    language: Language,
    next: String,
    expires: Instant,
}

/// The node's printer: where chromium is, this node's own address, and the tickets
/// waiting to be used.
pub struct PdfPrinter {
    chromium: Option<PathBuf>,
    local: SocketAddr,
    tickets: Mutex<HashMap<String, Ticket>>,
    slots: tokio::sync::Semaphore,
}

impl PdfPrinter {
    /// `local` is the address the server listens on; a wildcard one is reached over
    /// loopback.
    pub fn new(chromium: Option<PathBuf>, local: SocketAddr) -> Self {
        let mut local = local;
        if local.ip().is_unspecified() {
            local.set_ip(match local {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        Self {
            chromium,
            local,
            tickets: Mutex::new(HashMap::new()),
            slots: tokio::sync::Semaphore::new(PRINTS_AT_ONCE),
        }
    }

    pub fn available(&self) -> bool {
        self.chromium.is_some()
    }

    fn issue(&self, ticket: Ticket) -> String {
        let name = session::random_token();
        let mut tickets = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        tickets.retain(|_, t| t.expires > now);
        tickets.insert(name.clone(), ticket);
        name
    }

    /// The ticket `name`, once: a second use, or one too late, finds nothing.
    fn redeem(&self, name: &str) -> Option<Ticket> {
        let mut tickets = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        tickets
            .remove(name)
            .filter(|ticket| ticket.expires > Instant::now())
    }

    /// Runs chromium on `url`, writing the PDF into `dir`; the PDF's bytes.
    async fn print(&self, chromium: &Path, dir: &Path, url: &str) -> anyhow::Result<Vec<u8>> {
        let output = dir.join("report.pdf");
        let mut command = tokio::process::Command::new(chromium);
        command
            .arg("--headless")
            .arg("--disable-gpu")
            .arg("--disable-dev-shm-usage")
            .arg("--disable-extensions")
            .arg("--no-first-run")
            .arg("--no-default-browser-check")
            .arg("--hide-scrollbars")
            .arg("--no-pdf-header-footer")
            .arg("--run-all-compositor-stages-before-draw")
            .arg(format!("--virtual-time-budget={SCRIPT_BUDGET_MS}"))
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .arg(format!("--print-to-pdf={}", output.display()))
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        // Chromium's sandbox needs user namespaces, which a root process does not get.
        if running_as_root() {
            command.arg("--no-sandbox");
        }
        let run = tokio::time::timeout(PRINT_TIMEOUT, command.output())
            .await
            .map_err(|_| anyhow::anyhow!("chromium took over {PRINT_TIMEOUT:?}"))??;
        let pdf = tokio::fs::read(&output).await.map_err(|e| {
            let said = String::from_utf8_lossy(&run.stderr);
            let tail: String = said.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
            anyhow::anyhow!("chromium ({}) wrote no PDF: {e}; {tail}", run.status)
        })?;
        anyhow::ensure!(
            pdf.starts_with(b"%PDF-"),
            "chromium wrote something else than a PDF"
        );
        Ok(pdf)
    }
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A directory of its own for one print, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("fieldweek-print-{}", session::random_token()));
        std::fs::create_dir(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `GET /console/reports/weekly.pdf?week=&area=`: the printed report as a PDF download.
/// Audited, as exports are.
pub async fn weekly(
    signed: Signed,
    db: web::Data<Db>,
    week_start: web::Data<Weekday>,
    printer: web::Data<PdfPrinter>,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, Refusal> {
    let language = signed.language;
    let w = words(language);
    let refuse = |e| Refusal::from_api(e, language);
    policy::require(&signed.user, Permission::ReadReports).map_err(refuse)?;
    // The same rule as the page's: a refused area is refused here, before any chromium.
    let (week, area) = dashboard_target(&signed, &query, **week_start)?;
    let Some(chromium) = printer.chromium.clone() else {
        return Err(Refusal::page(
            StatusCode::SERVICE_UNAVAILABLE,
            language,
            w.refused_title,
            w.pdf_unavailable.to_owned(),
        ));
    };
    let busy = || {
        Refusal::page(
            StatusCode::SERVICE_UNAVAILABLE,
            language,
            w.refused_title,
            w.pdf_busy.to_owned(),
        )
    };
    let _slot = tokio::time::timeout(QUEUE_WAIT, printer.slots.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;

    // A session of the reader's own for chromium, closed whatever happens below.
    let user_id = signed.user.id.clone();
    let session_token = db
        .write(move |conn| {
            let row = users::find(conn, &user_id)?.ok_or(ApiError::NotFound)?;
            let (token, _csrf) = session::open(conn, &row, crate::db::now())?;
            Ok(token)
        })
        .await
        .map_err(refuse)?;
    let next = format!(
        "/console/reports/weekly?week={}&area={}",
        url_encode(&week.to_string()),
        url_encode(area.as_str())
    );
    let ticket = printer.issue(Ticket {
        session_token: session_token.clone(),
        language,
        next,
        expires: Instant::now() + TICKET_LIFE,
    });
    let url = format!("http://{}/console/print/{ticket}", printer.local);
    let printed = match Scratch::new() {
        Ok(scratch) => printer.print(&chromium, &scratch.0, &url).await,
        Err(e) => Err(e.into()),
    };
    printer.redeem(&ticket);
    let closing = session_token.clone();
    db.write(move |conn| Ok(session::close_token(conn, &closing)?))
        .await
        .map_err(refuse)?;
    let pdf = printed.map_err(|e| refuse(ApiError::internal(e.context("printing the report"))))?;

    let user = signed.user.clone();
    let (week_label, area_code) = (week.to_string(), area.as_str().to_owned());
    let details = serde_json::json!({"week": week_label, "area": area_code, "bytes": pdf.len()});
    db.write(move |conn| {
        Ok(user.audit(conn, "console.report_printed", "report", None, details)?)
    })
    .await
    .map_err(refuse)?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"weekly-report-{week}-{}.pdf\"",
                area.as_str()
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(pdf))
}

/// `GET /console/print/{ticket}`: chromium's way in (see the module's note). Anything but
/// a live ticket is a plain 404.
pub async fn redeem(
    req: HttpRequest,
    printer: web::Data<PdfPrinter>,
    ticket: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let language = session::language_of(&req);
    let ticket = printer
        .redeem(&ticket)
        .ok_or_else(|| Refusal::not_found(language))?;
    let chosen = match ticket.language {
        Language::English => "en",
        Language::Thai => "th",
    };
    Ok(HttpResponse::SeeOther()
        .cookie(console_cookie(&req, SESSION_COOKIE, ticket.session_token))
        .cookie(console_cookie(&req, LANGUAGE_COOKIE, chosen.to_owned()))
        .insert_header((header::LOCATION, ticket.next))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(life: Duration) -> Ticket {
        Ticket {
            session_token: "token".into(),
            language: Language::Thai,
            next: "/console/reports/weekly".into(),
            expires: Instant::now() + life,
        }
    }

    #[test]
    fn a_ticket_is_good_once_and_only_while_it_lives() {
        let printer = PdfPrinter::new(None, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(
            printer.local.to_string(),
            "127.0.0.1:8080",
            "reached over loopback"
        );
        let name = printer.issue(ticket(TICKET_LIFE));
        assert!(printer.redeem("another").is_none());
        assert_eq!(printer.redeem(&name).unwrap().session_token, "token");
        assert!(printer.redeem(&name).is_none(), "used up");
        let stale = printer.issue(ticket(Duration::ZERO));
        assert!(printer.redeem(&stale).is_none(), "expired");
    }
}

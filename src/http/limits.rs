//! Limits that keep a handful of clients from holding the server's sockets.
//!
//! - **Connections per client address.** Each connection is counted against its peer
//!   address when it opens and released when it closes. Past the limit, its requests are
//!   answered 429 at once and the connection is closed. Trusted reverse proxies are
//!   exempt: they carry many clients.
//! - **The size of a body.** A body whose `Content-Length` says more than its route takes
//!   is refused with 413 before a byte is read ([`declared_body_within`]).
//! - **The pace of a body.** Slow headers are cut by actix after 5 s; a body is read
//!   under two rules here: no gap of more than [`BodyPace::idle`] between chunks, and
//!   after a grace period at least [`BodyPace::min_bytes_per_sec`] on average. A body
//!   that falls behind ends in 408. A phone on a weak 2G link sends several KiB a second;
//!   a client trickling a byte every few seconds is cut after the grace period.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Extensions, Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{web, HttpMessage, ResponseError};
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use super::TrustedProxies;
use crate::error::ApiError;

/// Open connections by client address, shared by every worker.
#[derive(Debug)]
pub struct ConnectionCounter {
    limit: usize,
    trusted: TrustedProxies,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl ConnectionCounter {
    pub fn new(limit: usize, trusted: TrustedProxies) -> Arc<Self> {
        Arc::new(Self {
            limit,
            trusted,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// How many connections from `address` are open now.
    pub fn open_from(&self, address: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&address).copied().unwrap_or(0)
    }

    /// For `HttpServer::on_connect`: counts the new connection and leaves its slot in
    /// the connection's data, released when the connection closes.
    pub fn on_connect(self: &Arc<Self>, io: &dyn std::any::Any, data: &mut Extensions) {
        let Some(peer) = io
            .downcast_ref::<actix_web::rt::net::TcpStream>()
            .and_then(|stream| stream.peer_addr().ok())
        else {
            return;
        };
        let address = peer.ip();
        if self.trusted.trusts(address) {
            return;
        }
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(address).or_insert(0);
        *count += 1;
        let admitted = *count <= self.limit;
        drop(open);
        data.insert(ConnectionSlot {
            counter: self.clone(),
            address,
            admitted,
        });
    }
}

/// One connection's place in the count.
#[derive(Debug)]
pub struct ConnectionSlot {
    counter: Arc<ConnectionCounter>,
    address: IpAddr,
    admitted: bool,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.counter.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// How fast a request body must arrive.
#[derive(Debug, Clone, Copy)]
pub struct BodyPace {
    /// Longest wait for the next chunk.
    pub idle: Duration,
    /// Time before the average rate is enforced.
    pub grace: Duration,
    pub min_bytes_per_sec: u64,
}

impl Default for BodyPace {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(15),
            grace: Duration::from_secs(10),
            min_bytes_per_sec: 1024,
        }
    }
}

/// Refuses requests of connections over their address's limit, and puts every body
/// under [`BodyPace`].
pub async fn limit_connections_and_bodies(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let over_limit = req
        .conn_data::<ConnectionSlot>()
        .is_some_and(|slot| !slot.admitted);
    if over_limit {
        let mut response = ApiError::TooManyRequests {
            retry_after_secs: 10,
        }
        .error_response();
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        return Ok(req.into_response(response));
    }
    if has_body(&req) {
        let pace = req
            .app_data::<web::Data<BodyPace>>()
            .map_or_else(BodyPace::default, |pace| *pace.get_ref());
        let inner = req.take_payload();
        req.set_payload(Payload::from(
            Box::pin(PacedBody::new(inner, pace)) as Pin<Box<dyn Stream<Item = _>>>
        ));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|length| length > 0)
}

/// A body stream that fails with `TimedOut` once it falls behind its [`BodyPace`].
struct PacedBody {
    inner: Payload,
    pace: BodyPace,
    started: Instant,
    received: u64,
    deadline: Pin<Box<Sleep>>,
    finished: bool,
}

impl PacedBody {
    fn new(inner: Payload, pace: BodyPace) -> Self {
        let started = Instant::now();
        let mut body = Self {
            inner,
            pace,
            started,
            received: 0,
            deadline: Box::pin(tokio::time::sleep_until(started)),
            finished: false,
        };
        let next = body.next_deadline(started);
        body.deadline.as_mut().reset(next);
        body
    }

    /// The earlier of: the idle limit from now, and the moment the average rate would
    /// fall below the minimum without another byte.
    fn next_deadline(&self, now: Instant) -> Instant {
        let paced = self.started
            + self.pace.grace
            + Duration::from_secs_f64(self.received as f64 / self.pace.min_bytes_per_sec as f64);
        (now + self.pace.idle).min(paced)
    }
}

impl Stream for PacedBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received += chunk.len() as u64;
                let next = this.next_deadline(Instant::now());
                this.deadline.as_mut().reset(next);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => {
                this.finished = other.is_none();
                Poll::Ready(other)
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.finished = true;
                    Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the request body arrived too slowly",
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// Whether a body read failed because it fell behind its pace.
pub fn is_too_slow(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(e) if e.kind() == io::ErrorKind::TimedOut)
}

/// A body cut off for its pace is a 408; any other failure to read it, a malformed request.
impl From<actix_web::error::PayloadError> for ApiError {
    fn from(error: actix_web::error::PayloadError) -> Self {
        if is_too_slow(&error) {
            Self::RequestTimeout
        } else {
            tracing::info!(error = %error, "the request body could not be read");
            Self::malformed(
                "the request body could not be read; send it again",
                "อ่านข้อมูลที่ส่งมาไม่ได้ กรุณาส่งใหม่อีกครั้ง",
            )
        }
    }
}

/// The body's declared `Content-Length`, refused with 413 when it says more than `limit`
/// bytes: what every route that takes a body checks before reading it.
pub fn declared_body_within(
    req: &actix_web::HttpRequest,
    limit: usize,
) -> Result<Option<u64>, crate::error::ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(crate::error::ApiError::PayloadTooLarge { limit });
    }
    Ok(declared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn pace() -> BodyPace {
        BodyPace {
            idle: Duration::from_secs(15),
            grace: Duration::from_secs(10),
            min_bytes_per_sec: 1024,
        }
    }

    /// A body that sends `chunk` bytes every `every`, `count` times.
    fn trickle(chunk: usize, every: Duration, count: usize) -> Payload {
        let stream = futures_util::stream::unfold(0, move |sent| async move {
            if sent == count {
                return None;
            }
            tokio::time::sleep(every).await;
            Some((Ok(Bytes::from(vec![b'x'; chunk])), sent + 1))
        });
        Payload::from(Box::pin(stream) as Pin<Box<dyn Stream<Item = _>>>)
    }

    async fn read_all(body: Payload) -> (u64, Option<PayloadError>, Duration) {
        let started = Instant::now();
        let mut paced = PacedBody::new(body, pace());
        let mut total = 0;
        while let Some(chunk) = paced.next().await {
            match chunk {
                Ok(bytes) => total += bytes.len() as u64,
                Err(error) => return (total, Some(error), started.elapsed()),
            }
        }
        (total, None, started.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_is_cut_after_the_grace_period() {
        let (received, error, elapsed) = read_all(trickle(1, Duration::from_secs(4), 60_000)).await;
        assert!(error.as_ref().is_some_and(is_too_slow), "{error:?}");
        assert!(received <= 3, "{received}");
        assert!(elapsed <= Duration::from_secs(11), "{elapsed:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_body_is_cut_after_the_idle_limit() {
        // Fast enough on average, were it ever to come; but nothing for 20 s.
        let (received, error, elapsed) =
            read_all(trickle(100_000, Duration::from_secs(20), 2)).await;
        assert!(error.as_ref().is_some_and(is_too_slow), "{error:?}");
        assert_eq!(received, 0);
        assert!(elapsed >= Duration::from_secs(10) && elapsed <= Duration::from_secs(15));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_but_steady_upload_is_read_whole() {
        // A 10 MiB photo at 4 KiB/s: 42 minutes, and never cut.
        let (received, error, _) = read_all(trickle(4096, Duration::from_secs(1), 2560)).await;
        assert!(error.is_none(), "{error:?}");
        assert_eq!(received, 10 * 1024 * 1024);
    }
}

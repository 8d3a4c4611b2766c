//! Who is calling: the request id and client address, for logs and the audit log.

use actix_web::{HttpMessage, HttpRequest};

use crate::db::audit::ClientInfo;

/// The id of this request: the client's `X-Request-Id` when sane, else a new UUID.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub trait ClientInfoExt {
    fn client_info(&self) -> ClientInfo;
}

impl ClientInfoExt for HttpRequest {
    fn client_info(&self) -> ClientInfo {
        ClientInfo {
            // The socket's peer, not X-Forwarded-For: a header any client can forge.
            addr: self.peer_addr().map(|addr| addr.ip().to_string()),
            request_id: self.extensions().get::<RequestId>().map(|id| id.0.clone()),
        }
    }
}

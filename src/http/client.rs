//! Who is calling: the request id and client address, for logs, the audit log and the
//! login throttle.
//!
//! The client address is the socket's peer. Only when that peer is one of the operator's
//! trusted reverse proxies (`FIELDWEEK_TRUSTED_PROXIES`) is the address taken from
//! `Forwarded` or `X-Forwarded-For`: from anyone else those headers are forgeries waiting
//! to happen, and behind a proxy without them every client would share one address (and
//! one attacker could lock everyone out).

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;
use actix_web::{web, HttpMessage, HttpRequest};
use ipnet::IpNet;

use crate::db::audit::ClientInfo;

/// The id of this request: the client's `X-Request-Id` when sane, else a new UUID.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The reverse proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|network| network.contains(&address))
    }

    /// The client's address: the peer itself unless it is a trusted proxy; then, walking
    /// the forwarding chain from the nearest hop outwards, the first address that is not
    /// another trusted proxy. A hop that cannot be read stops the walk at the proxy that
    /// reported it.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        for hop in forwarded_chain(headers).into_iter().rev() {
            match hop {
                Some(address) => {
                    client = canonical(address);
                    if !self.trusts(client) {
                        break;
                    }
                }
                None => break,
            }
        }
        client
    }
}

/// An IPv4 address seen through an IPv6 socket (`::ffff:10.0.0.7`) is that IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// The client addresses proxies reported, farthest first: `Forwarded` (RFC 7239) when
/// present, else `X-Forwarded-For`. `None` marks a hop that is not an address
/// (`unknown`, an obfuscated name).
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|hop| hop.trim().to_owned())
            .filter(|hop| !hop.is_empty())
            .collect()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| parse_node(value.trim().trim_matches('"')))
            })
            .collect();
    }
    values("x-forwarded-for")
        .iter()
        .map(|hop| parse_node(hop))
        .collect()
}

/// `192.0.2.60`, `192.0.2.60:4711`, `[2001:db8::17]:4711`, `2001:db8::17`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(address) = node.parse() {
        return Some(address);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.rsplit_once(':')?.0.parse().ok()
}

pub trait ClientInfoExt {
    fn client_info(&self) -> ClientInfo;
}

impl ClientInfoExt for HttpRequest {
    fn client_info(&self) -> ClientInfo {
        let proxies = self.app_data::<web::Data<TrustedProxies>>();
        let addr = self.peer_addr().map(|peer| match proxies {
            Some(proxies) => proxies.client_address(peer.ip(), self.headers()),
            None => canonical(peer.ip()),
        });
        ClientInfo {
            addr: addr.map(|address| address.to_string()),
            request_id: self.extensions().get::<RequestId>().map(|id| id.0.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies(list.iter().map(|n| n.parse().unwrap()).collect())
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let none = TrustedProxies::default();
        let forged = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]);
        assert_eq!(
            none.client_address(ip("203.0.113.9"), &forged),
            ip("203.0.113.9")
        );
        let some = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            some.client_address(ip("203.0.113.9"), &forged),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "192.168.1.1/32"]);
        // The client forged the leftmost entry; the proxies appended the rest.
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 192.168.1.1")]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.2"), &chain),
            ip("198.51.100.7")
        );
        // Several header lines read as one list.
        let split = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("x-forwarded-for", "192.168.1.1"),
        ]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.2"), &split),
            ip("198.51.100.7")
        );
        // Forwarded wins over X-Forwarded-For, with ports, quotes and IPv6.
        let rfc = headers(&[
            (
                "forwarded",
                "for=\"[2001:db8::17]:4711\";proto=https, for=192.168.1.1:80",
            ),
            ("x-forwarded-for", "6.6.6.6"),
        ]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.2"), &rfc),
            ip("2001:db8::17")
        );
        // An unreadable hop: the proxy that reported it is the best we know.
        let hidden = headers(&[("forwarded", "for=unknown, for=192.168.1.1")]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.2"), &hidden),
            ip("192.168.1.1")
        );
        // No header at all: the proxy itself.
        assert_eq!(
            trusted.client_address(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2")
        );
        // An IPv4 proxy seen through an IPv6 socket is still trusted.
        assert_eq!(
            trusted.client_address(ip("::ffff:10.0.0.2"), &chain),
            ip("198.51.100.7")
        );
    }
}

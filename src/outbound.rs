//! Requests Tessera makes to URLs that others chose: a client's `jwks_uri` today, webhooks and
//! federation later. Such a URL must not become a way into the operator's network (server-side
//! request forgery) nor a way to tie up the server:
//!
//! - only public addresses are contacted: loopback, private, link-local, carrier-grade NAT,
//!   multicast, unspecified and other reserved ranges are refused, checked on the addresses
//!   DNS answered, by the resolver every new connection goes through (so a name cannot be
//!   re-pointed between check and use), and on IP literals before sending; networks in
//!   `outbound.allow_networks` are the explicit exception for development and tests;
//! - no redirects, no proxies from the environment;
//! - one deadline for the whole exchange, and the body is streamed and cut off past
//!   `outbound.max_response_bytes`, whatever `Content-Length` says;
//! - callers get a short reason for the log, never for the requester.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::OutboundSettings;

/// Why a fetch failed; for logs only.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("refused: {0}")]
    Refused(String),
    #[error("failed: {0}")]
    Failed(String),
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    #[error("no answer within the deadline")]
    Timeout,
}

/// Which addresses may be contacted.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allowed: Vec<IpNet>,
}

impl AddressPolicy {
    pub fn new(allowed: Vec<IpNet>) -> AddressPolicy {
        AddressPolicy { allowed }
    }

    pub fn permits(&self, ip: IpAddr) -> bool {
        self.allowed.iter().any(|net| net.contains(&ip)) || is_public(ip)
    }
}

/// Whether an address is on the public internet (not any special-purpose range).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0];
            if nat64 {
                let o = v6.octets();
                return is_public_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            }
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only 100::/64
                || s[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible ::/96
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network"
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 168)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224) // multicast, reserved, broadcast
}

/// Resolves names and drops every address the policy refuses; no address left is an error.
struct PolicyResolver {
    policy: Arc<AddressPolicy>,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let permitted: Vec<SocketAddr> = found.filter(|a| policy.permits(a.ip())).collect();
            if permitted.is_empty() {
                return Err(format!("{} has no public address", name.as_str()).into());
            }
            let addrs: Addrs = Box::new(permitted.into_iter());
            Ok(addrs)
        })
    }
}

/// The one client for outbound requests.
pub struct Outbound {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    max_bytes: usize,
    deadline: Duration,
}

impl Outbound {
    pub fn new(settings: &OutboundSettings) -> anyhow::Result<Outbound> {
        let policy = Arc::new(AddressPolicy::new(settings.allow_networks.clone()));
        let deadline = Duration::from_millis(settings.timeout_ms.max(1));
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(PolicyResolver {
                policy: policy.clone(),
            }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(deadline)
            .connect_timeout(deadline)
            .user_agent(concat!("tessera/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Outbound {
            client,
            policy,
            max_bytes: settings.max_response_bytes,
            deadline,
        })
    }

    /// GETs `url` and parses the answer as JSON, within the limits.
    pub async fn get_json(&self, url: &str) -> Result<serde_json::Value, FetchError> {
        let body = self.get(url).await?;
        serde_json::from_slice(&body).map_err(|_| FetchError::Failed("not JSON".into()))
    }

    /// GETs `url`: the body of a 2xx answer, at most `max_response_bytes` of it.
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        use tracing::Instrument as _;
        let parsed = self.checked(url)?;
        let span = outbound_span("GET", &parsed);
        tokio::time::timeout(self.deadline, self.read(parsed))
            .instrument(span)
            .await
            .map_err(|_| FetchError::Timeout)?
    }

    /// POSTs `body` (of `content_type`) with `headers` to `url` and returns the answer's
    /// status, whatever it is (the caller decides what counts as accepted). The answer's body
    /// is not kept.
    pub async fn post(
        &self,
        url: &str,
        content_type: &'static str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Result<u16, FetchError> {
        let parsed = self.checked(url)?;
        let parsed_for_span = parsed.clone();
        let mut request = self
            .client
            .post(parsed)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let exchange = async {
            let response = request.send().await.map_err(|e| {
                if e.is_timeout() {
                    FetchError::Timeout
                } else {
                    FetchError::Failed(describe(&e))
                }
            })?;
            Ok(response.status().as_u16())
        };
        use tracing::Instrument as _;
        let span = outbound_span("POST", &parsed_for_span);
        tokio::time::timeout(self.deadline, exchange)
            .instrument(span)
            .await
            .map_err(|_| FetchError::Timeout)?
    }

    /// Parses `url` and refuses what may never be contacted: other schemes, and IP literals
    /// outside the policy (names are checked by the resolver on every connection).
    fn checked(&self, url: &str) -> Result<url::Url, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError::Refused("not a URL".into()))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(FetchError::Refused("only http(s)".into()));
        }
        // IP literals never reach the resolver: check them here.
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => None,
            None => return Err(FetchError::Refused("no host".into())),
        };
        if literal.is_some_and(|ip| !self.policy.permits(ip)) {
            return Err(FetchError::Refused("not a public address".into()));
        }
        Ok(parsed)
    }

    async fn read(&self, url: url::Url) -> Result<Vec<u8>, FetchError> {
        let mut response = self.client.get(url).send().await.map_err(|e| {
            if e.is_timeout() {
                FetchError::Timeout
            } else {
                FetchError::Failed(describe(&e))
            }
        })?;
        if !response.status().is_success() {
            return Err(FetchError::Failed(format!(
                "answered {}",
                response.status()
            )));
        }
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes as u64)
        {
            return Err(FetchError::TooLarge(self.max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| FetchError::Failed(describe(&e)))?
        {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(FetchError::TooLarge(self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The span of one outbound request (a trace names the host, never the path or query, which
/// may hold tokens).
fn outbound_span(method: &'static str, url: &url::Url) -> tracing::Span {
    tracing::info_span!(
        "outbound",
        otel.name = %format!("{method} {}", url.host_str().unwrap_or_default()),
        otel.kind = "client",
        http.request.method = method,
        server.address = url.host_str().unwrap_or_default(),
    )
}

/// reqwest's message with its source chain (for the log).
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(ip: &str) -> bool {
        is_public(ip.parse().unwrap())
    }

    #[test]
    fn special_purpose_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!public(ip), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(public(ip), "{ip}");
        }
    }

    #[test]
    fn allowed_networks_are_the_exception() {
        let policy = AddressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
        assert!(policy.permits("127.0.0.1".parse().unwrap()));
        assert!(!policy.permits("10.0.0.1".parse().unwrap()));
        assert!(policy.permits("8.8.8.8".parse().unwrap()));
    }
}

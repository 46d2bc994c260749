//! Known idle and maximum-lifetime timeouts of proxies and load balancers (data).
//!
//! In: the length of a quiet spell before a 1006 (or of the whole session). Out: the
//! catalog entries whose default it matches ([`matching`]), within [`TOLERANCE`]. Each
//! entry says what it is, its default and where that default is documented; an entry with
//! no default of its own (off unless configured) is listed and never matched. A match is
//! a lead, not a verdict: the report says "matches".

use std::fmt::{self, Display, Formatter};

/// What a timeout bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// How long a connection may carry nothing (either way, or from one side).
    Idle,
    /// How long a connection may last at all, busy or not.
    Lifetime,
}

/// One known timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout {
    /// A stable name: "nginx", "aws-nlb", …
    pub id: &'static str,
    /// Whose it is: "nginx", "an AWS Network Load Balancer".
    pub who: &'static str,
    /// The setting that changes it.
    pub setting: &'static str,
    /// Idle or lifetime.
    pub kind: Kind,
    /// Its default in seconds; none when it is off unless configured.
    pub default_s: Option<u32>,
    /// Where the default is documented (document and address).
    pub source: &'static str,
}

/// How far a spell may be from a default and still match it: 5 % either way (a timer fires
/// a little after its time, and the spell is measured from the last frame, not from the
/// last byte the proxy saw).
pub const TOLERANCE: f64 = 0.05;

/// How late a timer may fire and still be read as a whole number of seconds (a spell's
/// length as a configured timeout, `report::words::proxy::whole_seconds`), beyond 2 %:
/// on a loaded host the process that owns the timer runs it when its event loop or
/// scheduler gets to it (a 2 s timeout measured 2.162 s). Timers fire late, never early, so
/// this widens only the side above the length.
pub const LATE_S: f64 = 0.2;

/// Every known timeout, by who has it.
pub static TIMEOUTS: &[Timeout] = &[
    Timeout {
        id: "nginx",
        who: "nginx",
        setting: "proxy_read_timeout / proxy_send_timeout",
        kind: Kind::Idle,
        default_s: Some(60),
        source: "nginx, ngx_http_proxy_module, and \"WebSocket proxying\" (https://nginx.org/en/docs/http/websocket.html)",
    },
    Timeout {
        id: "ingress-nginx",
        who: "the Kubernetes ingress-nginx controller",
        setting: "nginx.ingress.kubernetes.io/proxy-read-timeout and proxy-send-timeout",
        kind: Kind::Idle,
        default_s: Some(60),
        source: "ingress-nginx, ConfigMap and annotations reference (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/configmap/)",
    },
    Timeout {
        id: "apache",
        who: "Apache httpd",
        setting: "Timeout / ProxyTimeout (ProxyTimeout defaults to Timeout; they bound mod_proxy's tunnels in 2.4.47 and later)",
        kind: Kind::Idle,
        default_s: Some(60),
        source: "Apache httpd 2.4, core Timeout and mod_proxy ProxyTimeout (https://httpd.apache.org/docs/2.4/mod/core.html#timeout, https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxytimeout)",
    },
    Timeout {
        id: "apache-wstunnel",
        who: "Apache httpd",
        setting: "ProxyWebsocketIdleTimeout (mod_proxy_wstunnel of httpd trunk/2.5; not in 2.4.71)",
        kind: Kind::Idle,
        default_s: None,
        source: "Apache httpd trunk, mod_proxy_wstunnel, ProxyWebsocketIdleTimeout (https://httpd.apache.org/docs/trunk/mod/mod_proxy_wstunnel.html#proxywebsocketidletimeout): no timeout unless set",
    },
    Timeout {
        id: "aws-alb",
        who: "an AWS Application Load Balancer",
        setting: "idle_timeout.timeout_seconds",
        kind: Kind::Idle,
        default_s: Some(60),
        source: "Elastic Load Balancing, Application Load Balancers, \"Connection idle timeout\" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#connection-idle-timeout)",
    },
    Timeout {
        id: "heroku",
        who: "the Heroku router",
        setting: "none (a rolling 55 s window; any byte either way restarts it)",
        kind: Kind::Idle,
        default_s: Some(55),
        source: "Heroku Dev Center, \"Request Timeout\", long-polling and streaming responses (https://devcenter.heroku.com/articles/request-timeout#long-polling-and-streaming-responses), and \"WebSockets on Heroku\", timeouts (https://devcenter.heroku.com/articles/websockets#timeouts)",
    },
    Timeout {
        id: "cloudflare",
        who: "Cloudflare",
        setting: "none (Enterprise plans can raise it)",
        kind: Kind::Idle,
        default_s: Some(100),
        source: "Cloudflare, \"Connection limits\" (https://developers.cloudflare.com/fundamentals/reference/connection-limits/)",
    },
    Timeout {
        id: "traefik",
        who: "Traefik",
        setting: "entryPoints.<name>.transport.respondingTimeouts.idleTimeout",
        kind: Kind::Idle,
        default_s: Some(180),
        source: "Traefik, EntryPoints, respondingTimeouts (https://doc.traefik.io/traefik/routing/entrypoints/); the 180 s default since traefik/traefik pull request 1340",
    },
    Timeout {
        id: "azure-lb",
        who: "an Azure Load Balancer",
        setting: "idle timeout (IdleTimeoutInMinutes, per rule; flows are dropped silently unless TCP reset is enabled)",
        kind: Kind::Idle,
        default_s: Some(240),
        source: "Microsoft Learn, \"Configure TCP reset and idle timeout for Azure Load Balancer\" (https://learn.microsoft.com/azure/load-balancer/load-balancer-tcp-idle-timeout)",
    },
    Timeout {
        id: "envoy-stream-idle",
        who: "Envoy",
        setting: "stream_idle_timeout (HTTP connection manager; a route's idle_timeout overrides it)",
        kind: Kind::Idle,
        default_s: Some(300),
        source: "Envoy, \"How do I configure timeouts?\" (https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts)",
    },
    Timeout {
        id: "aws-nlb",
        who: "an AWS Network Load Balancer",
        setting: "tcp.idle_timeout.seconds (fixed for TLS listeners)",
        kind: Kind::Idle,
        default_s: Some(350),
        source: "Elastic Load Balancing, \"Update the TCP idle timeout for your Network Load Balancer listener\" (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html)",
    },
    Timeout {
        id: "aws-api-gateway-idle",
        who: "AWS API Gateway",
        setting: "none (WebSocket APIs; a quota that cannot be raised)",
        kind: Kind::Idle,
        default_s: Some(600),
        source: "Amazon API Gateway, \"Quotas for configuring and running a WebSocket API\", Idle Connection Timeout (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html)",
    },
    Timeout {
        id: "envoy-idle",
        who: "Envoy",
        setting: "idle_timeout (common_http_protocol_options); it fires only on a connection with no active stream, so not on an open WebSocket",
        kind: Kind::Idle,
        default_s: None,
        source: "Envoy, \"How do I configure timeouts?\" (1 hour by default, for connections with no active stream)",
    },
    Timeout {
        id: "nghttpx-backend-read",
        who: "nghttpx",
        setting: "--backend-read-timeout (backend-read-timeout in nghttpx.conf; nghttpx(1): \"Specify read timeout for backend connection\": a WebSocket passed to an HTTP/1.1 backend rides that connection, so it ends when the backend sent nothing for that long)",
        kind: Kind::Idle,
        default_s: Some(60),
        source: "nghttpx(1) of nghttp2 1.52.0, --backend-read-timeout, \"Default: 1m\" (https://nghttp2.org/documentation/nghttpx.1.html)",
    },
    Timeout {
        id: "caddy",
        who: "Caddy",
        setting: "reverse_proxy stream_timeout (off unless set; Caddy 2.6 has none)",
        kind: Kind::Idle,
        default_s: None,
        source: "Caddy, reverse_proxy directive, streaming (https://caddyserver.com/docs/caddyfile/directives/reverse_proxy#streaming)",
    },
    Timeout {
        id: "squid-read",
        who: "Squid",
        setting: "read_timeout (Squid's configuration reference: \"Applied on peer server connections. After each successful read(), the timeout will be extended by this amount. If no data is read again after this amount of time, the request is aborted\": a CONNECT tunnel's connection to its target is one; its timer runs once a second, so the spell is up to a second longer, as Squid 5.7 showed, which the reference does not say)",
        kind: Kind::Idle,
        default_s: Some(900),
        source: "Squid configuration reference, read_timeout, \"Default: read_timeout 15 minutes\" (squid.conf.documented of Squid 5.7; https://www.squid-cache.org/Doc/config/read_timeout/)",
    },
    Timeout {
        id: "tinyproxy",
        who: "tinyproxy",
        setting: "Timeout (tinyproxy.conf(5): \"The maximum number of seconds of inactivity a connection is allowed to have before it is closed by Tinyproxy\": any connection, a CONNECT tunnel's too)",
        kind: Kind::Idle,
        default_s: Some(600),
        source: "tinyproxy.conf(5) of tinyproxy 1.11.1, Timeout (https://tinyproxy.github.io/), and the tinyproxy.conf it ships: \"Timeout 600\"",
    },
    Timeout {
        id: "gcp-backend-service",
        who: "a Google Cloud external Application Load Balancer",
        setting: "backend service timeout (timeoutSec; for a WebSocket the longest it may stay open, idle or not)",
        kind: Kind::Lifetime,
        default_s: Some(30),
        source: "Google Cloud, \"Backend service settings\", backend service timeout (https://cloud.google.com/load-balancing/docs/backend-service#timeout-setting)",
    },
    Timeout {
        id: "aws-api-gateway-lifetime",
        who: "AWS API Gateway",
        setting: "none (WebSocket APIs; a quota that cannot be raised)",
        kind: Kind::Lifetime,
        default_s: Some(7200),
        source: "Amazon API Gateway, \"Quotas for configuring and running a WebSocket API\", Connection duration for WebSocket API (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html)",
    },
    Timeout {
        id: "lighttpd",
        who: "lighttpd",
        setting: "server.max-read-idle (mod_wstunnel ends the session with an empty close frame; a pong to wstunnel.ping-interval's pings counts as reading)",
        kind: Kind::Idle,
        default_s: Some(60),
        source: "lighttpd, server.max-read-idle (https://redmine.lighttpd.net/projects/lighttpd/wiki/Server_max-read-idleDetails) and mod_wstunnel (https://redmine.lighttpd.net/projects/lighttpd/wiki/Docs_ModWSTunnel)",
    },
    Timeout {
        id: "varnish-pipe",
        who: "Varnish",
        setting: "pipe_timeout (a WebSocket passed with return (pipe); nothing either way for that long ends both sides)",
        kind: Kind::Idle,
        default_s: Some(60),
        source: "Varnish Cache 7.1, varnishd parameters, pipe_timeout (https://varnish-cache.org/docs/7.1/reference/varnishd.html#pipe-timeout): 60 s; varnishd -x parameter says the same",
    },
    Timeout {
        id: "squid-client-lifetime",
        who: "Squid",
        setting: "client_lifetime (the longest a client may stay connected to it, a CONNECT tunnel included)",
        kind: Kind::Lifetime,
        default_s: Some(86_400),
        source: "Squid configuration reference, client_lifetime, \"Default: client_lifetime 1 day\" (squid.conf.documented of Squid 5.7; https://www.squid-cache.org/Doc/config/client_lifetime/)",
    },
];

/// The timeouts of `kind` whose default `secs` matches, within [`TOLERANCE`], in catalog
/// order (the least default, 30 s, allows 1.5 s: more than [`LATE_S`]).
pub fn matching(kind: Kind, secs: f64) -> Vec<&'static Timeout> {
    TIMEOUTS
        .iter()
        .filter(|t| t.kind == kind)
        .filter(|t| {
            t.default_s.is_some_and(|d| {
                let d = f64::from(d);
                (secs - d).abs() <= d * TOLERANCE
            })
        })
        .collect()
}

/// One timeout by its id.
pub fn by_id(id: &str) -> Option<&'static Timeout> {
    TIMEOUTS.iter().find(|t| t.id == id)
}

impl Timeout {
    /// The setting's name, without what the catalog says of it: "Timeout", "read_timeout",
    /// "idle timeout" for one that cannot be set.
    pub fn setting_name(&self) -> &'static str {
        let setting = self.setting.split(" (").next().unwrap_or(self.setting);
        match (setting, self.kind) {
            ("none", Kind::Idle) => "idle timeout",
            ("none", Kind::Lifetime) => "longest connection",
            (s, _) => s,
        }
    }

    /// Its default as said: "10 min", "60 s"; none when it is off unless set.
    pub fn default_text(&self) -> Option<String> {
        self.default_s.map(|d| Span(d).to_string())
    }
}

/// "nginx's proxy_read_timeout / proxy_send_timeout (60 s)", "the Heroku router's idle
/// timeout (55 s)".
impl Display for Timeout {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}'s {}", self.who, self.setting_name())?;
        match self.default_s {
            Some(d) => write!(f, " ({})", Span(d)),
            None => Ok(()),
        }
    }
}

/// Seconds as a timeout's default is said: "60 s", "4 min", "2 h".
struct Span(u32);

impl Display for Span {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            s if s >= 3600 && s % 3600 == 0 => write!(f, "{} h", s / 3600),
            s if s >= 120 && s % 60 == 0 => write!(f, "{} min", s / 60),
            s => write!(f, "{s} s"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(kind: Kind, secs: f64) -> Vec<&'static str> {
        matching(kind, secs).iter().map(|t| t.id).collect()
    }

    #[test]
    fn a_spell_matches_the_defaults_within_five_percent() {
        assert_eq!(
            ids(Kind::Idle, 60.028),
            [
                "nginx",
                "ingress-nginx",
                "apache",
                "aws-alb",
                "nghttpx-backend-read",
                "lighttpd",
                "varnish-pipe"
            ]
        );
        // 5 % of 60 s either way, and no further.
        assert_eq!(ids(Kind::Idle, 58.0).len(), 7);
        assert_eq!(ids(Kind::Idle, 63.0).len(), 7);
        assert!(!ids(Kind::Idle, 63.2).contains(&"nginx"));
        assert!(!ids(Kind::Idle, 56.9).contains(&"nginx"));
        // Heroku's 55 s window and nginx's 60 s overlap from 57 s to 57.75 s: both match.
        assert_eq!(ids(Kind::Idle, 55.3), ["heroku"]);
        assert_eq!(
            ids(Kind::Idle, 57.5),
            [
                "nginx",
                "ingress-nginx",
                "apache",
                "aws-alb",
                "heroku",
                "nghttpx-backend-read",
                "lighttpd",
                "varnish-pipe"
            ]
        );
        assert!(!ids(Kind::Idle, 57.8).contains(&"heroku"));
        assert_eq!(ids(Kind::Idle, 100.4), ["cloudflare"]);
        assert_eq!(ids(Kind::Idle, 179.0), ["traefik"]);
        assert_eq!(ids(Kind::Idle, 240.5), ["azure-lb"]);
        assert_eq!(ids(Kind::Idle, 300.2), ["envoy-stream-idle"]);
        assert_eq!(ids(Kind::Idle, 350.1), ["aws-nlb"]);
        assert_eq!(
            ids(Kind::Idle, 601.0),
            ["aws-api-gateway-idle", "tinyproxy"]
        );
        assert_eq!(ids(Kind::Idle, 900.8), ["squid-read"]);
        assert_eq!(ids(Kind::Lifetime, 86_400.5), ["squid-client-lifetime"]);
        // Lifetimes are matched against a session's length, not its quiet spell.
        assert_eq!(ids(Kind::Lifetime, 30.01), ["gcp-backend-service"]);
        assert_eq!(ids(Kind::Lifetime, 7200.3), ["aws-api-gateway-lifetime"]);
        assert!(ids(Kind::Idle, 30.0).is_empty());
        assert!(ids(Kind::Lifetime, 60.0).is_empty());
    }

    #[test]
    fn a_spell_matching_nothing_names_nothing() {
        for secs in [
            0.0, 0.7, 2.0, 12.0, 45.0, 80.0, 130.0, 450.0, 3600.0, 86_400.0,
        ] {
            assert!(ids(Kind::Idle, secs).is_empty(), "{secs}");
        }
        for secs in [f64::NAN, f64::INFINITY, -60.0] {
            assert!(ids(Kind::Idle, secs).is_empty(), "{secs}");
            assert!(ids(Kind::Lifetime, secs).is_empty(), "{secs}");
        }
        // Entries without a default of their own are listed, never matched.
        for t in TIMEOUTS.iter().filter(|t| t.default_s.is_none()) {
            assert!(ids(t.kind, 3600.0).iter().all(|id| *id != t.id));
        }
    }

    #[test]
    fn every_entry_says_where_its_default_is_documented() {
        let mut seen = std::collections::HashSet::new();
        for t in TIMEOUTS {
            assert!(seen.insert(t.id), "{} twice", t.id);
            assert!(t.source.len() > 20, "{}", t.id);
            assert!(!t.setting.is_empty() && !t.who.is_empty());
            assert_eq!(by_id(t.id), Some(t));
            // The vendor's documentation is the source (issue 105 item 6), never one of
            // wsclose's own recordings.
            for text in [t.setting, t.source] {
                assert!(!text.contains("fixtures/"), "{}: {text}", t.id);
            }
        }
        assert_eq!(
            by_id("nginx").unwrap().to_string(),
            "nginx's proxy_read_timeout / proxy_send_timeout (60 s)"
        );
        assert_eq!(
            by_id("azure-lb").unwrap().to_string(),
            "an Azure Load Balancer's idle timeout (4 min)"
        );
        assert_eq!(
            by_id("aws-api-gateway-lifetime").unwrap().to_string(),
            "AWS API Gateway's longest connection (2 h)"
        );
    }
}

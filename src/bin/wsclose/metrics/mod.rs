//! `--metrics ADDR:PORT` (`wsclose live`, `wsclose analyze --follow`): the closes, incidents
//! forming, packets, losses, memory and lag of the capture being read, served at `/metrics`
//! for a Prometheus to scrape (docs/monitoring.md).
//!
//! In: each session's report as its connection finishes (closes by server, status, closing
//! side and first cause), each incident forming (`incident::Watch`: counted once when first
//! said, by server and how, and by server, kind and code, whatever its count then), the library's
//! [`Tally`] of packets, bytes, open connections, refusals and memory, a live capture's
//! losses. Out: the Prometheus text format (0.0.4) or OpenMetrics, as the scraper's
//! `Accept` asks (the Prometheus project's own client, `prometheus-client`, encodes both),
//! served by [`http`] on a fixed, small number of threads.
//!
//! Labels are bounded ([`labels`]): `server` names at most `--metrics-servers` servers (the
//! first seen; every later one is `other`: a counter's series cannot move to `other` once it
//! exists), pseudonymised with `--redact` as the report's hosts are (the same keyed
//! `host-…:PORT`); a close code that is not registered is itself for the first 16 seen, then
//! its block (`4000-4999`); the label sets take at most a 256th of `--max-memory`
//! (`wsclose::metrics_room`, taken from the flows' part), past which their server, status
//! and cause are `other`; what was folded is counted. No client address, path or query is
//! ever a label.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use wsclose::incident::Watch;
use wsclose::report::redact::KeySlot;
use wsclose::report::ConnectionReport;
use wsclose::Tally;

pub(crate) mod http;
mod labels;

use labels::{Labels, OTHER};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CloseLabels {
    server: String,
    status: String,
    side: &'static str,
    cause: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IncidentLabels {
    server: String,
    how: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    server: String,
    kind: &'static str,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DropLabels {
    by: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FoldLabels {
    label: &'static str,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// The metrics of one run, shared by the reading thread and the server's.
pub(crate) struct Metrics {
    registry: Registry,
    closes: Family<CloseLabels, Counter>,
    forming_total: Family<IncidentLabels, Counter>,
    incidents: Family<KindLabels, Counter>,
    forming_now: Family<IncidentLabels, Gauge>,
    open: Gauge,
    packets: Counter,
    bytes: Counter,
    refused: Counter,
    ring_removed: Counter,
    dropped: Family<DropLabels, Counter>,
    resident: Gauge,
    charged: Gauge,
    lag: FloatGauge,
    last_packet: FloatGauge,
    folded: Family<FoldLabels, Counter>,
    label_bytes: Gauge,
    labels: Mutex<Labels>,
    /// What the label sets may take of `--max-memory` (`wsclose::metrics_room`): the
    /// analysis keeps its flows under the rest.
    pub room: usize,
    /// The capture's counters, kept by the library as it reads.
    pub tally: Arc<Tally>,
    /// The incidents forming (the same watch that says them on the terminal).
    pub watch: Arc<Mutex<Watch>>,
    /// One scrape at a time sets the gauges read at scrape time and encodes.
    scrape: Mutex<()>,
}

/// `# HELP` of the closes: docs/causes.md's words for a status and a cause.
const CLOSES_HELP: &str = "WebSocket sessions that ended, by server, status (the first valid close frame's code; \
     1005 when it had none; 1006 when TCP or the HTTP/2 stream ended before any close frame; evicted, refused, \
     unknown as the report says), the side that closed first and the kind of the first cause \
     (status.causes[0].kind: `wsclose explain KIND`, docs/causes.md)";

impl Metrics {
    /// Metrics for a run whose `--max-memory` is `max_memory`, naming at most `servers`
    /// servers, pseudonymised when `redact`.
    pub(crate) fn new(max_memory: usize, servers: usize, redact: Option<KeySlot>) -> Metrics {
        let mut registry = Registry::with_prefix("wsclose");
        let m = Metrics {
            registry: Registry::default(),
            closes: Family::default(),
            forming_total: Family::default(),
            incidents: Family::default(),
            forming_now: Family::default(),
            open: Gauge::default(),
            packets: Counter::default(),
            bytes: Counter::default(),
            refused: Counter::default(),
            ring_removed: Counter::default(),
            dropped: Family::default(),
            resident: Gauge::default(),
            charged: Gauge::default(),
            lag: FloatGauge::default(),
            last_packet: FloatGauge::default(),
            folded: Family::default(),
            label_bytes: Gauge::default(),
            labels: Mutex::new(Labels::new(
                servers,
                redact,
                wsclose::metrics_room(max_memory),
            )),
            room: wsclose::metrics_room(max_memory),
            tally: Arc::new(Tally::default()),
            watch: Arc::new(Mutex::new(Watch::default())),
            scrape: Mutex::new(()),
        };
        registry.register("closes", CLOSES_HELP, m.closes.clone());
        registry.register(
            "incidents_forming",
            format!(
                "Incidents forming: a server ended {} or more sessions the same way (FIN or RST, \
                 or one close code) close together, as the report's detection names an \
                 incident, each counted once when first said, by server and how; the report \
                 at the end names the incident (`wsclose explain server-restart`, docs/causes.md)",
                wsclose::incident::MIN_MEMBERS
            ),
            m.forming_total.clone(),
        );
        registry.register(
            "incidents",
            "Incidents said as they formed, each counted once when first said, by server, kind \
             (as the report's detection names it on what was read then: a server-stop may be a \
             server-restart once its clients come back, as the report at the end says; \
             `wsclose explain KIND`) and code (the close code that ended them, folded as \
             the closes' status is; 1005: an empty close frame; none: FIN or RST); alert on \
             its increase()",
            m.incidents.clone(),
        );
        registry.register(
            "incident_open_sessions",
            "The sessions each incident forming now has ended so far, while it lasts (its \
             endings no further apart than its gap), by server and how",
            m.forming_now.clone(),
        );
        registry.register(
            "websocket_connections_open",
            "WebSocket connections open now: a handshake or frames read, no end yet (those \
             frozen to disk while quiet included)",
            m.open.clone(),
        );
        registry.register(
            "packets_read",
            "Packets handed to the analysis",
            m.packets.clone(),
        );
        registry.register(
            "bytes_read",
            "Captured bytes of the packets handed to the analysis",
            m.bytes.clone(),
        );
        registry.register(
            "refused_attempts",
            "Connection attempts the server refused in TCP: the client's SYN answered by an \
             RST or by nothing (the report's incidents count them as refused)",
            m.refused.clone(),
        );
        registry.register(
            "ring_files_removed",
            "Files of the capture ring followed (analyze --follow DIR) that the ring removed \
             before they were read: their packets and closes are missing",
            m.ring_removed.clone(),
        );
        registry.register(
            "packets_dropped",
            "Packets lost by a live capture, by where: kernel (its capture ring was full; \
             --buffer-size), interface (before capture), queue (the analysis fell behind; \
             saved, not analysed)",
            m.dropped.clone(),
        );
        registry.register(
            "memory_resident_bytes",
            "The process's resident memory",
            m.resident.clone(),
        );
        registry.register(
            "memory_charged_bytes",
            "The memory the analysis holds by its own estimate, what --max-memory is kept against \
             (the metrics' label sets included)",
            m.charged.clone(),
        );
        registry.register(
            "memory_metrics_bytes",
            "The memory the metrics' label sets hold by their own estimate (within \
             memory_charged_bytes): at most a 256th of --max-memory, past which a new label set's \
             server, status and cause are `other`",
            m.label_bytes.clone(),
        );
        registry.register(
            "labels_folded",
            "Closes and incidents counted under a folded label value, by label: server (past \
             --metrics-servers: `other`), status (an unregistered close code past the first 16 \
             seen: its block, as `4000-4999`; an incident's `how` likewise), series (past the \
             label sets' room in --max-memory: server, status and cause `other`)",
            m.folded.clone(),
        );
        let limit = Gauge::<i64>::default();
        limit.set(i64::try_from(max_memory).unwrap_or(i64::MAX));
        registry.register(
            "memory_limit_bytes",
            "--max-memory: what the analysis keeps its memory under",
            limit,
        );
        registry.register(
            "analysis_lag_seconds",
            "How far the analysis was behind the wire: the wall clock less the capture time of \
             the packet being analysed, measured every 1024 packets",
            m.lag.clone(),
        );
        registry.register(
            "last_packet_timestamp_seconds",
            "The capture time of the latest packet analysed (Unix time)",
            m.last_packet.clone(),
        );
        Metrics { registry, ..m }
    }

    /// Counts the close of one session, from its report.
    pub(crate) fn report(&self, r: &ConnectionReport) {
        use wsclose::report::StatusKey;
        let status = r.status_kind();
        if status == StatusKey::Open {
            return;
        }
        let side = match wsclose::report::facts::closed_by(r) {
            wsclose::report::facts::ClosedBy::Frame(role)
            | wsclose::report::facts::ClosedBy::Stream { by: role, .. }
            | wsclose::report::facts::ClosedBy::Tcp { by: role, .. } => role.as_str(),
            wsclose::report::facts::ClosedBy::Unknown => "unknown",
        };
        let cause = r.status.causes.first().map_or("none", |c| c.kind());
        let mut labels = self.labels();
        let (server, server_folded) = match &r.server {
            wsclose::report::Host::Addr(e) => labels.servers.label(*e),
            // Never before the report is redacted, which happens after the capture.
            wsclose::report::Host::Named(_) => (OTHER.into(), true),
        };
        let (status, status_folded) = labels.status(status);
        let mut set = CloseLabels {
            server,
            status,
            side,
            cause,
        };
        let mut past_room = false;
        if self.closes.get(&set).is_none() && !labels.admit(set.server.len() + set.status.len()) {
            past_room = true;
            set = CloseLabels {
                server: OTHER.into(),
                status: OTHER.into(),
                side,
                cause: OTHER,
            };
            if self.closes.get(&set).is_none() {
                labels.charge(2 * OTHER.len());
            }
        }
        drop(labels);
        self.closes.get_or_create(&set).inc();
        self.fold(server_folded, status_folded, past_room);
    }

    /// Counts what one close or incident had folded.
    fn fold(&self, server: bool, status: bool, series: bool) {
        for (label, folded) in [("server", server), ("status", status), ("series", series)] {
            if folded {
                self.folded.get_or_create(&FoldLabels { label }).inc();
            }
        }
    }

    /// The label values, locked.
    fn labels(&self) -> std::sync::MutexGuard<'_, Labels> {
        self.labels.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts an incident that began forming (said first, at whatever count).
    pub(crate) fn forming(&self, f: &wsclose::incident::Forming) {
        if !f.new {
            return;
        }
        let how = if f.how == "FIN" || f.how == "RST" {
            "FIN or RST"
        } else {
            f.how.as_str()
        };
        let mut labels = self.labels();
        let (server, server_folded) = labels.servers.label(f.server);
        let (how, how_folded) = labels.how(how);
        let mut set = IncidentLabels { server, how };
        let mut past_room = false;
        if self.forming_total.get(&set).is_none() && !labels.admit(set.server.len() + set.how.len())
        {
            past_room = true;
            set = IncidentLabels {
                server: OTHER.into(),
                how: OTHER.into(),
            };
            if self.forming_total.get(&set).is_none() {
                labels.charge(2 * OTHER.len());
            }
        }
        // By kind and code: the same server label, the code folded as a status is.
        let (code, code_folded) = match f.code {
            Some(Some(c)) => labels.code(c),
            Some(None) => ("1005".into(), false),
            None => ("none".into(), false),
        };
        let mut kind_set = KindLabels {
            server: set.server.clone(),
            kind: f.kind.name(),
            code,
        };
        let mut kind_past_room = false;
        if self.incidents.get(&kind_set).is_none()
            && !labels.admit(kind_set.server.len() + kind_set.code.len())
        {
            kind_past_room = true;
            kind_set = KindLabels {
                server: OTHER.into(),
                kind: kind_set.kind,
                code: OTHER.into(),
            };
            if self.incidents.get(&kind_set).is_none() {
                labels.charge(2 * OTHER.len());
            }
        }
        drop(labels);
        self.forming_total.get_or_create(&set).inc();
        self.incidents.get_or_create(&kind_set).inc();
        // One incident counted once per label folded, in either family.
        self.fold(
            server_folded,
            how_folded || code_folded,
            past_room || kind_past_room,
        );
    }

    /// A live capture's losses so far.
    #[cfg_attr(not(feature = "live"), allow(dead_code))]
    pub(crate) fn drops(&self, d: &wsclose::LiveDrops) {
        for (by, n) in [
            ("kernel", d.kernel),
            ("interface", d.interface),
            ("queue", d.queue),
        ] {
            self.dropped
                .get_or_create(&DropLabels { by })
                .inner()
                .store(n, Ordering::Relaxed);
        }
    }

    /// The metrics now, in OpenMetrics (`open_metrics`) or the Prometheus text format.
    pub(crate) fn encode(&self, open_metrics: bool) -> String {
        let _one = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
        self.update();
        let mut out = String::with_capacity(8 << 10);
        let encoded = if open_metrics {
            prometheus_client::encoding::text::encode(&mut out, &self.registry)
        } else {
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
        };
        if encoded.is_err() {
            out.clear();
        }
        out
    }

    /// The values read at scrape time: the tally's, the open incidents', the resident
    /// memory.
    fn update(&self) {
        let t = &self.tally;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        self.packets
            .inner()
            .store(load(&t.packets), Ordering::Relaxed);
        self.bytes.inner().store(load(&t.bytes), Ordering::Relaxed);
        self.refused
            .inner()
            .store(load(&t.refused), Ordering::Relaxed);
        self.ring_removed
            .inner()
            .store(load(&t.ring_files_removed), Ordering::Relaxed);
        self.open
            .set(i64::try_from(t.websockets_open()).unwrap_or(i64::MAX));
        let label_bytes = self.labels().held() as u64;
        self.label_bytes
            .set(i64::try_from(label_bytes).unwrap_or(i64::MAX));
        self.charged.set(
            i64::try_from(load(&t.charged_bytes).saturating_add(label_bytes)).unwrap_or(i64::MAX),
        );
        self.lag.set(t.lag_ns.load(Ordering::Relaxed) as f64 / 1e9);
        let last = t.last_packet_ns.load(Ordering::Relaxed);
        self.last_packet.set(last as f64 / 1e9);
        self.resident
            .set(i64::try_from(resident_bytes()).unwrap_or(i64::MAX));
        // The incidents forming at the latest capture time: a gauge each, gone once over.
        let open = self
            .watch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .forming(wsclose::Timestamp(last));
        self.forming_now.clear();
        // A gauge each (at most `incident::Watch`'s groups, made again at each scrape): its
        // labels folded as the counters' are, not charged.
        for o in open {
            let labels = {
                let mut l = self.labels();
                IncidentLabels {
                    server: l.servers.label(o.server).0,
                    how: l.how(&o.how).0,
                }
            };
            let g = self.forming_now.get_or_create(&labels);
            g.set(g.get() + i64::try_from(o.members).unwrap_or(i64::MAX));
        }
    }
}

/// The process's resident memory (Linux: /proc/self/statm's second field, in pages); 0
/// where it cannot be read.
fn resident_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf reads a constant of the system.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page).unwrap_or(4096)
}

/// Starts serving `metrics` when `--metrics` asks: bound before the capture starts (a port
/// in use is a usage error, exit 2), said on standard error.
pub(crate) fn serve(
    args: &crate::cli::MetricsArgs,
    max_memory: usize,
    redact: Option<KeySlot>,
) -> Result<Option<Arc<Metrics>>, wsclose::error::Error> {
    let Some(addr) = args.metrics else {
        return Ok(None);
    };
    let metrics = Arc::new(Metrics::new(max_memory, args.metrics_servers, redact));
    let bound = http::start(addr, Arc::clone(&metrics))?;
    note!(
        "wsclose: serving metrics at http://{bound}/metrics ({})",
        if bound.ip().is_loopback() {
            "loopback only: --metrics 0.0.0.0:PORT serves other hosts"
        } else {
            "reachable from other hosts: it names servers and close codes, no client"
        }
    );
    Ok(Some(metrics))
}

#[cfg(test)]
mod tests {
    /// Issue 104, item 8: an incident first said at 4 members (one that stood out of a known
    /// pace) is counted, once, by server and how and by server, kind and code; its later
    /// marks add nothing (only those first said at exactly 3 were counted).
    #[test]
    fn an_incident_is_counted_once_whatever_its_first_count() {
        let m = super::Metrics::new(1 << 30, 20, None);
        let server = wsclose::Endpoint::new("10.0.0.5".parse().unwrap(), 8443);
        let said = |members, new| wsclose::incident::Forming {
            server,
            how: "close 4001".into(),
            members,
            first: wsclose::Timestamp(0),
            last: wsclose::Timestamp(1),
            kind: wsclose::vocab::IncidentKind::RejectionLoop,
            code: Some(Some(4001)),
            new,
        };
        m.forming(&said(4, true));
        m.forming(&said(10, false));
        let body = m.encode(false);
        assert!(
            body.contains(
                "wsclose_incidents_total{server=\"10.0.0.5:8443\",kind=\"rejection-loop\",code=\"4001\"} 1\n"
            ),
            "{body}"
        );
        assert!(
            body.contains(
                "wsclose_incidents_forming_total{server=\"10.0.0.5:8443\",how=\"close 4001\"} 1\n"
            ),
            "{body}"
        );
    }

    #[test]
    fn a_port_alone_binds_to_loopback() {
        assert_eq!(
            crate::cli::listen_addr("9750").unwrap().to_string(),
            "127.0.0.1:9750"
        );
        assert_eq!(
            crate::cli::listen_addr("[::1]:1").unwrap().to_string(),
            "[::1]:1"
        );
        assert!(crate::cli::listen_addr("localhost").is_err());
    }
}

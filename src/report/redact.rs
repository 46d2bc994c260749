//! `--redact`: a report safe to attach to a public ticket.
//!
//! In: a finished [`Report`]. Out: the same report with every IP address replaced by a
//! stable pseudonym (the same address gets the same name throughout one report; ports are
//! kept), host names in Host headers and TLS SNIs replaced the same way (the encrypted
//! connections' addresses and SNIs too, after the WebSocket connections'), query strings dropped from
//! paths, payload previews left out, input paths cut to their file names and the command
//! line dropped. Close reasons, codes and packet numbers are kept: they are the point.
//! The report says it was redacted. A report whose connections are in a store is redacted
//! as they are read back, in id order, so the pseudonyms are the same.

use super::{ConnectionReport, Host, Report};
use std::collections::HashMap;

/// The pseudonyms given so far.
#[derive(Debug, Default)]
pub(crate) struct Names {
    map: HashMap<String, String>,
}

impl Names {
    fn name(&mut self, addr: &str) -> String {
        let n = self.map.len() + 1;
        self.map
            .entry(addr.to_string())
            .or_insert_with(|| format!("host-{n}"))
            .clone()
    }

    /// "1.2.3.4:80" or "[::1]:80" → "host-N:80".
    fn endpoint(&mut self, ep: &str) -> String {
        match ep.rsplit_once(':') {
            Some((ip, port)) => format!("{}:{port}", self.name(ip.trim_matches(['[', ']']))),
            None => self.name(ep),
        }
    }

    /// A Host header: "example.com:8080", "[::1]:9015", "10.0.0.1".
    fn host(&mut self, host: &str) -> String {
        let h = host.trim();
        let (name, port) = if let Some(rest) = h.strip_prefix('[') {
            match rest.split_once(']') {
                Some((ip, tail)) => (ip, tail.strip_prefix(':')),
                None => (rest, None),
            }
        } else {
            match h.rsplit_once(':') {
                Some((n, p)) if p.chars().all(|c| c.is_ascii_digit()) && !n.contains(':') => {
                    (n, Some(p))
                }
                _ => (h, None),
            }
        };
        let pseudonym = self.name(name);
        match port {
            Some(p) => format!("{pseudonym}:{p}"),
            None => pseudonym,
        }
    }
}

impl Names {
    /// The SNI is a host name as the Host header's is: the same pseudonym.
    fn sni(&mut self, tls: &mut super::tls::TlsReport) {
        tls.sni = tls.sni.as_deref().map(|s| self.host(s));
    }

    /// Redacts one encrypted connection (after every WebSocket connection).
    fn encrypted(&mut self, e: &mut super::tls::EncryptedReport) {
        e.client = Host::Named(self.endpoint(&e.client.to_string()));
        e.server = Host::Named(self.endpoint(&e.server.to_string()));
        self.sni(&mut e.tls);
    }
}

fn strip_query(path: &str) -> String {
    match path.split_once('?') {
        Some((p, _)) => format!("{p}?[redacted]"),
        None => path.to_string(),
    }
}

impl Names {
    /// Redacts one connection (connections are given in id order).
    pub(crate) fn connection(&mut self, c: &mut ConnectionReport) {
        c.client = Host::Named(self.endpoint(&c.client.to_string()));
        c.server = Host::Named(self.endpoint(&c.server.to_string()));
        if let Some(leg) = &mut c.leg {
            leg.proxy = Host::Named(self.endpoint(&leg.proxy.to_string()));
        }
        if let Some(tls) = &mut c.tls {
            self.sni(tls);
        }
        let h = &mut c.handshake;
        h.host = h.host.as_deref().map(|x| self.host(x));
        h.path = h.path.as_deref().map(strip_query);
        for frames in c
            .timeline
            .iter_mut()
            .chain(std::iter::once(&mut c.recent_frames))
        {
            for f in frames.iter_mut() {
                if f.opcode != "close" {
                    f.detail = None;
                }
            }
        }
    }
}

pub fn redact(report: &mut Report) {
    // Stored connections are redacted as they are read (`Report::for_each_connection`).
    let mut names = Names::default();
    for c in &mut report.connections {
        names.connection(c);
    }
    // The encrypted connections are named after the WebSocket connections, with the same
    // names for the same addresses: a stored report's connections are named as they are
    // read, in id order, from a fresh map, so the same walk gives the same map here.
    if let Some(store) = &report.stored {
        let mut buf = Vec::new();
        for i in 0..store.len() {
            if let Ok(mut c) = store.get(i, &mut buf) {
                names.connection(&mut c);
            }
        }
    }
    for e in &mut report.seen.encrypted {
        names.encrypted(e);
    }
    for input in &mut report.inputs {
        if let Some(name) = std::path::Path::new(&input.path).file_name() {
            input.path = name.to_string_lossy().into_owned();
        }
    }
    report.command = None;
    report.redacted = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_address_same_name_ports_kept() {
        let mut n = Names {
            map: HashMap::new(),
        };
        assert_eq!(n.endpoint("10.1.2.3:5000"), "host-1:5000");
        assert_eq!(n.endpoint("[fd00::7]:443"), "host-2:443");
        assert_eq!(n.endpoint("10.1.2.3:6000"), "host-1:6000");
        assert_eq!(n.host("10.1.2.3:8080"), "host-1:8080");
        assert_eq!(n.host("[fd00::7]:443"), "host-2:443");
        assert_eq!(n.host("internal.example.com"), "host-3");
        assert_eq!(strip_query("/ws?token=secret&x=1"), "/ws?[redacted]");
        assert_eq!(strip_query("/ws"), "/ws");
    }
}

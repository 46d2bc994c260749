#!/usr/bin/env python3
"""Compare `wsclose analyze --format json` output with a generator truth file.

usage: check_truth.py TRUTH.json REPORT.json

Every WebSocket connection of the truth must appear once in the report (matched by client
and server), with the same close frames (from, code, reason, packet), status code, TCP
ending and no findings (and, in truths that say so, whether it negotiated
permessage-deflate and how many messages each side compressed, and whether it ran over
TLS: then the version, cipher suite, decryption and each side's close_notify packet; the
status each side saw; whether it ran over HTTP/1.1 or HTTP/2 with its stream, the
handshake's status and how the stream ended); the report must hold no other connection.
A connection is matched by client, server and HTTP/2 stream (none over HTTP/1.1). Exit 0 when all match, 1 otherwise (the first
differences are printed).

A capture with TLS connections is checked against the report made with its key log
(`wsclose analyze --keylog CAPTURE.keylog`): the same traffic over TLS gives the same
close frames and status codes as in plaintext.
"""
import json
import sys


def frames(fs):
    return [(f["from"], f["code"], f["reason"], f["packet"]) for f in fs]


def stream_ends(ends):
    """An HTTP/2 stream's endings as (by, kind, error code, last stream, ends, packet)."""
    return [(e["by"], e["kind"], e.get("error_code"), e.get("last_stream"),
             e["ends_stream"], e["packet"]) for e in ends]


def tls_facts(tls):
    """What the truth says of a connection's TLS (None: plaintext)."""
    if tls is None:
        return None
    return (tls["version"], tls["cipher_suite"], tls.get("decrypted", True),
            tls["close_notify"]["client"], tls["close_notify"]["server"])


def main():
    truth_path, report_path = sys.argv[1], sys.argv[2]
    with open(truth_path) as f:
        truth = json.load(f)
    with open(report_path) as f:
        report = json.load(f)
    expected = {(c["client"], c["server"], c.get("h2_stream"))
                : c for c in truth["websocket_connections"]}
    bad, extra = [], []
    for c in report["connections"]:
        key = (c["client"], c["server"], c.get("h2_stream"))
        t = expected.pop(key, None)
        if t is None:
            extra.append(key)
            continue
        got = (frames(c["close_frames"]), c["status"]["code"], c["tcp_end"], c["tcp_end_by"])
        want = (frames(t["close_frames"]), t["status"], t["tcp_end"], t["tcp_end_by"])
        if "compressed_messages" in t:
            got += (c["handshake"]["deflate"],
                    c["frames"]["client"]["compressed_messages"],
                    c["frames"]["server"]["compressed_messages"])
            want += (t["deflate"],
                     t["compressed_messages"]["client"],
                     t["compressed_messages"]["server"])
        if "tls" in t:
            got += (tls_facts(c.get("tls")),)
            want += (tls_facts(t["tls"]),)
        if "seen_by" in t:
            got += ((c["seen_by"]["client"], c["seen_by"]["server"]),)
            want += ((t["seen_by"]["client"], t["seen_by"]["server"]),)
        if "transport" in t:
            got += (c["transport"], c.get("h2_stream"), c["handshake"]["status"],
                    stream_ends(c.get("stream_ends", [])))
            want += (t["transport"], t["h2_stream"], t["handshake_status"],
                     stream_ends(t["stream_ends"]))
        kinds = [f["kind"] for f in c["findings"]]
        if got != want or kinds:
            bad.append(f"{key[0]} -> {key[1]} ({t['scenario']})\n  got  {got} {kinds}\n  want {want}")
    n = len(truth["websocket_connections"])
    n_tls = sum(1 for c in truth["websocket_connections"] if c.get("tls"))
    n_h2 = sum(1 for c in truth["websocket_connections"] if c.get("transport") == "h2")
    ok = not bad and not extra and not expected
    print(
        f"{'OK' if ok else 'MISMATCH'}: {n} WebSocket connections in the truth"
        f"{f' ({n_tls} over TLS)' if n_tls else ''}"
        f"{f' ({n_h2} over HTTP/2)' if n_h2 else ''}, "
        f"{len(report['connections'])} in the report, {len(bad)} differ, "
        f"{len(extra)} extra, {len(expected)} missing"
    )
    for line in bad[:10]:
        print(line)
    for key in extra[:5]:
        print("extra:", key)
    for key in list(expected)[:5]:
        print("missing:", key)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Acceptance-to-inbox latency from two logs (stdlib only).

  latency.py SENT_LOG RECEIVED_LOG

SENT_LOG: "accept_ts recipient" per message (lib/load.py --log); RECEIVED_LOG: "receiver_ts address
recipient" per message (lib/wan_sink.py --log). Prints "count=N missing=N p50_ms=X p99_ms=X max_ms=X"
over the messages in SENT_LOG (missing: accepted but never received; a message received twice counts
its first arrival).
"""
import sys


def main():
    sent = {}
    with open(sys.argv[1]) as f:
        for line in f:
            ts, rcpt = line.split()
            sent[rcpt] = float(ts)
    got = {}
    with open(sys.argv[2]) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] in sent and parts[2] not in got:
                got[parts[2]] = float(parts[0])
    lat = sorted(1000 * (got[r] - sent[r]) for r in got)
    if not lat:
        print(f"count=0 missing={len(sent)} p50_ms=n/a p99_ms=n/a max_ms=n/a")
        return

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))]

    print(f"count={len(lat)} missing={len(sent) - len(got)} p50_ms={pct(0.5):.1f} p99_ms={pct(0.99):.1f} max_ms={lat[-1]:.1f}")


if __name__ == "__main__":
    main()

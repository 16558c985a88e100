#!/usr/bin/env python3
"""Fill an EmailApi SQLite queue with COUNT due messages, fast, by direct inserts (stdlib only).

  fill_queue.py DB COUNT DOMAIN [SPAN_SECONDS [DELIVERED_SHARE]]

The database must already have the service's schema and its default account (start the service
on it once). Each message gets one recipient (rcpt-<n>@DOMAIN, status queued, due now), its
'queued' event and a small raw MIME body, exactly as an enqueue would store them; ids are
version 7 GUIDs in creation order, as the service makes them. The messages are spread evenly over
the last SPAN_SECONDS (default: one per millisecond, the last one now); DELIVERED_SHARE (0..1,
default 0) of them are delivered two seconds after acceptance (status and 'delivered' event). The
console's activity roll-up is reset, so it is rebuilt from the events written here. Written with synchronous=OFF in
large transactions (this is set-up, not the thing measured), then checkpointed so the service
starts on a plain database file. Prints "filled=N seconds=S".
"""
import os
import sqlite3
import sys
import time

CHUNK = 20000


def v7(ms, n):
    """A version 7 GUID (RFC 9562) for unix time ms; n makes it unique within the millisecond."""
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (n & 0xFFF) << 64
    value |= 0b10 << 62
    value |= (n * 2654435761) & ((1 << 62) - 1)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def main():
    db, count, domain = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    span = int(float(sys.argv[4]) * 1000) if len(sys.argv) > 4 else count
    delivered_share = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-262144")   # 256 MB
    account = con.execute("SELECT id FROM accounts WHERE name = 'default'").fetchone()
    if account is None:
        sys.exit("fill_queue: no 'default' account: start the service on this database once first")
    account = account[0]
    next_rcpt = (con.execute("SELECT COALESCE(MAX(id), 0) FROM recipients").fetchone()[0] or 0) + 1
    now = int(time.time() * 1000)
    base = now - span   # spread evenly up to now: all due, oldest first
    body = ("Queue scale benchmark message. " * 6 + "\r\n") * 2
    start = time.monotonic()
    for first in range(0, count, CHUNK):
        messages, recipients, events = [], [], []
        for i in range(first, min(first + CHUNK, count)):
            ms = base + (i + 1) * span // count
            mid = v7(ms, i)
            address = f"rcpt-{i:08d}@{domain}"
            raw = (f"From: Bench <bench@app.test>\r\nTo: <{address}>\r\nSubject: queue scale {i}\r\n"
                   f"Message-ID: <{mid}@bench-relay.test>\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
                   f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{body}").encode()
            rid = next_rcpt + i
            messages.append((mid, account, "api", "bench@app.test", "Bench <bench@app.test>", f"queue scale {i}",
                             None, None, len(raw), raw, ms, None))
            delivered = int((i + 1) * delivered_share) > int(i * delivered_share)   # that share, evenly spread
            recipients.append((rid, mid, account, address, domain, "delivered" if delivered else "queued", 1 if delivered else 0,
                               None if delivered else ms, ms + 2000 if delivered else ms))
            events.append((mid, rid, "queued", None, ms))
            if delivered:
                events.append((mid, rid, "delivered", "250 2.0.0 Ok", ms + 2000))
        con.execute("BEGIN")
        con.executemany("INSERT INTO messages (id, account_id, source, envelope_from, header_from, subject, tags, metadata, "
                        "size, raw, created_at, send_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", messages)
        con.executemany("INSERT INTO recipients (id, message_id, account_id, address, domain, status, attempts, "
                        "next_attempt_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", recipients)
        con.executemany("INSERT INTO events (message_id, recipient_id, type, detail, created_at) VALUES (?,?,?,?,?)", events)
        con.execute("COMMIT")
    tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in ("activity_hours", "activity_rollup"):
        if table in tables:
            con.execute(f"DELETE FROM {table}")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    print(f"filled={count} seconds={time.monotonic() - start:.1f} bytes={os.path.getsize(db)}")


if __name__ == "__main__":
    main()

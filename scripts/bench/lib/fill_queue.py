#!/usr/bin/env python3
"""Fill an EmailApi SQLite queue with COUNT due messages, fast, by direct inserts (stdlib only).

  fill_queue.py DB COUNT DOMAIN [--domains N] [--prefix P] [--deferred] [--due-in S] [--due-spread S]
                 [--span S] [--delivered SHARE]

The database must already have the service's schema and its default account (start the service
on it once). Each message gets one recipient (rcpt-<n>@DOMAIN, status queued, due now), its
'queued' event and a small raw MIME body, exactly as an enqueue would store them; ids are
version 7 GUIDs in creation order, as the service makes them. Options:
  --domains N      DOMAIN contains "{}": message n goes to DOMAIN.format(n % N) (many destinations)
  --stride K, --offset O   ... to DOMAIN.format((n % N) * K + O) instead
  --size B         a text body of B bytes (default a small one)
  --prefix P       recipients are P-<n>@... (default rcpt)
  --deferred       recipients are 'deferred' after one attempt (451 recorded), as a retry queue is
  --due-in S       the first recipient is due S seconds from now (default: all due already)
  --due-spread S   due times spread evenly over S seconds from there (default 0: all at once)
  --span S         accepted evenly over the last S seconds (default: one per millisecond, the last now)
  --delivered F    that share (0..1) of the recipients delivered two seconds after acceptance
                   (status and 'delivered' event)
The console's activity roll-up is reset, so it is rebuilt from the events written here.
The service may be running on the database meanwhile (WAL; it waits for the writes). Written with synchronous=OFF in
large transactions (this is set-up, not the thing measured), then checkpointed so the service
starts on a plain database file. Prints "filled=N seconds=S".
"""
import argparse
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
    p = argparse.ArgumentParser()
    p.add_argument("db")
    p.add_argument("count", type=int)
    p.add_argument("domain")
    p.add_argument("--domains", type=int, default=1)
    p.add_argument("--stride", type=int, default=1)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--prefix", default="rcpt")
    p.add_argument("--size", type=int, default=0)
    p.add_argument("--deferred", action="store_true")
    p.add_argument("--due-in", type=float, default=None)
    p.add_argument("--due-spread", type=float, default=0.0)
    p.add_argument("--span", type=float, default=None)
    p.add_argument("--delivered", type=float, default=0.0)
    a = p.parse_args()
    db, count, domain = a.db, a.count, a.domain
    con = sqlite3.connect(db, isolation_level=None, timeout=60)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-262144")   # 256 MB
    account = con.execute("SELECT id FROM accounts WHERE name = 'default'").fetchone()
    if account is None:
        sys.exit("fill_queue: no 'default' account: start the service on this database once first")
    account = account[0]
    next_rcpt = (con.execute("SELECT COALESCE(MAX(id), 0) FROM recipients").fetchone()[0] or 0) + 1
    now = int(time.time() * 1000)
    span = count if a.span is None else int(a.span * 1000)
    base = now - span   # spread evenly up to now (by default one per millisecond): all due, oldest first
    first_due = None if a.due_in is None else now + int(a.due_in * 1000)
    status = "deferred" if a.deferred else "queued"
    attempts = 1 if a.deferred else 0
    last = "451 4.7.1 try again later" if a.deferred else None
    body = ("Queue scale benchmark message. " * 6 + "\r\n") * 2
    if a.size:
        body = (body * (a.size // len(body) + 1))[:a.size]
    start = time.monotonic()
    for first in range(0, count, CHUNK):
        messages, recipients, events = [], [], []
        for i in range(first, min(first + CHUNK, count)):
            ms = base + (i + 1) * span // count
            mid = v7(ms, i)
            rdomain = domain.format((i % a.domains) * a.stride + a.offset) if "{}" in domain else domain
            address = f"{a.prefix}-{i:08d}@{rdomain}"
            due = ms if first_due is None else first_due + int(a.due_spread * 1000 * i / max(count, 1))
            raw = (f"From: Bench <bench@app.test>\r\nTo: <{address}>\r\nSubject: queue scale {i}\r\n"
                   f"Message-ID: <{mid}@bench-relay.test>\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
                   f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{body}").encode()
            rid = next_rcpt + i
            messages.append((mid, account, "api", "bench@app.test", "Bench <bench@app.test>", f"queue scale {i}",
                             None, None, len(raw), raw, ms, None))
            delivered = int((i + 1) * a.delivered) > int(i * a.delivered)   # that share, evenly spread
            if delivered:
                recipients.append((rid, mid, account, address, rdomain, "delivered", 1, None, "250 2.0.0 Ok", ms + 2000))
            else:
                recipients.append((rid, mid, account, address, rdomain, status, attempts, due, last, ms))
            events.append((mid, rid, "queued", None, ms))
            if delivered:
                events.append((mid, rid, "delivered", "250 2.0.0 Ok", ms + 2000))
            elif a.deferred:
                events.append((mid, rid, "deferred", last, ms))
        con.execute("BEGIN")
        con.executemany("INSERT INTO messages (id, account_id, source, envelope_from, header_from, subject, tags, metadata, "
                        "size, raw, created_at, send_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", messages)
        con.executemany("INSERT INTO recipients (id, message_id, account_id, address, domain, status, attempts, "
                        "next_attempt_at, last_response, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", recipients)
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

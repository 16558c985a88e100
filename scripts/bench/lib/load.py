#!/usr/bin/env python3
"""Offer mail to a relay over SMTP or HTTP, as fast as it takes it or at a steady rate (stdlib only).

  load.py smtp HOST:PORT COUNT [options]        one session per thread, many messages per session
  load.py http BASE_URL COUNT --key KEY [opts]  POST /v1/send, one keep-alive connection per thread

  --domain PATTERN   recipient domain; "{}" is replaced by n % --domains (default bench.test)
  --domains N        (default 1)
  --prefix P         recipients are P-<n>@domain (default m), so a receiver can tell sides apart
  --sessions S       parallel sessions / connections (default 10)
  --rate R           open loop: message n is offered at start + n/R seconds, whether or not the
                     ones before were accepted (default: as fast as accepted)
  --size B           body bytes (default 1024)
  --log FILE         one line per accepted message: "accept_ts recipient" (time.time() at the 250 / 202)
  --timeout S        give up after S seconds in all (default 600)

Prints "accepted=N refused=N seconds=S behind_max=S" (behind_max: how late the most delayed
message was offered against its schedule, so a saturated load generator shows). Exits 1 unless
every message was accepted.
"""
import argparse
import http.client
import json
import smtplib
import sys
import threading
import time
import urllib.parse

LINE = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrstuvwxyz\r\n"


class Plan:
    def __init__(self, a):
        self.a, self.next, self.lock = a, 0, threading.Lock()
        self.start = time.monotonic()
        self.deadline = self.start + a.timeout
        self.accepted = self.refused = 0
        self.behind = 0.0
        self.lines = []
        self.text = (LINE * (a.size // len(LINE) + 1))[:a.size]

    def take(self):
        """The next message number, once it is due; None when done."""
        with self.lock:
            n = self.next
            if n >= self.a.count or time.monotonic() > self.deadline:
                return None
            self.next += 1
        if self.a.rate:
            due = self.start + n / self.a.rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            else:
                self.behind = max(self.behind, -wait)
        return n

    def recipient(self, n):
        d = self.a.domain.format(n % self.a.domains) if "{}" in self.a.domain else self.a.domain
        return f"{self.a.prefix}-{n:08d}@{d}"

    def done(self, n, ok):
        ts = time.time()
        with self.lock:
            if ok:
                self.accepted += 1
                self.lines.append(f"{ts:.6f} {self.recipient(n)}\n")
            else:
                self.refused += 1


def smtp_worker(plan, host, port):
    a = plan.a
    client = None
    while (n := plan.take()) is not None:
        rcpt = plan.recipient(n)
        msg = (f"From: Bench <bench@app.test>\r\nTo: <{rcpt}>\r\nSubject: bench {n}\r\n"
               f"Message-ID: <bench-{a.prefix}-{n}@app.test>\r\n\r\n{plan.text}")
        for attempt in range(2):
            try:
                if client is None:
                    client = smtplib.SMTP(host, port, local_hostname="bench-client.test", timeout=120)
                client.sendmail("bench@app.test", [rcpt], msg.encode())
                plan.done(n, True)
                break
            except (smtplib.SMTPServerDisconnected, ConnectionError, OSError) as e:
                client = None
                if attempt == 1:
                    print(f"load: {rcpt}: {e}", file=sys.stderr)
                    plan.done(n, False)
            except smtplib.SMTPException as e:
                print(f"load: {rcpt}: {e}", file=sys.stderr)
                plan.done(n, False)
                break
    if client is not None:
        try:
            client.quit()
        except Exception:
            pass


def http_worker(plan, url, key):
    u = urllib.parse.urlsplit(url)
    conn = None
    while (n := plan.take()) is not None:
        rcpt = plan.recipient(n)
        body = json.dumps({"from": "Bench <bench@app.test>", "to": rcpt, "subject": f"bench {n}",
                           "text": plan.text}).encode()
        for attempt in range(2):
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
                conn.request("POST", "/v1/send", body, {"Authorization": f"Bearer {key}",
                                                       "Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                plan.done(n, resp.status == 202)
                if resp.status != 202:
                    print(f"load: {rcpt}: HTTP {resp.status} {data[:200]!r}", file=sys.stderr)
                break
            except (http.client.HTTPException, ConnectionError, OSError) as e:
                conn = None
                if attempt == 1:
                    print(f"load: {rcpt}: {e}", file=sys.stderr)
                    plan.done(n, False)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["smtp", "http"])
    p.add_argument("target")
    p.add_argument("count", type=int)
    p.add_argument("--key")
    p.add_argument("--domain", default="bench.test")
    p.add_argument("--domains", type=int, default=1)
    p.add_argument("--prefix", default="m")
    p.add_argument("--sessions", type=int, default=10)
    p.add_argument("--rate", type=float, default=0)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--log")
    p.add_argument("--timeout", type=float, default=600)
    a = p.parse_args()
    plan = Plan(a)
    if a.mode == "smtp":
        host, port = a.target.rsplit(":", 1)
        target, args = smtp_worker, (plan, host, int(port))
    else:
        target, args = http_worker, (plan, a.target, a.key)
    threads = [threading.Thread(target=target, args=args, daemon=True) for _ in range(a.sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.1, plan.deadline - time.monotonic() + 5))
    if a.log:
        with open(a.log, "w") as f:
            f.writelines(plan.lines)
    print(f"accepted={plan.accepted} refused={plan.refused} seconds={time.monotonic() - plan.start:.2f} "
          f"behind_max={plan.behind:.3f}")
    sys.exit(0 if plan.accepted == a.count else 1)


if __name__ == "__main__":
    main()

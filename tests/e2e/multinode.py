#!/usr/bin/python3
"""Load and accounting for the multi-node end-to-end test (stdlib only).

  multinode.py load --http URL[,URL] --smtp HOST:PORT[,HOST:PORT] --key KEY --count N
                    --domain D --tag T --out FILE [--workers W]
      Sends N one-recipient messages, spread round-robin over the HTTP front nodes (POST /v1/send)
      and the SMTP front nodes (one smtplib session per worker, many messages per session).
      Message i goes to u<i>@D with the subject "mn T i". Writes one line "i door" per message
      that was acknowledged (HTTP 202, SMTP 250 after DATA) to FILE, and a summary to stdout.

  multinode.py count --sinks DIR[,DIR] --tag T --accepted FILE [--killed-helo NAME]
      Reads what the receiving servers saved and prints one JSON line: accepted, delivered (of the
      accepted), missing, duplicate copies, duplicates explained by the killed node (a copy of it
      came from that node's EHLO name: it died between the remote 250 and its commit), copies per
      EHLO name. Exit status 0 when nothing is missing and every duplicate is explained.
"""
import argparse
import collections
import concurrent.futures
import email.parser
import json
import os
import smtplib
import sys
import threading
import urllib.error
import urllib.request


def load(args):
    https = [u for u in args.http.split(",") if u]
    smtps = [s for s in args.smtp.split(",") if s]
    doors = [("http", u) for u in https] + [("smtp", s) for s in smtps]
    jobs = collections.defaultdict(list)
    for i in range(1, args.count + 1):
        jobs[doors[i % len(doors)]].append(i)
    accepted, lock = [], threading.Lock()
    failures = collections.Counter()

    def body(i):
        return f"multinode message {i}\n" + ("relay " * 60 + "\n") * 10

    def http_one(url, i):
        data = json.dumps({"from": "mn@app.test", "to": f"u{i}@{args.domain}", "subject": f"mn {args.tag} {i}",
                           "text": body(i)}).encode()
        req = urllib.request.Request(url + "/v1/send", data=data, method="POST", headers={
            "Authorization": f"Bearer {args.key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                ok = r.status == 202
        except urllib.error.HTTPError as e:
            ok = False
            failures[f"http {e.code}"] += 1
        except Exception as e:  # refused, reset, timeout: not acknowledged
            ok = False
            failures[f"http {type(e).__name__}"] += 1
        if ok:
            with lock:
                accepted.append((i, "http"))

    def smtp_worker(hostport, items):
        host, port = hostport.rsplit(":", 1)
        client = None
        for i in items:
            msg = (f"From: mn@app.test\r\nTo: u{i}@{args.domain}\r\nSubject: mn {args.tag} {i}\r\n"
                   f"Message-ID: <mn-{args.tag}-{i}@client.test>\r\n\r\n{body(i)}").replace("\n", "\r\n").replace("\r\r\n", "\r\n")
            try:
                if client is None:
                    client = smtplib.SMTP(host, int(port), timeout=30)
                    client.ehlo("client.test")
                client.sendmail("mn@app.test", [f"u{i}@{args.domain}"], msg.encode())
                with lock:
                    accepted.append((i, "smtp"))
            except Exception as e:
                failures[f"smtp {type(e).__name__}"] += 1
                try:
                    client and client.close()
                except Exception:
                    pass
                client = None
        if client is not None:
            try:
                client.quit()
            except Exception:
                pass

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers * 2) as pool:
        futures = []
        for (door, target), items in jobs.items():
            if door == "http":
                futures += [pool.submit(http_one, target, i) for i in items]
            else:
                # A few sessions per SMTP node, each sending its share in sequence.
                sessions = max(1, args.workers // 4)
                for s in range(sessions):
                    futures.append(pool.submit(smtp_worker, target, items[s::sessions]))
        for f in futures:
            f.result()

    with open(args.out, "w") as out:
        for i, door in sorted(accepted):
            out.write(f"{i} {door}\n")
    by_door = collections.Counter(d for _, d in accepted)
    print(f"sent {args.count}: acknowledged {len(accepted)} (http {by_door['http']}, smtp {by_door['smtp']}); "
          f"not acknowledged: {dict(failures) or 'none'}")


def count(args):
    accepted = {}
    with open(args.accepted) as f:
        for line in f:
            i, door = line.split()
            accepted[int(i)] = door
    prefix = f"mn {args.tag} "
    copies = collections.defaultdict(list)   # i -> [helo, ...]
    per_helo = collections.Counter()
    parser = email.parser.BytesHeaderParser()
    for d in [d for d in args.sinks.split(",") if d]:
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            if not name.endswith(".eml"):
                continue
            path = os.path.join(d, name)
            try:
                with open(path, "rb") as f:
                    headers = parser.parsebytes(f.read(8192))
                with open(path[:-4] + ".json") as f:
                    helo = json.load(f).get("helo") or "?"
            except (OSError, ValueError):
                continue
            subject = str(headers.get("Subject", ""))
            if not subject.startswith(prefix):
                continue
            i = int(subject[len(prefix):].split()[0])
            copies[i].append(helo)
            per_helo[helo] += 1
    delivered = [i for i in accepted if i in copies]
    missing = sorted(i for i in accepted if i not in copies)
    dup_copies = sum(len(v) - 1 for v in copies.values() if len(v) > 1)
    unexplained = sorted(i for i, v in copies.items() if len(v) > 1 and (not args.killed_helo or args.killed_helo not in v))
    extra = sorted(i for i in copies if i not in accepted)
    print(json.dumps({
        "accepted": len(accepted), "delivered": len(delivered), "missing": len(missing), "missing_sample": missing[:10],
        "duplicate_copies": dup_copies, "unexplained_duplicates": unexplained[:10], "delivered_without_ack": len(extra),
        "copies_per_helo": dict(sorted(per_helo.items())),
    }))
    return 0 if not missing and not unexplained else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    lp = sub.add_parser("load")
    lp.add_argument("--http", default="")
    lp.add_argument("--smtp", default="")
    lp.add_argument("--key", required=True)
    lp.add_argument("--count", type=int, required=True)
    lp.add_argument("--domain", required=True)
    lp.add_argument("--tag", required=True)
    lp.add_argument("--out", required=True)
    lp.add_argument("--workers", type=int, default=16)
    cp = sub.add_parser("count")
    cp.add_argument("--sinks", required=True)
    cp.add_argument("--tag", required=True)
    cp.add_argument("--accepted", required=True)
    cp.add_argument("--killed-helo", default="")
    a = p.parse_args()
    if a.cmd == "load":
        load(a)
        return 0
    return count(a)


if __name__ == "__main__":
    sys.exit(main())

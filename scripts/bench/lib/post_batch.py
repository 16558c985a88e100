#!/usr/bin/env python3
"""Queue N messages through POST /v1/send/batch (500 a request), stdlib only.

  post_batch.py BASE_URL API_KEY COUNT BODY_BYTES RECIPIENT_DOMAIN

One recipient per message (rcpt-<n>@RECIPIENT_DOMAIN), a text body of BODY_BYTES. Prints
"accepted=N rejected=N seconds=S"; exits 1 unless every message was accepted.
"""
import json
import sys
import time
import urllib.request

BATCH = 500


def main():
    base, key, count, size, domain = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrstuvwxyz\n"
    text = (line * (size // len(line) + 1))[:size]
    accepted = rejected = 0
    start = time.monotonic()
    for first in range(0, count, BATCH):
        n = min(BATCH, count - first)
        body = {"messages": [{"from": "Bench <bench@app.test>", "to": f"rcpt-{first + i}@{domain}",
                              "subject": f"bench {first + i}", "text": text} for i in range(n)]}
        req = urllib.request.Request(f"{base}/v1/send/batch", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                answer = json.load(resp)
        except urllib.error.HTTPError as e:
            sys.exit(f"post_batch: POST /v1/send/batch answered {e.code}: {e.read()[:300]!r}")
        accepted += answer.get("accepted", 0)
        rejected += answer.get("rejected", 0)
        if answer.get("rejected"):
            bad = next((r for r in answer.get("results", []) if r.get("status") != "accepted"), None)
            print(f"post_batch: rejected in batch at {first}: {json.dumps(bad)[:300]}", file=sys.stderr)
    print(f"accepted={accepted} rejected={rejected} seconds={time.monotonic() - start:.2f}")
    sys.exit(0 if accepted == count else 1)


if __name__ == "__main__":
    main()

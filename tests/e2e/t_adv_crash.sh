# shellcheck shell=bash
# Adversarial suite: kill -9 under mixed load. HTTP sends and SMTP sessions run at the same time
# against the shared service; it is killed with SIGKILL once a part of them has been acknowledged,
# then restarted on the same database. Every message that got a 202 or a 250 must reach the MX;
# the test prints acknowledged, delivered, lost and duplicated counts. A duplicate is allowed (a
# crash between the remote 250 and our own commit re-sends, as in Postfix), a loss never is.

test_adv_kill9_mixed_http_and_smtp_load_loses_nothing() {
    local d; d=$(test_tmp)
    local n_http=${E2E_ADV_KILL_HTTP:-200} n_smtp=${E2E_ADV_KILL_SMTP:-200} wait_s=${E2E_ADV_KILL_WAIT:-150}
    local tag="adv$(date +%s%N)"
    : >"$d/acks.txt"
    # The driver appends "SEQ ID" to acks.txt for each acknowledgement, as it happens, and stops
    # by itself once every send was tried (those in flight at the kill fail and are not counted).
    "$PY" - "$d/acks.txt" "$BASE_URL" "127.0.0.1" "$SMTP_PORT" "$API_KEY" "$n_http" "$n_smtp" "$tag" >"$d/driver.log" 2>&1 <<'PY' &
import json, smtplib, sys, threading, urllib.request
from concurrent.futures import ThreadPoolExecutor
acks, base, host, port, key, n_http, n_smtp, tag = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
lock = threading.Lock()
filler = "\n".join(["mixed load " * 7] * 30)
def ack(seq, ident):
    with lock, open(acks, "a") as f:
        f.write(f"{seq} {ident}\n")
def http_send(i):
    seq = f"{tag}-h{i}"
    body = json.dumps({"from": "sender@app.test", "to": [f"h{i}@crash.test"], "subject": f"mixed {seq}",
                       "text": f"{seq}\n{filler}\n", "headers": {"X-Adv-Seq": seq}}).encode()
    req = urllib.request.Request(base + "/v1/send", data=body, method="POST",
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            if r.status == 202:
                ack(seq, json.load(r)["id"])
    except Exception:
        pass
def smtp_worker(w, items):
    s = None
    for i in items:
        seq = f"{tag}-s{i}"
        raw = (f"From: sender@app.test\r\nTo: s{i}@crash.test\r\nSubject: mixed {seq}\r\n"
               f"Message-ID: <{seq}@e2e.test>\r\nX-Adv-Seq: {seq}\r\n\r\n{seq}\r\n" + filler.replace("\n", "\r\n") + "\r\n")
        try:
            if s is None:
                s = smtplib.SMTP(host, port, timeout=30)
                s.login("apikey", key)
            # sendmail raises unless the end of DATA got a 2xx, so reaching ack() means 250.
            s.sendmail("sender@app.test", [f"s{i}@crash.test"], raw.encode())
            ack(seq, "smtp")
        except smtplib.SMTPResponseException as e:
            if e.smtp_code // 100 != 2:
                s = None
        except Exception:
            s = None
    try:
        s and s.quit()
    except Exception:
        pass
with ThreadPoolExecutor(max_workers=36) as pool:
    for w in range(8):
        pool.submit(smtp_worker, w, range(w, n_smtp, 8))
    for i in range(n_http):
        pool.submit(http_send, i)
PY
    local driver=$!
    local target=$(((n_http + n_smtp) / 4)) acked=0 deadline=$((SECONDS + 60))
    while ((SECONDS < deadline)); do
        acked=$(wc -l <"$d/acks.txt")
        ((acked >= target)) && break
        pid_alive "$driver" || break
        sleep 0.02
    done
    local pid; pid=$(service_pid)
    kill9_emailapi main || { fail "could not kill the service (pid $pid)"; return 1; }
    note "kill -9 of pid $pid after $acked acknowledgements"
    wait "$driver"
    service_start || { fail "service did not restart on the same database"; return 1; }

    awk '{print $1}' "$d/acks.txt" | sort -u >"$d/acked.txt"
    local n_acked; n_acked=$(wc -l <"$d/acked.txt")
    ((n_acked > 0)) || { fail "nothing was acknowledged before the kill"; cat "$d/driver.log"; return 1; }
    local deadline2=$((SECONDS + wait_s)) lost=0
    while :; do
        # Every saved copy's X-Adv-Seq, one line per copy.
        "$PY" - "$SINKS/crash" "$tag" >"$d/seen.txt" <<'PY'
import email, glob, os, sys
from email.parser import BytesHeaderParser
for p in glob.glob(os.path.join(sys.argv[1], "*.eml")):
    with open(p, "rb") as f:
        v = BytesHeaderParser().parse(f).get("X-Adv-Seq", "")
    if v.startswith(sys.argv[2] + "-"):
        print(v.strip())
PY
        sort "$d/seen.txt" | uniq -c | awk '{print $2, $1}' >"$d/seen-counts.txt"
        lost=$(comm -23 "$d/acked.txt" <(awk '{print $1}' "$d/seen-counts.txt") | wc -l)
        ((lost == 0 || SECONDS >= deadline2)) && break
        sink_growth 1 "$SINKS/crash"
    done
    local delivered dups http_acked smtp_acked
    delivered=$(comm -12 "$d/acked.txt" <(awk '{print $1}' "$d/seen-counts.txt") | wc -l)
    dups=$(awk '$2 > 1 {d += $2 - 1} END {print d + 0}' "$d/seen-counts.txt")
    http_acked=$(grep -c -- '-h' "$d/acked.txt"); smtp_acked=$(grep -c -- '-s' "$d/acked.txt")
    note "offered: $n_http HTTP + $n_smtp SMTP; acknowledged: $n_acked ($http_acked HTTP, $smtp_acked SMTP); delivered: $delivered; lost: $lost; duplicate copies: $dups"
    if ((lost > 0)); then
        fail "$lost acknowledged message(s) never reached the MX within ${wait_s}s of the restart: $(comm -23 "$d/acked.txt" <(awk '{print $1}' "$d/seen-counts.txt") | head -n 10 | tr '\n' ' ')"
        return 1
    fi
    ((http_acked > 0 && smtp_acked > 0)) || { fail "the load was not mixed: $http_acked HTTP and $smtp_acked SMTP acknowledgements"; return 1; }
}

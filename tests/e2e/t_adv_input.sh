# shellcheck shell=bash
# Adversarial input on the HTTP doors (issue #15, points 2, 3, 4): every string of every request
# body one over its limit (and a few megabytes) answers 400 naming the field within a time budget,
# a corpus of malformed MIME for /v1/send/raw answers 4xx and never 5xx, bare CR and NUL never
# reach the receiving server, and the service stays healthy throughout.

# Seconds one refused request may take; generous for a loaded machine (a 4 MB field once cost 75 s).
ADV_BUDGET=${ADV_BUDGET:-10}

# _adv_py SCRIPT ARGS...: run the Python in SCRIPT with the shared helpers below prepended.
_adv_py() {
    local script=$1; shift
    "$PY" - "$@" < <(cat <<'PY'; cat "$script"
import json, os, sys, time, threading, urllib.request, urllib.error
BASE, KEY, BUDGET = os.environ["BASE_URL"], os.environ["API_KEY"], float(os.environ.get("ADV_BUDGET", "10"))
failures = []

def post(path, body, ctype="application/json"):
    req = urllib.request.Request(BASE + path, data=body, method="POST",
        headers={"Authorization": "Bearer " + KEY, "Content-Type": ctype})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=BUDGET * 6) as r:
            code, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        code, text = e.code, e.read()
    return code, text, time.monotonic() - start

def live():
    try:
        with urllib.request.urlopen(BASE + "/health/live", timeout=BUDGET) as r:
            return r.status
    except Exception as e:
        return str(e)

def timed_with_health(path, body, ctype="application/json"):
    """The request, and /health/live asked while it is being handled."""
    result, health = {}, {}
    t = threading.Thread(target=lambda: result.update(r=post(path, body, ctype)))
    t.start()
    time.sleep(0.05)
    health["code"] = live()
    t.join()
    return result["r"] + (health["code"],)

def check(what, got, expected_field, batch=False):
    code, text, took, health = got
    try:
        j = json.loads(text)
    except ValueError:
        failures.append(f"{what}: {code}, body not JSON: {text[:200]!r}"); return
    if batch and code == 200:
        j = j["results"][0].get("problem") or {}
        code = j.get("status")
    errors = j.get("errors") or {}
    if code != 400:
        failures.append(f"{what}: {code}, expected 400: {text[:300]!r}")
    elif expected_field is not None and expected_field not in errors:
        failures.append(f"{what}: 400 but '{expected_field}' not named in {list(errors)}")
    if took > BUDGET:
        failures.append(f"{what}: took {took:.1f}s (budget {BUDGET}s)")
    if health != 200:
        failures.append(f"{what}: /health/live answered {health} meanwhile")
    print(f"  {what}: {code} in {took * 1000:.0f} ms, named {sorted(errors)[:3]}")

def finish():
    if live() != 200:
        failures.append("service not live at the end")
    for f in failures:
        print("FAIL: " + f)
    sys.exit(1 if failures else 0)
PY
)
}

# Every string of a /v1/send and /v1/send/batch body at limit+1 and at 4 MB: a 400 naming it, fast.
test_adv_input_oversized_fields_send_and_batch() {
    local d; d=$(test_tmp)
    cat >"$d/t.py" <<'PY'
BIG = 4 * 1024 * 1024
def base():
    return {"from": "a@app.test", "to": ["r@ok.test"], "subject": "s", "text": "t"}
def att(**kw):
    a = {"filename": "a.txt", "content": "AAAA"}; a.update(kw); return [a]
cases = []   # (what, body, field named): each string at its limit + 1, and at 4 MB
def sized(limit):
    return (limit + 1, BIG)
for n in sized(256):
    cases += [
        (f"from.name {n}", dict(base(), **{"from": {"email": "a@app.test", "name": "n" * n}}), "from"),
        (f"from as 'Name <addr>' {n}", dict(base(), **{"from": "n" * n + " <a@app.test>"}), "from"),
        (f"to[0].name {n}", dict(base(), to=[{"email": "r@ok.test", "name": "n" * n}]), "to[0]"),
        (f"cc[0].name {n}", dict(base(), cc=[{"email": "c@ok.test", "name": "n" * n}]), "cc[0]"),
        (f"bcc[0].name {n}", dict(base(), bcc=[{"email": "b@ok.test", "name": "n" * n}]), "bcc[0]"),
        (f"replyTo[0].name {n}", dict(base(), replyTo=[{"email": "p@app.test", "name": "n" * n}]), "replyTo[0]"),
        (f"attachments[0].contentType {n}", dict(base(), attachments=att(contentType="application/" + "x" * (n - 12))), "attachments[0].contentType"),
        (f"attachments[0].contentId {n}", dict(base(), attachments=att(contentId="i" * n)), "attachments[0].contentId"),
    ]
for n in sized(255):
    cases.append((f"attachments[0].filename {n}", dict(base(), attachments=att(filename="f" * n)), "attachments[0].filename"))
for n in sized(998):
    cases.append((f"headers value {n}", dict(base(), headers={"X-Big": "v" * n}), "headers[0]"))
    cases.append((f"subject {n}", dict(base(), subject="s" * n), "subject"))
for n in sized(76):
    cases.append((f"headers name {n}", dict(base(), headers={"X" * n: "v"}), "headers[0]"))
for n in sized(128):
    cases.append((f"tags[0] {n}", dict(base(), tags=["t" * n]), "tags[0]"))
    cases.append((f"metadata key {n}", dict(base(), metadata={"k" * n: "v"}), "metadata"))
for n in sized(1024):
    cases.append((f"metadata value {n}", dict(base(), metadata={"k": "v" * n}), "metadata"))
for n in sized(254):
    cases.append((f"from.email {n}", dict(base(), **{"from": "a" * (n - 9) + "@app.test"}), "from"))
    cases.append((f"to[0] address {n}", dict(base(), to=["r" * (n - 8) + "@ok.test"]), "to[0]"))
for n in (40, BIG):
    cases.append((f"sendAt {n}", dict(base(), sendAt="9" * n), "sendAt"))
cases += [
    ("51 headers", dict(base(), headers={f"X-H{i}": "v" for i in range(51)}), "headers"),
    ("21 tags", dict(base(), tags=[f"t{i}" for i in range(21)]), "tags"),
]
for what, body, field in cases:
    raw = json.dumps(body).encode()
    check("send " + what, timed_with_health("/v1/send", raw), field)
    check("batch " + what, timed_with_health("/v1/send/batch", json.dumps({"messages": [body]}).encode()), field, batch=True)
finish()
PY
    _adv_py "$d/t.py"
}

# Null items in every array answer 400 naming the item, never 500.
test_adv_input_null_items() {
    local d; d=$(test_tmp)
    cat >"$d/t.py" <<'PY'
def base():
    return {"from": "a@app.test", "to": ["r@ok.test"], "text": "t"}
cases = [(k, dict(base(), **{k: [None]}), f"{k}[0]") for k in ("to", "cc", "bcc", "replyTo", "attachments", "tags")]
cases.append(("headers", dict(base(), headers={"X-A": None}), "headers[0]"))
for what, body, field in cases:
    check(f"send {what}: [null]", timed_with_health("/v1/send", json.dumps(body).encode()), field)
    check(f"batch {what}: [null]", timed_with_health("/v1/send/batch", json.dumps({"messages": [body]}).encode()), field, batch=True)
check("batch messages: [null]", timed_with_health("/v1/send/batch", b'{"messages":[null]}'), None, batch=True)
finish()
PY
    _adv_py "$d/t.py"
}

# /v1/send/raw: oversized query and header fields, and a corpus of malformed MIME: 4xx, never 5xx.
test_adv_input_raw_oversized_and_malformed() {
    local d; d=$(test_tmp)
    cat >"$d/t.py" <<'PY'
H = "From: a@app.test\r\nTo: r@ok.test\r\n"
def nested(depth):
    s = H + "MIME-Version: 1.0\r\n"
    for i in range(depth): s += f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'
    s += "Content-Type: text/plain\r\n\r\ninner\r\n"
    for i in reversed(range(depth)): s += f"--b{i}--\r\n"
    return s
folded = "References: <a@b>" + "\r\n <0123456789abcdef0123456789@example.com>" * 100_000   # 4 MB
corpus = [
    ("Subject 9000", H + "Subject: " + "s" * 9000 + "\r\n\r\nx\r\n", "Subject"),
    ("From display name 9000", "From: " + "n" * 9000 + " <a@app.test>\r\nTo: r@ok.test\r\n\r\nx\r\n", "From"),
    ("custom header 9000", H + "X-Custom: " + "v" * 9000 + "\r\n\r\nx\r\n", "X-Custom"),
    ("folded References 4 MB", H + folded + "\r\n\r\nx\r\n", "References"),
    ("header block 110 KB", H + "".join(f"X-F{i}: {'f' * 90}\r\n" for i in range(1100)) + "\r\nx\r\n", "headers"),
    ("bare CR hides a second From", H.replace("\r\nTo:", "\rFrom: ceo@elsewhere.test\r\nTo:") + "\r\nx\r\n", "From"),
    ("bare CR in To", "From: a@app.test\r\nTo: r@ok.test\rBcc: x@ok.test\r\n\r\nx\r\n", "To"),
    ("NUL in a header", H + "Subject: a\0b\r\n\r\nx\r\n", "Subject"),
    ("NUL in the body", H + "\r\nbefore\0after\r\n", "$"),
    ("CR.CR in the body", H + "\r\none\r.\rMAIL FROM:<x@y.test>\r\n", "$"),
    ("CRLF.CR in the body", H + "\r\none\r\n.\rMAIL FROM:<x@y.test>\r\n", "$"),
    ("mixed CRLF and LF in the header", "From: a@app.test\r\nTo: r@ok.test\nBcc: x@ok.test\r\n\r\nx\r\n", "headers"),
    ("header without colon", H + "this line is no header\r\n\r\nx\r\n", "headers"),
    ("header block starting folded", " folded\r\n" + H + "\r\nx\r\n", "headers"),
    ("unterminated multipart", H + 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nno end\r\n', "$"),
    ("multipart without boundary", H + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nx\r\n", "$"),
    ("1000-deep nesting", nested(1000), "$"),
    ("no From header", "To: r@ok.test\r\nSubject: anonymous\r\n\r\nx\r\n", "From"),
    ("empty body", "", None),
    ("binary garbage", "".join(chr(i) for i in range(1, 256)) * 100, None),
]
for what, mime, field in corpus:
    check("raw " + what, timed_with_health("/v1/send/raw?from=a@app.test", mime.encode("latin-1"), "message/rfc822"), field)
for what, query, field in [("from 300", "from=" + "a" * 300 + "@app.test", "from"), ("tag 129", "tag=" + "t" * 129, "tag"),
                           ("to 300", "to=" + "r" * 300 + "@ok.test", "to")]:
    check("raw query " + what, timed_with_health("/v1/send/raw?" + query, (H + "\r\nx\r\n").encode(), "message/rfc822"), field)
finish()
PY
    _adv_py "$d/t.py"
}

# Bare line endings and NUL through every door: what the receiving server saves has CRLF only and
# no NUL, byte for byte; raw MIME with a bare CR or NUL is refused and nothing arrives.
test_adv_input_line_endings_at_the_receiving_server() {
    local d; d=$(test_tmp)
    cat >"$d/t.py" <<'PY'
import glob, re
sink = os.environ["SINKS"] + "/ok"
shapes = {"CR.CR": "one\r.\rtwo", "CRLF.CR": "one\r\n.\rtwo", "LF.LF": "one\n.\ntwo"}
sent = []   # (what, id)
for name, text in shapes.items():
    code, body, _ = post("/v1/send", json.dumps({"from": "a@app.test", "to": "adv-le@ok.test", "subject": f"send {name}",
                                                  "text": text, "html": f"<p>{text}</p>"}).encode())
    if code != 202: failures.append(f"send {name}: {code} {body[:200]!r}")
    else: sent.append((f"send {name}", json.loads(body)["id"]))
    code, body, _ = post("/v1/send/batch", json.dumps({"messages": [{"from": "a@app.test", "to": "adv-le@ok.test",
                                                                      "subject": f"batch {name}", "text": text}]}).encode())
    r = json.loads(body)["results"][0] if code == 200 else {}
    if r.get("status") != "accepted": failures.append(f"batch {name}: {code} {body[:200]!r}")
    else: sent.append((f"batch {name}", r["id"]))
code, body, _ = post("/v1/send/raw", b"From: a@app.test\nTo: adv-le@ok.test\nSubject: raw LF.LF\n\none\n.\nMAIL FROM:<x@y.test>\nlast\n", "message/rfc822")
if code != 202: failures.append(f"raw LF.LF: {code} {body[:200]!r}")
else: sent.append(("raw LF.LF", json.loads(body)["id"]))
for name, mime in [("CR.CR", b"From: a@app.test\r\nTo: adv-le@ok.test\r\nSubject: raw CR.CR\r\n\r\none\r.\rtwo\r\n"),
                   ("CRLF.CR", b"From: a@app.test\r\nTo: adv-le@ok.test\r\nSubject: raw CRLF.CR\r\n\r\none\r\n.\rtwo\r\n"),
                   ("NUL", b"From: a@app.test\r\nTo: adv-le@ok.test\r\nSubject: raw NUL\r\n\r\none\0two\r\n")]:
    code, body, _ = post("/v1/send/raw", mime, "message/rfc822")
    if code != 400: failures.append(f"raw {name}: {code}, expected 400")

def find(mid):
    for f in glob.glob(sink + "/*.eml"):
        data = open(f, "rb").read()
        if re.search(rb"(?im)^Message-ID:\s*<" + re.escape(mid.encode()) + rb">", data): return data
deadline = time.monotonic() + 60
pending = dict(sent)
while pending and time.monotonic() < deadline:
    for what, id in list(pending.items()):
        data = find(f"{id}@{os.environ['HELO_NAME']}")
        if data is None: continue
        del pending[what]
        nul = b"\0" in data; bare_cr = re.search(rb"\r(?!\n)", data); bare_lf = re.search(rb"(?<!\r)\n", data)
        if nul or bare_cr or bare_lf:
            failures.append(f"{what}: saved copy has NUL={nul} bare CR={bool(bare_cr)} bare LF={bool(bare_lf)}")
        if what.startswith("raw") and b"\r\n\r\none\r\n.\r\nMAIL FROM:<x@y.test>\r\nlast\r\n" not in data:
            failures.append(f"{what}: body did not arrive whole with CRLF: {data[-120:]!r}")
        if not re.search(rb"(?m)^Received: from \S+\r\n\tby " + re.escape(os.environ["HELO_NAME"].encode()) + rb" \(EmailApi\) with HTTPS?A id ", data):
            failures.append(f"{what}: no Received header naming HTTP(S)A")
        print(f"  {what}: arrived, {len(data)} bytes, CRLF only, no NUL")
    time.sleep(0.1)
for what in pending: failures.append(f"{what}: never arrived at the ok.test sink")
subjects = b"".join(open(f, "rb").read() for f in glob.glob(sink + "/*.eml"))
for name in ("CR.CR", "CRLF.CR", "NUL"):
    if f"Subject: raw {name}\r\n".encode() in subjects: failures.append(f"raw {name}: refused but a copy arrived")
finish()
PY
    HELO_NAME=$HELO_NAME _adv_py "$d/t.py"
}

# shellcheck shell=bash
# The SMTP bridge against clients nobody here wrote: swaks (AUTH PLAIN and LOGIN, STARTTLS,
# implicit TLS), Python smtplib (UTF-8 subject, 8-bit body), msmtp as a sendmail replacement and
# Nodemailer (when npm can install it). Each message must be acknowledged "250 2.0.0 ... queued
# as <id>", show up as source smtp in GET /v1/messages/<id>, and reach the ok.test MX with every
# header it was sent with (plus our Received) and the same body. Also: no AUTH -> 530, a wrong key
# -> 535, and an SMTP smuggling attempt -> 550 5.6.0 with nothing delivered.

# _smtp_message FILE CLIENT SUBJECT: write a plain message with a unique Message-ID; prints the id (no <>).
_smtp_message() {
    local file=$1 client=$2 subject=$3 mid
    mid="e2e-smtp-$client-$(date +%s%N)-$RANDOM@e2e.test"
    printf 'From: E2E %s <sender@app.test>\r\nTo: Alice <alice@ok.test>\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\nX-E2E-Client: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nHello from %s.\r\n.leading dot line\r\nend\r\n' \
        "$client" "$subject" "$mid" "$(date -R)" "$client" "$client" >"$file"
    echo "$mid"
}

# _smtp_queued_id FILE: the id from the last "queued as <id>" in a client's output.
_smtp_queued_id() { grep -oE 'queued as [0-9a-fA-F-]{36}' "$1" | tail -n 1 | awk '{print $3}'; }

# _smtp_expect_delivered SENT_FILE MESSAGE_ID QUEUED_ID: the status view says smtp and delivered,
# and the copy at the MX has the sent headers, our Received header and the same body.
_smtp_expect_delivered() {
    local sent=$1 mid=$2 id=$3 files f problems
    [[ -n $id ]] || { fail "no 'queued as <id>' in the client's output"; return 1; }
    wait_recipient "$id" alice@ok.test delivered || return 1
    expect_eq "$(json "$LAST_VIEW" 'j.get("source")')" smtp "source in GET /v1/messages/$id" || return 1
    files=$(wait_sink "$SINKS/ok" "$mid" 10) || { fail "delivered, but no message with Message-ID <$mid> reached the ok.test sink"; return 1; }
    for f in $files; do
        problems=$("$PY" - "$sent" "$f" <<'PY'
import email, sys
from email import policy
sent_raw, got_raw = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
sent = email.message_from_bytes(sent_raw, policy=policy.compat32)
got = email.message_from_bytes(got_raw, policy=policy.compat32)
norm = lambda v: " ".join(str(v).split())
for k, v in sent.items():
    have = [norm(x) for x in got.get_all(k) or []]
    if norm(v) not in have:
        print(f"header {k}: sent {norm(v)!r}, delivered {have!r}")
if not any("(EmailApi)" in norm(r) for r in got.get_all("Received") or []):
    print("no Received header added by EmailApi")
def body(raw):
    raw = raw.replace(b"\r\n", b"\n")
    i = raw.find(b"\n\n")
    return (raw[i + 2:] if i >= 0 else b"").rstrip(b"\n")   # a client may end the body with one more blank line
if body(sent_raw) != body(got_raw):
    print(f"body differs: sent {body(sent_raw)[:200]!r}, delivered {body(got_raw)[:200]!r}")
PY
        )
        [[ -z $problems ]] || { fail "the copy at the MX ($f) differs from what was sent:"; echo "$problems" | sed 's/^/      /'; return 1; }
    done
}

# swaks: AUTH PLAIN and LOGIN after STARTTLS, and AUTH PLAIN on the implicit-TLS port.
test_smtp_swaks_auth_plain_login_starttls_and_implicit_tls() {
    local d; d=$(test_tmp)
    local mode port tls mech mid id
    for mode in plain-starttls login-starttls plain-tls-on-connect login-plaintext-loopback; do
        case $mode in
            plain-starttls) port=$SMTP_PORT tls=(-tls) mech=PLAIN ;;
            login-starttls) port=$SMTP_PORT tls=(-tls) mech=LOGIN ;;
            plain-tls-on-connect) port=$SMTP_TLS_PORT tls=(--tls-on-connect) mech=PLAIN ;;
            login-plaintext-loopback) port=$SMTP_PORT tls=() mech=LOGIN ;;
        esac
        mid=$(_smtp_message "$d/$mode.eml" "swaks-$mode" "swaks $mode")
        swaks --server "127.0.0.1:$port" "${tls[@]}" --auth "$mech" --auth-user apikey --auth-password "$API_KEY" \
            --from sender@app.test --to alice@ok.test --data "@$d/$mode.eml" --timeout 30 >"$d/$mode.out" 2>&1 \
            || { fail "swaks $mode failed:"; tail -n 15 "$d/$mode.out" | sed 's/^/      /'; return 1; }
        id=$(_smtp_queued_id "$d/$mode.out")
        _smtp_expect_delivered "$d/$mode.eml" "$mid" "$id" || { note "swaks $mode:"; tail -n 12 "$d/$mode.out" | sed 's/^/      /'; return 1; }
        note "swaks $mode: queued as $id, delivered intact"
    done
}

# Python smtplib: STARTTLS, AUTH LOGIN, SMTPUTF8 with a raw UTF-8 subject and an 8-bit body.
test_smtp_python_smtplib_utf8_subject_8bit_body() {
    local d; d=$(test_tmp)
    local mid="e2e-smtp-python-$(date +%s%N)@e2e.test"
    "$PY" - "$d" "$mid" "$SMTP_PORT" "$API_KEY" <<'PY' || { fail "smtplib session failed (see above)"; return 1; }
import smtplib, ssl, sys, email.utils
d, mid, port, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
raw = ("From: Jürgen Müller <sender@app.test>\r\n"
       "To: Alice <alice@ok.test>\r\n"
       "Subject: Grüße aus Köln ✓ — smtplib\r\n"
       f"Message-ID: <{mid}>\r\n"
       f"Date: {email.utils.formatdate()}\r\n"
       "MIME-Version: 1.0\r\n"
       "Content-Type: text/plain; charset=utf-8\r\n"
       "Content-Transfer-Encoding: 8bit\r\n"
       "\r\n"
       "Hallo Alice, äöü ß € 日本語.\r\n"
       "Zweite Zeile.\r\n").encode("utf-8")
open(f"{d}/sent.eml", "wb").write(raw)
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.ehlo("python.e2e.test")
    s.starttls(context=ctx)
    s.ehlo("python.e2e.test")
    assert s.has_extn("smtputf8") and s.has_extn("8bitmime") and s.has_extn("enhancedstatuscodes"), s.esmtp_features
    s.login("apikey", key)
    code, msg = s.mail("sender@app.test", ["SMTPUTF8", "BODY=8BITMIME"]); assert code == 250, (code, msg)
    code, msg = s.rcpt("alice@ok.test"); assert code == 250, (code, msg)
    code, msg = s.data(raw)
    print(f"DATA reply: {code} {msg.decode()}")
    assert code == 250, (code, msg)
    open(f"{d}/reply.txt", "w").write(msg.decode())
PY
    local id; id=$(_smtp_queued_id "$d/reply.txt")
    _smtp_expect_delivered "$d/sent.eml" "$mid" "$id" || return 1
    expect_eq "$(json "$LAST_VIEW" 'j.get("subject")')" "Grüße aus Köln ✓ — smtplib" "subject in the status view" || return 1
    note "smtplib: queued as $id, delivered with UTF-8 subject and 8-bit body intact"
}

# msmtp as a sendmail replacement (-t: recipients from the headers), the way cron and PHP use it.
test_smtp_msmtp_as_sendmail() {
    local d; d=$(test_tmp)
    local mid; mid=$(_smtp_message "$d/sent.eml" msmtp "msmtp as sendmail")
    cat >"$d/msmtprc" <<EOF2
defaults
tls on
tls_starttls on
tls_certcheck off
logfile $d/msmtp.log
account e2e
host 127.0.0.1
port $SMTP_PORT
auth on
user apikey
password $API_KEY
from sender@app.test
account default : e2e
EOF2
    chmod 600 "$d/msmtprc"
    # sendmail input has LF line endings; msmtp turns them into CRLF.
    tr -d '\r' <"$d/sent.eml" | msmtp -C "$d/msmtprc" -t >"$d/msmtp.out" 2>&1 \
        || { fail "msmtp failed:"; sed 's/^/      /' "$d/msmtp.out" "$d/msmtp.log" 2>/dev/null | tail -n 15; return 1; }
    local id; id=$(_smtp_queued_id "$d/msmtp.log")
    _smtp_expect_delivered "$d/sent.eml" "$mid" "$id" || { sed 's/^/      /' "$d/msmtp.log"; return 1; }
    note "msmtp: queued as $id, delivered intact"
}

# Nodemailer from npm, when the registry is reachable and it installs.
test_smtp_nodemailer() {
    local d; d=$(test_tmp)
    if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
        note "node/npm not installed: Nodemailer check skipped"; return 0
    fi
    local cache="${E2E_NODE_CACHE:-${TMPDIR:-/tmp}/emailapi-e2e-nodemailer}"
    if [[ ! -d $cache/node_modules/nodemailer ]]; then
        mkdir -p "$cache"
        if ! (cd "$cache" && timeout 180 npm install --no-audit --no-fund --silent nodemailer >"$d/npm.out" 2>&1); then
            note "npm could not install nodemailer (offline?): check skipped"; sed 's/^/      /' "$d/npm.out" | tail -n 5; return 0
        fi
    fi
    local mid="e2e-smtp-nodemailer-$(date +%s%N)@e2e.test"
    NODE_PATH="$cache/node_modules" node - "$d" "$mid" "$SMTP_PORT" "$API_KEY" >"$d/node.out" 2>&1 <<'JS' || { fail "Nodemailer failed:"; sed 's/^/      /' "$d/node.out"; return 1; }
const nodemailer = require("nodemailer");
const fs = require("fs");
const [d, mid, port, key] = process.argv.slice(2);
(async () => {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1", port: Number(port), secure: false, requireTLS: true,
    auth: { user: "apikey", pass: key }, tls: { rejectUnauthorized: false },
  });
  const message = {
    from: "E2E Nodemailer <sender@app.test>", to: "Alice <alice@ok.test>",
    subject: "Nodemailer ✓ e2e", text: "Hello from Nodemailer, äöü.\n", messageId: `<${mid}>`,
    headers: { "X-E2E-Client": "nodemailer" },
  };
  // Build the exact bytes first, so the test knows what was sent, then send those bytes.
  const raw = await new Promise((ok, ko) => nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" })
    .sendMail(message, (e, info) => e ? ko(e) : ok(info.message)));
  fs.writeFileSync(`${d}/sent.eml`, raw);
  const info = await transport.sendMail({ envelope: { from: "sender@app.test", to: ["alice@ok.test"] }, raw });
  console.log(info.response);
  fs.writeFileSync(`${d}/reply.txt`, info.response);
})().catch(e => { console.error(e); process.exit(1); });
JS
    local id; id=$(_smtp_queued_id "$d/reply.txt")
    _smtp_expect_delivered "$d/sent.eml" "$mid" "$id" || return 1
    note "Nodemailer $(cd "$cache" && node -p 'require("nodemailer/package.json").version'): queued as $id, delivered intact"
}

# No open relay and no key guessing: MAIL without AUTH is 530 5.7.0, a wrong key 535 5.7.8.
test_smtp_refuses_without_auth_and_with_wrong_key() {
    local d; d=$(test_tmp)
    swaks --server "127.0.0.1:$SMTP_PORT" --from sender@app.test --to alice@ok.test --timeout 15 >"$d/noauth.out" 2>&1
    grep -qE '^<.* 530 5\.7\.0 ' "$d/noauth.out" || { fail "MAIL without AUTH should get 530 5.7.0:"; tail -n 8 "$d/noauth.out" | sed 's/^/      /'; return 1; }
    swaks --server "127.0.0.1:$SMTP_PORT" -tls --auth PLAIN --auth-user apikey --auth-password ea_wrong_key_e2e \
        --from sender@app.test --to alice@ok.test --timeout 15 >"$d/wrong.out" 2>&1
    grep -qE '^<.* 535 5\.7\.8 ' "$d/wrong.out" || { fail "a wrong key should get 535 5.7.8:"; tail -n 8 "$d/wrong.out" | sed 's/^/      /'; return 1; }
}

# SMTP smuggling: a dot line ended by a bare LF must not end the message, the commands behind it
# must not run, and nothing of it may reach the MX.
test_smtp_smuggling_is_refused_and_nothing_delivered() {
    local d; d=$(test_tmp)
    local outer="e2e-smuggle-outer-$(date +%s%N)@e2e.test" inner="e2e-smuggle-inner-$(date +%s%N)@e2e.test"
    "$PY" - "$SMTP_PORT" "$API_KEY" "$outer" "$inner" <<'PY' || { fail "smuggling session did not go as expected (see above)"; return 1; }
import base64, socket, sys
port, key, outer, inner = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.create_connection(("127.0.0.1", port), timeout=20)
f = s.makefile("rb")
def reply():
    lines = []
    while True:
        line = f.readline().decode().rstrip("\r\n"); lines.append(line)
        if len(line) < 4 or line[3] == " ": return "\n".join(lines)
def cmd(line):
    s.sendall(line.encode() + b"\r\n"); return reply()
reply()
cmd("EHLO smuggler.e2e.test")
assert cmd("AUTH PLAIN " + base64.b64encode(f"\0apikey\0{key}".encode()).decode()).startswith("235")
assert cmd("MAIL FROM:<sender@app.test>").startswith("250")
assert cmd("RCPT TO:<alice@ok.test>").startswith("250")
assert cmd("DATA").startswith("354")
s.sendall((f"From: sender@app.test\r\nTo: alice@ok.test\r\nMessage-ID: <{outer}>\r\nSubject: innocent\r\n\r\nhello\n.\r\n"
           f"MAIL FROM:<ceo@app.test>\r\nRCPT TO:<alice@ok.test>\r\nDATA\r\nFrom: ceo@app.test\r\nMessage-ID: <{inner}>\r\nSubject: smuggled\r\n\r\npay now\r\n.\r\n").encode())
r = reply(); print("reply to the smuggling attempt:", r)
assert r.startswith("550 5.6.0"), r
n = cmd("NOOP"); assert n == "250 2.0.0 Ok", f"a smuggled command was answered: {n!r}"
cmd("QUIT")
PY
    # Anything the session had queued would be due before a message sent now to the same
    # destination: once that one is delivered, the sender has gone past whatever came before it.
    make_message "$d/canary.json" '{"to": "alice@ok.test", "subject": "after the smuggling attempt"}'
    send_ok "$d/canary.json" || return 1
    wait_recipient "$SENT_ID" alice@ok.test delivered || return 1
    local found
    found=$(sink_find "$SINKS/ok" "$inner"; sink_find "$SINKS/ok" "$outer")
    [[ -z $found ]] || { fail "part of the smuggling attempt reached the MX: $found"; return 1; }
}

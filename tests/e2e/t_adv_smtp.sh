# shellcheck shell=bash
# Adversarial SMTP: malformed input over a raw socket (python3), each piece of which must get a
# 5xx reply (never silence or a dropped connection without a reply), with the service still
# answering afterwards; the per-client-address session limit seen from outside (one address
# holding Smtp:MaxSessionsPerAddress sessions gets 421 4.7.0 while another address gets 220);
# and a key revoked while a session that logged in with it is open (530 5.7.0 on its next MAIL).

# _adv_smtp_corpus: run the corpus; prints one line per failed case, nothing when all pass.
_adv_smtp_corpus() {
    "$PY" - "$SMTP_PORT" "$API_KEY" <<'PY'
import base64, socket, sys, time

port, key = int(sys.argv[1]), sys.argv[2]
auth_plain = b"AUTH PLAIN " + base64.b64encode(b"\0apikey\0" + key.encode())

def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    return s, s.makefile("rb")

def reply(f):
    """One whole reply; lines joined with ' | '. None when the server closed without a reply."""
    lines = []
    while True:
        line = f.readline()
        if not line:
            return None if not lines else " | ".join(lines)
        text = line.decode("latin-1").rstrip("\r\n")
        lines.append(text)
        if len(text) < 4 or text[3] != "-":
            return " | ".join(lines)

def session(login=False):
    s, f = connect()
    assert reply(f).startswith("220"), "no greeting"
    s.sendall(b"EHLO adversary.test\r\n")
    assert reply(f).startswith("250"), "EHLO refused"
    if login:
        s.sendall(auth_plain + b"\r\n")
        r = reply(f)
        assert r.startswith("235"), f"AUTH refused: {r}"
    return s, f

# (name, log in first, setup lines, hostile bytes, how many replies the hostile bytes get)
cases = [
    ("overlong command line", False, [], b"NOOP " + b"a" * 5000 + b"\r\n", 1),
    ("NUL in a command", False, [], b"EHLO ev\0il.test\r\n", 1),
    ("NUL in MAIL FROM", True, [], b"MAIL FROM:<a\0b@example.com>\r\n", 1),
    ("NUL in the verb", False, [], b"NO\0OP\r\n", 1),
    ("8-bit in the verb", False, [], b"N\xc3\x96OP\r\n", 1),
    ("8-bit in EHLO", False, [], b"EHLO h\xe9llo.test\r\n", 1),
    ("8-bit in MAIL FROM without SMTPUTF8", True, [], b"MAIL FROM:<\xff\xfe@example.com>\r\n", 1),
    ("AUTH PLAIN initial response not base64", False, [], b"AUTH PLAIN !!!notbase64!!!\r\n", 1),
    ("AUTH LOGIN response not base64", False, [b"AUTH LOGIN"], b"%%%%\r\n", 1),
    ("AUTH PLAIN response not base64", False, [b"AUTH PLAIN"], b"a\0b\r\n", 1),
    ("AUTH unknown mechanism", False, [], b"AUTH CRAM-SHA9 abc\r\n", 1),
    ("repeated MAIL parameter", True, [], b"MAIL FROM:<a@example.com> SMTPUTF8 SMTPUTF8\r\n", 1),
    ("repeated MAIL parameter, other case", True, [], b"MAIL FROM:<a@example.com> BODY=8BITMIME body=7bit\r\n", 1),
    ("RCPT with a broken address", True, [b"MAIL FROM:<a@example.com>"], b"RCPT TO:<bad@@x>\r\n", 1),
    ("MAIL with a broken address", True, [], b"MAIL FROM:<<>>\r\n", 1),
    ("unknown verb", False, [], b"XYZZY plugh\r\n", 1),
    ("DATA without a transaction", True, [], b"DATA\r\n", 1),
    ("pipelined garbage", False, [], b"GARBAGE one\r\n\x01\x02\x03\r\nMAIL\r\n", 3),
    ("PROXY header after the greeting", False, [], b"PROXY TCP4 192.0.2.1 127.0.0.1 1234 25\r\n", 1),
]

failures = []
for name, login, setup, hostile, expected in cases:
    try:
        s, f = session(login)
        for line in setup:
            s.sendall(line + b"\r\n")
            r = reply(f)
            assert r and r[0] in "23", f"setup {line!r} answered {r}"
        s.sendall(hostile)
        for i in range(expected):
            r = reply(f)
            if r is None:
                failures.append(f"{name}: connection closed without a reply (reply {i + 1} of {expected})")
                break
            if not r.startswith("5"):
                failures.append(f"{name}: reply {i + 1} was {r!r}, expected 5xx")
            elif len(r) < 9 or r[4] != "5" or r[5] != ".":
                failures.append(f"{name}: reply {i + 1} {r!r} has no enhanced status code")
        s.close()
    except Exception as e:
        failures.append(f"{name}: {type(e).__name__}: {e}")
    # The service still answers, on a new connection, the whole dialogue.
    try:
        s, f = session(login=False)
        s.sendall(b"NOOP\r\n")
        r = reply(f)
        if not (r or "").startswith("250"):
            failures.append(f"after {name}: NOOP on a new connection answered {r!r}")
        s.sendall(b"QUIT\r\n")
        reply(f)
        s.close()
    except Exception as e:
        failures.append(f"after {name}: the service did not answer a new connection: {type(e).__name__}: {e}")

for line in failures:
    print(line)
PY
}

test_adv_smtp_malformed_input_gets_5xx_and_service_answers() {
    local out
    out=$(_adv_smtp_corpus 2>&1)
    if [[ -n $out ]]; then
        fail "malformed SMTP input was not answered as it should:"
        echo "$out" | sed 's/^/      /'
        return 1
    fi
}

# One client address may hold Smtp:MaxSessionsPerAddress sessions (default 20); the next gets
# 421 4.7.0 and is closed, while a client from another loopback address still gets 220.
test_adv_smtp_per_address_session_limit() {
    local out
    out=$("$PY" - "$SMTP_PORT" <<'PY'
import socket, sys

port, limit = int(sys.argv[1]), 20
def greet(source):
    s = socket.socket()
    s.settimeout(15)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s, s.makefile("rb").readline().decode("latin-1").rstrip("\r\n")

held, problems = [], []
for i in range(limit):
    s, g = greet("127.0.0.1")
    held.append(s)
    if not g.startswith("220"):
        problems.append(f"connection {i + 1} of {limit} from 127.0.0.1 got {g!r}, expected 220")
s, g = greet("127.0.0.1")
if not g.startswith("421 4.7.0"):
    problems.append(f"connection {limit + 1} from 127.0.0.1 got {g!r}, expected 421 4.7.0")
elif s.makefile("rb").readline() != b"":
    problems.append("the refused connection was not closed")
s.close()
o, g = greet("127.0.0.2")
if not g.startswith("220"):
    problems.append(f"a connection from 127.0.0.2 got {g!r} while 127.0.0.1 was at its limit, expected 220")
o.close()
for s in held:
    s.close()
print("\n".join(problems))
PY
)
    if [[ -n $out ]]; then
        fail "per-address session limit:"
        echo "$out" | sed 's/^/      /'
        return 1
    fi
    # The held sessions are gone once closed: 127.0.0.1 is served again.
    local deadline=$((SECONDS + 20)) greeting
    while :; do
        greeting=$("$PY" -c "
import socket,sys
s=socket.create_connection(('127.0.0.1',$SMTP_PORT),timeout=10)
print(s.makefile('rb').readline().decode('latin-1').strip())" 2>&1)
        [[ $greeting == 220* ]] && return 0
        ((SECONDS >= deadline)) && { fail "127.0.0.1 still refused 20 s after closing its sessions: $greeting"; return 1; }
        sleep 0.1
    done
}

# A key revoked through the admin API stops an SMTP session that logged in with it before: the
# next MAIL FROM on the same connection is refused with 530 5.7.0 and nothing more is queued.
test_adv_smtp_revoked_key_stops_open_session() {
    local account key_id key out
    auth_http GET /v1/account
    [[ $HTTP_CODE == 200 ]] || { fail "GET /v1/account answered $HTTP_CODE"; return 1; }
    account=$(json "$HTTP_BODY" 'j["id"]')
    auth_http POST "/v1/accounts/$account/keys" -H 'Content-Type: application/json' --data '{"name":"adv-smtp","scopes":["send"]}'
    [[ $HTTP_CODE == 201 ]] || { fail "creating a key answered $HTTP_CODE: $(body_excerpt)"; return 1; }
    key_id=$(json "$HTTP_BODY" 'j["id"]')
    key=$(json "$HTTP_BODY" 'j["key"]')
    local fifo d; d=$(test_tmp); fifo="$d/revoke"
    mkfifo "$fifo"
    # The client logs in and sends one message, then waits (on the fifo) while the key is revoked.
    "$PY" - "$SMTP_PORT" "$key" "$fifo" >"$d/client.out" 2>&1 <<'PY' &
import smtplib, sys
port, key, fifo = int(sys.argv[1]), sys.argv[2], sys.argv[3]
msg = "From: sender@app.test\r\nTo: alice@ok.test\r\nSubject: adv revoke {}\r\n\r\nbody\r\n"
s = smtplib.SMTP("127.0.0.1", port, timeout=15)
s.login("apikey", key)
print("first:", s.sendmail("sender@app.test", ["alice@ok.test"], msg.format(1)) or "ok")
print("ready", flush=True)
open(fifo).read()
try:
    s.sendmail("sender@app.test", ["alice@ok.test"], msg.format(2))
    print("second: accepted")
except smtplib.SMTPSenderRefused as e:
    print(f"second: refused {e.smtp_code} {e.smtp_error.decode()}")
except Exception as e:
    print(f"second: {type(e).__name__}: {e}")
PY
    local client=$! deadline=$((SECONDS + 30))
    until grep -q '^ready' "$d/client.out" 2>/dev/null; do
        ((SECONDS >= deadline)) && { fail "the SMTP client did not get its first message through: $(cat "$d/client.out")"; kill "$client" 2>/dev/null; return 1; }
        kill -0 "$client" 2>/dev/null || { fail "the SMTP client ended early: $(cat "$d/client.out")"; return 1; }
        sleep 0.1
    done
    auth_http DELETE "/v1/accounts/$account/keys/$key_id"
    echo go >"$fifo"
    wait "$client"
    [[ $HTTP_CODE == 204 ]] || { fail "revoking the key answered $HTTP_CODE"; return 1; }
    out=$(cat "$d/client.out")
    [[ $out == *"first: ok"* ]] || { fail "the first message was not accepted: $out"; return 1; }
    [[ $out == *"second: refused 530 5.7.0"* ]] || { fail "after the revocation the same session got: $out (expected 530 5.7.0)"; return 1; }
    auth_http GET "/v1/messages"
    local n
    n=$(json "$HTTP_BODY" 'sum(1 for m in j["items"] if m.get("subject") == "adv revoke 1")')
    expect_eq "$n" 1 "messages queued before the revocation" || return 1
    n=$(json "$HTTP_BODY" 'sum(1 for m in j["items"] if m.get("subject") == "adv revoke 2")')
    expect_eq "$n" 0 "messages queued after the revocation" || return 1
}

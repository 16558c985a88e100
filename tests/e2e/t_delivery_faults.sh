# shellcheck shell=bash
# Delivery faults end to end, with retries seconds apart so that what the service does on the
# second and third attempt shows up within a test: a destination that is down and comes back, one
# that answers 451 a few times and then 250, 550 with the bounce notification (RFC 3464) that goes
# back to the envelope sender, and null MX / NXDOMAIN that must not be retried at all.
#
# These tests use their own service instance ("faults": own database, own ports) and their own
# small DNS zone (a second dnsmasq on a free port) with MX hosts on 127.0.4.x, all on one free
# port, so the shared service keeps its production retry schedule and the shared world its records:
#
#   down.test     MX 10 -> 127.0.4.1   nothing listens until the test starts a sink there
#   flaky.test    MX 10 -> 127.0.4.2   sink "save --tempfail-first 2", started by its test
#   reject.test   MX 10 -> 127.0.4.3   sink "reject" (550 5.1.1 to RCPT)
#   senders.test  MX 10 -> 127.0.4.4   sink "save": the envelope senders' own mailboxes (DSNs land here)
#   nullmx.test   MX 0 .               (RFC 7505)
#   anything else under .test          NXDOMAIN
#
# Covered elsewhere, not repeated here: a domain with only an A record is delivered to that
# address (t_delivery.sh: test_delivery_no_mx_falls_back_to_a_record); null MX and NXDOMAIN fail
# on the shared service too (test_delivery_null_mx_and_nxdomain_fail_without_retry), but there
# the next retry would be a minute away, so only the test below can see a wrongly scheduled one.

FAULTS_RETRY_DELAY=${FAULTS_RETRY_DELAY:-00:00:02}

# _faults_up: start the faults world on first use (later tests reuse it; the harness stops it at
# the end) and point BASE_URL at the faults instance. Sets FAULTS_* variables.
_faults_up() {
    local env="$E2E_DIR/faults/env"
    mkdir -p "$E2E_DIR/faults"
    # A test that timed out takes its process group down, and with it whatever it started:
    # rebuild the world (new ports, same database) when a part of it is gone.
    if [[ -f $env ]]; then
        # shellcheck disable=SC1090
        source "$env"
        local p alive=1
        for p in $FAULTS_WORLD_PIDS; do pid_alive "$p" || alive=0; done
        if ((alive == 0)); then
            for p in $FAULTS_WORLD_PIDS; do stop_pid "$p" 5; done
            stop_emailapi faults
            rm -f "$env"
        fi
    fi
    if [[ ! -f $env ]]; then
        local dns_port mx_port http_port smtp_port
        dns_port=$(free_port); mx_port=$(free_port); http_port=$(free_port); smtp_port=$(free_port)
        while [[ $smtp_port == "$http_port" ]]; do smtp_port=$(free_port); done
        DNSMASQ_NAME=dnsmasq-faults start_dnsmasq "$dns_port" \
            --local=/test/ \
            --mx-host=down.test,mx.down.test,10 --host-record=mx.down.test,127.0.4.1 \
            --mx-host=flaky.test,mx.flaky.test,10 --host-record=mx.flaky.test,127.0.4.2 \
            --mx-host=reject.test,mx.reject.test,10 --host-record=mx.reject.test,127.0.4.3 \
            --mx-host=senders.test,mx.senders.test,10 --host-record=mx.senders.test,127.0.4.4 \
            --mx-host=nullmx.test,.,0 \
            || { fail "faults world: dnsmasq did not start on 127.0.0.1:$dns_port"; return 1; }
        local got pids
        pids=$(awk '$3 == "dnsmasq-faults" {p = $1} END {print p}' "$PEERS_DIR/pids")
        got=$(dns_query senders.test MX 127.0.0.1 "$dns_port")
        [[ $got == "NOERROR MX 10 mx.senders.test" ]] || { fail "faults dnsmasq: senders.test MX answer unexpected: $got"; return 1; }
        SINK_PORT=$mx_port start_sink faults-reject 127.0.4.3 reject || { fail "faults world: reject sink"; return 1; }
        pids+=" $SINK_PID"
        SINK_PORT=$mx_port start_sink faults-senders 127.0.4.4 save "$E2E_DIR/faults/senders" || { fail "faults world: senders sink"; return 1; }
        pids+=" $SINK_PID"
        {
            echo "FAULTS_WORLD_PIDS='$pids'"
            echo "FAULTS_DNS_PORT=$dns_port"
            echo "FAULTS_MX_PORT=$mx_port"
            echo "FAULTS_URL=http://127.0.0.1:$http_port"
            echo "FAULTS_SMTP_PORT=$smtp_port"
            echo "FAULTS_SENDERS=$E2E_DIR/faults/senders"
        } >"$env"
        # shellcheck disable=SC1090
        source "$env"
        {
            echo "Urls=$FAULTS_URL"
            echo "Roles=api,smtp,sender"
            echo "Storage__Sqlite__Path=$E2E_DIR/faults/q.db"
            echo "Bootstrap__ApiKey=$API_KEY"
            echo "Delivery__DnsServers__0=127.0.0.1:$dns_port"
            echo "Delivery__Port=$mx_port"
            echo "Delivery__HeloName=$HELO_NAME"
            echo "Delivery__RetryDelays__0=$FAULTS_RETRY_DELAY"
            echo "Delivery__RetryDelays__1=$FAULTS_RETRY_DELAY"
            echo "Delivery__PollInterval=00:00:00.200"
            echo "Delivery__ConnectTimeout=00:00:05"
            echo "Delivery__DsnForApi=true"
            echo "Smtp__Address=127.0.0.1"
            echo "Smtp__Port=$smtp_port"
            echo "Smtp__ImplicitTlsPort=-1"
        } >"$E2E_DIR/faults/service.env"
    fi
    # shellcheck disable=SC1090
    source "$env"
    local p; p=$(cat "$PEERS_DIR/emailapi-faults.pid" 2>/dev/null)
    if [[ -z $p ]] || ! pid_alive "$p"; then
        local vars=()
        mapfile -t vars <"$E2E_DIR/faults/service.env"
        start_emailapi faults "${vars[@]}" || { fail "the faults instance of EmailApi did not start"; return 1; }
    fi
    BASE_URL=$FAULTS_URL
}

# _faults_run FUNCTION: run a test body against the faults world; on failure show that
# instance's log (the harness only shows the shared service's).
_faults_run() {
    local log="$PEERS_DIR/logs/emailapi-faults.log" offset
    _faults_up || { tail -n 25 "$log" 2>/dev/null | sed 's/^/      | /'; return 1; }
    offset=$(stat -c %s "$log" 2>/dev/null || echo 0)
    "$@" && return 0
    echo "    faults instance log during the test (last 25 lines):"
    tail -c +"$((offset + 1))" "$log" 2>/dev/null | tail -n 25 | sed 's/^/      | /'
    return 1
}

_faults_uniq() { echo "$(date +%s%N | tail -c 10)$RANDOM"; }

# _faults_copies DIR MESSAGE_ID: how many copies with that Message-ID are in sink DIR.
_faults_copies() { sink_find "$1" "$2" | grep -c . ; }

# _faults_wait_attempts ID EMAIL N TIMEOUT: wait until EMAIL of ID has at least N attempts.
_faults_wait_attempts() {
    local id=$1 email=$2 n=$3 deadline=$((SECONDS + $4)) attempts
    while :; do
        get_message "$id"
        attempts=$(recipient_field "$HTTP_BODY" "$email" attempts)
        [[ $attempts =~ ^[0-9]+$ ]] && ((attempts >= n)) && return 0
        ((SECONDS >= deadline)) && { fail "after $4 s $email of $id has '$attempts' attempts, expected >= $n: $(describe_view "$HTTP_BODY")"; return 1; }
        sleep 0.1
    done
}

# _faults_dsn_files DIR SENDER: saved messages in DIR whose envelope recipient is SENDER.
_faults_dsn_files() {
    "$PY" - "$1" "$2" <<'PY'
import glob, json, os, sys
d, who = sys.argv[1], sys.argv[2].lower()
for meta in sorted(glob.glob(os.path.join(d, "*.json"))):
    try:
        j = json.load(open(meta))
    except Exception:
        continue
    if who in [r.lower() for r in j.get("rcpt_tos", [])]:
        print(meta[: -len(".json")] + ".eml")
PY
}

# _faults_check_dsn EML SENDER FAILED_RCPT ORIGINAL_MESSAGE_ID: the saved message is a delivery
# status notification (RFC 3464) about FAILED_RCPT, sent from the null sender to SENDER, quoting
# the original's headers. Prints one line per problem; prints the DSN's own Message-ID first.
_faults_check_dsn() {
    "$PY" - "$@" <<'PY'
import email, json, sys
from email import policy
eml, sender, rcpt, orig_mid = sys.argv[1:5]
meta = json.load(open(eml[: -len(".eml")] + ".json"))
msg = email.message_from_bytes(open(eml, "rb").read(), policy=policy.compat32)
print("MID", (msg.get("Message-ID") or "").strip().strip("<>"))
problems = []
if meta.get("mail_from") not in ("", "<>"):
    problems.append(f"envelope sender is {meta.get('mail_from')!r}, expected the null sender <> (RFC 5321 §4.5.5)")
if [r.lower() for r in meta.get("rcpt_tos", [])] != [sender.lower()]:
    problems.append(f"envelope recipients {meta.get('rcpt_tos')}, expected [{sender}]")
if msg.get_content_type() != "multipart/report" or (msg.get_param("report-type") or "").lower() != "delivery-status":
    problems.append(f"Content-Type is {msg.get('Content-Type')!r}, expected multipart/report; report-type=delivery-status")
else:
    parts = msg.get_payload()
    types = [p.get_content_type() for p in parts]
    if len(parts) < 2 or types[1] != "message/delivery-status":
        problems.append(f"parts are {types}, expected text/plain, message/delivery-status[, original]")
    status = next((p for p in parts if p.get_content_type() == "message/delivery-status"), None)
    if status is not None:
        # compat32 parses message/delivery-status into a list of header blocks.
        blocks = status.get_payload()
        text = "\n".join(b.as_string() for b in blocks) if isinstance(blocks, list) else str(blocks)
        low = text.lower()
        if f"final-recipient: rfc822; {rcpt.lower()}" not in " ".join(low.split()).replace(";  ", "; "):
            problems.append(f"no 'Final-Recipient: rfc822; {rcpt}' in the status part: {text[:300]!r}")
        if "action: failed" not in low:
            problems.append(f"no 'Action: failed' in the status part: {text[:300]!r}")
        if "status: 5." not in low:
            problems.append(f"no permanent 'Status: 5.x.x' in the status part: {text[:300]!r}")
    original = [p for p in parts if p.get_content_type() in ("text/rfc822-headers", "message/rfc822")]
    if not original:
        problems.append(f"the original message or its headers are not attached (parts: {types})")
    elif orig_mid and orig_mid.lower() not in original[0].as_string().lower():
        problems.append(f"the attached original does not carry Message-ID <{orig_mid}>")
to = (msg.get("To") or "").lower()
if sender.lower() not in to:
    problems.append(f"To: is {msg.get('To')!r}, expected the envelope sender {sender}")
for p in problems:
    print(p)
PY
}

# _faults_expect_one_dsn SENDER FAILED_RCPT ORIGINAL_MESSAGE_ID [ORIGINAL_ID]: exactly one DSN reaches the
# sender's mailbox, well formed; the DSN itself is a queued message of source "dsn". Sets DSN_FILE.
_faults_expect_one_dsn() {
    local sender=$1 rcpt=$2 orig_mid=$3 orig_id=${4:-} files="" deadline=$((SECONDS + 30)) out mid
    while :; do
        files=$(_faults_dsn_files "$FAULTS_SENDERS" "$sender")
        [[ -n $files ]] && break
        ((SECONDS >= deadline)) && { fail "no bounce notification reached $sender's mailbox (senders.test sink) within 30 s"; return 1; }
        sleep 0.1
    done
    DSN_FILE=$(head -n 1 <<<"$files")
    out=$(_faults_check_dsn "$DSN_FILE" "$sender" "$rcpt" "$orig_mid")
    mid=$(sed -n 's/^MID //p' <<<"$out")
    if grep -qv '^MID ' <<<"$out"; then
        fail "the bounce notification to $sender ($DSN_FILE) is not a proper DSN:"
        grep -v '^MID ' <<<"$out" | sed 's/^/      /'
        return 1
    fi
    # One notification, not one per retry or per sender pass. A notification is committed with the
    # bounce it reports, so a second one needs a second bounce of that recipient: once the first
    # notification is delivered and the original shows one bounce, nothing more can come.
    local dsn_id=${mid%@*}
    get_message "$dsn_id"
    if [[ $HTTP_CODE == 200 ]]; then wait_recipient "$dsn_id" "$sender" delivered 30 || return 1; fi
    local bounces
    if [[ -n $orig_id ]]; then
        get_message "$orig_id"
        bounces=$(json "$HTTP_BODY" "sum(1 for e in j.get('events', []) if e.get('type') == 'bounced' and e.get('recipient') == '$rcpt')")
        expect_eq "$bounces" 1 "bounce events of $rcpt in $orig_id" || return 1
    fi
    local n; n=$(_faults_dsn_files "$FAULTS_SENDERS" "$sender" | grep -c .)
    expect_eq "$n" 1 "bounce notifications that reached $sender" || return 1
    # The notification went through the queue like any message: source dsn, delivered.
    get_message "$dsn_id"
    if [[ $HTTP_CODE == 200 ]]; then
        expect_eq "$(json "$HTTP_BODY" 'j.get("source")')" dsn "source of the notification $dsn_id" || return 1
        note "DSN $dsn_id: $(describe_view "$HTTP_BODY")"
    else
        note "DSN Message-ID <$mid> is not a queue id readable through GET /v1/messages ($HTTP_CODE)"
    fi
}

# 1. The only MX refuses connections (nothing listens); the message is deferred and retried.
# When a receiving MTA comes up there, it gets the message exactly once.
test_faults_down_destination_delivered_once_when_it_comes_up() { _faults_run _faults_down_then_up; }
_faults_down_then_up() {
    local d; d=$(test_tmp)
    local rcpt="later-$(_faults_uniq)@down.test"
    make_message "$d/req.json" "{\"to\": \"$rcpt\", \"subject\": \"down, then up\"}"
    send_ok "$d/req.json" || return 1
    local id=$SENT_ID mid; mid=$(message_id_for "$id")
    # Two failed attempts: the retry schedule runs while the destination is down.
    _faults_wait_attempts "$id" "$rcpt" 2 20 || return 1
    get_message "$id"
    local st last
    st=$(recipient_field "$HTTP_BODY" "$rcpt" status); last=$(recipient_field "$HTTP_BODY" "$rcpt" lastResponse)
    [[ $st == deferred || $st == sending ]] || { fail "with nothing listening on the MX, status is '$st', expected deferred: $(describe_view "$HTTP_BODY")"; return 1; }
    note "while down: $st, last: $last"
    SINK_PORT=$FAULTS_MX_PORT start_sink faults-down 127.0.4.1 save "$d/sink" || { fail "could not start the sink for down.test"; return 1; }
    local sink=$SINK_PID
    wait_recipient "$id" "$rcpt" delivered 30 || { stop_pid "$sink" 5; return 1; }
    # Delivered is final: the queue never leases the recipient again, and the sink keeps its copy
    # before it answers 250, so every copy there will ever be is there now.
    local copies attempts
    copies=$(_faults_copies "$d/sink" "$mid")
    get_message "$id"
    attempts=$(recipient_field "$HTTP_BODY" "$rcpt" attempts)
    st=$(recipient_field "$HTTP_BODY" "$rcpt" status)
    stop_pid "$sink" 5
    expect_eq "$copies" 1 "copies of <$mid> at the MX after it came up" || return 1
    expect_eq "$st" delivered "status 5 s after delivery" || return 1
    [[ $attempts =~ ^[0-9]+$ ]] && ((attempts >= 3)) || { fail "attempts is '$attempts', expected >= 3 (2 refused, 1 delivered)"; return 1; }
    note "delivered once after $attempts attempts"
}

# 2. The MX answers 451 to the first two RCPTs, then 250: delivered on the third attempt, once.
test_faults_451_then_250_delivered_after_retries() { _faults_run _faults_tempfail_then_ok; }
_faults_tempfail_then_ok() {
    local d; d=$(test_tmp)
    SINK_PORT=$FAULTS_MX_PORT start_sink faults-flaky 127.0.4.2 save "$d/sink" --tempfail-first 2 \
        || { fail "could not start the flaky sink"; return 1; }
    local sink=$SINK_PID
    local rcpt="flaky-$(_faults_uniq)@flaky.test"
    make_message "$d/req.json" "{\"to\": \"$rcpt\", \"subject\": \"451 twice, then 250\"}"
    send_ok "$d/req.json" || { stop_pid "$sink" 5; return 1; }
    local id=$SENT_ID mid; mid=$(message_id_for "$id")
    wait_recipient "$id" "$rcpt" delivered 40 || { stop_pid "$sink" 5; return 1; }
    # Delivered is final and the sink keeps its copy before answering 250: the counts below are final.
    local attempts copies deferrals tempfails
    get_message "$id"; cp "$HTTP_BODY" "$d/view.json"
    attempts=$(recipient_field "$d/view.json" "$rcpt" attempts)
    deferrals=$(json "$d/view.json" 'sum(1 for e in j.get("events", []) if e.get("type") == "deferred")')
    copies=$(_faults_copies "$d/sink" "$mid")
    tempfails=$(grep -c '"reply": "451' "$PEERS_DIR/logs/sink-faults-flaky.log")
    stop_pid "$sink" 5
    [[ $attempts =~ ^[0-9]+$ ]] && ((attempts >= 2)) || { fail "attempts is '$attempts', expected >= 2"; return 1; }
    expect_eq "$attempts" 3 "attempts (451, 451, 250)" || return 1
    expect_eq "$deferrals" 2 "deferred events in the timeline" || return 1
    expect_eq "$copies" 1 "copies of <$mid> at the MX" || return 1
    note "delivered after $attempts attempts; the sink answered 451 $tempfails time(s); last: $(recipient_field "$d/view.json" "$rcpt" lastResponse)"
}

# 3a. 550 to a message submitted over SMTP (AUTH with an API key): the recipient is bounced
# after one attempt, and a DSN from <> reaches the envelope sender's own mailbox.
test_faults_550_smtp_submission_bounces_with_dsn() { _faults_run _faults_smtp_dsn; }
_faults_smtp_dsn() {
    local d; d=$(test_tmp)
    local u; u=$(_faults_uniq)
    local sender="owner-smtp-$u@senders.test" rcpt="nobody-smtp-$u@reject.test" orig="e2e-faults-smtp-$u@e2e.test"
    "$PY" - "$FAULTS_SMTP_PORT" "$API_KEY" "$sender" "$rcpt" "$orig" >"$d/smtp.out" 2>&1 <<'PY' || { fail "SMTP submission failed:"; sed 's/^/      /' "$d/smtp.out"; return 1; }
import email.utils, smtplib, sys
port, key, sender, rcpt, mid = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
raw = (f"From: Owner <{sender}>\r\nTo: <{rcpt}>\r\nSubject: will bounce (smtp)\r\nMessage-ID: <{mid}>\r\n"
       f"Date: {email.utils.formatdate()}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
       "This one gets 550.\r\n").encode()
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.ehlo("faults.e2e.test")
    s.login("apikey", key)          # plaintext AUTH is allowed on loopback
    s.mail(sender)
    code, msg = s.rcpt(rcpt); assert code == 250, (code, msg)
    code, msg = s.data(raw)
    print(f"DATA reply: {code} {msg.decode()}")
    assert code == 250, (code, msg)
PY
    local id; id=$(grep -oE 'queued as [0-9a-fA-F-]{36}' "$d/smtp.out" | tail -n 1 | awk '{print $3}')
    [[ -n $id ]] || { fail "no 'queued as <id>' in the DATA reply: $(cat "$d/smtp.out")"; return 1; }
    wait_recipient "$id" "$rcpt" bounced 30 || return 1
    expect_eq "$(json "$LAST_VIEW" 'j.get("source")')" smtp "source of $id" || return 1
    expect_eq "$(recipient_field "$LAST_VIEW" "$rcpt" attempts)" 1 "attempts of a 550'd recipient" || return 1
    local last; last=$(recipient_field "$LAST_VIEW" "$rcpt" lastResponse)
    [[ $last == *550* ]] || { fail "lastResponse should carry the 550, got: $last"; return 1; }
    _faults_expect_one_dsn "$sender" "$rcpt" "$orig" "$id" || return 1
    note "SMTP submission $id bounced ($last); DSN delivered to $sender: $DSN_FILE"
}

# 3b. The same over HTTP, on an instance with Delivery:DsnForApi=true.
test_faults_550_http_submission_bounces_with_dsn_when_dsn_for_api() { _faults_run _faults_http_dsn; }
_faults_http_dsn() {
    local d; d=$(test_tmp)
    local u; u=$(_faults_uniq)
    local sender="owner-http-$u@senders.test" rcpt="nobody-http-$u@reject.test"
    make_message "$d/req.json" "{\"from\": \"Owner <$sender>\", \"to\": \"$rcpt\", \"subject\": \"will bounce (http)\"}"
    send_ok "$d/req.json" || return 1
    local id=$SENT_ID
    wait_recipient "$id" "$rcpt" bounced 30 || return 1
    expect_eq "$(recipient_field "$LAST_VIEW" "$rcpt" attempts)" 1 "attempts of a 550'd recipient" || return 1
    _faults_expect_one_dsn "$sender" "$rcpt" "$(message_id_for "$id")" "$id" || return 1
    note "HTTP submission $id bounced; DSN delivered to $sender: $DSN_FILE"
}

# 3c. Without Delivery:DsnForApi (the shared service's default) an HTTP submission that bounces
# sends no DSN: the sender's mailbox (ok.test) stays empty. The HTTP caller reads the status API.
test_faults_http_bounce_sends_no_dsn_by_default() {
    if [[ ${E2E_SERVICE_EXTRA:-} == *DsnForApi=true* || ${E2E_SERVICE_EXTRA:-} == *DsnForApi=True* ]]; then
        note "E2E_SERVICE_EXTRA turns DsnForApi on for the shared service: nothing to check"; return 0
    fi
    local d; d=$(test_tmp)
    local u; u=$(_faults_uniq)
    local sender="owner-nodsn-$u@ok.test" rcpt="bounce-nodsn-$u@ok.test"
    make_message "$d/req.json" "{\"from\": \"$sender\", \"to\": \"$rcpt\", \"subject\": \"bounce without DSN\"}"
    send_ok "$d/req.json" || return 1
    local id=$SENT_ID
    wait_recipient "$id" "$rcpt" bounced || return 1
    sleep "${E2E_NO_DSN_WAIT:-4}"
    local files; files=$(_faults_dsn_files "$SINKS/ok" "$sender")
    [[ -z $files ]] || { fail "a DSN reached $sender although DsnForApi is off: $files"; return 1; }
}

# 4. Null MX (RFC 7505) and NXDOMAIN fail at once, and with retries 2 s apart a wrongly scheduled
# retry would show: attempts must still be 1 several seconds later.
test_faults_null_mx_and_nxdomain_never_retried() { _faults_run _faults_no_retry; }
_faults_no_retry() {
    local d; d=$(test_tmp)
    local u; u=$(_faults_uniq)
    local sender="owner-nx-$u@senders.test"
    make_message "$d/req.json" "{\"from\": \"$sender\", \"to\": [\"a-$u@nullmx.test\", \"b-$u@nx.test\"], \"subject\": \"undeliverable domains, short retries\"}"
    send_ok "$d/req.json" || return 1
    local id=$SENT_ID r
    for r in "a-$u@nullmx.test" "b-$u@nx.test"; do
        wait_recipient "$id" "$r" failed 20 || return 1
    done
    # Three retry intervals.
    sleep "${E2E_NO_RETRY_WAIT_SHORT:-7}"
    get_message "$id"; cp "$HTTP_BODY" "$d/after.json"
    local ok=1 st attempts next
    for r in "a-$u@nullmx.test" "b-$u@nx.test"; do
        st=$(recipient_field "$d/after.json" "$r" status)
        attempts=$(recipient_field "$d/after.json" "$r" attempts)
        next=$(recipient_field "$d/after.json" "$r" nextAttemptAt)
        [[ $st == failed ]] || { fail "$r: status changed from failed to '$st'"; ok=0; }
        [[ $attempts == 1 ]] || { fail "$r: attempts is '$attempts' after ${E2E_NO_RETRY_WAIT_SHORT:-7} s with 2 s retries, expected 1"; ok=0; }
        [[ $next == null || $next == None || -z $next ]] || { fail "$r: failed but a next attempt is scheduled at $next"; ok=0; }
        note "$r: $st, attempts $attempts, last: $(recipient_field "$d/after.json" "$r" lastResponse)"
    done
    local dsn; dsn=$(_faults_dsn_files "$FAULTS_SENDERS" "$sender" | grep -c .)
    note "bounce notifications to the sender for the two failed recipients: $dsn"
    ((ok == 1))
}

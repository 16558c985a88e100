# shellcheck shell=bash
# Feedback end to end, through the built program as a real process: an account verifies its
# domain, mails alice@ok.test, and the copy at the sink carries a VERP return path
# (b+TOKEN@bounces.shop.test). Reports are then mailed to EmailApi's inbound (mx) listener with
# swaks, as a remote MTA would: a Postfix-shaped RFC 3464 DSN (hard bounce) and an RFC 5965
# complaint. Each must put the address on the account's suppression list, and GET /v1/inbound
# must show it. The security cases: RCPT to any other domain refused with 550 over many attempts,
# a forged token changing nothing, a 10 MB report refused with 552, and a corpus of malformed
# MIME that leaves the listener alive. The Postfix-generated DSN of the issue is not covered here.

# _fb_dns_start [dnsmasq options...]: (re)starts this test's dnsmasq on $FB_DNS_ADDRESS:$FB_DNS_PORT
# (127.0.0.1 unless set) with the options given plus the domain's records collected in $FB_RECORDS.
_fb_dns_start() {
    if [[ -n ${FB_DNS_PID:-} ]]; then kill "$FB_DNS_PID" 2>/dev/null; wait "$FB_DNS_PID" 2>/dev/null; fi
    local args=() line address=${FB_DNS_ADDRESS:-127.0.0.1}
    while IFS= read -r line; do [[ -n $line ]] && args+=("$line"); done <"$FB_RECORDS"
    DNSMASQ_ADDRESS=$address DNSMASQ_NAME=dnsmasq-feedback start_dnsmasq "$FB_DNS_PORT" --local=/test/ "${FB_DNS_BASE[@]}" "${args[@]}" || return 1
    FB_DNS_PID=$(pgrep -n -f -- "--port=$FB_DNS_PORT --listen-address=$address ") || return 1
}

# _fb_publish_domain KEY DIR: adds shop.test for the account of KEY, publishes its records in this
# test's dnsmasq and verifies it.
_fb_publish_domain() {
    local key=$1 d=$2
    http POST /v1/domains -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"name":"shop.test"}'
    cp "$HTTP_BODY" "$d/domain.json"
    "$PY" - "$d/domain.json" >>"$FB_RECORDS" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["records"]:
    if r["type"] == "TXT":
        v = r["value"]; print("--txt-record=" + r["name"] + "," + ",".join(v[i:i + 255] for i in range(0, len(v), 255)))
    elif r["type"] == "MX":
        pref, host = r["value"].split(); print(f"--mx-host={r['name']},{host},{pref}")
PY
    _fb_dns_start || { fail "dnsmasq did not restart with the records"; return 1; }
    http POST "/v1/domains/$(json "$d/domain.json" 'j["id"]')/verify" -H "Authorization: Bearer $key"
    expect_eq "$(json "$HTTP_BODY" 'j["status"]')" verified "domain status"
}

# _fb_account: creates the account "shop" with a send+read key; prints the key.
_fb_account() {
    auth_http POST /v1/accounts -H 'Content-Type: application/json' -d '{"name":"shop"}'
    local account; account=$(json "$HTTP_BODY" 'j["id"]')
    auth_http POST "/v1/accounts/$account/keys" -H 'Content-Type: application/json' -d '{"name":"e2e","scopes":["send","read"]}'
    json "$HTTP_BODY" 'j["key"]'
}

# _fb_report KIND RCPT OUT: writes a report of KIND (dsn|arf) for the recipient address RCPT.
_fb_report() {
    "$PY" - "$1" "$2" >"$3" <<'PY'
import sys
kind, rcpt = sys.argv[1], sys.argv[2]
if kind == "dsn":
    print(f"""From: MAILER-DAEMON@mta.remote.test (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain

<{rcpt}>: host mx.ok.test said: 550 5.1.1 User unknown

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mta.remote.test

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown

--B1--""".replace("\n", "\r\n"))
else:
    print(f"""From: fbl@isp.test
Subject: FW: complaint
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="B2"

--B2
Content-Type: text/plain

This is an email abuse report.

--B2
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: TestFBL/1.0
Version: 1
Original-Rcpt-To: <{rcpt}>
Reporting-MTA: dns; fbl.isp.test

--B2--""".replace("\n", "\r\n"))
PY
}

# _fb_wait_suppressed KEY ADDRESS: the suppression entry's reason once it appears (30 s at most).
_fb_wait_suppressed() {
    local deadline=$((SECONDS + 30)) reason
    while ((SECONDS < deadline)); do
        http GET /v1/suppressions -H "Authorization: Bearer $1"
        reason=$(json "$HTTP_BODY" "next((s['reason'] for s in j['items'] if s['email'] == '$2'), '')")
        [[ -n $reason ]] && { echo "$reason"; return 0; }
        sleep 0.1
    done
    return 1
}

test_feedback_dsn_and_complaint_to_the_inbound_listener_suppress() {
    local d; d=$(test_tmp)
    FB_DNS_PID=""; FB_DNS_PORT=$(free_port); FB_DNS_ADDRESS=127.0.0.1; FB_RECORDS="$d/records"; : >"$FB_RECORDS"
    FB_DNS_BASE=(--mx-host=ok.test,mx.ok.test,10 --host-record=mx.ok.test,127.0.0.2 --host-record=relay.test,127.0.0.1 --host-record=mx.relay.test,127.0.0.1)
    _fb_dns_start || { fail "this test's dnsmasq did not start"; return 1; }
    local port smtp mx
    port=$(free_port); smtp=$(free_port); mx=$(free_port)
    start_emailapi feedback "Urls=http://127.0.0.1:$port" Roles=api,smtp,mx,sender "Storage__Sqlite__Path=$d/data/q.db" \
        "Bootstrap__ApiKey=$API_KEY" "Delivery__DnsServers__0=127.0.0.1:$FB_DNS_PORT" Delivery__Port=25 Delivery__HeloName=relay.test \
        Delivery__PublicAddresses__0=127.0.0.1 Inbound__HostName=mx.relay.test Domains__MinVerifyInterval=00:00:00 \
        Smtp__Address=127.0.0.1 "Smtp__Port=$smtp" Smtp__ImplicitTlsPort=-1 Inbound__Address=127.0.0.1 "Inbound__Port=$mx" \
        Inbound__PollInterval=00:00:00.200 \
        || { fail "the feedback test's EmailApi did not start"; return 1; }
    BASE_URL="http://127.0.0.1:$port"

    local key; key=$(_fb_account)
    _fb_publish_domain "$key" "$d" || return 1

    # 1. Two messages; each copy's MAIL FROM is its own return path.
    local rp=() who f
    for who in gone angry; do
        make_message "$d/$who.json" "{'from': 'news@shop.test', 'to': '$who@ok.test', 'subject': 'for $who'}"
        http POST /v1/send -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data-binary "@$d/$who.json"
        [[ $HTTP_CODE == 202 ]] || { fail "send answered $HTTP_CODE: $(body_excerpt)"; return 1; }
        f=$(wait_sink "$SINKS/ok" "$(message_id_for "$(json "$HTTP_BODY" 'j["id"]')")") || { fail "the message to $who never reached the sink"; return 1; }
        rp+=("$(json "${f%.eml}.json" 'j["mail_from"]')")
    done
    [[ ${rp[0]} =~ ^b\+[a-z2-7]{55}@bounces\.shop\.test$ ]] || { fail "MAIL FROM is not a VERP return path: ${rp[0]}"; return 1; }
    note "    return path at the sink: ${rp[0]}"

    # 2. A DSN and a complaint through swaks to the inbound port.
    local t0=$SECONDS reason started
    _fb_report dsn gone@ok.test "$d/dsn.eml"
    started=$(date +%s%N)
    swaks --server "127.0.0.1:$mx" --from '<>' --to "${rp[0]}" --data "@$d/dsn.eml" >"$d/swaks-dsn.log" 2>&1 \
        || { fail "swaks (DSN) failed: $(tail -n 5 "$d/swaks-dsn.log")"; return 1; }
    reason=$(_fb_wait_suppressed "$key" gone@ok.test) || { fail "the DSN did not suppress gone@ok.test"; return 1; }
    expect_eq "$reason" bounce "suppression reason after the DSN" || return 1
    note "    DSN accepted to suppression: $(( ($(date +%s%N) - started) / 1000000 )) ms"
    _fb_report arf angry@ok.test "$d/arf.eml"
    swaks --server "127.0.0.1:$mx" --from fbl@isp.test --to "${rp[1]}" --data "@$d/arf.eml" >"$d/swaks-arf.log" 2>&1 \
        || { fail "swaks (ARF) failed: $(tail -n 5 "$d/swaks-arf.log")"; return 1; }
    reason=$(_fb_wait_suppressed "$key" angry@ok.test) || { fail "the complaint did not suppress angry@ok.test"; return 1; }
    expect_eq "$reason" complaint "suppression reason after the complaint" || return 1

    # 3. Security: other domains refused, a forged token changes nothing, 10 MB refused, malformed MIME survived.
    local forged=${rp[0]:0:20}$([[ ${rp[0]:20:1} == a ]] && echo b || echo a)${rp[0]:21}
    "$PY" - "$mx" "$forged" "$d/accepted" <<'PY' || { fail "inbound listener security checks failed"; return 1; }
import smtplib, sys
port, forged, accepted_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
accepted = 0
refused = 0
# Ten sessions of ten attempts: a session with more refusals than Smtp:MaxErrors is closed with 421.
for session in range(10):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo("mta.remote.test")
        assert "auth" not in s.esmtp_features, s.esmtp_features
        assert "starttls" in s.esmtp_features, s.esmtp_features
        s.mail("spammer@remote.test")
        for i in range(10):
            code, text = s.rcpt(f"victim{session}-{i}@{'elsewhere.test' if i % 2 else 'bounces.notours.test'}")
            if code == 550 and text.startswith(b"5.7.1"): refused += 1
print(f"    RCPT to other domains: {refused}/100 refused with 550 5.7.1")
assert refused == 100
body = b"From: MAILER-DAEMON@mta.remote.test\r\nSubject: x\r\n\r\n" + b"x" * 76 + b"\r\n"
with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
    s.ehlo("mta.remote.test")
    try:
        s.sendmail("", [forged], b"From: MAILER-DAEMON@mta.remote.test\r\nSubject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 10500)
        raise SystemExit("a 10 MB report was accepted")
    except smtplib.SMTPDataError as e:
        assert e.smtp_code == 552, e
    except smtplib.SMTPSenderRefused as e:
        assert e.smtp_code == 552, e
    except smtplib.SMTPServerDisconnected:
        pass
print("    10 MB report: 552")
corpus = [
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"\"\r\n\r\n--\r\n--\r\n",
    b"Content-Type: multipart/report; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n",
    b"Content-Type: message/delivery-status\r\n\r\n" + b"Final-Recipient: rfc822; x\r\n" * 2000,
    b"Content-Transfer-Encoding: base64\r\nContent-Type: text/plain\r\n\r\n!!!!not base64!!!!\r\n",
    b"Subject: =?utf-8?B?////?=\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n--x--\r\n",
    b"\xff\xfe\xfd: \xfe\r\n\r\n\xff\xff\r\n",
    b"Content-Type: multipart/report; report-type=feedback-report; boundary=b\r\n\r\n--b\r\nContent-Type: message/feedback-report\r\n\r\n\r\n--b--\r\n",
]
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.ehlo("mta.remote.test")
    s.sendmail("", [forged], body)
    accepted += 1
    for raw in corpus:
        try:
            s.sendmail("", [forged], b"From: MAILER-DAEMON@mta.remote.test\r\n" + raw)
            accepted += 1
        except smtplib.SMTPDataError as e:
            assert e.smtp_code // 100 == 5, e   # refused as content is fine; a 4xx would be our own trouble
print(f"    forged token and malformed corpus: {accepted} of {len(corpus) + 1} accepted and kept")
# The listener still answers a new session after all that.
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    assert s.ehlo("mta.remote.test")[0] == 250
    assert s.noop()[0] == 250
open(accepted_file, "w").write(str(accepted))
PY
    http GET /health/live
    [[ $HTTP_CODE == 200 ]] || { fail "the service is not live after the malformed corpus"; return 1; }
    local deadline=$((SECONDS + 30)) pending
    while ((SECONDS < deadline)); do
        auth_http GET "/v1/inbound?limit=200"
        pending=$(json "$HTTP_BODY" "sum(1 for r in j['items'] if r['state'] == 'pending')")
        [[ $pending == 0 ]] && break
        sleep 0.1
    done
    expect_eq "$pending" 0 "inbound reports left unprocessed" || return 1
    expect_eq "$(json "$HTTP_BODY" "sorted({r['effect'] for r in j['items'] if r['tokenCheck'] != 'valid'})")" '["none"]' "effects of forged-token reports" || return 1
    expect_eq "$(json "$HTTP_BODY" "sum(1 for r in j['items'] if r['tokenCheck'] == 'forged')")" "$(cat "$d/accepted")" "reports kept with a forged token" || return 1
    http GET /v1/suppressions -H "Authorization: Bearer $key"
    expect_eq "$(json "$HTTP_BODY" 'sorted(s["email"] for s in j["items"])')" '["angry@ok.test", "gone@ok.test"]' "suppressions after the forged reports" || return 1
    note "    whole feedback test: $((SECONDS - t0)) s after the sends"
}

# The loop of issue 17 with a real MTA making the bounce: EmailApi delivers to a private Postfix
# (127.0.17.1:25, the MX of pf.test), which accepts, relays to the final receiver (a sink on
# 127.0.17.2 that refuses bounce-* with 550 5.1.1) and then writes the RFC 3464 DSN itself. Postfix
# finds the return path's MX (bounces.shop.test → mx.relay.test → 127.0.17.3) in the test DNS
# server, port 53 on 127.0.17.53, through a resolv.conf of its own (start_postfix
# POSTFIX_NAMESERVER), and delivers the DSN to EmailApi's inbound listener on 127.0.17.3:25. The
# recipient must turn bounced with async true, the address be suppressed and the webhook fire, and
# (Delivery:DsnForApi=true) the envelope sender news@shop.test must get EmailApi's own RFC 3464
# notification at its MX (a sink on 127.0.17.4:25) naming the recipient with Postfix's 5.1.1; then
# the same for an ARF complaint sent with swaks about a copy the final receiver accepted, which
# must not be passed on to the sender.
test_feedback_postfix_dsn_turns_the_recipient_bounced_async() {
    _fb_postfix_loop
    local rc=$?
    stop_postfix feedback   # frees 127.0.17.1:25 now, whatever happened
    return $rc
}

_fb_postfix_loop() {
    local d; d=$(test_tmp)
    local ns=127.0.17.53 pf=127.0.17.1 final=127.0.17.2 inbound=127.0.17.3 mailbox=127.0.17.4
    FB_DNS_PID=""; FB_DNS_PORT=53; FB_DNS_ADDRESS=$ns; FB_RECORDS="$d/records"; : >"$FB_RECORDS"
    FB_DNS_BASE=(--mx-host=pf.test,mx.pf.test,10 "--host-record=mx.pf.test,$pf" --host-record=relay.test,127.0.0.1 "--host-record=mx.relay.test,$inbound"
        --mx-host=shop.test,mx.shop.test,10 "--host-record=mx.shop.test,$mailbox")
    _fb_dns_start || { fail "this test's dnsmasq did not start on $ns:53"; return 1; }

    local sink_port; sink_port=$(free_port)
    SINK_PORT=$sink_port start_sink feedback-final "$final" save "$d/final" || { fail "the final receiver did not start"; return 1; }
    start_sink feedback-sender "$mailbox" save "$d/sender" || { fail "the sender's mailbox did not start"; return 1; }
    POSTFIX_NAMESERVER=$ns start_postfix feedback "$pf" 25 pf.test "$final" "$sink_port" \
        "smtp_dns_support_level = enabled" "default_transport = smtp" \
        || { fail "postfix did not start"; return 1; }

    # A webhook endpoint: every POST body as one line.
    local hook_port; hook_port=$(free_port)
    "$PY" - "$hook_port" "$d/hooks.jsonl" >"$d/hooks.log" 2>&1 <<'PY' &
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f: f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
    _peers_register $! feedback-hooks
    wait_tcp 127.0.0.1 "$hook_port" 10 || { fail "the webhook receiver did not start"; return 1; }

    local port smtp
    port=$(free_port); smtp=$(free_port)
    start_emailapi feedback-pf "Urls=http://127.0.0.1:$port" Roles=api,smtp,mx,sender "Storage__Sqlite__Path=$d/data/q.db" \
        "Bootstrap__ApiKey=$API_KEY" "Delivery__DnsServers__0=$ns:53" Delivery__Port=25 Delivery__HeloName=relay.test \
        Delivery__PublicAddresses__0=127.0.0.1 Inbound__HostName=mx.relay.test Domains__MinVerifyInterval=00:00:00 \
        Smtp__Address=127.0.0.1 "Smtp__Port=$smtp" Smtp__ImplicitTlsPort=-1 "Inbound__Address=$inbound" Inbound__Port=25 \
        Inbound__PollInterval=00:00:00.100 Webhooks__AllowPrivateNetworks=true Webhooks__PollInterval=00:00:00.100 \
        Delivery__DsnForApi=true \
        || { fail "the feedback test's EmailApi did not start"; return 1; }
    BASE_URL="http://127.0.0.1:$port"

    local key; key=$(_fb_account)
    _fb_publish_domain "$key" "$d" || return 1
    http POST /v1/webhooks -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
        -d "{\"url\":\"http://127.0.0.1:$hook_port/hook\",\"events\":[\"bounced\",\"complained\"]}"
    [[ $HTTP_CODE == 201 ]] || { fail "POST /v1/webhooks answered $HTTP_CODE: $(body_excerpt)"; return 1; }

    # 1. The bounce: sent, accepted by Postfix (delivered), refused by the final receiver, DSN back.
    "$PY" - "$BASE_URL" "$key" "$d/bounce.json" <<'PY' || { fail "the bounce did not come home: $(tail -n 3 "$PEERS_DIR/postfix-feedback/maillog")"; return 1; }
import json, sys, time, urllib.request
base, key, out = sys.argv[1:4]
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=15) as r: return json.load(r)
t0 = time.monotonic()
mid = call("POST", "/v1/send", {"from": "news@shop.test", "to": "bounce-gone@pf.test", "subject": "for gone", "text": "x"})["id"]
delivered = None
while time.monotonic() - t0 < 60:
    view = call("GET", f"/v1/messages/{mid}")
    r = view["recipients"][0]
    if r["status"] == "delivered" and delivered is None: delivered = time.monotonic() - t0
    if r["status"] == "bounced":
        bounced = time.monotonic() - t0
        json.dump(view, open(out, "w"))
        print(f"    send -> delivered to Postfix: {'%.0f ms' % (delivered * 1000) if delivered else '(not seen)'}; send -> bounced (async): {bounced * 1000:.0f} ms")
        assert r["async"] is True, r
        sys.exit(0)
    time.sleep(0.05)
print(f"    still {r['status']} after 60 s: {view}"); sys.exit(1)
PY
    local v="$d/bounce.json"
    expect_eq "$(json "$v" '[e["type"] for e in j["events"]]')" '["queued", "delivered", "bounced"]' "the timeline" || return 1
    expect_eq "$(json "$v" '[j["events"][-1]["async"], j["events"][-1]["report"]["reportingMta"], j["events"][-1]["report"]["status"], j["events"][-1]["report"]["action"]]')" \
        '[true, "postfix-feedback.test", "5.1.1", "failed"]' "the bounce event's report (Postfix's own DSN)" || return 1
    [[ $(json "$v" 'j["events"][-1]["report"]["diagnostic"]') == *"550 5.1.1"* ]] || { fail "the diagnostic lacks the final receiver's reply: $(json "$v" 'j["events"][-1]')"; return 1; }
    expect_eq "$(_fb_wait_suppressed "$key" bounce-gone@pf.test)" bounce "suppression reason after Postfix's DSN" || return 1
    _fb_wait_hook "$d/hooks.jsonl" message.bounced bounce-gone@pf.test || return 1
    note "    Postfix's DSN: $(grep -c 'status=sent' "$PEERS_DIR/postfix-feedback/maillog") deliveries by Postfix, the last to $(grep -o 'relay=mx.relay.test[^,]*' "$PEERS_DIR/postfix-feedback/maillog" | tail -n 1)"
    _fb_sender_notified "$key" "$d" "$(json "$v" 'j["id"]')" || return 1

    # 2. The complaint: a copy the final receiver took; its return path (kept by Postfix) gets an ARF by swaks.
    make_message "$d/angry.json" "{'from': 'news@shop.test', 'to': 'angry@pf.test', 'subject': 'for angry'}"
    http POST /v1/send -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data-binary "@$d/angry.json"
    [[ $HTTP_CODE == 202 ]] || { fail "send answered $HTTP_CODE: $(body_excerpt)"; return 1; }
    local id f rp; id=$(json "$HTTP_BODY" 'j["id"]')
    f=$(wait_sink "$d/final" "$(message_id_for "$id")") || { fail "the message to angry never reached the final receiver"; return 1; }
    rp=$(json "${f%.eml}.json" 'j["mail_from"]')
    [[ $rp =~ ^b\+[a-z2-7]{55}@bounces\.shop\.test$ ]] || { fail "the final receiver saw MAIL FROM $rp"; return 1; }
    _fb_report arf angry@pf.test "$d/arf.eml"
    local started; started=$(date +%s%N)
    swaks --server "$inbound:25" --from fbl@isp.test --to "$rp" --data "@$d/arf.eml" >"$d/swaks-arf.log" 2>&1 \
        || { fail "swaks (ARF) failed: $(tail -n 5 "$d/swaks-arf.log")"; return 1; }
    local deadline=$((SECONDS + 30)) status=""
    while ((SECONDS < deadline)); do
        http GET "/v1/messages/$id" -H "Authorization: Bearer $key"
        status=$(json "$HTTP_BODY" '[j["recipients"][0]["status"], j["recipients"][0]["async"]]')
        [[ $status == '["complained", true]' ]] && break
        sleep 0.05
    done
    expect_eq "$status" '["complained", true]' "the recipient after the complaint" || return 1
    note "    ARF by swaks -> complained: $(( ($(date +%s%N) - started) / 1000000 )) ms"
    expect_eq "$(json "$HTTP_BODY" '[j["events"][-1]["type"], j["events"][-1]["report"]["feedbackType"], j["events"][-1]["report"]["provider"]]')" \
        '["complained", "abuse", "fbl.isp.test"]' "the complaint event" || return 1
    expect_eq "$(_fb_wait_suppressed "$key" angry@pf.test)" complaint "suppression reason after the complaint" || return 1
    _fb_wait_hook "$d/hooks.jsonl" message.complained angry@pf.test || return 1
    # The complaint changed the recipient in the transaction that would have queued a notification: none is there.
    http GET "/v1/messages?source=dsn" -H "Authorization: Bearer $key"
    expect_eq "$(json "$HTTP_BODY" 'len(j["items"])')" 1 "bounce notifications after the complaint" || return 1
    expect_eq "$(find "$d/sender" -name '*.eml' | wc -l)" 1 "copies at the sender's mailbox after the complaint" || return 1
}

# _fb_sender_notified KEY DIR ORIGINAL_ID: the late bounce of ORIGINAL_ID reached its envelope sender
# (the sink in DIR/sender) as one RFC 3464 notification from <> naming bounce-gone@pf.test with 5.1.1.
_fb_sender_notified() {
    local key=$1 d=$2 original=$3 deadline=$((SECONDS + 30)) dsn="" f started
    started=$(date +%s%N)
    while ((SECONDS < deadline)); do
        http GET "/v1/messages?source=dsn" -H "Authorization: Bearer $key"
        dsn=$(json "$HTTP_BODY" 'j["items"][0]["id"] if len(j["items"]) == 1 else ""')
        [[ -n $dsn ]] && break
        sleep 0.1
    done
    [[ -n $dsn ]] || { fail "no bounce notification in the message log: $(body_excerpt)"; return 1; }
    f=$(wait_sink "$d/sender" "$dsn@relay.test" 30) || { fail "the notification $dsn never reached the sender's mailbox"; return 1; }
    expect_eq "$(json "${f%.eml}.json" '[j["mail_from"], j["rcpt_tos"]]')" '["<>", ["news@shop.test"]]' "the notification's envelope (from the null sender)" || return 1
    expect_eq "$("$PY" - "$f" <<'PY'
import email, json, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
status = next(p for p in m.walk() if p.get_content_type() == "message/delivery-status").get_payload()
g = status[1]
print(json.dumps([m.get_content_type(), status[0]["X-EmailApi-Queue-ID"], g["Final-Recipient"], g["Action"], g["Status"], "550 5.1.1" in str(g["Diagnostic-Code"])]))
PY
)" "[\"multipart/report\", \"$original\", \"rfc822; bounce-gone@pf.test\", \"failed\", \"5.1.1\", true]" "the notification's delivery status" || return 1
    note "    checks after bounced (async) -> RFC 3464 notification found at news@shop.test's MX: $(( ($(date +%s%N) - started) / 1000000 )) ms"
}

# _fb_wait_hook FILE TYPE RECIPIENT: waits (30 s) for a webhook of TYPE about RECIPIENT with async true.
_fb_wait_hook() {
    local deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
        "$PY" - "$@" <<'PY' && return 0
import json, sys
path, kind, rcpt = sys.argv[1:4]
try: lines = open(path).read().splitlines()
except FileNotFoundError: sys.exit(1)
hooks = [json.loads(l) for l in lines if l.strip()]
sys.exit(0 if any(h["type"] == kind and h["data"]["recipient"] == rcpt and h["data"]["async"] is True for h in hooks) else 1)
PY
        sleep 0.1
    done
    fail "no $2 webhook with async true for $3; received: $(cat "$1" 2>/dev/null | head -c 600)"
}

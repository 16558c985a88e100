# shellcheck shell=bash
# Feedback end to end, through the built program as a real process: an account verifies its
# domain, mails alice@ok.test, and the copy at the sink carries a VERP return path
# (b+TOKEN@bounces.shop.test). Reports are then mailed to EmailApi's inbound (mx) listener with
# swaks, as a remote MTA would: a Postfix-shaped RFC 3464 DSN (hard bounce) and an RFC 5965
# complaint. Each must put the address on the account's suppression list, and GET /v1/inbound
# must show it. The security cases: RCPT to any other domain refused with 550 over many attempts,
# a forged token changing nothing, a 10 MB report refused with 552, and a corpus of malformed
# MIME that leaves the listener alive. The Postfix-generated DSN of the issue is not covered here.

_fb_dns_start() {
    if [[ -n ${FB_DNS_PID:-} ]]; then kill "$FB_DNS_PID" 2>/dev/null; wait "$FB_DNS_PID" 2>/dev/null; fi
    local args=() line
    while IFS= read -r line; do [[ -n $line ]] && args+=("$line"); done <"$FB_RECORDS"
    DNSMASQ_NAME=dnsmasq-feedback start_dnsmasq "$FB_DNS_PORT" --local=/test/ \
        --mx-host=ok.test,mx.ok.test,10 --host-record=mx.ok.test,127.0.0.2 \
        --host-record=relay.test,127.0.0.1 --host-record=mx.relay.test,127.0.0.1 "${args[@]}" || return 1
    FB_DNS_PID=$(pgrep -n -f -- "--port=$FB_DNS_PORT ") || return 1
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
    FB_DNS_PID=""; FB_DNS_PORT=$(free_port); FB_RECORDS="$d/records"; : >"$FB_RECORDS"
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

    auth_http POST /v1/accounts -H 'Content-Type: application/json' -d '{"name":"shop"}'
    local account key; account=$(json "$HTTP_BODY" 'j["id"]')
    auth_http POST "/v1/accounts/$account/keys" -H 'Content-Type: application/json' -d '{"name":"e2e","scopes":["send","read"]}'
    key=$(json "$HTTP_BODY" 'j["key"]')
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
    expect_eq "$(json "$HTTP_BODY" 'j["status"]')" verified "domain status" || return 1

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

# shellcheck shell=bash
# Sending domains end to end, as a new user does it: an account creates its domain over the API,
# publishes the records the answer lists into DNS (here: this test's own dnsmasq, restarted with
# the records published so far, since the shared zone is fixed at start), asks for a check, and
# sends over HTTP (curl) and SMTP (swaks). The copies at the receiving sink are checked by an
# independent verifier, mailauth (npm), reading the same DNS: DKIM, SPF (for the address and HELO
# the sink saw) and DMARC with alignment must pass, and a tampered copy must fail. Then the key is
# rotated: mail signed before and after the switch verifies, the old selector is listed as
# retiring with a date and stays published. The service under test is a second EmailApi instance
# of this test's own (its Delivery:DnsServers point at the test's dnsmasq).

E2E_NODE_DIR="$E2E_LIB_DIR/node"

# _dom_dns_restart: (re)start this test's dnsmasq with the base zone plus every record in $DOM_RECORDS.
_dom_dns_restart() {
    if [[ -n ${DOM_DNS_PID:-} ]]; then kill "$DOM_DNS_PID" 2>/dev/null; wait "$DOM_DNS_PID" 2>/dev/null; fi
    local args=() line
    while IFS= read -r line; do [[ -n $line ]] && args+=("$line"); done <"$DOM_RECORDS"
    DNSMASQ_NAME=dnsmasq-domains start_dnsmasq "$DOM_DNS_PORT" --local=/test/ \
        --mx-host=ok.test,mx.ok.test,10 --host-record=mx.ok.test,127.0.0.2 \
        --host-record=relay.test,127.0.0.1 --host-record=mx.relay.test,127.0.0.1 \
        "${args[@]}" || return 1
    DOM_DNS_PID=$(pgrep -n -f -- "--port=$DOM_DNS_PORT ") || return 1
}

# _dom_publish DOMAIN_JSON: append the records a domain answer lists (dnsmasq options) and restart DNS.
_dom_publish() {
    "$PY" - "$1" >>"$DOM_RECORDS" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for r in j["records"]:
    if r["type"] == "TXT":
        v = r["value"]
        # RFC 1035 §3.3.14: one character-string holds at most 255 octets; a DKIM key is split.
        print("--txt-record=" + r["name"] + "," + ",".join(v[i:i + 255] for i in range(0, len(v), 255)))
    elif r["type"] == "MX":
        pref, host = r["value"].split()
        print(f"--mx-host={r['name']},{host},{pref}")
PY
    sort -u -o "$DOM_RECORDS" "$DOM_RECORDS"
    _dom_dns_restart
}

# _dom_verify FILE.eml [CLIENT_IP]: mailauth's verdicts for a copy at the sink, with the peer (unless
# CLIENT_IP says otherwise), HELO and MAIL FROM the sink recorded.
_dom_verify() {
    local eml=$1 meta=${1%.eml}.json ip helo from
    ip=${2:-$(json "$meta" 'j["peer"][0]')}; helo=$(json "$meta" 'j["helo"]'); from=$(json "$meta" 'j["mail_from"]')
    node "$E2E_NODE_DIR/verify.js" "$eml" "$DOM_DNS_PORT" "$ip" "$helo" "$from"
}

# _dom_expect_pass FILE.eml SELECTOR WHAT: DKIM (d=shop.test, s=SELECTOR), SPF and DMARC all pass.
_dom_expect_pass() {
    local out; out=$(_dom_verify "$1") || { fail "$3: mailauth did not run: $out"; return 1; }
    note "    mailauth ($3): $out"
    "$PY" - "$out" "$2" <<'PY' || { fail "$3: expected DKIM, SPF and DMARC pass: $out"; return 1; }
import json, sys
r, selector = json.loads(sys.argv[1]), sys.argv[2]
ok = any(d["result"] == "pass" and d["domain"] == "shop.test" and d["selector"] == selector for d in r["dkim"])
sys.exit(0 if ok and r["spf"] == "pass" and r["dmarc"] == "pass" else 1)
PY
}

test_domains_new_domain_to_verified_mail_passes_mailauth() {
    local d; d=$(test_tmp)
    [[ -d $E2E_NODE_DIR/node_modules/mailauth ]] || (cd "$E2E_NODE_DIR" && npm ci --no-audit --no-fund >/dev/null 2>&1) \
        || { fail "mailauth is not installed (cd tests/e2e/node && npm ci)"; return 1; }
    DOM_DNS_PORT=$(free_port); DOM_RECORDS="$d/records"; : >"$DOM_RECORDS"
    _dom_dns_restart || { fail "this test's dnsmasq did not start"; return 1; }

    local port smtp tls
    port=$(free_port); smtp=$(free_port); tls=$(free_port)
    start_emailapi domains "Urls=http://127.0.0.1:$port" Roles=api,smtp,sender "Storage__Sqlite__Path=$d/data/q.db" \
        "Bootstrap__ApiKey=$API_KEY" "Delivery__DnsServers__0=127.0.0.1:$DOM_DNS_PORT" Delivery__Port=25 Delivery__HeloName=relay.test \
        Delivery__PublicAddresses__0=127.0.0.1 Inbound__HostName=mx.relay.test Domains__MinVerifyInterval=00:00:00 \
        Smtp__Address=127.0.0.1 "Smtp__Port=$smtp" "Smtp__ImplicitTlsPort=$tls" \
        || { fail "the domains test's EmailApi did not start"; return 1; }
    BASE_URL="http://127.0.0.1:$port"

    # 1. An account (the operator makes it) and its key.
    auth_http POST /v1/accounts -H 'Content-Type: application/json' -d '{"name":"shop"}'
    [[ $HTTP_CODE == 201 ]] || { fail "POST /v1/accounts answered $HTTP_CODE: $(body_excerpt)"; return 1; }
    local account key
    account=$(json "$HTTP_BODY" 'j["id"]')
    auth_http POST "/v1/accounts/$account/keys" -H 'Content-Type: application/json' -d '{"name":"e2e","scopes":["send","read"]}'
    key=$(json "$HTTP_BODY" 'j["key"]')
    local A=(-H "Authorization: Bearer $key")

    # 2. Sending from a domain that is not verified is refused, naming the domain.
    make_message "$d/early.json" "{'from': 'news@shop.test', 'to': 'alice@ok.test'}"
    http POST /v1/send "${A[@]}" -H 'Content-Type: application/json' --data-binary "@$d/early.json"
    expect_problem "send before the domain exists" 403 || return 1
    [[ $(json "$HTTP_BODY" 'j["detail"]') == *"'shop.test'"* ]] || { fail "403 does not name shop.test: $(body_excerpt)"; return 1; }

    # 3. The domain: the answer lists what to publish.
    http POST /v1/domains "${A[@]}" -H 'Content-Type: application/json' -d '{"name":"shop.test","dmarcRua":"mailto:dmarc@shop.test"}'
    [[ $HTTP_CODE == 201 ]] || { fail "POST /v1/domains answered $HTTP_CODE: $(body_excerpt)"; return 1; }
    cp "$HTTP_BODY" "$d/domain.json"
    local id sel1
    id=$(json "$d/domain.json" 'j["id"]'); sel1=$(json "$d/domain.json" 'j["keys"][0]["selector"]')
    note "    records to publish: $(json "$d/domain.json" '"; ".join(r["type"] + " " + r["name"] for r in j["records"])')"

    # 4. Checked before publishing: every record missing, still pending.
    http POST "/v1/domains/$id/verify" "${A[@]}"
    expect_eq "$(json "$HTTP_BODY" 'j["status"]')" pending "status before publishing" || return 1
    expect_eq "$(json "$HTTP_BODY" 'sorted({r["status"] for r in j["records"]})')" '["missing"]' "records before publishing" || return 1

    # 5. Published and checked: verified, each record ok.
    _dom_publish "$d/domain.json" || { fail "could not publish the records"; return 1; }
    http POST "/v1/domains/$id/verify" "${A[@]}"
    [[ $HTTP_CODE == 200 ]] || { fail "verify answered $HTTP_CODE: $(body_excerpt)"; return 1; }
    expect_eq "$(json "$HTTP_BODY" 'j["status"]')" verified "status after publishing" || return 1
    expect_eq "$(json "$HTTP_BODY" '{r["purpose"]: r["status"] for r in j["records"]}')" \
        '{"dkim": "ok", "spf": "ok", "dmarc": "ok", "returnPath": "ok"}' "records after publishing" || return 1

    # 6. Mail over HTTP and over SMTP, each checked at the sink by mailauth.
    local mid_http mid_smtp="e2e-dom-smtp-$RANDOM$RANDOM@shop.test" f_http f_smtp
    make_message "$d/m1.json" "{'from': 'Shop News <news@shop.test>', 'to': 'alice@ok.test', 'subject': 'signed over http'}"
    http POST /v1/send "${A[@]}" -H 'Content-Type: application/json' --data-binary "@$d/m1.json"
    [[ $HTTP_CODE == 202 ]] || { fail "send from the verified domain answered $HTTP_CODE: $(body_excerpt)"; return 1; }
    mid_http=$(message_id_for "$(json "$HTTP_BODY" 'j["id"]')")
    swaks --server "127.0.0.1:$smtp" --tls --auth PLAIN --auth-user apikey --auth-password "$key" --from news@shop.test --to alice@ok.test \
        --header "Subject: signed over smtp" --header "Message-Id: <$mid_smtp>" --body "hello over smtp" >"$d/swaks.log" 2>&1 \
        || { fail "swaks failed: $(tail -n 5 "$d/swaks.log")"; return 1; }
    f_http=$(wait_sink "$SINKS/ok" "$mid_http") || { fail "the HTTP message never reached the sink"; return 1; }
    f_smtp=$(wait_sink "$SINKS/ok" "$mid_smtp") || { fail "the SMTP message never reached the sink"; return 1; }
    _dom_expect_pass "$f_http" "$sel1" "http" || return 1
    _dom_expect_pass "$f_smtp" "$sel1" "smtp" || return 1

    # 7. A tampered copy fails DKIM; replayed from an address outside the SPF record it fails DMARC too
    #    (from the relay's own address DMARC still passes through aligned SPF, as it should).
    sed 's/^Subject: signed over http/Subject: tampered/' "$f_http" >"$d/tampered.eml"
    cp "${f_http%.eml}.json" "$d/tampered.json"
    local bad; bad=$(_dom_verify "$d/tampered.eml")
    note "    mailauth (tampered, from the relay's address): $bad"
    "$PY" -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r["dkim"] and all(d["result"]=="fail" for d in r["dkim"]) else 1)' "$bad" \
        || { fail "the tampered copy's DKIM signature still passes: $bad"; return 1; }
    bad=$(_dom_verify "$d/tampered.eml" 192.0.2.66)
    note "    mailauth (tampered, replayed from 192.0.2.66): $bad"
    "$PY" -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r["spf"]!="pass" and r["dmarc"]=="fail" else 1)' "$bad" \
        || { fail "the tampered copy from a foreign address still passes DMARC: $bad"; return 1; }

    # 8. Rotation: a new selector, pending until published; then it signs and the old key retires with a date.
    http POST "/v1/domains/$id/rotate" "${A[@]}"
    cp "$HTTP_BODY" "$d/rotated.json"
    local sel2; sel2=$(json "$d/rotated.json" "[k['selector'] for k in j['keys'] if k['selector'] != '$sel1'][0]")
    expect_eq "$(json "$d/rotated.json" "[k['state'] for k in j['keys'] if k['selector'] == '$sel2'][0]")" pending "new key before its record" || return 1
    _dom_publish "$d/rotated.json" || return 1
    http POST "/v1/domains/$id/verify" "${A[@]}"
    expect_eq "$(json "$HTTP_BODY" "{k['selector']: k['state'] for k in j['keys']}")" "{\"$sel1\": \"retiring\", \"$sel2\": \"active\"}" "keys after the switch" || return 1
    local retire; retire=$(json "$HTTP_BODY" "[k['retireAfter'] for k in j['keys'] if k['selector'] == '$sel1'][0]")
    [[ $retire == 20* ]] || { fail "the retiring key has no date after which its record may go: $retire"; return 1; }
    note "    old selector $sel1 may be deleted after $retire"
    local mid_after f_after
    make_message "$d/m2.json" "{'from': 'news@shop.test', 'to': 'alice@ok.test', 'subject': 'after rotation'}"
    http POST /v1/send "${A[@]}" -H 'Content-Type: application/json' --data-binary "@$d/m2.json"
    mid_after=$(message_id_for "$(json "$HTTP_BODY" 'j["id"]')")
    f_after=$(wait_sink "$SINKS/ok" "$mid_after") || { fail "the message after rotation never reached the sink"; return 1; }
    _dom_expect_pass "$f_after" "$sel2" "after rotation" || return 1
    _dom_expect_pass "$f_http" "$sel1" "before rotation, checked again after the switch" || return 1

    # 9. The HELO check sees relay.test -> 127.0.0.1 -> relay.test.
    auth_http GET /v1/deliverability
    expect_eq "$(json "$HTTP_BODY" 'j["ok"]')" true "GET /v1/deliverability ok ($(body_excerpt 400))" || return 1

    stop_emailapi domains
    kill "$DOM_DNS_PID" 2>/dev/null
    return 0
}

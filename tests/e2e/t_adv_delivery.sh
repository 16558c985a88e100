# shellcheck shell=bash
# Adversarial delivery: mail loops. A destination whose MX is the service itself, or a relay that
# sends every message straight back, must not multiply one message without end (issue #15).
#
# These tests use their own service instance ("loops": own database, own ports) and their own
# DNS zone (a second dnsmasq on a free port). One free port P is at once the instance's SMTP
# submission port (on 127.0.0.1) and its delivery port, as port 25 is for a relay in production;
# 127.0.0.0/8 is a trusted network, so without the guards a copy sent to itself would be accepted:
#
#   self.test  MX 10 -> 127.0.0.1   the instance's own SMTP listener
#   zero.test  MX 10 -> 0.0.0.0     the unspecified address (the kernel connects it to this host)
#   fwd.test   MX 10 -> 127.0.6.2   tests/e2e/forwarder.py: relays every message back to the instance
#   good.test  MX 10 -> 127.0.6.3   sink "save": plain loopback destinations still get their mail

_loops_up() {
    local env="$E2E_DIR/loops/env"
    mkdir -p "$E2E_DIR/loops"
    if [[ -f $env ]]; then
        # shellcheck disable=SC1090
        source "$env"
        local p alive=1
        for p in $LOOPS_WORLD_PIDS; do pid_alive "$p" || alive=0; done
        if ((alive == 0)); then
            for p in $LOOPS_WORLD_PIDS; do stop_pid "$p" 5; done
            stop_emailapi loops
            rm -f "$env"
        fi
    fi
    if [[ ! -f $env ]]; then
        local dns_port port http_port pids got
        dns_port=$(free_port); port=$(free_port); http_port=$(free_port)
        while [[ $http_port == "$port" ]]; do http_port=$(free_port); done
        DNSMASQ_NAME=dnsmasq-loops start_dnsmasq "$dns_port" \
            --local=/test/ \
            --mx-host=self.test,mx.self.test,10 --host-record=mx.self.test,127.0.0.1 \
            --mx-host=zero.test,mx.zero.test,10 --host-record=mx.zero.test,0.0.0.0 \
            --mx-host=fwd.test,mx.fwd.test,10 --host-record=mx.fwd.test,127.0.6.2 \
            --mx-host=good.test,mx.good.test,10 --host-record=mx.good.test,127.0.6.3 \
            || { fail "loops world: dnsmasq did not start on 127.0.0.1:$dns_port"; return 1; }
        pids=$(awk '$3 == "dnsmasq-loops" {p = $1} END {print p}' "$PEERS_DIR/pids")
        got=$(dns_query mx.zero.test A 127.0.0.1 "$dns_port")
        [[ $got == "NOERROR A 0.0.0.0" ]] || { fail "loops dnsmasq: mx.zero.test A answer unexpected: $got"; return 1; }
        SINK_PORT=$port start_sink loops-good 127.0.6.3 save "$E2E_DIR/loops/good" || { fail "loops world: good sink"; return 1; }
        pids+=" $SINK_PID"
        local log="$PEERS_DIR/logs/forwarder-loops.log"
        "$PY" "$E2E_LIB_DIR/forwarder.py" --host 127.0.6.2 --port "$port" --to "127.0.0.1:$port" --password "$API_KEY" >>"$log" 2>&1 &
        local fpid=$!
        _peers_register "$fpid" forwarder-loops
        wait_tcp 127.0.6.2 "$port" 15 "$fpid" || { fail "loops world: forwarder did not start; $(tail -n 5 "$log")"; return 1; }
        pids+=" $fpid"
        {
            echo "LOOPS_WORLD_PIDS='$pids'"
            echo "LOOPS_PORT=$port"
            echo "LOOPS_URL=http://127.0.0.1:$http_port"
            echo "LOOPS_FORWARDER_LOG=$log"
        } >"$env"
        {
            echo "Urls=http://127.0.0.1:$http_port"
            echo "Roles=api,smtp,sender"
            echo "Storage__Sqlite__Path=$E2E_DIR/loops/q.db"
            echo "Bootstrap__ApiKey=$API_KEY"
            echo "Delivery__DnsServers__0=127.0.0.1:$dns_port"
            echo "Delivery__Port=$port"
            echo "Delivery__HeloName=$HELO_NAME"
            echo "Delivery__PollInterval=00:00:00.200"
            echo "Delivery__ConnectTimeout=00:00:05"
            echo "Delivery__RetryDelays__0=00:00:02"
            echo "Smtp__Address=127.0.0.1"
            echo "Smtp__Port=$port"
            echo "Smtp__ImplicitTlsPort=-1"
            echo "Smtp__TrustedNetworks__0=127.0.0.0/8"
            echo "Smtp__TrustedAccount=default"
        } >"$E2E_DIR/loops/service.env"
    fi
    # shellcheck disable=SC1090
    source "$env"
    local p; p=$(cat "$PEERS_DIR/emailapi-loops.pid" 2>/dev/null)
    if [[ -z $p ]] || ! pid_alive "$p"; then
        local vars=()
        mapfile -t vars <"$E2E_DIR/loops/service.env"
        start_emailapi loops "${vars[@]}" || { fail "the loops instance of EmailApi did not start"; return 1; }
    fi
    BASE_URL=$LOOPS_URL
}

_loops_run() {
    local log="$PEERS_DIR/logs/emailapi-loops.log" offset
    _loops_up || { tail -n 25 "$log" 2>/dev/null | sed 's/^/      | /'; return 1; }
    offset=$(stat -c %s "$log" 2>/dev/null || echo 0)
    "$@" && return 0
    echo "    loops instance log during the test (last 25 lines):"
    tail -c +"$((offset + 1))" "$log" 2>/dev/null | tail -n 25 | sed 's/^/      | /'
    return 1
}

# _loops_smtp_accepted: messages the instance took in over SMTP (its /metrics counter).
_loops_smtp_accepted() {
    local n
    n=$(curl -sS -m 5 "$BASE_URL/metrics" | awk '/^emailapi_messages_accepted_total\{source="smtp"\}/ {print $2}')
    echo "${n:-0}"
}

# _loops_forwards: copies the forwarder has relayed back (one JSON line each).
_loops_forwards() { local n; n=$(grep -c '"event": "forward"' "$LOOPS_FORWARDER_LOG" 2>/dev/null); echo "${n:-0}"; }

_test_adv_loop_mx_is_own_listener() {
    local d id before after domain
    d=$(test_tmp)
    before=$(_loops_smtp_accepted)
    for domain in self.test zero.test; do
        make_message "$d/$domain.json" "{'to': 'user@$domain', 'subject': 'loop via $domain'}"
        send_ok "$d/$domain.json" || return 1
        id=$SENT_ID
        wait_recipient "$id" "user@$domain" "bounced" 30 || return 1
        local last
        last=$(recipient_field "$LAST_VIEW" "user@$domain" lastResponse)
        [[ $last == "554 5.4.6 "*"loops back to myself"* ]] \
            || { fail "$domain: expected a 554 5.4.6 'loops back to myself' bounce, got: $last"; return 1; }
        [[ $(json "$LAST_VIEW" "any(e['type'] == 'bounced' for e in j['events'])") == true ]] \
            || { fail "$domain: no bounced event: $(describe_view "$LAST_VIEW")"; return 1; }
    done
    after=$(_loops_smtp_accepted)
    expect_eq "$after" "$before" "messages that came back in over SMTP" || return 1
    # Plain loopback on the same port is not "myself": mail to the sink on 127.0.6.3 goes through.
    make_message "$d/good.json" "{'to': 'user@good.test', 'subject': 'not a loop'}"
    send_ok "$d/good.json" || return 1
    wait_recipient "$SENT_ID" user@good.test delivered 30 || return 1
    wait_sink "$E2E_DIR/loops/good" "$(message_id_for "$SENT_ID")" 10 >/dev/null || { fail "good.test: no copy at the sink"; return 1; }
}
test_adv_loop_mx_is_own_listener_bounces_546() { _loops_run _test_adv_loop_mx_is_own_listener; }

_test_adv_loop_through_forwarder() {
    local d start n last_n deadline bounced view last
    d=$(test_tmp)
    start=$(_loops_forwards)
    make_message "$d/fwd.json" "{'to': 'user@fwd.test', 'subject': 'round and round'}"
    send_ok "$d/fwd.json" || return 1
    # Each round adds two Received fields (the instance's and the forwarder's): with the default
    # limit of 50 the copies stop after about 25 rounds. Wait for the refusal that stops it.
    deadline=$((SECONDS + 120))
    while :; do
        n=$(( $(_loops_forwards) - start ))
        if ((n > 60)); then fail "the loop did not stop: $n copies relayed back and counting"; return 1; fi
        # The forwarder logs each forward with the reply it got; the relay's 554 ends the loop, so
        # the count is final once that line is there.
        if ((n > 0)) && grep '"event": "forward"' "$LOOPS_FORWARDER_LOG" | tail -n "+$((start + 1))" | grep -q '"code": 554'; then break; fi
        ((SECONDS >= deadline)) && { fail "after 120 s: $n copies, no refusal seen; forwarder log: $(tail -n 3 "$LOOPS_FORWARDER_LOG")"; return 1; }
        sleep 0.1
    done
    note "copies relayed back before the hop limit stopped the loop: $n"
    ((n >= 20 && n <= 30)) || { fail "expected about 25 rounds (50 hops, 2 per round), saw $n"; return 1; }
    grep '"code": 554' "$LOOPS_FORWARDER_LOG" | tail -n 1 | grep -q '5.4.6' \
        || { fail "the refusal the forwarder got is not 5.4.6: $(grep '"code": 554' "$LOOPS_FORWARDER_LOG" | tail -n 1)"; return 1; }
    # The last copy the instance accepted could not be delivered: its recipient bounced with 5.4.6.
    auth_http GET "/v1/messages?status=bounced&recipient=user@fwd.test&limit=200"
    bounced=$(json "$HTTP_BODY" "[m['id'] for m in j['items']]")
    [[ $(json "$HTTP_BODY" "len(j['items'])") == 1 ]] || { fail "expected exactly one bounced copy, got: $bounced"; return 1; }
    get_message "$(json "$HTTP_BODY" "j['items'][0]['id']")"
    view="$d/bounced.json"; cp "$HTTP_BODY" "$view"
    last=$(recipient_field "$view" user@fwd.test lastResponse)
    [[ $last == 554*5.4.6* ]] || { fail "the bounced copy's last reply is not 554 5.4.6: $last"; return 1; }
    [[ $(json "$view" "any(e['type'] == 'bounced' for e in j['events'])") == true ]] || { fail "no bounced event: $(describe_view "$view")"; return 1; }
    auth_http GET "/v1/messages?recipient=user@fwd.test&status=sending&limit=200"
    [[ $(json "$HTTP_BODY" "len(j['items'])") == 0 ]] || { fail "copies still in flight after the loop stopped: $(body_excerpt 300)"; return 1; }
}
test_adv_loop_through_forwarder_stops_at_hop_limit() { _loops_run _test_adv_loop_through_forwarder; }

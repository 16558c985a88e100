# shellcheck shell=bash
# Scale-out: many nodes, one PostgreSQL queue, no double delivery.
#
# One PostgreSQL (started here, on loopback), two front nodes (Roles=api,smtp) and three sender
# nodes (Roles=sender), all real processes of the built binary, started together (so the
# migration lock is contended). MULTINODE_MESSAGES (2000) one-recipient messages go to both
# front nodes over HTTP and SMTP; once a quarter of them have been delivered, one sender gets
# kill -9. Every acknowledged message must reach the receiving servers (two MX hosts of equal
# preference, each an aiosmtpd sink that records the sender's EHLO name); copies are counted per
# sender, and a duplicate is accepted only when one of its copies came from the killed node (it
# died between the remote 250 and its commit). The nodes use a 20 s lease, so the killed node's
# recipients are taken over by the others within the test.

# shellcheck source=../../scripts/lib/postgres.sh
source "$E2E_LIB_DIR/../../scripts/lib/postgres.sh"

_mn_cleanup() {
    local n
    for n in mn-front1 mn-front2 mn-sender1 mn-sender2 mn-sender3; do stop_emailapi "$n"; done
    [[ -n ${MN_DNS_PID:-} ]] && stop_pid "$MN_DNS_PID" 5
    for n in ${MN_SINK_PIDS:-}; do stop_pid "$n" 5; done
    pg_stop
}

test_multinode_postgres_three_senders_one_killed_deliver_every_message_once() {
    local d; d=$(test_tmp)
    local n=${MULTINODE_MESSAGES:-2000} wait_s=${MULTINODE_WAIT:-150}
    local tag="run$RANDOM$RANDOM" domain=multi.test
    trap _mn_cleanup EXIT

    pg_start || { fail "PostgreSQL did not start"; return 1; }
    note "PostgreSQL on 127.0.0.1:$PG_PORT ($PG_DIR)"

    # Own DNS and receivers, so nothing else the suite sends can mix in.
    local dns_port; dns_port=$(free_port)
    start_dnsmasq "$dns_port" --local=/test/ \
        --mx-host=$domain,mx1.$domain,10 --host-record=mx1.$domain,127.0.0.21 \
        --mx-host=$domain,mx2.$domain,10 --host-record=mx2.$domain,127.0.0.22 \
        || { fail "dnsmasq did not start"; return 1; }
    MN_DNS_PID=$(awk '$3 == "dnsmasq" {p=$1} END {print p}' "$PEERS_DIR/pids")
    start_sink mn1 127.0.0.21 save "$d/sink1" || { fail "sink 1 did not start"; return 1; }
    MN_SINK_PIDS=$(awk '$3 == "sink-mn1" {p=$1} END {print p}' "$PEERS_DIR/pids")
    start_sink mn2 127.0.0.22 save "$d/sink2" || { fail "sink 2 did not start"; return 1; }
    MN_SINK_PIDS="$MN_SINK_PIDS $(awk '$3 == "sink-mn2" {p=$1} END {print p}' "$PEERS_DIR/pids")"
    mkdir -p "$d/sink1" "$d/sink2"

    local common=(
        "Storage__Provider=Postgres"
        "Storage__Postgres__ConnectionString=$PG_CONN"
        "Bootstrap__ApiKey=$API_KEY"
        "Delivery__DnsServers__0=127.0.0.1:$dns_port"
        "Delivery__Port=25"
        "Delivery__LeaseDuration=00:00:20"
        "Delivery__PollInterval=00:00:00.500"
        "Smtp__Address=127.0.0.1"
        "Smtp__ImplicitTlsPort=-1"
        "Smtp__TrustedNetworks__0=127.0.0.0/8"
        "Smtp__TrustedAccount=default"
        "Logging__LogLevel__Default=Warning"
    )
    local f1 f2 s1 s2 h
    f1=$(free_port); f2=$(free_port); s1=$(free_port); s2=$(free_port)
    local senders=() i
    for i in 1 2 3; do senders+=("$(free_port)"); done
    # All five start at once: they queue on the migration lock, one migrates, one bootstraps.
    start_emailapi mn-front1 "${common[@]}" "Urls=http://127.0.0.1:$f1" "Roles=api,smtp" "Smtp__Port=$s1" "Delivery__HeloName=front1.relay.test" >/dev/null 2>&1 &
    local p1=$!
    start_emailapi mn-front2 "${common[@]}" "Urls=http://127.0.0.1:$f2" "Roles=api,smtp" "Smtp__Port=$s2" "Delivery__HeloName=front2.relay.test" >/dev/null 2>&1 &
    local p2=$!
    local sp=()
    for i in 1 2 3; do
        start_emailapi "mn-sender$i" "${common[@]}" "Urls=http://127.0.0.1:${senders[$((i - 1))]}" "Roles=sender" "Delivery__HeloName=sender$i.relay.test" >/dev/null 2>&1 &
        sp+=($!)
    done
    local ok=1
    for h in $p1 $p2 "${sp[@]}"; do wait "$h" || ok=0; done
    if ((ok == 0)); then
        for h in mn-front1 mn-front2 mn-sender1 mn-sender2 mn-sender3; do
            echo "    --- $h:"; tail -n 15 "$PEERS_DIR/logs/emailapi-$h.log" | sed 's/^/    /'
        done
        fail "not every node started"; return 1
    fi
    wait_tcp 127.0.0.1 "$s1" 20 && wait_tcp 127.0.0.1 "$s2" 20 || { fail "SMTP listeners of the front nodes are not up"; return 1; }
    local versions accounts
    versions=$(pg_psql "SELECT COUNT(*) FROM schema_version")
    accounts=$(pg_psql "SELECT COUNT(*) FROM accounts")
    note "5 nodes up; schema versions applied once each: $versions rows; accounts: $accounts"
    expect_eq "$accounts" 1 "accounts created by five nodes starting at once" || return 1

    # A sender-only node serves health and metrics, not the API.
    HTTP_TIMEOUT=5 BASE_URL="http://127.0.0.1:${senders[0]}" auth_http POST /v1/send -H 'Content-Type: application/json' --data-binary '{}'
    expect_eq "$HTTP_CODE" 404 "POST /v1/send on a sender-only node" || return 1
    BASE_URL="http://127.0.0.1:${senders[0]}" http GET /metrics
    expect_eq "$HTTP_CODE" 200 "GET /metrics on a sender-only node" || return 1

    local start=$SECONDS
    "$PY" "$E2E_LIB_DIR/multinode.py" load --http "http://127.0.0.1:$f1,http://127.0.0.1:$f2" --smtp "127.0.0.1:$s1,127.0.0.1:$s2" \
        --key "$API_KEY" --count "$n" --domain "$domain" --tag "$tag" --out "$d/accepted.txt" --workers 16 >"$d/load.out" 2>&1 &
    local load_pid=$!

    # Kill one sender once a quarter of the messages have arrived, while sending and delivering go on.
    local delivered=0 deadline=$((SECONDS + 120))
    while ((SECONDS < deadline)); do
        delivered=$(find "$d/sink1" "$d/sink2" -name '*.eml' 2>/dev/null | wc -l)
        ((delivered >= n / 4)) && break
        sleep 0.1
    done
    local victim_pid; victim_pid=$(cat "$PEERS_DIR/emailapi-mn-sender3.pid")
    kill9_emailapi mn-sender3
    local leased; leased=$(pg_psql "SELECT COUNT(*) FROM recipients WHERE status = 'sending'")
    note "kill -9 of sender3 (pid $victim_pid) after $delivered deliveries, $((SECONDS - start)) s in; recipients leased at that moment (all nodes): $leased"
    wait "$load_pid"
    cat "$d/load.out" | sed 's/^/    /'
    local acked; acked=$(wc -l <"$d/accepted.txt")
    ((acked > 0)) || { fail "no message was acknowledged"; return 1; }

    local summary rc=1
    deadline=$((SECONDS + wait_s))
    while :; do
        summary=$("$PY" "$E2E_LIB_DIR/multinode.py" count --sinks "$d/sink1,$d/sink2" --tag "$tag" --accepted "$d/accepted.txt" --killed-helo sender3.relay.test)
        rc=$?
        [[ $summary == *'"missing": 0,'* ]] && break
        ((SECONDS >= deadline)) && break
        sink_growth 1 "$d/sink1" "$d/sink2"
    done
    local took=$((SECONDS - start))
    note "after ${took}s: $summary"
    local statuses; statuses=$(pg_psql "SELECT status || '=' || COUNT(*) FROM recipients GROUP BY status ORDER BY 1" | tr '\n' ' ')
    note "recipient states in PostgreSQL: $statuses"
    if [[ $summary != *'"missing": 0,'* ]]; then
        fail "acknowledged messages missing at the receiving servers after ${wait_s}s of waiting"; return 1
    fi
    ((rc == 0)) || { fail "duplicates that the killed node does not explain: $summary"; return 1; }
    [[ $summary == *'"sender3.relay.test"'* ]] || note "note: the killed sender had delivered nothing before it died"
    local survivors
    survivors=$("$PY" -c 'import json,sys; c=json.loads(sys.argv[1])["copies_per_helo"]; print(sum(1 for h in ("sender1.relay.test","sender2.relay.test") if c.get(h,0) > 0))' "$summary")
    expect_eq "$survivors" 2 "surviving senders that delivered" || return 1
}

#!/usr/bin/env bash
# End-to-end suite: the built EmailApi as a real process, real DNS (dnsmasq on
# 127.0.0.1:5353), real receiving MTAs on port 25 of loopback addresses, real clients.
# Build first (scripts/test.sh does). Prints "N passed, N failed" as its last line.
#
#   tests/e2e/run.sh                   all tests
#   E2E_ONLY=regex tests/e2e/run.sh    only tests whose name matches
#   E2E_KEEP=1                         keep the work directory even when all pass
#
# Tests live in tests/e2e/t_*.sh; every function named test_* there runs, in file order,
# each in its own bash process under a timeout (E2E_TEST_TIMEOUT, default 240 s).
#
# The test world (see start_world):
#   ok.test        MX 10 -> 127.0.0.2  sink "save" (local parts bounce-*/defer-* get 550/451)
#   bounce.test    MX 10 -> 127.0.0.3  sink "reject" (550 5.1.1 to RCPT)
#   tempfail.test  MX 10 -> 127.0.0.4  sink "tempfail" (451 4.3.0 to RCPT)
#   tempdata.test  MX 10 -> 127.0.0.5  sink "tempfail --at data" (451 4.3.0 after DATA)
#   amx.test       no MX, A 127.0.0.6  sink "save" (RFC 5321 §5.1 implicit MX)
#   fallback.test  MX 10 -> 127.0.0.7 (nothing listens), MX 20 -> 127.0.0.8 sink "save"
#   crash.test     MX 10 -> 127.0.0.9  sink "save" (kill -9 test)
#   nullmx.test    MX 0 .              (RFC 7505 null MX)
#   nx.test        NXDOMAIN (any undefined name under .test)
set -uo pipefail

E2E_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$E2E_HOME/../.." && pwd)"
export PEERS_REPO_ROOT="$REPO_ROOT"
# shellcheck source=../../scripts/lib/peers.sh
source "$REPO_ROOT/scripts/lib/peers.sh"
# shellcheck source=lib.sh
source "$E2E_HOME/lib.sh"
for f in "$E2E_HOME"/t_*.sh; do
    # shellcheck disable=SC1090
    [[ -f $f ]] && source "$f"
done

# Child mode: run one test in this process (the harness calls us like this).
if [[ ${1:-} == --one ]]; then
    export E2E_CURRENT_TEST=$2
    "$2"
    exit $?
fi

E2E_DNS_PORT=${E2E_DNS_PORT:-5353}
E2E_TEST_TIMEOUT=${E2E_TEST_TIMEOUT:-240}
export API_KEY=${E2E_API_KEY:-ea_test_0123456789abcdef0123456789abcdef}
export HELO_NAME=relay.test

E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/emailapi-e2e.XXXXXX")
export E2E_DIR
export SINKS="$E2E_DIR/sinks"
peers_init "$E2E_DIR/peers"

passed=0
failed=0
failed_names=()
keep_dir=${E2E_KEEP:-0}

cleanup() {
    trap - EXIT INT TERM
    if [[ -f $E2E_DIR/test.pid ]]; then
        local tp; tp=$(cat "$E2E_DIR/test.pid")
        if kill -TERM "$tp" 2>/dev/null; then
            # Until it has gone (10 s at most), so its peers are not stopped under it.
            for _ in $(seq 100); do kill -0 "$tp" 2>/dev/null || break; sleep 0.1; done
        fi
    fi
    peers_cleanup
    if [[ $keep_dir == 1 || $failed -gt 0 ]]; then
        echo "e2e: work directory kept: $E2E_DIR (service log: $PEERS_DIR/logs/emailapi-main.log)"
    else
        rm -rf "$E2E_DIR"
    fi
}
trap cleanup EXIT
trap 'echo "e2e: interrupted"; exit 130' INT TERM

die_setup() {
    echo "e2e: setup failed: $*"
    echo "0 passed, 1 failed"
    failed=1
    exit 1
}

# Nothing may already listen on port 25 on a wildcard or on our loopback addresses:
# a system Postfix would answer for "nothing listens" addresses and hide real failures.
check_port25_free() {
    local busy
    busy=$(ss -Hltn 'sport = :25' 2>/dev/null | awk '{print $4}')
    if [[ -n $busy ]]; then
        die_setup "something already listens on port 25 ($busy); stop it (service postfix stop) and retry"
    fi
}

start_world() {
    check_port25_free
    start_dnsmasq "$E2E_DNS_PORT" \
        --local=/test/ \
        --mx-host=ok.test,mx.ok.test,10 --host-record=mx.ok.test,127.0.0.2 \
        --mx-host=bounce.test,mx.bounce.test,10 --host-record=mx.bounce.test,127.0.0.3 \
        --mx-host=tempfail.test,mx.tempfail.test,10 --host-record=mx.tempfail.test,127.0.0.4 \
        --mx-host=tempdata.test,mx.tempdata.test,10 --host-record=mx.tempdata.test,127.0.0.5 \
        --host-record=amx.test,127.0.0.6 \
        --mx-host=fallback.test,mx1.fallback.test,10 --host-record=mx1.fallback.test,127.0.0.7 \
        --mx-host=fallback.test,mx2.fallback.test,20 --host-record=mx2.fallback.test,127.0.0.8 \
        --mx-host=crash.test,mx.crash.test,10 --host-record=mx.crash.test,127.0.0.9 \
        --mx-host=nullmx.test,.,0 \
        || die_setup "dnsmasq did not start on 127.0.0.1:$E2E_DNS_PORT"
    # Make sure the zone is what the tests think it is before blaming the service.
    local got
    got=$(dns_query fallback.test MX 127.0.0.1 "$E2E_DNS_PORT")
    [[ $got == *"MX 10 mx1.fallback.test"*"MX 20 mx2.fallback.test"* || $got == *"MX 20 mx2.fallback.test"*"MX 10 mx1.fallback.test"* ]] \
        || die_setup "dnsmasq: fallback.test MX answer unexpected: $got"
    got=$(dns_query nullmx.test MX 127.0.0.1 "$E2E_DNS_PORT")
    [[ $got == "NOERROR MX 0 ." ]] || die_setup "dnsmasq: nullmx.test MX answer unexpected: $got"
    got=$(dns_query nx.test MX 127.0.0.1 "$E2E_DNS_PORT")
    [[ $got == NXDOMAIN* ]] || die_setup "dnsmasq: nx.test should be NXDOMAIN, got: $got"
    got=$(dns_query amx.test MX 127.0.0.1 "$E2E_DNS_PORT")
    [[ $got == "NOERROR" ]] || die_setup "dnsmasq: amx.test MX should be empty NOERROR, got: $got"

    start_sink ok 127.0.0.2 save "$SINKS/ok" || die_setup "sink ok"
    start_sink bounce 127.0.0.3 reject || die_setup "sink bounce"
    start_sink tempfail 127.0.0.4 tempfail --at rcpt || die_setup "sink tempfail"
    start_sink tempdata 127.0.0.5 tempfail --at data || die_setup "sink tempdata"
    start_sink amx 127.0.0.6 save "$SINKS/amx" || die_setup "sink amx"
    start_sink fallback 127.0.0.8 save "$SINKS/fallback" || die_setup "sink fallback"
    start_sink crash 127.0.0.9 save "$SINKS/crash" || die_setup "sink crash"
}

# The service configuration; kept in a file so a test can restart the service (same
# database, same ports) from its own process.
write_service_env() {
    local http_port smtp_port tls_port
    http_port=$(free_port); smtp_port=$(free_port); tls_port=$(free_port)
    while [[ $smtp_port == "$http_port" ]]; do smtp_port=$(free_port); done
    while [[ $tls_port == "$http_port" || $tls_port == "$smtp_port" ]]; do tls_port=$(free_port); done
    export BASE_URL="http://127.0.0.1:$http_port" SMTP_PORT=$smtp_port SMTP_TLS_PORT=$tls_port
    mkdir -p "$E2E_DIR/data"
    {
        echo "Urls=$BASE_URL"
        echo "Roles=api,smtp,sender"
        echo "Storage__Sqlite__Path=$E2E_DIR/data/q.db"
        echo "Bootstrap__ApiKey=$API_KEY"
        echo "Delivery__DnsServers__0=127.0.0.1:$E2E_DNS_PORT"
        echo "Delivery__Port=25"
        echo "Delivery__HeloName=$HELO_NAME"
        echo "Smtp__Address=127.0.0.1"
        echo "Smtp__Port=$SMTP_PORT"
        echo "Smtp__ImplicitTlsPort=$SMTP_TLS_PORT"
        # A crashed sender's recipients come back when its lease runs out (default 10 min);
        # a short lease lets the kill -9 test see them delivered within its window. It must
        # stay above the sender's 30 s safety margin (a job never starts that close to expiry).
        echo "Delivery__LeaseDuration=00:01:00"
        # The public URL unsubscribe links point at (t_unsubscribe.sh follows them to this service).
        echo "Http__PublicBaseUrl=https://mail.relay.test"
        # Extra settings, one VAR=VALUE per line, e.g. to shorten retry intervals.
        [[ -n ${E2E_SERVICE_EXTRA:-} ]] && printf '%s\n' "$E2E_SERVICE_EXTRA"
    } >"$E2E_DIR/service.env"
}

start_world
write_service_env
echo "e2e: work dir $E2E_DIR, service at $BASE_URL (SMTP $SMTP_PORT, implicit TLS $SMTP_TLS_PORT)"
service_start || die_setup "EmailApi did not start (see above)"

# Tests in file order.
tests=()
for f in "$E2E_HOME"/t_*.sh; do
    [[ -f $f ]] || continue
    while read -r name; do
        if [[ -z ${E2E_ONLY:-} || $name =~ ${E2E_ONLY} ]]; then tests+=("$name"); fi
    done < <(grep -oE '^(function[[:space:]]+)?test_[A-Za-z0-9_]+' "$f" | sed -E 's/^function[[:space:]]+//')
done

service_log="$PEERS_DIR/logs/emailapi-main.log"
for t in "${tests[@]}"; do
    echo "--- $t"
    # A test may have killed the service; each test starts against a live one.
    if ! service_alive; then
        echo "    (service was not running; restarting it on the same database)"
        service_start >/dev/null 2>&1 || echo "    (restart failed; see $service_log)"
    fi
    log_offset=$(stat -c %s "$service_log" 2>/dev/null || echo 0)
    start=$SECONDS
    # In the background + wait, so an INT/TERM to the harness is handled at once (cleanup
    # then stops the running test through its timeout process, which forwards the signal).
    rm -f "$E2E_DIR/test.rc" "$E2E_DIR/test.pid"
    {
        timeout -k 10 "$E2E_TEST_TIMEOUT" bash "$E2E_HOME/run.sh" --one "$t" &
        echo $! >"$E2E_DIR/test.pid"
        wait $!
        echo $? >"$E2E_DIR/test.rc"
    } 2>&1 | sed -u 's/^/    /' &
    wait $!
    rc=$(cat "$E2E_DIR/test.rc" 2>/dev/null || echo 1)
    rm -f "$E2E_DIR/test.pid"
    took=$((SECONDS - start))
    if [[ $rc == 0 ]]; then
        passed=$((passed + 1))
        echo "ok   $t (${took}s)"
    else
        failed=$((failed + 1))
        failed_names+=("$t")
        [[ $rc == 124 || $rc == 137 ]] && echo "    FAIL: timed out after ${E2E_TEST_TIMEOUT}s"
        echo "    service log during the test (last 25 lines):"
        tail -c +"$((log_offset + 1))" "$service_log" 2>/dev/null | tail -n 25 | sed 's/^/    | /'
        echo "FAIL $t (${took}s)"
    fi
done

if ((failed > 0)); then
    echo "failed tests: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
((failed == 0))

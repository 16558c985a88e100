# shellcheck shell=bash
# The process itself: where it listens, health endpoints.

# Every socket the service listens on is on 127.0.0.0/8 (the test configuration asks
# for loopback only; a wildcard bind would expose the relay).
test_service_listens_on_loopback_only() {
    local pid addrs bad
    pid=$(service_pid)
    addrs=$(ss -Hltnp 2>/dev/null | grep -F "pid=$pid," | awk '{print $4}' | sort -u | tr '\n' ' ')
    [[ -n $addrs ]] || { fail "no listening sockets found for service pid $pid"; return 1; }
    bad=$(tr ' ' '\n' <<<"$addrs" | grep -vE '^(127\.[0-9.]+|\[::1\]|\[::ffff:127\.[0-9.]+\]):[0-9]+$' | tr '\n' ' ')
    [[ -z ${bad// /} ]] || { fail "service listens on non-loopback address(es): $bad(all: $addrs)"; return 1; }
    note "listening on: $addrs"
    [[ " $addrs " == *" 127.0.0.1:${BASE_URL##*:} "* ]] || { fail "no listener on ${BASE_URL#http://} (Urls), have: $addrs"; return 1; }
    # The SMTP listeners are checked by the SMTP tests; here only note whether they are up.
    local want
    for want in "127.0.0.1:$SMTP_PORT" "127.0.0.1:$SMTP_TLS_PORT"; do
        [[ " $addrs " == *" $want "* ]] || note "note: nothing listens on $want (Smtp__Port / Smtp__ImplicitTlsPort)"
    done
}

test_health_endpoints_answer_200() {
    local p
    for p in /health/live /health/ready; do
        http GET "$p"
        expect_eq "$HTTP_CODE" 200 "GET $p" || return 1
    done
}

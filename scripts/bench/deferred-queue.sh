#!/usr/bin/env bash
# A big deferred queue must not starve fresh mail. One running EmailApi (Roles=api,sender, MX from
# dnsmasq, one lib/wan_sink.py receiver without delay on every MX address):
#   1. fresh mail with an empty queue: FRESH messages over HTTP (POST /v1/send, 20 connections, as
#      fast as accepted) to 7 healthy domains; rate from the first at the receiver to the last;
#   2. DEFERRED recipients inserted straight into the queue with SQL against the real schema
#      (lib/fill_queue.py --deferred: status 'deferred', one attempt and its 451 recorded), spread
#      over the domains that answer 451 to every recipient (2% of BENCH_DOMAINS), their retries
#      coming due evenly over the next BENCH_DUE_SPREAD seconds, i.e. during the run;
#   3. the same fresh load again while the retries come due: its rate must be >= 0.9 of (1).
# Reported: both rates and their ratio, the retry attempts the receiver saw per second meanwhile
# (451s to those recipients), the server CPU per fresh message, and the peak RSS (<= 300 MB).
# Postfix is not run here: filling its queue with 500,000 deferred queue files would take longer
# than the whole benchmark, and no direct-SQL equivalent exists for it.
#
#   scripts/bench/deferred-queue.sh                 500,000 deferred, 5,000 fresh per round
#   BENCH_QUICK=1 scripts/bench/deferred-queue.sh   5,000 deferred, 300 fresh
#   BENCH_DEFERRED / BENCH_FRESH / BENCH_DOMAINS / BENCH_DUE_SPREAD / BENCH_WARMUP
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $BENCH_QUICK == 1 ]]; then
    deferred=${BENCH_DEFERRED:-5000}; fresh=${BENCH_FRESH:-300}; spread=${BENCH_DUE_SPREAD:-30}; warm=${BENCH_WARMUP:-200}
else
    deferred=${BENCH_DEFERRED:-500000}; fresh=${BENCH_FRESH:-5000}; spread=${BENCH_DUE_SPREAD:-300}; warm=${BENCH_WARMUP:-5000}
fi
domains=${BENCH_DOMAINS:-500}
fill_timeout=${BENCH_FILL_TIMEOUT:-900}

bench_init deferred-queue
bench_load "before"
start_wan_peers "$domains" 0 0
# The deferring domains' indexes: d7, d57, ... (lib/common.sh wan_behaviour). fill_queue.py spreads
# over d{}.wan.test with {} = n % count, so give it a pattern that maps onto them: 50 * k + 7.
ndefer=0
for ((i = 0; i < domains; i++)); do [[ $(wan_behaviour "$i") == defer ]] && ndefer=$((ndefer + 1)); done
((ndefer > 0)) || bench_die "BENCH_DOMAINS ($domains) has no deferring domain (need >= 8)"

start_bench_emailapi relay "$PEERS_DIR/deferred.db" api,sender \
    "Delivery__DnsServers__0=127.0.0.1:$BENCH_DNS_PORT" "Delivery__Port=$WAN_PORT" "Delivery__HeloName=bench-relay.test"
e_pid=$EMAILAPI_PID

# fresh_round KEY COUNT: COUNT messages over HTTP to d0..d6 (healthy); sets RATE and CPU_MS.
fresh_round() {
    local key=$1 count=$2 c0 c1 out
    c0=$(tree_cpu_s "$e_pid")
    out=$("$PEERS_SYS_PYTHON" "$here/lib/load.py" http "$BENCH_URL" "$count" --key "$BENCH_API_KEY" --domain "d{}.wan.test" \
        --domains 7 --prefix "$key" --sessions 20 --size 2048 2>"$PEERS_DIR/logs/load-$key.err") \
        || bench_die "$key: the relay refused messages: $out $(tail -n 3 "$PEERS_DIR/logs/load-$key.err")"
    wait_wan "$key" "$count" 600 || bench_die "$key: $WAN_COUNT of $count at the receiver after 600 s"
    c1=$(tree_cpu_s "$e_pid")
    CPU_MS=$(cpu_ms_per "$c0" "$c1" "$count")
    # From the start of the load: the receiver's first-to-last alone would flatter a sender that
    # starts late.
    RATE=$(calc 'n / (b - a)' n="$count" a="$LOAD_START" b="$WAN_DONE_AT")
}
run_fresh() { LOAD_START=$(now_s); fresh_round "$@"; }

bench_log "warm-up: $warm fresh messages"
run_fresh w "$warm"
run_fresh fa "$fresh"
a_rate=$RATE; a_ms=$CPU_MS
bench_log "fresh mail, empty queue: $fresh in $(calc 'n / r' n="$fresh" r="$a_rate") s = $a_rate msg/s; CPU $a_ms ms/msg"

bench_log "inserting $deferred deferred recipients for $ndefer domains that answer 451, due over the next ${spread}s"
f0=$(wan_stat r deferred); ft=$(now_s)
out=$(timeout -k 5 "$fill_timeout" "$PEERS_SYS_PYTHON" "$here/lib/fill_queue.py" "$PEERS_DIR/deferred.db" "$deferred" \
    "d{}.wan.test" --domains "$ndefer" --stride 50 --offset 7 --prefix r --deferred --due-in 0 --due-spread "$spread") \
    || bench_die "filling $deferred deferred recipients failed or took over ${fill_timeout}s"
bench_log "  $out"
r0=$(wan_stat r deferred); t0=$(now_s)
run_fresh fb "$fresh"
b_rate=$RATE; b_ms=$CPU_MS
r1=$(wan_stat r deferred); t1=$(now_s)
retries=$(calc '(b - a) / (t1 - t0)' a="$r0" b="$r1" t0="$t0" t1="$t1")
bench_log "fresh mail, $deferred deferred behind it: $fresh in $(calc 'n / r' n="$fresh" r="$b_rate") s = $b_rate msg/s; CPU $b_ms ms/msg; retry attempts meanwhile $retries/s"
# How the retries go on without fresh mail, for the record.
sleep_until=$((SECONDS + (BENCH_QUICK == 1 ? 2 : 10)))
r2=$(wan_stat r deferred); t2=$(now_s)
while ((SECONDS < sleep_until)); do sleep 0.1; done
retries_idle=$(calc '(b - a) / (t1 - t0)' a="$r2" b="$(wan_stat r deferred)" t0="$t2" t1="$(now_s)")
retries_all=$(calc '(b - a) / (t1 - t0)' a="$f0" b="$(wan_stat r deferred)" t0="$ft" t1="$(now_s)")
e_rss=$(peak_rss_kb "$e_pid")
status=$(db_scalar "$PEERS_DIR/deferred.db" "SELECT group_concat(status || '=' || c, ' ') FROM (SELECT status, COUNT(*) c FROM recipients WHERE address LIKE 'r-%' GROUP BY status)")
stop_emailapi relay

r=$(ratio "$b_rate" "$a_rate")
printf '\n%-48s %14s %14s %8s %8s\n' "deferred queue (EmailApi)" "empty queue" "$deferred deferred" "ratio" "target"
printf '%-48s %14s %14s %8s\n' "server CPU ms per fresh message" "$a_ms" "$b_ms" "$(ratio "$b_ms" "$a_ms")"
printf '%-48s %14s %14s %8s %8s\n' "fresh mail, msg/s (HTTP in -> receiver)" "$a_rate" "$b_rate" "$r" ">= 0.9"
printf '%-48s %14s %14s\n' "retry attempts/s (during fresh / after / all)" "-" "$retries / $retries_idle / $retries_all"
printf '%-48s %14s\n' "deferred recipients at the end" "$status"
printf '%-48s %14s %14s\n' "peak RSS (MB)" "" "$((e_rss / 1024))"
bench_load "after"
bench_result "deferred queue: fresh mail msg/s, $deferred deferred vs empty" "$b_rate vs $a_rate" "-" "$r" ">= 0.9" "$(verdict "$r" '>=' 0.9)"
bench_result "deferred queue: server CPU ms/fresh msg (full / empty)" "$b_ms / $a_ms" "-" "$(ratio "$b_ms" "$a_ms")" "-" "-"
bench_result "deferred queue: retry attempts/s (with fresh / alone / all)" "$retries / $retries_idle / $retries_all" "-" "-" "-" "-"
bench_rss_result "deferred-queue.sh" "$e_rss"
exit 0

#!/usr/bin/env bash
# Many destinations at WAN latency: N messages, one recipient each, to D domains (dI.wan.test,
# message n to domain n % D), received by one lib/wan_sink.py that listens on every domain's MX
# address and answers each command 50 ms after it arrives; 2% of the domains answer 451 to every
# recipient, 1% take 30 s per reply (lib/common.sh start_wan_peers). Both sides drain the same
# queue: time from the first message at the receiver until every message of the healthy domains
# is there (the headline rate), then until the slow domains' messages are there too (bounded by
# BENCH_SLOW_WAIT), and the server CPU per delivered message.
#
#   EmailApi: a sender-only instance, warmed up on a first, smaller queue (BENCH_WARMUP messages
#             to the healthy domains), gets the N recipients inserted into its queue due in 2 s
#             (lib/fill_queue.py, as the service stores them), MX from dnsmasq.
#   Postfix:  its defaults (initial destination concurrency 5, 20 per destination, 100 smtp
#             processes, dead-destination detection), the same destinations as a transport map
#             (no DNS); N messages over SMTP onto its hold queue, then released at once.
#
#   scripts/bench/many-destinations.sh                 20,000 messages, 2,000 domains, 50 ms, 30 s
#   BENCH_QUICK=1 scripts/bench/many-destinations.sh   500 messages, 100 domains, 5 ms, 1 s
#   BENCH_MESSAGES / BENCH_DOMAINS / BENCH_DELAY / BENCH_SLOW / BENCH_SLOW_WAIT / BENCH_SKIP_POSTFIX
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $BENCH_QUICK == 1 ]]; then
    n=${BENCH_MESSAGES:-500}; domains=${BENCH_DOMAINS:-100}; delay=${BENCH_DELAY:-0.005}; slow=${BENCH_SLOW:-1}
    warm=${BENCH_WARMUP:-100}; slow_wait=${BENCH_SLOW_WAIT:-60}
else
    n=${BENCH_MESSAGES:-20000}; domains=${BENCH_DOMAINS:-2000}; delay=${BENCH_DELAY:-0.05}; slow=${BENCH_SLOW:-30}
    warm=${BENCH_WARMUP:-4000}; slow_wait=${BENCH_SLOW_WAIT:-900}
fi
timeout_s=${BENCH_TIMEOUT:-600}
((n % domains == 0)) || bench_die "BENCH_MESSAGES ($n) must be a multiple of BENCH_DOMAINS ($domains)"
per=$((n / domains))

bench_init many-destinations
bench_load "before"
start_wan_peers "$domains" "$delay" "$slow"
healthy=0; slowd=0; deferd=0
for ((i = 0; i < domains; i++)); do
    case $(wan_behaviour "$i") in ok) healthy=$((healthy + 1)) ;; slow) slowd=$((slowd + 1)) ;; defer) deferd=$((deferd + 1)) ;; esac
done
bench_log "$n messages to $domains domains ($healthy healthy, $slowd slow at ${slow}s a reply, $deferd answering 451), ${delay}s a reply"

# analyse PREFIX FIRST_AT: per-domain completion of the healthy domains from the receiver's log
# (seconds after FIRST_AT): "p50 max".
analyse() {
    awk -v p="$1-" -v t0="$2" '
        index($3, p) == 1 { split($3, a, "@"); d = a[2]; if (!(d in last) || $1 > last[d]) last[d] = $1 }
        END { for (d in last) { split(d, x, "."); i = substr(x[1], 2) + 0
                if (i % 50 != 7 && i % 100 != 3) printf "%.1f\n", last[d] - t0 } }' "$WAN_LOG" \
        | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a n/a"; else print v[int((NR + 1) / 2)], v[NR] }'
}

# measure_side KEY PID: from now, wait until the healthy domains' messages (recipients KEY-*) are all
# at the receiver, then (at most BENCH_SLOW_WAIT more) the slow domains' too. Sets S_SECS (first to
# last healthy), S_RATE, S_MS (CPU of PID's tree per healthy message), S_ALL (first to every
# deliverable one, or ">wait"), S_COUNT, S_P50 / S_MAX (per healthy domain), S_DEFERRED, S_OPEN.
measure_side() {
    local key=$1 pid=$2 c0 c1 first healthy_at all_at=""
    c0=$(tree_cpu_s "$pid")
    wait_wan "$key" "$((healthy * per))" "$timeout_s" || bench_die "$key: $WAN_COUNT of $((healthy * per)) healthy messages after ${timeout_s}s"
    first=$WAN_FIRST_AT; healthy_at=$WAN_DONE_AT
    c1=$(tree_cpu_s "$pid")
    S_OPEN=$(wan_stat - open)
    if wait_wan "$key" "$(((healthy + slowd) * per))" "$slow_wait"; then all_at=$WAN_DONE_AT; fi
    S_COUNT=$WAN_COUNT
    S_DEFERRED=$(wan_stat "$key" deferred)
    S_SECS=$(CALC_FMT=%.2f calc 'b - a' a="$first" b="$healthy_at")
    S_RATE=$(calc 'n / s' n="$((healthy * per))" s="$S_SECS")
    S_MS=$(cpu_ms_per "$c0" "$c1" "$((healthy * per))")
    S_ALL=$([[ -n $all_at ]] && CALC_FMT=%.1f calc 'b - a' a="$first" b="$all_at" || echo ">$slow_wait")
    read -r S_P50 S_MAX < <(analyse "$key" "$first")
}

# --- EmailApi ---------------------------------------------------------------------------
db="$PEERS_DIR/many.db"
start_bench_emailapi sender "$db" sender \
    "Delivery__DnsServers__0=127.0.0.1:$BENCH_DNS_PORT" "Delivery__Port=$WAN_PORT" "Delivery__HeloName=bench-relay.test"
e_pid=$EMAILAPI_PID
# Warm-up (JIT, connections, caches) on d0, a healthy domain: w-*.
bench_log "warm-up: $warm messages to d0.wan.test"
"$PEERS_SYS_PYTHON" "$here/lib/fill_queue.py" "$db" "$warm" "d{}.wan.test" --domains 1 --prefix w >/dev/null \
    || bench_die "could not fill the warm-up queue"
wait_wan w "$warm" "$timeout_s" || bench_die "warm-up: $WAN_COUNT of $warm at the receiver"

bench_log "EmailApi: queueing $n messages due in 2 s (direct SQL into the running sender's queue)"
"$PEERS_SYS_PYTHON" "$here/lib/fill_queue.py" "$db" "$n" "d{}.wan.test" --domains "$domains" --prefix e --due-in 2 >/dev/null \
    || bench_die "could not fill the queue"
measure_side e "$e_pid"
e_secs=$S_SECS; e_rate=$S_RATE; e_ms=$S_MS; e_all=$S_ALL; e_p50=$S_P50; e_max=$S_MAX; e_deferred=$S_DEFERRED
e_rss=$(peak_rss_kb "$e_pid")
stop_emailapi sender
bench_log "EmailApi: healthy domains drained in ${e_secs}s = $e_rate msg/s (per-domain completion p50 ${e_p50}s, last ${e_max}s), $S_OPEN connections open then (slow domains); everything deliverable after ${e_all}s ($S_COUNT); 451s received $e_deferred; CPU $e_ms ms/msg; peak RSS $((e_rss / 1024)) MB"

# --- Postfix ----------------------------------------------------------------------------
p_rate=""; p_ms=""; p_all="-"; p_p50="-"; p_max="-"; p_deferred="-"; p_secs="-"
if [[ ${BENCH_SKIP_POSTFIX:-0} != 1 ]]; then
    pf_port=$(free_port)
    postfix_wan wan 127.0.75.1 "$pf_port" hold || bench_die "postfix did not start"
    bench_log "Postfix: queueing $n messages over SMTP (hold queue)"
    "$PEERS_SYS_PYTHON" "$here/lib/load.py" smtp "127.0.75.1:$pf_port" "$n" --domain "d{}.wan.test" --domains "$domains" \
        --prefix p --sessions 10 --size 1024 >"$PEERS_DIR/logs/load-postfix.log" 2>&1 || bench_die "Postfix refused messages: $(tail -n 3 "$PEERS_DIR/logs/load-postfix.log")"
    deadline=$((SECONDS + 120))
    while (($(postfix_queue_count wan hold) < n)); do
        ((SECONDS >= deadline)) && bench_die "postfix hold queue has $(postfix_queue_count wan hold) of $n"
        sleep 0.2
    done
    postsuper -c "$POSTFIX_DIR/etc" -H ALL >/dev/null 2>&1 || bench_die "postsuper -H ALL failed"
    postqueue -c "$POSTFIX_DIR/etc" -f >/dev/null 2>&1 || bench_die "postqueue -f failed"
    measure_side p "$POSTFIX_PID"
    p_secs=$S_SECS; p_rate=$S_RATE; p_ms=$S_MS; p_all=$S_ALL; p_p50=$S_P50; p_max=$S_MAX; p_deferred=$S_DEFERRED
    stop_postfix wan
    bench_log "Postfix:  healthy domains drained in ${p_secs}s = $p_rate msg/s (per-domain completion p50 ${p_p50}s, last ${p_max}s); everything deliverable after ${p_all}s; 451s received $p_deferred; CPU $p_ms ms/msg"
fi

r=$(ratio "$e_rate" "$p_rate")
printf '\n%-48s %12s %12s %8s %8s\n' "many destinations ($n msgs, $domains domains)" "EmailApi" "Postfix" "ratio" "target"
printf '%-48s %12s %12s %8s %8s\n' "server CPU ms per message" "$e_ms" "${p_ms:--}" "$(ratio "$e_ms" "$p_ms")" "-"
printf '%-48s %12s %12s %8s %8s\n' "healthy domains drained, msg/s" "$e_rate" "${p_rate:--}" "$r" ">= 3"
printf '%-48s %12s %12s\n' "healthy domains drained, s" "$e_secs" "$p_secs"
printf '%-48s %12s %12s\n' "per healthy domain done, p50 / last, s" "$e_p50 / $e_max" "$p_p50 / $p_max"
printf '%-48s %12s %12s\n' "every deliverable message (slow too), s" "$e_all" "$p_all"
printf '%-48s %12s %12s\n' "451 replies received (retries included)" "$e_deferred" "$p_deferred"
printf '%-48s %12s\n' "peak RSS EmailApi (MB)" "$((e_rss / 1024))"
bench_load "after"
bench_result "many destinations, server CPU ms/msg" "$e_ms" "${p_ms:--}" "$(ratio "$e_ms" "$p_ms")" "-" "-"
bench_result "many destinations, healthy drained msg/s" "$e_rate" "${p_rate:--}" "$r" ">= 3x Postfix" "$(verdict "$r" '>=' 3)"
bench_result "many destinations, all deliverable, s" "$e_all" "$p_all" "-" "-" "-"
bench_rss_result "many-destinations.sh" "$e_rss"
exit 0

#!/usr/bin/env bash
# End-to-end delivery rate from a pre-filled queue: how fast the sender empties a queue of N
# messages into a receiving MTA, next to Postfix emptying the same number from its own queue.
#
#   EmailApi: an api-only instance queues N messages (POST /v1/send/batch) and stops; a
#             sender-only instance on the same database then delivers them to the MX that dnsmasq
#             names for bench.test: Postfix's smtp-sink on 127.0.71.2. Timed from the first message
#             at the sink to the N-th (smtp-sink's counter); every recipient must end "delivered".
#   Postfix:  a private instance (own config and queue, scripts/lib/peers.sh start_postfix) takes N
#             messages from smtp-source onto its hold queue; "postsuper -H ALL" + "postqueue -f"
#             release them, and they go through a transport map to a second smtp-sink (127.0.71.3).
#
# Warmed (as in production): a sender-only instance already running and warmed up by BENCH_WARMUP
# messages through the same path gets the N messages inserted into its queue, due 2 s later
# (lib/fill_queue.py, rows as the service writes them); timed the same way. The cold run above
# includes the start-up and the JIT compiler's first minutes.
#
# One recipient per message, 5 KB bodies, one destination domain: both sides are held to their
# per-destination concurrency (EmailApi Delivery:PerDomainConcurrency 20, Postfix's
# default_destination_concurrency_limit 20). Durability is left at each side's default (fsync).
#
#   scripts/bench/delivery.sh                 N=5000
#   BENCH_QUICK=1 scripts/bench/delivery.sh   N=300 (smoke test; scripts/test.sh)
#   BENCH_MESSAGES=20000 BENCH_SIZE=1024 BENCH_SKIP_POSTFIX=1 ...
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [[ $BENCH_QUICK == 1 ]]; then n=${BENCH_MESSAGES:-300}; warm=${BENCH_WARMUP:-300}; else n=${BENCH_MESSAGES:-5000}; warm=${BENCH_WARMUP:-15000}; fi
size=${BENCH_SIZE:-5120}
timeout_s=${BENCH_TIMEOUT:-600}

bench_init delivery
bench_load "before"
sink_port=$(free_port)
start_smtp_sink emailapi 127.0.71.2 "$sink_port" -c || bench_die "smtp-sink did not start"
start_bench_dns bench.test 127.0.71.2

# --- EmailApi ---------------------------------------------------------------------------
db="$PEERS_DIR/delivery.db"
start_bench_emailapi fill "$db" api
fill_pid=$EMAILAPI_PID
bench_log "queueing $n messages of $size bytes through POST /v1/send/batch (Roles=api)"
"$PEERS_SYS_PYTHON" "$(dirname "${BASH_SOURCE[0]}")/lib/post_batch.py" "$BENCH_URL" "$BENCH_API_KEY" "$n" "$size" bench.test \
    || bench_die "could not queue $n messages"
fill_rss=$(peak_rss_kb "$fill_pid")
stop_emailapi fill
queued=$(db_scalar "$db" "SELECT COUNT(*) FROM recipients WHERE status = 'queued'")
[[ $queued == "$n" ]] || bench_die "$queued recipients queued, expected $n"

bench_log "starting a sender-only instance on the filled queue"
launch=$(now_s)
start_bench_emailapi sender "$db" sender \
    "Delivery__DnsServers__0=127.0.0.1:$BENCH_DNS_PORT" "Delivery__Port=$sink_port" "Delivery__HeloName=bench-relay.test"
sender_pid=$EMAILAPI_PID
live=$(now_s)
SINK_CPU_PID=$sender_pid wait_sink_count emailapi "$n" "$timeout_s" \
    || bench_die "after ${timeout_s}s smtp-sink has $SINK_COUNT of $n messages; sender log: $PEERS_DIR/logs/emailapi-sender.log"
sender_rss=$(peak_rss_kb "$sender_pid")
# The sink has them all; every recipient must also be recorded as delivered (nothing lost, nothing twice).
deadline=$((SECONDS + 30))
while :; do
    delivered=$(db_scalar "$db" "SELECT COUNT(*) FROM recipients WHERE status = 'delivered'")
    [[ $delivered == "$n" ]] && break
    ((SECONDS >= deadline)) && bench_die "smtp-sink got $SINK_COUNT messages but $delivered of $n recipients are delivered: $(db_scalar "$db" "SELECT group_concat(status || '=' || c) FROM (SELECT status, COUNT(*) c FROM recipients GROUP BY status)")"
    sleep 0.2
done
[[ $(smtp_sink_count emailapi) == "$n" ]] || bench_die "smtp-sink counted $(smtp_sink_count emailapi) messages, expected exactly $n"
e_secs=$(CALC_FMT=%.3f calc 'b - a' a="$SINK_FIRST_AT" b="$SINK_DONE_AT")
e_rate=$(calc 'n / s' n="$n" s="$e_secs")
e_first=$(CALC_FMT=%.2f calc 'b - a' a="$launch" b="$SINK_FIRST_AT")
e_startup=$(CALC_FMT=%.2f calc 'b - a' a="$launch" b="$live")
e_ms=$(CALC_FMT=%.2f calc '1000 * (b - a) / n' a="$SINK_FIRST_CPU" b="$SINK_DONE_CPU" n="$n")
e_busy=$(busy_pct "$SINK_FIRST_TICKS" "$SINK_DONE_TICKS")
bench_log "EmailApi cold: $n messages delivered in ${e_secs}s from the first to the last = $e_rate msg/s (first message ${e_first}s after launch, live after ${e_startup}s); sender CPU $e_ms ms/msg; machine busy $e_busy%; peak RSS sender $((sender_rss / 1024)) MB, api $((fill_rss / 1024)) MB"

# Warmed: the same sender goes on running; warm-up messages first, then the measured queue.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench_log "EmailApi warmed: $warm warm-up messages through the running sender"
"$PEERS_SYS_PYTHON" "$here/lib/fill_queue.py" "$db" "$warm" bench.test --prefix warm --size "$size" >/dev/null || bench_die "could not fill the warm-up queue"
wait_sink_count emailapi "$((n + warm))" "$timeout_s" || bench_die "warm-up: smtp-sink has $SINK_COUNT of $((n + warm))"
"$PEERS_SYS_PYTHON" "$here/lib/fill_queue.py" "$db" "$n" bench.test --prefix warmed --due-in 2 --size "$size" >/dev/null || bench_die "could not fill the queue"
SINK_CPU_PID=$sender_pid wait_sink_count emailapi "$((2 * n + warm))" "$timeout_s" \
    || bench_die "warmed: smtp-sink has $((SINK_COUNT - n - warm)) of $n after ${timeout_s}s"
w_secs=$(CALC_FMT=%.3f calc 'b - a' a="$SINK_FIRST_AT" b="$SINK_DONE_AT")
w_rate=$(calc 'n / s' n="$n" s="$w_secs")
w_ms=$(CALC_FMT=%.2f calc '1000 * (b - a) / n' a="$SINK_FIRST_CPU" b="$SINK_DONE_CPU" n="$n")
w_busy=$(busy_pct "$SINK_FIRST_TICKS" "$SINK_DONE_TICKS")
sender_rss=$(peak_rss_kb "$sender_pid")
deadline=$((SECONDS + 30))
while delivered=$(db_scalar "$db" "SELECT COUNT(*) FROM recipients WHERE status = 'delivered'"); [[ $delivered != "$((2 * n + warm))" ]]; do
    ((SECONDS >= deadline)) && bench_die "warmed: $delivered of $((2 * n + warm)) recipients recorded as delivered"
    sleep 0.2
done
stop_emailapi sender
[[ $(smtp_sink_count emailapi) == "$((2 * n + warm))" ]] || bench_die "smtp-sink counted $(smtp_sink_count emailapi) messages, expected exactly $((2 * n + warm))"
bench_log "EmailApi warmed: $n messages delivered in ${w_secs}s from the first to the last = $w_rate msg/s; sender CPU $w_ms ms/msg; machine busy $w_busy%"

# --- Postfix ----------------------------------------------------------------------------
p_rate=""; p_ms=""
if [[ ${BENCH_SKIP_POSTFIX:-0} != 1 ]]; then
    psink_port=$(free_port); pf_port=$(free_port)
    start_smtp_sink postfix 127.0.71.3 "$psink_port" -c || bench_die "smtp-sink (postfix) did not start"
    start_postfix deliv 127.0.71.1 "$pf_port" bench.test 127.0.71.3 "$psink_port" hold || bench_die "postfix did not start"
    bench_log "queueing $n messages in Postfix (smtp-source, hold queue)"
    smtp_source_run postfix-fill 127.0.71.1 "$pf_port" "$n" "$size" 20 || bench_die "smtp-source into postfix failed"
    deadline=$((SECONDS + 60))
    while (($(postfix_queue_count deliv hold) < n)); do
        ((SECONDS >= deadline)) && bench_die "postfix hold queue has $(postfix_queue_count deliv hold) of $n"
        sleep 0.2
    done
    release=$(now_s)
    postsuper -c "$POSTFIX_DIR/etc" -H ALL >/dev/null 2>&1 || bench_die "postsuper -H ALL failed"
    postqueue -c "$POSTFIX_DIR/etc" -f >/dev/null 2>&1 || bench_die "postqueue -f failed"
    SINK_CPU_PID=$POSTFIX_PID wait_sink_count postfix "$n" "$timeout_s" || bench_die "after ${timeout_s}s Postfix delivered $SINK_COUNT of $n"
    p_ms=$(CALC_FMT=%.2f calc '1000 * (b - a) / n' a="$SINK_FIRST_CPU" b="$SINK_DONE_CPU" n="$n")
    p_busy=$(busy_pct "$SINK_FIRST_TICKS" "$SINK_DONE_TICKS")
    p_secs=$(CALC_FMT=%.3f calc 'b - a' a="$SINK_FIRST_AT" b="$SINK_DONE_AT")
    p_rate=$(calc 'n / s' n="$n" s="$p_secs")
    p_first=$(CALC_FMT=%.2f calc 'b - a' a="$release" b="$SINK_FIRST_AT")
    bench_log "Postfix:  $n messages delivered in ${p_secs}s from the first to the last = $p_rate msg/s (first message ${p_first}s after release); Postfix CPU $p_ms ms/msg; machine busy $p_busy%"
    stop_postfix deliv
fi

r=$(ratio "$e_rate" "$p_rate"); wr=$(ratio "$w_rate" "$p_rate")
printf '\n%-44s %12s %12s %8s %8s\n' "delivery from a pre-filled queue" "EmailApi" "Postfix" "ratio" "target"
printf '%-44s %12s %12s %8s\n' "CPU ms per message, warmed (sender / Postfix)" "$w_ms" "${p_ms:--}" "$(ratio "$w_ms" "$p_ms")"
printf '%-44s %12s %12s %8s\n' "CPU ms per message, cold" "$e_ms" "${p_ms:--}" "$(ratio "$e_ms" "$p_ms")"
printf '%-44s %12s %12s %8s %8s\n' "msg/s warmed ($n x $size B, one domain)" "$w_rate" "${p_rate:--}" "$wr" ">= 2"
printf '%-44s %12s %12s %8s\n' "msg/s cold (start-up included)" "$e_rate" "${p_rate:--}" "$r"
printf '%-44s %12s\n' "peak RSS, sender-only instance (MB)" "$((sender_rss / 1024))"
bench_load "after"
bench_result "delivery, CPU ms/msg (warmed / cold)" "$w_ms / $e_ms" "${p_ms:--}" "$(ratio "$w_ms" "$p_ms")" "-" "-"
bench_result "delivery from pre-filled queue warmed, msg/s" "$w_rate" "${p_rate:--}" "$wr" ">= 2x Postfix" "$(verdict "$wr" '>=' 2)"
bench_result "delivery from pre-filled queue cold, msg/s" "$e_rate" "${p_rate:--}" "$r" "-" "-"
bench_rss_result "delivery.sh sender" "$sender_rss"
exit 0

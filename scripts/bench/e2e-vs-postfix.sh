#!/usr/bin/env bash
# End to end, EmailApi against Postfix on the same machine in the same run: smtp-source sends N
# messages of 5 KB over 20 parallel sessions, and the clock stops when that side's receiving MTA
# (Postfix's smtp-sink, counting) has every one of them. Acceptance and delivery overlap, as in
# production; both acknowledge only what is on disk.
#
#   EmailApi: Roles=smtp,sender on 127.0.0.1, the client's network trusted (no AUTH in
#             smtp-source); bench.test's MX comes from dnsmasq and points at smtp-sink 127.0.73.2.
#   Postfix:  a private instance on 127.0.73.1 relaying bench.test to smtp-sink 127.0.73.3 through
#             a transport map (no DNS).
# Rounds alternate between the sides; each side's rate is its total messages over its total time.
#
#   scripts/bench/e2e-vs-postfix.sh                 5000 messages x 2 rounds per side
#   BENCH_QUICK=1 scripts/bench/e2e-vs-postfix.sh   200 messages, 1 round
#   BENCH_MESSAGES / BENCH_SIZE / BENCH_SESSIONS / BENCH_ROUNDS / BENCH_TIMEOUT
#   BENCH_WARMUP=N   messages per warm-up round, through to the sink (default 5000, quick 20). EmailApi
#                    gets rounds until its JIT compiler has gone quiet (lib/warmup.sh; at most
#                    BENCH_WARMUP_ROUNDS, default 6, quick 1), so it runs the optimised code a
#                    long-running server runs; Postfix then gets the same number of messages.
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [[ $BENCH_QUICK == 1 ]]; then
    n=${BENCH_MESSAGES:-200}; rounds=${BENCH_ROUNDS:-1}; sessions=${BENCH_SESSIONS:-10}
else
    n=${BENCH_MESSAGES:-5000}; rounds=${BENCH_ROUNDS:-2}; sessions=${BENCH_SESSIONS:-20}
fi
size=${BENCH_SIZE:-5120}
timeout_s=${BENCH_TIMEOUT:-600}
if [[ $BENCH_QUICK == 1 ]]; then warmup=${BENCH_WARMUP:-20}; warm_max=${BENCH_WARMUP_ROUNDS:-1}
else warmup=${BENCH_WARMUP:-5000}; warm_max=${BENCH_WARMUP_ROUNDS:-6}; fi

bench_init e2e-vs-postfix

e_sink_port=$(free_port)
start_smtp_sink emailapi 127.0.73.2 "$e_sink_port" -c || bench_die "smtp-sink (EmailApi side) did not start"
start_bench_dns bench.test 127.0.73.2
smtp_port=$(free_port)
db="$PEERS_DIR/e2e.db"
start_bench_emailapi relay "$db" smtp,sender \
    "Smtp__Address=127.0.0.1" "Smtp__Port=$smtp_port" "Smtp__ImplicitTlsPort=-1" \
    "Smtp__TrustedNetworks__0=127.0.0.0/8" "Smtp__TrustedAccount=default" \
    "Delivery__DnsServers__0=127.0.0.1:$BENCH_DNS_PORT" "Delivery__Port=$e_sink_port" "Delivery__HeloName=bench-relay.test"
e_pid=$EMAILAPI_PID
wait_tcp 127.0.0.1 "$smtp_port" 20 "$e_pid" || bench_die "EmailApi SMTP port $smtp_port not listening"

p_sink_port=$(free_port); pf_port=$(free_port)
start_smtp_sink postfix 127.0.73.3 "$p_sink_port" -c || bench_die "smtp-sink (Postfix side) did not start"
start_postfix relay 127.0.73.1 "$pf_port" bench.test 127.0.73.3 "$p_sink_port" || bench_die "postfix did not start"

# Warm-up, not counted: the same load through each side, all the way to the sink.
warmed=0
warm_emailapi() {
    smtp_source_run warm-emailapi 127.0.0.1 "$smtp_port" "$warmup" "$size" "$sessions" || return 1
    warmed=$((warmed + warmup))
    wait_sink_count emailapi "$warmed" "$timeout_s" || bench_die "EmailApi warm-up: $SINK_COUNT of $warmed reached the sink"
}
warm_until_settled "$BENCH_NAME: EmailApi" "$BENCH_URL" "$warm_max" warm_emailapi || bench_die "EmailApi refused the warm-up"
bench_log "warm-up: $warmed messages through each side"
smtp_source_run warm-postfix 127.0.73.1 "$pf_port" "$warmed" "$size" "$sessions" || bench_die "Postfix refused the warm-up"
wait_sink_count postfix "$warmed" "$timeout_s" || bench_die "Postfix warm-up: $SINK_COUNT of $warmed reached the sink"
e_base=$warmed; p_base=$warmed

e_total=0; p_total=0; e_accept=0; p_accept=0; e_cpu=0; p_cpu=0; busy_all=()
run_side() {   # run_side emailapi|postfix ROUND
    local side=$1 round=$2 host port base secs pid c0 c1 s0 s1 w0
    if [[ $side == emailapi ]]; then host=127.0.0.1 port=$smtp_port base=$e_base pid=$e_pid
    else host=127.0.73.1 port=$pf_port base=$p_base pid=$POSTFIX_PID; fi
    c0=$(tree_cpu_s "$pid"); s0=$(sys_cpu_ticks)
    [[ $side == emailapi ]] && w0=$(writer_counters "$BENCH_URL")
    smtp_source_run "$side-$round" "$host" "$port" "$n" "$size" "$sessions" || bench_die "smtp-source against $side failed"
    wait_sink_count "$side" "$((base + n))" "$timeout_s" \
        || bench_die "$side: after ${timeout_s}s the sink has $((SINK_COUNT - base)) of $n messages of round $round"
    c1=$(tree_cpu_s "$pid"); s1=$(sys_cpu_ticks)
    busy_all+=("$(busy_pct "$s0" "$s1")")
    secs=$(CALC_FMT=%.3f calc 'b - a' a="$SOURCE_START" b="$SINK_DONE_AT")
    if [[ $side == emailapi ]]; then
        e_total=$(CALC_FMT=%.3f calc 'a + b' a="$e_total" b="$secs"); e_accept=$(CALC_FMT=%.3f calc 'a + b' a="$e_accept" b="$SOURCE_SECONDS")
        e_cpu=$(CALC_FMT=%.2f calc 'a + c1 - c0' a="$e_cpu" c1="$c1" c0="$c0")
        e_base=$((e_base + n))
    else
        p_total=$(CALC_FMT=%.3f calc 'a + b' a="$p_total" b="$secs"); p_accept=$(CALC_FMT=%.3f calc 'a + b' a="$p_accept" b="$SOURCE_SECONDS")
        p_cpu=$(CALC_FMT=%.2f calc 'a + c1 - c0' a="$p_cpu" c1="$c1" c0="$c0")
        p_base=$((p_base + n))
    fi
    printf '%s: round %d %-8s %6d messages: accepted in %7.3f s, all at the sink after %7.3f s = %8.1f msg/s; server CPU %6.2f s = %5.2f cores; machine busy %s%%\n' \
        "$BENCH_NAME" "$round" "$side" "$n" "$SOURCE_SECONDS" "$secs" "$(calc 'n / s' n="$n" s="$secs")" \
        "$(CALC_FMT=%.2f calc 'c1 - c0' c1="$c1" c0="$c0")" "$(CALC_FMT=%.2f calc '(c1 - c0) / s' c1="$c1" c0="$c0" s="$secs")" "${busy_all[-1]}"
    [[ $side == emailapi ]] && bench_log "  $(writer_summary "$w0" "$(writer_counters "$BENCH_URL")" "$secs")"
    return 0
}

bench_load "before"
bench_log "$n messages x $size B, $sessions sessions, $rounds round(s) per side"
for ((round = 1; round <= rounds; round++)); do
    if ((round % 2 == 1)); then run_side emailapi "$round"; run_side postfix "$round"
    else run_side postfix "$round"; run_side emailapi "$round"; fi
done
e_rss=$(peak_rss_kb "$e_pid")
bench_load "after"

# Every message the sink counted is recorded as delivered, and no more than were sent.
total=$((warmed + n * rounds))
deadline=$((SECONDS + 30))
while delivered=$(db_scalar "$db" "SELECT COUNT(*) FROM recipients WHERE status = 'delivered'"); [[ $delivered != "$total" ]]; do
    ((SECONDS >= deadline)) && bench_die "EmailApi: $delivered of $total recipients recorded as delivered"
    sleep 0.2
done
[[ $(smtp_sink_count emailapi) == "$total" ]] || bench_die "EmailApi's sink counted $(smtp_sink_count emailapi) messages, $total were sent"

m=$((n * rounds))
e_rate=$(calc 'm / s' m="$m" s="$e_total"); p_rate=$(calc 'm / s' m="$m" s="$p_total")
e_arate=$(calc 'm / s' m="$m" s="$e_accept"); p_arate=$(calc 'm / s' m="$m" s="$p_accept")
r=$(ratio "$e_rate" "$p_rate")
printf '\n%-44s %12s %12s %8s %8s\n' "end to end (SMTP in, smtp-sink out)" "EmailApi" "Postfix" "ratio" "target"
printf '%-44s %12s %12s %8s %8s\n' "msg/s, until the sink has all" "$e_rate" "$p_rate" "$r" ">= 5"
printf '%-44s %12s %12s %8s\n' "msg/s, acceptance while delivering" "$e_arate" "$p_arate" "$(ratio "$e_arate" "$p_arate")"
e_ms=$(CALC_FMT=%.2f calc '1000 * c / m' c="$e_cpu" m="$m")
p_ms=$(CALC_FMT=%.2f calc '1000 * c / m' c="$p_cpu" m="$m")
printf '%-44s %12s %12s %8s\n' "server CPU ms per message (in + out)" "$e_ms" "$p_ms" "$(ratio "$e_ms" "$p_ms")"
printf '%-44s %12s\n' "peak RSS EmailApi (MB)" "$((e_rss / 1024))"
printf '%-44s %12s\n' "machine CPU busy per run (%)" "${busy_all[*]}"
bench_result "end to end (SMTP in -> sink), msg/s" "$e_rate" "$p_rate" "$r" ">= 5x Postfix" "$(verdict "$r" '>=' 5)"
bench_result "end to end, server CPU ms/msg" "$e_ms" "$p_ms" "$(ratio "$e_ms" "$p_ms")" "-" "-"
bench_result "peak RSS e2e-vs-postfix.sh, MB" "$((e_rss / 1024))" "-" "-" "<= 300" "$(verdict "$((e_rss / 1024))" '<=' 300)"
exit 0

#!/usr/bin/env bash
# SMTP acceptance, EmailApi against Postfix on the same machine in the same run: Postfix's
# smtp-source sends N messages of 5 KB over 20 parallel sessions (a new connection per message,
# HELO, one recipient, no pipelining: smtp-source's defaults) and the time until its last 250
# gives the rate. Both sides acknowledge only what is on disk (EmailApi: group-committed SQLite
# with synchronous=FULL; Postfix: the queue file fsync'd by cleanup).
#
#   EmailApi: Roles=smtp (nothing delivers, so only acceptance is measured), the client's network
#             trusted (Smtp:TrustedNetworks 127.0.0.0/8 as the default account; smtp-source has
#             no AUTH), on 127.0.0.1.
#   Postfix:  a private instance (scripts/lib/peers.sh start_postfix) on 127.0.72.1 that puts every
#             accepted message on hold, so it too only accepts.
# Runs alternate (EmailApi, Postfix, Postfix, EmailApi, ...) so drifting load from other work on
# the machine hits both sides alike; each side's rate is its total messages over its total time.
#
#   scripts/bench/smtp-vs-postfix.sh                 5000 messages x 2 rounds per side
#   BENCH_QUICK=1 scripts/bench/smtp-vs-postfix.sh   200 messages, 1 round
#   BENCH_MESSAGES / BENCH_SIZE / BENCH_SESSIONS / BENCH_ROUNDS
#   BENCH_WARMUP=N   messages per warm-up round (default 5000, quick 20). EmailApi gets rounds until
#                    its JIT compiler has gone quiet (lib/warmup.sh; at most BENCH_WARMUP_ROUNDS, default
#                    6, quick 1), so it runs the optimised code a long-running server runs; Postfix then
#                    gets the same number of messages (its processes spawn).
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [[ $BENCH_QUICK == 1 ]]; then
    n=${BENCH_MESSAGES:-200}; rounds=${BENCH_ROUNDS:-1}; sessions=${BENCH_SESSIONS:-10}
else
    n=${BENCH_MESSAGES:-5000}; rounds=${BENCH_ROUNDS:-2}; sessions=${BENCH_SESSIONS:-20}
fi
size=${BENCH_SIZE:-5120}
if [[ $BENCH_QUICK == 1 ]]; then warmup=${BENCH_WARMUP:-20}; warm_max=${BENCH_WARMUP_ROUNDS:-1}
else warmup=${BENCH_WARMUP:-5000}; warm_max=${BENCH_WARMUP_ROUNDS:-6}; fi

bench_init smtp-vs-postfix

smtp_port=$(free_port)
db="$PEERS_DIR/smtp.db"
start_bench_emailapi smtp "$db" smtp \
    "Smtp__Address=127.0.0.1" "Smtp__Port=$smtp_port" "Smtp__ImplicitTlsPort=-1" \
    "Smtp__TrustedNetworks__0=127.0.0.0/8" "Smtp__TrustedAccount=default" "Delivery__HeloName=bench-relay.test"
e_pid=$EMAILAPI_PID
wait_tcp 127.0.0.1 "$smtp_port" 20 "$e_pid" || bench_die "EmailApi SMTP port $smtp_port not listening"

pf_port=$(free_port)
start_postfix accept 127.0.72.1 "$pf_port" bench.test 127.0.72.2 "$(free_port)" hold || bench_die "postfix did not start"

# Warm-up, not counted: the same load to each side (JIT, page cache, Postfix's process spawns).
warm_emailapi() { smtp_source_run warm-emailapi 127.0.0.1 "$smtp_port" "$warmup" "$size" "$sessions"; }
warm_until_settled "$BENCH_NAME: EmailApi" "$BENCH_URL" "$warm_max" warm_emailapi || bench_die "EmailApi refused the warm-up"
warmed=$((WARM_ROUNDS * warmup))
bench_log "warm-up: $warmed messages to each side"
smtp_source_run warm-postfix 127.0.72.1 "$pf_port" "$warmed" "$size" "$sessions" || bench_die "Postfix refused the warm-up"
e_base=$warmed; p_base=$warmed

e_total=0; p_total=0; e_cpu=0; p_cpu=0; busy_all=()
run_side() {   # run_side emailapi|postfix ROUND
    local side=$1 round=$2 got deadline pid c0 c1 s0 s1
    if [[ $side == emailapi ]]; then pid=$e_pid; else pid=$POSTFIX_PID; fi
    c0=$(tree_cpu_s "$pid"); s0=$(sys_cpu_ticks)
    if [[ $side == emailapi ]]; then
        smtp_source_run "emailapi-$round" 127.0.0.1 "$smtp_port" "$n" "$size" "$sessions" || bench_die "smtp-source against EmailApi failed"
        c1=$(tree_cpu_s "$pid"); s1=$(sys_cpu_ticks)
        e_total=$(CALC_FMT=%.3f calc 'a + b' a="$e_total" b="$SOURCE_SECONDS")
        e_cpu=$(CALC_FMT=%.2f calc 'a + c1 - c0' a="$e_cpu" c1="$c1" c0="$c0")
        e_base=$((e_base + n))
        got=$(db_scalar "$db" "SELECT COUNT(*) FROM messages")
        [[ $got == "$e_base" ]] || bench_die "EmailApi has $got messages queued, expected $e_base (every 250 must be a stored message)"
    else
        smtp_source_run "postfix-$round" 127.0.72.1 "$pf_port" "$n" "$size" "$sessions" || bench_die "smtp-source against Postfix failed"
        c1=$(tree_cpu_s "$pid"); s1=$(sys_cpu_ticks)
        p_total=$(CALC_FMT=%.3f calc 'a + b' a="$p_total" b="$SOURCE_SECONDS")
        p_cpu=$(CALC_FMT=%.2f calc 'a + c1 - c0' a="$p_cpu" c1="$c1" c0="$c0")
        p_base=$((p_base + n))
        deadline=$((SECONDS + 30))
        while got=$(postfix_queue_count accept hold); ((got < p_base)); do
            ((SECONDS >= deadline)) && bench_die "Postfix hold queue has $got messages, expected $p_base"
            sleep 0.1
        done
    fi
    busy_all+=("$(busy_pct "$s0" "$s1")")
    printf '%s: round %d %-8s %6d messages in %8.3f s = %8.1f msg/s; server CPU %6.2f s = %5.2f cores; machine busy %s%%\n' \
        "$BENCH_NAME" "$round" "$side" "$n" "$SOURCE_SECONDS" "$(calc 'n / s' n="$n" s="$SOURCE_SECONDS")" \
        "$(CALC_FMT=%.2f calc 'c1 - c0' c1="$c1" c0="$c0")" "$(CALC_FMT=%.2f calc '(c1 - c0) / s' c1="$c1" c0="$c0" s="$SOURCE_SECONDS")" "${busy_all[-1]}"
}

bench_load "before"
bench_log "$n messages x $size B, $sessions sessions, $rounds round(s) per side"
for ((round = 1; round <= rounds; round++)); do
    if ((round % 2 == 1)); then run_side emailapi "$round"; run_side postfix "$round"
    else run_side postfix "$round"; run_side emailapi "$round"; fi
done
e_rss=$(peak_rss_kb "$e_pid")
bench_load "after"

e_rate=$(calc 'm / s' m="$((n * rounds))" s="$e_total")
p_rate=$(calc 'm / s' m="$((n * rounds))" s="$p_total")
r=$(ratio "$e_rate" "$p_rate")
e_ms=$(CALC_FMT=%.2f calc '1000 * c / m' c="$e_cpu" m="$((n * rounds))")
p_ms=$(CALC_FMT=%.2f calc '1000 * c / m' c="$p_cpu" m="$((n * rounds))")
printf '\n%-40s %12s %12s %8s %8s\n' "SMTP accept (durable)" "EmailApi" "Postfix" "ratio" "target"
printf '%-40s %12s %12s %8s %8s\n' "msg/s ($n x $size B, $sessions sessions)" "$e_rate" "$p_rate" "$r" ">= 5"
printf '%-40s %12s %12s %8s\n' "server CPU ms per message" "$e_ms" "$p_ms" "$(ratio "$e_ms" "$p_ms")"
printf '%-40s %12s\n' "peak RSS EmailApi (MB)" "$((e_rss / 1024))"
printf '%-40s %12s\n' "machine CPU busy per run (%)" "${busy_all[*]}"
bench_result "SMTP accept, msg/s" "$e_rate" "$p_rate" "$r" ">= 5x Postfix" "$(verdict "$r" '>=' 5)"
bench_result "SMTP accept, server CPU ms/msg" "$e_ms" "$p_ms" "$(ratio "$e_ms" "$p_ms")" "-" "-"
bench_result "peak RSS smtp-vs-postfix.sh, MB" "$((e_rss / 1024))" "-" "-" "<= 300" "$(verdict "$((e_rss / 1024))" '<=' 300)"
exit 0

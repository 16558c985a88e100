#!/usr/bin/env bash
# Every benchmark in scripts/bench in one go, then one table: benchmark, EmailApi, Postfix, ratio,
# target.
# Each benchmark starts and stops its own peers on loopback; their full output is kept in a log
# directory that is printed at the end.
#
#   scripts/bench/all.sh                  the full sizes (tens of minutes on 2 cores)
#   BENCH_QUICK=1 scripts/bench/all.sh    the smoke-test sizes
#   BENCH_ONLY=regex                      only the benchmarks whose file name matches
#
# Exit status: non-zero when a benchmark broke (a missed target is reported, not a failure).
# scripts/test.sh runs the other scripts one by one and skips this one.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Known ones in a sensible order, then whatever else is there.
benches=()
for b in http-send.sh smtp-accept.sh delivery.sh smtp-vs-postfix.sh e2e-vs-postfix.sh many-destinations.sh inbox-latency.sh \
    deferred-queue.sh queue-scale.sh postgres-scale.sh; do
    [[ -f $here/$b ]] && benches+=("$b")
done
for f in "$here"/*.sh; do
    b=$(basename "$f")
    [[ $b == all.sh || " ${benches[*]} " == *" $b "* ]] || benches+=("$b")
done
logs=$(mktemp -d "${TMPDIR:-/tmp}/emailapi-bench-all.XXXXXX")
rows=()
broken=()

row() { rows+=("$(printf '%s|' "$@")"); }

for b in "${benches[@]}"; do
    [[ -n ${BENCH_ONLY:-} && ! $b =~ ${BENCH_ONLY} ]] && continue
    printf '\n===== %s (%s)\n' "$b" "$(date '+%H:%M:%S')"
    bash "$here/$b" 2>&1 | tee "$logs/${b%.sh}.log"
    rc=${PIPESTATUS[0]}
    if [[ $rc != 0 ]]; then broken+=("$b"); row "$b" "BROKEN (exit $rc)" "" "" ""; continue; fi
    if [[ $b == http-send.sh ]]; then
        # "http-send: accepted 1234.5 msg/s, p50 1.2 ms, p99 3.4 ms; ratio send/live = 0.123"
        line=$(grep -E '^http-send: accepted ' "$logs/http-send.log" | tail -n 1)
        rps=$(sed -nE 's/.*accepted ([0-9.]+) msg\/s.*/\1/p' <<<"$line")
        p99=$(sed -nE 's/.*p99 ([0-9.]+) ms.*/\1/p' <<<"$line")
        met() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { if (v == "") print "n/a"; else print ((op == ">=") ? (v + 0 >= t + 0) : (v + 0 <= t + 0)) ? "met" : "MISSED" }'; }
        cpu=$(sed -nE 's/.*CPU ([0-9.]+) ms\/msg.*/\1/p' <<<"$line")
        row "HTTP accept, server CPU ms/msg" "$cpu" "-" "-" "-" "-"
        row "HTTP accept (durable), msg/s" "$rps" "-" "-" ">= 10000" "$(met "$rps" '>=' 10000)"
        row "HTTP accept p99 latency, ms" "$p99" "-" "-" "<= 25" "$(met "$p99" '<=' 25)"
        continue
    fi
    if grep -q '^BENCH_RESULT|' "$logs/${b%.sh}.log"; then
        while IFS= read -r line; do
            IFS='|' read -r _ name e p r t v <<<"$line"
            row "$name" "$e" "$p" "$r" "$t" "$v"
        done < <(grep '^BENCH_RESULT|' "$logs/${b%.sh}.log")
        continue
    fi
    # Scripts with their own summary line.
    last=$(grep -E "^${b%.sh}: " "$logs/${b%.sh}.log" | grep -v FAIL | tail -n 1)
    case $b in
        smtp-accept.sh)   # "smtp-accept: accepted X msgs/s (...); ratio bridge/smtp-sink = R"
            row "SMTP accept alone, server CPU ms/msg" "$(grep -E '^smtp-accept: server CPU' "$logs/smtp-accept.log" | sed -nE 's/.*CPU ([0-9.]+) ms.*/\1/p')" "-" "-" "-" "-"
            row "SMTP accept vs bare smtp-sink (-d), msg/s" "$(sed -nE 's/.*accepted ([0-9.]+) msgs\/s.*/\1/p' <<<"$last")" \
                "smtp-sink" "$(sed -nE 's/.*= ([0-9.n\/a]+)$/\1/p' <<<"$last")" "-" "-" ;;
        postgres-scale.sh)   # "postgres-scale: scaling factor 3 nodes / 1 node = X"
            row "PostgreSQL delivery, N sender nodes / 1" "$(sed -nE 's/.*scaling factor (.*) = .*/\1/p' <<<"$last")" \
                "-" "$(sed -nE 's/.* = ([0-9.n\/a]+).*/\1/p' <<<"$last")" "-" "-" ;;
        *) row "$b" "${last:0:60}" "-" "-" "-" "-" ;;
    esac
done

# One memory row: the largest peak RSS any instance reached in the delivery, SMTP and e2e runs.
peak=""
for r in "${rows[@]}"; do
    [[ $r == "peak RSS "* ]] || continue
    v=$(cut -d'|' -f2 <<<"$r")
    [[ $v =~ ^[0-9]+$ ]] && { [[ -z $peak ]] || ((v > peak)); } && peak=$v
done

printf '\n%-52s %-22s %-10s %-7s %-14s %s\n' "benchmark" "EmailApi" "Postfix" "ratio" "target" ""
printf '%s\n' "$(printf '%.0s-' {1..116})"
for r in "${rows[@]}"; do
    [[ $r == "peak RSS "* ]] && continue
    IFS='|' read -r name e p ratio t v <<<"$r"
    printf '%-52s %-22s %-10s %-7s %-14s %s\n' "$name" "$e" "$p" "$ratio" "$t" "$v"
done
if [[ -n $peak ]]; then
    v=$( ((peak <= 300)) && echo met || echo MISSED)
    printf '%-52s %-22s %-10s %-7s %-14s %s\n' "peak RSS of the service (delivery, SMTP, e2e), MB" "$peak" "-" "-" "<= 300" "$v"
fi
printf '\nmode: %s; load average now %s on %s cores; logs: %s\n' \
    "$([[ ${BENCH_QUICK:-0} == 1 ]] && echo 'BENCH_QUICK=1 (smoke sizes, not figures)' || echo full)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" "$logs"
if ((${#broken[@]} > 0)); then
    echo "broken: ${broken[*]}"
    exit 1
fi
exit 0

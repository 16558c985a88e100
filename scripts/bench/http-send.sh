#!/usr/bin/env bash
# HTTP intake throughput: wrk POSTs a 1 KB text message to /v1/send (only 202 counts),
# then wrk GETs /health/live on the same instance in the same run; the ratio shows what
# durable acceptance costs against the bare HTTP stack.
#
# The service runs with Roles=api only (nothing delivers, so no mail leaves) on a fresh
# temp SQLite database with default durability. Build first:
#   dotnet build EmailApi.sln -c Release
#
#   scripts/bench/http-send.sh                  15 s per run, 64 connections, 2 threads
#   BENCH_QUICK=1 scripts/bench/http-send.sh    2 s per run (smoke test; scripts/test.sh)
#   BENCH_DURATION=30 BENCH_CONNECTIONS=128 BENCH_THREADS=2 ...
#   BENCH_MAX_ERRORS=0                          non-202 answers tolerated before exit 1
#   BENCH_WARMUP_S=10 BENCH_WARMUP_ROUNDS=6     unmeasured load first, in rounds of this many seconds until
#                                               the JIT compiler has gone quiet (lib/warmup.sh; not in quick mode)
set -uo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PEERS_REPO_ROOT="$REPO_ROOT"
# shellcheck source=../lib/peers.sh
source "$REPO_ROOT/scripts/lib/peers.sh"
# shellcheck source=lib/warmup.sh
source "$REPO_ROOT/scripts/bench/lib/warmup.sh"
# shellcheck source=lib/common.sh
source "$REPO_ROOT/scripts/bench/lib/common.sh"   # tree_cpu_s
LUA="$REPO_ROOT/scripts/bench/http-send.lua"

if [[ ${BENCH_QUICK:-0} == 1 ]]; then duration=${BENCH_DURATION:-2}; else duration=${BENCH_DURATION:-15}; fi
connections=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
max_errors=${BENCH_MAX_ERRORS:-0}
api_key=ea_bench_0123456789abcdef0123456789abcdef

command -v wrk >/dev/null || { echo "http-send: wrk not found (apt-get install wrk)"; exit 1; }

peers_init
trap 'peers_cleanup; rm -rf "$PEERS_DIR"' EXIT
trap 'exit 130' INT TERM

port=$(free_port)
base="http://127.0.0.1:$port"
start_emailapi bench \
    "Urls=$base" \
    "Roles=api" \
    "Storage__Sqlite__Path=$PEERS_DIR/bench.db" \
    "Bootstrap__ApiKey=$api_key" \
    || { echo "http-send: service did not start"; exit 1; }
pid=$EMAILAPI_PID

# One request first: a broken contract should fail loudly, not as a wall of errors.
probe=$(curl -sS -m 10 -o "$PEERS_DIR/probe.body" -w '%{http_code}' -H "Authorization: Bearer $api_key" \
    -H 'Content-Type: application/json' \
    --data-binary '{"from":"bench@app.test","to":"sink@bench.test","subject":"probe","text":"probe"}' "$base/v1/send")
if [[ $probe != 202 ]]; then
    echo "http-send: probe POST /v1/send answered $probe: $(head -c 300 "$PEERS_DIR/probe.body")"
    exit 1
fi

run_wrk() {   # run_wrk TARGET -> prints wrk output, leaves RESULT line in $PEERS_DIR/TARGET.result
    local target=$1
    BENCH_TARGET=$target BENCH_API_KEY=$api_key \
        wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s -s "$LUA" "$base" \
        >"$PEERS_DIR/$target.out" 2>"$PEERS_DIR/$target.err"
    local rc=$?
    sed 's/^/  /' "$PEERS_DIR/$target.err" | head -n 5
    grep '^RESULT ' "$PEERS_DIR/$target.out" >"$PEERS_DIR/$target.result"
    if [[ $rc != 0 || ! -s $PEERS_DIR/$target.result ]]; then
        echo "http-send: wrk ($target) failed (exit $rc):"; sed 's/^/  /' "$PEERS_DIR/$target.out"; return 1
    fi
}

field() { sed -nE "s/.* $2=([^ ]+).*/\1/p" "$PEERS_DIR/$1.result"; }

echo "http-send: ${duration}s per run, $connections connections, $threads threads, 1 KB text messages, Roles=api, SQLite"
# Warm-up (not counted): under this load the JIT compiler is busy for the first ~12 s (tiered
# compilation of ASP.NET Core, MimeKit and our code; 2,600 sends/s at 640 us CPU each, against
# 7,000+/s at ~190 us once it is done), so a shorter warm-up measures the compiler, not the service.
warm_send() { BENCH_TARGET=send BENCH_API_KEY=$api_key wrk -t"$threads" -c"$connections" -d"${BENCH_WARMUP_S:-10}s" --timeout 10s -s "$LUA" "$base" >/dev/null 2>&1; }
if [[ ${BENCH_QUICK:-0} != 1 ]]; then
    warm_until_settled http-send "$base" "${BENCH_WARMUP_ROUNDS:-6}" warm_send || { echo "http-send: wrk failed during the warm-up"; exit 1; }
fi
cpu0=$(tree_cpu_s "$pid")
run_wrk send || exit 1
cpu1=$(tree_cpu_s "$pid")
run_wrk live || exit 1

send_rps=$(field send rps); live_rps=$(field live rps)
ratio=$(awk -v a="$send_rps" -v b="$live_rps" 'BEGIN { printf (b > 0 ? "%.3f" : "n/a"), (b > 0 ? a / b : 0) }')
printf '%-28s %12s %10s %10s %8s  %s\n' "run" "ok/s" "p50 ms" "p99 ms" "errors" "non-ok statuses"
printf '%-28s %12s %10s %10s %8s  %s\n' "POST /v1/send (202s)" "$send_rps" "$(field send p50_ms)" "$(field send p99_ms)" "$(field send errors)" "$(field send statuses)"
printf '%-28s %12s %10s %10s %8s  %s\n' "GET /health/live (200s)" "$live_rps" "$(field live p50_ms)" "$(field live p99_ms)" "$(field live errors)" "$(field live statuses)"
cpu_ms=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$(field send ok)" 'BEGIN { printf (n > 0 ? "%.3f" : "n/a"), (n > 0 ? 1000 * (b - a) / n : 0) }')
echo "http-send: server CPU $cpu_ms ms per accepted message"
echo "http-send: accepted $send_rps msg/s, p50 $(field send p50_ms) ms, p99 $(field send p99_ms) ms; ratio send/live = $ratio; CPU $cpu_ms ms/msg"

status=0
if [[ $(field send ok) == 0 ]]; then echo "http-send: FAIL no 202 at all"; status=1; fi
if (($(field send errors) > max_errors)); then echo "http-send: FAIL $(field send errors) non-202 answers (BENCH_MAX_ERRORS=$max_errors)"; status=1; fi
if (($(field live errors) > max_errors)); then echo "http-send: FAIL $(field live errors) non-200 answers from /health/live"; status=1; fi
exit $status

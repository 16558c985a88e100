#!/usr/bin/env bash
# SMTP intake throughput: Postfix's smtp-source sends 5000 messages of 5 KB over 20 sessions
# (several messages per connection, -d) to the SMTP bridge, with the client's network in
# Smtp:TrustedNetworks so no AUTH is needed, and every message is acknowledged only after its
# durable commit. Then the same load goes to Postfix's smtp-sink (accepts and discards, nothing
# stored) on the same machine in the same run: the ratio shows what durable acceptance costs
# against a bare SMTP server.
#
# The service runs with Roles=api,smtp (nothing delivers, so no mail leaves) on a fresh temp SQLite
# database with default durability. Build first:
#   dotnet build EmailApi.sln -c Release
#
#   scripts/bench/smtp-accept.sh                  5000 messages, 20 sessions, 5 KB
#   BENCH_QUICK=1 scripts/bench/smtp-accept.sh    300 messages, 4 sessions (smoke test; scripts/test.sh)
#   BENCH_MESSAGES=20000 BENCH_SESSIONS=50 BENCH_SIZE=10240 ...
set -uo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PEERS_REPO_ROOT="$REPO_ROOT"
# shellcheck source=../lib/peers.sh
source "$REPO_ROOT/scripts/lib/peers.sh"
# shellcheck source=lib/common.sh
source "$REPO_ROOT/scripts/bench/lib/common.sh"   # tree_cpu_s

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
    messages=${BENCH_MESSAGES:-300}; sessions=${BENCH_SESSIONS:-4}
else
    messages=${BENCH_MESSAGES:-5000}; sessions=${BENCH_SESSIONS:-20}
fi
size=${BENCH_SIZE:-5120}

smtp_source=""
for p in "$(command -v smtp-source 2>/dev/null)" /usr/sbin/smtp-source /usr/lib/postfix/sbin/smtp-source; do
    [[ -n $p && -x $p ]] && { smtp_source=$p; break; }
done
[[ -n $smtp_source ]] || { echo "smtp-accept: smtp-source not found (apt-get install postfix)"; exit 1; }

peers_init
trap 'peers_cleanup; rm -rf "$PEERS_DIR"' EXIT
trap 'exit 130' INT TERM

http_port=$(free_port)
smtp_port=$(free_port)
while [[ $smtp_port == "$http_port" ]]; do smtp_port=$(free_port); done
start_emailapi bench \
    "Urls=http://127.0.0.1:$http_port" \
    "Roles=api,smtp" \
    "Storage__Sqlite__Path=$PEERS_DIR/bench.db" \
    "Bootstrap__ApiKey=ea_bench_0123456789abcdef0123456789abcdef" \
    "Smtp__Address=127.0.0.1" \
    "Smtp__Port=$smtp_port" \
    "Smtp__ImplicitTlsPort=-1" \
    "Smtp__TrustedNetworks__0=127.0.0.0/8" \
    "Smtp__TrustedAccount=default" \
    "Smtp__MaxSessions=$((sessions + 10))" \
    || { echo "smtp-accept: service did not start"; exit 1; }
pid=$EMAILAPI_PID
wait_tcp 127.0.0.1 "$smtp_port" 20 || { echo "smtp-accept: nothing listens on SMTP port $smtp_port"; exit 1; }

# run_source NAME PORT: prints the elapsed seconds; smtp-source exits non-zero on any refused message.
run_source() {
    local name=$1 port=$2 start end
    start=$(date +%s%N)
    if ! "$smtp_source" -d -s "$sessions" -m "$messages" -l "$size" -M bench.test \
        -f sender@bench.test -t sink@bench.test "127.0.0.1:$port" >"$PEERS_DIR/$name.out" 2>&1; then
        echo "smtp-accept: smtp-source against $name failed:" >&2
        tail -n 5 "$PEERS_DIR/$name.out" | sed 's/^/  /' >&2
        return 1
    fi
    end=$(date +%s%N)
    awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }'
}

# One probe message first: a broken contract should fail loudly, not as a wall of errors.
"$smtp_source" -s 1 -m 1 -l 512 -M bench.test -f sender@bench.test -t sink@bench.test "127.0.0.1:$smtp_port" >"$PEERS_DIR/probe.out" 2>&1 \
    || { echo "smtp-accept: probe message refused:"; sed 's/^/  /' "$PEERS_DIR/probe.out"; exit 1; }

echo "smtp-accept: $messages messages of $size bytes over $sessions sessions (smtp-source -d), Roles=api,smtp, SQLite"
cpu0=$(tree_cpu_s "$pid")
ours=$(run_source emailapi "$smtp_port") || exit 1
cpu1=$(tree_cpu_s "$pid")
cpu_ms=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$messages" 'BEGIN { printf "%.3f", 1000 * (b - a) / n }')

# Every acknowledged message must be in the queue: count them in the database.
stored=$("$PEERS_SYS_PYTHON" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from messages").fetchone()[0])' "$PEERS_DIR/bench.db" 2>/dev/null || echo "?")
expected=$((messages + 1))

sink_port=$(free_port)
sink_line=""
if start_smtp_sink bench 127.0.0.1 "$sink_port"; then
    sink=$(run_source smtp-sink "$sink_port") && sink_line=yes
fi

rate() { awk -v n="$messages" -v s="$1" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
printf '%-34s %10s %12s\n' "server" "seconds" "msgs/s"
printf '%-34s %10s %12s\n' "EmailApi SMTP bridge (durable)" "$ours" "$(rate "$ours")"
if [[ -n $sink_line ]]; then
    printf '%-34s %10s %12s\n' "Postfix smtp-sink (discards)" "$sink" "$(rate "$sink")"
    ratio=$(awk -v a="$(rate "$ours")" -v b="$(rate "$sink")" 'BEGIN { printf (b > 0 ? "%.3f" : "n/a"), (b > 0 ? a / b : 0) }')
else
    ratio="n/a (smtp-sink did not run)"
fi
echo "smtp-accept: server CPU $cpu_ms ms per accepted message"
echo "smtp-accept: accepted $(rate "$ours") msgs/s ($stored of $expected messages stored); ratio bridge/smtp-sink = $ratio"
if [[ $stored != "$expected" ]]; then
    echo "smtp-accept: FAIL $stored messages stored, expected $expected"
    exit 1
fi

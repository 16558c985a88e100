#!/usr/bin/env bash
# Scale-out of delivery on PostgreSQL: the same queue drained by one sender node, then by three,
# in one run against one PostgreSQL server (durable defaults), and the ratio of the two rates.
#
# Per phase: BENCH_MESSAGES one-recipient messages (1 KB, spread over 10 destination domains whose
# MX is Postfix's smtp-sink on loopback, found through dnsmasq) are queued through an api-only node
# with /v1/send/batch, scheduled (sendAt) a day ahead; the sender nodes start, become live and warm
# up on a small share of their own; then one UPDATE makes every recipient of the phase due at once. The rate is recipients over the time
# from that moment to the last delivery record, read from the recipients table. Each recipient goes
# lease -> MX lookup -> SMTP -> record, so this is the throughput of the senders sharing one queue.
#
# Phases run in the order 1, N, N, 1, ... (BENCH_ROUNDS pairs) and the rates are averaged, so load
# that drifts on a shared machine weighs on both alike.
#
# Two regimes: by default the sink answers at once, so a sender is bound by CPU, and on one small
# machine every node competes for the same cores (the figure is then a floor for separate machines).
# BENCH_SINK_DELAY=1 makes the sink wait that many seconds before answering DATA, as a remote MX
# with content checks does: delivery is then bound by each node's connection limits
# (Delivery:MaxConcurrency), which is what adding sender nodes multiplies.
#
#   scripts/bench/postgres-scale.sh                  6000 messages per phase, 2 rounds
#   BENCH_QUICK=1 scripts/bench/postgres-scale.sh    400 per phase, 1 round (smoke test; scripts/test.sh)
#   BENCH_MESSAGES=20000 BENCH_SENDERS=4 BENCH_ROUNDS=3 BENCH_SINK_DELAY=1 ...
# Build first: dotnet build EmailApi.sln -c Release
set -uo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PEERS_REPO_ROOT="$REPO_ROOT"
# shellcheck source=../lib/peers.sh
source "$REPO_ROOT/scripts/lib/peers.sh"
# shellcheck source=../lib/postgres.sh
source "$REPO_ROOT/scripts/lib/postgres.sh"

if [[ ${BENCH_QUICK:-0} == 1 ]]; then messages=${BENCH_MESSAGES:-400}; rounds=${BENCH_ROUNDS:-1}; else messages=${BENCH_MESSAGES:-6000}; rounds=${BENCH_ROUNDS:-2}; fi
sink_delay=${BENCH_SINK_DELAY:-0}
many=${BENCH_SENDERS:-3}
key=ea_bench_0123456789abcdef0123456789abcdef
lead=86400   # held back until every node of the phase is up; the phase releases them itself

peers_init
trap 'peers_cleanup; pg_stop; rm -rf "$PEERS_DIR"' EXIT
trap 'exit 130' INT TERM

pg_start || { echo "postgres-scale: PostgreSQL did not start"; exit 1; }
dns_port=$(free_port)
sink_port=$(free_port)
dns_args=(--local=/test/ --host-record=mx.bench.test,127.0.0.30)
for i in $(seq 0 9); do dns_args+=("--mx-host=d$i.bench.test,mx.bench.test,10"); done
start_dnsmasq "$dns_port" "${dns_args[@]}" || { echo "postgres-scale: dnsmasq did not start"; exit 1; }
sink_opts=(-m 2048)   # the sink must not be the limit (its default is 256 sessions)
[[ $sink_delay != 0 ]] && sink_opts+=(-w "$sink_delay")
start_smtp_sink bench 127.0.0.30 "$sink_port" "${sink_opts[@]}" || { echo "postgres-scale: smtp-sink did not start"; exit 1; }

common=(
    "Storage__Provider=Postgres"
    "Storage__Postgres__ConnectionString=$PG_CONN"
    "Bootstrap__ApiKey=$key"
    "Delivery__DnsServers__0=127.0.0.1:$dns_port"
    "Delivery__Port=$sink_port"
    "Delivery__PollInterval=00:00:00.200"
)
api_port=$(free_port)
start_emailapi bench-api "${common[@]}" "Urls=http://127.0.0.1:$api_port" "Roles=api" || { echo "postgres-scale: api node did not start"; exit 1; }

# queue N: N messages in batches of 500, all due at once $lead seconds from now.
queue() {
    "$PEERS_SYS_PYTHON" - "http://127.0.0.1:$api_port" "$key" "$1" "$lead" <<'PY'
import datetime, json, sys, urllib.request
url, key, n, lead = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
send_at = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=lead)).isoformat()
text = ("bench " * 15 + "\n") * 10
accepted = 0
for start in range(0, n, 500):
    batch = [{"from": "bench@app.test", "to": f"u{i}@d{i % 10}.bench.test", "subject": f"scale {i}", "text": text, "sendAt": send_at}
             for i in range(start, min(n, start + 500))]
    req = urllib.request.Request(url + "/v1/send/batch", data=json.dumps({"messages": batch}).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        accepted += json.load(r)["accepted"]
print(accepted)
PY
}

delivered() { pg_psql "SELECT COUNT(*) FROM recipients WHERE status = 'delivered'"; }

# sender_ticks NODES: user+system CPU ticks used so far by the phase's sender processes.
sender_ticks() {
    local i pid total=0 t
    for i in $(seq 1 "$1"); do
        pid=$(cat "$PEERS_DIR/emailapi-bench-sender-$1-$i.pid" 2>/dev/null) || continue
        t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || continue
        total=$((total + ${t:-0}))
    done
    echo "$total"
}

# phase NODES: queue, start NODES sender nodes, make the phase's recipients due, wait for the drain;
# prints "seconds rate", taken from the rows themselves, so polling costs no precision.
phase() {
    local nodes=$1 base warm accepted i pids=() ports=()
    # A warm-up share first (a lease's worth per node), so each process has compiled its hot paths
    # before the measured part: three cold processes would otherwise pay three times for the JIT.
    warm=$(pg_psql "SELECT COALESCE(MAX(id), 0) FROM recipients")
    accepted=$(queue $((200 * nodes))) || { echo "postgres-scale: queueing failed" >&2; return 1; }
    base=$(pg_psql "SELECT COALESCE(MAX(id), 0) FROM recipients")
    accepted=$(queue "$messages") || { echo "postgres-scale: queueing failed" >&2; return 1; }
    [[ $accepted == "$messages" ]] || { echo "postgres-scale: only $accepted of $messages queued" >&2; return 1; }
    for i in $(seq 1 "$nodes"); do
        ports+=("$(free_port)")
        start_emailapi "bench-sender-$nodes-$i" "${common[@]}" "Urls=http://127.0.0.1:${ports[-1]}" "Roles=sender" "Delivery__HeloName=s$i.bench.test" >/dev/null &
        pids+=($!)
    done
    local ok=1
    for i in "${pids[@]}"; do wait "$i" || ok=0; done
    ((ok == 1)) || { echo "postgres-scale: a sender node did not start" >&2; return 1; }
    pg_psql "UPDATE recipients SET next_attempt_at = 0 WHERE id > $warm AND id <= $base" >/dev/null
    local warmed=0 deadline=$((SECONDS + 300))
    while ((SECONDS < deadline)); do
        warmed=$(pg_psql "SELECT COUNT(*) FROM recipients WHERE id > $warm AND id <= $base AND status = 'delivered'")
        ((warmed >= 200 * nodes)) && break
        sleep 0.5
    done
    local cpu_before; cpu_before=$(sender_ticks "$nodes")
    local due
    due=$(pg_psql "WITH t AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now),
                        released AS (UPDATE recipients SET next_attempt_at = t.now FROM t WHERE id > $base)
                   SELECT now FROM t")
    local count=0 deadline=$((SECONDS + 900))
    while ((SECONDS < deadline)); do
        count=$(pg_psql "SELECT COUNT(*) FROM recipients WHERE id > $base AND status = 'delivered'")
        ((count >= messages)) && break
        sleep 1
    done
    local cpu_after; cpu_after=$(sender_ticks "$nodes")
    for i in $(seq 1 "$nodes"); do stop_emailapi "bench-sender-$nodes-$i"; done
    # Where the time went: CPU the sender processes used for this phase (all of them together).
    awk -v t=$((cpu_after - cpu_before)) -v hz="$(getconf CLK_TCK)" -v n="$messages" -v k="$nodes" \
        'BEGIN { printf "postgres-scale:   (%d sender node(s) used %.1f CPU-seconds, %.2f ms of CPU per message)\n", k, t / hz, t / hz * 1e3 / n }' >&2
    ((count >= messages)) || { echo "postgres-scale: only $count of $messages delivered in time" >&2; return 1; }
    pg_psql "SELECT MAX(updated_at) - $due FROM recipients WHERE id > $base" \
        | awk -v n="$messages" '{ s = $1 / 1000; if (s < 0.001) s = 0.001; printf "%.2f %.0f\n", s, n / s }'
}

echo "postgres-scale: $messages messages per phase, $rounds round(s), 10 domains, smtp-sink on loopback (DATA delay ${sink_delay}s), PostgreSQL $(basename "$(dirname "$(pg_bin)")") (durable), $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
one_rates=(); many_rates=()
run_one() { local s r; read -r s r < <(phase 1) && [[ -n ${r:-} ]] || return 1; one_rates+=("$r"); echo "postgres-scale:   1 sender node:  ${s}s, $r delivered/s"; }
run_many() { local s r; read -r s r < <(phase "$many") && [[ -n ${r:-} ]] || return 1; many_rates+=("$r"); echo "postgres-scale:   $many sender nodes: ${s}s, $r delivered/s"; }
for r in $(seq 1 "$rounds"); do
    if ((r % 2 == 1)); then run_one && run_many || exit 1; else run_many && run_one || exit 1; fi
done
mean() { printf '%s\n' "$@" | awk '{ t += $1 } END { printf "%.0f", t / NR }'; }
one_rate=$(mean "${one_rates[@]}"); many_rate=$(mean "${many_rates[@]}")
factor=$(awk -v a="$many_rate" -v b="$one_rate" 'BEGIN { printf (b > 0 ? "%.2f" : "n/a"), (b > 0 ? a / b : 0) }')
printf '%-22s %16s\n' "sender nodes" "delivered/s (mean)"
printf '%-22s %16s\n' "1" "$one_rate"
printf '%-22s %16s\n' "$many" "$many_rate"
echo "postgres-scale: scaling factor $many nodes / 1 node = $factor (load average now $(cut -d' ' -f1 /proc/loadavg))"

#!/usr/bin/env bash
# Scale-out of delivery on PostgreSQL: the same queue drained by one sender node, then by three,
# in one run against one PostgreSQL server (durable defaults), and the ratio of the two rates.
#
# Per phase: BENCH_MESSAGES one-recipient messages (1 KB, spread over 10 destination domains whose
# MX is Postfix's smtp-sink on loopback, found through dnsmasq) are queued through an api-only node
# with /v1/send/batch, all scheduled (sendAt) a few seconds ahead, so every sender node is up and
# polling before the first recipient is due. The rate is delivered recipients per second from the
# first delivery to the last, read from the recipients table. Each recipient goes lease -> MX lookup
# -> SMTP -> record, so this is the end-to-end throughput of the senders sharing one queue.
#
#   scripts/bench/postgres-scale.sh                  6000 messages per phase
#   BENCH_QUICK=1 scripts/bench/postgres-scale.sh    400 per phase (smoke test; scripts/test.sh)
#   BENCH_MESSAGES=20000 BENCH_SENDERS=4 ...         (BENCH_SENDERS: the second phase's node count)
# Build first: dotnet build EmailApi.sln -c Release
set -uo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PEERS_REPO_ROOT="$REPO_ROOT"
# shellcheck source=../lib/peers.sh
source "$REPO_ROOT/scripts/lib/peers.sh"
# shellcheck source=../lib/postgres.sh
source "$REPO_ROOT/scripts/lib/postgres.sh"

if [[ ${BENCH_QUICK:-0} == 1 ]]; then messages=${BENCH_MESSAGES:-400}; else messages=${BENCH_MESSAGES:-6000}; fi
many=${BENCH_SENDERS:-3}
key=ea_bench_0123456789abcdef0123456789abcdef
lead=${BENCH_LEAD_SECONDS:-12}

peers_init
trap 'peers_cleanup; pg_stop; rm -rf "$PEERS_DIR"' EXIT
trap 'exit 130' INT TERM

pg_start || { echo "postgres-scale: PostgreSQL did not start"; exit 1; }
dns_port=$(free_port)
sink_port=$(free_port)
dns_args=(--local=/test/ --host-record=mx.bench.test,127.0.0.30)
for i in $(seq 0 9); do dns_args+=("--mx-host=d$i.bench.test,mx.bench.test,10"); done
start_dnsmasq "$dns_port" "${dns_args[@]}" || { echo "postgres-scale: dnsmasq did not start"; exit 1; }
start_smtp_sink bench 127.0.0.30 "$sink_port" || { echo "postgres-scale: smtp-sink did not start"; exit 1; }

common=(
    "Storage__Provider=Postgres"
    "Storage__Postgres__ConnectionString=$PG_CONN"
    "Bootstrap__ApiKey=$key"
    "Delivery__DnsServers__0=127.0.0.1:$dns_port"
    "Delivery__Port=$sink_port"
    "Delivery__PollInterval=00:00:00.200"
    "Logging__LogLevel__Default=Warning"
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

# phase NODES: queue, start NODES sender nodes, wait for the drain; prints "seconds rate", both taken
# from the rows themselves (first to last delivery record), so polling costs no precision.
phase() {
    local nodes=$1 base accepted i pids=() ports=()
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
    local count=0 deadline=$((SECONDS + lead + 900))
    while ((SECONDS < deadline)); do
        count=$(pg_psql "SELECT COUNT(*) FROM recipients WHERE id > $base AND status = 'delivered'")
        ((count >= messages)) && break
        sleep 1
    done
    for i in $(seq 1 "$nodes"); do stop_emailapi "bench-sender-$nodes-$i"; done
    ((count >= messages)) || { echo "postgres-scale: only $count of $messages delivered in time" >&2; return 1; }
    pg_psql "SELECT (MAX(updated_at) - MIN(updated_at)) FROM recipients WHERE id > $base" \
        | awk -v n="$messages" '{ s = $1 / 1000; if (s < 0.001) s = 0.001; printf "%.2f %.0f\n", s, n / s }'
}

echo "postgres-scale: $messages messages per phase, 10 domains, smtp-sink on loopback, PostgreSQL $(basename "$(dirname "$(pg_bin)")") (durable), $(nproc) cores"
read -r one_s one_rate < <(phase 1) || exit 1
[[ -n ${one_rate:-} ]] || exit 1
read -r many_s many_rate < <(phase "$many") || exit 1
[[ -n ${many_rate:-} ]] || exit 1
factor=$(awk -v a="$many_rate" -v b="$one_rate" 'BEGIN { printf (b > 0 ? "%.2f" : "n/a"), (b > 0 ? a / b : 0) }')
printf '%-22s %10s %12s\n' "sender nodes" "seconds" "delivered/s"
printf '%-22s %10s %12s\n' "1" "$one_s" "$one_rate"
printf '%-22s %10s %12s\n' "$many" "$many_s" "$many_rate"
echo "postgres-scale: scaling factor $many nodes / 1 node = $factor"

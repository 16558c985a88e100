# shellcheck shell=bash
# Helpers to start the real peers the end-to-end suite and the benchmarks talk to:
# dnsmasq as the DNS server, aiosmtpd / Postfix smtp-sink as receiving MTAs, and the
# built EmailApi service itself. Source this file; call peers_init first and register
# peers_cleanup in an EXIT trap. Every process started here is recorded by pid in
# $PEERS_DIR/pids and stopped by peers_cleanup (by pid only).
#
# Every listener is bound to 127.0.0.0/8; the helpers refuse anything else.

PEERS_REPO_ROOT="${PEERS_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
PEERS_SYS_PYTHON="${PEERS_SYS_PYTHON:-/usr/bin/python3}"   # Debian's python: has aiosmtpd
PEERS_DLL="${PEERS_DLL:-$PEERS_REPO_ROOT/api/bin/Release/net10.0/EmailApi.dll}"

# peers_init [DIR]: create the working directory for logs, pids and data.
peers_init() {
    PEERS_DIR="${1:-$(mktemp -d "${TMPDIR:-/tmp}/emailapi-peers.XXXXXX")}"
    mkdir -p "$PEERS_DIR/logs"
    : >"$PEERS_DIR/pids"
    export PEERS_DIR
}

peers_log() { printf '[peers] %s\n' "$*" >&2; }

# pid_alive PID: true while PID runs (a zombie that nobody reaped yet counts as dead).
pid_alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ $state != Z && $state != X ]]
}

# Start time (clock ticks since boot) of PID; with the pid it identifies one process for good.
_peers_starttime() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }

_peers_register() { echo "$1 $(_peers_starttime "$1") $2" >>"$PEERS_DIR/pids"; }

_peers_require_loopback() {
    case "$1" in
        127.*) return 0 ;;
        *) peers_log "refusing to bind non-loopback address '$1'"; return 1 ;;
    esac
}

# free_port: print a TCP port on 127.0.0.1 that is free right now.
free_port() {
    "$PEERS_SYS_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_tcp HOST PORT [TIMEOUT_S] [PID]: wait until HOST:PORT accepts TCP; fail early if PID dies.
wait_tcp() {
    local host=$1 port=$2 timeout=${3:-20} pid=${4:-} deadline
    deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
        if [[ -n $pid ]] && ! pid_alive "$pid"; then return 1; fi
        sleep 0.1
    done
    return 1
}

# stop_pid PID [GRACE_S]: SIGTERM, wait, then SIGKILL. Only for pids we started.
stop_pid() {
    local pid=$1 grace=${2:-10} i
    pid_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < grace * 10; i++)); do
        pid_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# peers_cleanup: stop everything recorded in $PEERS_DIR/pids, newest first.
peers_cleanup() {
    [[ -n ${PEERS_DIR:-} && -f $PEERS_DIR/pids ]] || return 0
    local pid start name
    while read -r pid start name; do
        [[ -n $pid ]] || continue
        # Never signal a recycled pid: only the process we started has this start time.
        [[ $(_peers_starttime "$pid") == "$start" ]] || continue
        stop_pid "$pid" 5
    done < <(tac "$PEERS_DIR/pids")
    : >"$PEERS_DIR/pids"
}

# dns_query NAME TYPE [SERVER] [PORT]: print "RCODE answer..." using a stdlib-only DNS client.
dns_query() {
    "$PEERS_SYS_PYTHON" - "$@" <<'PY'
import random, socket, struct, sys
name, qtype = sys.argv[1], sys.argv[2]
server = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
port = int(sys.argv[4]) if len(sys.argv) > 4 else 5353
types = {"A": 1, "MX": 15, "AAAA": 28, "TXT": 16}
qid = random.randint(0, 65535)
q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
for label in name.rstrip(".").split("."):
    q += bytes([len(label)]) + label.encode()
q += b"\0" + struct.pack(">HH", types[qtype], 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(q, (server, port)); data, _ = s.recvfrom(4096)
rcode = data[3] & 0xF
names = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}
ancount = struct.unpack(">H", data[6:8])[0]
def read_name(off):
    labels = []
    while True:
        n = data[off]
        if n & 0xC0 == 0xC0:
            ptr = struct.unpack(">H", data[off:off + 2])[0] & 0x3FFF
            return ".".join(labels + [read_name(ptr)[0]]).strip("."), off + 2
        off += 1
        if n == 0:
            return ".".join(labels), off
        labels.append(data[off:off + n].decode()); off += n
off = 12
_, off = read_name(off); off += 4
out = []
for _ in range(ancount):
    _, off = read_name(off)
    t, _, _, rdlen = struct.unpack(">HHIH", data[off:off + 10]); off += 10
    rd = data[off:off + rdlen]
    if t == 1: out.append("A " + socket.inet_ntoa(rd))
    elif t == 15: out.append("MX %d %s" % (struct.unpack(">H", rd[:2])[0], read_name(off + 2)[0] or "."))
    else: out.append("type%d" % t)
    off += rdlen
print(names.get(rcode, str(rcode)), *out)
PY
}

# start_dnsmasq PORT [dnsmasq options...]: authoritative-only dnsmasq on 127.0.0.1:PORT.
# No upstream, no /etc/hosts, no config file: it answers only what the options define.
# Pass --local=/test/ so undefined names under .test are NXDOMAIN (otherwise REFUSED).
# DNSMASQ_NAME=NAME logs to logs/NAME.log instead of logs/dnsmasq.log (a second instance).
# DNSMASQ_ADDRESS=127.x.y.z listens there instead of 127.0.0.1 (port 53 on an address of its own,
# for programs that read /etc/resolv.conf and cannot be told a port, see POSTFIX_NAMESERVER).
start_dnsmasq() {
    local port=$1; shift
    local log="$PEERS_DIR/logs/${DNSMASQ_NAME:-dnsmasq}.log" address=${DNSMASQ_ADDRESS:-127.0.0.1}
    _peers_require_loopback "$address" || return 1
    dnsmasq --keep-in-foreground --port="$port" --listen-address="$address" --bind-interfaces \
        --no-resolv --no-hosts --no-poll --conf-file=/dev/null --pid-file= --user=root \
        --cache-size=0 --log-queries --log-facility=- "$@" >>"$log" 2>&1 &
    local pid=$!
    _peers_register "$pid" "${DNSMASQ_NAME:-dnsmasq}"
    local i
    for ((i = 0; i < 50; i++)); do
        if ! pid_alive "$pid"; then
            peers_log "dnsmasq exited at start; log:"; tail -n 20 "$log" >&2; return 1
        fi
        if dns_query probe.invalid A "$address" "$port" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    peers_log "dnsmasq on $address:$port did not answer"; return 1
}

# start_sink NAME HOST MODE [ARGS...]: tests/e2e/sink.py on HOST:25 (aiosmtpd).
#   start_sink ok 127.0.0.2 save DIR | start_sink temp 127.0.0.4 tempfail [--at data] | ... reject
# SINK_PORT=N listens on another port; the sink's pid is left in SINK_PID.
start_sink() {
    local name=$1 host=$2; shift 2
    _peers_require_loopback "$host" || return 1
    local port=${SINK_PORT:-25}
    local log="$PEERS_DIR/logs/sink-$name.log"
    "$PEERS_SYS_PYTHON" "$PEERS_REPO_ROOT/tests/e2e/sink.py" --host "$host" --port "$port" "$@" >>"$log" 2>&1 &
    local pid=$!
    SINK_PID=$pid
    _peers_register "$pid" "sink-$name"
    if ! wait_tcp "$host" "$port" 15 "$pid"; then
        peers_log "sink $name on $host:$port did not start; log:"; tail -n 20 "$log" >&2; return 1
    fi
}

# smtp_sink_bin: path of Postfix's smtp-sink.
smtp_sink_bin() {
    local p
    for p in "$(command -v smtp-sink 2>/dev/null)" /usr/sbin/smtp-sink /usr/lib/postfix/sbin/smtp-sink; do
        [[ -n $p && -x $p ]] && { echo "$p"; return 0; }
    done
    return 1
}

# start_smtp_sink NAME HOST PORT [smtp-sink options...]: Postfix smtp-sink (fast, discards mail).
start_smtp_sink() {
    local name=$1 host=$2 port=$3; shift 3
    _peers_require_loopback "$host" || return 1
    local bin; bin=$(smtp_sink_bin) || { peers_log "smtp-sink not found (install postfix)"; return 1; }
    local log="$PEERS_DIR/logs/smtp-sink-$name.log"
    local user=()
    [[ $(id -u) == 0 ]] && user=(-u "$(id -u postfix >/dev/null 2>&1 && echo postfix || echo nobody)")
    "$bin" "${user[@]}" "$@" "inet:$host:$port" 1024 >>"$log" 2>&1 &
    local pid=$!
    _peers_register "$pid" "smtp-sink-$name"
    if ! wait_tcp "$host" "$port" 15 "$pid"; then
        peers_log "smtp-sink $name on $host:$port did not start; log:"; tail -n 20 "$log" >&2; return 1
    fi
}

# start_emailapi NAME [VAR=VALUE...]: run the built service as a real process with the
# given configuration (ASP.NET Core environment variables). Needs Urls=http://127.0.0.1:PORT.
# EMAILAPI_CMD="..." runs another command instead of `dotnet $PEERS_DLL` (e.g. a published
# binary). Sets EMAILAPI_PID and writes it to $PEERS_DIR/emailapi-NAME.pid; waits for /health/live.
start_emailapi() {
    local name=$1; shift
    if [[ -z ${EMAILAPI_CMD:-} && ! -f $PEERS_DLL ]]; then
        peers_log "$PEERS_DLL not found: build first (dotnet build EmailApi.sln -c Release)"; return 1
    fi
    local url="" kv
    for kv in "$@"; do [[ $kv == Urls=* ]] && url=${kv#Urls=}; done
    [[ -n $url ]] || { peers_log "start_emailapi: Urls=... is required"; return 1; }
    local hostport=${url#http://}; hostport=${hostport%%/*}
    _peers_require_loopback "${hostport%%:*}" || return 1
    local dir="$PEERS_DIR/emailapi-$name"
    mkdir -p "$dir"
    local log="$PEERS_DIR/logs/emailapi-$name.log"
    echo "=== start $(date -Is) $*" >>"$log"
    # Run from a private working directory (relative data paths land there), but keep the
    # build output as content root so its appsettings.json is read.
    # The runtime settings of scripts/run.sh (lib/runtime.sh): tests and benchmarks run the service as shipped.
    (cd "$dir" && source "$PEERS_REPO_ROOT/scripts/lib/runtime.sh" && exec env ASPNETCORE_CONTENTROOT="$(dirname "$PEERS_DLL")" DOTNET_NOLOGO=1 \
        DOTNET_CLI_TELEMETRY_OPTOUT=1 "$@" ${EMAILAPI_CMD:-dotnet "$PEERS_DLL"}) >>"$log" 2>&1 &
    EMAILAPI_PID=$!
    disown "$EMAILAPI_PID" 2>/dev/null   # no "Killed" job notice when a test kills it on purpose
    _peers_register "$EMAILAPI_PID" "emailapi-$name"
    echo "$EMAILAPI_PID" >"$PEERS_DIR/emailapi-$name.pid"
    local deadline=$((SECONDS + ${EMAILAPI_START_TIMEOUT:-60}))
    while ((SECONDS < deadline)); do
        if ! pid_alive "$EMAILAPI_PID"; then
            peers_log "EmailApi ($name) exited during start-up; last log lines:"; tail -n 40 "$log" >&2; return 1
        fi
        if curl -fsS -m 2 -o /dev/null "$url/health/live" 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    peers_log "EmailApi ($name) not live at $url/health/live after ${EMAILAPI_START_TIMEOUT:-60}s; last log lines:"
    tail -n 40 "$log" >&2
    return 1
}

# stop_emailapi NAME: graceful stop of an instance started by start_emailapi.
stop_emailapi() {
    local f="$PEERS_DIR/emailapi-$1.pid"
    [[ -f $f ]] && stop_pid "$(cat "$f")" 20
    return 0
}

# kill9_emailapi NAME: SIGKILL, no grace; waits until the process is gone.
kill9_emailapi() {
    local f="$PEERS_DIR/emailapi-$1.pid" pid
    [[ -f $f ]] || return 1
    pid=$(cat "$f")
    kill -KILL "$pid" 2>/dev/null
    while pid_alive "$pid"; do sleep 0.05; done
    wait "$pid" 2>/dev/null
    return 0
}

# snapshot_build: copy the build output to $PEERS_DIR/app and point PEERS_DLL there, so a rebuild
# in the working tree (dotnet build by someone else) cannot replace assemblies under a running
# benchmark. The copy is removed with $PEERS_DIR.
snapshot_build() {
    [[ -f $PEERS_DLL ]] || { peers_log "$PEERS_DLL not found: build first (dotnet build EmailApi.sln -c Release)"; return 1; }
    local src name
    src=$(dirname "$PEERS_DLL"); name=$(basename "$PEERS_DLL")
    rm -rf "$PEERS_DIR/app"
    cp -a "$src" "$PEERS_DIR/app" || { peers_log "could not copy $src"; return 1; }
    PEERS_DLL="$PEERS_DIR/app/$name"
    export PEERS_DLL
}

# peak_rss_kb PID: the process's peak resident set size so far (VmHWM, kB); empty once it is gone.
peak_rss_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# smtp_sink_count NAME: messages received so far by smtp-sink NAME started with -c (its running
# counter, "sess=N quit=N mesg=N", is the last thing in its log). Use a fresh NAME per process.
smtp_sink_count() {
    local log="$PEERS_DIR/logs/smtp-sink-$1.log" n
    n=$(tail -c 200 "$log" 2>/dev/null | tr '\r' '\n' | grep -oE 'mesg=[0-9]+' | tail -n 1)
    echo "${n#mesg=}" | sed 's/^$/0/'
}

# start_postfix NAME LISTEN_ADDR LISTEN_PORT DOMAIN NEXTHOP_ADDR NEXTHOP_PORT [hold] [main.cf lines...]
# A private Postfix instance (own config, queue and data directories in $PEERS_DIR/postfix-NAME;
# the system Postfix is not touched) with smtpd on LISTEN_ADDR:LISTEN_PORT. It accepts mail from
# 127.0.0.0/8 for DOMAIN and relays it to [NEXTHOP_ADDR]:NEXTHOP_PORT through a transport map:
# no DNS, no local delivery, every other domain bounces. Durability is Postfix's default (a
# queue file is fsync'd before 250). "hold" puts every accepted message on the hold queue, so
# nothing is delivered (to measure acceptance alone). Needs root (postfix start). Sets
# POSTFIX_PID (the master) and POSTFIX_DIR; stop with stop_postfix NAME or peers_cleanup.
# POSTFIX_NAMESERVER=127.x.y.z starts it in a private mount namespace (unshare) whose
# /etc/resolv.conf names only that server (port 53), so that with "smtp_dns_support_level =
# enabled" among the main.cf lines it finds MX hosts in a test zone; the machine's own
# resolv.conf is never touched.
start_postfix() {
    local name=$1 addr=$2 port=$3 domain=$4 nh_addr=$5 nh_port=$6; shift 6
    _peers_require_loopback "$addr" || return 1
    _peers_require_loopback "$nh_addr" || return 1
    [[ $(id -u) == 0 ]] || { peers_log "start_postfix: postfix start needs root"; return 1; }
    command -v postfix >/dev/null || [[ -x /usr/sbin/postfix ]] || { peers_log "postfix not installed"; return 1; }
    id postfix >/dev/null 2>&1 || { peers_log "start_postfix: no 'postfix' user (install postfix)"; return 1; }
    local dir="$PEERS_DIR/postfix-$name" hold=0 extra=()
    [[ ${1:-} == hold ]] && { hold=1; shift; }
    extra=("$@")
    rm -rf "$dir"
    mkdir -p "$dir/etc" "$dir/queue" "$dir/data" || return 1
    chown postfix "$dir/data" || return 1
    # The daemons run as postfix and must reach their directories: make our own parents traversable.
    local d=$dir
    while [[ $d != / && $d != . ]]; do
        if [[ -O $d && $(stat -c %A "$d") != *[xt] ]]; then chmod o+x "$d"; fi
        d=$(dirname "$d")
    done
    local hold_line=""
    if ((hold)); then
        printf '0.0.0.0/0 HOLD\n' >"$dir/etc/hold.cidr"
        hold_line="smtpd_end_of_data_restrictions = check_client_access cidr:$dir/etc/hold.cidr"
    fi
    cat >"$dir/etc/main.cf" <<CF
compatibility_level = 3.6
config_directory = $dir/etc
queue_directory = $dir/queue
data_directory = $dir/data
command_directory = $(postconf -dh command_directory)
daemon_directory = $(postconf -dh daemon_directory)
meta_directory = $(postconf -dh meta_directory)
shlib_directory = $(postconf -dh shlib_directory)
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = $dir
maillog_file = $dir/maillog
myhostname = postfix-$name.test
mydomain = postfix-$name.test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
relay_domains =
relayhost =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
transport_maps = inline:{ { $domain = smtp:[$nh_addr]:$nh_port } }
default_transport = error:5.1.2 only $domain is relayed by this test instance
local_transport = error:5.1.1 no local delivery in this test instance
smtp_dns_support_level = disabled
smtp_tls_security_level = none
smtpd_tls_security_level = none
biff = no
append_dot_mydomain = no
$hold_line
CF
    local line
    for line in "${extra[@]}"; do echo "$line" >>"$dir/etc/main.cf"; done
    # Debian's master.cf minus chroot (our directories have no chroot set-up) and minus the
    # content filters; smtpd listens only on the address given.
    cat >"$dir/etc/master.cf" <<CF
$addr:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
    # Postfix writes its diagnostics to stderr only on a terminal; the rest is in $dir/maillog.
    local launch=(postfix -c "$dir/etc" start)
    if [[ -n ${POSTFIX_NAMESERVER:-} ]]; then
        _peers_require_loopback "$POSTFIX_NAMESERVER" || return 1
        command -v unshare >/dev/null || { peers_log "start_postfix: POSTFIX_NAMESERVER needs unshare (util-linux)"; return 1; }
        printf 'nameserver %s\noptions attempts:1 timeout:2\n' "$POSTFIX_NAMESERVER" >"$dir/etc/resolv.conf"
        # The master and its daemons stay in the namespace; it ends with the last of them.
        launch=(unshare --mount --propagation private sh -c 'mount --bind "$1" /etc/resolv.conf && exec postfix -c "$2" start' \
            start_postfix "$dir/etc/resolv.conf" "$dir/etc")
    fi
    if ! "${launch[@]}" >>"$PEERS_DIR/logs/postfix-$name.log" 2>&1; then
        peers_log "postfix $name did not start; log:"; tail -n 20 "$dir/maillog" "$PEERS_DIR/logs/postfix-$name.log" >&2 2>/dev/null; return 1
    fi
    POSTFIX_DIR=$dir
    POSTFIX_PID=$(tr -dc 0-9 <"$dir/queue/pid/master.pid" 2>/dev/null)
    [[ -n $POSTFIX_PID ]] || { peers_log "postfix $name: no master.pid"; return 1; }
    _peers_register "$POSTFIX_PID" "postfix-$name"
    if ! wait_tcp "$addr" "$port" 15 "$POSTFIX_PID"; then
        peers_log "postfix $name not listening on $addr:$port; log:"; tail -n 20 "$dir/maillog" >&2; return 1
    fi
}

# stop_postfix NAME: postfix stop for an instance started by start_postfix; waits for the master.
stop_postfix() {
    local dir="$PEERS_DIR/postfix-$1" pid
    [[ -f $dir/etc/main.cf ]] || return 0
    pid=$(tr -dc 0-9 <"$dir/queue/pid/master.pid" 2>/dev/null)
    postfix -c "$dir/etc" stop >/dev/null 2>&1
    [[ -n $pid ]] && stop_pid "$pid" 10
    return 0
}

# postfix_queue_count NAME QUEUE: files in one queue (incoming, active, deferred, hold) of an instance.
postfix_queue_count() { find "$PEERS_DIR/postfix-$1/queue/$2" -type f 2>/dev/null | wc -l; }

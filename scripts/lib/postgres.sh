# shellcheck shell=bash
# A throw-away PostgreSQL server for the end-to-end suite and the benchmarks: the machine's
# postgresql package (initdb into a fresh temp folder, pg_ctl on 127.0.0.1 and a free port, its
# unix socket in that folder), stopped and deleted by pg_stop. PostgreSQL refuses to run as root,
# so when we are root the folder belongs to the postgres system user and the binaries run through
# runuser. Source scripts/lib/peers.sh first (free_port, _peers_register).
#
#   pg_start            sets PG_DIR, PG_PORT, PG_CONN (an Npgsql connection string to database emailapi)
#   pg_psql SQL         runs one statement, prints the rows unaligned (-At)
#   pg_stop             fast shutdown, folder removed
#
# PG_EXTRA_OPTS="-c fsync=off ..." adds server settings (default: PostgreSQL's own, durable).

pg_bin() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]] || { echo "postgresql server binaries not found (apt-get install postgresql)" >&2; return 1; }
    echo "$d"
}

_pg_as_owner() {
    if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
    local bin
    bin=$(pg_bin) || return 1
    # Not under a 0700 mktemp folder of root's: the postgres user must reach its own files.
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/emailapi-pg.XXXXXX")
    mkdir -p "$PG_DIR/sock"
    [[ $(id -u) == 0 ]] && chown -R postgres:postgres "$PG_DIR"
    if ! _pg_as_owner "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1; then
        echo "initdb failed:" >&2; tail -n 20 "$PG_DIR/initdb.log" >&2; return 1
    fi
    local attempt
    for attempt in 1 2 3; do
        PG_PORT=$(free_port)
        # shellcheck disable=SC2086
        if _pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories='$PG_DIR/sock' -c max_connections=300 ${PG_EXTRA_OPTS:-}" \
            start >/dev/null 2>&1; then
            break
        fi
        ((attempt == 3)) && { echo "pg_ctl start failed:" >&2; tail -n 20 "$PG_DIR/server.log" >&2; return 1; }
    done
    # Also recorded with the peers, so a harness that is itself killed still stops the server.
    local pid
    pid=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null)
    [[ -n $pid ]] && _peers_register "$pid" postgres
    _pg_as_owner "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAt -c "CREATE DATABASE emailapi" >/dev/null || return 1
    PG_CONN="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=emailapi;Maximum Pool Size=40"
    export PG_DIR PG_PORT PG_CONN
}

pg_psql() {
    local bin
    bin=$(pg_bin) || return 1
    _pg_as_owner "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d emailapi -qAt -c "$1"
}

pg_stop() {
    [[ -n ${PG_DIR:-} && -d $PG_DIR ]] || return 0
    local bin
    bin=$(pg_bin) || return 1
    _pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1
    rm -rf "$PG_DIR"
    PG_DIR=""
}

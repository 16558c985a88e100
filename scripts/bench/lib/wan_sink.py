#!/usr/bin/env python3
"""A receiving MTA at internet shape, for the benchmarks (stdlib asyncio only, one process).

  wan_sink.py --port P --addresses FILE [--delay S] [--slow S] --log FILE [--stats FILE]

FILE has one line per listening address, "127.x.y.z BEHAVIOUR", every address on 127.0.0.0/8:
  ok     a normal receiver: 220, EHLO (PIPELINING, 8BITMIME, SIZE), MAIL, RCPT, DATA, 250, QUIT
  defer  like ok, but 451 4.7.1 to every RCPT (and DATA): a greylisting or overloaded site
  slow   like ok, but every reply takes --slow seconds (a site that holds connections)
Each reply leaves --delay seconds after its command arrived (a round trip to another continent);
pipelined commands that arrive together are answered together, as over a real link.

Every accepted message is a line in --log: "receiver_ts address rcpt" (time.time() when the 250
after the data went out; the first RCPT of the transaction). --stats is rewritten every 0.2 s as
one JSON object: {"key": {"delivered": n, "deferred": n, "connections": n}} where the key is the
local part of the recipient up to its first '-' (each side of a benchmark uses its own prefix;
"deferred" counts refused RCPTs, "connections" the connections that delivered), plus "open" (connections open now) and "peak_open".
Bounded: at most 4096 connections at once (more are closed at once), a line at most 4 KB, a
message at most 1 MB, 10 minutes of idleness per connection.
"""
import argparse
import asyncio
import json
import os
import time

MAX_CONNECTIONS = 4096
MAX_LINE = 4096
MAX_MESSAGE = 1 << 20
IDLE = 600


class Sink:
    def __init__(self, args):
        self.delay, self.slow = args.delay, args.slow
        self.log = open(args.log, "a", buffering=1 << 16)
        self.stats_path = args.stats
        self.stats = {}
        self.open = self.peak_open = 0

    def count(self, key, field):
        s = self.stats.setdefault(key, {"delivered": 0, "deferred": 0, "connections": 0})
        s[field] += 1

    async def reply(self, writer, due, text):
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        writer.write(text.encode() + b"\r\n")
        await writer.drain()

    async def handle(self, reader, writer, address, behaviour):
        if self.open >= MAX_CONNECTIONS:
            writer.close()
            return
        self.open += 1
        self.peak_open = max(self.peak_open, self.open)
        delay = self.slow if behaviour == "slow" else self.delay
        rcpt, key, counted = None, "?", False
        try:
            await self.reply(writer, time.monotonic() + delay, "220 wan-sink.test ESMTP")
            while True:
                line = await asyncio.wait_for(reader.readline(), IDLE)
                arrived = time.monotonic()
                if not line or len(line) > MAX_LINE:
                    return
                verb = line[:4].upper()
                if verb == b"QUIT":
                    await self.reply(writer, arrived + delay, "221 2.0.0 bye")
                    return
                if behaviour == "defer" and verb in (b"RCPT", b"DATA"):
                    if verb == b"RCPT":
                        self.count(recipient_key(line), "deferred")
                    await self.reply(writer, arrived + delay, "451 4.7.1 try again later")
                    continue
                if verb in (b"EHLO", b"HELO"):
                    await self.reply(writer, arrived + delay,
                                     "250-wan-sink.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 1048576")
                elif verb == b"MAIL":
                    rcpt = None
                    await self.reply(writer, arrived + delay, "250 2.1.0 ok")
                elif verb == b"RCPT":
                    if rcpt is None:
                        rcpt = line[8:].strip().decode("ascii", "replace").strip("<>")
                        key = recipient_key(line)
                    await self.reply(writer, arrived + delay, "250 2.1.5 ok")
                elif verb == b"DATA":
                    await self.reply(writer, arrived + delay, "354 go ahead")
                    size = 0
                    while True:
                        chunk = await asyncio.wait_for(reader.readline(), IDLE)
                        if not chunk:
                            return
                        size += len(chunk)
                        if size > MAX_MESSAGE:
                            await self.reply(writer, time.monotonic(), "552 5.3.4 too big")
                            return
                        if chunk in (b".\r\n", b".\n"):
                            break
                    await self.reply(writer, time.monotonic() + delay, "250 2.0.0 queued")
                    self.log.write(f"{time.time():.6f} {address} {rcpt}\n")
                    self.count(key, "delivered")
                    if not counted:
                        self.count(key, "connections")
                        counted = True
                elif verb in (b"RSET", b"NOOP"):
                    await self.reply(writer, arrived + delay, "250 2.0.0 ok")
                else:
                    await self.reply(writer, arrived + delay, "502 5.5.1 not implemented")
        except (asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            self.open -= 1
            writer.close()

    async def dump_stats(self):
        while True:
            await asyncio.sleep(0.2)
            self.log.flush()
            if self.stats_path:
                tmp = self.stats_path + ".tmp"
                with open(tmp, "w") as f:
                    json.dump({**self.stats, "open": self.open, "peak_open": self.peak_open}, f)
                os.replace(tmp, self.stats_path)


def recipient_key(line):
    local = line[8:].strip().strip(b"<>").split(b"@")[0]
    return local.split(b"-")[0].decode("ascii", "replace")


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--addresses", required=True)
    p.add_argument("--delay", type=float, default=0.05)
    p.add_argument("--slow", type=float, default=30.0)
    p.add_argument("--log", required=True)
    p.add_argument("--stats")
    args = p.parse_args()
    sink = Sink(args)
    servers = []
    with open(args.addresses) as f:
        for line in f:
            if not line.strip():
                continue
            address, behaviour = line.split()
            if not address.startswith("127.") or behaviour not in ("ok", "defer", "slow"):
                raise SystemExit(f"wan_sink: bad address line {line!r} (127.0.0.0/8 only; ok|defer|slow)")
            servers.append(await asyncio.start_server(
                lambda r, w, a=address, b=behaviour: sink.handle(r, w, a, b), address, args.port,
                limit=MAX_LINE * 2, backlog=512, reuse_address=True))
    print(f"wan_sink: listening on {len(servers)} addresses, port {args.port}", flush=True)
    await sink.dump_stats()


if __name__ == "__main__":
    asyncio.run(main())

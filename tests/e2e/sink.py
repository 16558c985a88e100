#!/usr/bin/python3
"""A receiving MTA for the end-to-end suite (aiosmtpd; run with Debian's /usr/bin/python3).

Modes:
  save DIR           accept everything and write each message to DIR/<n>.eml with its
                     envelope in DIR/<n>.json (written to a temp name, then renamed, so a
                     reader never sees half a file). Local parts steer per-recipient replies:
                     bounce-*  -> 550 5.1.1 to RCPT,   defer-* -> 451 4.3.0 to RCPT.
  tempfail [--at rcpt|data]
                     451 4.3.0 to every RCPT (default) or accept RCPT and 451 at end of DATA.
  reject             550 5.1.1 to every RCPT.
  --tempfail-first N (any mode) the first N RCPT commands this sink sees get 451 4.3.0,
                     later ones the mode's usual reply: a destination that recovers.

Every session is logged as one JSON line to stdout (peer, MAIL, RCPTs, replies), so a
failing test can show what the sink saw. Binds only the address given with --host.
"""
import argparse
import itertools
import json
import os
import signal
import sys
import time

from aiosmtpd.controller import Controller

TEMPFAIL = "451 4.3.0 Temporary failure, try again later (e2e sink)"
REJECT = "550 5.1.1 No such user here (e2e sink)"


class Handler:
    def __init__(self, mode, directory=None, at="rcpt", tempfail_first=0):
        self.mode = mode
        self.directory = directory
        self.at = at
        self.tempfail_left = tempfail_first
        self.counter = itertools.count(1)
        self.prefix = f"{int(time.time() * 1000)}-{os.getpid()}"

    def log(self, **fields):
        print(json.dumps(fields), flush=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if self.tempfail_left > 0:
            self.tempfail_left -= 1
            reply = TEMPFAIL
        elif self.mode == "reject" or (self.mode == "save" and local.startswith("bounce-")):
            reply = REJECT
        elif (self.mode == "tempfail" and self.at == "rcpt") or (
            self.mode == "save" and local.startswith("defer-")
        ):
            reply = TEMPFAIL
        else:
            envelope.rcpt_tos.append(address)
            reply = "250 2.1.5 OK"
        self.log(event="rcpt", peer=str(session.peer), mail_from=envelope.mail_from, rcpt=address, reply=reply)
        return reply

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "tempfail":
            self.log(event="data", peer=str(session.peer), rcpts=envelope.rcpt_tos, reply=TEMPFAIL)
            return TEMPFAIL
        if self.mode != "save":
            return "554 5.5.1 No valid recipients (e2e sink)"
        n = next(self.counter)
        base = os.path.join(self.directory, f"{self.prefix}-{n:06d}")
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        meta = {
            "peer": list(session.peer) if isinstance(session.peer, tuple) else str(session.peer),
            "helo": session.host_name,
            "mail_from": envelope.mail_from,
            "mail_options": envelope.mail_options,
            "rcpt_tos": envelope.rcpt_tos,
            "size": len(content),
            "received_at": time.time(),
            "tls": session.ssl is not None,
        }
        self._write(base + ".eml", content)
        self._write(base + ".json", json.dumps(meta).encode())
        self.log(event="data", peer=str(session.peer), rcpts=envelope.rcpt_tos, saved=base + ".eml", size=len(content))
        return "250 2.0.0 OK saved (e2e sink)"

    @staticmethod
    def _write(path, data):
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
        os.rename(tmp, path)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=25)
    p.add_argument("mode", choices=["save", "tempfail", "reject"])
    p.add_argument("directory", nargs="?")
    p.add_argument("--at", choices=["rcpt", "data"], default="rcpt")
    p.add_argument("--tempfail-first", type=int, default=0, metavar="N")
    args = p.parse_args()
    if not (args.host.startswith("127.") or args.host == "::1"):
        sys.exit("sink.py: refusing to bind a non-loopback address")
    if args.mode == "save":
        if not args.directory:
            sys.exit("sink.py: save needs a directory")
        os.makedirs(args.directory, exist_ok=True)

    handler = Handler(args.mode, args.directory, args.at, args.tempfail_first)
    controller = Controller(
        handler,
        hostname=args.host,
        port=args.port,
        ready_timeout=10,
        server_hostname=f"sink-{args.host}",
        decode_data=False,
        enable_SMTPUTF8=True,
        data_size_limit=64 * 1024 * 1024,
    )
    controller.start()
    print(json.dumps({"event": "listening", "host": args.host, "port": args.port, "mode": args.mode}), flush=True)

    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    signal.signal(signal.SIGINT, lambda *_: done.append(1))
    while not done:
        signal.pause()
    controller.stop()


if __name__ == "__main__":
    main()

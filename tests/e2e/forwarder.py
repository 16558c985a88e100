#!/usr/bin/python3
"""A forwarding MTA for the loop tests (aiosmtpd; run with Debian's /usr/bin/python3).

Accepts every message, prepends its own Received header as any relay does (RFC 5321 §4.4), and
relays it at once to --to HOST:PORT (logging in with --user/--password), answering the end of
DATA with the reply it got there, as a before-queue proxy does: when the next hop refuses the
copy, the sender of this one hears the refusal. One JSON line per forward on stdout.
Binds only the loopback address given with --host and relays only to loopback.
"""
import argparse
import json
import signal
import smtplib
import sys
import time
from email.utils import formatdate

from aiosmtpd.controller import Controller


class Forwarder:
    def __init__(self, to_host, to_port, user, password):
        self.to = (to_host, to_port)
        self.user, self.password = user, password

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        received = (f"Received: from {session.host_name} ([{session.peer[0]}])\r\n"
                    f"\tby forwarder.test with ESMTP; {formatdate()}\r\n").encode()
        try:
            with smtplib.SMTP(*self.to, timeout=30) as relay:
                relay.ehlo("forwarder.test")
                if relay.has_extn("auth"):
                    relay.login(self.user, self.password)
                refused = relay.sendmail(envelope.mail_from, envelope.rcpt_tos, received + content)
                code, text = 250, f"2.0.0 forwarded ({len(refused)} refused)"
        except smtplib.SMTPResponseException as e:
            code, text = e.smtp_code, e.smtp_error.decode(errors="replace")
        except smtplib.SMTPRecipientsRefused as e:
            code, text = next(iter(e.recipients.values()))
            text = text.decode(errors="replace")
        except (OSError, smtplib.SMTPException) as e:
            code, text = 451, f"4.4.1 forwarding failed: {e}"
        print(json.dumps({"event": "forward", "at": time.time(), "mail_from": envelope.mail_from,
                          "rcpts": envelope.rcpt_tos, "code": code, "reply": text}), flush=True)
        return f"{code} {text}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--to", required=True, help="HOST:PORT of the next hop")
    p.add_argument("--user", default="apikey")
    p.add_argument("--password", required=True)
    args = p.parse_args()
    to_host, to_port = args.to.rsplit(":", 1)
    for h in (args.host, to_host):
        if not h.startswith("127."):
            sys.exit("forwarder.py: loopback only")
    controller = Controller(Forwarder(to_host, int(to_port), args.user, args.password), hostname=args.host, port=args.port,
                            ready_timeout=10, decode_data=False, data_size_limit=64 * 1024 * 1024)
    controller.start()
    print(json.dumps({"event": "listening", "host": args.host, "port": args.port, "to": args.to}), flush=True)
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    signal.signal(signal.SIGINT, lambda *_: done.append(1))
    while not done:
        signal.pause()
    controller.stop()


if __name__ == "__main__":
    main()

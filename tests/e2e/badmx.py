#!/usr/bin/python3
"""A hostile receiving MTA for the adversarial suite (stdlib only; asyncio).

  badmx.py --host 127.0.5.1 --port N MODE

Modes:
  stall-greeting   accept the connection, never send the 220 greeting
  stall-data       a normal dialogue until the end of DATA, then never answer
  drop-rcpt        close the connection right after the first RCPT TO
  garbage          answer every command with a line that is not an SMTP reply
  530-mail         answer MAIL FROM with 530 5.7.0 (authentication required)

Logs one JSON line per event to stdout. Binds only the address given with --host.
"""
import argparse
import asyncio
import json
import sys


def log(**fields):
    print(json.dumps(fields), flush=True)


async def session(reader, writer, mode):
    peer = writer.get_extra_info("peername")
    log(event="connect", peer=str(peer), mode=mode)
    try:
        if mode == "stall-greeting":
            await reader.read()          # until the client gives up
            return
        writer.write(b"220 badmx ESMTP\r\n")
        await writer.drain()
        in_data = False
        while True:
            line = await reader.readline()
            if not line:
                return
            if in_data:
                if line in (b".\r\n", b".\n"):
                    in_data = False
                    log(event="end-of-data", mode=mode)
                    if mode == "stall-data":
                        await reader.read()
                        return
                    writer.write(b"250 2.0.0 ok\r\n")
                continue
            cmd = line.decode("latin-1").strip().upper()
            log(event="command", command=cmd[:80])
            if mode == "garbage":
                writer.write(b"this is not smtp\r\n")
            elif cmd.startswith("EHLO") or cmd.startswith("HELO"):
                writer.write(b"250-badmx\r\n250 PIPELINING\r\n" if cmd.startswith("EHLO") else b"250 badmx\r\n")
            elif cmd.startswith("MAIL"):
                writer.write(b"530 5.7.0 Authentication required\r\n" if mode == "530-mail" else b"250 2.1.0 ok\r\n")
            elif cmd.startswith("RCPT"):
                if mode == "drop-rcpt":
                    writer.close()
                    return
                writer.write(b"250 2.1.5 ok\r\n")
            elif cmd == "DATA":
                in_data = True
                writer.write(b"354 go ahead\r\n")
            elif cmd.startswith("QUIT"):
                writer.write(b"221 bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"250 2.0.0 ok\r\n")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("mode", choices=["stall-greeting", "stall-data", "drop-rcpt", "garbage", "530-mail"])
    a = p.parse_args()
    if not a.host.startswith("127."):
        sys.exit("badmx binds to loopback only")
    server = await asyncio.start_server(lambda r, w: session(r, w, a.mode), a.host, a.port)
    log(event="listening", host=a.host, port=a.port, mode=a.mode)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())

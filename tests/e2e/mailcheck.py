#!/usr/bin/python3
"""Inspect what the e2e sinks saved (stdlib only).

  mailcheck.py find DIR MESSAGE_ID       print the .eml files whose Message-ID matches
  mailcheck.py ids DIR                   print "<message-id> <copies>" for every saved message
  mailcheck.py check EML EXPECTED.json   compare a saved message with what was sent;
                                         print one line per mismatch, exit 1 if any
  mailcheck.py envelope EML              print the saved envelope (JSON next to the .eml)

EXPECTED.json holds the send request plus "_attachment_bytes_b64" etc. written by the test;
see t_api_send.sh.
"""
import base64
import email
import email.policy
import glob
import json
import os
import sys
from email.parser import BytesHeaderParser
from email.utils import getaddresses


def norm_mid(value):
    return (value or "").strip().strip("<>").strip().lower()


def saved(directory):
    return sorted(glob.glob(os.path.join(directory, "*.eml")))


def headers_of(path):
    with open(path, "rb") as f:
        return BytesHeaderParser(policy=email.policy.default).parse(f)


def cmd_find(directory, mid):
    want = norm_mid(mid)
    for path in saved(directory):
        if norm_mid(headers_of(path).get("Message-ID")) == want:
            print(path)


def cmd_ids(directory):
    counts = {}
    for path in saved(directory):
        mid = norm_mid(headers_of(path).get("Message-ID"))
        counts[mid] = counts.get(mid, 0) + 1
    for mid, n in sorted(counts.items()):
        print(mid, n)


def cmd_envelope(path):
    print(open(path[: -len(".eml")] + ".json").read())


def text_of(part):
    return part.get_content().replace("\r\n", "\n")


def addresses(msg, name):
    return [a.lower() for _, a in getaddresses([str(v) for v in msg.get_all(name, [])])]


def cmd_check(path, expected_path):
    exp = json.load(open(expected_path, encoding="utf-8"))
    raw = open(path, "rb").read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    problems = []

    def expect(cond, text):
        if not cond:
            problems.append(text)

    expect(str(msg.get("Subject", "")) == exp["subject"], f"Subject is {str(msg.get('Subject'))!r}, expected {exp['subject']!r}")
    expect(exp["from_address"].lower() in addresses(msg, "From"), f"From is {msg.get('From')!r}, expected {exp['from_address']!r}")
    for field in ("To", "Cc"):
        for a in exp.get(field.lower() + "_addresses", []):
            expect(a.lower() in addresses(msg, field), f"{field} header {msg.get(field)!r} lacks {a}")
    expect(msg.get("Bcc") is None, f"Bcc header leaked into the message: {msg.get('Bcc')!r}")
    if exp.get("message_id"):
        expect(norm_mid(msg.get("Message-ID")) == norm_mid(exp["message_id"]),
               f"Message-ID is {msg.get('Message-ID')!r}, expected <{exp['message_id']}>")
    for name, value in exp.get("headers", {}).items():
        expect(str(msg.get(name, "")) == value, f"header {name} is {msg.get(name)!r}, expected {value!r}")
    expect(msg.get("Date") is not None, "no Date header")
    expect(str(msg.get("MIME-Version", "")).strip() == "1.0", f"MIME-Version is {msg.get('MIME-Version')!r}")

    if exp.get("text") is not None:
        part = msg.get_body(preferencelist=("plain",))
        if part is None:
            problems.append("no text/plain body")
        else:
            expect(text_of(part).rstrip("\n") == exp["text"].rstrip("\n"),
                   f"text body differs: got {text_of(part)[:200]!r}, expected {exp['text'][:200]!r}")
    if exp.get("html") is not None:
        part = msg.get_body(preferencelist=("html",))
        if part is None:
            problems.append("no text/html body")
        else:
            expect(text_of(part).rstrip("\n") == exp["html"].rstrip("\n"),
                   f"html body differs: got {text_of(part)[:200]!r}, expected {exp['html'][:200]!r}")
    if exp.get("text") is not None and exp.get("html") is not None:
        alt = [p for p in msg.walk() if p.get_content_type() == "multipart/alternative"]
        expect(bool(alt), f"text and html are not in a multipart/alternative (structure: {structure(msg)})")

    atts = list(msg.iter_attachments())
    for want in exp.get("attachments", []):
        match = [a for a in atts if a.get_filename() == want["filename"]]
        if not match:
            problems.append(f"attachment {want['filename']!r} missing; attachments: {[a.get_filename() for a in atts]} (structure: {structure(msg)})")
            continue
        a = match[0]
        data = a.get_payload(decode=True) or b""
        expect(data == base64.b64decode(want["content"]),
               f"attachment {want['filename']!r} bytes differ ({len(data)} bytes, expected {len(base64.b64decode(want['content']))})")
        if want.get("contentType"):
            expect(a.get_content_type() == want["contentType"].lower(),
                   f"attachment {want['filename']!r} has type {a.get_content_type()}, expected {want['contentType']}")
    # Line-length and 8-bit hygiene (RFC 5322 §2.1.1: lines at most 998 octets).
    long_lines = [n for n, line in enumerate(raw.split(b"\r\n" if b"\r\n" in raw else b"\n"), 1) if len(line) > 998]
    expect(not long_lines, f"lines longer than 998 octets: {long_lines[:5]}")

    for p in problems:
        print(p)
    return 1 if problems else 0


def structure(msg, depth=0):
    parts = [msg.get_content_type()]
    if msg.is_multipart():
        parts.append("(" + ", ".join(structure(p, depth + 1) for p in msg.iter_parts()) + ")")
    return "".join(parts)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "find":
        cmd_find(*args)
    elif cmd == "ids":
        cmd_ids(*args)
    elif cmd == "envelope":
        cmd_envelope(*args)
    elif cmd == "check":
        sys.exit(cmd_check(*args))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The Python peer of `scripts/bench.sh BUILD http` (issue 19).

What a user would write to take fremdrift's single-record POSTs with
Debian's python3-aiohttp and python3-asyncpg: the same endpoint, the same
bearer tokens (fremdrift.api_tokens, looked up by SHA-256 and cached a
minute, as fremdrift's server does), the NDJSON event record checked
minimally, the same keyed pseudonyms (HMAC-SHA256 under the same key file:
the citizen's CPR number, the record id, the course key), one INSERT per
request into fremdrift.events in its own transaction from an asyncpg
pool, answered 200 after the commit, and a record id already stored
answered as a duplicate. Not a second fremdrift: only what the benchmark
sends (events; one record a request).

    peer.py [--port 18091] [--workers 1] [--pool 16]

DATABASE_URL (a libpq key=value string or a URI) and FREMDRIFT_KEY_FILE as
for fremdrift. Each worker is a process of its own with its own pool,
listening on the same port (SO_REUSEPORT).
"""
import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import re
import signal
import time

import asyncpg
from aiohttp import web

CPR = re.compile(r"^(\d\d)(\d\d)(\d\d)-?(\d)(\d\d)(\d)$")
TOKEN_TTL = 60.0

INSERT = """
INSERT INTO fremdrift.events (source, id, pseudonym, key_no, birth_year, sex,
    course, at, type, meeting, attended)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::timestamptz, $9, $10, $11)
ON CONFLICT (source, id) DO NOTHING
RETURNING 1
"""


def read_key(path):
    """The key bytes of a fremdrift key file (`fremdrift keygen`)."""
    with open(path, encoding="ascii") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0] == "key":
                return bytes.fromhex(parts[1])
    raise SystemExit(f"{path}: no key line")


def mac(key, label, text):
    return hmac.new(key, label + b"\0" + text, hashlib.sha256).digest()


def century(yy, d7):
    """The birth year of a CPR number (anonymize/cpr.c, cpr_century_year)."""
    if d7 <= 3:
        return 1900 + yy
    if d7 in (4, 9):
        return (2000 if yy <= 36 else 1900) + yy
    return (2000 if yy <= 57 else 1800) + yy


def dsn_for_asyncpg(url):
    """asyncpg takes a URI; turn a key=value string into keyword args."""
    if "://" in url:
        return {"dsn": url}
    kw = dict(p.split("=", 1) for p in url.split())
    out = {"host": kw.get("host"), "user": kw.get("user"),
           "database": kw.get("dbname")}
    if "port" in kw:
        out["port"] = int(kw["port"])
    return out


class Peer:
    def __init__(self, key, pool_size):
        self.key = key
        self.pool_size = pool_size
        self.pool = None
        self.key_no = None
        self.tokens = {}  # sha256 -> (source, role, fetched at)

    async def start(self, app):
        self.pool = await asyncpg.create_pool(
            **dsn_for_asyncpg(os.environ["DATABASE_URL"]),
            min_size=self.pool_size, max_size=self.pool_size,
            server_settings={"timezone": "Europe/Copenhagen"})
        key_id = hmac.new(self.key, b"fremdrift/v1/key-id",
                          hashlib.sha256).hexdigest()[:16]
        self.key_no = await self.pool.fetchval(
            "SELECT key_no FROM fremdrift.pseudonym_keys WHERE key_id = $1",
            key_id)
        if self.key_no is None:
            raise SystemExit("the key file's key is not the database's")

    async def stop(self, app):
        await self.pool.close()

    async def token(self, header):
        if not header or not header.startswith("Bearer "):
            return None
        digest = hashlib.sha256(header[7:].strip().encode()).digest()
        hit = self.tokens.get(digest)
        if hit and time.monotonic() - hit[2] < TOKEN_TTL:
            return hit
        row = await self.pool.fetchrow(
            "SELECT source, role FROM fremdrift.api_tokens "
            "WHERE token_sha256 = $1 AND revoked_at IS NULL", digest)
        hit = (row["source"], row["role"], time.monotonic()) if row else None
        self.tokens[digest] = hit
        return hit

    def build(self, rec, source):
        """The row of one event record, or (field, reason)."""
        if rec.get("kind") != "event":
            return None, ("kind", "only events are taken here")
        if rec.get("source", source) != source:
            return None, ("source", "not the token's source")
        for f in ("id", "cpr", "course", "at", "type"):
            if not isinstance(rec.get(f), str) or not rec[f]:
                return None, (f, "required text")
        m = CPR.match(rec["cpr"])
        if not m:
            return None, ("cpr", "not a CPR number")
        dd, mm, yy, d7, _, last = (int(g) for g in m.groups())
        # Replacement numbers add 60 to the day (as the benchmark's do).
        if not (1 <= dd % 60 <= 31 and dd <= 91 and 1 <= mm <= 12):
            return None, ("cpr", "not a date")
        digits = "".join(m.groups()).encode()
        row = (source,
               mac(self.key, b"fremdrift/v1/record-id", rec["id"].encode()).hex(),
               mac(self.key, b"fremdrift/v1/citizen", digits),
               self.key_no, century(yy, d7), b"F" if last % 2 == 0 else b"M",
               mac(self.key, b"fremdrift/v1/course", rec["course"].encode()).hex(),
               rec["at"], rec["type"], rec.get("meeting"), rec.get("attended"))
        return row, None

    async def records(self, request):
        tok = await self.token(request.headers.get("Authorization"))
        if tok is None:
            return web.json_response({"error": "unauthorized"}, status=401)
        if tok[1] != "ingest":
            return web.json_response({"error": "forbidden"}, status=403)
        body = await request.text()
        answer = {"accepted": 0, "duplicates": 0, "rejected": []}
        for index, line in enumerate(body.splitlines()):
            if not line.strip():
                continue
            try:
                row, bad = self.build(json.loads(line), tok[0])
            except (ValueError, AttributeError):
                row, bad = None, ("", "not a JSON object")
            if bad:
                answer["rejected"].append(
                    {"index": index, "field": bad[0], "reason": bad[1]})
                continue
            try:
                # One statement, so one transaction; its answer comes
                # after its commit.
                stored = await self.pool.fetchval(INSERT, *row)
            except asyncpg.PostgresError as e:
                answer["rejected"].append(
                    {"index": index, "field": "", "reason": e.sqlstate})
                continue
            answer["accepted" if stored else "duplicates"] += 1
        return web.json_response(answer)


def serve(port, pool, key):
    peer = Peer(key, pool)
    app = web.Application(client_max_size=8 << 20)
    app.router.add_post("/api/v1/records", peer.records)
    app.on_startup.append(peer.start)
    app.on_cleanup.append(peer.stop)
    web.run_app(app, host="127.0.0.1", port=port, reuse_port=True,
                access_log=None, print=None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=18091)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--pool", type=int, default=16)
    a = ap.parse_args()
    key = read_key(os.environ["FREMDRIFT_KEY_FILE"])
    if a.workers == 1:
        serve(a.port, a.pool, key)
        return
    procs = [multiprocessing.Process(target=serve, args=(a.port, a.pool, key))
             for _ in range(a.workers)]
    for p in procs:
        p.start()
    # Stopped with SIGTERM (scripts/bench.sh): the workers go too.
    signal.signal(signal.SIGTERM,
                  lambda *_: [p.terminate() for p in procs])
    for p in procs:
        p.join()


if __name__ == "__main__":
    main()

"""Load benchmark (issue 15, pages): the tool under `lms-plugin serve`'s gunicorn settings
(gthread, workers x 4 threads) and a bare Flask constant page (bench/bare_app.py) under
exactly the same settings, driven round by round, interleaved, by one asyncio load
generator over keep-alive connections (one per virtual user), at each concurrency.

For each scenario it prints requests per second and that rate as a ratio of the bare
page's in the same run, p50/p99, the servers' CPU per request, the generator's own CPU per
request (to show it is not the bottleneck: it needs far less per request than any server)
and errors, then the peak memory of the tool's processes.

    .venv/bin/python bench/load.py                         # PostgreSQL + Redis, c = 1,10,50
    .venv/bin/python bench/load.py --concurrency 10 --rounds 5 --seconds 5
    .venv/bin/python bench/load.py --db sqlite             # the demo's database
    .venv/bin/python bench/load.py --soak 600              # then lesson pages for 10 min

Scenarios: the bare page (the ceiling); the same bare app reading one row of the tool's
database by a unique key into a small template (what any database-backed Flask page pays
in this stack: a reference for the tool's pages, which read the database too); a lesson
page for a signed-in learner (each virtual user its own learner, launched beforehand);
the learner's programme page, where a launch lands; certificate verification
(`/verify/<code>`, no session); with `--launches`, a full LTI launch (OIDC login
initiation, then the id_token POST signed by the benchmark's platform key; the signing is
inside the timed window) and a quiz submission (attempts started beforehand). The
generator and the database run on the same machine as the servers: every figure is a
floor for a dedicated server, and the ratios are what compare.

Other benchmarks may run on this machine at the same time: set BENCH_PG_URL and
BENCH_REDIS_URL to a database and a Redis db of your own (this one drops and recreates
its database and flushes its Redis db).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform as platform_info
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import psutil
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/lms_plugin_load")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
ISSUER = "https://bench-platform.example"
CLIENT_ID = "bench-client"
DEPLOYMENT = "bench-deployment"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LESSON = "/modules/awareness/lessons/1"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Platform:
    """The benchmark's LMS: a signing key and the key set URL the tool fetches (once)."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        body = json.dumps({"keys": [jwk]}).encode()
        self.keyset_hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.keyset_hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}"

    def id_token(self, tool: str, sub: str, nonce: str, course: str | None = None) -> str:
        """A learner's launch into `course` (default: one of 20 bench courses)."""
        course = course or f"course-{random.randrange(20)}"
        now = int(time.time())
        claims = {
            "iss": ISSUER, "aud": CLIENT_ID, "sub": sub, "iat": now, "exp": now + 300,
            "nonce": nonce, "name": f"Bench {sub}",
            CLAIM + "message_type": "LtiResourceLinkRequest", CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": DEPLOYMENT, CLAIM + "target_link_uri": tool + "/lti/launch",
            CLAIM + "resource_link": {"id": "bench-link", "title": "Peer support training"},
            CLAIM + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            CLAIM + "context": {"id": course, "title": f"Bench {course}"},
            CLAIM + "custom": {"department": f"Department {random.randrange(10)}"},
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})


class Server:
    def __init__(self, args: list[str], env: dict[str, str], port: int):
        self.port = port
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, env={**os.environ, **env},  # noqa: S603
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if requests.get(self.url + "/", timeout=1).status_code < 500:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.log.seek(0)
        raise RuntimeError("server did not start: " + self.log.read().decode()[-2000:])

    def processes(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def rss_mib(self) -> float:
        total = 0
        for proc in self.processes():
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total / 1024 / 1024

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self.processes():
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


# --- the load generator: asyncio, one keep-alive connection per virtual user -------------


class Connection:
    """One keep-alive HTTP/1.1 connection with its own cookies: enough of HTTP for these
    servers' answers (Content-Length or chunked bodies)."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None):
        self.port = port
        self.cookies = dict(cookies or {})
        self.landed = ""  # where the last launch redirected (launch_as)
        self.status = 0  # the last answer's status
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"",
                      headers: dict[str, str] | None = None,
                      ) -> tuple[int, dict[str, str], bytes]:
        for attempt in (1, 2):  # the server may close an idle keep-alive connection
            fresh = self.writer is None
            if fresh:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            assert self.writer is not None
            lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}",
                     f"Content-Length: {len(body)}"]
            if body:
                lines.append("Content-Type: application/x-www-form-urlencoded")
            if self.cookies:
                lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
            lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
            try:
                self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, dict[str, str], bytes]:
        assert self.reader is not None
        status = self.status = int((await self.reader.readuntil(b"\r\n")).split()[1])
        headers: dict[str, str] = {}
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.lower(), value.strip()
            if name == "set-cookie":
                key, _, rest = value.split(";", 1)[0].partition("=")
                if rest:
                    self.cookies[key] = rest
                else:
                    self.cookies.pop(key, None)
            headers[name] = value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                body += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


Action = Callable[[Connection], Awaitable[bool]]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    generator_cpu: float = 0.0
    db_cpu: float = 0.0  # PostgreSQL's backends (bench/launch.py)

    def add(self, other: Tally) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.seconds += other.seconds
        self.server_cpu += other.server_cpu
        self.generator_cpu += other.generator_cpu
        self.db_cpu += other.db_cpu

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def row(self, name: str, ceiling: float | None) -> str:
        lat = sorted(self.latencies) or [0.0]
        done = max(len(self.latencies), 1)
        ratio = f"{self.rate / ceiling:6.2f}x" if ceiling else f"{'':7}"
        return (f"{name:30} {self.rate:8.1f} {ratio} {lat[len(lat) // 2] * 1000:8.1f} "
                f"{lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000:8.1f} "
                f"{1000 * self.server_cpu / done:9.2f} {1000 * self.generator_cpu / done:9.2f} "
                f"{self.errors:7d}")


HEADING = (f"{'':30} {'req/s':>8} {'of bare':>7} {'p50 ms':>8} {'p99 ms':>8} "
           f"{'server':>9} {'generator':>9} {'errors':>7}\n"
           f"{'':30} {'':>8} {'':>7} {'':>8} {'':>8} {'CPU ms/req':>9} {'CPU ms/req':>9}")


async def drive(server: Server, conns: list[Connection], seconds: float,
                action: Callable[[Connection], Awaitable[bool]],
                peak: list[float] | None = None, think: float = 0.0) -> Tally:
    """Each connection runs `action` back to back (or with `think` seconds between) for
    `seconds`; the servers' and the generator's CPU are read before and after."""
    tally = Tally()
    me = psutil.Process()
    stop = time.perf_counter() + seconds

    async def user(conn: Connection) -> None:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                ok = await action(conn)
            except (OSError, asyncio.IncompleteReadError, ValueError, KeyError, IndexError):
                ok = False
                conn.close()
            if ok:
                tally.latencies.append(time.perf_counter() - started)
            else:
                tally.errors += 1
            if think:  # a person reads before the next click (not counted as latency)
                await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))

    async def sample() -> None:
        while time.perf_counter() < stop and peak is not None:
            peak[0] = max(peak[0], server.rss_mib())
            await asyncio.sleep(0.5)

    server_before, mine_before = server.cpu_seconds(), sum(me.cpu_times()[:2])
    began = time.perf_counter()
    await asyncio.gather(sample(), *(user(c) for c in conns))
    tally.seconds = time.perf_counter() - began
    tally.server_cpu = server.cpu_seconds() - server_before
    tally.generator_cpu = sum(me.cpu_times()[:2]) - mine_before
    for conn in conns:
        conn.close()
    return tally


# --- the scenarios --------------------------------------------------------------------


async def constant_page(conn: Connection) -> bool:
    status, _, _ = await conn.request("GET", "/")
    return status == 200


async def lesson_page(conn: Connection) -> bool:
    status, _, body = await conn.request("GET", LESSON)
    return status == 200 and b"Try it" in body


async def programme_page(conn: Connection) -> bool:
    """The person's programme: where a launch lands (bench/launch.py times it as part of a
    launch; here it is timed alone, beside the lesson page)."""
    status, _, body = await conn.request("GET", "/")
    return status == 200 and b"Your peer support programme" in body


def bare_row(code: str) -> Action:
    async def read(conn: Connection) -> bool:
        status, _, body = await conn.request("GET", f"/row/{code}")
        return status == 200 and b"Certified Person" in body

    return read


def verification(code: str) -> Action:
    async def verify(conn: Connection) -> bool:
        status, _, body = await conn.request("GET", f"/verify/{code}")
        return status == 200 and code.encode() in body

    return verify


def full_launch(tool: str, plat: Platform) -> Action:
    async def launch(conn: Connection) -> bool:
        conn.cookies.clear()
        ok = await launch_as(conn, tool, plat, f"bench-{uuid.uuid4().hex[:12]}")
        conn.cookies.clear()
        return ok

    return launch


async def launch_as(conn: Connection, tool: str, plat: Platform, sub: str,
                    course: str | None = None) -> bool:
    """OIDC login initiation, then the id_token POST: the connection's cookies are then
    the learner's session, and `conn.landed` where the launch sent them."""
    query = urlencode({"iss": ISSUER, "login_hint": sub, "client_id": CLIENT_ID,
                       "lti_deployment_id": DEPLOYMENT, "target_link_uri": tool + "/lti/launch"})
    status, headers, _ = await conn.request("GET", "/lti/login?" + query)
    if status != 302:
        return False
    params = {k: v[0] for k, v in parse_qs(urlsplit(headers["location"]).query).items()}
    token = plat.id_token(tool, sub, params["nonce"], course)
    body = urlencode({"id_token": token, "state": params["state"]}).encode()
    status, landed, _ = await conn.request("POST", "/lti/launch", body)
    conn.landed = landed.get("location", "")
    return status in (200, 302)


async def start_attempt(conn: Connection) -> str | None:
    """A quiz attempt started (untimed), ready to submit: its path and form token."""
    _, _, page = await conn.request("GET", "/quiz/awareness")
    match = CSRF.search(page.decode())
    if not match:
        return None
    status, headers, _ = await conn.request(
        "POST", "/quiz/awareness/start", urlencode({"csrf_token": match.group(1)}).encode())
    if status != 302:
        return None
    path = urlsplit(headers["location"]).path
    _, _, form = await conn.request("GET", path)
    token = CSRF.search(form.decode())
    return f"{path}\n{token.group(1)}" if token else None


def quiz_submission(ready: dict[int, list[str]]) -> Action:
    async def submit(conn: Connection) -> bool:
        waiting = ready.get(id(conn))
        if not waiting:
            await asyncio.sleep(0.05)  # this learner has no attempt left: not a request
            raise IndexError("no prepared attempt left")
        path, token = waiting.pop().split("\n")
        status, headers, _ = await conn.request(
            "POST", path, urlencode({"csrf_token": token, "action": "submit"}).encode())
        if status != 302:
            return False
        status, _, _ = await conn.request("GET", urlsplit(headers["location"]).path)
        return status == 200

    return submit


# --- set-up ---------------------------------------------------------------------------


def run_cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(VENV_BIN / "lms-plugin"), *args],  # noqa: S603 - our own CLI
                   env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)


def setup(kind: str, plat: Platform, tmp: Path) -> dict[str, str]:
    env = {"SECRET_KEY": "bench-secret", "LMS_PLUGIN_INSTANCE_PATH": str(tmp),
           "LMS_PLUGIN_CONTENT_DIR": str(ROOT), "LMS_PLUGIN_LOG_LEVEL": "WARNING",
           "LMS_PLUGIN_ROSTER_SYNC_SECONDS": "0", "LMS_PLUGIN_RATE_LIMITS": "0",
           "LMS_PLUGIN_ALLOW_PRIVATE_URLS": "1",  # its LMS is on this machine
           # the code of this checkout, whichever checkout the virtualenv was installed from
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                         if p)}
    if kind == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'load.db'}"
    else:
        from sqlalchemy import create_engine, text

        admin = create_engine(PG_URL.rsplit("/", 1)[0] + "/postgres",
                              isolation_level="AUTOCOMMIT")
        name = PG_URL.rsplit("/", 1)[1]
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        env["DATABASE_URL"] = PG_URL
        env["REDIS_URL"] = REDIS_URL
    run_cli(env, "db", "upgrade")
    run_cli(env, "content", "sync", "--root", str(ROOT))
    run_cli(env, "platform", "add", "--issuer", ISSUER, "--client-id", CLIENT_ID,
            "--deployment-id", DEPLOYMENT, "--auth-login-url", plat.url + "/auth",
            "--auth-token-url", plat.url + "/token", "--keyset-url", plat.url + "/jwks")
    return env


SEED = """
import sys
from datetime import UTC, datetime, timedelta
from sqlalchemy import select
from lms_plugin import create_app
from lms_plugin.certification.models import Certificate
from lms_plugin.extensions import db
from lms_plugin.lti.models import Platform
from lms_plugin.users.models import User
issuer, code = sys.argv[1:]
app = create_app()
with app.app_context():
    organisation_id = db.session.scalar(select(Platform.organisation_id).where(
        Platform.issuer == issuer))
    user = User(organisation_id=organisation_id, issuer=issuer, sub="certified-1",
                name="Certified Person")
    db.session.add(user)
    db.session.flush()
    db.session.add(Certificate(
        user_id=user.id, programme_slug="peer-supporter", programme_version="v1",
        code=code, holder_name=user.name, issued_at=datetime.now(UTC),
        expires_at=datetime.now(UTC) + timedelta(days=700),
        current_key=f"{user.id}:peer-supporter", evidence_json="{}"))
    db.session.commit()
"""


def seed_certificate(env: dict[str, str]) -> str:
    """A current certificate to verify, made in a child process (this process loads no
    app: its CPU is the generator's)."""
    code = "BENCHCERTQFXCATE2345"
    subprocess.run([sys.executable, "-c", SEED, ISSUER, code],  # noqa: S603 - our own
                   env={**os.environ, **env}, check=True)
    return code


def servers(env: dict[str, str], workers: int) -> tuple[Server, Server]:
    """The bare page and the tool, each under `lms-plugin serve`'s gunicorn options."""
    port = free_port()
    bare = Server([sys.executable, "-c", (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from lms_plugin.serve import _Server, gunicorn_options\n"
        "from bench.bare_app import app\n"
        "class S(_Server):\n    def load(self): return app\n"
        f"S(gunicorn_options('127.0.0.1', {port}, {workers})).run()\n")],
        {**env, "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp()}, port)
    port = free_port()
    tool = Server([str(VENV_BIN / "lms-plugin"), "serve", "--host", "127.0.0.1", "--port",
                   str(port), "--workers", str(workers)], env, port)
    return bare, tool


async def learners(tool: Server, plat: Platform, count: int) -> list[Connection]:
    """`count` learners launched (untimed), each on its own connection with its session."""
    made = [Connection(tool.port) for _ in range(count)]

    async def one(conn: Connection, n: int) -> None:
        if not await launch_as(conn, tool.url, plat, f"learner-{n}"):
            raise RuntimeError("a learner's launch failed")

    for start in range(0, count, 10):
        await asyncio.gather(*(one(c, start + i) for i, c in enumerate(made[start:start + 10])))
    for conn in made:
        conn.close()  # the cookies stay: each scenario opens its own connections
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--workers", type=int, default=2, help="web processes")
    parser.add_argument("--concurrency", default="1,10,50",
                        help="concurrent virtual users, comma-separated levels")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="per scenario and round")
    parser.add_argument("--launches", action="store_true",
                        help="also full launches and quiz submissions")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds each user waits between requests (0: flat out)")
    parser.add_argument("--soak", type=float, default=0, help="then lesson pages, seconds")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    print(f"# machine: {platform_info.machine()}, {os.cpu_count()} CPUs, "
          f"{psutil.virtual_memory().total / 2**30:.1f} GiB, Python "
          f"{platform_info.python_version()}; load average at the start "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"# {args.db}{' + Redis' if args.db == 'postgresql' else ''}; the bare page and the "
          f"tool each under gunicorn gthread {args.workers} workers x 4 threads; one asyncio "
          f"generator, a keep-alive connection per user; {args.rounds} rounds x "
          f"{args.seconds:g} s per scenario and level, interleaved; "
          f"{'flat out' if not args.think else f'~{args.think:g} s think time'}")
    plat = Platform()
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = setup(args.db, plat, tmp)
    code = seed_certificate(env)
    bare, tool = servers(env, args.workers)
    peak = [0.0]
    try:
        people = asyncio.run(learners(tool, plat, max(levels)))
        scenarios: dict[str, tuple[Server, Action, bool]] = {
            "bare Flask page (ceiling)": (bare, constant_page, False),
            "bare Flask + one database row": (bare, bare_row(code), False),
            "lesson page": (tool, lesson_page, True),
            "programme page (landing)": (tool, programme_page, True),
            "certificate verification": (tool, verification(code), False),
        }
        if args.launches:
            scenarios["full LTI launch"] = (tool, full_launch(tool.url, plat), False)
        results: dict[tuple[str, int], Tally] = defaultdict(Tally)

        def run(name: str, users: int, seconds: float) -> Tally:
            server, action, signed_in = scenarios[name]
            conns = ([Connection(p.port, p.cookies) for p in people[:users]] if signed_in
                     else [Connection(server.port) for _ in range(users)])
            return asyncio.run(drive(server, conns, seconds, action,
                                     peak if server is tool else None, args.think))

        for name in scenarios:  # warm: templates compiled, pools filled, key set fetched
            run(name, 4, 1.0)
        names = list(scenarios)
        for users in levels:
            for n in range(args.rounds):
                shift = n % len(names)
                for name in names[shift:] + names[:shift]:
                    results[(name, users)].add(run(name, users, args.seconds))

        print(HEADING)
        for users in levels:
            print(f"c={users}")
            ceiling = results[(names[0], users)].rate
            for name in names:
                print(results[(name, users)].row("  " + name, None if name == names[0]
                                                 else ceiling))
        if args.launches:
            print(quiz_phase(tool, people, args.seconds, peak).row(
                f"quiz submission (c={len(people)})", None))
        print(f"peak memory of the tool's processes: {peak[0]:.0f} MiB; the tool fetched the "
              f"platform's key set {plat.keyset_hits} time(s); load average at the end "
              f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")

        if args.soak:
            start_rss = tool.rss_mib()
            soak_peak = [0.0]
            conns = [Connection(p.port, p.cookies) for p in people]
            soak = asyncio.run(drive(tool, conns, args.soak, lesson_page, soak_peak,
                                     args.think))
            print(f"soak: {len(soak.latencies)} lesson pages, {soak.errors} errors, p99 "
                  f"{statistics.quantiles(soak.latencies, n=100)[98] * 1000:.1f} ms; "
                  f"server memory {start_rss:.0f} MiB at the start, {tool.rss_mib():.0f} MiB "
                  f"at the end, peak {soak_peak[0]:.0f} MiB")
    finally:
        bare.stop()
        tool.stop()


def quiz_phase(tool: Server, people: list[Connection], seconds: float,
               peak: list[float]) -> Tally:
    """Each learner starts attempts (untimed), then all submit them as fast as they can;
    running out of prepared attempts ends a learner's part and is not an error."""
    conns = [Connection(p.port, p.cookies) for p in people]
    ready: dict[int, list[str]] = {}

    async def prepare() -> None:
        async def one(conn: Connection) -> None:
            for _ in range(3):  # a started attempt is open: the next start reuses it
                got = await start_attempt(conn)
                if got:
                    ready.setdefault(id(conn), []).append(got)
                    break

        await asyncio.gather(*(one(c) for c in conns))

    async def submit_all() -> Tally:
        await prepare()
        return await drive(tool, conns, seconds, quiz_submission(ready), peak)

    tally = asyncio.run(submit_all())
    tally.errors = 0 if tally.latencies else tally.errors
    return tally


if __name__ == "__main__":
    main()

"""Load benchmark: start the tool under `lms-plugin serve` (gunicorn) and drive it with
concurrent virtual users; print, per scenario, requests per second, p50/p95/p99 latency,
errors and the peak memory (RSS) of the server processes, and each scenario's throughput
as a share of a bare Flask app under the same server settings.

    .venv/bin/python bench/load.py --db sqlite                 # the demo's database
    .venv/bin/python bench/load.py --db postgresql --workers 2  # PostgreSQL + Redis
    .venv/bin/python bench/load.py --db postgresql --workers 2 --soak 600

Scenarios: 1. full LTI launch (OIDC login initiation, then the id_token POST, signed RS256
by the benchmark's own platform key, whose key set the tool fetches once and caches);
2. a lesson page for a signed-in learner; 3. quiz submission; 4. certificate
verification. The load generator runs on the same machine, so it takes CPU from the
server: figures are a floor for a dedicated server.
"""

from __future__ import annotations

import argparse
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
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

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

    def id_token(self, tool: str, sub: str, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER, "aud": CLIENT_ID, "sub": sub, "iat": now, "exp": now + 300,
            "nonce": nonce, "name": f"Bench {sub}",
            CLAIM + "message_type": "LtiResourceLinkRequest", CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": DEPLOYMENT, CLAIM + "target_link_uri": tool + "/lti/launch",
            CLAIM + "resource_link": {"id": "bench-link", "title": "Peer support training"},
            CLAIM + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            CLAIM + "context": {"id": f"course-{random.randrange(20)}", "title": "Bench"},
            CLAIM + "custom": {"department": f"Department {random.randrange(10)}"},
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    peak_rss: float = 0.0

    def row(self, ceiling: float | None) -> str:
        lat = sorted(self.latencies) or [0.0]

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

        rps = len(self.latencies) / self.seconds if self.seconds else 0.0
        share = f"{100 * rps / ceiling:5.0f}%" if ceiling else "     "
        return (f"{self.name:28} {rps:8.1f} {share} {pct(0.5):8.1f} {pct(0.95):8.1f} "
                f"{pct(0.99):8.1f} {self.errors:7d} {self.peak_rss:9.0f}")


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

    def rss_mib(self) -> float:
        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
            return sum(p.memory_info().rss for p in procs) / 1024 / 1024
        except psutil.Error:
            return 0.0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def drive(name: str, server: Server, users: int, seconds: float,
          task: Callable[[int], bool], think: float = 0.0) -> Result:
    result = Result(name)
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            result.peak_rss = max(result.peak_rss, server.rss_mib())
            time.sleep(0.25)

    def user(n: int) -> None:
        i = 0
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                ok = task(n * 1_000_000 + i)
            except Exception:  # noqa: BLE001 - any failure is an error in the figures
                ok = False
            elapsed = time.perf_counter() - start
            with lock:
                if ok:
                    result.latencies.append(elapsed)
                else:
                    result.errors += 1
            i += 1
            if think:  # a person reads before the next click (not counted as latency)
                time.sleep(random.uniform(0.5 * think, 1.5 * think))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    stop.set()
    return result


def run_cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(VENV_BIN / "lms-plugin"), *args],  # noqa: S603 - our own CLI
                   env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)


def setup(kind: str, plat: Platform, tmp: Path) -> dict[str, str]:
    env = {"SECRET_KEY": "bench-secret", "LMS_PLUGIN_INSTANCE_PATH": str(tmp),
           "LMS_PLUGIN_CONTENT_DIR": str(ROOT), "LMS_PLUGIN_LOG_LEVEL": "WARNING",
           "LMS_PLUGIN_ROSTER_SYNC_SECONDS": "0", "LMS_PLUGIN_RATE_LIMITS": "0",
           "LMS_PLUGIN_ALLOW_PRIVATE_URLS": "1"}  # its LMS is on this machine
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


def seed_certificate(env: dict[str, str]) -> str:
    os.environ.update(env)
    from lms_plugin import create_app
    from lms_plugin.certification.models import Certificate
    from lms_plugin.extensions import db
    from lms_plugin.users.models import User

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"].replace(
        "postgresql://", "postgresql+psycopg://", 1)})
    with app.app_context():
        from datetime import UTC, datetime, timedelta

        from sqlalchemy import select

        from lms_plugin.lti.models import Platform as Registration

        organisation_id = db.session.scalar(select(Registration.organisation_id).where(
            Registration.issuer == ISSUER))
        user = User(organisation_id=organisation_id, issuer=ISSUER, sub="certified-1",
                    name="Certified Person")
        db.session.add(user)
        db.session.flush()
        code = "BENCHCERTQFXCATE2345"
        db.session.add(Certificate(
            user_id=user.id, programme_slug="peer-supporter", programme_version="v1",
            code=code, holder_name=user.name, issued_at=datetime.now(UTC),
            expires_at=datetime.now(UTC) + timedelta(days=700),
            current_key=f"{user.id}:peer-supporter", evidence_json="{}"))
        db.session.commit()
        db.engine.dispose()
    return code


def launch(tool: str, plat: Platform, sub: str) -> requests.Session | None:
    session = requests.Session()
    login = session.get(tool + "/lti/login", params={
        "iss": ISSUER, "login_hint": sub, "target_link_uri": tool + "/lti/launch",
        "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT, "lti_message_hint": "b"},
        allow_redirects=False, timeout=30)
    if login.status_code != 302:
        return None
    query = parse_qs(urlparse(login.headers["Location"]).query)
    token = plat.id_token(tool, sub, query["nonce"][0])
    done = session.post(tool + "/lti/launch", data={"id_token": token,
                                                    "state": query["state"][0]},
                        allow_redirects=False, timeout=30)
    return session if done.status_code in (200, 302) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="web processes")
    parser.add_argument("--users", type=int, default=50, help="concurrent virtual users")
    parser.add_argument("--seconds", type=float, default=20, help="per scenario")
    parser.add_argument("--soak", type=float, default=0, help="then a mixed soak, seconds")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds each user waits between requests (0: flat out)")
    args = parser.parse_args()

    print(f"machine: {platform_info.machine()}, {os.cpu_count()} CPUs, "
          f"{psutil.virtual_memory().total / 2**30:.1f} GiB, Python "
          f"{platform_info.python_version()}; server: {args.db}"
          f"{' + Redis' if args.db == 'postgresql' else ''}, {args.workers} gunicorn "
          f"workers x 4 threads; {args.users} concurrent users, {args.seconds:g}s each, "
          f"{'flat out' if not args.think else f'~{args.think:g}s think time'}")
    plat = Platform()
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = setup(args.db, plat, tmp)
    code = seed_certificate(env)

    port = free_port()
    bare = Server([sys.executable, "-c", (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from lms_plugin.serve import _Server, gunicorn_options\n"
        "from bench.bare_app import app\n"
        "class S(_Server):\n    def load(self): return app\n"
        f"S(gunicorn_options('127.0.0.1', {port}, {args.workers})).run()\n")],
        {"PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp()}, port)
    try:
        ceiling = drive("bare Flask (ceiling)", bare, args.users, args.seconds,
                        lambda n: requests.get(bare.url + "/", timeout=30).ok, args.think)
    finally:
        bare.stop()
    ceiling_rps = len(ceiling.latencies) / ceiling.seconds

    port = free_port()
    tool = Server([str(VENV_BIN / "lms-plugin"), "serve", "--host", "127.0.0.1", "--port",
                   str(port), "--workers", str(args.workers)], env, port)
    results = [ceiling]
    sessions: list[requests.Session] = []
    lock = threading.Lock()
    try:
        def do_launch(n: int) -> bool:
            session = launch(tool.url, plat, f"bench-{n}-{uuid.uuid4().hex[:6]}")
            if session is not None:
                with lock:
                    sessions.append(session)
            return session is not None

        results.append(drive("1. full LTI launch", tool, args.users, args.seconds, do_launch,
                             args.think))

        def lesson(n: int) -> bool:
            # One learner per virtual user (a requests.Session is not shared by threads).
            session = sessions[(n // 1_000_000) % len(sessions)]
            response = session.get(tool.url + "/modules/awareness/lessons/1", timeout=30)
            return response.status_code == 200 and "Try it" in response.text

        results.append(drive("2. lesson page", tool, args.users, args.seconds, lesson, args.think))

        # Quiz submission: each learner starts an attempt (untimed), then submits.
        ready: list[tuple[requests.Session, str, str]] = []

        def prepare(session: requests.Session) -> None:
            page = session.get(tool.url + "/quiz/awareness", timeout=30).text
            match = CSRF.search(page)
            if not match:
                return
            started = session.post(tool.url + "/quiz/awareness/start",
                                   data={"csrf_token": match.group(1)}, timeout=30)
            token = CSRF.search(started.text)
            if started.ok and token:
                with lock:
                    ready.append((session, started.url, token.group(1)))

        def prepare_all(chunk: list[requests.Session]) -> None:
            for one in chunk:
                prepare(one)

        pool = list(sessions)
        workers = [threading.Thread(target=prepare_all, args=(pool[i::8],)) for i in range(8)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        taken = iter(range(len(ready)))
        take_lock = threading.Lock()

        def submit(n: int) -> bool:
            with take_lock:
                i = next(taken, None)
            if i is None:
                time.sleep(0.05)
                raise LookupError("no prepared attempt left")
            session, url, token = ready[i]
            response = session.post(url, data={"csrf_token": token, "action": "submit"},
                                    timeout=30)
            return response.ok and "You scored" in response.text

        quiz = drive("3. quiz submission", tool, args.users, args.seconds, submit, args.think)
        quiz.errors = 0 if quiz.latencies else quiz.errors  # running out is not an error
        results.append(quiz)

        local = threading.local()

        def verify(n: int) -> bool:
            if not hasattr(local, "session"):
                local.session = requests.Session()
            return bool(local.session.get(f"{tool.url}/verify/{code}",
                                          timeout=30).status_code == 200)

        results.append(drive("4. certificate verification", tool, args.users, args.seconds,
                             verify, args.think))
        print(f"\n{'scenario':28} {'req/s':>8} {'ceil':>6} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'p99 ms':>8} {'errors':>7} {'peak MiB':>9}")
        for result in results:
            print(result.row(None if result is ceiling else ceiling_rps))
        print(f"(the tool fetched the platform key set {plat.keyset_hits} time(s); "
              f"{len(sessions)} learners launched; {len(ready)} attempts prepared)")

        if args.soak:
            start_rss = tool.rss_mib()
            soak = drive(f"soak {args.soak:g}s (lesson pages)", tool, args.users, args.soak,
                         lesson, args.think)
            print(f"soak: {len(soak.latencies)} requests, {soak.errors} errors, p99 "
                  f"{statistics.quantiles(soak.latencies, n=100)[98] * 1000:.1f} ms; "
                  f"server memory {start_rss:.0f} MiB at the start, {tool.rss_mib():.0f} MiB "
                  f"at the end, peak {soak.peak_rss:.0f} MiB")
    finally:
        tool.stop()


if __name__ == "__main__":
    main()

"""Launch benchmark (issue 15): the tool's full LTI launch (OIDC login initiation, then
the signed id_token POST) against a bare pylti1p3 tool of the Flask example's shape
(bench/bare_lti.py), both under gunicorn gthread (2 workers x 4 threads) on the same
PostgreSQL and Redis, driven round by round, interleaved, by one asyncio generator over
keep-alive connections at each concurrency. Prints launches per second, p50/p99 of a whole
launch (the two requests and the landing page each redirects to: the tool's programme
overview, the bare tool's page; --no-landing leaves the landing page out), the
servers' CPU time per launch and PostgreSQL's (the backends connected to the benchmark's
database; both servers use it, one at a time); the generator's ceiling is its rate on a
constant page (bench/bare_app.py) under the same server settings.

    .venv/bin/python bench/launch.py                      # c = 1, 10, 50; 3 rounds of 5 s
    .venv/bin/python bench/launch.py --rounds 5 --seconds 10 --no-landing
    .venv/bin/python bench/launch.py --rate-limits        # as in production (Redis counters)

Other processes on the machine (another benchmark) take CPU from both servers alike, but
set BENCH_PG_URL and BENCH_REDIS_URL to a database and Redis db of this run's own: the
set-up drops and re-creates them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# A database and Redis db of its own (the set-up drops them): bench/load.py's are
# lms_plugin_load and db 3, and the two may run at once.
os.environ.setdefault("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/lms_plugin_launch")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")

from bench.load import (  # noqa: E402
    CLIENT_ID,
    DEPLOYMENT,
    ISSUER,
    PG_URL,
    REDIS_URL,
    VENV_BIN,
    Connection,
    Platform,
    Server,
    Tally,
    free_port,
    launch_as,
    setup,
)
from bench.load import drive as load_drive  # noqa: E402 - after the path is set

PEOPLE = 2000  # launches pick one of this many people (a relaunch updates their rows)
DB_NAME = PG_URL.rsplit("/", 1)[1].split("?", 1)[0]


LANDING = True  # a launch also opens the page it redirects to (--no-landing: not)


async def one_launch(conn: Connection, tool: str, plat: Platform) -> bool:
    conn.cookies.clear()  # each launch from a fresh browser: the jar does not grow
    if not await launch_as(conn, tool, plat, f"bench-person-{random.randrange(PEOPLE)}"):
        return False
    if LANDING:
        location = urlsplit(conn.landed)
        path = location.path + ("?" + location.query if location.query else "")
        status, _, _ = await conn.request("GET", path)
        return status == 200
    return True


async def constant_page(conn: Connection, _tool: str, _plat: Platform) -> bool:
    status, _, _ = await conn.request("GET", "/")
    return status == 200


def database_cpu(name: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to the database `name`."""
    found: dict[int, float] = {}
    for proc in psutil.process_iter(["cmdline"]):
        try:
            line = " ".join(proc.info["cmdline"] or [])
            if line.startswith("postgres:") and f" {name} " in line:
                times = proc.cpu_times()
                found[proc.pid] = times.user + times.system
        except psutil.Error:
            pass
    return found


async def drive(server: Server, plat: Platform, users: int, seconds: float,
                action: Any) -> Tally:
    """bench/load.py's generator with `action(conn, tool URL, platform)`, and the CPU
    PostgreSQL's backends spent meanwhile."""
    conns = [Connection(server.port) for _ in range(users)]
    before = database_cpu(DB_NAME)
    tally = await load_drive(server, conns, seconds,
                             lambda conn: action(conn, server.url, plat))
    tally.db_cpu = sum(t - before.get(pid, 0.0) for pid, t in database_cpu(DB_NAME).items())
    return tally


def gunicorn(target: str, env: dict[str, str], port: int) -> Server:
    return Server([str(VENV_BIN / "gunicorn"), "-k", "gthread", "-w", "2", "--threads", "4",
                   "--keep-alive", "5", "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT),
                   target], env, port)


def p99(latencies: list[float]) -> float:
    lat = sorted(latencies) or [0.0]
    return lat[min(len(lat) - 1, int(0.99 * len(lat)))]


def row(name: str, t: Tally) -> str:
    lat = sorted(t.latencies) or [0.0]
    rate = len(t.latencies) / t.seconds if t.seconds else 0.0
    per = 1000 * t.server_cpu / len(t.latencies) if t.latencies else 0.0
    db = 1000 * t.db_cpu / len(t.latencies) if t.latencies else 0.0
    return (f"{name:24} {rate:9.1f} {lat[len(lat) // 2] * 1000:8.1f} "
            f"{p99(lat) * 1000:8.1f} {per:10.2f} "
            f"{db:9.2f} {t.errors:7d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", default="1,10,50")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--no-landing", dest="landing", action="store_false",
                        help="a launch stops at the id_token POST's redirect (by default it "
                             "also opens the page it lands on: the issue's full launch)")
    parser.add_argument("--rate-limits", action="store_true",
                        help="the tool's rate limits on, counted in Redis as in production "
                             "(limits high enough never to refuse): what they cost a launch")
    args = parser.parse_args()
    global LANDING
    LANDING = args.landing
    levels = [int(c) for c in args.concurrency.split(",")]

    plat = Platform()
    tmp = Path(tempfile.mkdtemp(prefix="lms_plugin_launch_"))
    env = setup("postgresql", plat, tmp)
    if args.rate_limits:
        env = {**env, "LMS_PLUGIN_RATE_LIMITS": "1",
               **{f"LMS_PLUGIN_RATE_LIMIT_{name}": "1000000 per minute"
                  for name in ("LOGIN", "LAUNCH", "LAUNCH_PERSON")}}
    ours_port, bare_port, page_port = free_port(), free_port(), free_port()
    bare_env = {**env, "BARE_ISSUER": ISSUER, "BARE_CLIENT_ID": CLIENT_ID,
                "BARE_DEPLOYMENT": DEPLOYMENT, "BARE_AUTH_URL": plat.url + "/auth",
                "BARE_KEYSET_URL": plat.url + "/jwks", "BARE_DATABASE_URL": PG_URL,
                "BARE_REDIS_URL": REDIS_URL,
                "BARE_LAUNCH_URL": f"http://127.0.0.1:{bare_port}/lti/launch"}
    servers = {"tool": gunicorn("wsgi:app", env, ours_port),
               "bare pylti1p3": gunicorn("bench.bare_lti:app", bare_env, bare_port),
               "constant page": gunicorn("bench.bare_app:app", env, page_port)}
    print(f"# {os.cpu_count()} CPUs; gunicorn gthread 2x4 each; PostgreSQL + Redis; "
          f"{args.rounds} rounds x {args.seconds:.0f} s per tool and concurrency, "
          f"interleaved; login, id_token POST{', landing page' if LANDING else ''}; "
          f"tool's rate limits {'on (Redis)' if args.rate_limits else 'off'}; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    results: dict[tuple[str, int], Tally] = defaultdict(Tally)
    generator = psutil.Process()
    gen_cpu: dict[str, float] = defaultdict(float)
    try:
        for tool in ("tool", "bare pylti1p3"):  # warm: key sets fetched, pools filled
            asyncio.run(drive(servers[tool], plat, 4, 1.0, one_launch))
        for c in levels:
            for n in range(args.rounds):
                order = ["tool", "bare pylti1p3", "constant page"]
                if n % 2:
                    order = order[1::-1] + order[2:]
                for name in order:
                    action = constant_page if name == "constant page" else one_launch
                    before = sum(generator.cpu_times()[:2])
                    tally = asyncio.run(drive(servers[name], plat, c, args.seconds, action))
                    gen_cpu[name] += sum(generator.cpu_times()[:2]) - before
                    results[(name, c)].add(tally)
        print(f"{'':24} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8} {'server CPU':>10} "
              f"{'PG CPU':>9} {'errors':>7}")
        print(f"{'':24} {'':>9} {'':>8} {'':>8} {'ms/launch':>10} {'ms/launch':>9}")
        for c in levels:
            print(f"c={c}")
            for name in ("tool", "bare pylti1p3", "constant page"):
                print(row("  " + name, results[(name, c)]))
        for name in ("tool", "bare pylti1p3", "constant page"):
            done = sum(len(results[(name, c)].latencies) for c in levels)
            print(f"generator CPU per {'page' if name == 'constant page' else 'launch'} "
                  f"({name}): {1000 * gen_cpu[name] / max(done, 1):.2f} ms")
        rates = [len(results[("tool", c)].latencies) / results[("tool", c)].seconds
                 for c in levels]
        print(f"median tool launches/s over levels: {statistics.median(rates):.1f}")
        for c in levels:
            ours, bare = results[("tool", c)], results[("bare pylti1p3", c)]
            if ours.latencies and bare.latencies:
                ratio = (len(ours.latencies) / ours.seconds) / (len(bare.latencies) / bare.seconds)
                print(f"c={c}: tool / bare pylti1p3 throughput {ratio:.2f}x, "
                      f"p99 {p99(ours.latencies) / p99(bare.latencies):.2f}x")
        print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    main()

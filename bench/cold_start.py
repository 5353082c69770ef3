"""Cold-start benchmark (issue 15): a freshly started tool under `lms-plugin serve`'s
gunicorn settings (gthread, 2 workers x 4 threads) on PostgreSQL and Redis, hit by 50
concurrent users the moment its port accepts connections, before it has answered
anything. Twenty of them launch for the first time into one course the tool has never
seen, all at once; the other thirty launch into courses it has not seen either, then read
their landing page and a lesson, over and over. Every answer that is not the expected
redirect or page counts as an error, and the server's log is searched for tracebacks.
Repeated for several cold starts, each with a new course.

    .venv/bin/python bench/cold_start.py                 # 3 cold starts, 10 s of load each
    .venv/bin/python bench/cold_start.py --starts 5 --seconds 20

What this compares against: nothing but zero. A race at start-up (metrics registered
lazily, a course or person inserted twice) answers 500 to some of the first requests;
the figure to read is the error count, which must be 0. Rate limits are off here, as in
the other load benchmarks (50 users from one address would otherwise be limited: that is
the limiter working, not an error).

Other benchmarks may run at the same time: set BENCH_PG_URL and BENCH_REDIS_URL to a
database and a Redis db of your own (this one drops and recreates its database).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import (  # noqa: E402 - after the path is set
    VENV_BIN,
    Connection,
    Platform,
    free_port,
    launch_as,
    setup,
)

FIRST_LAUNCHES = 20  # simultaneous first launches into one new course
BROWSING = 30  # users launching into other new courses, then reading pages


@dataclass
class Outcome:
    done: int = 0
    errors: list[str] = field(default_factory=list)


async def launch(conn: Connection, tool: str, plat: Platform, sub: str, course: str,
                 outcome: Outcome) -> bool:
    """One whole launch from a fresh browser (the connection keeps the session cookie it
    leaves); False when it failed (the error is noted)."""
    conn.cookies.clear()
    if not await launch_as(conn, tool, plat, sub, course):
        outcome.errors.append(f"launch answered {conn.status}")
        return False
    outcome.done += 1
    return True


async def page(conn: Connection, path: str, outcome: Outcome) -> None:
    status, _, _ = await conn.request("GET", path)
    if status != 200:
        outcome.errors.append(f"{path} {status}")
    else:
        outcome.done += 1


async def load(port: int, tool: str, plat: Platform, seconds: float, tag: str) -> Outcome:
    outcome = Outcome()
    go = asyncio.Event()
    stop = time.perf_counter() + seconds

    async def first_launcher(n: int) -> None:
        conn = Connection(port)
        await go.wait()
        try:
            await launch(conn, tool, plat, f"cold-{tag}-{n}", f"new-course-{tag}", outcome)
        except (OSError, asyncio.IncompleteReadError) as exc:
            outcome.errors.append(f"first launch: {exc!r}")
        conn.close()

    async def browser(n: int) -> None:
        conn = Connection(port)
        await go.wait()
        while time.perf_counter() < stop:
            try:
                if await launch(conn, tool, plat, f"browse-{tag}-{n}",
                                f"other-{tag}-{n % 7}", outcome):
                    await page(conn, "/", outcome)
                    await page(conn, "/modules/awareness/lessons/1", outcome)
            except (OSError, asyncio.IncompleteReadError) as exc:
                outcome.errors.append(f"browse: {exc!r}")
                conn.close()
        conn.close()

    tasks = [asyncio.create_task(first_launcher(n)) for n in range(FIRST_LAUNCHES)]
    tasks += [asyncio.create_task(browser(n)) for n in range(BROWSING)]
    await asyncio.sleep(0)  # every user is waiting at the start line
    go.set()
    await asyncio.gather(*tasks)
    return outcome


def wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> float:
    """Seconds until the port accepts a connection (no request is sent)."""
    began = time.perf_counter()
    while proc.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return time.perf_counter() - began
        time.sleep(0.02)
    raise RuntimeError("the server exited before it listened")


def one_cold_start(env: dict[str, str], plat: Platform, seconds: float) -> tuple[Outcome, int]:
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    proc = subprocess.Popen(  # noqa: S603 - our own server
        [str(VENV_BIN / "gunicorn"), "-k", "gthread", "-w", "2", "--threads", "4",
         "--keep-alive", "5", "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "wsgi:app"],
        env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        outcome = asyncio.run(load(port, f"http://127.0.0.1:{port}", plat, seconds,
                                   uuid.uuid4().hex[:8]))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    log.seek(0)
    tracebacks = log.read().decode(errors="replace").count("Traceback")
    log.close()
    return outcome, tracebacks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    plat = Platform()
    env = setup("postgresql", plat, Path(tempfile.mkdtemp(prefix="lms_plugin_cold_")))
    print(f"# {os.cpu_count()} CPUs; gunicorn gthread 2x4; PostgreSQL + Redis; "
          f"{FIRST_LAUNCHES} simultaneous first launches into one new course + {BROWSING} "
          f"users launching and reading pages, from the moment the port opens; "
          f"{args.seconds:.0f} s each; load average {os.getloadavg()[0]:.2f}")
    print(f"{'start':>5} {'answers':>8} {'errors':>7} {'tracebacks':>10}")
    total = 0
    for n in range(1, args.starts + 1):
        outcome, tracebacks = one_cold_start(env, plat, args.seconds)
        total += len(outcome.errors) + tracebacks
        print(f"{n:5d} {outcome.done:8d} {len(outcome.errors):7d} {tracebacks:10d}")
        for error in sorted(set(outcome.errors))[:10]:
            print(f"      {error} x{outcome.errors.count(error)}")
    print(f"errors in all: {total}")


if __name__ == "__main__":
    main()

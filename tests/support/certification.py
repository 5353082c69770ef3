"""A trainee's practice hours through the test client."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support.quiz import csrf


def log(client, page: str, supervisor_id: str, hours: str, kind: str, reflection: str = ""):
    return client.post("/programmes/listener/hours", data={
        "csrf_token": csrf(page), "category": "practice", "kind": kind, "hours": hours,
        # Today (UTC's): never in anyone's future, and not before the enrolment just made.
        "activity_date": datetime.now(UTC).date().isoformat(),
        "supervisor": supervisor_id, "reflection": reflection,
    })

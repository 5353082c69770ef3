"""The demo LMS's own data: its signing keys, the tool it launches, its courses and the
links and grades it holds. Kept in a JSON file, apart from the tool's database, because the
demo LMS stands for someone else's system."""

from __future__ import annotations

import json
import secrets
import threading
from pathlib import Path
from typing import Any

from ..lti.keys import new_rsa_key

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"

PERSONAS: dict[str, dict[str, Any]] = {
    "learner": {
        "sub": "demo-learner-1",
        "name": "Alex Morgan",
        "given_name": "Alex",
        "family_name": "Morgan",
        "email": "alex.morgan@example.org",
        "roles": [LIS + "membership#Learner"],
        "label": "Learner (an employee taking the training)",
        "department": "Operations",
    },
    "trainee": {
        "sub": "demo-trainee-1",
        "name": "Sam Okafor",
        "given_name": "Sam",
        "family_name": "Okafor",
        "email": "sam.okafor@example.org",
        "roles": [LIS + "membership#Learner"],
        "label": "Peer-supporter trainee",
        "department": "Finance",
    },
    "supervisor": {
        "sub": "demo-supervisor-1",
        "name": "Jordan Lee",
        "given_name": "Jordan",
        "family_name": "Lee",
        "email": "jordan.lee@example.org",
        "roles": [LIS + "membership#Mentor"],
        "mentees": ["demo-trainee-1"],
        "label": "Supervisor (mentor of Sam)",
        "department": "People",
    },
    "admin": {
        "sub": "demo-admin-1",
        "name": "Riley Chen",
        "given_name": "Riley",
        "family_name": "Chen",
        "email": "riley.chen@example.org",
        "roles": [LIS + "membership#Instructor", LIS + "institution/person#Administrator"],
        "label": "L&D admin (course teacher)",
        "department": "People",
    },
}

DEMO_CLIENT_ID = "lms-plugin-demo"
DEMO_DEPLOYMENT_ID = "demo-deployment-1"
# The languages the demo LMS can launch a course in (`launch_presentation.locale`); with
# none, the tool follows the browser's language.
LOCALES: dict[str, str] = {"en-GB": "English", "es-ES": "Español"}

COURSES: dict[str, dict[str, str]] = {
    "wellbeing-101": {"title": "Workplace Wellbeing Essentials", "label": "WELL101"},
    "peer-support": {"title": "Peer Supporter Programme 2026", "label": "PEER26"},
}


def new_key_pair() -> dict[str, str]:
    kid, private_pem, public_pem = new_rsa_key()
    return {"kid": kid, "private": private_pem, "public": public_pem}


class DemoState:
    """Thread-safe JSON-file state. Small and local on purpose: it is a demo."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.RLock()

    def _load(self) -> dict[str, Any]:
        if self.path.exists():
            return json.loads(self.path.read_text())
        return {}

    def _save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(self.path)

    def read(self) -> dict[str, Any]:
        with self._lock:
            data = self._load()
            if not data.get("keys"):
                data = self._initial(data)
                self._save(data)
            return data

    def update(self, fn: Any) -> Any:
        with self._lock:
            data = self.read()
            result = fn(data)
            self._save(data)
            return result

    def _initial(self, data: dict[str, Any]) -> dict[str, Any]:
        data.setdefault("keys", [new_key_pair()])
        data.setdefault("tool", None)
        data.setdefault("links", {})  # course -> list of deep-linked resource links
        data.setdefault("line_items", {})
        data.setdefault("scores", [])
        return data

    # keys

    def signing_key(self) -> dict[str, str]:
        return self.read()["keys"][-1]

    def published_keys(self) -> list[dict[str, str]]:
        return self.read()["keys"]

    def rotate_key(self) -> dict[str, str]:
        def _rotate(data: dict[str, Any]) -> dict[str, str]:
            key = new_key_pair()
            data["keys"].append(key)
            return key

        return self.update(_rotate)

    # the tool this platform launches

    def tool(self) -> dict[str, Any] | None:
        return self.read().get("tool")

    def set_tool(self, tool: dict[str, Any]) -> None:
        def _set(data: dict[str, Any]) -> None:
            data["tool"] = tool

        self.update(_set)

    def add_links(self, course: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        def _add(data: dict[str, Any]) -> list[dict[str, Any]]:
            links = data["links"].setdefault(course, [])
            added = []
            for item in items:
                link = {
                    "id": "rl-" + secrets.token_hex(6),
                    "title": item.get("title") or "Untitled",
                    "url": item.get("url"),
                    "custom": item.get("custom") or {},
                    "lineItem": item.get("lineItem"),
                }
                links.append(link)
                added.append(link)
            return added

        return self.update(_add)

    # grades (AGS, the platform side)

    def line_items(self, course: str) -> dict[str, dict[str, Any]]:
        return dict(self.read()["line_items"].get(course, {}))

    def save_line_item(self, course: str, item_id: str, item: dict[str, Any]) -> None:
        def _save(data: dict[str, Any]) -> None:
            data["line_items"].setdefault(course, {})[item_id] = item

        self.update(_save)

    def delete_line_item(self, course: str, item_id: str) -> bool:
        def _delete(data: dict[str, Any]) -> bool:
            return data["line_items"].get(course, {}).pop(item_id, None) is not None

        return self.update(_delete)

    def record_score(self, course: str, item_id: str, score: dict[str, Any]) -> str:
        """Keep the score unless an equal or later one for the person is already held."""

        def _record(data: dict[str, Any]) -> str:
            held = [s for s in data["scores"] if s["course"] == course
                    and s["line_item"] == item_id and s["userId"] == score.get("userId")]
            if held and held[-1].get("timestamp", "") >= score.get("timestamp", ""):
                return "oldtimestamp"
            data["scores"].append({"course": course, "line_item": item_id, **score})
            return "created" if not held else "success"

        return self.update(_record)

    def scores(self, course: str | None = None) -> list[dict[str, Any]]:
        return [s for s in self.read()["scores"] if course is None or s["course"] == course]

    def links(self, course: str) -> list[dict[str, Any]]:
        return list(self.read()["links"].get(course, []))

    def find_link(self, course: str, link_id: str) -> dict[str, Any] | None:
        return next((lk for lk in self.links(course) if lk["id"] == link_id), None)

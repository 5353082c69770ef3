"""The demo LMS's course rosters: the platform side of the Names and Role Provisioning
Service, on lti1p3platform's NamesRoleProvisioningService (which checks the tool's access
token and pages with `limit`/`page`). Besides the personas, each course lists colleagues
who have not launched the tool yet, as a real course would."""

from __future__ import annotations

from typing import Any

from flask import jsonify, make_response, request
from lti1p3platform.exceptions import LtiServiceException
from lti1p3platform.membership import Context
from lti1p3platform.service_connector import NamesRoleProvisioningService, TPage

from .ags import to_flask
from .platform import FlaskPlatformRequest
from .state import COURSES, LIS, PERSONAS

NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

# Colleagues on the roster who have not launched yet (they count as "not started").
ROSTER_ONLY = [
    "Ama Mensah", "Bo Nilsson", "Carmen Ruiz", "Dev Patel", "Elif Demir", "Finn Walsh",
    "Grace Ito", "Hamza Khan", "Ines Costa", "Jonas Berg", "Kiri Tane", "Lina Haddad",
]


def members(course: str) -> list[dict[str, Any]]:
    people = [{"user_id": p["sub"], "name": p["name"], "email": p["email"],
               "roles": p["roles"], "status": "Active"} for p in PERSONAS.values()]
    people += [{"user_id": f"demo-{course}-{i:02d}", "name": name,
                "roles": [LIS + "membership#Learner"], "status": "Active"}
               for i, name in enumerate(ROSTER_ONLY, 1)]
    return people


def claim(base: str, course: str) -> dict[str, Any]:
    return {"context_memberships_url": f"{base}/nrps/{course}/memberships",
            "service_versions": ["2.0"]}


class PagedRequest(FlaskPlatformRequest):
    """Query parameters as numbers, as the paging in lti1p3platform expects."""

    def build_metadata(self, request: Any) -> Any:
        data = super().build_metadata(request)
        args = data["get_data"]
        for name in ("page", "limit"):
            if name in args:
                try:
                    args[name] = max(1, int(args[name]))
                except ValueError:
                    args.pop(name)
        return data


class DemoRoster(NamesRoleProvisioningService):
    def __init__(self, conf: Any, course: str, base: str):
        self.course = course
        url = claim(base, course)["context_memberships_url"]
        super().__init__(PagedRequest(request), conf, url)

    def get_member_data_page(self, page: int = 1, limit: int | None = None,
                             role: str | None = None, since: str | None = None,
                             **_: Any) -> TPage:
        people = members(self.course)
        if role:
            people = [m for m in people if any(r.endswith(role) for r in m["roles"])]
        if not limit:
            return {"content": people, "has_next": False, "next": None}
        start = (page - 1) * limit
        return {"content": people[start:start + limit],
                "has_next": start + limit < len(people), "next": None}

    def get_context_by_id(self) -> Context:
        info = COURSES[self.course]
        return Context(id=self.course, label=info["label"], title=info["title"])


def register(bp: Any, platform_conf: Any, platform_base: Any) -> None:
    @bp.route("/nrps/<course>/memberships")
    def nrps_memberships(course: str) -> Any:
        if course not in COURSES:
            return make_response(jsonify({"error": "No such course"}), 404)
        conf = platform_conf()
        conf.get_registration()
        try:
            return to_flask(DemoRoster(conf, course, platform_base()).handle_get_members())
        except LtiServiceException as exc:
            return make_response(jsonify({"error": exc.message}), exc.status_code)

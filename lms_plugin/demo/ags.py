"""The demo LMS's gradebook: the platform side of LTI Assignment and Grade Services, on
lti1p3platform's AssignmentsGradesService (which checks the tool's access token)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import jsonify, make_response, request
from lti1p3platform.exceptions import LineItemNotFoundException, LtiServiceException
from lti1p3platform.lineitem import TLineItem
from lti1p3platform.response import Response, generate_next_link
from lti1p3platform.score import TScore, UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, TPage

from ..extensions import csrf
from .platform import platform_request
from .state import COURSES


class DemoGradebook(AssignmentsGradesService):
    def __init__(self, conf: Any, course: str, base: str, line_item_id: str | None = None):
        self.course = course
        self.base = base
        lineitems = f"{base}/ags/{course}/lineitems"
        super().__init__(
            platform_request(), conf, lineitems,
            f"{lineitems}/{line_item_id}" if line_item_id else None,
        )
        self.state = conf.state

    def _url(self, item_id: str) -> str:
        return f"{self.base}/ags/{self.course}/lineitems/{item_id}"

    def find_lineitems(self, page: int = 1, limit: int | None = None,
                       line_item_id: str | None = None, resource_link_id: str | None = None,
                       resource_id: str | None = None, tag: str | None = None,
                       **_: Any) -> TPage:
        items = list(self.state.line_items(self.course).values())
        if resource_id:
            items = [i for i in items if i.get("resourceId") == resource_id]
        if tag:
            items = [i for i in items if i.get("tag") == tag]
        if resource_link_id:
            items = [i for i in items if i.get("resourceLinkId") == resource_link_id]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id: str) -> TLineItem:
        item = self.state.line_items(self.course).get(line_item_id)
        if item is None:
            raise LineItemNotFoundException()
        return item

    def create_lineitem(self, creation_data: TLineItem) -> TLineItem:
        if not isinstance(creation_data, dict) or "scoreMaximum" not in creation_data:
            raise LtiServiceException("A line item needs scoreMaximum", 400)
        item_id = "li-" + secrets.token_hex(4)
        item: dict[str, Any] = {**creation_data, "id": self._url(item_id)}
        self.state.save_line_item(self.course, item_id, item)
        return item

    def update_lineitem(self, update_data: TLineItem) -> TLineItem:
        item_id = str(update_data["id"])
        current = self.find_lineitem(item_id)
        item: dict[str, Any] = {**current, **update_data, "id": self._url(item_id)}
        self.state.save_line_item(self.course, item_id, item)
        return item

    def delete_lineitem(self, line_item_id: str) -> None:
        if not self.state.delete_line_item(self.course, line_item_id):
            raise LineItemNotFoundException()

    def update_score(self, line_item_id: str, score: TScore) -> UpdateScoreStatus:
        self.find_lineitem(line_item_id)
        if not isinstance(score, dict) or not score.get("userId") or not score.get("timestamp"):
            raise LtiServiceException("A score needs userId and timestamp", 400)
        return UpdateScoreStatus(self.state.record_score(self.course, line_item_id, dict(score)))

    def get_results(self, line_item_id: str, page: int = 1, limit: int | None = None,
                    user_id: str | None = None) -> TPage:
        self.find_lineitem(line_item_id)
        latest: dict[str, dict[str, Any]] = {}
        for s in self.state.scores(self.course):
            if s["line_item"] == line_item_id and (user_id is None or s["userId"] == user_id):
                latest[s["userId"]] = s
        results = [
            {"id": f"{self._url(line_item_id)}/results/{uid}", "scoreOf": self._url(line_item_id),
             "userId": uid, "resultScore": s.get("scoreGiven"),
             "resultMaximum": s.get("scoreMaximum")}
            for uid, s in latest.items()
        ]
        return {"content": results, "has_next": False, "next": None}


def to_flask(resp: Response) -> Any:
    if 200 <= resp.code < 300:
        data = resp.result
        if isinstance(data, dict) and "content" in data:
            data = data["content"]
        response = make_response(jsonify(data) if data is not None else "", resp.code)
        response.headers["Content-Type"] = resp.media_type
        if isinstance(resp.result, dict) and resp.result.get("next"):
            response.headers["Link"] = generate_next_link(resp.result["next"])
        return response
    return make_response(jsonify({"error": resp.message}), resp.code)


def register(bp: Any, platform_conf: Any, platform_base: Any) -> None:
    def service(course: str, item: str | None = None) -> DemoGradebook:
        if course not in COURSES:
            raise LtiServiceException("No such course", 404)
        conf = platform_conf()
        conf.get_registration()
        return DemoGradebook(conf, course, platform_base(), item)

    def call(fn: Any, **kwargs: Any) -> Any:
        try:
            return to_flask(fn(**kwargs))
        except LtiServiceException as exc:
            return make_response(jsonify({"error": exc.message}), exc.status_code)
        except LineItemNotFoundException:
            return make_response(jsonify({"error": "Not found"}), 404)

    @bp.route("/ags/<course>/lineitems", methods=["GET", "POST"])
    @csrf.exempt
    def ags_lineitems(course: str) -> Any:
        svc = service(course)
        if request.method == "POST":
            return call(svc.handle_create_lineitem)
        return call(svc.handle_get_lineitems)

    @bp.route("/ags/<course>/lineitems/<item>", methods=["GET", "PUT", "DELETE"])
    @csrf.exempt
    def ags_lineitem(course: str, item: str) -> Any:
        svc = service(course, item)
        handler = {"GET": svc.handle_get_lineitem, "PUT": svc.handle_update_lineitem,
                   "DELETE": svc.handle_delete_lineitem}[request.method]
        return call(handler, line_item_id=item)

    @bp.route("/ags/<course>/lineitems/<item>/scores", methods=["POST"])
    @csrf.exempt
    def ags_scores(course: str, item: str) -> Any:
        return call(service(course, item).handle_update_score, line_item_id=item)

    @bp.route("/ags/<course>/lineitems/<item>/results", methods=["GET"])
    def ags_results(course: str, item: str) -> Any:
        return call(service(course, item).handle_get_results, line_item_id=item)

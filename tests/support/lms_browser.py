"""The browser's part of an LMS's first contact with a live tool, played with requests:
register, launch, take the quiz."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import requests
from flask import Flask
from werkzeug.datastructures import MultiDict

from lms_plugin.jobs.worker import new_worker_id, run_once
from tests.support.browser import parse_form
from tests.support.lms import parse_autopost
from tests.support.quiz import RIGHT
from tests.support.servers import ServerThread


class Tool:
    def __init__(self, app: Flask, server: ServerThread, url: str):
        self.app, self.server, self.url = app, server, url

    def run_worker(self) -> int:
        with self.app.app_context():
            return run_once(new_worker_id())


def register(session: requests.Session, registration_page: str) -> requests.Response:
    """The LMS's admin page frames the tool's registration URL; open that frame, press
    Register."""
    page = session.get(registration_page)
    src = html.unescape(re.search(r"id='registration-frame'[^>]*src='([^']+)'", page.text)
                        .group(1))  # type: ignore[union-attr]
    frame = session.get(urljoin(page.url, src))  # Moodle: a redirect on its own origin
    assert frame.status_code == 200, frame.text
    form = parse_form(frame.text)
    done = session.post(frame.url.split("?")[0], data=form.fields)
    assert done.status_code == 200, done.text
    assert "registration-close.js" in done.text
    return done


def lms_launch(session: requests.Session, start_url: str) -> requests.Response:
    """The LMS posts the login initiation; the tool sends the browser to the LMS's auth
    endpoint (Canvas: through the platform-storage page, whose link we follow); the LMS
    posts the id_token back; the tool lands the person on a page."""
    action, fields = parse_autopost(session.get(start_url).text)
    login = session.post(action, data=fields, allow_redirects=False)
    if login.status_code == 302:
        auth_url = login.headers["Location"]
    else:
        assert login.status_code == 200, login.text
        auth_url = html.unescape(re.search(r'data-next="([^"]+)"', login.text).group(1))  # type: ignore[union-attr]
    auth = session.get(auth_url)
    assert auth.status_code == 200, auth.text
    action, fields = parse_autopost(auth.text)
    return session.post(action, data=fields)


def take_quiz(session: requests.Session, tool: Tool) -> None:
    page = session.get(tool.url + "/quiz/listening").text
    attempt = session.post(tool.url + "/quiz/listening/start",
                           data={"csrf_token": parse_form(page).fields["csrf_token"]})
    form = parse_form(attempt.text)
    # The paged quiz: a page post may save answers to any question of the try; then the
    # summary page's confirmed submit ("submit anyway" covers any blank).
    data = MultiDict([("csrf_token", form.fields["csrf_token"]), ("action", "save"),
                      ("page", "1")])
    for name, values in RIGHT.items():
        for value in values:
            data.add(name, value)
    session.post(attempt.url, data=list(data.items(multi=True)))
    review = session.post(attempt.url + "/submit", data={
        "csrf_token": form.fields["csrf_token"], "confirm": "anyway"})
    assert "You scored <strong>100%</strong>" in review.text, review.text[:2000]

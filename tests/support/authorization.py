"""Signed-in test clients without a launch (authorization, not the launch, under test),
and the URL of any rule of the app with the world's ids filled in."""

from __future__ import annotations

from itsdangerous import URLSafeTimedSerializer

ROLES = ["anonymous", "learner", "trainee", "supervisor_other", "supervisor_this",
         "instructor_other", "admin"]
# The second organisation: another LMS registered with the tool, and its people's roles.
OTHER_ISSUER = "https://other-lms.example.net"
OTHER_ORG_ROLES = {"learner": "learner", "mentor": "mentor", "instructor": "instructor",
                   "admin": "admin"}

RAW_CSRF = "matrix-csrf-raw-token"


def client_for(app, world, role):
    """Signed in as the role, with a valid CSRF token in the session: authorization, not
    CSRF, is under test here (CSRF has its own tests)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = RAW_CSRF
        if role != "anonymous":
            user_id, roles, *version = world[0][role]
            version = version or [1]  # a new person's sessions are at version 1
            session["_user_id"] = str(user_id)
            session["_fresh"] = True
            session["roles"] = roles
            session["session_version"] = version[0]
    return client


def csrf_token(app) -> str:
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(RAW_CSRF)


def url_for_rule(rule, values: dict, rejected_id: int) -> str:
    params = dict(values)
    if rule.endpoint in ("training.module", "training.lesson", "training.complete_lesson",
                         "training.module_completed", "quiz.start_page", "quiz.start"):
        params["slug"] = "listening"
    if rule.endpoint in ("certification.resubmit", "certification.withdraw"):
        params["entry_id"] = rejected_id  # withdrawing it is refused: the pending one stays
    if rule.endpoint == "certification.verify":
        params["code"] = values["code"]
    url = rule.rule
    for arg in rule.arguments:
        url = url.replace(f"<int:{arg}>", str(params[arg])).replace(f"<{arg}>", str(params[arg]))
    return url

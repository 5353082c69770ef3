"""Deep linking: an instructor picks a module (or its quiz); we return an ltiResourceLink."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, session
from flask_babel import gettext
from flask_login import current_user, login_required
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from ..content.services import get_catalog
from ..i18n import N_
from ..urls import launch_url
from ..users.models import ADMIN, INSTRUCTOR
from .errors import LaunchError
from .validation import restore_launch


def build_resources(
    choices: list[tuple[str, str]], launch_url: str, with_line_items: bool
) -> list[DeepLinkResource]:
    """One resource link per (module slug, what) where what is 'module' or 'quiz'."""
    catalog = get_catalog()
    resources = []
    for slug, what in choices:
        module = catalog.modules[slug]
        title = module.meta.title + (" quiz" if what == "quiz" else "")
        custom = {"module": slug} if what == "module" else {"module": slug, "open": "quiz"}
        resource = (
            DeepLinkResource().set_url(launch_url).set_title(title).set_custom_params(custom)
        )
        if with_line_items and module.meta.completion.quiz in catalog.quizzes:
            resource.set_lineitem(
                LineItem()
                .set_score_maximum(100)
                .set_label(f"{module.meta.title} quiz")
                .set_resource_id(slug)
                .set_tag("lms-plugin-quiz")
            )
        resources.append(resource)
    return resources


@login_required
def picker(launch_id: str) -> Any:
    if session.get("launch_id") != launch_id:
        abort(403)
    message = restore_launch(launch_id)
    claims = message.claims()
    if not message.is_deep_link_launch():
        raise LaunchError(N_("This launch is not a deep linking request."))
    if not set(session.get("roles", [])) & {INSTRUCTOR, ADMIN}:
        raise LaunchError(
            N_("Only a course's teachers and administrators can add this tool to a course."), 403
        )
    modules = get_catalog().ordered_modules()
    errors = []
    if request.method == "POST":
        valid = {m.slug for m in modules}
        choices = []
        for value in request.form.getlist("item"):
            slug, _, what = value.partition(":")
            if slug not in valid or what not in {"module", "quiz"}:
                errors.append(gettext("That choice is not one of the modules offered."))
                break
            choices.append((slug, what))
        if not choices and not errors:
            errors.append(gettext("Choose at least one module or quiz to add."))
        if not errors:
            resources = build_resources(choices, launch_url(), claims.has_ags)
            deep_link = message.get_deep_link()
            jwt_val = deep_link.get_response_jwt(resources)
            return render_template(
                "lti/deep_link_return.html",
                return_url=claims.deep_link_return_url,
                jwt=jwt_val,
                user=current_user,
            )
    return render_template(
        "lti/deep_link.html", modules=modules, errors=errors, launch_id=launch_id,
        multiple=claims.accept_multiple,
    )

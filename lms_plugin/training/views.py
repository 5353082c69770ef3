"""The learner's programme: overview, module and lesson pages, "mark complete"."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from markupsafe import Markup

from ..content.loader import Module
from ..content.render import render_lesson
from ..content.services import get_catalog
from ..extensions import db
from ..i18n import current_locale
from ..inputs import parse_id
from ..quiz.models import QuizAttempt
from ..quiz.services import NO_RECORD, QuizRecord, retake_from
from ..reads import reads_only
from ..users.models import Course
from ..users.sessions import asks_with_person, session_fact
from .help import help_resources
from .rules import EVERYONE, next_module, path_modules, refresher_modules
from .services import (
    completed_modules,
    get_module_progress,
    has_completed_training,
    lesson_done,
    mark_lesson_complete,
    module_slugs,
    on_supporter_path,
    programme_progress,
    read_progress,
)

bp = Blueprint("training", __name__)


def _course_title() -> str | None:
    """The name of the course the person launched from: as the launch stored it in the
    session (no query), else read (a session started before the launch kept it)."""
    title = session.get("course_title")
    if isinstance(title, str):
        return title
    course_id = session.get("course_id")
    course = db.session.get(Course, course_id) if course_id else None
    return course.shown_as if course else None


def _module_or_404(slug: str) -> Module:
    """The module, or a 404 page that tells the learner calmly what is going on and the
    operator which command loads the content (a fresh install with no content synced, or
    a link naming a module that is not loaded)."""
    catalog = get_catalog()
    module = catalog.modules.get(slug)
    if module is None:
        loaded = sorted(catalog.modules)
        current_app.logger.warning(
            "module %r was asked for but is not loaded (%s); to load content, run "
            "`lms-plugin content sync`",
            slug, "loaded: " + ", ".join(loaded) if loaded else "no content is loaded",
        )
        page = render_template("training/not_loaded.html", slug=slug, loaded=loaded)
        abort(make_response(page, 404))
    return module


@bp.route("/")
@reads_only
@login_required
def overview() -> Any:
    """The person's path: everyone's modules, plus the peer-supporter modules for someone
    enrolled in a programme (and the refreshers, for renewal)."""
    supporter = on_supporter_path(current_user)
    modules = get_catalog().ordered_modules()
    path = path_modules(modules, supporter)
    known = read_progress(current_user.id)  # progress and retake notes: one statement
    progress = programme_progress(current_user, [*path, *refresher_modules(modules, supporter)],
                                  known)
    programme, refreshers = progress[:len(path)], progress[len(path):]
    on_path = {module.slug for module in path}
    return render_template(
        "training/overview.html", programme=programme, course_title=_course_title(),
        retakes=_retakes([item.module for item in [*programme, *refreshers]
                          if not item.completion], known.records),
        progress_facts=known.facts, user=current_user,
        programmes=sorted(get_catalog().programmes.values(), key=lambda p: p.slug),
        supporter=supporter, refreshers=refreshers,
        supporter_modules=[m for m in modules if m.slug not in on_path and not m.meta.refresher],
    )


@bp.route("/modules/<slug>")
@reads_only
@login_required
def module(slug: str) -> Any:
    mod = _module_or_404(slug)
    known = read_progress(current_user.id)
    return render_template(
        "training/module.html", module=mod.localized(current_locale()),
        progress=get_module_progress(current_user, mod, known), done=known.done,
        quiz=get_catalog().quizzes.get(mod.meta.completion.quiz or ""),
        retakes=_retakes([mod], known.records),
    )


def _retakes(modules: list[Module], records: dict[str, QuizRecord]) -> dict[str, Any]:
    """Module slug -> what to say about its quiz retake (a wait, a try in progress), from
    the person's quiz records the page read once."""
    quizzes = get_catalog().quizzes
    found = {}
    for mod in modules:
        content = quizzes.get(mod.meta.completion.quiz or "")
        if content is not None and (retake := retake_from(
                content.document, records.get(content.document.id, NO_RECORD))):
            found[mod.slug] = retake
    return found


def _asks_lesson_done(slug: str, number: int) -> dict[str, dict[str, Any]]:
    """The lesson page asks whether this lesson is done with the person (one statement)."""
    module = get_catalog().modules.get(slug)
    index = module.lesson_index(number) if module else None
    if module is None or index is None:
        return {}
    return {"lesson_done": {"lesson_id": module.lessons[index].meta.id}}


@bp.route("/modules/<slug>/lessons/<int:number>")
@reads_only
@asks_with_person(_asks_lesson_done)
@login_required
def lesson(slug: str, number: int) -> Any:
    """The lesson in the reader's language when the module has it translated, else in
    English (`Module.localized`); progress is kept by the lesson's id either way."""
    english = _module_or_404(slug)
    language = current_locale()
    mod = english.localized(language)
    index = mod.lesson_index(number)
    if index is None:
        abort(404, description=gettext("There is no such lesson in this module."))
    current = mod.lessons[index]
    top, pager = _lesson_parts(english, mod, index, language)
    return render_template(
        "training/lesson.html", module=mod, lesson=current, top=top, pager=pager,
        next=mod.lessons[index + 1] if index + 1 < len(mod.lessons) else None,
        completed=_done(current.meta.id),
    )


def _done(lesson_id: str) -> bool:
    """Read with the person when the page asked (`_asks_lesson_done`), else asked now."""
    found = session_fact("lesson_done")
    return bool(found) if found is not None else lesson_done(current_user.id, lesson_id)


PARTS = "lms_plugin.lesson_parts"


def _lesson_parts(english: Module, mod: Module, index: int, language: str,
                  ) -> tuple[Markup, Markup]:
    """The lesson above its actions and the pager below them: the same for every reader
    of this lesson in this language (nothing personal), so rendered once per process and
    kept with the content they came from (a sync makes new Module objects, so new
    entries). The person's part (done, or the form to mark it) is rendered per request."""
    key = (id(english), index, language, request.script_root)
    parts: dict[Any, tuple[Module, Markup, Markup]] = current_app.extensions.setdefault(
        PARTS, {})
    found = parts.get(key)
    if found is not None and found[0] is english:
        return found[1], found[2]
    current = mod.lessons[index]
    body, sources = render_lesson(current.body, mod.meta.sources, current.meta.sources)
    page = {
        "module": mod, "lesson": current, "body": body, "sources": sources,
        "previous": mod.lessons[index - 1] if index > 0 else None,
        "next": mod.lessons[index + 1] if index + 1 < len(mod.lessons) else None,
        "position": index + 1, "lesson_lang": english.language_of(current, language)}
    top = Markup(render_template("training/_lesson_top.html", **page))  # noqa: S704
    pager = Markup(render_template("training/_lesson_pager.html", **page))  # noqa: S704
    if len(parts) > 2048:  # content synced many times over in a long-lived process
        parts.clear()
    parts[key] = (english, top, pager)
    return top, pager


@bp.route("/modules/<slug>/lessons/<int:number>/complete", methods=["POST"])
@login_required
def complete_lesson(slug: str, number: int) -> Any:
    mod = _module_or_404(slug)
    index = mod.lesson_index(number)
    if index is None:
        abort(404, description=gettext("There is no such lesson in this module."))
    completion = mark_lesson_complete(current_user, mod, mod.lessons[index])
    db.session.commit()
    if completion is not None:  # acknowledge it: what was finished, what is next
        if mod.meta.audience == EVERYONE and has_completed_training(current_user):
            return redirect(url_for("certification.training_completed"))
        return redirect(url_for("training.module_completed", slug=slug))
    following = next((ls for ls in mod.lessons if ls.number > number), None)
    if following is not None:
        return redirect(url_for("training.lesson", slug=slug, number=following.number))
    return redirect(url_for("training.module", slug=slug))


@bp.route("/modules/<slug>/completed")
@login_required
def module_completed(slug: str) -> Any:
    """The acknowledgement of a finished module, and what comes next."""
    mod = _module_or_404(slug)
    done = completed_modules(current_user.id)
    if slug not in done:
        return redirect(url_for("training.module", slug=slug))
    path = module_slugs(current_user)
    following = next_module(path, done, after=slug)
    return render_template(
        "training/module_completed.html", module=mod, completion=done[slug],
        attempt=_own_quiz_attempt(request.args.get("attempt"), mod),
        next_module=get_catalog().modules.get(following) if following else None,
        modules_done=len([s for s in path if s in done]), modules_total=len(path),
        training_done=has_completed_training(current_user))


def _own_quiz_attempt(raw: str | None, mod: Module) -> QuizAttempt | None:
    """The try that just completed the module (after a quiz pass), to link to its review;
    only the person's own try of this module's quiz."""
    attempt_id = parse_id(raw or "")
    if attempt_id is None:
        return None
    attempt = db.session.get(QuizAttempt, attempt_id)
    if (attempt is None or attempt.user_id != current_user.id
            or attempt.quiz_slug != mod.meta.completion.quiz or not attempt.is_submitted):
        return None
    return attempt


@bp.route("/help")
def help_now() -> Any:
    """Reachable from every page, signed in or not."""
    return render_template("training/help_now.html",
                           help=help_resources(current_app).localized(current_locale()))

"""Admin reports (L&D admins only) and the learner's survey pages. Every aggregate goes
through `services.protected`; every view of a person and every export is audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from ..audit import audit
from ..certification.forms import EmptyForm
from ..content.services import get_catalog
from ..extensions import db
from ..i18n import N_
from ..inputs import parse_id, require_form_token
from ..lti.models import Platform
from ..lti.nrps import request_roster_sync
from ..users.access import require_admin
from ..users.models import Course
from ..users.sessions import current_organisation_id
from . import charts
from .exports import csv_lines
from .queries import (
    NO_DEPARTMENT,
    PIPELINE,
    Filters,
    courses,
    departments,
    people_query,
)
from .services import (
    ADMINISTRATION,
    EVALUATION,
    Report,
    agree_share,
    build_report,
    build_reports,
    members,
    min_size,
    module_titles,
    readiness_lines,
)
from .suppression import TOTAL
from .survey import SCALE, answered, record_answers, survey_config

URL_SAFE = "!$'()*,/:;?@"  # what url_for leaves unencoded in a query

bp = Blueprint("reporting", __name__)
HIDDEN = N_("hidden")  # a suppressed count, shown in the page's language




def _departments() -> list[str]:
    """The organisation's departments, read once per request (the filter is checked
    against them, and the page lists them)."""
    if "report_departments" not in g:
        g.report_departments = departments(current_organisation_id())
    return list(g.report_departments)


def _filters() -> Filters:
    """From the query string, checked: garbage is a 400 that says what is wrong."""
    organisation_id = current_organisation_id()
    filters = Filters(organisation_id)
    course = request.args.get("course", "").strip()
    if course:
        if parse_id(course) is None:
            abort(400, description=gettext("The course filter must be one of the listed courses."))
        found = db.session.get(Course, int(course))
        if found is None or found.organisation_id != organisation_id:
            abort(400, description=gettext("The course filter must be one of the listed courses."))
        filters = Filters(organisation_id, found.id, None)
    department = request.args.get("department", "").strip()
    if department:
        if department not in _departments():
            abort(400, description=gettext("The department filter must be one of the listed ones."))
        filters = Filters(organisation_id, filters.course_id, department)
    return filters


def _query(filters: Filters) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if filters.course_id is not None:
        args["course"] = filters.course_id
    if filters.department is not None:
        args["department"] = filters.department
    return args


def _charts(report: Report) -> dict[str, Any]:
    if report.chart == "bars":
        return {"bars": charts.stacked_bars(report.view, report.row_labels,
                                            report.column_labels),
                "legend": charts.legend(report.view.columns, report.column_labels)}
    if report.chart == "weekly":
        return {"columns": charts.weekly_columns(report.view)}
    return {}


@bp.route("/admin/reports")
@login_required
def dashboard() -> Any:
    require_admin()
    filters = _filters()
    reports = build_reports(filters)

    query = _query(filters)
    lists: dict[str, str] = {}  # report key -> its list's address, without the query

    def list_url(report: Report, row: str, column: str) -> str | None:
        """Where a count of an administration report opens its named list (none for a
        zero: nobody to list, or for an evaluation report: no names, ever). The route is
        built once per report and the query added per count: a dashboard links a
        thousand counts, and building each through the URL map cost a tenth of it."""
        value = report.view.values.get((row, column))
        if not report.named or not value:
            return None
        base = lists.get(report.key)
        if base is None:
            base = lists[report.key] = url_for("reporting.report_people", key=report.key)
        args = [(k, v) for k, v in (("row", row), ("column", column)) if v != TOTAL]
        # Encoded as url_for encodes a query (werkzeug's safe characters); none, no "?".
        encoded = urlencode([*args, *query.items()], safe=URL_SAFE)
        return f"{base}?{encoded}" if encoded else base

    return render_template(
        "reporting/dashboard.html", filters=filters, charts=_charts, list_url=list_url,
        sections=[(kind, [r for r in reports if r.kind == kind])
                  for kind in (ADMINISTRATION, EVALUATION)],
        query=query, course_options=courses(current_organisation_id()),
        department_options=_departments(), min_size=min_size(),
        no_department=NO_DEPARTMENT,
        agree_share=agree_share, roster_form=EmptyForm(), hidden=gettext(HIDDEN), TOTAL=TOTAL,
        list_of=gettext("list of %(what)s"),  # each linked count's words, translated once
        readiness=readiness_lines)


@bp.route("/admin/reports/summary")
@login_required
def summary() -> Any:
    require_admin()
    filters = _filters()
    reports = build_reports(filters)
    return render_template("reporting/summary.html", reports=reports, filters=filters,
                           min_size=min_size(), hidden=gettext(HIDDEN), readiness=readiness_lines,
                           course_options=courses(current_organisation_id()),
                           no_department=NO_DEPARTMENT)


def _download(name: str, rows: Iterator[list[Any]]) -> Response:
    """Every CSV export goes through `exports.csv_lines` (quoted, formula-guarded)."""
    response = Response(stream_with_context(csv_lines(rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@bp.route("/admin/reports/<key>.csv")
@login_required
def report_csv(key: str) -> Response:
    require_admin()
    filters = _filters()
    try:
        report = build_report(key, filters)
    except LookupError as exc:
        abort(404, description=str(exc))
    audit("report.export", current_user, None, None, report=key,
          organisation_id=filters.organisation_id, **_query(filters))
    db.session.commit()

    def rows() -> Iterator[list[Any]]:
        view = report.view
        # The table as the page shows it, in the page's language (the people export,
        # below, is data: its headers stay English).
        yield [report.row_heading, *[report.column_labels.get(c, c) for c in view.columns],
               gettext(report.definition.total_label)]
        for row in view.rows:
            yield [report.row_labels.get(row, row),
                   *[_cell(view.get(row, c)) for c in view.columns], _cell(view.row_total(row))]
        if report.definition.column_totals:
            yield [gettext("Total"), *[_cell(view.column_total(c)) for c in view.columns],
                   _cell(view.total)]

    return _download(key, rows())


def _cell(value: int | None) -> Any:
    return gettext(HIDDEN) if value is None else value


@bp.route("/admin/reports/pipeline/<slug>/<state>")
@login_required
def pipeline_list(slug: str, state: str) -> Any:
    """The earlier address of a pipeline stage's list: now the report's own list."""
    require_admin()
    if get_catalog().programmes.get(slug) is None or state not in PIPELINE:
        abort(404, description=gettext("There is no such list."))
    return redirect(url_for("reporting.report_people", key=f"pipeline-{slug}", row=state,
                            **_query(_filters())))


@bp.route("/admin/reports/list/<key>")
@login_required
def report_people(key: str) -> Any:
    """The people behind one count of an administration report (admins only, audited):
    exactly as many as the count on the dashboard with the same filters."""
    require_admin()
    filters = _filters()
    row = request.args.get("row", TOTAL) or TOTAL
    column = request.args.get("column", TOTAL) or TOTAL
    try:
        report = build_report(key, filters)
        people = members(report, filters, row, column)
    except LookupError as exc:
        abort(404, description=str(exc))
    audit("report.list.view", current_user, None, None,
          organisation_id=current_organisation_id(), report=key, row=row, column=column,
          **_query(filters))
    db.session.commit()
    several = len(report.view.columns) > 1  # else the one column says nothing more
    label = ", ".join(part for part in (
        report.row_labels.get(row, row) if row != TOTAL else "",
        report.column_labels.get(column, column) if column != TOTAL and several else "")
        if part)
    return render_template("reporting/report_people.html", report=report, people=people,
                           label=label or gettext("Everyone counted"), query=_query(filters),
                           filters=filters, course_options=courses(current_organisation_id()),
                           detail=report.definition.detail and gettext(report.definition.detail),
                           no_department=NO_DEPARTMENT)


@bp.route("/admin/reports/people.csv")
@login_required
def people_csv() -> Response:
    """Everyone in scope with their progress and best scores: streamed from the database
    a page at a time (one query, a server-side cursor), so memory does not grow with
    the number of people."""
    require_admin()
    filters = _filters()
    audit("report.people.export", current_user, None, None,
          organisation_id=filters.organisation_id, **_query(filters))
    db.session.commit()
    titles = module_titles()
    modules = list(titles)
    query = people_query(filters, modules)

    def rows() -> Iterator[list[Any]]:
        header = ["Name", "Department"]
        for module in modules:
            header += [f"{titles[module]}: completed on", f"{titles[module]}: best score"]
        yield header
        for row in db.session.execute(query):
            values: list[Any] = [row[1] or "", row[2] or NO_DEPARTMENT]
            for i in range(len(modules)):
                done, score = row[3 + 2 * i], row[4 + 2 * i]
                values += [str(done)[:10] if done else "",
                           f"{float(score):g}" if score is not None else ""]
            yield values

    return _download("people", rows())


@bp.route("/admin/reports/roster/<int:course_id>", methods=["POST"])
@login_required
def sync_roster_now(course_id: int) -> Any:
    require_admin()
    require_form_token()
    course = db.session.get(Course, course_id)
    if course is None or course.organisation_id != current_organisation_id():
        abort(404, description=gettext("There is no such course."))
    platform = db.session.scalars(select(Platform).where(
        Platform.issuer == course.issuer,
        Platform.organisation_id == course.organisation_id)).first()
    if platform is None or not request_roster_sync(course, platform.id, force=True):
        flash(gettext("This course's LMS does not offer a roster (Names and Role Provisioning)."),
              "error")
    else:
        db.session.commit()
        flash(gettext("The roster will be fetched in the background; reload in a minute."),
              "success")
    return redirect(url_for("reporting.dashboard"))


# --- the learner's survey ------------------------------------------------------------------


def _survey_form(phase: str) -> FlaskForm:
    items = survey_config(current_app).items

    class SurveyForm(FlaskForm):
        pass

    # The default items and scale are translated; an organisation's own items (the
    # survey file) are shown as written.
    choices = [SelectChoice(str(k), gettext(v)) for k, v in SCALE.items()] + [
        SelectChoice("skip", gettext("Prefer not to say"))]
    for item in items:
        setattr(SurveyForm, f"item_{item.id}",
                RadioField(gettext(item.text), choices=choices, validators=[Optional()]))
    return SurveyForm()


@bp.route("/survey/<phase>", methods=["GET", "POST"])
@login_required
def survey(phase: str) -> Any:
    if phase not in ("pre", "post"):
        abort(404, description=gettext("There is no such survey."))
    if answered(current_user, phase):
        flash(gettext("Thank you: you have already answered this survey."), "success")
        return redirect(url_for("training.overview"))
    form = _survey_form(phase)
    items = survey_config(current_app).items
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("reporting/survey.html", form=form, phase=phase,
                                   items=items), 422
        answers: dict[str, int | None] = {}
        for item in items:
            raw = getattr(form, f"item_{item.id}").data
            answers[item.id] = int(raw) if raw and raw != "skip" else None
        record_answers(current_user, phase, answers)
        db.session.commit()
        flash(gettext("Thank you. Your answers are stored without your name and only ever "
                      "shown as totals for groups of people."), "success")
        return redirect(url_for("training.overview"))
    return render_template("reporting/survey.html", form=form, phase=phase, items=items)

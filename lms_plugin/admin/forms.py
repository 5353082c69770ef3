"""The admin area's forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from ..certification.forms import TextForm
from ..quiz.services import EXTRA_ATTEMPT, LIFT_COOLDOWN


class AllowanceForm(TextForm):
    """One more try, or the wait lifted, on one quiz: the buttons post `action`."""

    quiz = SelectField(_l("Quiz"), validators=[DataRequired(_l("Choose the quiz."))])
    action = RadioField(_l("What to give"), choices=[
        SelectChoice(EXTRA_ATTEMPT, _l("One more try beyond the limit")),
        SelectChoice(LIFT_COOLDOWN, _l("Let them retake now (lift the wait)"))],
        validators=[InputRequired(_l("Choose one more try or lifting the wait."))])
    reason = TextAreaField(_l("Reason"), description=_l("Kept in the audit log."), validators=[
        DataRequired(_l("Give a reason: it is kept in the audit log.")), Length(min=3, max=2000)])


class RevokeForm(TextForm):
    reason = TextAreaField(_l("Reason for revoking"), description=(
        _l("The holder sees this reason on their programme page.")), validators=[
        DataRequired(_l("Give a reason: the holder will see it.")), Length(min=3, max=2000)])


class RehearseForm(TextForm):
    """A draft programme to rehearse: one stored with the content, a file, or its text
    pasted (the results page posts the text back to list names). `stored`'s choices are
    the stored drafts (the view sets them), so any other name is refused."""

    stored = SelectField(_l("A stored draft"), description=(
        _l("Drafts kept with the content, in certifications/drafts/.")), choices=[], default="",
        invalid_choice_message=_l("Choose one of the stored drafts listed."))
    draft = FileField(_l("Draft programme file (YAML)"), description=(
        _l("A new version of one of the programmes in use, as certifications/<id>.yaml.")))
    text = TextAreaField(_l("Or paste the draft"), validators=[Length(max=200_000)])
    names = BooleanField(_l("List the people who would change status (recorded in the audit "
                         "log)"))

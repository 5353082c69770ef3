"""Forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..inputs import control_characters

REFLECTION_HINT = _l(
    "Optional, at most 1,000 characters. Write about what you did and learned, never about "
    "who: no names, roles, teams, email addresses or phone numbers, nothing that could "
    "identify the person you supported.")


CONTROL_CHARACTER = _l("Remove the control character (an invisible character such as NUL or "
                       "an escape code) from this text.")


class TextForm(FlaskForm):
    """A form whose text fields take typed text only: line breaks and tabs, but no NUL
    (PostgreSQL cannot store it), escape codes or other control characters, which nobody
    types. Checked for every text field, including any added later."""

    def validate(self, extra_validators=None) -> bool:
        valid = bool(super().validate(extra_validators))
        for field in self:
            if isinstance(field, StringField) and isinstance(field.data, str) \
                    and control_characters(field.data):
                field.errors = [*field.errors, CONTROL_CHARACTER]
                valid = False
        return valid

    def first_error(self, default: str) -> str:
        """The first field error, for views that answer a refused form with a message."""
        for errors in self.errors.values():
            for error in errors:
                if isinstance(error, str | LazyString):
                    return str(error)
        return default


class LogHoursForm(TextForm):
    category = SelectField(_l("What kind of hours"), choices=[
        SelectChoice("practice", _l("Supervised practice or supervision")),
        SelectChoice("continuing", _l("Continuing education (for renewal)")),
    ], validators=[DataRequired(_l("Choose what kind of hours these are."))])
    kind = SelectField(_l("Activity"), validators=[DataRequired()])
    hours = DecimalField(_l("Hours"), places=2, validators=[
        InputRequired(_l("Enter the number of hours.")),
        NumberRange(min=0.25, max=24, message=_l("Enter between 0.25 and 24 hours."))])
    activity_date = DateField(_l("Date of the activity"), validators=[
        InputRequired(_l("Enter the date, as on a calendar."))])
    supervisor = SelectField(_l("Supervisor who will approve it"), coerce=int,
                             validators=[InputRequired(_l("Choose your supervisor."))])
    reflection = TextAreaField(_l("Short reflection"), description=REFLECTION_HINT,
                               validators=[Optional(), Length(max=1000)])
    # The browser's IANA time zone, filled in by static/timezone.js: dates are the person's
    # own calendar days. Checked against the zone database; anything else is ignored.
    timezone = HiddenField()


class DecisionForm(TextForm):
    decision = RadioField(_l("Decision"), choices=[SelectChoice("approve", _l("Approve")),
                                                   SelectChoice("reject", _l("Reject"))],
                          validators=[InputRequired(_l("Choose approve or reject."))])
    reason = TextAreaField(_l("Reason (required when you reject)"),
                           validators=[Optional(), Length(max=2000)])


class ReasonForm(TextForm):
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(_l("Give a reason.")),
                                                 Length(min=3, max=2000)])


class EmptyForm(FlaskForm):
    """A button that changes something: just the CSRF token."""


class ListingForm(TextForm):
    contact = StringField(_l("How colleagues can reach you"), description=(
        _l("For example your work chat name, desk phone extension or a booking link. This is "
        "shown to colleagues in your organisation.")),
        validators=[DataRequired(_l("Say how colleagues can reach you.")), Length(max=300)])
    languages = StringField(_l("Languages you can offer support in"), description=(
        _l("For example: English, Polish, British Sign Language.")),
        validators=[DataRequired(_l("List at least one language.")), Length(max=200)])
    availability = StringField(_l("When you are usually available"), description=(
        _l("For example: Tuesday and Thursday lunchtimes, UK time.")),
        validators=[DataRequired(_l("Say when you are usually available.")), Length(max=300)])


class AssignSupervisorForm(FlaskForm):
    supervisor = SelectField(_l("Supervisor"), coerce=int,
                             validators=[InputRequired(_l("Choose a supervisor."))])


class WaiverForm(TextForm):
    requirement = SelectField(_l("Requirement to waive"),
                              validators=[DataRequired(_l("Choose the requirement."))])
    evidence = TextAreaField(_l("Evidence of prior learning you have seen"), description=(
        _l("For example: the name and date of a certificate from another recognised course.")),
        validators=[DataRequired(_l("Describe the evidence.")), Length(min=3, max=2000)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Give a reason.")),
                                                 Length(min=3, max=2000)])

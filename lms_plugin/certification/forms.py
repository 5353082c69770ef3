"""Forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

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

REFLECTION_HINT = (
    "Optional, at most 1,000 characters. Write about what you did and learned, never about "
    "who: no names, roles, teams, email addresses or phone numbers, nothing that could "
    "identify the person you supported."
)


CONTROL_CHARACTER = ("Remove the control character (an invisible character such as NUL or "
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
                if isinstance(error, str):
                    return error
        return default


class LogHoursForm(TextForm):
    category = SelectField("What kind of hours", choices=[
        SelectChoice("practice", "Supervised practice or supervision"),
        SelectChoice("continuing", "Continuing education (for renewal)"),
    ], validators=[DataRequired("Choose what kind of hours these are.")])
    kind = SelectField("Activity", validators=[DataRequired()])
    hours = DecimalField("Hours", places=2, validators=[
        InputRequired("Enter the number of hours."),
        NumberRange(min=0.25, max=24, message="Enter between 0.25 and 24 hours.")])
    activity_date = DateField("Date of the activity", validators=[
        InputRequired("Enter the date, as on a calendar.")])
    supervisor = SelectField("Supervisor who will approve it", coerce=int,
                             validators=[InputRequired("Choose your supervisor.")])
    reflection = TextAreaField("Short reflection", description=REFLECTION_HINT,
                               validators=[Optional(), Length(max=1000)])
    # The browser's IANA time zone, filled in by static/timezone.js: dates are the person's
    # own calendar days. Checked against the zone database; anything else is ignored.
    timezone = HiddenField()


class DecisionForm(TextForm):
    decision = RadioField("Decision", choices=[SelectChoice("approve", "Approve"),
                                                   SelectChoice("reject", "Reject")],
                          validators=[InputRequired("Choose approve or reject.")])
    reason = TextAreaField("Reason (required when you reject)",
                           validators=[Optional(), Length(max=2000)])


class ReasonForm(TextForm):
    reason = TextAreaField("Reason", validators=[InputRequired("Give a reason."),
                                                 Length(min=3, max=2000)])


class EmptyForm(FlaskForm):
    """A button that changes something: just the CSRF token."""


class ListingForm(TextForm):
    contact = StringField("How colleagues can reach you", description=(
        "For example your work chat name, desk phone extension or a booking link. This is "
        "shown to colleagues in your organisation."),
        validators=[DataRequired("Say how colleagues can reach you."), Length(max=300)])
    languages = StringField("Languages you can offer support in", description=(
        "For example: English, Polish, British Sign Language."),
        validators=[DataRequired("List at least one language."), Length(max=200)])
    availability = StringField("When you are usually available", description=(
        "For example: Tuesday and Thursday lunchtimes, UK time."),
        validators=[DataRequired("Say when you are usually available."), Length(max=300)])


class AssignSupervisorForm(FlaskForm):
    supervisor = SelectField("Supervisor", coerce=int,
                             validators=[InputRequired("Choose a supervisor.")])


class WaiverForm(TextForm):
    requirement = SelectField("Requirement to waive",
                              validators=[DataRequired("Choose the requirement.")])
    evidence = TextAreaField("Evidence of prior learning you have seen", description=(
        "For example: the name and date of a certificate from another recognised course."),
        validators=[DataRequired("Describe the evidence."), Length(min=3, max=2000)])
    reason = TextAreaField("Reason", validators=[DataRequired("Give a reason."),
                                                 Length(min=3, max=2000)])

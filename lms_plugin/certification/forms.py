"""Forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

REFLECTION_HINT = (
    "Optional, at most 1,000 characters. Write about what you did and learned, never about "
    "who: no names, roles, teams, email addresses or phone numbers, nothing that could "
    "identify the person you supported."
)


class LogHoursForm(FlaskForm):
    category = SelectField("What kind of hours", choices=[
        SelectChoice("practice", "Supervised practice or supervision"),
        SelectChoice("continuing", "Continuing education (for renewal)"),
    ], validators=[DataRequired()])
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


class DecisionForm(FlaskForm):
    decision = RadioField("Decision", choices=[SelectChoice("approve", "Approve"),
                                                   SelectChoice("reject", "Reject")],
                          validators=[InputRequired("Choose approve or reject.")])
    reason = TextAreaField("Reason (required when you reject)",
                           validators=[Optional(), Length(max=2000)])


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[InputRequired("Give a reason."),
                                                 Length(min=3, max=2000)])


class EmptyForm(FlaskForm):
    """A button that changes something: just the CSRF token."""

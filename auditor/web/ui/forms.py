"""Flask-WTF forms: each carries the session's CSRF token."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, EmailField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, ValidationError

from auditor.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from auditor.models import ROLES

DECISIONS = {
    # action: (new review state, label, log wording)
    "confirm": ("confirmed", "Confirm violation", "confirmed the violation"),
    "dismiss": ("dismissed", "Dismiss as false positive", "dismissed as a false positive"),
    "request_fix": ("confirmed", "Request a fix", "requested a fix from the influencer"),
    "resolve": ("fixed", "Mark resolved", "marked resolved"),
    "reopen": ("open", "Reopen", "reopened"),
}


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


class DecisionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    note = TextAreaField("Note", validators=[Length(max=5000)])   # no Optional(): it would skip validate_note

    def validate_action(self, field):
        if field.data not in DECISIONS:
            raise ValidationError("unknown decision")

    def validate_note(self, field):
        if self.action.data == "dismiss" and not (field.data or "").strip():
            raise ValidationError("Give the reason this is a false positive.")


MAX_BULK = 1000   # posts in one bulk decision (a queue page holds 25)


class BulkDecisionForm(FlaskForm):
    """The queue's bulk bar: one decision for the findings shown of every ticked post."""
    post = SelectMultipleField(coerce=int, validate_choice=False)
    action = StringField(validators=[InputRequired("Choose a decision.")])
    note = TextAreaField("Comment", validators=[Length(max=5000)])

    def validate_post(self, field):
        if field.errors:      # not all numbers: the coercion already said so
            return
        if not field.data:
            raise ValidationError("Nothing selected: tick the posts to decide on first.")
        if len(set(field.data)) > MAX_BULK:
            raise ValidationError(f"Select at most {MAX_BULK} posts at once.")

    def validate_action(self, field):
        if field.data not in DECISIONS:
            raise ValidationError(f"Unknown decision '{field.data}'; nothing was changed.")

    def validate_note(self, field):
        if self.action.data == "dismiss" and not (field.data or "").strip():
            raise ValidationError("Give the reason these are false positives; it is recorded on every post.")


class CommentForm(FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired(), Length(max=5000)])


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class EditForm(FlaskForm):
    text = TextAreaField("Caption", validators=[DataRequired(), Length(max=100_000)])
    note = StringField("What changed", validators=[Optional(), Length(max=500)])


class UserForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)])
    role = SelectField("Role", choices=list(ROLES), default="reviewer")


def _new_password_fields():
    """New password twice; the strength rule is accounts.check_password_strength (as for new users)."""
    new = PasswordField("New password", validators=[
        InputRequired("Choose a new password."),
        Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
               message=f"Use at least {MIN_PASSWORD_LENGTH} characters.")])
    confirm = PasswordField("New password again", validators=[
        InputRequired("Type the new password again."), EqualTo("new_password", "The two new passwords differ.")])
    return new, confirm


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[
        InputRequired("Give your current password."), Length(max=MAX_PASSWORD_LENGTH)])
    new_password, confirm_password = _new_password_fields()


class SetPasswordForm(FlaskForm):
    """The page a reset link opens."""
    new_password, confirm_password = _new_password_fields()


class KeyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    check = BooleanField("check")
    ingest = BooleanField("ingest")
    read = BooleanField("read")
    review = BooleanField("review")
    admin = BooleanField("admin")

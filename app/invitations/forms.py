"""Forms on the guest list page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from app.events.forms import CheckboxListField
from app.form_choices import as_choices


class InviteForm(FlaskForm):
    """Invite address-book contacts: picked one by one, by tag, or pasted addresses."""

    contact_ids = CheckboxListField(
        _l("Contacts found"), choices=[], coerce=int, validate_choice=False
    )
    tags = SelectMultipleField(_l("Everyone with these tags"), choices=[], validate_choice=False)
    pasted = TextAreaField(
        _l("Paste addresses"),
        description=_l("One per line, e.g. “Dr. Anna Müller <anna.mueller@example.org>”."),
    )
    submit = SubmitField(_l("Invite"))
    skip_invalid = SubmitField(_l("Invite without the faulty lines"))


class RecordAnswerForm(FlaskForm):
    """Staff record an answer received by phone or letter."""

    response = SelectField(
        _l("Answer"),
        choices=as_choices(
            [
                ("accepted", _l("attending")),
                ("declined", _l("not attending")),
                ("tentative", _l("maybe")),
            ]
        ),
        validators=[InputRequired()],
    )
    plus_ones = IntegerField(
        _l("Companions"), default=0, validators=[Optional(), NumberRange(0, 20)]
    )
    submit = SubmitField(_l("Record answer"))

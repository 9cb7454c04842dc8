"""Forms of the data subject pages: confirming an erasure, lifting a suppression."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SubmitField
from wtforms.validators import DataRequired, Length

from app.input_guard import OneLine


class EraseForm(FlaskForm):
    """The confirmation of an erasure: a ticked box, as nothing can bring the data back."""

    confirm = BooleanField(
        _l("I confirm that the person asked for erasure and that it cannot be undone."),
        validators=[DataRequired(_l("Please confirm the erasure by ticking the box."))],
    )
    submit = SubmitField(_l("Erase the person's data"))


class LiftForm(FlaskForm):
    """Lifting a suppression: the address is typed, hashed and matched (the list names none)."""

    email = EmailField(
        _l("Email address"),
        description=_l("Type the address exactly; the list keeps only a keyed hash of it."),
        validators=[DataRequired(_l("Please enter an email address.")), Length(max=254), OneLine()],
    )
    submit = SubmitField(_l("Lift the suppression"))

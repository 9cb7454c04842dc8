"""The contact form, the CSV upload and the merge confirmation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from app.accounts.forms import LANGUAGE_CHOICES
from app.contacts.cap import MAX_CAP
from app.contacts.merges import CHOOSABLE
from app.contacts.models import NAME_AND_ADDRESS_FIELDS, Contact
from app.contacts.validation import ContactInput
from app.form_choices import as_choices
from app.input_guard import CleanText, OneLine

SALUTATIONS = ("Frau", "Herr")
TEXT_FIELDS = (*NAME_AND_ADDRESS_FIELDS, "notes")


class ContactForm(FlaskForm):
    """Create or edit a contact with a structured German name."""

    salutation = SelectField(_l("Salutation"), choices=[], validate_choice=False)
    title = StringField(
        _l("Academic title"),
        validators=[Length(max=60), OneLine()],
        description=_l("For example Dr., Prof."),
    )
    office_title = StringField(
        _l("Official title"),
        validators=[Length(max=120), OneLine()],
        description=_l("For example Lord Mayor, Head of Department"),
    )
    first_name = StringField(_l("First name"), validators=[Length(max=120), OneLine()])
    name_particle = StringField(
        _l("Name particle"),
        validators=[Length(max=40), OneLine()],
        description=_l("von, zu, van …"),
    )
    last_name = StringField(
        _l("Surname"), validators=[Length(max=120), OneLine()], render_kw={"required": True}
    )
    email = EmailField(
        _l("Email"), validators=[Length(max=254), OneLine()], render_kw={"required": True}
    )
    language = SelectField(_l("Language for invitations"), choices=LANGUAGE_CHOICES)
    organisation = StringField(_l("Organisation"), validators=[Length(max=200), OneLine()])
    function = StringField(_l("Function"), validators=[Length(max=200), OneLine()])
    phone = StringField(_l("Phone"), validators=[Length(max=60), OneLine()])
    tags = StringField(
        _l("Tags"),
        validators=[OneLine()],
        description=_l("Separate several tags with commas, e.g. Presse, Rat"),
    )
    vip = BooleanField(_l("VIP (protocol)"))
    do_not_invite = BooleanField(
        _l("Do not invite"), description=_l("The person asked not to receive invitations.")
    )
    # Comms only (app/contacts/cap.py); staff see it as text.
    invitation_cap = IntegerField(
        _l("Invitation cap"),
        validators=[Optional(), NumberRange(min=0, max=MAX_CAP)],
        description=_l(
            "At most this many invitations from other departments within the fatigue window; "
            "staff cannot invite beyond it. Empty: no cap."
        ),
    )
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000), CleanText()])
    save = SubmitField(_l("Save"))
    anyway = SubmitField(_l("Save anyway"))

    def load_choices(self, current: str = "") -> None:
        """Offer the usual salutations plus one a contact already has."""
        extra = [current] if current and current not in SALUTATIONS else []
        self.salutation.choices = as_choices([("", "—")] + [(s, s) for s in (*SALUTATIONS, *extra)])

    def fill_from(self, contact: Contact) -> None:
        """Set the fields from an existing contact (GET of the edit page)."""
        self.process(obj=contact)
        self.tags.data = ", ".join(t.name for t in contact.tags)

    def to_input(self) -> ContactInput:
        """Return the domain input for the submitted values."""
        values = {name: getattr(self, name).data or "" for name in TEXT_FIELDS}
        return ContactInput(
            **values,
            language=self.language.data or "de",
            tags=[t for t in (self.tags.data or "").split(",") if t.strip()],
            vip=bool(self.vip.data),
            do_not_invite=bool(self.do_not_invite.data),
        )


class ImportForm(FlaskForm):
    """Upload a CSV file for preview."""

    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Please choose a file."))],
        description=_l(
            "Columns: Anrede; Titel; Vorname; Nachname; E-Mail; Organisation; Funktion; "
            "Sprache; Tags. Separated by semicolons or commas, UTF-8 or Windows-1252."
        ),
    )
    submit = SubmitField(_l("Show preview"))


def _pick(label) -> RadioField:
    """Return the choice between the kept and the merged contact's value of one field."""
    return RadioField(label, choices=as_choices([("survivor", ""), ("merged", "")]))


class MergeForm(FlaskForm):
    """Confirm a merge: which value of each differing field is kept, and a reason for the log."""

    salutation = _pick(_l("Salutation"))
    title = _pick(_l("Academic title"))
    office_title = _pick(_l("Official title"))
    first_name = _pick(_l("First name"))
    name_particle = _pick(_l("Name particle"))
    last_name = _pick(_l("Surname"))
    email = _pick(_l("Email"))
    organisation = _pick(_l("Organisation"))
    function = _pick(_l("Function"))
    phone = _pick(_l("Phone"))
    reason = StringField(_l("Reason"), validators=[Length(max=200), OneLine()])
    submit = SubmitField(_l("Merge contacts"))

    def offer(self, fields: list[str], defaults: dict[str, str]) -> None:
        """Keep a choice only for the fields that differ, preselected unless chosen."""
        for name in CHOOSABLE:
            if name not in fields:
                del self[name]
            elif not self.is_submitted() or not self[name].raw_data:
                self[name].data = defaults[name]

    def choices_made(self) -> dict[str, str]:
        """Return the submitted choice per offered field."""
        return {name: self[name].data for name in CHOOSABLE if name in self}

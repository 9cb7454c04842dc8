"""The contact form, the CSV upload and the merge confirmation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from app.accounts.forms import LANGUAGE_CHOICES
from app.contacts.models import Contact
from app.contacts.validation import ContactInput
from app.form_choices import as_choices
from app.input_guard import CleanText, OneLine

SALUTATIONS = ("Frau", "Herr")
TEXT_FIELDS = (
    "salutation",
    "title",
    "office_title",
    "first_name",
    "name_particle",
    "last_name",
    "email",
    "organisation",
    "function",
    "phone",
    "notes",
)


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


class MergeForm(FlaskForm):
    """Confirm a merge, with an optional reason for the log."""

    reason = StringField(_l("Reason"), validators=[Length(max=200), OneLine()])
    submit = SubmitField(_l("Merge contacts"))

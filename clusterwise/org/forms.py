from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clusterwise.core.forms import StyledFormMixin
from clusterwise.core.phones import phone_digits

from .models import OrgUnit, Person, Role, User
from .selectors import orgunits_for

LANGUAGE_HELP = _("Comma-separated codes, for example: mr, hi, en")


class OrgUnitCodeField(forms.CharField):
    """An org unit picked by its code, limited to the user's scope."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", _("The code of a school, cluster, block… in your area"))
        super().__init__(*args, **kwargs)
        self.user: User | None = None

    def clean(self, value: Any) -> OrgUnit:  # type: ignore[override]
        code = super().clean(value).strip()
        if not code and not self.required:
            return None  # type: ignore[return-value]
        unit = orgunits_for(self.user).filter(code__iexact=code).first() if self.user else None
        if unit is None:
            raise forms.ValidationError(
                _("No org unit with code '%(code)s' in your area."), params={"code": code}
            )
        return unit


class LanguagesField(forms.CharField):
    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def clean(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().clean(value) or ""
        return [part.strip().lower() for part in text.replace(";", ",").split(",") if part.strip()]


class PersonForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    languages = LanguagesField(label=_("Languages"), required=False, help_text=LANGUAGE_HELP)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_phone(self) -> str | None:
        phone = phone_digits(self.cleaned_data["phone"])
        if phone and not 6 <= len(phone.lstrip("+")) <= 15:
            raise forms.ValidationError(_("Enter 6 to 15 digits, optionally starting with +."))
        qs = Person.objects.filter(phone=phone) if phone else Person.objects.none()
        if self.initial.get("id"):
            qs = qs.exclude(pk=self.initial["id"])
        if qs.exists():
            raise forms.ValidationError(_("Another person already has this phone number."))
        return phone or None


class AssignmentFields(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    org_unit = OrgUnitCodeField(label=_("Org unit code"))
    start_date = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].user = user  # type: ignore[attr-defined]


class PersonCreateForm(PersonForm, AssignmentFields):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        required=False,
        help_text=_("Leave empty for someone who will not log in."),
    )
    password = forms.CharField(
        label=_("Password"), required=False, widget=forms.PasswordInput(render_value=True)
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("username") and not data.get("password"):
            self.add_error("password", _("Give a first password for the new login."))
        return data


class AssignmentForm(StyledFormMixin, AssignmentFields):
    pass


class TransferForm(StyledFormMixin, forms.Form):
    org_unit = OrgUnitCodeField(label=_("New org unit code"))
    on = forms.DateField(label=_("Transfer date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].user = user  # type: ignore[attr-defined]


class EndAssignmentForm(StyledFormMixin, forms.Form):
    end_date = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))


class SetPasswordForm(StyledFormMixin, forms.Form):
    password = forms.CharField(
        label=_("New password"), min_length=8, widget=forms.PasswordInput(render_value=True)
    )


class ImportForm(StyledFormMixin, forms.Form):
    KINDS = [("import_org", _("Org units and schools")), ("import_people", _("People and roles"))]
    kind = forms.ChoiceField(label=_("What the file holds"), choices=KINDS)
    file = forms.FileField(
        label=_("File"),
        help_text=_("A .csv (UTF-8) or .xlsx file; the first row names the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


class SchoolFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Name or code"), required=False, max_length=100)
    within = forms.CharField(label=_("Within (org unit code)"), required=False, max_length=40)

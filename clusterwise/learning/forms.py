from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clusterwise.core.forms import StyledFormMixin

from .models import ResultImport

MAX_UPLOAD = 2 * 1024**3  # 2 GB: a state's round comes in district files


class RoundDefinitionForm(StyledFormMixin, forms.Form):
    definition = forms.CharField(
        label=_("Round definition (JSON)"),
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "font-monospace"}),
        help_text=_("Start from the example below, or upload a .json file."),
        required=False,
    )
    file = forms.FileField(label=_("…or a .json file"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = data.get("definition") or ""
        upload = data.get("file")
        if upload is not None:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        if not text.strip():
            raise forms.ValidationError(_("Paste a definition or choose a file."))
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON: %(error)s") % {"error": exc}
            ) from None
        if not isinstance(parsed, dict):
            raise forms.ValidationError(_("The definition is one JSON object {…}."))
        data["parsed"] = parsed
        return data


class ResultsUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Results file (.csv or .xlsx)"),
        help_text=_(
            "Columns: school_code, grade, section, student_id, gender, subject, competency, "
            "score (or level). Any common delimiter; UTF-8."
        ),
    )
    mode = forms.ChoiceField(
        label=_("If some rows have problems"),
        choices=[
            (ResultImport.Mode.ALL_OR_NOTHING, _("Import nothing, list the problems")),
            (ResultImport.Mode.QUARANTINE, _("Import the good rows, set the bad ones aside")),
        ],
        initial=ResultImport.Mode.ALL_OR_NOTHING,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mode"].widget.attrs["class"] = "form-check-input"

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(
            (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods")
        ):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 2 GB; split it by district."))
        return upload

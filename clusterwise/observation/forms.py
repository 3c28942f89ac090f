"""Forms of the observation pages that work online (the observation form itself is the
offline page, views_observe.py)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import REVIEW_CRITERIA, FeedbackReview

RUBRIC_LEVELS = [
    (1, _("1 · Not yet")),
    (2, _("2 · Partly")),
    (3, _("3 · Mostly")),
    (4, _("4 · Fully")),
]
# What each criterion of the feedback-quality rubric asks.
CRITERIA_HELP = {
    "specific": _("Names what happened in this lesson, not general praise or advice."),
    "grounded": _("Rests on what the observer saw and noted: the evidence is cited."),
    "actionable": _("The teacher knows what to do next, how, and by when."),
    "focused": _("One or two next steps that matter most, not a list."),
    "respectful": _("Speaks to a colleague: starts from strengths, no blame."),
}


class PlanForm(forms.Form):
    school = forms.ModelChoiceField(label=_("School"), queryset=None)  # type: ignore[arg-type]
    teacher = forms.ModelChoiceField(
        label=_("Teacher"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
        help_text=_("Optional: leave empty to decide at the school."),
    )
    planned_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    purpose = forms.CharField(label=_("Purpose"), max_length=300, required=False)

    def __init__(self, *args: Any, schools: Any, teachers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        self.fields["teacher"].queryset = teachers  # type: ignore[attr-defined]
        self.fields["teacher"].label_from_instance = lambda person: person.name  # type: ignore[attr-defined]

    def clean_planned_on(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["planned_on"]
        if day > timezone.localdate() + datetime.timedelta(days=120):
            raise forms.ValidationError(_("Plan at most four months ahead."))
        return day


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the writer"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = {field.name: field for field in FeedbackReview._meta.get_fields()}
        for name in REVIEW_CRITERIA:
            self.fields[name] = forms.TypedChoiceField(
                label=fields[name].verbose_name,  # type: ignore[union-attr]
                choices=RUBRIC_LEVELS,
                coerce=int,
                widget=forms.RadioSelect,
                help_text=CRITERIA_HELP[name],
            )
        self.order_fields([*REVIEW_CRITERIA, "comment", "version"])


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class InstrumentImportForm(forms.Form):
    file = forms.FileField(
        label=_("XLSForm (.xlsx)"),
        help_text=_("A form exported from here, or authored for ODK/Kobo with the same columns."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an .xlsx file."))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class QualityForm(forms.Form):
    cohort = forms.ModelChoiceField(label=_("Cohort"), queryset=None)  # type: ignore[arg-type]
    split_on = forms.DateField(
        label=_("Before / after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "Feedback written before this day counts as before. Empty: the cohort's first "
            "workshop on observation and feedback, or the middle of the cohort."
        ),
    )

    def __init__(self, *args: Any, cohorts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts  # type: ignore[attr-defined]

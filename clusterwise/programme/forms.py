from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clusterwise.core.forms import StyledFormMixin
from clusterwise.org.forms import OrgUnitCodeField
from clusterwise.skills.models import Framework, Skill, Theme

from .models import Cohort, CohortMember

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CohortForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"), choices=Cohort.Kind.choices)
    framework = forms.ModelChoiceField(
        label=_("Skill framework"),
        queryset=Framework.objects.filter(status=Framework.Status.PUBLISHED),
    )
    org_unit = OrgUnitCodeField(
        label=_("Run by"), help_text=_("The code of the state or district that runs the cohort")
    )
    starts_on = forms.DateField(label=_("Starts"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends"), widget=DATE)
    visits_planned = forms.IntegerField(
        label=_("Coaching visits planned per CRC"), min_value=0, max_value=50, initial=3
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].user = user  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The cohort ends before it starts."))
        return data


class EnrolUnitsForm(StyledFormMixin, forms.Form):
    units = forms.CharField(
        label=_("Blocks (or clusters)"),
        help_text=_("Codes separated by commas: every CRC posted under them is enrolled"),
        required=False,
    )
    lowest = forms.BooleanField(
        label=_("The lowest-performing block of each district"), required=False
    )
    coach = forms.ModelChoiceField(
        label=_("Their coach"), queryset=CohortMember.objects.none(), required=False
    )

    def __init__(self, *args: Any, coaches: Any, ranking_available: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = coaches  # type: ignore[attr-defined]
        self.fields["coach"].label_from_instance = lambda m: m.person.name  # type: ignore[attr-defined]
        if not ranking_available:
            self.fields["lowest"].disabled = True
            self.fields["lowest"].help_text = _(
                "Needs the results of a language assessment, which are not loaded yet."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("units", "").strip() and not data.get("lowest"):
            self.add_error("units", _("Give block codes, or choose the lowest-performing blocks."))
        return data


class EnrolListForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("List of people (CSV or Excel)"),
        help_text=_(
            "Columns: person (phone or ID), role (crc, coach, mf, expert), "
            "supported_by (phone or ID of their coach or facilitator)"
        ),
    )


class SupporterForm(StyledFormMixin, forms.Form):
    supported_by = forms.ModelChoiceField(
        label=_("Supported by"), queryset=CohortMember.objects.none(), required=False
    )

    def __init__(self, *args: Any, choices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supported_by"].queryset = choices  # type: ignore[attr-defined]
        self.fields["supported_by"].label_from_instance = lambda m: m.person.name  # type: ignore[attr-defined]


class WorkshopForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=Theme.objects.none(), required=False)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)
    online_link = forms.URLField(label=_("Online link"), required=False, assume_scheme="https")
    org_unit = OrgUnitCodeField(
        label=_("For the CRCs of"),
        required=False,
        help_text=_("A district or block code; empty: every CRC of the cohort"),
    )
    facilitators = forms.ModelMultipleChoiceField(
        label=_("Facilitators"),
        queryset=CohortMember.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, cohort: Cohort, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = Theme.objects.filter(framework=cohort.framework_id)  # type: ignore[attr-defined]
        self.fields["theme"].label_from_instance = str  # type: ignore[attr-defined]
        self.fields["facilitators"].queryset = (  # type: ignore[attr-defined]
            cohort.members.exclude(role=CohortMember.Role.CRC)
            .filter(left_on__isnull=True)
            .select_related("person")
            .order_by("role", "person__name")
        )
        self.fields["facilitators"].label_from_instance = lambda m: (  # type: ignore[attr-defined]
            f"{m.person.name} ({m.get_role_display()})"
        )
        self.fields["org_unit"].user = user  # type: ignore[attr-defined]
        self.fields["facilitators"].widget.attrs["class"] = "list-unstyled"

    def clean_org_unit(self) -> Any:
        return self.cleaned_data.get("org_unit") or None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("venue") or "").strip() and not data.get("online_link"):
            self.add_error("venue", _("Give a venue or an online link (or both)."))
        return data


class FieldAssignmentForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=Theme.objects.none(), required=False)
    instructions = forms.CharField(
        label=_("Instructions"), widget=forms.Textarea(attrs={"rows": 5})
    )
    due_on = forms.DateField(label=_("Due"), widget=DATE)
    rubric = forms.CharField(
        label=_("Rubric"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One criterion per line, scored 0–3; write “criterion | 5” for another top score"
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, cohort: Cohort, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = Theme.objects.filter(framework=cohort.framework_id)  # type: ignore[attr-defined]
        self.fields["theme"].label_from_instance = str  # type: ignore[attr-defined]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class SubmissionForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("What I did"), widget=forms.Textarea(attrs={"rows": 6}))
    files = MultipleFileField(
        label=_("Photos or PDFs"),
        required=False,
        help_text=_("For example a photo of the written feedback you gave; up to 5 files of 10 MB"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReviewForm(StyledFormMixin, forms.Form):
    comment = forms.CharField(
        label=_("Comment for the CRC"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, rubric: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rubric = rubric
        for criterion in rubric:
            self.fields[f"score_{criterion['key']}"] = forms.TypedChoiceField(
                label=criterion["text"],
                choices=[(n, str(n)) for n in range(criterion["max"] + 1)],
                coerce=int,
                widget=forms.RadioSelect,
            )
        # Scores first, the comment last, as a reviewer works through them.
        self.order_fields([f"score_{c['key']}" for c in rubric] + ["comment", "version"])

    def scores(self) -> dict[str, int]:
        return {c["key"]: self.cleaned_data[f"score_{c['key']}"] for c in self.rubric}


class VisitForm(StyledFormMixin, forms.Form):
    visited_on = forms.DateField(label=_("Date"), widget=DATE, initial=datetime.date.today)
    place = forms.CharField(label=_("Place"), max_length=200)
    focus_skills = forms.ModelMultipleChoiceField(
        label=_("Focus skills"),
        queryset=Skill.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    actions = forms.CharField(
        label=_("Agreed actions"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One per line: what | due date (YYYY-MM-DD)"),
    )
    done = forms.MultipleChoiceField(
        label=_("Open actions now done"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, cohort: Cohort, open_actions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["focus_skills"].queryset = Skill.objects.filter(  # type: ignore[attr-defined]
            framework=cohort.framework_id
        ).order_by("theme__order", "order")
        self.fields["focus_skills"].label_from_instance = str  # type: ignore[attr-defined]
        self.fields["done"].choices = [  # type: ignore[attr-defined]
            (str(a.pk), f"{a.text} ({a.due_on:%d %b %Y})") for a in open_actions
        ]

    def clean_actions(self) -> list[tuple[str, datetime.date]]:
        actions = []
        for number, line in enumerate(self.cleaned_data["actions"].splitlines(), start=1):
            if not line.strip():
                continue
            text, _sep, due = line.rpartition("|")
            try:
                due_on = datetime.date.fromisoformat(due.strip())
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)s: end with | and a due date like 2025-01-31."),
                    params={"n": number},
                ) from None
            if not text.strip():
                raise forms.ValidationError(
                    _("Line %(n)s: say what is to be done."), params={"n": number}
                )
            actions.append((text.strip(), due_on))
        return actions

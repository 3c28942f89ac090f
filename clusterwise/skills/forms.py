"""Forms for framework editing, skill assessments, the skill matrix and the growth report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusterwise.core.forms import StyledFormMixin
from clusterwise.org.models import LEVEL_LABELS

from .models import LEVEL_NAMES, LEVELS, Assessment, Round, Skill

# The languages framework texts are written in on the edit form; English is required.
TEXT_LANGUAGES = (("en", _("English")), ("hi", _("Hindi")), ("mr", _("Marathi")))
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _DynamicForm(forms.Form):
    """Adds per-instance fields before StyledFormMixin styles them (it comes first in the MRO)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_fields()

    def add_fields(self) -> None:
        pass


def _lines(text: str) -> list[str]:
    lines = [line.strip() for line in (text or "").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


class SkillForm(StyledFormMixin, _DynamicForm):
    """A skill's name, its four level descriptors and its indicators, in each language."""

    def __init__(self, *args: Any, with_code: bool = False, **kwargs: Any) -> None:
        self.with_code = with_code
        super().__init__(*args, **kwargs)

    def add_fields(self) -> None:
        if self.with_code:
            self.fields["code"] = forms.CharField(
                label=_("Code"),
                max_length=40,
                help_text=_("Lowercase letters, digits, dots and dashes, e.g. data.4"),
            )
        for code, language in TEXT_LANGUAGES:
            self.fields[f"name_{code}"] = forms.CharField(
                label=_("Name (%(language)s)") % {"language": language},
                max_length=300,
                required=code == "en",
            )
        for level in LEVELS:
            for code, language in TEXT_LANGUAGES:
                self.fields[f"d{level}_{code}"] = forms.CharField(
                    label=_("Level %(level)s (%(language)s)")
                    % {"level": level, "language": language},
                    widget=forms.Textarea(attrs={"rows": 2}),
                    max_length=2000,
                    required=code == "en",
                )
        for code, language in TEXT_LANGUAGES:
            self.fields[f"indicators_{code}"] = forms.CharField(
                label=_("Indicators (%(language)s)") % {"language": language},
                help_text=_("One per line, in the same order in every language."),
                widget=forms.Textarea(attrs={"rows": 4}),
                max_length=10000,
                required=False,
            )

    @staticmethod
    def initial_for(skill: Skill) -> dict[str, str]:
        initial: dict[str, str] = {}
        for code, _language in TEXT_LANGUAGES:
            initial[f"name_{code}"] = (skill.name or {}).get(code, "")
            for level in LEVELS:
                initial[f"d{level}_{code}"] = (skill.descriptors.get(str(level)) or {}).get(
                    code, ""
                )
            initial[f"indicators_{code}"] = "\n".join(
                indicator.get(code, "") for indicator in skill.indicators or []
            )
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        english = _lines(data.get("indicators_en", ""))
        if any(not line for line in english):
            self.add_error(
                "indicators_en", _("Leave no empty line between indicators: one per line.")
            )
        for code, _language in TEXT_LANGUAGES[1:]:
            if len(_lines(data.get(f"indicators_{code}", ""))) > len(english):
                self.add_error(
                    f"indicators_{code}",
                    _("More lines than in English: each line translates the English line."),
                )
        return data

    def texts(
        self, keep: Skill | None = None
    ) -> tuple[dict[str, str], dict[str, dict[str, str]], list[dict[str, str]]]:
        """name, descriptors and indicators as the services take them.

        Texts `keep` has in languages this form does not show (Kiswahili, say) stay."""
        d = self.cleaned_data
        shown = {code for code, _language in TEXT_LANGUAGES}

        def others(texts: Any) -> dict[str, str]:
            return {k: v for k, v in (texts or {}).items() if k not in shown}

        def multilingual(prefix: str, kept: Any = None) -> dict[str, str]:
            return {
                **others(kept),
                **{
                    code: d[f"{prefix}_{code}"].strip()
                    for code, _language in TEXT_LANGUAGES
                    if d.get(f"{prefix}_{code}", "").strip()
                },
            }

        lines = {code: _lines(d.get(f"indicators_{code}", "")) for code, _l in TEXT_LANGUAGES}
        kept_indicators = list(keep.indicators or []) if keep else []
        indicators = []
        for n in range(len(lines["en"])):
            indicators.append(
                {
                    **others(kept_indicators[n] if n < len(kept_indicators) else None),
                    **{
                        code: lines[code][n]
                        for code, _language in TEXT_LANGUAGES
                        if n < len(lines[code]) and lines[code][n]
                    },
                }
            )
        descriptors = keep.descriptors if keep else {}
        return (
            multilingual("name", keep.name if keep else None),
            {
                str(level): multilingual(f"d{level}", descriptors.get(str(level)))
                for level in LEVELS
            },
            indicators,
        )

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The fields grouped for the page: name, each level, indicators."""
        groups: list[tuple[str, list[forms.BoundField]]] = [
            (str(_("Name")), [self[f"name_{code}"] for code, _l in TEXT_LANGUAGES])
        ]
        for level in LEVELS:
            groups.append(
                (
                    f"{level} · {LEVEL_NAMES[level]}",
                    [self[f"d{level}_{code}"] for code, _l in TEXT_LANGUAGES],
                )
            )
        groups.append(
            (str(_("Indicators")), [self[f"indicators_{code}"] for code, _l in TEXT_LANGUAGES])
        )
        return groups


class AssessmentForm(StyledFormMixin, _DynamicForm):
    """A level 1–4 and evidence for every skill; field names match the service's errors."""

    assessed_on = forms.DateField(label=_("Date of the assessment"), widget=DATE)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, skills: Sequence[Skill], **kwargs: Any) -> None:
        self.skills = list(skills)
        kwargs.setdefault("initial", {}).setdefault("assessed_on", timezone.localdate())
        super().__init__(*args, **kwargs)

    def add_fields(self) -> None:
        for skill in self.skills:
            self.fields[f"skill_{skill.pk}"] = forms.ChoiceField(
                label=str(skill),
                choices=[(str(level), str(level)) for level in LEVELS],
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Rate this skill."),
                    "invalid_choice": _("Choose a level from 1 to 4."),
                },
            )
            self.fields[f"evidence_{skill.pk}"] = forms.CharField(
                label=_("Evidence"),
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=4000,
                required=False,
            )

    @staticmethod
    def initial_for(assessment: Assessment) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "assessed_on": assessment.assessed_on,
            "note": assessment.note,
            "version": assessment.version,
        }
        for rating in assessment.ratings.all():
            initial[f"skill_{rating.skill_id}"] = str(rating.level)
            initial[f"evidence_{rating.skill_id}"] = rating.evidence
        return initial

    def levels(self) -> dict[int, int]:
        return {s.pk: int(self.cleaned_data[f"skill_{s.pk}"]) for s in self.skills}

    def evidence(self) -> dict[int, str]:
        return {s.pk: self.cleaned_data.get(f"evidence_{s.pk}", "") for s in self.skills}


def _unit_choices(units: Iterable[Any], blank: str) -> list[tuple[str, str]]:
    return [("", blank), *((str(u.pk), u.name) for u in units)]


class MatrixFilterForm(StyledFormMixin, forms.Form):
    district = forms.ChoiceField(label=_("District"), required=False)
    block = forms.ChoiceField(label=_("Block"), required=False)
    theme = forms.ChoiceField(label=_("Theme"), required=False)
    round = forms.ChoiceField(label=_("Round"), choices=Round.choices, required=False)
    kind = forms.ChoiceField(label=_("Rated by"), choices=Assessment.Kind.choices, required=False)

    def __init__(
        self,
        *args: Any,
        districts: Sequence[Any],
        blocks: Sequence[Any],
        themes: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.units = {str(u.pk): u for u in [*districts, *blocks]}
        self.fields["district"].choices = _unit_choices(districts, str(_("All districts")))  # type: ignore[attr-defined]
        self.fields["block"].choices = _unit_choices(blocks, str(_("All blocks")))  # type: ignore[attr-defined]
        self.themes = {str(t.pk): t for t in themes}
        self.fields["theme"].choices = [  # type: ignore[attr-defined]
            ("", _("All themes")),
            *((key, str(theme)) for key, theme in self.themes.items()),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        district = self.units.get(data.get("district") or "")
        block = self.units.get(data.get("block") or "")
        if district and block and not block.path.startswith(district.path):
            self.add_error("block", _("This block is not in the chosen district."))
        data["within"] = block or district
        data["theme_obj"] = self.themes.get(data.get("theme") or "")
        return data


class GrowthForm(StyledFormMixin, forms.Form):
    before = forms.ChoiceField(label=_("From round"), choices=Round.choices)
    after = forms.ChoiceField(label=_("To round"), choices=Round.choices)
    within = forms.ChoiceField(label=_("Area"), required=False)

    def __init__(self, *args: Any, areas: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = {str(u.pk): u for u in areas}
        self.fields["within"].choices = [  # type: ignore[attr-defined]
            ("", _("The whole cohort")),
            *((str(u.pk), f"{u.name} ({LEVEL_LABELS.get(u.level, u.level)})") for u in areas),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("before") and data.get("before") == data.get("after"):
            self.add_error("after", _("Choose two different rounds to compare."))
        data["within_unit"] = self.units.get(data.get("within") or "")
        return data

"""Forms of network meetings and commitments (the peer-review and practice forms live beside
their views)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clusterwise.core.forms import StyledFormMixin
from clusterwise.org.forms import OrgUnitCodeField
from clusterwise.org.models import OrgUnit, Person

from .models import Action, ActionPlan, Meeting, Network, NetworkMember

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class PeopleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class MeetingForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    template = forms.ChoiceField(label=_("Agenda"), choices=Meeting.Template.choices)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=15, max_value=480, initial=90
    )
    mode = forms.ChoiceField(label=_("Where"), choices=Meeting.Mode.choices)
    venue = forms.ModelChoiceField(
        label=_("Venue school"), queryset=OrgUnit.objects.none(), required=False
    )
    venue_text = forms.CharField(label=_("Or another place"), max_length=200, required=False)
    link = forms.URLField(label=_("Video call link"), required=False, assume_scheme="https")
    whatsapp_group = forms.CharField(label=_("WhatsApp group"), max_length=100, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, schools: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = schools  # type: ignore[attr-defined]


class MinutesForm(StyledFormMixin, forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000
    )
    decisions = forms.CharField(
        label=_("Decisions"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5_000,
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CommitmentForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("We commit to"), max_length=300)
    owner = PersonChoiceField(label=_("Owner"), queryset=Person.objects.none())
    due_on = forms.DateField(label=_("By"), widget=DATE)
    success_measure = forms.CharField(label=_("How we will know it is done"), max_length=300)
    goal = forms.CharField(label=_("Goal it serves"), max_length=200, required=False)
    witnesses = PeopleChoiceField(
        label=_("Witnesses"),
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Those present witness it unless you choose here."),
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]
        self.fields["witnesses"].queryset = people  # type: ignore[attr-defined]
        self.fields["witnesses"].widget.attrs["class"] = "form-check-input"


class ReviewForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Action.Status.choices)
    note = forms.CharField(label=_("Progress"), max_length=500, required=False)
    evidence = forms.CharField(label=_("Evidence"), max_length=2000, required=False)


class ProgressForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Action.Status.choices)
    evidence = forms.CharField(
        label=_("Evidence of completion"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )
    achieved = forms.CharField(label=_("Achieved"), max_length=100, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PlanForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActionPlan.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    org_unit = OrgUnitCodeField(
        label=_("For"),
        required=False,
        help_text=_("The code of the school (or cluster) the plan is for"),
    )
    network = forms.ModelChoiceField(
        label=_("Network"), queryset=Network.objects.none(), required=False
    )
    starts_on = forms.DateField(label=_("From"), widget=DATE)
    ends_on = forms.DateField(label=_("To"), widget=DATE)
    goals = forms.CharField(
        label=_("Goals"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    supervisor = PersonChoiceField(
        label=_("Signed off by (contracts)"), queryset=Person.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, networks: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].user = user  # type: ignore[attr-defined]
        self.fields["network"].queryset = networks  # type: ignore[attr-defined]
        self.fields["supervisor"].queryset = people  # type: ignore[attr-defined]


class ActionForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("Action"), max_length=300)
    owner = PersonChoiceField(label=_("Owner"), queryset=Person.objects.none())
    due_on = forms.DateField(label=_("Due"), widget=DATE)
    success_measure = forms.CharField(label=_("How we will know it is done"), max_length=300)
    goal = forms.CharField(label=_("Goal it serves"), max_length=200, required=False)
    target = forms.CharField(label=_("Target (contracts)"), max_length=100, required=False)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]


class FormationForm(StyledFormMixin, forms.Form):
    org_unit = OrgUnitCodeField(
        label=_("Schools of"), help_text=_("The code of a district, block or cluster")
    )
    kind = forms.ChoiceField(
        label=_("Kind of network"), choices=Network.Kind.choices, initial=Network.Kind.COP
    )
    min_size = forms.IntegerField(label=_("Smallest group"), min_value=2, max_value=30, initial=4)
    max_size = forms.IntegerField(label=_("Largest group"), min_value=2, max_value=30, initial=8)
    limit_minutes = forms.IntegerField(
        label=_("Walking limit (minutes) to the meeting school"),
        min_value=5,
        max_value=300,
        initial=60,
    )
    speed_kmh = forms.DecimalField(
        label=_("Walking speed (km/h)"), min_value=1, max_value=10, initial=5, decimal_places=1
    )
    detour = forms.DecimalField(
        label=_("Detour factor"),
        help_text=_("How much longer paths are than the straight line (1.3: a third longer)"),
        min_value=1,
        max_value=3,
        initial="1.3",
        decimal_places=2,
    )
    partition_level = forms.ChoiceField(
        label=_("Keep groups within one"),
        choices=[("", _("— no boundary —")), ("block", _("Block")), ("cluster", _("Cluster"))],
        required=False,
        initial="block",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].user = user  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("min_size") and data.get("max_size") and data["min_size"] > data["max_size"]:
            self.add_error("max_size", _("The largest group cannot be smaller than the smallest."))
        return data


class PersonLookupField(forms.CharField):
    """A person in the user's area, named by their phone number or login."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault("help_text", _("Their phone number or login"))
        super().__init__(*args, **kwargs)
        self.user: Any = None

    def clean(self, value: Any) -> Person | None:  # type: ignore[override]
        from django.db.models import Q

        from clusterwise.core.phones import phone_digits
        from clusterwise.org.selectors import people_for

        text = (super().clean(value) or "").strip()
        if not text:
            return None
        digits = phone_digits(text)
        match = Q(user__username__iexact=text)
        if digits:
            match |= Q(phone=digits)
        person = people_for(self.user).filter(match).first() if self.user else None
        if person is None:
            raise forms.ValidationError(
                _("Nobody in your area has the phone or login '%(text)s'."), params={"text": text}
            )
        return person


class NetworkForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Network.Kind.choices)
    org_unit = OrgUnitCodeField(
        label=_("Owned by"), help_text=_("The code of the block, cluster (or school) it belongs to")
    )
    facilitator = PersonLookupField(label=_("Facilitator"), required=False)
    schools = forms.CharField(
        label=_("Member schools"),
        required=False,
        help_text=_("School codes, separated by commas; their headteachers join as members"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    part_of = forms.ModelChoiceField(
        label=_("Part of (a teacher CoP: its headteachers' network)"),
        queryset=Network.objects.none(),
        required=False,
    )
    description = forms.CharField(
        label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, user: Any, networks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].user = user  # type: ignore[attr-defined]
        self.fields["facilitator"].user = user  # type: ignore[attr-defined]
        self.fields["part_of"].queryset = networks  # type: ignore[attr-defined]


class MemberForm(StyledFormMixin, forms.Form):
    person = PersonLookupField(label=_("Person"))
    role = forms.ChoiceField(label=_("Role"), choices=NetworkMember.Role.choices)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].user = user  # type: ignore[attr-defined]

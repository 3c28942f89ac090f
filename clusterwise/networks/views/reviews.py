"""Pages of the peer-review cycle: a network's cycles, one year's board (stage, per-school
status, what blocks moving on), the self- and peer-review forms with their evidence, the
improvement workshop (findings → plan), school-to-school support, a school's history, and
the review frameworks.

Everyone who sees the network sees its cycles; those who run it start and advance them and
set up support; a school's own people write its self-review; members from the other schools
(and the facilitator) write its peer review. A network outside the user's view is 404.
Pages with several forms post back to themselves with a `form` field naming the one sent,
and show it again with what was typed when a service refuses.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clusterwise.core.forms import StyledFormMixin
from clusterwise.core.i18n import localized
from clusterwise.core.uploads import serve
from clusterwise.org.models import OrgUnit, Person
from clusterwise.org.views import _apply_errors, require_perm

from ..models import (
    ActionPlan,
    Meeting,
    Network,
    ReviewArea,
    ReviewCycle,
    ReviewFramework,
    SchoolReview,
)
from ..selectors import networks as network_selectors
from ..selectors import reviews as selectors
from ..services import reviews as services

VIEW = "networks.view_networks"
MANAGE_FRAMEWORKS = "networks.manage_review_frameworks"
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = {"rows": 3}


# --- forms ------------------------------------------------------------------------------


class CycleStartForm(StyledFormMixin, forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    framework = forms.ModelChoiceField(
        label=gettext_lazy("Review framework"), queryset=ReviewFramework.objects.none()
    )

    def __init__(self, *args: Any, frameworks: list[ReviewFramework], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["framework"]
        field.queryset = ReviewFramework.objects.filter(  # type: ignore[attr-defined]
            pk__in=[f.pk for f in frameworks]
        )
        field.label_from_instance = str  # type: ignore[attr-defined]


class ReviewForm(StyledFormMixin, forms.Form):
    """One card per area: the 4-point scale as radio buttons and the evidence seen; then the
    review's findings. Ratings may be left empty in a draft."""

    visited_on = forms.DateField(label=gettext_lazy("Date"), widget=DATE, required=False)
    virtual = forms.BooleanField(
        label=gettext_lazy("Held at a distance (evidence uploaded, interviews by phone or video)"),
        required=False,
    )
    reviewers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Review team"),
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    strengths = forms.CharField(
        label=gettext_lazy("Strengths"), widget=forms.Textarea(attrs=TEXT), required=False
    )
    to_develop = forms.CharField(
        label=gettext_lazy("Areas to develop"), widget=forms.Textarea(attrs=TEXT), required=False
    )
    evidence = forms.CharField(
        label=gettext_lazy("Evidence seen (documents, lessons, displays)"),
        widget=forms.Textarea(attrs=TEXT),
        required=False,
    )
    interviews = forms.CharField(
        label=gettext_lazy("Interviews held (who, how: in person, phone, video)"),
        widget=forms.Textarea(attrs=TEXT),
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        areas: list[Any],
        scale: list[dict[str, str]],
        kind: str,
        reviewers: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.areas = areas
        self.scale = [(str(n), localized(label)) for n, label in enumerate(scale, start=1)]
        if kind == SchoolReview.Kind.PEER:
            self.fields["reviewers"].queryset = reviewers  # type: ignore[attr-defined]
            self.fields["reviewers"].label_from_instance = lambda p: p.name  # type: ignore[attr-defined]
        else:
            for name in ("reviewers", "visited_on", "virtual", "interviews"):
                del self.fields[name]
        for area in areas:
            self.fields[f"area_{area.code}"] = forms.ChoiceField(
                label=localized(area.name),
                choices=self.scale,
                widget=forms.RadioSelect,
                required=False,
                error_messages={"invalid_choice": _("Choose a rating from 1 to 4.")},
            )
            self.fields[f"evidence_{area.code}"] = forms.CharField(
                label=_("Evidence for this rating"),
                # Added after StyledFormMixin styled the others, so styled here.
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                required=False,
                max_length=4000,
            )

    @staticmethod
    def initial_for(review: SchoolReview | None) -> dict[str, Any]:
        if review is None:
            return {"visited_on": timezone.localdate()}
        initial: dict[str, Any] = {
            "visited_on": review.visited_on,
            "virtual": review.virtual,
            "reviewers": list(review.reviewers.all()),
            "strengths": review.strengths,
            "to_develop": review.to_develop,
            "evidence": review.evidence,
            "interviews": review.interviews,
            "version": review.version,
        }
        for rating in review.ratings.all():
            initial[f"area_{rating.area.code}"] = str(rating.rating)
            initial[f"evidence_{rating.area.code}"] = rating.evidence
        return initial

    def cards(self) -> list[dict[str, Any]]:
        """Per area: the area, its radio field, its evidence field."""
        return [
            {
                "area": area,
                "field": self[f"area_{area.code}"],
                "evidence": self[f"evidence_{area.code}"],
            }
            for area in self.areas
        ]

    def ratings(self) -> dict[str, tuple[int | None, str]]:
        data = self.cleaned_data
        return {
            area.code: (
                int(data[f"area_{area.code}"]) if data.get(f"area_{area.code}") else None,
                data.get(f"evidence_{area.code}", ""),
            )
            for area in self.areas
        }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={"accept": ".pdf,.jpg,.jpeg,.png,.webp,.docx,.xlsx,image/*,application/pdf"}
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class EvidenceForm(StyledFormMixin, forms.Form):
    files = MultipleFileField(
        label=gettext_lazy("Evidence files"),
        help_text=gettext_lazy(
            "PDF, photos (JPEG, PNG, WebP), Word (.docx) or Excel (.xlsx); up to 10 MB each"
        ),
    )


class PlanForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Plan for"),
        choices=[
            (ActionPlan.Kind.NETWORK, gettext_lazy("The whole network")),
            (ActionPlan.Kind.SCHOOL, gettext_lazy("One school")),
        ],
        widget=forms.RadioSelect,
        initial=ActionPlan.Kind.NETWORK,
    )
    school = forms.ModelChoiceField(
        label=gettext_lazy("School (for a school plan)"),
        queryset=OrgUnit.objects.none(),
        required=False,
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200, required=False)
    ends_on = forms.DateField(label=gettext_lazy("Plan runs until"), widget=DATE, required=False)

    def __init__(self, *args: Any, schools: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        self.fields["school"].label_from_instance = lambda s: s.name  # type: ignore[attr-defined]


class ActionForm(StyledFormMixin, forms.Form):
    plan = forms.ModelChoiceField(label=gettext_lazy("Plan"), queryset=ActionPlan.objects.none())
    goal = forms.CharField(label=gettext_lazy("Goal"), max_length=200, required=False)
    text = forms.CharField(label=gettext_lazy("Action: who does what"), max_length=300)
    owner = forms.ModelChoiceField(label=gettext_lazy("Owner"), queryset=Person.objects.none())
    due_on = forms.DateField(label=gettext_lazy("Due"), widget=DATE)
    success_measure = forms.CharField(label=gettext_lazy("How we will know"), max_length=300)

    def __init__(self, *args: Any, plans: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans  # type: ignore[attr-defined]
        self.fields["plan"].label_from_instance = lambda p: p.title  # type: ignore[attr-defined]
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = lambda p: p.name  # type: ignore[attr-defined]


class WorkshopMeetingForm(StyledFormMixin, forms.Form):
    meeting = forms.ModelChoiceField(
        label=gettext_lazy("The workshop meeting"),
        queryset=Meeting.objects.none(),
        required=False,
        empty_label=gettext_lazy("(none)"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, meetings: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings  # type: ignore[attr-defined]
        self.fields["meeting"].label_from_instance = str  # type: ignore[attr-defined]


class SupportLinkForm(StyledFormMixin, forms.Form):
    helping = forms.ModelChoiceField(
        label=gettext_lazy("Helping school"), queryset=OrgUnit.objects.none()
    )
    helped = forms.ModelChoiceField(
        label=gettext_lazy("Helped school"), queryset=OrgUnit.objects.none()
    )
    area = forms.ModelChoiceField(
        label=gettext_lazy("Area"),
        queryset=ReviewArea.objects.none(),
        required=False,
        empty_label=gettext_lazy("(something else)"),
    )
    focus = forms.CharField(label=gettext_lazy("On what"), max_length=300)

    def __init__(self, *args: Any, schools: Any, areas: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("helping", "helped"):
            self.fields[name].queryset = schools  # type: ignore[attr-defined]
            self.fields[name].label_from_instance = lambda s: s.name  # type: ignore[attr-defined]
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["area"].label_from_instance = lambda a: localized(a.name)  # type: ignore[attr-defined]


class SessionForm(StyledFormMixin, forms.Form):
    link = forms.ChoiceField(label=gettext_lazy("Support"))
    held_on = forms.DateField(label=gettext_lazy("Date"), widget=DATE)
    mode = forms.ChoiceField(label=gettext_lazy("Where"), choices=Meeting.Mode.choices)
    notes = forms.CharField(
        label=gettext_lazy("What was done"), widget=forms.Textarea(attrs=TEXT), max_length=4000
    )

    def __init__(self, *args: Any, links: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("held_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.links = {str(link.pk): link for link in links}
        self.fields["link"].choices = [  # type: ignore[attr-defined]
            (str(link.pk), f"{link.helping.name} → {link.helped.name}: {link.focus}")
            for link in links
        ]


class FrameworkUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Framework file (JSON)"),
        help_text=gettext_lazy(
            "Download a version, change it, and load it back: it becomes a new version. "
            "Cycles keep the version they started with."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )


# --- helpers -----------------------------------------------------------------------------


def _cycle(request: HttpRequest, pk: Any, year: Any) -> ReviewCycle:
    return selectors.cycle_get(request.user, pk, year)  # type: ignore[arg-type]


def _require_runs(request: HttpRequest, network: Network) -> None:
    if not network_selectors.runs(request.user, network):  # type: ignore[arg-type]
        raise PermissionDenied


def _posted(request: HttpRequest, name: str) -> Any:
    """The POST data when this form was the one sent, else None (an unbound form)."""
    if request.method == "POST" and request.POST.get("form") == name:
        return request.POST
    return None


def _member_schools(network: Network) -> Any:
    return OrgUnit.objects.filter(
        pk__in=network_selectors.schools_of(network).values("school")
    ).order_by("name")


def _saved(form: Any, save: Any, request: HttpRequest, success: str) -> bool:
    """Call the service; on refusal put its messages on the form (which keeps the input)."""
    try:
        save()
    except ValidationError as exc:
        _apply_errors(form, exc)
        return False
    messages.success(request, success)
    return True


# --- a network's cycles ---------------------------------------------------------------------


@require_perm(VIEW)
def cycles(request: HttpRequest, pk: Any) -> HttpResponse:
    """A network's peer-review cycles, newest first; those who run it start the next."""
    user = request.user
    network = network_selectors.network_get(user, pk)  # type: ignore[arg-type]
    runs = network_selectors.runs(user, network)  # type: ignore[arg-type]
    form = None
    if runs:
        usable = selectors.frameworks_usable()
        form = CycleStartForm(
            request.POST or None,
            frameworks=usable,
            initial={
                "year": timezone.localdate().year,
                "framework": usable[0] if usable else None,
            },
        )
    elif request.method == "POST":
        raise PermissionDenied
    if form is not None and request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            cycle = services.cycle_start(
                network=network,
                year=d["year"],
                framework=d["framework"],
                by=user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The cycle has started: schools can write self-reviews."))
            return redirect("networks:review_cycle", pk=network.pk, year=cycle.year)
    return render(
        request,
        "networks/reviews/cycles.html",
        {
            "network": network,
            "cycles": selectors.cycles_of(network),
            "form": form,
            "runs": runs,
        },
    )


@require_perm(VIEW)
def cycle_detail(request: HttpRequest, pk: Any, year: int) -> HttpResponse:
    """The year's board: the stage, each school's reviews, self vs peer per area, and what
    keeps the cycle from moving on."""
    user = request.user
    cycle = _cycle(request, pk, year)
    network = cycle.network
    board = selectors.board(cycle)
    return render(
        request,
        "networks/reviews/cycle.html",
        {
            "network": network,
            "cycle": cycle,
            "board": board,
            "stages": selectors.STAGES,
            "stage_index": selectors.STAGES.index(ReviewCycle.Stage(cycle.stage)),
            "blockers": selectors.cycle_blockers(cycle),
            "next_stage": selectors.NEXT_STAGE.get(ReviewCycle.Stage(cycle.stage)),
            "runs": network_selectors.runs(user, network),  # type: ignore[arg-type]
            "writable": selectors.writable(user, network, [r.school for r in board.rows]),  # type: ignore[arg-type]
        },
    )


@require_POST
@require_perm(VIEW)
def cycle_advance(request: HttpRequest, pk: Any, year: int) -> HttpResponse:
    cycle = _cycle(request, pk, year)
    _require_runs(request, cycle.network)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = cycle.version
    try:
        services.cycle_advance(cycle=cycle, version=version, by=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The cycle moved to: %(stage)s.") % {"stage": cycle.get_stage_display()},
        )
    return redirect("networks:review_cycle", pk=cycle.network.pk, year=cycle.year)


# --- reviews -------------------------------------------------------------------------------


@require_perm(VIEW)
def review(request: HttpRequest, pk: Any, year: int, school: Any, kind: str) -> HttpResponse:
    """A school's self- or peer review: the form for those who write it while its stage
    lasts (with evidence files), read-only for everyone else who sees the network."""
    if kind not in SchoolReview.Kind.values:
        raise Http404
    user = request.user
    cycle = _cycle(request, pk, year)
    network = cycle.network
    unit = selectors.school_of(network, school, current=False)
    existing = selectors.review_of(cycle, unit, kind)
    in_stage = cycle.stage == selectors.STAGE_OF_KIND[SchoolReview.Kind(kind)]
    writes = selectors.writes_review(user, network, unit, kind)  # type: ignore[arg-type]
    editable = writes and in_stage
    if request.method == "POST" and not editable:
        raise PermissionDenied
    areas = selectors.areas_of(cycle)
    form = evidence_form = None
    if editable:
        form = ReviewForm(
            _posted(request, "review"),
            areas=areas,
            scale=cycle.framework.scale,
            kind=kind,
            reviewers=selectors.reviewer_choices(network, unit),
            initial=ReviewForm.initial_for(existing),
        )
        evidence_form = EvidenceForm(
            _posted(request, "evidence"), request.FILES if _posted(request, "evidence") else None
        )
    if form is not None and form.is_bound and form.is_valid():
        d = form.cleaned_data
        submit = request.POST.get("action") == "submit"
        try:
            # Saved and submitted together, or neither: a refused submission keeps the
            # version the form was read at.
            with transaction.atomic():
                saved = services.school_review_save(
                    cycle=cycle,
                    school=unit,
                    kind=kind,
                    ratings=form.ratings(),
                    strengths=d["strengths"],
                    to_develop=d["to_develop"],
                    evidence=d["evidence"],
                    interviews=d.get("interviews", ""),
                    visited_on=d.get("visited_on"),
                    virtual=d.get("virtual", False),
                    reviewers=list(d["reviewers"]) if "reviewers" in d else None,
                    version=d["version"],
                    by=user,  # type: ignore[arg-type]
                )
                if submit:
                    services.school_review_submit(review=saved, version=saved.version, by=user)  # type: ignore[arg-type]
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if submit:
                messages.success(request, _("Submitted. Thank you."))
                return redirect("networks:review_cycle", pk=network.pk, year=cycle.year)
            messages.success(request, _("Saved as a draft; submit it when every area is rated."))
            return redirect(request.path)
    if evidence_form is not None and evidence_form.is_bound:
        if existing is None:
            evidence_form.add_error(None, _("Save the review first, then attach its files."))
        elif evidence_form.is_valid():
            files = evidence_form.cleaned_data["files"]
            if _saved(
                evidence_form,
                lambda: services.evidence_attach(review=existing, files=files, by=user),  # type: ignore[arg-type]
                request,
                _("The files were attached."),
            ):
                return redirect(request.path)
    ratings = {r.area_id: r for r in existing.ratings.all()} if existing else {}
    scale = [localized(label) for label in cycle.framework.scale]
    return render(
        request,
        "networks/reviews/review.html",
        {
            "network": network,
            "cycle": cycle,
            "school": unit,
            "kind": kind,
            "kind_label": SchoolReview.Kind(kind).label,
            "review": existing,
            "form": form,
            "evidence_form": evidence_form,
            "writes": writes,
            "in_stage": in_stage,
            # Read-only: per area, its rating (or None) and the rating's label.
            "shown": [
                (area, r, scale[r.rating - 1] if r else "")
                for area in areas
                for r in [ratings.get(area.pk)]
            ],
        },
    )


@require_perm(VIEW)
def evidence_file(request: HttpRequest, pk: Any, file: Any) -> FileResponse:
    """A review's evidence file, only for those who see the network (never a public URL);
    a draft's only for those who write it."""
    attachment = selectors.attachment_get(request.user, pk, file)  # type: ignore[arg-type]
    review = attachment.review
    if review is not None and review.status == SchoolReview.Status.DRAFT:
        # A draft's files are its writers' until it is submitted, like the draft itself.
        network = review.cycle.network
        if not selectors.writes_review(request.user, network, review.school, review.kind):  # type: ignore[arg-type]
            raise Http404
    return serve(attachment.file, name=attachment.name, content_type=attachment.content_type)


# --- the improvement workshop -----------------------------------------------------------------


@require_perm(VIEW)
def workshop(request: HttpRequest, pk: Any, year: int) -> HttpResponse:
    """The findings (areas rated 1–2 and 3–4, the peers' words) and the plans made from
    them; those who run the network make the plans and add their actions."""
    user = request.user
    cycle = _cycle(request, pk, year)
    network = cycle.network
    runs = network_selectors.runs(user, network)  # type: ignore[arg-type]
    if request.method == "POST" and not runs:
        raise PermissionDenied
    plans = selectors.plans_of(cycle)
    plan_form = action_form = meeting_form = None
    if runs:
        plan_form = PlanForm(_posted(request, "plan"), schools=_member_schools(network))
        action_form = ActionForm(
            _posted(request, "action"),
            plans=ActionPlan.objects.filter(cycle=cycle),
            people=network_selectors.people_of(network),
            initial={"owner": None},
        )
        meeting_form = WorkshopMeetingForm(
            _posted(request, "meeting"),
            meetings=network.meetings.filter(template=Meeting.Template.PEER_REVIEW),
            initial={"meeting": cycle.workshop, "version": cycle.version},
        )
    done = False
    if plan_form is not None and plan_form.is_bound and plan_form.is_valid():
        d = plan_form.cleaned_data
        done = _saved(
            plan_form,
            lambda: services.workshop_plan_create(
                cycle=cycle,
                kind=d["kind"],
                school=d["school"],
                title=d["title"],
                ends_on=d["ends_on"],
                by=user,  # type: ignore[arg-type]
            ),
            request,
            _("The plan was made, its goals drafted from the findings."),
        )
    if action_form is not None and action_form.is_bound and action_form.is_valid():
        d = action_form.cleaned_data
        done = _saved(
            action_form,
            lambda: services.workshop_action_add(
                plan=d["plan"],
                goal=d["goal"],
                text=d["text"],
                owner=d["owner"],
                due_on=d["due_on"],
                success_measure=d["success_measure"],
                by=user,  # type: ignore[arg-type]
            ),
            request,
            _("The action was added."),
        )
    if meeting_form is not None and meeting_form.is_bound and meeting_form.is_valid():
        d = meeting_form.cleaned_data
        done = _saved(
            meeting_form,
            lambda: services.cycle_workshop_link(
                cycle=cycle,
                meeting=d["meeting"],
                version=d["version"],
                by=user,  # type: ignore[arg-type]
            ),
            request,
            _("The workshop meeting was set."),
        )
    if done:
        return redirect(request.path)
    board = selectors.board(cycle)
    return render(
        request,
        "networks/reviews/workshop.html",
        {
            "network": network,
            "cycle": cycle,
            "findings": selectors.findings(cycle),
            "rows": board.rows,
            "plans": plans,
            "plan_form": plan_form,
            "action_form": action_form,
            "meeting_form": meeting_form,
            "runs": runs,
            "in_stage": cycle.stage == ReviewCycle.Stage.WORKSHOP,
        },
    )


# --- school-to-school support ---------------------------------------------------------------


@require_perm(VIEW)
def support(request: HttpRequest, pk: Any, year: int) -> HttpResponse:
    """Which school helps which, on what, and the sessions they held; suggested pairs for
    those who set up support; a session form for them and the two schools' members."""
    user = request.user
    cycle = _cycle(request, pk, year)
    network = cycle.network
    runs = network_selectors.runs(user, network)  # type: ignore[arg-type]
    links = list(selectors.support_of(cycle))
    loggable = [
        link
        for link in links
        if selectors.logs_support(user, link, network)  # type: ignore[arg-type]
    ]
    if request.method == "POST" and not (runs or loggable):
        raise PermissionDenied
    link_form = None
    if runs:
        link_form = SupportLinkForm(
            _posted(request, "link"),
            schools=_member_schools(network),
            areas=cycle.framework.areas.order_by("order"),
        )
    elif _posted(request, "link") is not None:
        raise PermissionDenied
    session_form = SessionForm(_posted(request, "session"), links=loggable) if loggable else None
    done = False
    if link_form is not None and link_form.is_bound and link_form.is_valid():
        d = link_form.cleaned_data
        done = _saved(
            link_form,
            lambda: services.support_link_create(
                cycle=cycle,
                helping=d["helping"],
                helped=d["helped"],
                area=d["area"],
                focus=d["focus"],
                by=user,  # type: ignore[arg-type]
            ),
            request,
            _("The schools are linked."),
        )
    if session_form is not None and session_form.is_bound and session_form.is_valid():
        d = session_form.cleaned_data
        done = _saved(
            session_form,
            lambda: services.support_session_log(
                link=session_form.links[d["link"]],
                held_on=d["held_on"],
                mode=d["mode"],
                notes=d["notes"],
                by=user,  # type: ignore[arg-type]
            ),
            request,
            _("The session was logged."),
        )
    if done:
        return redirect(request.path)
    return render(
        request,
        "networks/reviews/support.html",
        {
            "network": network,
            "cycle": cycle,
            "links": links,
            "pairs": selectors.support_pairs_suggested(cycle) if runs else [],
            "link_form": link_form,
            "session_form": session_form,
            "runs": runs,
            "open": cycle.stage in (ReviewCycle.Stage.WORKSHOP, ReviewCycle.Stage.SUPPORT),
        },
    )


# --- a school across the years ----------------------------------------------------------------


@require_perm(VIEW)
def school_history(request: HttpRequest, pk: Any, school: Any) -> HttpResponse:
    """A school's ratings, self and peer, year after year (in every network the user sees)."""
    network = network_selectors.network_get(request.user, pk)  # type: ignore[arg-type]
    unit = selectors.school_of(network, school, current=False)
    return render(
        request,
        "networks/reviews/history.html",
        {
            "network": network,
            "history": selectors.school_history(request.user, unit),  # type: ignore[arg-type]
        },
    )


# --- frameworks ------------------------------------------------------------------------------


@require_perm(MANAGE_FRAMEWORKS)
def frameworks(request: HttpRequest) -> HttpResponse:
    """Every version of the review frameworks; a changed file loads as a new version."""
    form = FrameworkUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            form.add_error("file", _("This is not a JSON file: %(error)s") % {"error": exc})
        else:
            before = set(ReviewFramework.objects.values_list("pk", flat=True))
            try:
                framework = services.review_framework_load(data=data, by=request.user)  # type: ignore[arg-type]
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                if framework.pk in before:
                    messages.info(
                        request,
                        _("Nothing changed: this is version %(v)s as it is.")
                        % {"v": framework.version},
                    )
                else:
                    messages.success(
                        request, _("Loaded as version %(v)s.") % {"v": framework.version}
                    )
                return redirect("networks:review_frameworks")
    return render(
        request,
        "networks/reviews/frameworks.html",
        {"frameworks": selectors.frameworks_all(), "form": form},
    )


@require_perm(MANAGE_FRAMEWORKS)
def framework_json(request: HttpRequest, framework: Any) -> HttpResponse:
    """A version as its JSON file, to change and load back."""
    try:
        found = ReviewFramework.objects.get(pk=framework)
    except (ReviewFramework.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None
    body = json.dumps(selectors.framework_export(found), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.key}-v{found.version}.json"'
    return response


urlpatterns = [
    path("review-frameworks/", frameworks, name="review_frameworks"),
    path("review-frameworks/<uuid:framework>.json", framework_json, name="review_framework_json"),
    path("<uuid:pk>/reviews/", cycles, name="review_cycles"),
    path("<uuid:pk>/reviews/<int:year>/", cycle_detail, name="review_cycle"),
    path("<uuid:pk>/reviews/<int:year>/advance/", cycle_advance, name="review_cycle_advance"),
    path("<uuid:pk>/reviews/<int:year>/workshop/", workshop, name="review_workshop"),
    path("<uuid:pk>/reviews/<int:year>/support/", support, name="review_support"),
    path("<uuid:pk>/reviews/<int:year>/<uuid:school>/<str:kind>/", review, name="review_school"),
    path("<uuid:pk>/reviews/files/<uuid:file>/", evidence_file, name="review_file"),
    path("<uuid:pk>/reviews/schools/<uuid:school>/", school_history, name="review_history"),
]

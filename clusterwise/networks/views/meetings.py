"""A network's meetings: scheduling, the meeting page (agenda, attendance, minutes, new
commitments, reviews of open ones) and the commitments a person owns."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clusterwise.core.uploads import serve
from clusterwise.org.views import _apply_errors, require_perm

from ..forms import CommitmentForm, MeetingForm, MinutesForm, ProgressForm, ReviewForm
from ..models import Meeting
from ..selectors import datapack
from ..selectors import meetings as selectors
from ..selectors import networks as network_selectors
from ..services import meetings as services

VIEW = "networks.view_networks"


@require_perm(VIEW)
def meetings(request: HttpRequest, pk: Any) -> HttpResponse:
    """A network's meetings, and the form to plan one (for those who run it)."""
    user = request.user
    network = network_selectors.network_get(user, pk)  # type: ignore[arg-type]
    runs = network_selectors.runs(user, network)  # type: ignore[arg-type]
    schools = network_selectors.schools_of(network)
    venues = type(network.org_unit).objects.filter(pk__in=schools.values("school"))
    form = MeetingForm(
        request.POST or None,
        schools=venues,
        initial={"template": Meeting.Template.SCHOOL_IMPROVEMENT, "venue": network.meeting_school},
    )
    if request.method == "POST":
        if not runs:
            raise PermissionDenied
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                meeting = services.meeting_schedule(network=network, by=user, **data)  # type: ignore[arg-type]
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Meeting planned; its agenda is ready."))
                return redirect("networks:meeting", pk=meeting.pk)
    return render(
        request,
        "networks/meetings.html",
        {
            "network": network,
            "meetings": selectors.meetings_of(network),
            "form": form,
            "runs": runs,
        },
    )


@require_perm(VIEW)
def meeting_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    """The meeting: agenda with the commitments to review, attendance, minutes, and new
    commitments. Each form posts here with its own `form` name and keeps what was typed."""
    user = request.user
    meeting = selectors.meeting_get(user, pk)  # type: ignore[arg-type]
    network = meeting.network
    takes_part = network_selectors.takes_part(user, network)  # type: ignore[arg-type]
    runs = network_selectors.runs(user, network)  # type: ignore[arg-type]
    people = network_selectors.people_of(network)
    which = request.POST.get("form") if request.method == "POST" else None
    minutes_form = MinutesForm(
        request.POST if which == "minutes" else None,
        initial={
            "minutes": meeting.minutes,
            "decisions": meeting.decisions,
            "version": meeting.version,
        },
    )
    commitment_form = CommitmentForm(
        request.POST if which == "commitment" else None, people=people, prefix="c"
    )
    review_forms: dict[Any, ReviewForm] = {}
    errors: list[str] = []
    if which is not None:
        if not takes_part:
            raise PermissionDenied
        try:
            done = _post(request, meeting, which, minutes_form, commitment_form, review_forms)
        except ValidationError as exc:
            if which == "minutes":
                _apply_errors(minutes_form, exc)
            elif which == "commitment":
                _apply_errors(commitment_form, exc)
            else:
                errors = exc.messages
        else:
            if done:
                messages.success(request, done)
                return redirect(reverse("networks:meeting", args=[meeting.pk]))
    started = meeting.day <= timezone.localdate()
    attendance = selectors.attendance_of(meeting)
    agenda = selectors.agenda_of(meeting)
    for item in agenda:
        if item.action_id and item.action_id not in review_forms:
            review_forms[item.action_id] = ReviewForm(
                prefix=f"r{item.action_id}", initial={"status": item.action.status}
            )
    return render(
        request,
        "networks/meeting.html",
        {
            "meeting": meeting,
            "network": network,
            "agenda": [(item, review_forms.get(item.action_id)) for item in agenda],
            "sheet": [(p, attendance.get(p.pk)) for p in people],
            "commitments": selectors.commitments_made_at(meeting),
            "files": meeting.files.order_by("created_at"),
            "minutes_form": minutes_form,
            "commitment_form": commitment_form,
            "takes_part": takes_part,
            "runs": runs,
            "started": started and meeting.status != Meeting.Status.CANCELLED,
            "errors": errors,
        },
    )


def _post(
    request: HttpRequest,
    meeting: Meeting,
    which: str,
    minutes_form: MinutesForm,
    commitment_form: CommitmentForm,
    review_forms: dict[Any, ReviewForm],
) -> str | None:
    """Do what the posted form asks; the message to show, or None if the form has errors."""
    user: Any = request.user
    if which == "attendance":
        people = {str(p.pk): p for p in network_selectors.people_of(meeting.network)}
        present = [people[k] for k in request.POST.getlist("present") if k in people]
        remote = [people[k] for k in request.POST.getlist("remote") if k in people]
        services.attendance_record(meeting=meeting, present=present, remote=remote, by=user)
        return _("Attendance saved.")
    if which == "minutes":
        if not minutes_form.is_valid():
            return None
        data = minutes_form.cleaned_data
        services.minutes_record(
            meeting=meeting,
            minutes=data["minutes"],
            decisions=data["decisions"],
            version=data["version"],
            by=user,
        )
        return _("Minutes saved.")
    if which == "commitment":
        if not commitment_form.is_valid():
            return None
        data = commitment_form.cleaned_data
        services.commitment_record(
            meeting=meeting,
            text=data["text"],
            owner=data["owner"],
            due_on=data["due_on"],
            success_measure=data["success_measure"],
            goal=data["goal"],
            witnesses=list(data["witnesses"]) or None,
            by=user,
        )
        return _("Commitment recorded; it is on the next meeting's agenda.")
    if which == "review":
        action = selectors.action_get(user, request.POST.get("action"))
        if not meeting.agenda.filter(action=action).exists():
            raise ValidationError(_("This commitment is not on the agenda."))
        form = ReviewForm(request.POST, prefix=f"r{action.pk}")
        review_forms[action.pk] = form
        if not form.is_valid():
            return None
        services.commitment_review(meeting=meeting, action=action, by=user, **form.cleaned_data)
        return _("Progress recorded.")
    if which == "file":
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError(_("Choose a file."))
        services.meeting_attach(meeting=meeting, file=upload, by=user)
        return _("File kept with the meeting.")
    if which == "agenda":
        services.agenda_item_add(meeting=meeting, title=request.POST.get("title", ""), by=user)
        return _("Item added.")
    if which == "cancel":
        if not network_selectors.runs(user, meeting.network):
            raise PermissionDenied
        services.meeting_cancel(meeting=meeting, version=None, by=user)
        return _("Meeting cancelled.")
    raise ValidationError(_("Unknown form."))


@require_perm(VIEW)
def my_actions(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "networks/my_actions.html",
        {"actions": selectors.actions_mine(user), "today": timezone.localdate()},  # type: ignore[arg-type]
    )


@require_perm(VIEW)
def action_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    """A commitment: its witnesses and reviews; its owner (or who runs the network) moves it on."""
    user: Any = request.user
    action = selectors.action_get(user, pk)
    network = action.plan.network
    can_edit = action.owner.user_id == user.pk or (
        network is not None and network_selectors.runs(user, network)
    )
    form = ProgressForm(
        request.POST or None,
        initial={
            "status": action.status,
            "evidence": action.evidence,
            "achieved": action.achieved,
            "version": action.version,
        },
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.action_progress(action=action, by=user, **form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("networks:action", pk=action.pk)
    return render(
        request,
        "networks/action.html",
        {
            "action": action,
            "witnesses": action.witnesses.select_related("person", "meeting"),
            "reviews": action.reviews.select_related("meeting"),
            "form": form,
            "can_edit": can_edit,
            "overdue": action.is_overdue(),
        },
    )


@require_perm(VIEW)
def data_pack(request: HttpRequest, pk: Any) -> HttpResponse:
    """The member schools side by side, for the meeting."""
    user: Any = request.user
    meeting = selectors.meeting_get(user, pk)
    return render(request, "networks/data_pack.html", {"pack": datapack.data_pack(user, meeting)})


@require_perm(VIEW)
def meeting_file(request: HttpRequest, pk: Any) -> FileResponse:
    """A meeting's file, for those who see the meeting (never a public URL)."""
    found = selectors.meeting_file_get(request.user, pk)  # type: ignore[arg-type]
    return serve(found.file, name=found.name, content_type=found.content_type)


urlpatterns = [
    path("<uuid:pk>/meetings/", meetings, name="meetings"),
    path("meetings/<uuid:pk>/", meeting_detail, name="meeting"),
    path("meetings/<uuid:pk>/data/", data_pack, name="data_pack"),
    path("meetings/files/<uuid:pk>/", meeting_file, name="meeting_file"),
    path("actions/", my_actions, name="my_actions"),
    path("actions/<uuid:pk>/", action_detail, name="action"),
]

"""Pages of classroom observation that work online: the visit plan and caseload, observation
records, the teacher's feedback, feedback reviews and their before/after comparison,
sync conflicts, and instruments. Thin: parse input, call a service or selector, render.

The observation form and the outbox, which work offline, are in views_observe.py; the
dashboards in views_dashboard.py.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusterwise.core.scope import get_or_404
from clusterwise.org.views import _apply_errors, require_perm
from clusterwise.programme import selectors as programme_selectors
from clusterwise.reports.exports import render_pdf

from . import selectors, services
from .forms import CRITERIA_HELP, InstrumentImportForm, PlanForm, QualityForm, ReplyForm, ReviewForm
from .models import REVIEW_CRITERIA, FeedbackReview, Instrument, Observation, SyncConflict
from .quality import indicators
from .views_observe import shell_context
from .xlsform import instrument_to_xlsform, xlsform_to_instrument

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(request: HttpRequest) -> datetime.date:
    raw = request.GET.get("month", "")
    try:
        return datetime.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        return timezone.localdate().replace(day=1)


def _shift(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


# --- the visit plan and the caseload ----------------------------------------------------------


@require_perm("observation.observe")
def plan(request: HttpRequest) -> HttpResponse:
    """The observer's visits of a month, and a form to add one."""
    user = request.user
    month = _month(request)
    form = PlanForm(
        request.POST or None,
        schools=selectors.schools_for(user),  # type: ignore[arg-type]
        teachers=_teachers(request),
        initial={"planned_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.visit_plan_add(by=user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Visit added to your plan."))
            return redirect(f"{request.path}?month={visit.planned_on:%Y-%m}")
    visits = list(selectors.plan_for(user, month))  # type: ignore[arg-type]
    days: dict[datetime.date, list[Any]] = {}
    for visit in visits:
        days.setdefault(visit.planned_on, []).append(visit)
    return render(
        request,
        "observation/plan.html",
        {
            "form": form,
            "month": month,
            "previous_month": _shift(month, -1),
            "next_month": _shift(month, 1),
            "days": sorted(days.items()),
            **shell_context(request),
            "counts": {
                status: sum(1 for v in visits if v.status == status)
                for status in ("planned", "done", "cancelled")
            },
            "today": timezone.localdate(),
        },
    )


def _teachers(request: HttpRequest) -> Any:
    from clusterwise.org.models import Person

    posts = selectors.teachers_for(request.user)  # type: ignore[arg-type]
    return Person.objects.filter(pk__in=posts.values("person_id")).order_by("name")


@require_POST
@require_perm("observation.observe")
def plan_cancel(request: HttpRequest, pk: Any) -> HttpResponse:
    visit = selectors.planned_visit_get(request.user, pk)  # type: ignore[arg-type]
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        services.visit_plan_cancel(visit=visit, by=request.user, version=version)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Visit cancelled."))
    return redirect(f"{reverse('observation:plan')}?month={visit.planned_on:%Y-%m}")


@require_perm("observation.observe")
def caseload(request: HttpRequest) -> HttpResponse:
    """The teachers of the observer's area: visited this month / term, or not yet."""
    user = request.user
    schools = selectors.schools_for(user)  # type: ignore[arg-type]
    school = request.GET.get("school") or None
    if school:
        get_or_404(schools, pk=school)
    load = selectors.caseload_for(user, school=school)  # type: ignore[arg-type]
    show = request.GET.get("show", "")
    rows = load.rows
    if show == "not_month":
        rows = [row for row in rows if not row.this_month]
    elif show == "not_term":
        rows = [row for row in rows if not row.this_term]
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "observation/caseload.html",
        {
            "load": load,
            "page": page,
            "schools": schools[:500],
            "school": school,
            "show": show,
            **shell_context(request),
        },
    )


# --- observation records ------------------------------------------------------------------------


@login_required
def observation_list(request: HttpRequest) -> HttpResponse:
    """Observations the user may read: their own, their lessons, or their area's."""
    observations = selectors.observations_for(request.user).select_related(  # type: ignore[arg-type]
        "teacher", "observer", "school", "instrument", "feedback"
    )
    school = request.GET.get("school")
    if school:  # a school outside the user's area, or a malformed id, is not found
        observations = observations.filter(
            school=get_or_404(selectors.schools_for(request.user), pk=school)  # type: ignore[arg-type]
        )
    status = request.GET.get("status")
    if status in Observation.Status.values:
        observations = observations.filter(status=status)
    page = Paginator(observations.order_by("-observed_on", "-created_at"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "observation/list.html", {"page": page, "status": status})


def _feedback_indicators(observation: Observation) -> Any:
    feedback = getattr(observation, "feedback", None)
    if feedback is None:
        return None
    evidence = [observation.notes, *(score.evidence for score in observation.scores.all())]
    return indicators(
        strengths=feedback.strengths,
        next_steps=feedback.next_steps,
        actions=[(action.text, action.due_on) for action in feedback.actions.all()],
        evidence=[text for text in evidence if text],
        visit_on=observation.observed_on,
    )


@login_required
def observation_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    user = request.user
    observation = selectors.observation_get(user, pk)  # type: ignore[arg-type]
    scores = observation.scores.select_related("item__section").order_by(
        "item__section__order", "item__order"
    )
    feedback = getattr(observation, "feedback", None)
    is_teacher = observation.teacher.user_id == user.pk
    is_observer = observation.observer.user_id == user.pk
    can_review = (
        user.has_perm("observation.review_feedback")
        and not is_observer
        and observation.is_submitted
        and feedback is not None
    )
    followed_up = observation.followed_up.select_related("feedback__observation")
    return render(
        request,
        "observation/detail.html",
        {
            "observation": observation,
            "scores": scores,
            "snapshots": observation.snapshots.all(),
            "feedback": feedback,
            "actions": feedback.actions.all() if feedback else [],
            "followed_up": followed_up,
            "is_teacher": is_teacher,
            "is_observer": is_observer,
            "can_review": can_review,
            # Indicators and reviews are for the observer and supervisors, not the teacher.
            "indicators": None if is_teacher else _feedback_indicators(observation),
            "reviews": (
                feedback.reviews.select_related("reviewer") if feedback and not is_teacher else []
            ),
            "reply_form": ReplyForm(initial={"version": feedback.version}) if feedback else None,
            "today": timezone.localdate(),
        },
    )


@require_POST
@login_required
def feedback_acknowledge(request: HttpRequest, pk: Any) -> HttpResponse:
    observation = selectors.observation_get(request.user, pk)  # type: ignore[arg-type]
    feedback = getattr(observation, "feedback", None)
    if feedback is None or observation.teacher.user_id != request.user.pk:
        raise Http404
    services.feedback_acknowledge(feedback=feedback, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Thank you: the observer can see that you have read it."))
    return redirect("observation:detail", pk=observation.pk)


@require_POST
@login_required
def feedback_reply(request: HttpRequest, pk: Any) -> HttpResponse:
    observation = selectors.observation_get(request.user, pk)  # type: ignore[arg-type]
    feedback = getattr(observation, "feedback", None)
    if feedback is None or observation.teacher.user_id != request.user.pk:
        raise Http404
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_reply(
                feedback=feedback,
                text=form.cleaned_data["reply"],
                by=request.user,  # type: ignore[arg-type]
                version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Your reply is sent."))
            return redirect("observation:detail", pk=observation.pk)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("observation:detail", pk=observation.pk)


@login_required
def feedback_pdf(request: HttpRequest, pk: Any) -> FileResponse:
    """One page of feedback, in the teacher's language, to print or share."""
    observation = selectors.observation_get(request.user, pk)  # type: ignore[arg-type]
    feedback = getattr(observation, "feedback", None)
    if feedback is None or not observation.is_submitted:
        raise Http404
    language = feedback.language or translation.get_language()
    with translation.override(language):
        content = render_pdf(
            "observation/feedback_pdf.html",
            {
                "observation": observation,
                "feedback": feedback,
                "actions": feedback.actions.all(),
                "followed_up": observation.followed_up.all(),
                "language": language,
                "generated": timezone.localtime(),
            },
        )
    name = slugify(observation.teacher.name) or str(observation.pk)[:8]
    response = FileResponse(
        content,
        as_attachment=True,
        filename=f"feedback-{name}-{observation.observed_on:%Y-%m-%d}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def my_feedback(request: HttpRequest) -> HttpResponse:
    """A teacher's observed lessons and their feedback, newest first."""
    lessons = selectors.feedback_of_teacher(request.user)  # type: ignore[arg-type]
    page = Paginator(lessons, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "observation/my_feedback.html", {"page": page})


# --- feedback reviews --------------------------------------------------------------------------


@require_perm("observation.review_feedback")
def reviews(request: HttpRequest) -> HttpResponse:
    """Feedback in the reviewer's area to rate, not yet reviewed by them first."""
    user = request.user
    person = selectors.person_id_of(user)  # type: ignore[arg-type]
    queue = selectors.feedback_to_review(user)  # type: ignore[arg-type]
    show = request.GET.get("show", "todo")
    if show == "todo":
        queue = queue.exclude(reviews__reviewer_id=person)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "observation/reviews.html", {"page": page, "show": show})


@require_perm("observation.review_feedback")
def review(request: HttpRequest, pk: Any) -> HttpResponse:
    """Rate one observation's written feedback on the quality rubric."""
    user = request.user
    observation = selectors.observation_get(user, pk)  # type: ignore[arg-type]
    feedback = getattr(observation, "feedback", None)
    if feedback is None or not observation.is_submitted:
        raise Http404
    existing = FeedbackReview.objects.filter(
        feedback=feedback,
        reviewer_id=selectors.person_id_of(user),  # type: ignore[arg-type]
    ).first()
    initial = (
        {name: getattr(existing, name) for name in REVIEW_CRITERIA}
        | {"comment": existing.comment, "version": existing.version}
        if existing
        else {}
    )
    form = ReviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.feedback_review_record(
                feedback=feedback,
                scores={name: data[name] for name in REVIEW_CRITERIA},
                comment=data["comment"],
                by=user,  # type: ignore[arg-type]
                version=data["version"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Review saved."))
            return redirect("observation:reviews")
    return render(
        request,
        "observation/review.html",
        {
            "observation": observation,
            "feedback": feedback,
            "actions": feedback.actions.all(),
            "scores": observation.scores.select_related("item").order_by(
                "item__section__order", "item__order"
            ),
            "indicators": _feedback_indicators(observation),
            "form": form,
            "criteria_help": CRITERIA_HELP,
        },
    )


@require_perm("observation.review_feedback")
def quality(request: HttpRequest) -> HttpResponse:
    """Feedback quality before and after, per CRC and over a cohort."""
    user = request.user
    cohorts = programme_selectors.cohorts_for(user)  # type: ignore[arg-type]
    form = QualityForm(request.GET or None, cohorts=cohorts)
    context: dict[str, Any] = {"form": form}
    if not request.GET and cohorts.exists():
        form = QualityForm({"cohort": cohorts.first().pk}, cohorts=cohorts)  # type: ignore[union-attr]
        context["form"] = form
    if form.is_bound and form.is_valid():
        cohort = form.cleaned_data["cohort"]
        split_on = form.cleaned_data["split_on"] or selectors.default_split(cohort)
        crcs = programme_selectors.crcs_for(user, cohort)  # type: ignore[arg-type]
        comparison, members = selectors.feedback_quality(crcs, split_on)
        context |= {
            "cohort": cohort,
            "comparison": comparison,
            "rows": sorted(
                comparison.writers,
                key=lambda w: (w.change is None, -(w.change or 0), str(members[w.writer].person)),
            ),
            "members": members,
            "max_total": 4 * len(REVIEW_CRITERIA),
        }
    return render(request, "observation/quality.html", context)


# --- sync conflicts ---------------------------------------------------------------------------------


@login_required
def conflicts(request: HttpRequest) -> HttpResponse:
    found = selectors.conflicts_for(request.user)  # type: ignore[arg-type]
    status = request.GET.get("status", SyncConflict.Status.OPEN)
    if status in SyncConflict.Status.values:
        found = found.filter(status=status)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "observation/conflicts.html", {"page": page, "status": status})


_COMPARED = ("status", "observed_on", "grade", "subject", "topic", "students_present", "notes")


@login_required
def conflict_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    user = request.user
    conflict = get_or_404(selectors.conflicts_for(user), pk=pk)  # type: ignore[arg-type]
    can_resolve = user.has_perm("observation.resolve_conflicts")
    if request.method == "POST":
        if not can_resolve:
            raise PermissionDenied
        choice = request.POST.get("take")
        if choice not in ("server", "device"):
            messages.error(request, _("Choose which record to keep."))
        else:
            try:
                services.conflict_resolve(
                    conflict=conflict,
                    take_device=choice == "device",
                    by=user,  # type: ignore[arg-type]
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Conflict settled."))
                return redirect("observation:conflicts")
    observation = conflict.observation
    payload = conflict.payload
    server = {
        "status": observation.status,
        "observed_on": observation.observed_on.isoformat(),
        "grade": observation.grade,
        "subject": observation.subject,
        "topic": observation.topic,
        "students_present": observation.students_present,
        "notes": observation.notes,
    }
    server_scores = {s.item.code: s.score for s in observation.scores.select_related("item")}
    device_scores = {s["item"]: s.get("score") for s in payload.get("scores") or []}
    differences = [
        (name, server.get(name), payload.get(name))
        for name in _COMPARED
        if str(server.get(name) or "") != str(payload.get(name) or "")
    ] + [
        (code, server_scores.get(code), device_scores.get(code))
        for code in sorted(set(server_scores) | set(device_scores))
        if server_scores.get(code) != device_scores.get(code)
    ]
    feedback = getattr(observation, "feedback", None)
    device_feedback = payload.get("feedback") or {}
    if feedback is not None and (
        feedback.strengths != (device_feedback.get("strengths") or "").strip()
        or feedback.next_steps != [s.strip() for s in device_feedback.get("next_steps") or []]
    ):
        differences.append(
            (
                _("feedback"),
                feedback.strengths + " · " + " · ".join(feedback.next_steps),
                (device_feedback.get("strengths") or "")
                + " · "
                + " · ".join(device_feedback.get("next_steps") or []),
            )
        )
    return render(
        request,
        "observation/conflict.html",
        {
            "conflict": conflict,
            "observation": observation,
            "differences": differences,
            "can_resolve": can_resolve and conflict.status == SyncConflict.Status.OPEN,
        },
    )


# --- instruments ---------------------------------------------------------------------------------


def _can_see_instruments(user: Any) -> bool:
    return any(
        user.has_perm(perm)
        for perm in (
            "observation.manage_instruments",
            "observation.observe",
            "observation.view_area",
        )
    )


@login_required
def instruments(request: HttpRequest) -> HttpResponse:
    if not _can_see_instruments(request.user):
        raise PermissionDenied
    manage = request.user.has_perm("observation.manage_instruments")
    found = Instrument.objects.all() if manage else selectors.instruments_in_use()
    return render(
        request,
        "observation/instruments.html",
        {"instruments": found.order_by("key", "-version"), "manage": manage},
    )


def _instrument(request: HttpRequest, pk: Any) -> Instrument:
    if not _can_see_instruments(request.user):
        raise PermissionDenied
    instrument = selectors.instrument_with_items(pk)
    if instrument.status == Instrument.Status.DRAFT and not request.user.has_perm(
        "observation.manage_instruments"
    ):
        raise Http404
    return instrument


@login_required
def instrument_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    instrument = _instrument(request, pk)
    return render(
        request,
        "observation/instrument.html",
        {
            "instrument": instrument,
            "manage": request.user.has_perm("observation.manage_instruments"),
            "points": ("1", "2", "3", "4", "5"),
        },
    )


@login_required
def instrument_xlsform(request: HttpRequest, pk: Any) -> FileResponse:
    """The instrument as an XLSForm, for ODK/Kobo or for editing into a new version."""
    instrument = _instrument(request, pk)
    content = instrument_to_xlsform(
        services.instrument_data(instrument), version=instrument.version
    )
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=f"{instrument.key}-v{instrument.version}.xlsx",
        content_type=XLSX,
    )


@require_perm("observation.manage_instruments")
def instrument_import(request: HttpRequest) -> HttpResponse:
    """Read an XLSForm into a new draft version; nothing is saved unless it all reads."""
    form = InstrumentImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            data = xlsform_to_instrument(form.cleaned_data["file"].read())
            instrument = services.instrument_load(data=data, by=request.user, publish=False)  # type: ignore[arg-type]
        except ValidationError as exc:
            problems = exc.messages
        else:
            messages.success(
                request,
                _("Read as a draft, version %(n)s: check it, then publish.")
                % {"n": instrument.version},
            )
            return redirect("observation:instrument", pk=instrument.pk)
    return render(
        request, "observation/instrument_import.html", {"form": form, "problems": problems}
    )


@require_POST
@require_perm("observation.manage_instruments")
def instrument_status(request: HttpRequest, pk: Any) -> HttpResponse:
    instrument = selectors.instrument_with_items(pk)
    action = request.POST.get("action")
    try:
        if action == "publish":
            services.instrument_publish(instrument=instrument, by=request.user)  # type: ignore[arg-type]
        elif action == "retire":
            services.instrument_retire(instrument=instrument, by=request.user)  # type: ignore[arg-type]
        elif action == "delete":
            services.instrument_delete_draft(instrument=instrument, by=request.user)  # type: ignore[arg-type]
            messages.success(request, _("Draft deleted."))
            return redirect("observation:instruments")
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("observation:instrument", pk=instrument.pk)

"""Pages for cohorts, enrolment, workshops, field assignments and coaching visits.
Thin: parse input, call a service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusterwise.core.tabular import Row, TabularError, read_rows
from clusterwise.org import selectors as org_selectors
from clusterwise.org.models import OrgUnit, Person
from clusterwise.org.views import _apply_errors, require_perm
from clusterwise.skills import selectors as skill_selectors
from clusterwise.skills.models import LEVEL_NAMES, Round

from . import selection, selectors, services
from .forms import (
    CohortForm,
    EnrolListForm,
    EnrolUnitsForm,
    FieldAssignmentForm,
    ReviewForm,
    SubmissionForm,
    SupporterForm,
    VisitForm,
    WorkshopForm,
)
from .models import Attendance, Cohort, CohortMember, Submission

PAGE_SIZE = 50
VIEW = "programme.view_programme"


def _me(request: HttpRequest) -> Person | None:
    return Person.objects.filter(user=request.user).first()  # type: ignore[misc]


def _require(request: HttpRequest, perm: str, obj: Any = None) -> None:
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


def _form_page(
    request: HttpRequest,
    form: Any,
    *,
    save: Callable[[dict[str, Any]], Any],
    done: Callable[[Any], str],
    template: str,
    context: dict[str, Any],
    success: str,
) -> HttpResponse:
    """Validate, call a service, go on; or show the form again with what was typed."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(done(result))
    return render(request, template, {"form": form, **context})


# --- cohorts --------------------------------------------------------------------------


@require_perm(VIEW)
def cohort_list(request: HttpRequest) -> HttpResponse:
    cohorts = selectors.cohorts_for(request.user).annotate(  # type: ignore[arg-type]
        n_crcs=Count("members", filter=Q(members__role=CohortMember.Role.CRC))
    )
    return render(
        request,
        "programme/cohort_list.html",
        {"cohorts": cohorts, "can_add": request.user.has_perm("programme.add_cohort")},
    )


@require_perm("programme.add_cohort")
def cohort_new(request: HttpRequest) -> HttpResponse:
    form = CohortForm(request.POST or None, user=request.user)
    return _form_page(
        request,
        form,
        save=lambda d: services.cohort_create(
            name=d["name"],
            kind=d["kind"],
            framework=d["framework"],
            org_unit=d["org_unit"],
            starts_on=d["starts_on"],
            ends_on=d["ends_on"],
            visits_planned=d["visits_planned"],
            by=request.user,  # type: ignore[arg-type]
        ),
        done=lambda cohort: reverse("programme:cohort", args=[cohort.pk]),
        template="programme/form.html",
        context={"title": _("New cohort"), "back": reverse("programme:cohorts")},
        success=_("The cohort was created."),
    )


@require_perm(VIEW)
def cohort_edit(request: HttpRequest, pk: Any) -> HttpResponse:
    cohort = selectors.cohort_get(request.user, pk)  # type: ignore[arg-type]
    _require(request, "programme.change_cohort", cohort)
    initial = {
        "name": cohort.name,
        "kind": cohort.kind,
        "framework": cohort.framework_id,
        "org_unit": cohort.org_unit.code,
        "starts_on": cohort.starts_on,
        "ends_on": cohort.ends_on,
        "visits_planned": cohort.visits_planned,
        "version": cohort.version,
    }
    form = CohortForm(request.POST or None, initial=initial, user=request.user)
    form.fields["framework"].queryset = form.fields["framework"].queryset | type(  # type: ignore[attr-defined]
        cohort.framework
    ).objects.filter(pk=cohort.framework_id)

    def save(d: dict[str, Any]) -> Cohort:
        version = d.pop("version")
        return services.cohort_update(
            cohort=cohort,
            version=version or cohort.version,
            by=request.user,  # type: ignore[arg-type]
            **d,
        )

    return _form_page(
        request,
        form,
        save=save,
        done=lambda c: reverse("programme:cohort", args=[c.pk]),
        template="programme/form.html",
        context={
            "title": _("Edit %(name)s") % {"name": cohort.name},
            "back": reverse("programme:cohort", args=[cohort.pk]),
        },
        success=_("Saved."),
    )


def _within(request: HttpRequest, cohort: Cohort) -> OrgUnit | None:
    """The district or block a page is narrowed to (?within=<unit id>), in the user's scope."""
    within = request.GET.get("within")
    if not within:
        return None
    return org_selectors.orgunit_get(request.user, within)  # type: ignore[arg-type]


def _area_choices(request: HttpRequest, cohort: Cohort) -> list[OrgUnit]:
    """Districts and blocks of the cohort's CRCs the user sees (for narrowing a page)."""
    levels = ("district", "block")
    paths = {
        p[: n * OrgUnit.steplen]
        for p in selectors.crcs_for(request.user, cohort)  # type: ignore[arg-type]
        .values_list("org_path", flat=True)
        .distinct()
        for n in range(1, len(p) // OrgUnit.steplen)
    }
    return list(
        org_selectors.orgunits_for(request.user)  # type: ignore[arg-type]
        .filter(path__in=paths, level__in=levels)
        .order_by("path")
    )


@require_perm(VIEW)
def cohort_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    user = request.user
    cohort = selectors.cohort_get(user, pk)  # type: ignore[arg-type]
    within = _within(request, cohort)
    crcs = selectors.crcs_for(user, cohort, within=within.path if within else None)  # type: ignore[arg-type]
    q = request.GET.get("q", "").strip()[:100]
    if q:
        crcs = crcs.filter(person__name__icontains=q)
    due = cohort.field_assignments.filter(due_on__lte=timezone.localdate()).count()
    rows = selectors.progress_of(crcs.order_by("org_path", "person__name"), cohort)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    figures = selectors.dashboard(user, cohort, within=within.path if within else None)  # type: ignore[arg-type]
    mine = selectors.my_membership(user, cohort)  # type: ignore[arg-type]
    return render(
        request,
        "programme/cohort_detail.html",
        {
            "cohort": cohort,
            "figures": figures,
            "page": page,
            "query": urlencode(
                {k: v for k, v in (("q", q), ("within", within and within.pk)) if v}
            ),
            "due": due,
            "q": q,
            "within": within,
            "areas": _area_choices(request, cohort),
            "rounds": Round.choices,
            "mine": mine,
            "can_change": user.has_perm("programme.change_cohort", cohort),
            "can_run": user.has_perm("programme.run_workshops", cohort),
        },
    )


# --- enrolment -----------------------------------------------------------------------------


def _enrol_forms(
    request: HttpRequest, cohort: Cohort, data: Any = None, files: Any = None
) -> tuple[Any, Any]:
    coaches = selectors.supporters_of_role(cohort, CohortMember.Role.COACH)
    units_form = EnrolUnitsForm(
        data, coaches=coaches, ranking_available=selection.ranking_available(), prefix="units"
    )
    list_form = EnrolListForm(data, files, prefix="list")
    return units_form, list_form


@require_perm(VIEW)
def cohort_enrol(request: HttpRequest, pk: Any) -> HttpResponse:
    """Enrol CRCs in bulk: every CRC under some blocks, or a list of people from a file."""
    user = request.user
    cohort = selectors.cohort_get(user, pk)  # type: ignore[arg-type]
    _require(request, "programme.change_cohort", cohort)
    units_form, list_form = _enrol_forms(request, cohort)
    plan = None
    people = org_selectors.people_for(user)  # type: ignore[arg-type]
    action = request.POST.get("action")
    if request.method == "POST" and action == "units":
        units_form, _unused = _enrol_forms(request, cohort, request.POST)
        if units_form.is_valid():
            units: list[OrgUnit] = []
            missing = []
            for code in [
                c.strip() for c in units_form.cleaned_data["units"].split(",") if c.strip()
            ]:
                unit = org_selectors.orgunits_for(user).filter(code__iexact=code).first()  # type: ignore[arg-type]
                if unit is None or not unit.path.startswith(cohort.org_path):
                    missing.append(code)
                else:
                    units.append(unit)
            if units_form.cleaned_data["lowest"]:
                districts = org_selectors.orgunits_for(user).filter(  # type: ignore[arg-type]
                    level="district", path__startswith=cohort.org_path
                )
                units += selection.lowest_blocks(districts)
            if missing:
                units_form.add_error(
                    "units",
                    _("No unit with the code %(codes)s in this cohort's area.")
                    % {"codes": ", ".join(missing)},
                )
            else:
                try:
                    result = services.cohort_enrol_units(
                        cohort=cohort,
                        units=units,
                        coach=units_form.cleaned_data["coach"],
                        by=user,  # type: ignore[arg-type]
                    )
                except ValidationError as exc:
                    _apply_errors(units_form, exc)
                else:
                    messages.success(
                        request,
                        _("%(added)s CRCs enrolled; %(already)s were already in the cohort.")
                        % {"added": result.added, "already": result.already},
                    )
                    return redirect("programme:cohort", pk=cohort.pk)
    elif request.method == "POST" and action == "list":
        _unused, list_form = _enrol_forms(request, cohort, request.POST, request.FILES)
        if list_form.is_valid():
            upload = list_form.cleaned_data["file"]
            try:
                rows = read_rows(upload, upload.name)
            except TabularError as exc:
                list_form.add_error("file", str(exc))
            else:
                plan = services.cohort_enrol_plan(cohort=cohort, rows=rows, people_in_scope=people)
                request.session[f"enrol-{cohort.pk}"] = signing.dumps(
                    [[r.number, r.values] for r in rows]
                )
    elif request.method == "POST" and action == "confirm":
        stored = request.session.pop(f"enrol-{cohort.pk}", None)
        if stored is None:
            messages.error(request, _("The list has expired; upload it again."))
            return redirect("programme:enrol", pk=cohort.pk)
        rows = [Row(number, values) for number, values in signing.loads(stored)]
        plan = services.cohort_enrol_plan(cohort=cohort, rows=rows, people_in_scope=people)
        if plan.ok:
            added = services.cohort_enrol_apply(
                cohort=cohort,
                plan=plan,
                people_in_scope=people,
                by=user,  # type: ignore[arg-type]
            )
            messages.success(request, _("%(n)s people enrolled.") % {"n": added})
            return redirect("programme:cohort", pk=cohort.pk)
    return render(
        request,
        "programme/enrol.html",
        {"cohort": cohort, "units_form": units_form, "list_form": list_form, "plan": plan},
    )


# --- members ----------------------------------------------------------------------------------


@require_perm(VIEW)
def member_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    user = request.user
    member = selectors.member_get(user, pk)  # type: ignore[arg-type]
    cohort = member.cohort
    context: dict[str, Any] = {
        "member": member,
        "cohort": cohort,
        "can_coach": user.has_perm("programme.coach_member", member),
        "is_self": user.has_perm("programme.act_as_member", member),
        "can_change": user.has_perm("programme.change_cohort", cohort),
        "visit_saved": request.GET.get("saved") == "visit",
    }
    if member.role == CohortMember.Role.CRC:
        themes = skill_selectors.themes_with_skills(cohort.framework)
        levels = skill_selectors.levels_of(member)
        rounds = [r for r in Round.values if r in levels]
        context.update(
            themes=themes,
            levels=levels,
            rounds=[(r, Round(r).label) for r in rounds],
            level_names=LEVEL_NAMES,
            attendance=member.attendance.select_related("workshop").order_by("workshop__starts_at"),
            submissions={s.field_assignment_id: s for s in member.submissions.all()},
            field_assignments=selectors.field_assignments_for(user, cohort),  # type: ignore[arg-type]
            visits=selectors.visits_of(member),
            open_actions=selectors.open_actions(member),
            today=timezone.localdate(),
            all_rounds=Round.choices,
        )
    else:
        context["supports"] = selectors.members_for(user, cohort).filter(supported_by=member)  # type: ignore[arg-type]
    return render(request, "programme/member_detail.html", context)


@require_perm(VIEW)
def member_supporter(request: HttpRequest, pk: Any) -> HttpResponse:
    member = selectors.member_get(request.user, pk)  # type: ignore[arg-type]
    _require(request, "programme.change_cohort", member.cohort)
    wanted = services.SUPPORTER_ROLE.get(member.role)  # type: ignore[call-overload]
    if wanted is None:
        raise PermissionDenied
    form = SupporterForm(
        request.POST or None,
        initial={"supported_by": member.supported_by_id},
        choices=selectors.supporters_of_role(member.cohort, wanted),
    )
    return _form_page(
        request,
        form,
        save=lambda d: services.member_set_supporter(
            member=member,
            supported_by=d["supported_by"],
            by=request.user,  # type: ignore[arg-type]
        ),
        done=lambda m: reverse("programme:member", args=[m.pk]),
        template="programme/form.html",
        context={
            "title": _("Who supports %(name)s") % {"name": member.person.name},
            "back": reverse("programme:member", args=[member.pk]),
        },
        success=_("Saved."),
    )


# --- workshops ------------------------------------------------------------------------------


@require_perm(VIEW)
def workshop_list(request: HttpRequest, pk: Any) -> HttpResponse:
    cohort = selectors.cohort_get(request.user, pk)  # type: ignore[arg-type]
    workshops = selectors.workshops_for(request.user, cohort).annotate(  # type: ignore[arg-type]
        marked=Count("attendance"),
        came=Count("attendance", filter=Q(attendance__status__in=["present", "late"])),
    )
    return render(
        request,
        "programme/workshop_list.html",
        {
            "cohort": cohort,
            "workshops": workshops,
            "can_run": request.user.has_perm("programme.run_workshops", cohort),
            "now": timezone.now(),
        },
    )


def _workshop_form_page(request: HttpRequest, cohort: Cohort, workshop: Any = None) -> HttpResponse:
    _require(request, "programme.run_workshops", cohort)
    initial = {}
    if workshop is not None:
        initial = {
            "title": workshop.title,
            "theme": workshop.theme_id,
            "starts_at": timezone.localtime(workshop.starts_at),
            "venue": workshop.venue,
            "online_link": workshop.online_link,
            "org_unit": workshop.org_unit.code if workshop.org_unit else "",
            "facilitators": list(workshop.facilitators.values_list("pk", flat=True)),
            "version": workshop.version,
        }
    form = WorkshopForm(request.POST or None, initial=initial, cohort=cohort, user=request.user)
    return _form_page(
        request,
        form,
        save=lambda d: services.workshop_save(
            cohort=cohort,
            workshop=workshop,
            version=d.pop("version", None) or (workshop.version if workshop else None),
            by=request.user,  # type: ignore[arg-type]
            **d,
        ),
        done=lambda w: reverse("programme:workshop", args=[w.pk]),
        template="programme/form.html",
        context={
            "title": _("Edit the workshop") if workshop else _("Plan a workshop"),
            "back": reverse("programme:workshops", args=[cohort.pk]),
        },
        success=_("Saved."),
    )


@require_perm(VIEW)
def workshop_new(request: HttpRequest, pk: Any) -> HttpResponse:
    return _workshop_form_page(request, selectors.cohort_get(request.user, pk))  # type: ignore[arg-type]


@require_perm(VIEW)
def workshop_edit(request: HttpRequest, pk: Any) -> HttpResponse:
    workshop = selectors.workshop_get(request.user, pk)  # type: ignore[arg-type]
    return _workshop_form_page(request, workshop.cohort, workshop)


@require_perm(VIEW)
def workshop_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    """A workshop and its attendance sheet, made to be filled in on a phone at the door."""
    user = request.user
    workshop = selectors.workshop_get(user, pk)  # type: ignore[arg-type]
    can_run = user.has_perm("programme.run_workshops", workshop.cohort)
    sheet = selectors.attendance_sheet(user, workshop)  # type: ignore[arg-type]
    errors: list[str] = []
    if request.method == "POST":
        if not can_run:
            raise PermissionDenied
        visible = {str(m.pk) for m, _mark in sheet}
        marks = {
            key[5:]: value
            for key, value in request.POST.items()
            if key.startswith("mark-") and value and key[5:] in visible
        }
        try:
            changed = services.attendance_record(workshop=workshop, marks=marks, by=user)  # type: ignore[arg-type]
        except ValidationError as exc:
            errors = exc.messages
            sheet = [(m, marks.get(str(m.pk), mark)) for m, mark in sheet]
        else:
            messages.success(request, _("Attendance saved (%(n)s changed).") % {"n": changed})
            return redirect(reverse("programme:workshop", args=[workshop.pk]) + "?saved=1")
    counts = dict.fromkeys(Attendance.Status.values, 0)
    for _m, mark in sheet:
        if mark in counts:
            counts[mark] += 1
    return render(
        request,
        "programme/workshop_detail.html",
        {
            "workshop": workshop,
            "cohort": workshop.cohort,
            "sheet": sheet,
            "statuses": Attendance.Status.choices,
            "counts": counts,
            "can_run": can_run,
            "can_mark": can_run and workshop.starts_at.date() <= timezone.localdate(),
            "errors": errors,
            "saved": request.GET.get("saved") == "1",
        },
    )


# --- field assignments ---------------------------------------------------------------


@require_perm(VIEW)
def assignment_list(request: HttpRequest, pk: Any) -> HttpResponse:
    user = request.user
    cohort = selectors.cohort_get(user, pk)  # type: ignore[arg-type]
    mine = selectors.my_membership(user, cohort)  # type: ignore[arg-type]
    visible = selectors.crcs_for(user, cohort).filter(left_on__isnull=True).values("pk")  # type: ignore[arg-type]
    assignments = selectors.field_assignments_for(user, cohort).annotate(  # type: ignore[arg-type]
        n_submitted=Count("submissions", filter=Q(submissions__member__in=visible)),
        n_accepted=Count(
            "submissions",
            filter=Q(
                submissions__member__in=visible, submissions__status=Submission.Status.ACCEPTED
            ),
        ),
        n_waiting=Count(
            "submissions",
            filter=Q(
                submissions__member__in=visible, submissions__status=Submission.Status.SUBMITTED
            ),
        ),
    )
    own = {}
    if mine is not None and mine.role == CohortMember.Role.CRC:
        own = {s.field_assignment_id: s for s in mine.submissions.all()}
    return render(
        request,
        "programme/assignment_list.html",
        {
            "cohort": cohort,
            "assignments": assignments,
            "own": own,
            "mine": mine,
            "crcs": selectors.crcs_for(user, cohort).filter(left_on__isnull=True).count(),  # type: ignore[arg-type]
            "can_run": user.has_perm("programme.run_workshops", cohort),
            "today": timezone.localdate(),
        },
    )


def _assignment_form_page(request: HttpRequest, cohort: Cohort, fa: Any = None) -> HttpResponse:
    _require(request, "programme.run_workshops", cohort)
    initial = {}
    if fa is not None:
        initial = {
            "title": fa.title,
            "theme": fa.theme_id,
            "instructions": fa.instructions,
            "due_on": fa.due_on,
            "rubric": services.rubric_text(fa.rubric),
            "version": fa.version,
        }
    form = FieldAssignmentForm(request.POST or None, initial=initial, cohort=cohort)

    def save(d: dict[str, Any]) -> Any:
        return services.field_assignment_save(
            cohort=cohort,
            field_assignment=fa,
            version=d["version"] or (fa.version if fa else None),
            title=d["title"],
            theme=d["theme"],
            instructions=d["instructions"],
            due_on=d["due_on"],
            rubric=services.parse_rubric(d["rubric"]),
            by=request.user,  # type: ignore[arg-type]
        )

    return _form_page(
        request,
        form,
        save=save,
        done=lambda f: reverse("programme:assignment", args=[f.pk]),
        template="programme/form.html",
        context={
            "title": _("Edit the field assignment") if fa else _("New field assignment"),
            "back": reverse("programme:assignments", args=[cohort.pk]),
        },
        success=_("Saved."),
    )


@require_perm(VIEW)
def assignment_new(request: HttpRequest, pk: Any) -> HttpResponse:
    return _assignment_form_page(request, selectors.cohort_get(request.user, pk))  # type: ignore[arg-type]


@require_perm(VIEW)
def assignment_edit(request: HttpRequest, pk: Any) -> HttpResponse:
    fa = selectors.field_assignment_get(request.user, pk)  # type: ignore[arg-type]
    return _assignment_form_page(request, fa.cohort, fa)


@require_perm(VIEW)
def assignment_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    user = request.user
    fa = selectors.field_assignment_get(user, pk)  # type: ignore[arg-type]
    mine = selectors.my_membership(user, fa.cohort)  # type: ignore[arg-type]
    status = request.GET.get("status", "")
    rows = selectors.submissions_for(user, fa)  # type: ignore[arg-type]
    if status == "missing":
        rows = [(m, s) for m, s in rows if s is None]
    elif status in Submission.Status.values:
        rows = [(m, s) for m, s in rows if s is not None and s.status == status]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "programme/assignment_detail.html",
        {
            "fa": fa,
            "cohort": fa.cohort,
            "mine": mine,
            "own": selectors.submission_of(mine, fa) if mine else None,
            "page": page,
            "status": status,
            "statuses": Submission.Status.choices,
            "can_run": user.has_perm("programme.run_workshops", fa.cohort),
            "today": timezone.localdate(),
        },
    )


@require_perm(VIEW)
def submission_new(request: HttpRequest, pk: Any) -> HttpResponse:
    """A CRC hands in a field assignment (again, if their coach asked)."""
    user = request.user
    fa = selectors.field_assignment_get(user, pk)  # type: ignore[arg-type]
    mine = selectors.my_membership(user, fa.cohort)  # type: ignore[arg-type]
    if mine is None or mine.role != CohortMember.Role.CRC:
        raise PermissionDenied
    existing = selectors.submission_of(mine, fa)
    if existing is not None and existing.status == Submission.Status.ACCEPTED:
        return redirect("programme:submission", pk=existing.pk)
    initial = {"text": existing.text, "version": existing.version} if existing else {}
    form = SubmissionForm(request.POST or None, request.FILES or None, initial=initial)
    return _form_page(
        request,
        form,
        save=lambda d: services.submission_submit(
            field_assignment=fa,
            member=mine,
            text=d["text"],
            files=d["files"],
            version=d["version"] or (existing.version if existing else None),
            by=user,  # type: ignore[arg-type]
        ),
        done=lambda s: reverse("programme:submission", args=[s.pk]),
        template="programme/submission_form.html",
        context={"fa": fa, "existing": existing, "title": fa.title},
        success=_("Handed in. Your coach will review it."),
    )


@require_perm(VIEW)
def submission_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    user = request.user
    submission = selectors.submission_get(user, pk)  # type: ignore[arg-type]
    fa = submission.field_assignment
    can_review = (
        user.has_perm("programme.coach_member", submission.member)
        and submission.member.person.user_id != user.pk
    )
    form = None
    if can_review and submission.status == Submission.Status.SUBMITTED:
        form = ReviewForm(
            request.POST or None, rubric=fa.rubric, initial={"version": submission.version}
        )
        if request.method == "POST" and form.is_valid():
            reviewer = _me(request)
            if reviewer is None:
                raise PermissionDenied
            try:
                services.submission_review(
                    submission=submission,
                    reviewer=reviewer,
                    accept=request.POST.get("decision") == "accept",
                    scores=form.scores(),
                    comment=form.cleaned_data["comment"],
                    version=form.cleaned_data["version"] or submission.version,
                    by=user,  # type: ignore[arg-type]
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Review saved; the CRC can see it now."))
                return redirect("programme:assignment", pk=fa.pk)
    elif request.method == "POST":
        raise PermissionDenied
    scores = [(c["text"], submission.scores.get(c["key"]), c["max"]) for c in fa.rubric]
    return render(
        request,
        "programme/submission_detail.html",
        {
            "submission": submission,
            "fa": fa,
            "cohort": fa.cohort,
            "member": submission.member,
            "files": submission.files.all(),
            "scores": scores,
            "form": form,
            "is_self": submission.member.person.user_id == user.pk,
        },
    )


@require_perm(VIEW)
def attachment_download(request: HttpRequest, pk: Any) -> FileResponse:
    """An attachment, only for those who may see the submission (never a public URL)."""
    attachment = selectors.attachment_get(request.user, pk)  # type: ignore[arg-type]
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=attachment.original_name,
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- coaching visits ---------------------------------------------------------------------


@require_perm(VIEW)
def visit_new(request: HttpRequest, pk: Any) -> HttpResponse:
    """Record a visit to a CRC; their open actions come first, to follow up."""
    user = request.user
    crc = selectors.member_get(user, pk)  # type: ignore[arg-type]
    _require(request, "programme.coach_member", crc)
    if crc.role != CohortMember.Role.CRC:
        raise PermissionDenied
    coach = selectors.my_membership(user, crc.cohort) or crc.supported_by  # type: ignore[arg-type]
    if coach is None or coach.role == CohortMember.Role.CRC:
        messages.error(request, _("This CRC has no coach in the cohort yet."))
        return redirect("programme:member", pk=crc.pk)
    open_actions = list(selectors.open_actions(crc))
    form = VisitForm(request.POST or None, cohort=crc.cohort, open_actions=open_actions)
    done_map = {str(a.pk): a for a in open_actions}
    return _form_page(
        request,
        form,
        save=lambda d: services.visit_record(
            coach=coach,
            crc=crc,
            visited_on=d["visited_on"],
            place=d["place"],
            focus_skills=d["focus_skills"],
            notes=d["notes"],
            actions=d["actions"],
            actions_done=[done_map[k] for k in d["done"]],
            by=user,  # type: ignore[arg-type]
        ),
        done=lambda v: reverse("programme:member", args=[crc.pk]) + "?saved=visit",
        template="programme/visit_form.html",
        context={
            "crc": crc,
            "open_actions": open_actions,
            "today": timezone.localdate(),
            "title": _("Coaching visit to %(name)s") % {"name": crc.person.name},
        },
        success=_("The visit was recorded."),
    )


@require_perm(VIEW)
def visit_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    visit = selectors.visit_get(request.user, pk)  # type: ignore[arg-type]
    return render(
        request,
        "programme/visit_detail.html",
        {"visit": visit, "crc": visit.crc, "cohort": visit.cohort, "today": timezone.localdate()},
    )


@require_POST
@require_perm(VIEW)
def action_done(request: HttpRequest, pk: Any) -> HttpResponse:
    action = selectors.action_get(request.user, pk)  # type: ignore[arg-type]
    if not (
        request.user.has_perm("programme.coach_member", action.crc)
        or request.user.has_perm("programme.act_as_member", action.crc)
    ):
        raise PermissionDenied
    services.action_mark_done(action=action, on=timezone.localdate(), by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Marked as done."))
    return redirect("programme:member", pk=action.crc_id)

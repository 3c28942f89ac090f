"""Pages for the org tree, schools, people and imports. Thin: parse, call, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_tables2.paginators import LazyPaginator

from clusterwise.core.models import Job
from clusterwise.core.scope import get_or_404, prefix_q, scope_paths
from clusterwise.core.tabular import TabularError, read_rows

from . import imports, selectors, services, tasks
from .forms import (
    AssignmentForm,
    EndAssignmentForm,
    ImportForm,
    PersonCreateForm,
    PersonForm,
    SchoolFilterForm,
    SetPasswordForm,
    TransferForm,
)
from .models import Person, Role

PAGE_SIZE = 50


def require_perm(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Log in required, then the named `rules` permission, or 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _lazy_page(queryset: Any, number: Any) -> Any:
    """A page of a list too big to count: it only knows whether a next page exists."""
    paginator = LazyPaginator(queryset, PAGE_SIZE)
    try:
        return paginator.page(number)
    except (PageNotAnInteger, EmptyPage):
        return paginator.page(1)


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- the tree ------------------------------------------------------------------------


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    roots = selectors.scope_roots(request.user)  # type: ignore[arg-type]
    if len(roots) == 1:
        return redirect("org:unit", pk=roots[0].pk)
    return render(request, "org/tree.html", {"roots": roots})


@login_required
def unit_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    user = request.user
    unit = selectors.orgunit_get(user, pk)  # type: ignore[arg-type]
    children = Paginator(selectors.children_of(user, unit), PAGE_SIZE).get_page(  # type: ignore[arg-type]
        request.GET.get("page")
    )
    posts = selectors.posts_at(user, unit)  # type: ignore[arg-type]
    return render(
        request,
        "org/unit_detail.html",
        {
            "unit": unit,
            "school": getattr(unit, "school", None) if unit.is_school else None,
            "ancestors": selectors.ancestors_in_scope(user, unit),  # type: ignore[arg-type]
            "children": children,
            "posts": posts,
            "can_history": user.has_perm("org.view_history"),
        },
    )


@login_required
def school_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = SchoolFilterForm(request.GET or None)
    schools = selectors.schools_for(user).order_by("name", "code")  # type: ignore[arg-type]
    if form.is_valid():
        if form.cleaned_data["q"]:
            q = form.cleaned_data["q"]
            schools = schools.filter(name__icontains=q) | schools.filter(code__iexact=q)
        if form.cleaned_data["within"]:
            within = (
                selectors.orgunits_for(user)
                .filter(code__iexact=form.cleaned_data["within"])
                .first()
            )  # type: ignore[arg-type]
            if within is None:
                form.add_error("within", _("No org unit with this code in your area."))
                schools = schools.none()
            else:
                schools = schools.filter(prefix_q("path", within.path))
    page = Paginator(schools, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "org/_school_rows.html" if request.htmx else "org/school_list.html"  # type: ignore[attr-defined]
    return render(request, template, {"form": form, "page": page})


# --- people --------------------------------------------------------------------------


@require_perm("org.view_people")
def people_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    include_former = request.GET.get("former") == "1"
    people = selectors.people_list(user, include_former=include_former)  # type: ignore[arg-type]
    q = request.GET.get("q", "").strip()[:100]
    role = request.GET.get("role", "")
    if q:
        people = people.filter(name__icontains=q) | people.filter(phone__contains=q)
    if role in Role.values:
        people = people.filter(selectors.holds_post_q(role=role))
    total: int | None = None
    if selectors.is_state_wide(user):  # type: ignore[arg-type]
        # Counting every person of a state takes seconds: page without a count, and show
        # the home page's ready figure when the list is not filtered.
        page = _lazy_page(people, request.GET.get("page"))
        if not (q or role or include_former):
            ready = selectors.home_counts(user)  # type: ignore[arg-type]
            total = ready[0]["people"] if ready[1] else None
    else:
        page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
        total = page.paginator.count
    template = "org/_people_rows.html" if request.htmx else "org/people_list.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "page": page,
            "total": total,
            "q": q,
            "role": role,
            "roles": Role.choices,
            "former": include_former,
            "can_manage": user.has_perm("org.manage_people"),
        },
    )


@require_perm("org.view_people")
def person_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    user = request.user
    person = selectors.person_get(user, pk)  # type: ignore[arg-type]
    return render(
        request,
        "org/person_detail.html",
        {
            "person": person,
            "assignments": selectors.assignments_of(user, person),  # type: ignore[arg-type]
            "can_manage": user.has_perm("org.manage_people"),
            "can_history": user.has_perm("org.view_history"),
        },
    )


@require_perm("org.manage_people")
def person_new(request: HttpRequest) -> HttpResponse:
    form = PersonCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.person_create(
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                languages=data["languages"],
                role=data["role"],
                org_unit=data["org_unit"],
                start_date=data["start_date"],
                username=data["username"] or None,
                password=data["password"] or None,
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": person.name})
            return redirect("org:person", pk=person.pk)
    return render(request, "org/person_form.html", {"form": form, "title": _("Add a person")})


def _person_form_page(
    request: HttpRequest,
    form: Any,
    *,
    person: Person,
    save: Callable[[dict[str, Any]], object],
    title: str,
    success: str,
    subtitle: str = "",
) -> HttpResponse:
    """The shared shape of the pages that change a person: validate, call a service, and
    either go back to the person or show the form again with what was typed."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("org:person", pk=person.pk)
    return render(
        request,
        "org/person_form.html",
        {"form": form, "person": person, "title": title, "subtitle": subtitle},
    )


@require_perm("org.manage_people")
def person_edit(request: HttpRequest, pk: Any) -> HttpResponse:
    person = selectors.person_get(request.user, pk)  # type: ignore[arg-type]
    initial = {
        "id": person.pk,
        "name": person.name,
        "phone": person.phone or "",
        "email": person.email,
        "languages": person.languages,
        "version": person.version,
    }
    return _person_form_page(
        request,
        PersonForm(request.POST or None, initial=initial),
        person=person,
        save=lambda data: services.person_update(
            person=person,
            version=data["version"] or person.version,
            by=request.user,  # type: ignore[arg-type]
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
            languages=data["languages"],
        ),
        title=_("Edit %(name)s") % {"name": person.name},
        success=_("Saved."),
    )


@require_perm("org.manage_people")
def assignment_new(request: HttpRequest, pk: Any) -> HttpResponse:
    person = selectors.person_get(request.user, pk)  # type: ignore[arg-type]
    return _person_form_page(
        request,
        AssignmentForm(request.POST or None, user=request.user),
        person=person,
        save=lambda data: services.assignment_start(person=person, by=request.user, **data),  # type: ignore[arg-type]
        title=_("Add a role for %(name)s") % {"name": person.name},
        success=_("The role was added."),
    )


@require_perm("org.manage_people")
def assignment_transfer(request: HttpRequest, pk: Any) -> HttpResponse:
    assignment = selectors.assignment_get(request.user, pk)  # type: ignore[arg-type]
    return _person_form_page(
        request,
        TransferForm(request.POST or None, user=request.user),
        person=assignment.person,
        save=lambda data: services.person_transfer(
            assignment=assignment,
            to_unit=data["org_unit"],
            on=data["on"],
            by=request.user,  # type: ignore[arg-type]
        ),
        title=_("Transfer %(name)s") % {"name": assignment.person.name},
        subtitle=str(assignment),
        success=_("The transfer was recorded."),
    )


@require_perm("org.manage_people")
def assignment_end(request: HttpRequest, pk: Any) -> HttpResponse:
    assignment = selectors.assignment_get(request.user, pk)  # type: ignore[arg-type]
    return _person_form_page(
        request,
        EndAssignmentForm(request.POST or None),
        person=assignment.person,
        save=lambda data: services.assignment_end(
            assignment=assignment,
            end_date=data["end_date"],
            by=request.user,  # type: ignore[arg-type]
        ),
        title=_("End a role of %(name)s") % {"name": assignment.person.name},
        subtitle=str(assignment),
        success=_("The role was ended."),
    )


@require_perm("org.manage_people")
def person_set_password(request: HttpRequest, pk: Any) -> HttpResponse:
    """An administrator's password reset for someone in their area."""
    person = selectors.person_get(request.user, pk)  # type: ignore[arg-type]
    if person.user is None:
        raise Http404
    login = person.user
    return _person_form_page(
        request,
        SetPasswordForm(request.POST or None),
        person=person,
        save=lambda data: services.user_set_password(
            user=login,
            password=data["password"],
            by=request.user,  # type: ignore[arg-type]
        ),
        title=_("Reset the password of %(name)s") % {"name": person.name},
        success=_("The new password works now; tell %(name)s in person.") % {"name": person.name},
    )


# --- imports -------------------------------------------------------------------------

PREVIEW_ROWS = 200


@require_perm("org.import_org")
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a file; it is checked at once and shown as a preview before anything is written."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        try:
            rows = read_rows(upload, upload.name)
        except TabularError as exc:
            form.add_error("file", str(exc))
        else:
            upload.seek(0)
            plan = (
                imports.plan_org_import if kind == "import_org" else imports.plan_people_import
            )(rows, within=scope_paths(request.user))
            job = Job(kind=kind, created_by=request.user, original_name=upload.name[:255])
            job.preview = {
                "rows": len(rows),
                "summary": plan.summary(),
                "errors": [e.__dict__ for e in plan.errors[:PREVIEW_ROWS]],
                "error_count": len(plan.errors),
                "changes": [
                    {
                        "row": c.row,
                        "code": getattr(c, "code", None) or c.person_fields.get("name"),  # type: ignore[union-attr]
                        "action": c.action,
                        "changed": c.changed,
                    }
                    for c in plan.changes
                    if c.action != "unchanged"
                ][:PREVIEW_ROWS],
            }
            job.status = Job.Status.WAITING if plan.ok else Job.Status.FAILED
            if not plan.ok:
                job.error = _("The file has errors; nothing was imported.")
            job.file.save(
                f"{kind}-{job.pk}{'.csv' if upload.name.lower().endswith('.csv') else '.xlsx'}",
                upload,
                save=False,
            )
            job.save()
            return redirect("org:import_job", pk=job.pk)
    recent = Job.objects.filter(created_by=request.user, kind__startswith="import_")[:10]
    return render(request, "org/import_upload.html", {"form": form, "recent": recent})


@require_perm("org.import_org")
def import_job(request: HttpRequest, pk: Any) -> HttpResponse:
    """The preview of an upload, the button to apply it, then its progress."""
    job = get_or_404(Job.objects.filter(created_by=request.user, kind__startswith="import_"), pk=pk)
    if request.method == "POST" and job.status == Job.Status.WAITING:
        Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)
        transaction.on_commit(lambda: tasks.run_import.enqueue(str(job.pk)))
        return redirect("org:import_job", pk=job.pk)
    template = "org/_import_progress.html" if request.htmx else "org/import_job.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job})


# --- history -------------------------------------------------------------------------


@require_perm("org.view_history")
def history(request: HttpRequest, kind: str, pk: Any) -> HttpResponse:
    """Who changed what and when, for one record in scope."""
    user = request.user
    if kind == "unit":
        record: Any = selectors.orgunit_get(user, pk)  # type: ignore[arg-type]
        entries = list(
            record.history.select_related("history_user").order_by("-history_date")[:200]
        )
        if record.is_school and hasattr(record, "school"):
            entries += list(
                record.school.history.select_related("history_user").order_by("-history_date")[:200]
            )
    elif kind == "person":
        record = selectors.person_get(user, pk)  # type: ignore[arg-type]
        entries = list(
            record.history.select_related("history_user").order_by("-history_date")[:200]
        )
        for assignment in record.assignments.all():
            entries += list(
                assignment.history.select_related("history_user").order_by("-history_date")[:50]
            )
    else:
        raise Http404
    entries.sort(key=lambda e: e.history_date, reverse=True)
    rows = []
    for entry in entries:
        previous = entry.prev_record
        changes = []
        if previous is not None:
            delta = entry.diff_against(previous)
            changes = [(c.field, c.old, c.new) for c in delta.changes]
        rows.append(
            {"entry": entry, "changes": changes, "model": entry.instance._meta.verbose_name}
        )
    return render(request, "org/history.html", {"record": record, "rows": rows, "kind": kind})

"""Pages for skill frameworks, assessments, the skill matrix and growth. Thin: parse, call, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusterwise.core.scope import get_or_404
from clusterwise.observation import selectors as observation_selectors
from clusterwise.org import selectors as org_selectors
from clusterwise.org.models import OrgUnit, Person
from clusterwise.org.views import _apply_errors, require_perm
from clusterwise.programme import selectors as programme_selectors
from clusterwise.programme.models import Cohort, CohortMember
from clusterwise.reports import charts

from . import selectors, services
from .forms import AssessmentForm, GrowthForm, MatrixFilterForm, SkillForm
from .growth import Growth
from .models import LEVEL_NAMES, LEVELS, Assessment, Framework, Round, Skill

MANAGE = "skills.manage_frameworks"
VIEW_PROGRAMME = "programme.view_programme"


def _require(request: HttpRequest, perm: str, obj: Any = None) -> None:
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


def _level_names() -> list[tuple[int, str]]:
    return [(level, str(LEVEL_NAMES[level])) for level in LEVELS]


# --- frameworks ------------------------------------------------------------------------


@login_required
def framework_list(request: HttpRequest) -> HttpResponse:
    frameworks = selectors.frameworks_for(request.user).annotate(  # type: ignore[arg-type]
        n_skills=Count("skills", distinct=True), n_cohorts=Count("cohorts", distinct=True)
    )
    return render(
        request,
        "skills/framework_list.html",
        {"frameworks": frameworks, "can_manage": request.user.has_perm(MANAGE)},
    )


@login_required
def framework_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    user = request.user
    framework = selectors.framework_get(user, pk)  # type: ignore[arg-type]
    versions = list(selectors.frameworks_for(user).filter(key=framework.key))  # type: ignore[arg-type]
    return render(
        request,
        "skills/framework_detail.html",
        {
            "framework": framework,
            "themes": selectors.themes_with_skills(framework),
            "versions": versions,
            "draft": next((v for v in versions if v.status == Framework.Status.DRAFT), None),
            "n_cohorts": framework.cohorts.count(),
            "can_manage": user.has_perm(MANAGE),
            "level_names": _level_names(),
            "levels": [(level, str(level), name) for level, name in _level_names()],
        },
    )


def _framework_action(request: HttpRequest, pk: Any, action: Any, success: str) -> HttpResponse:
    """Run a framework service; say what happened (or why not) on the framework's page."""
    framework = selectors.framework_get(request.user, pk)  # type: ignore[arg-type]
    try:
        result = action(framework=framework, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("skills:framework", pk=framework.pk)
    messages.success(request, success)
    return redirect("skills:framework", pk=(result or framework).pk)


@require_POST
@require_perm(MANAGE)
def framework_revise(request: HttpRequest, pk: Any) -> HttpResponse:
    return _framework_action(
        request,
        pk,
        services.framework_revise,
        _("A new draft version was made: change it, then publish it."),
    )


@require_POST
@require_perm(MANAGE)
def framework_publish(request: HttpRequest, pk: Any) -> HttpResponse:
    return _framework_action(
        request,
        pk,
        services.framework_publish,
        _("Published: cohorts can use this version now, and it can no longer change."),
    )


@require_POST
@require_perm(MANAGE)
def framework_retire(request: HttpRequest, pk: Any) -> HttpResponse:
    return _framework_action(
        request,
        pk,
        services.framework_retire,
        _("Retired: no new cohorts can choose it; cohorts using it carry on."),
    )


@require_perm(MANAGE)
def framework_delete(request: HttpRequest, pk: Any) -> HttpResponse:
    framework = selectors.framework_get(request.user, pk)  # type: ignore[arg-type]
    if request.method == "POST":
        try:
            services.framework_delete_draft(framework=framework, by=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("skills:framework", pk=framework.pk)
        messages.success(request, _("The draft was deleted."))
        return redirect("skills:frameworks")
    return render(
        request,
        "skills/confirm.html",
        {
            "title": _("Delete the draft %(name)s?") % {"name": framework},
            "text": _("Its themes and skills are deleted with it. Published versions stay."),
            "button": _("Delete the draft"),
            "back": reverse("skills:framework", args=[framework.pk]),
        },
    )


def _skill_page(
    request: HttpRequest,
    form: SkillForm,
    *,
    framework: Framework,
    title: str,
    save: Any,
    keep: Skill | None = None,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        name, descriptors, indicators = form.texts(keep=keep)
        try:
            save(name, descriptors, indicators)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("skills:framework", pk=framework.pk)
    return render(
        request,
        "skills/skill_form.html",
        {"form": form, "framework": framework, "title": title},
    )


@require_perm(MANAGE)
def skill_edit(request: HttpRequest, pk: Any) -> HttpResponse:
    skill = selectors.skill_get(request.user, pk)  # type: ignore[arg-type]
    form = SkillForm(request.POST or None, initial=SkillForm.initial_for(skill))
    return _skill_page(
        request,
        form,
        framework=skill.framework,
        title=_("Edit the skill %(name)s") % {"name": skill},
        keep=skill,
        save=lambda name, descriptors, indicators: services.skill_update(
            skill=skill,
            name=name,
            descriptors=descriptors,
            indicators=indicators,
            by=request.user,  # type: ignore[arg-type]
        ),
    )


@require_perm(MANAGE)
def skill_add(request: HttpRequest, pk: Any, theme: Any) -> HttpResponse:
    framework = selectors.framework_get(request.user, pk)  # type: ignore[arg-type]
    the_theme = get_or_404(framework.themes.all(), pk=theme)
    form = SkillForm(request.POST or None, with_code=True)
    return _skill_page(
        request,
        form,
        framework=framework,
        title=_("Add a skill to %(theme)s") % {"theme": the_theme},
        save=lambda name, descriptors, indicators: services.skill_add(
            theme=the_theme,
            code=form.cleaned_data["code"].strip(),
            name=name,
            descriptors=descriptors,
            indicators=indicators,
            by=request.user,  # type: ignore[arg-type]
        ),
    )


@require_perm(MANAGE)
def skill_remove(request: HttpRequest, pk: Any) -> HttpResponse:
    skill = selectors.skill_get(request.user, pk)  # type: ignore[arg-type]
    if request.method == "POST":
        try:
            services.skill_remove(skill=skill, by=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The skill was removed from the draft."))
        return redirect("skills:framework", pk=skill.framework_id)
    return render(
        request,
        "skills/confirm.html",
        {
            "title": _("Remove the skill %(name)s?") % {"name": skill},
            "text": _("It is removed from this draft only; published versions keep it."),
            "button": _("Remove the skill"),
            "back": reverse("skills:framework", args=[skill.framework_id]),
        },
    )


# --- assessments -----------------------------------------------------------------------


@login_required
def assess(request: HttpRequest, pk: Any, round: str, kind: str) -> HttpResponse:
    """One CRC's rating of every skill in a round, by their coach or by themselves."""
    if round not in Round.values or kind not in Assessment.Kind.values:
        raise Http404
    user = request.user
    member = programme_selectors.member_get(user, pk)  # type: ignore[arg-type]
    if member.role != CohortMember.Role.CRC:
        raise Http404
    is_self = kind == Assessment.Kind.SELF
    _require(request, "programme.act_as_member" if is_self else "programme.coach_member", member)
    themes = selectors.themes_with_skills(member.cohort.framework)
    skills = [skill for theme in themes for skill in theme.skills.all()]
    existing = selectors.assessment_of(member, round, kind)
    form = AssessmentForm(
        request.POST or None,
        skills=skills,
        initial=AssessmentForm.initial_for(existing) if existing else {},
    )
    if request.method == "POST" and form.is_valid():
        assessor = (
            member.person if is_self else Person.objects.filter(user=user).first()  # type: ignore[misc]
        )
        if assessor is None:
            form.add_error(None, _("Your login has no person record, so it cannot sign this."))
        else:
            try:
                services.assessment_record(
                    member=member,
                    round=round,
                    kind=kind,
                    assessor=assessor,
                    assessed_on=form.cleaned_data["assessed_on"],
                    levels=form.levels(),
                    evidence=form.evidence(),
                    note=form.cleaned_data["note"],
                    # A form opened before anyone saved quotes version 0: a save made
                    # meanwhile by someone else is then a conflict, not overwritten.
                    version=form.cleaned_data["version"] or 0,
                    by=user,  # type: ignore[arg-type]
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The assessment was saved."))
                url = reverse("skills:assess", args=[member.pk, round, kind])
                return redirect(f"{url}?saved=1")
    # The CRC's own view of a skill sits beside the coach's rating, never mixed into it.
    self_levels: dict[int, int] = {}
    if not is_self:
        own = selectors.assessment_of(member, round, Assessment.Kind.SELF)
        self_levels = {r.skill_id: r.level for r in own.ratings.all()} if own else {}
    names = dict(_level_names())
    groups = []
    for theme in themes:
        cards = []
        for skill in theme.skills.all():
            level_field = form[f"skill_{skill.pk}"]
            chosen = str(level_field.value() or "")
            cards.append(
                {
                    "skill": skill,
                    "field": level_field,
                    "evidence": form[f"evidence_{skill.pk}"],
                    "options": [
                        {
                            "value": str(level),
                            "id": f"id_skill_{skill.pk}_{level}",
                            "name": names[level],
                            "descriptor": skill.descriptor(level),
                            "checked": chosen == str(level),
                        }
                        for level in LEVELS
                    ],
                    "self_level": self_levels.get(skill.pk),
                    "self_name": names.get(self_levels.get(skill.pk, 0), ""),
                }
            )
        groups.append((theme, cards))
    return render(
        request,
        "skills/assess.html",
        {
            "member": member,
            "cohort": member.cohort,
            "round_label": Round(round).label,
            "kind": kind,
            "is_self": is_self,
            "form": form,
            "groups": groups,
            "existing": existing,
            "saved": request.GET.get("saved") == "1" and request.method == "GET",
            "draft_key": f"assess-{member.pk}-{round}-{kind}",
            # Evidence for the second theme (observation and feedback): coaches' ratings of
            # the feedback this CRC wrote, before and after the cohort's feedback workshop.
            "feedback_quality": None
            if is_self
            else observation_selectors.feedback_quality_of(
                member.person_id, observation_selectors.default_split(member.cohort)
            ),
            "feedback_theme_order": 1,
        },
    )


# --- the skill matrix and growth ---------------------------------------------------------


def _cohort(request: HttpRequest, pk: Any) -> Cohort:
    _require(request, VIEW_PROGRAMME)
    return programme_selectors.cohort_get(request.user, pk)  # type: ignore[arg-type]


def _areas(request: HttpRequest, cohort: Cohort) -> list[OrgUnit]:
    """The districts and blocks of the cohort's CRCs that the user sees."""
    step = OrgUnit.steplen
    paths = {
        path[: n * step]
        for path in programme_selectors.crcs_for(request.user, cohort)  # type: ignore[arg-type]
        .order_by()
        .values_list("org_path", flat=True)
        .distinct()
        for n in range(1, len(path) // step)
    }
    if not paths:
        return []
    return list(
        org_selectors.orgunits_for(request.user)  # type: ignore[arg-type]
        .filter(path__in=paths, level__in=("district", "block"))
        .order_by("path")
    )


@login_required
def matrix(request: HttpRequest, pk: Any) -> HttpResponse:
    """CRCs × skills for one round, with the spread of levels over everyone in the filter."""
    user = request.user
    cohort = _cohort(request, pk)
    areas = _areas(request, cohort)
    themes = list(cohort.framework.themes.order_by("order", "code"))
    data = request.GET.copy()
    if not data.get("kind"):
        data["kind"] = Assessment.Kind.COACH
    if not data.get("round") and data["kind"] in Assessment.Kind.values:
        # The latest round with ratings: what people usually come to see.
        done = selectors.rounds_with_data(cohort, data["kind"])
        data["round"] = done[-1] if done else Round.BASELINE
    form = MatrixFilterForm(
        data,
        districts=[u for u in areas if u.level == "district"],
        blocks=[u for u in areas if u.level == "block"],
        themes=themes,
    )
    context: dict[str, Any] = {
        "cohort": cohort,
        "tab": "matrix",
        "form": form,
        "level_names": _level_names(),
    }
    if form.is_valid():
        kind = form.cleaned_data["kind"] or Assessment.Kind.COACH
        round = form.cleaned_data["round"] or Round.BASELINE
        within = form.cleaned_data["within"]
        crcs = programme_selectors.crcs_for(user, cohort, within=within.path if within else None)  # type: ignore[arg-type]
        result = selectors.skill_matrix(
            crcs,
            cohort,
            round=round,
            kind=kind,
            theme=form.cleaned_data["theme_obj"],
            page_number=request.GET.get("page"),
        )
        skills = result.skills
        # A cell depends only on its skill and level: each of the few distinct cells is
        # built once, so a page of 100 CRCs × 15 skills renders in milliseconds.
        cells = {(s.pk, level): _cell(s, level) for s in skills for level in (None, *LEVELS)}
        rows = [
            (
                member,
                mark_safe(  # noqa: S308 - joins cells escaped by format_html
                    "".join(cells[(s.pk, result.levels.get((member.pk, s.pk)))] for s in skills)
                ),
            )
            for member in result.page.object_list
        ]
        theme_spans: list[tuple[Any, int]] = []
        for skill in skills:
            if theme_spans and theme_spans[-1][0].pk == skill.theme_id:
                theme_spans[-1] = (theme_spans[-1][0], theme_spans[-1][1] + 1)
            else:
                theme_spans.append((skill.theme, 1))
        context.update(
            round=round,
            round_label=Round(round).label,
            kind=kind,
            kind_label=Assessment.Kind(kind).label,
            skills=skills,
            theme_spans=theme_spans,
            rows=rows,
            page=result.page,
            distribution=[
                (level, name, [result.distribution[s.pk][level] for s in skills])
                for level, name in _level_names()
            ],
            rated=result.rated,
            # What the tap/focus panel needs, written once instead of in every cell.
            cell_info={
                "skills": {str(s.pk): str(s) for s in skills},
                "descriptors": {
                    str(s.pk): {str(lv): s.descriptor(lv) for lv in LEVELS} for s in skills
                },
                "levels": {str(lv): name for lv, name in _level_names()},
                "labels": {"notRated": _("Not rated")},
            },
        )
    return render(request, "skills/matrix.html", context)


def _cell(skill: Any, level: int | None) -> str:
    """One cell of the matrix: the level printed and coloured, its descriptor on hover."""
    if level is None:
        title = _("Not rated")
    else:
        title = f"{level} {LEVEL_NAMES[level]}: {skill.descriptor(level)}"
    return format_html(
        '<td tabindex="0" class="cell level-{}" data-s="{}" data-l="{}" title="{}">{}</td>',
        level or "none",
        skill.pk,
        level or "",
        title,
        level or "–",
    )


def _growth_form(request: HttpRequest, cohort: Cohort) -> GrowthForm:
    data = request.GET.copy()
    if "before" not in data and "after" not in data:
        done = selectors.rounds_with_data(cohort)
        data["before"] = done[0] if len(done) > 1 else Round.BASELINE
        data["after"] = done[-1] if len(done) > 1 else Round.ENDLINE
    return GrowthForm(data, areas=_areas(request, cohort))


def _growth_query(form: GrowthForm) -> str:
    d = form.cleaned_data
    return urlencode(
        {
            "before": d["before"],
            "after": d["after"],
            **({"within": d["within"]} if d["within"] else {}),
        }
    )


@login_required
def growth(request: HttpRequest, pk: Any) -> HttpResponse:
    """Who moved up between two rounds: overall, per theme and per skill, with the test."""
    user = request.user
    cohort = _cohort(request, pk)
    form = _growth_form(request, cohort)
    context: dict[str, Any] = {"cohort": cohort, "tab": "growth", "form": form}
    if form.is_valid():
        unit = form.cleaned_data["within_unit"]
        crcs = programme_selectors.crcs_for(user, cohort, within=unit.path if unit else None)  # type: ignore[arg-type]
        before, after = form.cleaned_data["before"], form.cleaned_data["after"]
        report = selectors.growth_for(crcs, cohort, before=before, after=after)
        skills = selectors.skills_of(cohort)
        themes: list[Any] = []
        for skill in skills:
            if not themes or themes[-1][0].pk != skill.theme_id:
                themes.append((skill.theme, []))
            themes[-1][1].append(_growth_row(str(skill), report.skills.get(skill.pk)))
        context.update(
            before_label=Round(before).label,
            after_label=Round(after).label,
            unit=unit,
            overall=_growth_row(_("All skills"), report.overall),
            theme_rows=[_growth_row(str(t), report.themes.get(t.code)) for t, _rows in themes],
            skill_groups=[(t, rows) for t, rows in themes],
            chart_rows=[
                (level, name, report.ratings_before[level], report.ratings_after[level])
                for level, name in _level_names()
            ],
            query=_growth_query(form),
        )
    return render(request, "skills/growth.html", context)


def _growth_row(label: str, growth: Growth | None) -> dict[str, Any]:
    share = growth.share_moved_up if growth else None
    return {
        "label": label,
        "g": growth,
        "percent": round(share * 100) if share is not None else None,
    }


@login_required
def growth_chart(request: HttpRequest, pk: Any) -> HttpResponse:
    """The before/after distribution of levels as SVG, for the growth page's <img>."""
    cohort = _cohort(request, pk)
    form = _growth_form(request, cohort)
    if not form.is_valid():
        raise Http404
    unit = form.cleaned_data["within_unit"]
    crcs = programme_selectors.crcs_for(request.user, cohort, within=unit.path if unit else None)  # type: ignore[arg-type]
    before, after = form.cleaned_data["before"], form.cleaned_data["after"]
    report = selectors.growth_for(crcs, cohort, before=before, after=after)
    spec = charts.levels_before_after_spec(
        report.ratings_before,
        report.ratings_after,
        level_names=dict(_level_names()),
        before_label=str(Round(before).label),
        after_label=str(Round(after).label),
        count_label=_("Ratings"),
    )
    response = HttpResponse(charts.svg(spec), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response

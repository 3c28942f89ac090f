"""Every read of frameworks, assessments, the skill matrix and growth."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, CharField, Count, Max, QuerySet, When
from django.db.models.functions import Cast

from clusterwise.core.scope import get_or_404, prefix_q
from clusterwise.org.rules import is_state_admin

from .growth import GrowthReport, growth_report
from .models import Assessment, Framework, Rating, Round, Skill, Theme

if TYPE_CHECKING:
    from clusterwise.org.models import User
    from clusterwise.programme.models import Cohort, CohortMember

MATRIX_PAGE_SIZE = 100


def frameworks_for(user: User) -> QuerySet[Framework]:
    """Published and retired versions for everyone; drafts only for those who edit them."""
    frameworks = Framework.objects.all()
    if not is_state_admin(user):
        frameworks = frameworks.exclude(status=Framework.Status.DRAFT)
    return frameworks.order_by("key", "-version")


def framework_get(user: User, pk: Any) -> Framework:
    return get_or_404(frameworks_for(user), pk=pk)


def themes_with_skills(framework: Framework) -> list[Theme]:
    return list(framework.themes.prefetch_related("skills").order_by("order", "code"))


def skill_get(user: User, pk: Any) -> Skill:
    skill = get_or_404(Skill.objects.select_related("framework", "theme"), pk=pk)
    framework_get(user, skill.framework_id)
    return skill


def skills_of(cohort: Cohort, theme: Theme | None = None) -> list[Skill]:
    skills = Skill.objects.filter(framework_id=cohort.framework_id).select_related("theme")
    if theme is not None:
        skills = skills.filter(theme=theme)
    return list(skills.order_by("theme__order", "order", "code"))


def assessment_of(member: CohortMember, round: str, kind: str) -> Assessment | None:
    """A member's assessment (callers fetched `member` through scope)."""
    return (
        Assessment.objects.filter(member=member, round=round, kind=kind)
        .prefetch_related("ratings")
        .select_related("assessor")
        .first()
    )


def levels_of(member: CohortMember) -> dict[str, dict[str, dict[int, Rating]]]:
    """round → kind → skill id → rating, for one member's profile."""
    levels: dict[str, dict[str, dict[int, Rating]]] = defaultdict(lambda: defaultdict(dict))
    for rating in Rating.objects.filter(member=member):
        levels[rating.round][rating.kind][rating.skill_id] = rating
    return {r: dict(k) for r, k in levels.items()}


def rounds_with_data(cohort: Cohort, kind: str = Assessment.Kind.COACH) -> list[str]:
    done = set(
        Assessment.objects.filter(cohort=cohort, kind=kind)
        .order_by()  # the model's ordering would make DISTINCT return a row per member
        .values_list("round", flat=True)
        .distinct()
    )
    return [r for r in Round.values if r in done]


@dataclass
class SkillMatrix:
    skills: list[Skill]
    page: Page  # of CohortMember (CRCs)
    levels: dict[tuple[Any, int], int]  # (member id, skill id) → level
    distribution: dict[int, dict[int, int]]  # skill id → level → CRCs
    rated: int  # CRCs of the filter with a rating in this round


def skill_matrix(
    crcs: QuerySet[CohortMember],
    cohort: Cohort,
    *,
    round: str,
    kind: str = Assessment.Kind.COACH,
    theme: Theme | None = None,
    page_number: Any = 1,
) -> SkillMatrix:
    """CRCs × skills for one round: a page of rows, and the spread of levels over all rows.

    `crcs` comes from programme.selectors.crcs_for, so it is already scoped and filtered."""
    skills = skills_of(cohort, theme)
    page = Paginator(crcs.order_by("org_path", "person__name", "pk"), MATRIX_PAGE_SIZE).get_page(
        page_number
    )
    ratings = Rating.objects.filter(cohort=cohort, kind=kind, round=round)
    if theme is not None:
        ratings = ratings.filter(skill__theme=theme)
    levels = {
        (m, s): lv
        for m, s, lv in ratings.filter(member__in=[m.pk for m in page.object_list]).values_list(
            "member_id", "skill_id", "level"
        )
    }
    distribution: dict[int, dict[int, int]] = {s.pk: dict.fromkeys((1, 2, 3, 4), 0) for s in skills}
    in_filter = ratings.filter(member__in=crcs.values("pk"))
    for skill_id, level, n in (
        in_filter.values_list("skill_id", "level").annotate(n=Count("pk")).order_by()
    ):
        if skill_id in distribution:
            distribution[skill_id][level] = n
    rated = in_filter.values("member_id").distinct().count()
    return SkillMatrix(skills, page, levels, distribution, rated)


def growth_for(
    crcs: QuerySet[CohortMember], cohort: Cohort, *, before: str, after: str
) -> GrowthReport[int]:
    """Growth between two rounds of the coaches' assessments, over the given (scoped) CRCs."""
    skills = skills_of(cohort)
    before_levels: dict[Any, dict[int, int]] = defaultdict(dict)
    after_levels: dict[Any, dict[int, int]] = defaultdict(dict)
    member_ids = crcs.order_by().values("pk")
    # One row per CRC and skill with both rounds side by side, the member id as text: it
    # is only a key here, and turning 60,000 ids into UUID objects would cost more than the
    # query (docs/performance.md).
    pairs = (
        Rating.objects.filter(cohort=cohort, kind=Assessment.Kind.COACH, round__in=[before, after])
        .filter(member__in=member_ids)
        .order_by()
        .values("member_id", "skill_id")
        .annotate(
            member=Cast("member_id", CharField()),
            b=Max(Case(When(round=before, then="level"))),
            a=Max(Case(When(round=after, then="level"))),
        )
        .values_list("member", "skill_id", "b", "a")
    )
    members_sql = crcs.order_by().annotate(key=Cast("pk", CharField())).values_list("key")
    with connection.cursor() as cursor:
        cursor.execute(*pairs.query.sql_with_params())
        for member, skill_id, level_before, level_after in cursor.fetchall():
            if level_before is not None:
                before_levels[member][skill_id] = level_before
            if level_after is not None:
                after_levels[member][skill_id] = level_after
        cursor.execute(*members_sql.query.sql_with_params())
        members = [row[0] for row in cursor.fetchall()]
    themes: dict[str, list[int]] = defaultdict(list)
    for skill in skills:
        themes[skill.theme.code].append(skill.pk)
    return growth_report(
        before_levels,
        after_levels,
        skills=[s.pk for s in skills],
        themes=themes,
        members=members,
    )


def crcs_under(crcs: QuerySet[CohortMember], path: str | None) -> QuerySet[CohortMember]:
    return crcs.filter(prefix_q("org_path", path)) if path else crcs

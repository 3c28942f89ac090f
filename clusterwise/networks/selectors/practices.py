"""Reading the good-practice library: who sees which practice, search, and what a meeting
should look at.

Who sees what. A practice is no child's data and is written to travel, so it is not kept to
the subtree it came from: anyone who may view networks sees every practice shared from
their own state (the top unit of the tree, the country where the top level is national),
whichever cluster, block or district it came from. A teacher in cluster A reads what a
school in cluster B did; nobody reads another state's library (states run their own
programmes, languages and terms), except the people of a network a practice was recommended
to, so that a recommendation never leads to a "not found". Outside that, 404.

Who changes what. A practice is edited (and given files) by its author, by those who run
its network (`runs`: its facilitator, co-facilitators, managing officers above it), and by
officers who may manage networks over the unit it was shared from. "We tried it" is
recorded by the staff of a school (headteacher, teacher, leader of learning) for their own
school. A practice is recommended to a network by those who run that network or by anyone
who may facilitate networks (coach, CRC, leader of learning, officers), to a network they
see (`networks_for`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from clusterwise.core.scope import get_or_404, path_in_scope, prefix_q, scope_paths, scope_q
from clusterwise.org.models import Assignment, OrgUnit, Role, User

from ..models import (
    Attachment,
    Network,
    NetworkMember,
    NetworkSchool,
    Practice,
    PracticeTrial,
    Recommendation,
)
from .networks import _own_q, networks_for, runs

SEARCH_FIELDS = ("title", "problem", "what_was_done", "evidence")
MAX_QUERY = 200  # characters of a search that are read
MAX_MATCH_TAGS = 50  # tags a meeting may ask about at once
MAX_TAG_LENGTH = 40
SCHOOL_STAFF = (Role.HEADTEACHER, Role.TEACHER, Role.LEADER_OF_LEARNING)


# --- who sees what -----------------------------------------------------------------------


def _nothing() -> Q:
    return Q(pk__in=[])


def _visible_q(user: User) -> Q:
    paths = scope_paths(user)
    if "" in paths:
        return Q()  # a superuser's scope holds every state
    step = OrgUnit.steplen
    states = sorted({path[:step] for path in paths})
    same_state = [prefix_q("org_path", state) for state in states]
    recommended_to_mine = Recommendation.objects.filter(
        _own_q(user, prefix="network__"), practice=OuterRef("pk")
    )
    return reduce(or_, same_state, _nothing()) | Q(Exists(recommended_to_mine))


def practices_for(user: User) -> QuerySet[Practice]:
    """The practices a user may read (see the module's docstring), newest first."""
    if not user.is_authenticated or not user.has_perm("networks.view_networks"):
        return Practice.objects.none()
    return (
        Practice.objects.filter(_visible_q(user))
        .select_related("school", "network", "org_unit")
        .order_by("-created_at", "pk")
    )


def practice_get(user: User, pk: Any) -> Practice:
    """One practice the user may read; 404 otherwise."""
    return get_or_404(practices_for(user).select_related("created_by"), pk=pk)


def attachment_get(user: User, pk: Any) -> Attachment:
    """A practice's file, for those who may read the practice; 404 otherwise."""
    return get_or_404(
        Attachment.objects.filter(practice__in=practices_for(user).values("pk")), pk=pk
    )


def may_edit(user: User, practice: Practice) -> bool:
    """Its author, those who run its network, and officers over the unit it came from."""
    if not user.is_authenticated:
        return False
    if practice.created_by_id is not None and practice.created_by_id == user.pk:
        return True
    if user.has_perm("networks.manage_networks") and path_in_scope(user, practice.org_path):
        return True
    return practice.network is not None and runs(user, practice.network)


def may_recommend(user: User, network: Network | None = None) -> bool:
    """May facilitate networks, or runs `network` (when given: a co-facilitating head)."""
    if user.has_perm("networks.facilitate"):
        return True
    return network is not None and runs(user, network)


def recommend_targets(user: User, practice: Practice, limit: int = 200) -> list[Network]:
    """Open networks the user may point this practice to and has not yet: their own first."""
    networks = (
        networks_for(user)
        .filter(closed_on__isnull=True)
        .exclude(Exists(Recommendation.objects.filter(practice=practice, network=OuterRef("pk"))))
    )
    if not user.has_perm("networks.facilitate"):
        co_facilitating = NetworkMember.objects.filter(
            Q(left_on__isnull=True) | Q(left_on__gt=timezone.localdate()),
            network=OuterRef("pk"),
            person__user=user,
            role=NetworkMember.Role.CO_FACILITATOR,
        )
        networks = networks.filter(Q(facilitator__user=user) | Q(Exists(co_facilitating)))
    own = Case(When(facilitator__user=user, then=Value(0)), default=Value(1))
    return list(networks.annotate(own=own).order_by("own", "name", "pk")[:limit])


def own_schools(user: User) -> QuerySet[OrgUnit]:
    """The schools where the user holds a post as staff: where they may say "we tried it"."""
    posts = Assignment.objects.active().filter(person__user=user, role__in=SCHOOL_STAFF)
    return OrgUnit.objects.filter(
        level=settings.ORG_SCHOOL_LEVEL, pk__in=posts.values("org_unit")
    ).order_by("name")


def share_places(user: User) -> tuple[list[OrgUnit], list[Network]]:
    """Schools and networks a user may say a practice comes from, bounded for a form: their
    own schools and the schools of the networks they take part in; those networks."""
    networks = list(
        networks_for(user).filter(_own_q(user), closed_on__isnull=True).order_by("name", "pk")[:100]
    )
    today = timezone.localdate()
    of_networks = NetworkSchool.objects.filter(
        Q(left_on__isnull=True) | Q(left_on__gt=today), network__in=[n.pk for n in networks]
    )
    schools = OrgUnit.objects.filter(
        Q(pk__in=own_schools(user).values("pk")) | Q(pk__in=of_networks.values("school"))
    ).order_by("name", "pk")[:300]
    return list(schools), networks


# --- tags ----------------------------------------------------------------------------------


def _has_any_tag_q(tags: list[str]) -> Q:
    """Practices carrying at least one of `tags`, in SQL on both databases.

    JSONField's `contains` is jsonb containment on PostgreSQL (served by a GIN index if one
    is added) but is not supported on SQLite, where json_each unpacks the list instead."""
    if not tags:
        return _nothing()
    if connection.vendor == "sqlite":
        table, pk = Practice._meta.db_table, Practice._meta.pk.column
        marks = ", ".join(["%s"] * len(tags))
        # Its own aliases: safe inside any outer query, correlated with none.
        sql = (
            f'SELECT "p"."{pk}" FROM "{table}" "p", json_each("p"."tags") "t" '  # noqa: S608
            f'WHERE "t"."value" IN ({marks})'
        )
        return Q(pk__in=RawSQL(sql, tuple(tags)))  # noqa: S611 - the tags are bound parameters
    return reduce(or_, (Q(tags__contains=[tag]) for tag in tags))


def tag_clean(raw: str) -> str:
    """One tag as it is stored and compared: NFC, lower-case, single spaces, no leading '#'."""
    return " ".join(unicodedata.normalize("NFC", str(raw)).lower().split()).lstrip("#").strip()


def _loose_tags(tags: Iterable[str]) -> list[str]:
    """Tags as the services store them, skipping what could never be one (no errors)."""
    seen: dict[str, None] = {}
    for raw in tags:
        tag = tag_clean(raw)
        if tag and len(tag) <= MAX_TAG_LENGTH:
            seen.setdefault(tag, None)
    return list(seen)[:MAX_MATCH_TAGS]


def popular_tags(user: User, *, among: int = 300, top: int = 15) -> list[tuple[str, int]]:
    """The commonest tags of the newest practices in view, for the library's filter."""
    counts: Counter[str] = Counter()
    for tags in practices_for(user).values_list("tags", flat=True)[:among]:
        counts.update(tag for tag in (tags or []) if isinstance(tag, str))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


# --- search --------------------------------------------------------------------------------


def _trial_count(outcome: str | None = None) -> Coalesce:
    trials = PracticeTrial.objects.filter(practice=OuterRef("pk"))
    if outcome:
        trials = trials.filter(outcome=outcome)
    counted = trials.order_by().values("practice").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_outcomes(practices: QuerySet[Practice]) -> QuerySet[Practice]:
    """Each practice with `tried` (schools that tried it) and `worked` (where it worked)."""
    return practices.annotate(
        tried=_trial_count(), worked=_trial_count(PracticeTrial.Outcome.WORKED)
    )


_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')


def search_terms(query: str) -> tuple[list[list[str]], list[str]]:
    """A web-style query read as PostgreSQL's websearch_to_tsquery reads it: groups of
    alternatives (`a or b`) that must all match, "quoted phrases", and -excluded words."""
    groups: list[list[str]] = []
    excluded: list[str] = []
    join_next = False
    for match in _TOKEN.finditer(query[:MAX_QUERY]):
        negative, phrase, word = match.group(1), match.group(2), match.group(3)
        if word is not None:
            if word.lower() == "or" and groups:
                join_next = True
                continue
            negative, term = ("-", word[1:]) if word.startswith("-") else ("", word)
        else:
            term = " ".join(phrase.split())
        term = term.strip("\"'.,;:!?()[]{}")
        if not term:
            continue
        if negative:
            excluded.append(term)
        elif join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    return groups, excluded


def _in_any_field(term: str) -> Q:
    return reduce(or_, (Q(**{f"{field}__icontains": term}) for field in SEARCH_FIELDS))


def _search_portable(practices: QuerySet[Practice], query: str) -> QuerySet[Practice]:
    """Every group of the query in some field (case-insensitive, as a substring), no
    excluded word; ranked by how many fields hold a term, then newest."""
    groups, excluded = search_terms(query)
    for group in groups:
        practices = practices.filter(reduce(or_, (_in_any_field(term) for term in group)))
    for term in excluded:
        practices = practices.exclude(_in_any_field(term))
    terms = [term for group in groups for term in group]
    rank: Any = Value(0)
    for field in SEARCH_FIELDS:
        if terms:
            holds = reduce(or_, (Q(**{f"{field}__icontains": term}) for term in terms))
            rank = rank + Case(
                When(holds, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
    return practices.annotate(rank=rank).order_by("-rank", "-created_at", "pk")


def _search_postgres(practices: QuerySet[Practice], query: str) -> QuerySet[Practice]:
    """Full-text search with the 'simple' configuration (no stemming, no stop words), so
    Hindi, Marathi and Swahili are matched word for word as English is."""
    vector = (
        SearchVector("title", weight="A", config="simple")
        + SearchVector("problem", "what_was_done", weight="B", config="simple")
        + SearchVector("evidence", weight="C", config="simple")
    )
    wanted = SearchQuery(query[:MAX_QUERY], search_type="websearch", config="simple")
    return (
        practices.annotate(document=vector)
        .filter(document=wanted)
        .annotate(rank=SearchRank(F("document"), wanted))
        .order_by("-rank", "-created_at", "pk")
    )


def practice_search(
    user: User,
    query: str,
    *,
    tags: Iterable[str] = (),
    language: str | None = None,
    network: Network | None = None,
) -> QuerySet[Practice]:
    """The practices a user may read that match a query, every tag, a language and a network,
    best match first (newest first without a query), each with `tried` and `worked`."""
    practices = practices_for(user)
    for tag in _loose_tags(tags):
        practices = practices.filter(_has_any_tag_q([tag]))
    if language:
        practices = practices.filter(language=language)
    if network is not None:
        practices = practices.filter(network=network)
    query = (query or "").strip()[:MAX_QUERY]
    if any(search_terms(query)):  # punctuation alone is no query, on either database
        if connection.vendor == "postgresql":
            practices = _search_postgres(practices, query)
        else:
            practices = _search_portable(practices, query)
    return with_outcomes(practices)


# --- for meetings and dashboards ---------------------------------------------------------


def practices_matching(tags: Iterable[str], *, user: User, limit: int = 5) -> list[Practice]:
    """For a meeting's data pack: practices the user may read carrying any of `tags`
    (agenda words or topics, cleaned as tags are), those that worked in most schools first.
    Each has `tried`, `worked` and `matched_tags` (the tags it shares with the agenda)."""
    wanted = _loose_tags(tags)
    if not wanted or limit <= 0:
        return []
    found = list(
        with_outcomes(practices_for(user).filter(_has_any_tag_q(wanted))).order_by(
            F("worked").desc(), F("tried").desc(), "-created_at", "pk"
        )[:limit]
    )
    wanted_set = set(wanted)
    for practice in found:
        practice.matched_tags = [t for t in practice.tags if t in wanted_set]  # type: ignore[attr-defined]
    return found


@dataclass(frozen=True)
class PracticeFigures:
    """The library in the user's area: practices shared from it, trials by its schools
    (and where it worked), recommendations to the networks the user sees."""

    shared: int
    tried: int
    worked: int
    recommended: int


def practice_figures(user: User) -> PracticeFigures:
    """Counts for a dashboard, within the user's area (three queries)."""
    if not user.is_authenticated or not user.has_perm("networks.view_networks"):
        return PracticeFigures(0, 0, 0, 0)
    shared = Practice.objects.filter(scope_q(user, "org_path")).count()
    trials = PracticeTrial.objects.filter(scope_q(user, "school_path")).aggregate(
        tried=Count("pk"), worked=Count("pk", filter=Q(outcome=PracticeTrial.Outcome.WORKED))
    )
    recommended = Recommendation.objects.filter(
        network__in=networks_for(user).order_by().values("pk")
    ).count()
    return PracticeFigures(
        shared=shared, tried=trials["tried"], worked=trials["worked"], recommended=recommended
    )


def trials_of(practice: Practice) -> QuerySet[PracticeTrial]:
    return practice.trials.select_related("school").order_by("-tried_on", "school__name")


def recommendations_seen(user: User, practice: Practice) -> QuerySet[Recommendation]:
    """Where the practice was recommended, among the networks the user sees."""
    return (
        practice.recommendations.filter(network__in=networks_for(user).order_by().values("pk"))
        .select_related("network", "created_by")
        .order_by("-created_at")
    )

"""Reads of the peer-review cycle: a network's cycles, a cycle's board (self vs peer per area),
what blocks a cycle from moving on, the findings, school-to-school support, one school's
history across years, and who may write which review.

Every cycle is reached through `networks.network_get` / `networks_for`, so a network outside
the user's view answers 404 here too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from clusterwise.core.i18n import localized
from clusterwise.core.scope import get_or_404, prefix_q
from clusterwise.org.models import Assignment, OrgUnit, Person, User

from ..models import (
    Action,
    ActionPlan,
    AreaRating,
    Attachment,
    Network,
    NetworkMember,
    NetworkSchool,
    ReviewArea,
    ReviewCycle,
    ReviewFramework,
    SchoolReview,
    SupportLink,
    SupportSession,
)
from .networks import member_of, network_get, networks_for, person_of, runs, schools_of

Stage = ReviewCycle.Stage
STAGES = [Stage.SELF_REVIEW, Stage.PEER_REVIEW, Stage.WORKSHOP, Stage.SUPPORT, Stage.CLOSED]
NEXT_STAGE = dict(pairwise(STAGES))
# The stage in which each kind of review is written.
STAGE_OF_KIND = {
    SchoolReview.Kind.SELF: Stage.SELF_REVIEW,
    SchoolReview.Kind.PEER: Stage.PEER_REVIEW,
}
RATINGS = (1, 2, 3, 4)
WEAK = (1, 2)  # an area rated 1–2 is a finding to act on, and a school that may be helped
STRONG = (3, 4)  # an area rated 3–4 is one a school may help others with
PLAN_KINDS = (ActionPlan.Kind.NETWORK, ActionPlan.Kind.SCHOOL)


# --- cycles ------------------------------------------------------------------------------


def cycles_for(user: User) -> QuerySet[ReviewCycle]:
    """Every cycle of the networks a user sees."""
    return ReviewCycle.objects.filter(network__in=networks_for(user)).select_related(
        "network", "framework"
    )


def cycles_of(network: Network) -> QuerySet[ReviewCycle]:
    """A network's cycles, newest first (the network comes from `network_get`)."""
    return network.cycles.select_related("framework").order_by("-year")


def cycle_get(user: User, network_pk: Any, year: Any) -> ReviewCycle:
    """One year's cycle of a network the user sees; 404 otherwise."""
    network = network_get(user, network_pk)
    cycle = get_or_404(network.cycles.select_related("framework", "workshop"), year=year)
    cycle.network = network  # the gated instance, with its owner and facilitator loaded
    return cycle


def school_of(network: Network, school_pk: Any, *, current: bool = True) -> OrgUnit:
    """A school of the network (a current member unless `current=False`); 404 otherwise."""
    links = NetworkSchool.objects.filter(network=network).select_related("school")
    if current:
        today = timezone.localdate()
        links = links.filter(Q(left_on__isnull=True) | Q(left_on__gt=today))
    return get_or_404(links, school_id=school_pk).school


def review_of(cycle: ReviewCycle, school: OrgUnit, kind: str) -> SchoolReview | None:
    """A school's review of one kind in a cycle, with its ratings, reviewers and files."""
    return (
        cycle.reviews.filter(school=school, kind=kind)
        .prefetch_related(
            Prefetch("ratings", queryset=AreaRating.objects.select_related("area")),
            "reviewers",
            "files",
        )
        .first()
    )


def attachment_get(user: User, network_pk: Any, pk: Any) -> Attachment:
    """A review's evidence file, for those who see its network; 404 otherwise."""
    network = network_get(user, network_pk)
    return get_or_404(
        Attachment.objects.filter(review__cycle__network=network).select_related(
            "review__cycle__network", "review__school"
        ),
        pk=pk,
    )


def areas_of(cycle: ReviewCycle) -> list[ReviewArea]:
    return list(cycle.framework.areas.order_by("order"))


# --- frameworks -------------------------------------------------------------------------


def frameworks_usable() -> list[ReviewFramework]:
    """The newest version of each framework: what a new cycle may use."""
    newest = ReviewFramework.objects.values("key").annotate(v=Max("version"))
    q = Q(pk__in=[])
    for row in newest:
        q |= Q(key=row["key"], version=row["v"])
    return list(ReviewFramework.objects.filter(q).order_by("key"))


def frameworks_all() -> QuerySet[ReviewFramework]:
    """Every version, with how many areas it has and how many cycles use it."""
    cycles = (
        ReviewCycle.objects.filter(framework=OuterRef("pk"))
        .order_by()
        .values("framework")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return ReviewFramework.objects.annotate(
        n_areas=Count("areas"), n_cycles=Coalesce(Subquery(cycles), 0)
    ).order_by("key", "-version")


def framework_in_use(framework: ReviewFramework) -> bool:
    return ReviewCycle.objects.filter(framework=framework).exists()


def framework_export(framework: ReviewFramework) -> dict[str, Any]:
    """A version in its JSON form (as `review_framework_load` reads it), to edit and load back."""
    return {
        "key": framework.key,
        "version": framework.version,
        "name": framework.name,
        "scale": framework.scale,
        "areas": [
            {"code": a.code, "name": a.name, "guidance": a.guidance}
            for a in framework.areas.order_by("order")
        ],
    }


# --- the board ---------------------------------------------------------------------------


@dataclass
class AreaRow:
    area: ReviewArea
    self_rating: int | None
    peer_rating: int | None

    @property
    def gap(self) -> int | None:
        """Peer minus self: negative when the school rated itself higher than its peers did."""
        if self.self_rating is None or self.peer_rating is None:
            return None
        return self.peer_rating - self.self_rating


@dataclass
class SchoolRow:
    school: OrgUnit
    self_review: SchoolReview | None
    peer_review: SchoolReview | None
    areas: list[AreaRow]

    @property
    def self_status(self) -> str:
        return self.self_review.status if self.self_review else "missing"

    @property
    def peer_status(self) -> str:
        return self.peer_review.status if self.peer_review else "missing"


@dataclass
class Board:
    cycle: ReviewCycle
    areas: list[ReviewArea]
    rows: list[SchoolRow]

    def count(self, kind: str) -> int:
        """How many schools have submitted a review of this kind."""
        attr = "self_review" if kind == SchoolReview.Kind.SELF else "peer_review"
        submitted = SchoolReview.Status.SUBMITTED
        return sum(1 for r in self.rows if (rv := getattr(r, attr)) and rv.status == submitted)


def board(cycle: ReviewCycle) -> Board:
    """Per member school: the status of both reviews and, per area, the self and peer rating
    side by side (submitted reviews only: a draft may still change). Four queries."""
    areas = areas_of(cycle)
    schools = [link.school for link in schools_of(cycle.network)]
    reviews: dict[tuple[Any, str], SchoolReview] = {
        (r.school_id, r.kind): r
        for r in cycle.reviews.prefetch_related(
            Prefetch("ratings", queryset=AreaRating.objects.only("review_id", "area_id", "rating"))
        )
    }
    submitted = SchoolReview.Status.SUBMITTED
    rows = []
    for school in schools:
        own = reviews.get((school.pk, SchoolReview.Kind.SELF))
        peer = reviews.get((school.pk, SchoolReview.Kind.PEER))

        def ratings(review: SchoolReview | None) -> dict[int, int]:
            if review is None or review.status != submitted:
                return {}
            return {r.area_id: r.rating for r in review.ratings.all()}

        mine, theirs = ratings(own), ratings(peer)
        rows.append(
            SchoolRow(
                school=school,
                self_review=own,
                peer_review=peer,
                areas=[AreaRow(a, mine.get(a.pk), theirs.get(a.pk)) for a in areas],
            )
        )
    return Board(cycle=cycle, areas=areas, rows=rows)


def _names(schools: list[OrgUnit]) -> str:
    return ", ".join(s.name for s in schools)


def cycle_blockers(cycle: ReviewCycle) -> list[str]:
    """What keeps the cycle from moving to its next stage, in words that name the schools
    (empty when it may move on). `services.reviews.cycle_advance` refuses with these."""
    if cycle.stage == Stage.CLOSED:
        return [_("The cycle is closed.")]
    schools = [link.school for link in schools_of(cycle.network)]
    if cycle.stage in (Stage.SELF_REVIEW, Stage.PEER_REVIEW):
        if not schools:
            return [_("The network has no member schools.")]
        kind = (
            SchoolReview.Kind.SELF if cycle.stage == Stage.SELF_REVIEW else SchoolReview.Kind.PEER
        )
        done = set(
            cycle.reviews.filter(kind=kind, status=SchoolReview.Status.SUBMITTED).values_list(
                "school_id", flat=True
            )
        )
        missing = [s for s in schools if s.pk not in done]
        if not missing:
            return []
        if kind == SchoolReview.Kind.SELF:
            return [
                _("No submitted self-review yet from: %(schools)s.") % {"schools": _names(missing)}
            ]
        return [_("No submitted peer review yet of: %(schools)s.") % {"schools": _names(missing)}]
    if cycle.stage == Stage.WORKSHOP:
        has_plan = ActionPlan.objects.filter(
            cycle=cycle, kind__in=PLAN_KINDS, actions__isnull=False
        ).exists()
        if not has_plan:
            return [
                _(
                    "The improvement workshop has not made an action plan with at least one "
                    "action yet."
                )
            ]
    return []


# --- findings, plans and support ----------------------------------------------------------


def final_ratings(cycle: ReviewCycle) -> dict[tuple[Any, int], int]:
    """(school id, area id) → the rating that counts: the peer review's when submitted,
    the self-review's otherwise. One query."""
    rows = AreaRating.objects.filter(
        review__cycle=cycle, review__status=SchoolReview.Status.SUBMITTED
    ).values_list("review__school_id", "review__kind", "area_id", "rating")
    result: dict[tuple[Any, int], int] = {}
    for school_id, kind, area_id, rating in rows:
        if kind == SchoolReview.Kind.PEER or (school_id, area_id) not in result:
            result[(school_id, area_id)] = rating
    return result


@dataclass
class Finding:
    area: ReviewArea
    weak: list[tuple[OrgUnit, int]] = field(default_factory=list)
    strong: list[tuple[OrgUnit, int]] = field(default_factory=list)


def findings(cycle: ReviewCycle) -> list[Finding]:
    """Per area: the member schools rated 1–2 (to act on) and 3–4 (who may help)."""
    ratings = final_ratings(cycle)
    schools = [link.school for link in schools_of(cycle.network)]
    result = []
    for area in areas_of(cycle):
        finding = Finding(area=area)
        for school in schools:
            rating = ratings.get((school.pk, area.pk))
            if rating in WEAK:
                finding.weak.append((school, rating))
            elif rating in STRONG:
                finding.strong.append((school, rating))
        finding.weak.sort(key=lambda pair: (pair[1], pair[0].name))
        finding.strong.sort(key=lambda pair: (-pair[1], pair[0].name))
        result.append(finding)
    return result


def suggested_goals(cycle: ReviewCycle, school: OrgUnit | None = None) -> list[str]:
    """The areas rated 1–2 (for one school, or across the network), as goals to start from."""
    goals = []
    for finding in findings(cycle):
        weak = [(s, r) for s, r in finding.weak if school is None or s.pk == school.pk]
        if not weak:
            continue
        area = localized(finding.area.name)
        if school is not None:
            goals.append(_("%(area)s: from %(rating)s to 3") % {"area": area, "rating": weak[0][1]})
        else:
            names = ", ".join(f"{s.name} ({r})" for s, r in weak)
            goals.append(_("%(area)s: %(schools)s") % {"area": area, "schools": names})
    return goals


def plans_of(cycle: ReviewCycle) -> QuerySet[ActionPlan]:
    """The action plans the workshop made, with their actions and owners."""
    return (
        ActionPlan.objects.filter(cycle=cycle)
        .select_related("org_unit")
        .prefetch_related(
            Prefetch("actions", queryset=Action.objects.select_related("owner").order_by("due_on"))
        )
        .order_by("kind", "title")
    )


@dataclass
class Pair:
    """A suggested support link: a school rated 3–4 on an area helps one rated 1–2."""

    area: ReviewArea
    helping: OrgUnit
    helped: OrgUnit
    helping_rating: int
    helped_rating: int


def support_pairs_suggested(cycle: ReviewCycle) -> list[Pair]:
    """For each school rated 1–2 on an area, the school best placed to help it: the highest
    rated, then the one helping least so far (so one strong school is not asked for
    everything). Areas already covered by a link are left out."""
    linked = set(cycle.links.values_list("helped_id", "area_id"))
    load: dict[Any, int] = defaultdict(int)
    for helping_id in cycle.links.values_list("helping_id", flat=True):
        load[helping_id] += 1
    pairs = []
    for finding in findings(cycle):
        if not finding.strong:
            continue
        for helped, helped_rating in finding.weak:
            if (helped.pk, finding.area.pk) in linked:
                continue
            helping, helping_rating = min(
                finding.strong, key=lambda pair: (-pair[1], load[pair[0].pk], pair[0].name)
            )
            load[helping.pk] += 1
            pairs.append(Pair(finding.area, helping, helped, helping_rating, helped_rating))
    return pairs


def support_of(cycle: ReviewCycle) -> QuerySet[SupportLink]:
    """The cycle's support links with their sessions, newest first."""
    return (
        cycle.links.select_related("helping", "helped", "area")
        .prefetch_related(
            Prefetch("sessions", queryset=SupportSession.objects.order_by("-held_on"))
        )
        .order_by("helped__name", "helping__name")
    )


def support_link_get(cycle: ReviewCycle, pk: Any) -> SupportLink:
    return get_or_404(cycle.links.select_related("helping", "helped", "area"), pk=pk)


# --- one school across the years ------------------------------------------------------------


@dataclass
class HistoryColumn:
    cycle: ReviewCycle
    self_review: SchoolReview | None = None
    peer_review: SchoolReview | None = None


@dataclass
class History:
    school: OrgUnit
    columns: list[HistoryColumn]
    # (area name, [(self rating, peer rating) per column]); areas matched by code across
    # framework versions, named as in the newest.
    rows: list[tuple[str, list[tuple[int | None, int | None]]]]


def school_history(user: User, school: OrgUnit) -> History:
    """A school's submitted reviews in every cycle of the networks the user sees, newest
    year first. Three queries."""
    reviews = (
        SchoolReview.objects.filter(
            cycle__network__in=networks_for(user),
            school=school,
            status=SchoolReview.Status.SUBMITTED,
        )
        .select_related("cycle__network")
        .prefetch_related(
            Prefetch("ratings", queryset=AreaRating.objects.select_related("area")),
        )
        .order_by("-cycle__year", "cycle__network__name")
    )
    columns: dict[Any, HistoryColumn] = {}
    names: dict[str, str] = {}
    order: dict[str, tuple[int, int]] = {}
    cells: dict[tuple[Any, str], list[int | None]] = defaultdict(lambda: [None, None])
    for review in reviews:
        column = columns.setdefault(review.cycle_id, HistoryColumn(cycle=review.cycle))
        if review.kind == SchoolReview.Kind.SELF:
            column.self_review = review
        else:
            column.peer_review = review
        index = 0 if review.kind == SchoolReview.Kind.SELF else 1
        for rating in review.ratings.all():
            code = rating.area.code
            names.setdefault(code, localized(rating.area.name))  # newest first
            order.setdefault(code, (len(order), rating.area.order))
            cells[(review.cycle_id, code)][index] = rating.rating
    codes = sorted(names, key=lambda c: order[c][1])
    rows = [
        (
            names[code],
            [
                (cells[(cid, code)][0], cells[(cid, code)][1])
                if (cid, code) in cells
                else (None, None)
                for cid in columns
            ],
        )
        for code in codes
    ]
    return History(school=school, columns=list(columns.values()), rows=rows)


# --- who may do what -------------------------------------------------------------------------


@dataclass
class Ties:
    """How a user stands to a network's schools: what decides which reviews they write."""

    person: Person | None
    member: NetworkMember | None
    facilitates: bool  # the facilitator or a co-facilitator (not an officer above)
    posted: tuple[str, ...]  # tree paths of the person's current posts

    def from_school(self, school: OrgUnit) -> bool:
        if self.member is not None and self.member.school_id == school.pk:
            return True
        return any(path.startswith(school.path) for path in self.posted)

    def writes(self, school: OrgUnit, kind: str) -> bool:
        """A school's own headteacher and teachers in the network write its self-review;
        members from its other schools, and its facilitators, write its peer review."""
        if kind == SchoolReview.Kind.SELF:
            return self.member is not None and self.member.school_id == school.pk
        if self.person is None or self.from_school(school):
            return False
        return self.facilitates or (self.member is not None and self.member.school_id is not None)


def ties(user: User, network: Network) -> Ties:
    """Three queries at most, whatever the number of schools."""
    person = person_of(user)
    if person is None:
        return Ties(person=None, member=None, facilitates=False, posted=())
    member = member_of(user, network)
    facilitating = network.facilitator_id == person.pk or (
        member is not None and member.role == NetworkMember.Role.CO_FACILITATOR
    )
    posted = tuple(
        Assignment.objects.active().filter(person=person).values_list("org_path", flat=True)
    )
    return Ties(person=person, member=member, facilitates=facilitating, posted=posted)


def writes_review(user: User, network: Network, school: OrgUnit, kind: str) -> bool:
    return ties(user, network).writes(school, kind)


def writable(user: User, network: Network, schools: list[OrgUnit]) -> dict[Any, list[str]]:
    """School id → the kinds of review the user may write for it (in any stage)."""
    mine = ties(user, network)
    return {
        school.pk: [k for k in SchoolReview.Kind.values if mine.writes(school, k)]
        for school in schools
    }


def people_from_school(network: Network, school: OrgUnit, people: list[Any]) -> set[Any]:
    """Which of `people` (ids) belong to `school`: a member of the network for that school,
    or posted there now."""
    ids = set(
        network.members.filter(school=school, person_id__in=people).values_list(
            "person_id", flat=True
        )
    )
    ids |= set(
        Assignment.objects.active()
        .filter(prefix_q("org_path", school.path), person_id__in=people)
        .values_list("person_id", flat=True)
    )
    return ids


def logs_support(user: User, link: SupportLink, network: Network) -> bool:
    """Those who run the network, and the members of either school, log support sessions."""
    if runs(user, network):
        return True
    member = member_of(user, network)
    return member is not None and member.school_id in (link.helping_id, link.helped_id)


def reviewer_choices(network: Network, school: OrgUnit) -> QuerySet[Person]:
    """Who may be on a school's peer-review team: the network's current members from its
    other schools, and its facilitator."""
    today = timezone.localdate()
    members = network.members.filter(Q(left_on__isnull=True) | Q(left_on__gt=today))
    q = Q(
        pk__in=members.filter(school__isnull=False).exclude(school=school).values("person_id")
    ) | Q(pk__in=members.filter(role=NetworkMember.Role.CO_FACILITATOR).values("person_id"))
    if network.facilitator_id:
        q |= Q(pk=network.facilitator_id)
    posted_there = Assignment.objects.active().filter(prefix_q("org_path", school.path))
    return (
        Person.objects.filter(q)
        .exclude(pk__in=posted_there.values("person_id"))
        .exclude(pk__in=members.filter(school=school).values("person_id"))
        .order_by("name")
    )

"""The networks' health for a district or the state: one row per child unit (a district's
blocks, the state's districts), and a map of member schools coloured by network.

A network counts under the child unit that holds its owner; networks owned by the unit
itself (a district-wide network) get a row of their own."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone

from clusterwise.core.scope import prefix_q
from clusterwise.org.models import OrgUnit, User

from ..models import (
    Action,
    Attendance,
    Meeting,
    NetworkSchool,
    Practice,
    PracticeTrial,
    SchoolReview,
)
from .networks import networks_for

MAP_MAX_SCHOOLS = 20_000  # beyond this the map asks for a smaller unit


@dataclass
class Row:
    unit: OrgUnit | None  # None: networks owned by the unit itself
    networks: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    held: int = 0
    planned: int = 0
    present: int = 0
    expected: int = 0
    made: int = 0
    kept: int = 0
    overdue: int = 0
    peer_reviews: int = 0
    practices: int = 0
    reused: int = 0

    @property
    def attendance(self) -> float | None:
        return round(100 * self.present / self.expected) if self.expected else None

    @property
    def kept_share(self) -> float | None:
        return round(100 * self.kept / self.made) if self.made else None


def health_by_unit(
    user: User, unit: OrgUnit, *, year_ago: datetime.date | None = None
) -> list[Row]:
    """The unit's children's rows (and the unit's own), over the last twelve months."""
    today = timezone.localdate()
    since = year_ago or today - datetime.timedelta(days=365)
    width = len(unit.path) + OrgUnit.steplen
    children = {
        c.path: c for c in OrgUnit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1)
    }
    rows: dict[str, Row] = {
        p: Row(unit=c) for p, c in sorted(children.items(), key=lambda i: i[1].name)
    }
    own = Row(unit=None)

    def row_of(path: str) -> Row:
        return rows.get(path[:width], own) if len(path) >= width else own

    networks = networks_for(user).filter(prefix_q("org_path", unit.path), closed_on__isnull=True)
    network_row: dict[Any, Row] = {}
    for pk, path, kind in networks.values_list("pk", "org_path", "kind"):
        row = row_of(path)
        network_row[pk] = row
        row.networks += 1
        row.kinds[kind] = row.kinds.get(kind, 0) + 1
    ids = list(network_row)

    for m in (
        Meeting.objects.filter(network__in=ids, starts_at__date__gte=since)
        .values("network")
        .annotate(
            held=Count("pk", filter=Q(status=Meeting.Status.HELD)),
            planned=Count("pk", filter=~Q(status=Meeting.Status.CANCELLED)),
        )
    ):
        network_row[m["network"]].held += m["held"]
        network_row[m["network"]].planned += m["planned"]
    for a in (
        Attendance.objects.filter(meeting__network__in=ids, meeting__starts_at__date__gte=since)
        .values("meeting__network")
        .annotate(n=Count("pk"), present=Count("pk", filter=Q(present=True)))
    ):
        network_row[a["meeting__network"]].expected += a["n"]
        network_row[a["meeting__network"]].present += a["present"]
    for act in (
        Action.objects.filter(made_in__network__in=ids, created_at__date__gte=since)
        .values("made_in__network")
        .annotate(
            made=Count("pk"),
            kept=Count("pk", filter=Q(status=Action.Status.DONE)),
            overdue=Count(
                "pk",
                filter=Q(
                    status__in=[Action.Status.OPEN, Action.Status.IN_PROGRESS], due_on__lt=today
                ),
            ),
        )
    ):
        row = network_row[act["made_in__network"]]
        row.made += act["made"]
        row.kept += act["kept"]
        row.overdue += act["overdue"]
    for r in (
        SchoolReview.objects.filter(
            cycle__network__in=ids,
            kind=SchoolReview.Kind.PEER,
            status=SchoolReview.Status.SUBMITTED,
        )
        .values("cycle__network")
        .annotate(n=Count("pk"))
    ):
        network_row[r["cycle__network"]].peer_reviews += r["n"]
    for p in (
        Practice.objects.filter(prefix_q("org_path", unit.path))
        .annotate(at=Substr("org_path", 1, width))
        .values("at")
        .annotate(n=Count("pk"))
    ):
        row_of(p["at"]).practices += p["n"]
    for t in (
        PracticeTrial.objects.filter(prefix_q("school_path", unit.path))
        .annotate(at=Substr("school_path", 1, width))
        .values("at")
        .annotate(n=Count("pk"))
    ):
        row_of(t["at"]).reused += t["n"]
    result = list(rows.values())
    if own.networks or own.practices:
        result.insert(0, own)
    return result


def network_map(user: User, unit: OrgUnit) -> dict[str, Any]:
    """GeoJSON: the member schools under the unit with coordinates, each with its network."""
    links = (
        NetworkSchool.objects.filter(
            prefix_q("school_path", unit.path),
            network__in=networks_for(user).filter(closed_on__isnull=True),
            left_on__isnull=True,
            school__school__latitude__isnull=False,
        )
        .values_list(
            "network_id",
            "network__name",
            "network__kind",
            "school__name",
            "school__code",
            "school__school__latitude",
            "school__school__longitude",
        )
        .order_by("network_id")[:MAP_MAX_SCHOOLS]
    )
    features = []
    numbers: dict[Any, int] = defaultdict(lambda: len(numbers) + 1)
    for network, name, kind, school, code, lat, lon in links:
        if lat is None or lon is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                "properties": {
                    "network": str(network),
                    "number": numbers[network],
                    "network_name": name,
                    "kind": kind,
                    "name": school,
                    "code": code,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}

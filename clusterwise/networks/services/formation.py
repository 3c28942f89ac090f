"""Networks proposed from geography: a run groups a unit's schools (formation.propose), an
officer adjusts the groups (drops one, moves a school), and accepting the run makes a
network of each group kept."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clusterwise.core.audit import audited_save
from clusterwise.core.scope import path_in_scope, prefix_q
from clusterwise.org.models import OrgUnit, User

from .. import formation
from ..models import FormationRun, Network, ProposedGroup, TravelTime, UnplacedSchool
from .networks import network_create


def rules_from(data: dict[str, Any]) -> formation.Rules:
    """Rules from a form or a stored run; a clear error for values that make no sense."""
    try:
        return formation.Rules(
            min_size=int(data.get("min_size", 4)),
            max_size=int(data.get("max_size", 8)),
            limit_minutes=float(data.get("limit_minutes", 60)),
            speed_kmh=float(data.get("speed_kmh", 5)),
            detour=float(data.get("detour", 1.3)),
        )
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            _("Check the group sizes, the walking limit, the speed and the detour factor.")
        ) from exc


def overrides_for(unit: OrgUnit) -> dict[tuple[str, str], float]:
    """The measured travel times between schools of the unit, by the schools' ids."""
    return {
        (str(a), str(b)): float(m)
        for a, b, m in TravelTime.objects.filter(prefix_q("school_path", unit.path)).values_list(
            "school_a", "school_b", "minutes"
        )
    }


@transaction.atomic
def formation_start(
    *,
    org_unit: OrgUnit,
    kind: str,
    rules: formation.Rules,
    partition_level: str | None = None,
    by: User | None,
) -> FormationRun:
    """A run waiting for `formation_run` (a job for big units)."""
    if by is not None and not path_in_scope(by, org_unit.path):
        raise ValidationError({"org_unit": _("This unit is outside your area.")})
    if org_unit.is_school:
        raise ValidationError({"org_unit": _("Choose a unit with several schools.")})
    run = FormationRun(
        org_unit=org_unit,
        org_path=org_unit.path,
        kind=kind,
        rules={**dataclasses.asdict(rules), "partition_level": partition_level},
        created_by=by,
    )
    return audited_save(run, by=by)  # type: ignore[return-value]


def formation_run(*, run: FormationRun, progress: formation.Progress | None = None) -> FormationRun:
    """Group the unit's schools and store the proposal (its groups and who was left out)."""
    stored = dict(run.rules)
    partition = stored.pop("partition_level", None)
    rules = rules_from(stored)
    sites = formation.sites_for([run.org_path], partition_level=partition)
    proposal = formation.propose(
        sites, rules, overrides=overrides_for(run.org_unit), progress=progress
    )
    with transaction.atomic():
        run.groups.all().delete()
        run.unplaced.all().delete()
        ProposedGroup.objects.bulk_create(
            (
                ProposedGroup(
                    run=run,
                    number=n,
                    hub_id=uuid.UUID(group.hub),
                    schools=[[key, round(minutes, 1)] for key, minutes in group.members],
                )
                for n, group in enumerate(proposal.groups, start=1)
            ),
            batch_size=2000,
        )
        UnplacedSchool.objects.bulk_create(
            (
                UnplacedSchool(run=run, school_id=uuid.UUID(key), reason=reason)
                for key, reason in proposal.unplaced
            ),
            batch_size=5000,
        )
        run.quality = {**proposal.quality(), "seconds": round(proposal.seconds, 2)}
        run.status = FormationRun.Status.PROPOSED
        run.save(update_fields=["quality", "status", "updated_at"])
    return run


def _check_group(run: FormationRun, schools: list[list[Any]]) -> None:
    rules = rules_from({k: v for k, v in run.rules.items() if k != "partition_level"})
    if not rules.min_size <= len(schools) <= rules.max_size:
        raise ValidationError(
            _("A group has %(min)s to %(max)s schools.")
            % {"min": rules.min_size, "max": rules.max_size}
        )


@transaction.atomic
def group_move_school(
    *, run: FormationRun, school: str, to: ProposedGroup, by: User | None
) -> ProposedGroup:
    """Move a school into another group (from its group, or from those left out). The walk
    to the new meeting school is estimated; one beyond the limit is refused."""
    if run.status != FormationRun.Status.PROPOSED:
        raise ValidationError(_("Only a proposal waiting for acceptance can change."))
    rules_data = {k: v for k, v in run.rules.items() if k != "partition_level"}
    rules = rules_from(rules_data)
    units = {
        str(u.pk): u
        for u in OrgUnit.objects.filter(pk__in=[school, to.hub_id]).select_related("school")
    }
    moving, hub = units.get(school), units.get(str(to.hub_id))
    if moving is None or not moving.path.startswith(run.org_path) or hub is None:
        raise ValidationError(_("This school is not among the run's schools."))

    def site(unit: OrgUnit) -> formation.Site:
        info = getattr(unit, "school", None)
        lat = getattr(info, "latitude", None)
        lon = getattr(info, "longitude", None)
        return formation.Site(
            str(unit.pk), None if lat is None else float(lat), None if lon is None else float(lon)
        )

    minutes = formation.walking_minutes(site(moving), site(hub), rules, overrides_for(run.org_unit))
    if minutes > rules.limit_minutes:
        raise ValidationError(
            _("%(school)s is %(minutes)s minutes' walk from %(hub)s: beyond the limit.")
            % {"school": moving.name, "minutes": round(minutes), "hub": hub.name}
        )
    source = next((g for g in run.groups.all() if any(k == school for k, _m in g.schools)), None)
    if source is not None and source.pk == to.pk:
        return to
    new_schools = [*to.schools, [school, round(minutes, 1)]]
    _check_group(run, new_schools)
    if source is not None:
        remaining = [row for row in source.schools if row[0] != school]
        if source.hub_id == moving.pk:
            raise ValidationError(_("A group's meeting school cannot leave it."))
        _check_group(run, remaining)
        source.schools = remaining
        source.save(update_fields=["schools"])
    else:
        run.unplaced.filter(school_id=moving.pk).delete()
    to.schools = new_schools
    to.save(update_fields=["schools"])
    return to


@transaction.atomic
def group_keep(*, group: ProposedGroup, keep: bool, by: User | None) -> ProposedGroup:
    if group.run.status != FormationRun.Status.PROPOSED:
        raise ValidationError(_("Only a proposal waiting for acceptance can change."))
    group.keep = keep
    group.save(update_fields=["keep"])
    return group


@transaction.atomic
def formation_accept(*, run: FormationRun, by: User | None) -> list[Network]:
    """Make a network of each kept group: owned by the run's unit, meeting at its hub."""
    if run.status != FormationRun.Status.PROPOSED:
        raise ValidationError(_("Only a proposal waiting for acceptance can be accepted."))
    groups = list(run.groups.filter(keep=True).select_related("hub"))
    if not groups:
        raise ValidationError(_("Keep at least one group."))
    schools = {
        str(u.pk): u
        for u in OrgUnit.objects.filter(
            pk__in=[uuid.UUID(k) for g in groups for k, _m in g.schools]
        )
    }
    kind_name = Network.Kind(run.kind).label
    made = []
    for group in groups:
        network = network_create(
            name=_("%(kind)s at %(school)s") % {"kind": kind_name, "school": group.hub.name},
            kind=run.kind,
            org_unit=run.org_unit,
            facilitator=None,
            schools=[schools[k] for k, _m in group.schools if k in schools],
            meeting_school=group.hub,
            walking_minutes={k: round(m) for k, m in group.schools},
            by=by,
        )
        network.formed_by = run
        network.save(update_fields=["formed_by"])
        made.append(network)
    run.status = FormationRun.Status.ACCEPTED
    run.accepted_at = timezone.now()
    run.accepted_by = by
    audited_save(run, by=by, reason="accepted")
    return made


@transaction.atomic
def formation_discard(*, run: FormationRun, by: User | None) -> FormationRun:
    if run.status == FormationRun.Status.ACCEPTED:
        raise ValidationError(_("An accepted proposal made networks: close those instead."))
    run.status = FormationRun.Status.DISCARDED
    return audited_save(run, by=by)  # type: ignore[return-value]

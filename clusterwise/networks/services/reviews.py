"""Every write of the peer-review cycle: review frameworks and their versions, a network's
yearly cycle and its stage rules, self- and peer reviews with their evidence, the improvement
workshop's action plan, and school-to-school support.

A cycle moves self_review → peer_review → workshop → support → closed, one stage at a time,
and only when the stage's work is done (`selectors.reviews.cycle_blockers` says what is
missing). A review is written in its own stage; once the stage has passed it stays as it was.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clusterwise.core.audit import audited_save, claim_version
from clusterwise.core.i18n import localized, missing_languages
from clusterwise.core.uploads import file_type, original_name, store
from clusterwise.org.models import OrgUnit, Person, User

from ..models import (
    Action,
    ActionPlan,
    AreaRating,
    Attachment,
    Meeting,
    Network,
    NetworkSchool,
    ReviewArea,
    ReviewCycle,
    ReviewFramework,
    SchoolReview,
    SupportLink,
    SupportSession,
)
from ..selectors import reviews as sel
from ..selectors.networks import person_of

Stage = ReviewCycle.Stage
REQUIRED_LANGUAGES = ("en",)
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_AREAS = 20

# Evidence files a review may keep (checked by core.uploads).
EVIDENCE_ENDINGS = (".pdf", ".jpg", ".jpeg", ".png", ".webp", ".docx", ".xlsx")
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_FILES_PER_REVIEW = 20


# --- frameworks ----------------------------------------------------------------------------


def _text(value: Any, where: str, *, required: bool = True) -> dict[str, str]:
    """A `{language: text}` dict, stripped; English required unless `required=False`."""
    if value in (None, "", {}):
        if not required:
            return {}
        raise ValidationError(
            _("%(where)s is missing: give it at least in English.") % {"where": where}
        )
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError(
            _('%(where)s must be texts by language, such as {"en": "…", "mr": "…"}.')
            % {"where": where}
        )
    clean = {code: text.strip() for code, text in value.items() if text.strip()}
    if missing_languages(clean, REQUIRED_LANGUAGES):
        raise ValidationError(_("%(where)s needs an English text.") % {"where": where})
    return clean


def _clean_framework(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check a framework's JSON form; every refusal names the area and the field."""
    if not isinstance(data, Mapping):
        raise ValidationError(_("A review framework is a JSON object."))
    key = str(data.get("key", "")).strip()
    if not _KEY.match(key):
        raise ValidationError(
            _("The framework needs a “key” of lowercase letters, digits and dashes.")
        )
    name = _text(data.get("name"), _("The framework's “name”"))
    scale = data.get("scale")
    if not isinstance(scale, list) or len(scale) != len(sel.RATINGS):
        raise ValidationError(
            _("The “scale” needs exactly four labels, from 1 (lowest) to 4 (highest).")
        )
    clean_scale = [
        _text(label, _("Label %(n)s of the “scale”") % {"n": n})
        for n, label in enumerate(scale, start=1)
    ]
    areas = data.get("areas")
    if not isinstance(areas, list) or not areas:
        raise ValidationError(_("The framework needs at least one area in “areas”."))
    if len(areas) > MAX_AREAS:
        raise ValidationError(
            _("A framework has at most %(n)s areas; this one has %(m)s.")
            % {"n": MAX_AREAS, "m": len(areas)}
        )
    clean_areas = []
    seen: set[str] = set()
    for n, area in enumerate(areas, start=1):
        if not isinstance(area, Mapping):
            raise ValidationError(_("Area %(n)s is not a JSON object.") % {"n": n})
        code = str(area.get("code", "")).strip()
        where = _("Area %(n)s (“%(code)s”)") % {"n": n, "code": code}
        if not _CODE.match(code):
            raise ValidationError(
                _("%(where)s: “code” must be lowercase letters, digits and dashes.")
                % {"where": where}
            )
        if code in seen:
            raise ValidationError(
                _("%(where)s: another area has the same “code”.") % {"where": where}
            )
        seen.add(code)
        clean_areas.append(
            {
                "code": code,
                "name": _text(area.get("name"), _("%(where)s: “name”") % {"where": where}),
                "guidance": _text(
                    area.get("guidance"),
                    _("%(where)s: “guidance”") % {"where": where},
                    required=False,
                ),
            }
        )
    version = data.get("version")
    if version is not None and (
        not isinstance(version, int) or isinstance(version, bool) or version < 1
    ):
        raise ValidationError(_("The “version” must be a whole number from 1."))
    return {
        "key": key,
        "version": version,
        "name": name,
        "scale": clean_scale,
        "areas": clean_areas,
    }


def _same_content(framework: ReviewFramework, clean: Mapping[str, Any]) -> bool:
    exported = sel.framework_export(framework)
    return all(exported[k] == clean[k] for k in ("name", "scale", "areas"))


def _create_version(
    *, key: str, version: int, clean: Mapping[str, Any], by: User | None, reason: str
) -> ReviewFramework:
    framework = ReviewFramework(
        key=key, version=version, name=clean["name"], scale=clean["scale"], created_by=by
    )
    audited_save(framework, by=by, reason=reason)
    ReviewArea.objects.bulk_create(
        ReviewArea(
            framework=framework,
            order=order,
            code=area["code"],
            name=area["name"],
            guidance=area["guidance"],
        )
        for order, area in enumerate(clean["areas"])
    )
    return framework


def _next_version(key: str) -> int:
    last = ReviewFramework.objects.filter(key=key).aggregate(v=Max("version"))["v"]
    return (last or 0) + 1


@transaction.atomic
def review_framework_load(*, data: Mapping[str, Any], by: User | None) -> ReviewFramework:
    """Load a framework from its JSON form (see frameworks/school_review.json) as a new version.

    Loading what is already there changes nothing: the same content as the file's version
    (or, without a version, as the newest) returns that version."""
    clean = _clean_framework(data)
    key, version = clean["key"], clean["version"]
    existing = ReviewFramework.objects.select_for_update().filter(key=key)
    if version is not None:
        same = existing.filter(version=version).first()
        if same is not None:
            if _same_content(same, clean):
                return same
            raise ValidationError(
                _(
                    "Version %(version)s of “%(key)s” exists with other content: raise the "
                    "“version” in the file, or leave it out to make the next version."
                )
                % {"version": version, "key": key}
            )
    else:
        newest = existing.order_by("-version").first()
        if newest is not None and _same_content(newest, clean):
            return newest
        version = _next_version(key)
    return _create_version(key=key, version=version, clean=clean, by=by, reason="loaded")


def _changed(
    framework: ReviewFramework,
    name: Mapping[str, str] | None,
    scale: Sequence[Mapping[str, str]] | None,
    areas: Sequence[Mapping[str, Any]] | None,
) -> dict[str, Any]:
    data = sel.framework_export(framework)
    if name is not None:
        data["name"] = name
    if scale is not None:
        data["scale"] = list(scale)
    if areas is not None:
        data["areas"] = list(areas)
    data["version"] = None
    return _clean_framework(data)


@transaction.atomic
def review_framework_revise(
    *,
    framework: ReviewFramework,
    by: User | None,
    name: Mapping[str, str] | None = None,
    scale: Sequence[Mapping[str, str]] | None = None,
    areas: Sequence[Mapping[str, Any]] | None = None,
) -> ReviewFramework:
    """A new version copied from `framework` (which cycles may be using), with the changes
    given; the copied version stays as it was."""
    clean = _changed(framework, name, scale, areas)
    ReviewFramework.objects.select_for_update().filter(key=framework.key).exists()
    return _create_version(
        key=framework.key,
        version=_next_version(framework.key),
        clean=clean,
        by=by,
        reason=f"revision of v{framework.version}",
    )


@transaction.atomic
def review_framework_update(
    *,
    framework: ReviewFramework,
    by: User | None,
    name: Mapping[str, str] | None = None,
    scale: Sequence[Mapping[str, str]] | None = None,
    areas: Sequence[Mapping[str, Any]] | None = None,
) -> ReviewFramework:
    """Change a version in place, only while no cycle uses it."""
    framework = ReviewFramework.objects.select_for_update().get(pk=framework.pk)
    if sel.framework_in_use(framework):
        raise ValidationError(
            _(
                "Version %(version)s is used by a peer-review cycle, so it is kept as it is: "
                "make a new version to change it."
            )
            % {"version": framework.version}
        )
    clean = _changed(framework, name, scale, areas)
    framework.name, framework.scale = clean["name"], clean["scale"]
    audited_save(framework, by=by, reason="changed")
    framework.areas.all().delete()
    ReviewArea.objects.bulk_create(
        ReviewArea(framework=framework, order=order, **area)
        for order, area in enumerate(clean["areas"])
    )
    return framework


# --- cycles -------------------------------------------------------------------------------


@transaction.atomic
def cycle_start(
    *, network: Network, year: int, framework: ReviewFramework, by: User | None
) -> ReviewCycle:
    """Open a network's cycle for a year (one a year), at the self-review stage."""
    this_year = timezone.localdate().year
    if not 2000 <= year <= this_year + 1:
        raise ValidationError(
            {"year": _("Choose a year from 2000 to %(last)s.") % {"last": this_year + 1}}
        )
    if not network.is_open:
        raise ValidationError(_("This network is closed."))
    if not framework.areas.exists():
        raise ValidationError({"framework": _("This framework has no areas to review.")})
    # Lock the network so two people starting the same year meet the check, not an error.
    Network.objects.select_for_update().filter(pk=network.pk).exists()
    if network.cycles.filter(year=year).exists():
        raise ValidationError(
            {"year": _("The network already has a cycle for %(year)s.") % {"year": year}}
        )
    running = network.cycles.exclude(stage=Stage.CLOSED).first()
    if running is not None:
        raise ValidationError(
            _("The %(year)s cycle is still at the stage “%(stage)s”: close it first.")
            % {"year": running.year, "stage": running.get_stage_display()}
        )
    cycle = ReviewCycle(network=network, year=year, framework=framework, created_by=by)
    return audited_save(cycle, by=by, reason="started")  # type: ignore[return-value]


@transaction.atomic
def cycle_advance(*, cycle: ReviewCycle, version: int | None, by: User | None) -> ReviewCycle:
    """Move the cycle to its next stage, or refuse saying exactly what is missing."""
    read = cycle.version
    claim_version(cycle, version)
    cycle.refresh_from_db(fields=["stage", "workshop"])
    blockers = sel.cycle_blockers(cycle)
    if blockers:
        cycle.version = read  # nothing was saved: the caller may try again with what it read
        raise ValidationError(blockers)
    old = cycle.stage
    cycle.stage = sel.NEXT_STAGE[Stage(old)]
    return audited_save(cycle, by=by, reason=f"{old} → {cycle.stage}")  # type: ignore[return-value]


@transaction.atomic
def cycle_workshop_link(
    *, cycle: ReviewCycle, meeting: Meeting | None, version: int | None, by: User | None
) -> ReviewCycle:
    """Name the network's meeting (agenda “peer review”) that is the improvement workshop."""
    claim_version(cycle, version)
    if cycle.stage not in (Stage.PEER_REVIEW, Stage.WORKSHOP):
        raise ValidationError(
            _("The workshop is set while the peer reviews or the workshop are under way.")
        )
    if meeting is not None and (
        meeting.network_id != cycle.network_id or meeting.template != Meeting.Template.PEER_REVIEW
    ):
        raise ValidationError(
            {
                "meeting": _(
                    "Choose a meeting of this network with the agenda “Peer review: "
                    "improvement workshop”."
                )
            }
        )
    cycle.workshop = meeting
    return audited_save(cycle, by=by, reason="workshop set")  # type: ignore[return-value]


# --- reviews ------------------------------------------------------------------------------


def _lock_stage(cycle: ReviewCycle) -> None:
    """Read the cycle's stage under a row lock, so it cannot move on while a review is
    written."""
    cycle.stage = (
        ReviewCycle.objects.select_for_update().values_list("stage", flat=True).get(pk=cycle.pk)
    )


def _require_stage(cycle: ReviewCycle, kind: str) -> None:
    stage = sel.STAGE_OF_KIND[SchoolReview.Kind(kind)]
    if cycle.stage == stage:
        return
    if sel.STAGES.index(Stage(cycle.stage)) > sel.STAGES.index(stage):
        raise ValidationError(
            _("The %(stage)s stage has passed: its reviews are kept as they were submitted.")
            % {"stage": Stage(stage).label}
        )
    raise ValidationError(
        _("The %(stage)s stage has not begun yet.") % {"stage": Stage(stage).label}
    )


def _require_member_school(cycle: ReviewCycle, school: OrgUnit) -> None:
    today = timezone.localdate()
    if not NetworkSchool.objects.filter(
        Q(left_on__isnull=True) | Q(left_on__gt=today), network=cycle.network_id, school=school
    ).exists():
        raise ValidationError(
            {"school": _("%(school)s is not a school of this network.") % {"school": school.name}}
        )


def _check_writer(cycle: ReviewCycle, school: OrgUnit, kind: str, by: User | None) -> None:
    if by is None:  # a command or an import: the caller answers for it
        return
    if sel.writes_review(by, cycle.network, school, kind):
        return
    if kind == SchoolReview.Kind.SELF:
        raise ValidationError(
            _("A self-review is written by the school's own headteacher and teachers.")
        )
    raise ValidationError(
        _("A peer review is written by members from the network's other schools.")
    )


def _check_reviewers(
    cycle: ReviewCycle, school: OrgUnit, kind: str, reviewers: Sequence[Person]
) -> None:
    ids = [p.pk for p in reviewers]
    from_school = sel.people_from_school(cycle.network, school, ids)
    if kind == SchoolReview.Kind.PEER:
        wrong = [p.name for p in reviewers if p.pk in from_school]
        if wrong:
            raise ValidationError(
                {
                    "reviewers": _(
                        "A peer reviewer may not be from the school reviewed: %(names)s."
                    )
                    % {"names": ", ".join(wrong)}
                }
            )
        allowed = set(sel.reviewer_choices(cycle.network, school).values_list("pk", flat=True))
        outside = [p.name for p in reviewers if p.pk not in allowed]
        if outside:
            raise ValidationError(
                {
                    "reviewers": _(
                        "Peer reviewers are members from the network's other schools, or its "
                        "facilitator: %(names)s is not."
                    )
                    % {"names": ", ".join(outside)}
                }
            )
    else:
        wrong = [p.name for p in reviewers if p.pk not in from_school]
        if wrong:
            raise ValidationError(
                {
                    "reviewers": _(
                        "A self-review is written by the school's own people: %(names)s is not "
                        "one of them."
                    )
                    % {"names": ", ".join(wrong)}
                }
            )


def _check_complete(review: SchoolReview) -> None:
    """Every area rated 1–4; a peer review has a team from other schools."""
    rated = set(review.ratings.values_list("area_id", flat=True))
    missing = [str(a) for a in sel.areas_of(review.cycle) if a.pk not in rated]
    if missing:
        raise ValidationError(
            _("Rate every area before submitting; not yet rated: %(areas)s.")
            % {"areas": ", ".join(missing)}
        )
    if review.kind == SchoolReview.Kind.PEER:
        reviewers = list(review.reviewers.all())
        if not reviewers:
            raise ValidationError(
                {"reviewers": _("Name at least one reviewer from another school.")}
            )
        _check_reviewers(review.cycle, review.school, review.kind, reviewers)


@transaction.atomic
def school_review_save(
    *,
    cycle: ReviewCycle,
    school: OrgUnit,
    kind: str,
    ratings: Mapping[str, tuple[int | None, str]],
    strengths: str = "",
    to_develop: str = "",
    evidence: str = "",
    interviews: str = "",
    visited_on: datetime.date | None = None,
    virtual: bool = False,
    reviewers: Sequence[Person] | None = None,
    version: int | None,
    by: User | None,
) -> SchoolReview:
    """Write (or go on writing) a school's self- or peer review in its stage.

    `ratings` maps an area's code to (rating 1–4 or None for not yet, evidence). A draft may
    be incomplete; a submitted review, edited before its stage ends, must stay complete."""
    if kind not in SchoolReview.Kind.values:
        raise ValidationError({"kind": _("A review is a self-review or a peer review.")})
    _lock_stage(cycle)
    _require_stage(cycle, kind)
    _require_member_school(cycle, school)
    _check_writer(cycle, school, kind, by)
    areas = {a.code: a for a in sel.areas_of(cycle)}
    unknown = sorted(set(ratings) - set(areas))
    if unknown:
        raise ValidationError(
            _("These areas are not in the cycle's framework: %(codes)s.")
            % {"codes": ", ".join(unknown)}
        )
    for code, (rating, _evidence) in ratings.items():
        if rating is not None and rating not in sel.RATINGS:
            raise ValidationError(
                {
                    f"area_{code}": _("%(area)s: rate from 1 to 4.")
                    % {"area": localized(areas[code].name)}
                }
            )
    if visited_on is not None and visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("The date cannot be in the future.")})
    review = SchoolReview.objects.filter(cycle=cycle, school=school, kind=kind).first()
    if reviewers is not None:
        team = list(reviewers)
    else:
        team = list(review.reviewers.all()) if review is not None else []
    if kind == SchoolReview.Kind.SELF and by is not None:
        # The school's people who wrote it: everyone who saved it is one of them.
        writer = person_of(by)
        if writer is not None and writer not in team:
            team.append(writer)
    _check_reviewers(cycle, school, kind, team)
    if review is None:
        review = SchoolReview(
            cycle=cycle, school=school, school_path=school.path, kind=kind, created_by=by
        )
    else:
        claim_version(review, version)
    review.strengths = strengths.strip()
    review.to_develop = to_develop.strip()
    review.evidence = evidence.strip()
    review.interviews = interviews.strip()
    review.visited_on = visited_on
    review.virtual = virtual
    audited_save(review, by=by, reason="saved")
    review.reviewers.set(team)

    current = {r.area_id: r for r in review.ratings.all()}
    for code, (rating, text) in ratings.items():
        area = areas[code]
        row = current.get(area.pk)
        if rating is None:
            if row is not None:
                row._history_user = by  # type: ignore[attr-defined]
                row.delete()
            continue
        if row is None:
            row = AreaRating(review=review, area=area)
        elif row.rating == rating and row.evidence == text.strip():
            continue
        row.rating, row.evidence = rating, text.strip()
        audited_save(row, by=by)
    if review.status == SchoolReview.Status.SUBMITTED:
        _check_complete(review)
    return review


@transaction.atomic
def school_review_submit(
    *, review: SchoolReview, version: int | None, by: User | None
) -> SchoolReview:
    """Hand in a review: every area rated 1–4; a peer review names its team, none of them
    from the school reviewed."""
    cycle = review.cycle
    _lock_stage(cycle)
    _require_stage(cycle, review.kind)
    _check_writer(cycle, review.school, review.kind, by)
    claim_version(review, version)
    _check_complete(review)
    review.status = SchoolReview.Status.SUBMITTED
    return audited_save(review, by=by, reason="submitted")  # type: ignore[return-value]


def _evidence_type(upload: UploadedFile) -> str:
    return file_type(
        upload,
        allowed=EVIDENCE_ENDINGS,
        max_bytes=EVIDENCE_MAX_BYTES,
        field="files",
        not_allowed=_(
            "“%(name)s” is not a PDF, a photo (JPEG, PNG, WebP), a Word document "
            "(.docx) or an Excel workbook (.xlsx)."
        ),
    )


@transaction.atomic
def evidence_attach(
    *, review: SchoolReview, files: Iterable[UploadedFile], by: User | None
) -> list[Attachment]:
    """Keep files with a review (documents seen, photos, notes of remote interviews): PDF,
    JPEG, PNG, WebP, DOCX or XLSX, each up to 10 MB; while the review's stage lasts."""
    _lock_stage(review.cycle)
    _require_stage(review.cycle, review.kind)
    _check_writer(review.cycle, review.school, review.kind, by)
    uploads = list(files)
    if not uploads:
        raise ValidationError({"files": _("Choose at least one file.")})
    if review.files.count() + len(uploads) > EVIDENCE_FILES_PER_REVIEW:
        raise ValidationError(
            {"files": _("At most %(n)s files per review.") % {"n": EVIDENCE_FILES_PER_REVIEW}}
        )
    types = [_evidence_type(upload) for upload in uploads]
    kept = []
    for upload, content_type in zip(uploads, types, strict=True):
        attachment = Attachment(
            review=review,
            name=original_name(upload),
            content_type=content_type,
            size=upload.size or 0,
            created_by=by,
        )
        store(attachment.file, upload)
        kept.append(audited_save(attachment, by=by))
    return kept  # type: ignore[return-value]


# --- the improvement workshop ------------------------------------------------------------


@transaction.atomic
def workshop_plan_create(
    *,
    cycle: ReviewCycle,
    by: User | None,
    kind: str = ActionPlan.Kind.NETWORK,
    school: OrgUnit | None = None,
    title: str = "",
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
) -> ActionPlan:
    """The workshop's action plan (the network's, or one school's), its goals drafted from
    the findings: every area rated 1–2."""
    if cycle.stage != Stage.WORKSHOP:
        raise ValidationError(_("Plans are made at the improvement workshop stage."))
    if kind not in sel.PLAN_KINDS:
        raise ValidationError({"kind": _("A workshop makes a network plan or a school plan.")})
    network = cycle.network
    if kind == ActionPlan.Kind.SCHOOL:
        if school is None:
            raise ValidationError({"school": _("Choose the school whose plan this is.")})
        _require_member_school(cycle, school)
        owner: OrgUnit = school
        taken = ActionPlan.objects.filter(cycle=cycle, kind=kind, org_unit=school)
    else:
        school = None
        owner = network.org_unit
        taken = ActionPlan.objects.filter(cycle=cycle, kind=kind)
    if taken.exists():
        raise ValidationError(_("This plan exists already: add actions to it."))
    starts_on = starts_on or timezone.localdate()
    # A year from the workshop unless told: until the next cycle's reviews look again.
    ends_on = ends_on or starts_on + datetime.timedelta(days=365)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The plan cannot end before it starts.")})
    goals = sel.suggested_goals(cycle, school)
    if not title.strip():
        title = (
            _("%(school)s: improvement plan %(year)s") % {"school": school.name, "year": cycle.year}
            if school is not None
            else _("%(network)s: improvement plan %(year)s")
            % {"network": network.name, "year": cycle.year}
        )
    plan = ActionPlan(
        kind=kind,
        title=title.strip()[:200],
        goals="\n".join(goals),
        network=network,
        org_unit=owner,
        org_path=owner.path,
        starts_on=starts_on,
        ends_on=ends_on,
        cycle=cycle,
        created_by=by,
    )
    return audited_save(plan, by=by, reason=f"workshop {cycle.year}")  # type: ignore[return-value]


@transaction.atomic
def workshop_action_add(
    *,
    plan: ActionPlan,
    text: str,
    owner: Person,
    due_on: datetime.date,
    success_measure: str,
    goal: str = "",
    by: User | None,
) -> Action:
    """A commitment made at the workshop, in one of its plans; owned by someone of the
    network, made at the workshop meeting when one is set."""
    cycle = plan.cycle
    if cycle is None or cycle.stage not in (Stage.WORKSHOP, Stage.SUPPORT):
        raise ValidationError(_("Actions are added at the workshop or during support."))
    network = cycle.network
    if owner.pk != network.facilitator_id and not _is_member(network, owner):
        raise ValidationError({"owner": _("The owner must be a member of the network.")})
    if due_on < plan.starts_on:
        raise ValidationError({"due_on": _("The action cannot be due before the plan starts.")})
    if not text.strip():
        raise ValidationError({"text": _("Say what will be done.")})
    if not success_measure.strip():
        raise ValidationError({"success_measure": _("Say how everyone will know it is done.")})
    action = Action(
        plan=plan,
        goal=goal.strip()[:200],
        text=text.strip()[:300],
        owner=owner,
        due_on=due_on,
        success_measure=success_measure.strip()[:300],
        made_in=cycle.workshop,
        created_by=by,
    )
    return audited_save(action, by=by)  # type: ignore[return-value]


def _is_member(network: Network, person: Person) -> bool:
    today = timezone.localdate()
    return network.members.filter(
        Q(left_on__isnull=True) | Q(left_on__gt=today), person=person
    ).exists()


# --- school-to-school support -----------------------------------------------------------


@transaction.atomic
def support_link_create(
    *,
    cycle: ReviewCycle,
    helping: OrgUnit,
    helped: OrgUnit,
    area: ReviewArea | None,
    focus: str,
    by: User | None,
) -> SupportLink:
    """One school helps another: both in the network; on an area, the helping school is
    rated 3–4 and the helped one 1–2 (`selectors.reviews.support_pairs_suggested` proposes
    such pairs)."""
    if cycle.stage not in (Stage.WORKSHOP, Stage.SUPPORT):
        raise ValidationError(
            _("Support is agreed at the improvement workshop or during the support stage.")
        )
    if helping.pk == helped.pk:
        raise ValidationError({"helped": _("A school cannot be linked to itself.")})
    for school, field in ((helping, "helping"), (helped, "helped")):
        try:
            _require_member_school(cycle, school)
        except ValidationError:
            raise ValidationError(
                {field: _("%(school)s is not a school of this network.") % {"school": school.name}}
            ) from None
    if not focus.strip():
        raise ValidationError({"focus": _("Say what the support is about.")})
    if area is not None:
        if area.framework_id != cycle.framework_id:
            raise ValidationError({"area": _("This area is not in the cycle's framework.")})
        ratings = sel.final_ratings(cycle)
        strong = ratings.get((helping.pk, area.pk))
        weak = ratings.get((helped.pk, area.pk))
        if strong not in sel.STRONG:
            raise ValidationError(
                {
                    "helping": _(
                        "%(school)s is rated %(rating)s on “%(area)s”: a helping school is "
                        "rated 3 or 4."
                    )
                    % {"school": helping.name, "rating": strong or "–", "area": area}
                }
            )
        if weak not in sel.WEAK:
            raise ValidationError(
                {
                    "helped": _(
                        "%(school)s is rated %(rating)s on “%(area)s”: a helped school is rated "
                        "1 or 2."
                    )
                    % {"school": helped.name, "rating": weak or "–", "area": area}
                }
            )
    if cycle.links.filter(helping=helping, helped=helped, area=area).exists():
        raise ValidationError(_("These schools are already linked on this."))
    link = SupportLink(
        cycle=cycle,
        helping=helping,
        helped=helped,
        area=area,
        focus=focus.strip()[:300],
        created_by=by,
    )
    return audited_save(link, by=by)  # type: ignore[return-value]


@transaction.atomic
def support_session_log(
    *,
    link: SupportLink,
    held_on: datetime.date,
    mode: str,
    notes: str,
    by: User | None,
) -> SupportSession:
    """What the two schools did together on a day (a visit, a call), during support."""
    if link.cycle.stage != Stage.SUPPORT:
        raise ValidationError(_("Support sessions are logged during the support stage."))
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("The date cannot be in the future.")})
    if not notes.strip():
        raise ValidationError({"notes": _("Say what was done.")})
    session = SupportSession(
        link=link, held_on=held_on, mode=mode, notes=notes.strip(), created_by=by
    )
    return audited_save(session, by=by)  # type: ignore[return-value]

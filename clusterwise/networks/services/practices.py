"""Sharing good practice: writing a practice up, its files, "we tried it", recommending it.

Who may do which is decided in `selectors.practices` (see its docstring); these functions
check it again so that no caller can skip it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clusterwise.core.audit import audited_save, claim_version
from clusterwise.core.scope import path_in_scope
from clusterwise.core.uploads import file_type, original_name, store
from clusterwise.org.models import OrgUnit, Person, User

from ..models import (
    Attachment,
    Network,
    NetworkMember,
    NetworkSchool,
    Notification,
    Practice,
    PracticeTrial,
    Recommendation,
)
from ..selectors import practices as selectors
from ..selectors.networks import networks_for, person_of

MAX_TAGS = 10
MAX_TAG_LENGTH = selectors.MAX_TAG_LENGTH
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILES = 10
MAX_NOTE = 2000

# What a practice may carry (checked by core.uploads).
FILE_ENDINGS = (".pdf", ".jpg", ".jpeg", ".png", ".webp", ".docx", ".xlsx", ".mp3", ".mp4")


# --- checks ----------------------------------------------------------------------------


def tags_normalise(tags: Iterable[str] | str) -> list[str]:
    """Tags lower-case, trimmed, de-duplicated in order; at most 10 of at most 40 characters.

    A string is a comma-separated list (as typed in a form)."""
    if isinstance(tags, str):
        tags = tags.replace("،", ",").replace("、", ",").split(",")
    clean: list[str] = []
    for raw in tags:
        tag = selectors.tag_clean(raw)
        if not tag or tag in clean:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(
                {
                    "tags": _("“%(tag)s” is longer than %(n)s characters.")
                    % {"tag": tag[:MAX_TAG_LENGTH] + "…", "n": MAX_TAG_LENGTH}
                }
            )
        clean.append(tag)
    if len(clean) > MAX_TAGS:
        raise ValidationError({"tags": _("At most %(n)s tags.") % {"n": MAX_TAGS}})
    return clean


def _check_language(language: str) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    if language not in codes:
        raise ValidationError({"language": _("Choose one of the languages of the app.")})
    return language


def _check_text(**fields: str) -> dict[str, str]:
    clean = {name: (value or "").strip() for name, value in fields.items()}
    required = {
        "title": _("Give the practice a title."),
        "problem": _("Say which problem it solves."),
        "what_was_done": _("Say what was done."),
    }
    errors = {name: message for name, message in required.items() if not clean.get(name, "x")}
    if errors:
        raise ValidationError(errors)
    return clean


def _place(
    *,
    school: OrgUnit | None,
    network: Network | None,
    org_unit: OrgUnit | None,
    by: User | None,
) -> OrgUnit:
    """The unit a practice is shared from: its school, else its network's owner, else the
    unit given; each must be one the author may speak for."""
    if (
        network is not None
        and by is not None
        and not networks_for(by).filter(pk=network.pk).exists()
    ):
        raise ValidationError({"network": _("Choose a network from the list.")})
    if school is not None:
        if school.level != settings.ORG_SCHOOL_LEVEL:
            raise ValidationError({"school": _("%(name)s is not a school.") % {"name": school}})
        if network is not None and not (
            school.pk == network.org_unit_id
            or NetworkSchool.objects.filter(network=network, school=school).exists()
        ):
            raise ValidationError({"school": _("This school is not in the network.")})
        if network is None and by is not None and not path_in_scope(by, school.path):
            raise ValidationError({"school": _("This school is outside your area.")})
        return school
    if network is not None:
        return network.org_unit
    if org_unit is None:
        raise ValidationError({"school": _("Say which school or network the practice is from.")})
    if by is not None and not path_in_scope(by, org_unit.path):
        raise ValidationError({"school": _("This unit is outside your area.")})
    return org_unit


# --- the practice ------------------------------------------------------------------------


@transaction.atomic
def practice_create(
    *,
    title: str,
    problem: str,
    what_was_done: str,
    evidence: str = "",
    school: OrgUnit | None = None,
    network: Network | None = None,
    org_unit: OrgUnit | None = None,
    tags: Iterable[str] | str = (),
    language: str,
    by: User | None,
) -> Practice:
    """Share a practice from a school, a network, or (neither given) the unit `org_unit`."""
    text = _check_text(title=title, problem=problem, what_was_done=what_was_done)
    unit = _place(school=school, network=network, org_unit=org_unit, by=by)
    practice = Practice(
        title=text["title"],
        problem=text["problem"],
        what_was_done=text["what_was_done"],
        evidence=(evidence or "").strip(),
        school=school,
        network=network,
        org_unit=unit,
        org_path=unit.path,
        tags=tags_normalise(tags),
        language=_check_language(language),
        created_by=by,
    )
    return audited_save(practice, by=by)  # type: ignore[return-value]


UPDATABLE = {
    "title",
    "problem",
    "what_was_done",
    "evidence",
    "tags",
    "language",
    "school",
    "network",
}


@transaction.atomic
def practice_update(
    *,
    practice: Practice,
    version: int | None,
    by: User | None,
    **changes: object,
) -> Practice:
    """Change a practice (author, network's facilitator, officers above); StaleEdit if someone
    saved it since `version` was read."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise TypeError(f"practice_update cannot change {sorted(unknown)}")
    if by is not None and not selectors.may_edit(by, practice):
        raise PermissionDenied
    claim_version(practice, version)
    text = _check_text(
        **{
            name: str(changes.get(name, getattr(practice, name)) or "")
            for name in ("title", "problem", "what_was_done", "evidence")
        }
    )
    for name, value in text.items():
        setattr(practice, name, value)
    if "tags" in changes:
        practice.tags = tags_normalise(changes["tags"])  # type: ignore[arg-type]
    if "language" in changes:
        practice.language = _check_language(str(changes["language"]))
    if "school" in changes or "network" in changes:
        school = changes.get("school", practice.school)
        network = changes.get("network", practice.network)
        unit = _place(
            school=school,  # type: ignore[arg-type]
            network=network,  # type: ignore[arg-type]
            org_unit=practice.org_unit,
            by=None if (school == practice.school and network == practice.network) else by,
        )
        practice.school, practice.network = school, network  # type: ignore[assignment]
        practice.org_unit, practice.org_path = unit, unit.path
    return audited_save(practice, by=by)  # type: ignore[return-value]


def _file_type(upload: UploadedFile) -> str:
    return file_type(
        upload,
        allowed=FILE_ENDINGS,
        max_bytes=MAX_FILE_BYTES,
        field="file",
        not_allowed=_(
            "“%(name)s” cannot be added: use a PDF, a photo (JPEG, PNG, WebP), a Word "
            "or Excel file (DOCX, XLSX), an MP3 or an MP4."
        ),
    )


@transaction.atomic
def practice_attach(*, practice: Practice, file: UploadedFile, by: User | None) -> Attachment:
    """Keep a file with a practice (a worksheet, a photo, a recording): up to 20 MB each."""
    if by is not None and not selectors.may_edit(by, practice):
        raise PermissionDenied
    content_type = _file_type(file)
    # Lock the practice so that two uploads at once cannot pass the limit together.
    Practice.objects.select_for_update().filter(pk=practice.pk).first()
    if practice.files.count() >= MAX_FILES:
        raise ValidationError(
            {"file": _("A practice keeps at most %(n)s files.") % {"n": MAX_FILES}}
        )
    attachment = Attachment(
        practice=practice,
        name=original_name(file),
        content_type=content_type,
        size=file.size or 0,
        created_by=by,
    )
    store(attachment.file, file)
    return audited_save(attachment, by=by)  # type: ignore[return-value]


# --- "we tried it" -------------------------------------------------------------------------


@transaction.atomic
def practice_tried(
    *,
    practice: Practice,
    school: OrgUnit,
    outcome: str,
    tried_on: datetime.date | None = None,
    note: str = "",
    by: User | None,
) -> PracticeTrial:
    """A school says how someone else's practice went there; saying it again updates it."""
    if by is not None:
        if not selectors.practices_for(by).filter(pk=practice.pk).exists():
            raise PermissionDenied
        if not selectors.own_schools(by).filter(pk=school.pk).exists():
            raise ValidationError({"school": _("You can only speak for your own school.")})
    if school.pk == practice.school_id:
        raise ValidationError({"school": _("This is the school the practice comes from.")})
    tried_on = tried_on or timezone.localdate()
    if tried_on > timezone.localdate():
        raise ValidationError({"tried_on": _("This date is in the future.")})
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": _("Keep this under 2,000 characters.")})
    trial = (
        PracticeTrial.objects.select_for_update().filter(practice=practice, school=school).first()
    )
    if trial is None:
        trial = PracticeTrial(
            practice=practice, school=school, school_path=school.path, created_by=by
        )
    trial.tried_on, trial.outcome, trial.note = tried_on, outcome, note
    try:
        with transaction.atomic():
            audited_save(trial, by=by)
    except IntegrityError:
        # Someone of the same school said it in the same instant: theirs is the record.
        raise ValidationError(_("Your school's answer was just saved by someone else.")) from None
    return trial


# --- recommending ---------------------------------------------------------------------------


def _people_of(network: Network) -> set[Person]:
    today = timezone.localdate()
    members = NetworkMember.objects.filter(
        Q(left_on__isnull=True) | Q(left_on__gt=today), network=network
    )
    people = {member.person for member in members.select_related("person")}
    if network.facilitator is not None:
        people.add(network.facilitator)
    return people


@transaction.atomic
def practice_recommend(
    *,
    practice: Practice,
    network: Network,
    note: str = "",
    by: User,
) -> Recommendation:
    """Point a network to a practice (once); its facilitator and members are told, once."""
    if not selectors.may_recommend(by, network):
        raise PermissionDenied
    if not selectors.practices_for(by).filter(pk=practice.pk).exists():
        raise PermissionDenied
    if not networks_for(by).filter(pk=network.pk).exists():
        raise ValidationError({"network": _("Choose a network from the list.")})
    note = (note or "").strip()
    # Recommendations of one practice wait for each other, so "once" holds under load.
    Practice.objects.select_for_update().filter(pk=practice.pk).first()
    if Recommendation.objects.filter(practice=practice, network=network).exists():
        raise ValidationError(
            {
                "network": _("This practice was already recommended to %(network)s.")
                % {"network": network}
            }
        )
    recommendation = Recommendation(practice=practice, network=network, note=note, created_by=by)
    audited_save(recommendation, by=by)
    url = reverse("networks:practice", args=[practice.pk])
    recommender = person_of(by)
    people = _people_of(network) - ({recommender} if recommender else set())
    # Someone in two networks it was recommended to hears of it once.
    told = set(
        Notification.objects.filter(
            kind=Notification.Kind.PRACTICE_RECOMMENDED, url=url, person__in=people
        ).values_list("person", flat=True)
    )
    text = _("%(who)s recommends “%(title)s” to %(network)s") % {
        "who": recommender.name if recommender else by.get_username(),
        "title": practice.title,
        "network": network.name,
    }
    Notification.objects.bulk_create(
        [
            Notification(
                person=person,
                kind=Notification.Kind.PRACTICE_RECOMMENDED,
                text=text[:300],
                url=url,
                created_by=by,
            )
            for person in sorted(people, key=lambda p: p.name)
            if person.pk not in told
        ]
    )
    return recommendation

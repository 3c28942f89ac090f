"""Every write of the programme: cohorts and enrolment, workshops and attendance, field
assignments, submissions and reviews, coaching visits and agreed actions."""

from __future__ import annotations

import datetime
import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from clusterwise.core.audit import audited_save, claim_version
from clusterwise.core.phones import phone_digits
from clusterwise.core.scope import prefix_q
from clusterwise.core.tabular import Row
from clusterwise.org.models import Assignment, OrgUnit, Person, Role, User
from clusterwise.skills.models import Framework, Skill, Theme

from .models import (
    Attendance,
    CoachingVisit,
    Cohort,
    CohortMember,
    FieldAssignment,
    Submission,
    SubmissionFile,
    VisitAction,
    Workshop,
)

ATTACHMENT_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_SUBMISSION = 5

# A member's role in a cohort → the posts (org roles) that may hold it.
MEMBER_POSTS = {
    CohortMember.Role.CRC: {Role.CRC},
    CohortMember.Role.COACH: {Role.COACH, Role.MASTER_FACILITATOR},
    CohortMember.Role.MASTER_FACILITATOR: {Role.MASTER_FACILITATOR},
    CohortMember.Role.EXPERT: {Role.STATE_ADMIN, Role.MASTER_FACILITATOR, Role.DISTRICT_OFFICER},
}
# Who supports whom in the cascade.
SUPPORTER_ROLE = {
    CohortMember.Role.CRC: CohortMember.Role.COACH,
    CohortMember.Role.COACH: CohortMember.Role.MASTER_FACILITATOR,
    CohortMember.Role.MASTER_FACILITATOR: CohortMember.Role.EXPERT,
}


# --- cohorts --------------------------------------------------------------------------


def _check_cohort_fields(cohort: Cohort) -> None:
    if cohort.framework.status != Framework.Status.PUBLISHED and cohort._state.adding:
        raise ValidationError({"framework": _("Choose a published framework version.")})


@transaction.atomic
def cohort_create(
    *,
    name: str,
    kind: str,
    framework: Framework,
    org_unit: OrgUnit,
    starts_on: datetime.date,
    ends_on: datetime.date,
    visits_planned: int = 3,
    by: User | None,
) -> Cohort:
    cohort = Cohort(
        name=name.strip(),
        kind=kind,
        framework=framework,
        org_unit=org_unit,
        org_path=org_unit.path,
        starts_on=starts_on,
        ends_on=ends_on,
        visits_planned=visits_planned,
        created_by=by,
    )
    _check_cohort_fields(cohort)
    return audited_save(cohort, by=by)  # type: ignore[return-value]


@transaction.atomic
def cohort_update(*, cohort: Cohort, version: int | None, by: User | None, **fields: Any) -> Cohort:
    """Change a cohort's details. Its framework cannot change once CRCs were assessed on it."""
    claim_version(cohort, version)
    if "framework" in fields and fields["framework"].pk != cohort.framework_id:
        if cohort.assessments.exists():
            raise ValidationError(
                {"framework": _("CRCs were already assessed on this framework version.")}
            )
        if fields["framework"].status != Framework.Status.PUBLISHED:
            raise ValidationError({"framework": _("Choose a published framework version.")})
    for name, value in fields.items():
        setattr(cohort, name, value)
    if "org_unit" in fields:
        cohort.org_path = cohort.org_unit.path
    return audited_save(cohort, by=by)  # type: ignore[return-value]


def _post_of(person: Person, role: str, on: datetime.date) -> Assignment | None:
    return (
        Assignment.objects.active(on)
        .filter(person=person, role__in=MEMBER_POSTS[role])  # type: ignore[index]
        .select_related("org_unit")
        .order_by("start_date")
        .first()
    )


def _check_supporter(member_role: str, supporter: CohortMember | None, cohort: Cohort) -> None:
    if supporter is None:
        return
    if supporter.cohort_id != cohort.pk:
        raise ValidationError({"supported_by": _("The supporter is not in this cohort.")})
    wanted = SUPPORTER_ROLE.get(member_role)  # type: ignore[call-overload]
    if supporter.role != wanted:
        raise ValidationError(
            {
                "supported_by": _("A %(role)s is supported by a %(supporter)s.")
                % {
                    "role": CohortMember.Role(member_role).label,
                    "supporter": CohortMember.Role(wanted).label if wanted else "-",
                }
            }
        )


@transaction.atomic
def member_add(
    *,
    cohort: Cohort,
    person: Person,
    role: str,
    supported_by: CohortMember | None = None,
    joined_on: datetime.date | None = None,
    by: User | None,
) -> CohortMember:
    """Enrol one person in a cohort, at the unit of the post that qualifies them."""
    joined_on = joined_on or timezone.localdate()
    post = _post_of(person, role, joined_on)
    if post is None:
        raise ValidationError(
            _("%(name)s holds no post that fits the role %(role)s.")
            % {"name": person.name, "role": CohortMember.Role(role).label}
        )
    if CohortMember.objects.filter(cohort=cohort, person=person).exists():
        raise ValidationError(_("%(name)s is already in this cohort.") % {"name": person.name})
    _check_supporter(role, supported_by, cohort)
    member = CohortMember(
        cohort=cohort,
        person=person,
        role=role,
        supported_by=supported_by,
        org_unit=post.org_unit,
        org_path=post.org_unit.path,
        joined_on=joined_on,
        created_by=by,
    )
    return audited_save(member, by=by)  # type: ignore[return-value]


@transaction.atomic
def member_set_supporter(
    *, member: CohortMember, supported_by: CohortMember | None, by: User | None
) -> CohortMember:
    _check_supporter(member.role, supported_by, member.cohort)
    member.supported_by = supported_by
    return audited_save(member, by=by, reason="supporter changed")  # type: ignore[return-value]


@transaction.atomic
def member_leave(*, member: CohortMember, on: datetime.date, by: User | None) -> CohortMember:
    if on < member.joined_on:
        raise ValidationError({"left_on": _("A member cannot leave before joining.")})
    member.left_on = on
    return audited_save(member, by=by, reason="left")  # type: ignore[return-value]


@dataclass
class EnrolResult:
    added: int = 0
    already: int = 0


@transaction.atomic
def cohort_enrol_units(
    *,
    cohort: Cohort,
    units: Iterable[OrgUnit],
    coach: CohortMember | None = None,
    on: datetime.date | None = None,
    by: User | None,
) -> EnrolResult:
    """Enrol every CRC whose post lies under the given units (blocks, usually)."""
    on = on or timezone.localdate()
    _check_supporter(CohortMember.Role.CRC, coach, cohort)
    result = EnrolResult()
    enrolled = set(cohort.members.values_list("person_id", flat=True))
    new: list[CohortMember] = []
    for unit in units:
        posts = (
            Assignment.objects.active(on)
            .filter(prefix_q("org_path", unit.path), role=Role.CRC)
            .select_related("org_unit")
            .order_by("org_path", "person_id")
        )
        for post in posts:
            if post.person_id in enrolled:
                result.already += 1
                continue
            enrolled.add(post.person_id)
            new.append(
                CohortMember(
                    cohort=cohort,
                    person_id=post.person_id,
                    role=CohortMember.Role.CRC,
                    supported_by=coach,
                    org_unit=post.org_unit,
                    org_path=post.org_path,
                    joined_on=on,
                    created_by=by,
                )
            )
    bulk_create_with_history(new, CohortMember, default_user=by)
    result.added = len(new)
    return result


@dataclass
class RowProblem:
    row: int
    field: str
    message: str


@dataclass
class EnrolPlan:
    """Who a list would enrol, or what is wrong with it: nothing is enrolled unless all is well."""

    members: list[tuple[int, Person, str, str]] = field(
        default_factory=list
    )  # row, person, role, supporter key
    errors: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.members)


def _find_person(key: str, people_in_scope: Any) -> Person | None:
    digits = phone_digits(key)
    found = people_in_scope.filter(external_id=key).first()
    if found is None and digits:
        found = people_in_scope.filter(phone=digits).first()
    return found


def cohort_enrol_plan(*, cohort: Cohort, rows: Sequence[Row], people_in_scope: Any) -> EnrolPlan:
    """Check a list of people (columns: person = phone or external ID, role, supported_by)."""
    plan = EnrolPlan()
    enrolled = {m.person_id: m for m in cohort.members.select_related("person")}
    seen: dict[Any, int] = {}
    keys_in_file: dict[str, str] = {}  # person key → role, for supporters listed in the file
    today = timezone.localdate()
    for row in rows:
        values = {k.strip().lower(): (v or "").strip() for k, v in row.values.items()}
        key = values.get("person", "")
        role = (values.get("role") or CohortMember.Role.CRC).lower()
        supporter = values.get("supported_by", "")
        if not key:
            plan.errors.append(RowProblem(row.number, "person", _("Give a phone number or ID.")))
            continue
        if role not in CohortMember.Role.values:
            plan.errors.append(
                RowProblem(
                    row.number,
                    "role",
                    _("Unknown role “%(role)s”: use one of %(roles)s.")
                    % {"role": role, "roles": ", ".join(CohortMember.Role.values)},
                )
            )
            continue
        person = _find_person(key, people_in_scope)
        if person is None:
            plan.errors.append(
                RowProblem(row.number, "person", _("No one in your area has this phone or ID."))
            )
            continue
        if person.pk in seen:
            plan.errors.append(
                RowProblem(
                    row.number, "person", _("Also on row %(row)s.") % {"row": seen[person.pk]}
                )
            )
            continue
        seen[person.pk] = row.number
        if person.pk in enrolled:
            plan.errors.append(
                RowProblem(
                    row.number,
                    "person",
                    _("%(name)s is already in this cohort.") % {"name": person.name},
                )
            )
            continue
        if _post_of(person, role, today) is None:
            plan.errors.append(
                RowProblem(
                    row.number,
                    "role",
                    _("%(name)s holds no post that fits the role %(role)s.")
                    % {"name": person.name, "role": CohortMember.Role(role).label},
                )
            )
            continue
        keys_in_file[key] = role
        plan.members.append((row.number, person, role, supporter))
    # Supporters: someone in the cohort already, or someone listed in the same file.
    for number, _person, role, supporter in plan.members:
        if not supporter:
            continue
        wanted = SUPPORTER_ROLE.get(role)  # type: ignore[call-overload]
        in_file = keys_in_file.get(supporter)
        found = _find_person(supporter, people_in_scope)
        existing = enrolled.get(found.pk) if found else None
        if in_file is not None:
            ok = in_file == wanted
        elif existing is not None:
            ok = existing.role == wanted
        else:
            plan.errors.append(
                RowProblem(
                    number,
                    "supported_by",
                    _("The supporter is neither in this cohort nor in this list."),
                )
            )
            continue
        if not ok:
            plan.errors.append(
                RowProblem(
                    number,
                    "supported_by",
                    _("A %(role)s is supported by a %(supporter)s.")
                    % {
                        "role": CohortMember.Role(role).label,
                        "supporter": CohortMember.Role(wanted).label if wanted else "-",
                    },
                )
            )
    if not plan.members and not plan.errors:
        plan.errors.append(RowProblem(0, "", _("The list is empty.")))
    return plan


@transaction.atomic
def cohort_enrol_apply(
    *, cohort: Cohort, plan: EnrolPlan, people_in_scope: Any, by: User | None
) -> int:
    """Enrol a checked list; the whole list or nobody."""
    if not plan.ok:
        raise ValidationError(_("The list has errors; nobody was enrolled."))
    members: dict[Any, CohortMember] = {}
    order = [
        CohortMember.Role.EXPERT,
        CohortMember.Role.MASTER_FACILITATOR,
        CohortMember.Role.COACH,
        CohortMember.Role.CRC,
    ]
    for role in order:  # supporters first, so members can point at them
        for _number, person, member_role, supporter in plan.members:
            if member_role != role:
                continue
            supported_by = None
            if supporter:
                found = _find_person(supporter, people_in_scope)
                assert found is not None  # checked by the plan
                supported_by = members.get(found.pk) or cohort.members.get(person=found)
            members[person.pk] = member_add(
                cohort=cohort, person=person, role=member_role, supported_by=supported_by, by=by
            )
    return len(members)


# --- workshops ------------------------------------------------------------------------


def _check_theme(cohort: Cohort, theme: Theme | None) -> None:
    if theme is not None and theme.framework_id != cohort.framework_id:
        raise ValidationError({"theme": _("The theme is not part of this cohort's framework.")})


def _check_facilitators(cohort: Cohort, facilitators: Iterable[CohortMember]) -> list[CohortMember]:
    chosen = list(facilitators)
    for member in chosen:
        if member.cohort_id != cohort.pk or member.role == CohortMember.Role.CRC:
            raise ValidationError(
                {
                    "facilitators": _(
                        "Facilitators are the cohort's coaches, master facilitators or experts."
                    )
                }
            )
    return chosen


@transaction.atomic
def workshop_save(
    *,
    cohort: Cohort,
    workshop: Workshop | None = None,
    version: int | None = None,
    title: str,
    starts_at: datetime.datetime,
    theme: Theme | None = None,
    venue: str = "",
    online_link: str = "",
    org_unit: OrgUnit | None = None,
    facilitators: Iterable[CohortMember] = (),
    by: User | None,
) -> Workshop:
    """Plan a workshop, or change one (quoting the version read)."""
    _check_theme(cohort, theme)
    chosen = _check_facilitators(cohort, facilitators)
    if not venue.strip() and not online_link.strip():
        raise ValidationError({"venue": _("Give a venue or an online link (or both).")})
    if workshop is None:
        workshop = Workshop(cohort=cohort, created_by=by)
    else:
        claim_version(workshop, version)
    workshop.title = title.strip()
    workshop.starts_at = starts_at
    workshop.theme = theme
    workshop.venue = venue.strip()
    workshop.online_link = online_link.strip()
    workshop.org_unit = org_unit
    audited_save(workshop, by=by)
    workshop.facilitators.set(chosen)
    return workshop


def workshop_invitees(workshop: Workshop) -> Any:
    """The CRCs expected at a workshop: the cohort's (active) CRCs, under its unit if it has one."""
    members = workshop.cohort.members.filter(role=CohortMember.Role.CRC).filter(
        left_on__isnull=True
    )
    if workshop.org_unit_id:
        members = members.filter(prefix_q("org_path", workshop.org_unit.path))  # type: ignore[union-attr]
    return members


@transaction.atomic
def attendance_record(*, workshop: Workshop, marks: dict[Any, str], by: User | None) -> int:
    """Record who came. Sending the same sheet again changes nothing (safe to retry)."""
    if workshop.starts_at.date() > timezone.localdate():
        raise ValidationError(_("Attendance is taken on or after the day of the workshop."))
    invitees = {str(m.pk): m for m in workshop_invitees(workshop)}
    errors = []
    for key, status in marks.items():
        if str(key) not in invitees:
            errors.append(_("A person on the sheet is not expected at this workshop."))
        elif status not in Attendance.Status.values:
            errors.append(_("Unknown attendance mark “%(mark)s”.") % {"mark": status})
    if errors:
        raise ValidationError(sorted(set(errors)))
    existing = {str(a.member_id): a for a in workshop.attendance.all()}
    changed = 0
    for key, status in marks.items():
        record = existing.get(str(key))
        if record is None:
            record = Attendance(workshop=workshop, member=invitees[str(key)], created_by=by)
        elif record.status == status:
            continue
        record.status = status
        audited_save(record, by=by, validate=False)
        changed += 1
    return changed


# --- field assignments ---------------------------------------------------------------


def parse_rubric(text: str) -> list[dict[str, Any]]:
    """Rubric criteria, one per line: "text" (scored 0–3) or "text | highest score"."""
    criteria: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        label, _sep, top = line.partition("|")
        try:
            highest = int(top.strip()) if top.strip() else 3
        except ValueError:
            highest = 0
        if not 1 <= highest <= 10:
            raise ValidationError(
                {
                    "rubric": _(
                        "Line %(n)s: the highest score must be a whole number from 1 to 10."
                    )
                    % {"n": number}
                }
            )
        criteria.append(
            {"key": f"c{len(criteria) + 1}", "text": label.strip()[:300], "max": highest}
        )
    if not criteria:
        raise ValidationError({"rubric": _("Give at least one criterion.")})
    return criteria


def rubric_text(rubric: list[dict[str, Any]]) -> str:
    return "\n".join(f"{c['text']} | {c['max']}" for c in rubric)


@transaction.atomic
def field_assignment_save(
    *,
    cohort: Cohort,
    field_assignment: FieldAssignment | None = None,
    version: int | None = None,
    title: str,
    instructions: str,
    due_on: datetime.date,
    rubric: list[dict[str, Any]],
    theme: Theme | None = None,
    by: User | None,
) -> FieldAssignment:
    _check_theme(cohort, theme)
    if field_assignment is None:
        field_assignment = FieldAssignment(cohort=cohort, created_by=by)
    else:
        claim_version(field_assignment, version)
        if (
            field_assignment.submissions.exclude(scores={}).exists()
            and rubric != field_assignment.rubric
        ):
            raise ValidationError(
                {"rubric": _("Submissions were already scored on this rubric; it cannot change.")}
            )
    field_assignment.title = title.strip()
    field_assignment.instructions = instructions.strip()
    field_assignment.due_on = due_on
    field_assignment.rubric = rubric
    field_assignment.theme = theme
    return audited_save(field_assignment, by=by)  # type: ignore[return-value]


def _check_file(upload: UploadedFile) -> str:
    content_type = (
        upload.content_type
        or mimetypes.guess_type(upload.name or "")[0]
        or "application/octet-stream"
    )
    if content_type not in ATTACHMENT_TYPES:
        raise ValidationError(
            {
                "files": _("“%(name)s” is not a photo (JPEG, PNG, WebP) or a PDF.")
                % {"name": upload.name}
            }
        )
    if upload.size and upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {"files": _("“%(name)s” is larger than 10 MB.") % {"name": upload.name}}
        )
    head = upload.read(8)
    upload.seek(0)
    signatures = {
        "image/jpeg": (b"\xff\xd8\xff",),
        "image/png": (b"\x89PNG",),
        "image/webp": (b"RIFF",),
        "application/pdf": (b"%PDF",),
    }
    if not head.startswith(signatures[content_type]):
        raise ValidationError(
            {"files": _("“%(name)s” is not what its type says it is.") % {"name": upload.name}}
        )
    return content_type


@transaction.atomic
def submission_submit(
    *,
    field_assignment: FieldAssignment,
    member: CohortMember,
    text: str,
    files: Sequence[UploadedFile] = (),
    version: int | None = None,
    by: User | None,
) -> Submission:
    """Hand in (or hand in again, when asked) a field assignment."""
    if member.role != CohortMember.Role.CRC or member.cohort_id != field_assignment.cohort_id:
        raise ValidationError(_("Only the cohort's CRCs hand in field assignments."))
    if not text.strip():
        raise ValidationError({"text": _("Describe what you did.")})
    types = [_check_file(f) for f in files]
    submission = Submission.objects.filter(field_assignment=field_assignment, member=member).first()
    if submission is None:
        submission = Submission(field_assignment=field_assignment, member=member, created_by=by)
    else:
        claim_version(submission, version)
        if submission.status == Submission.Status.ACCEPTED:
            raise ValidationError(_("This submission was accepted; it cannot change."))
        if submission.status == Submission.Status.RESUBMIT:
            submission.attempt += 1
    if (
        len(files)
        + (submission.files.filter(attempt=submission.attempt).count() if submission.pk else 0)
        > ATTACHMENTS_PER_SUBMISSION
    ):
        raise ValidationError({"files": _("At most 5 attachments.")})
    submission.text = text.strip()
    submission.status = Submission.Status.SUBMITTED
    submission.submitted_at = timezone.now()
    audited_save(submission, by=by, reason=f"attempt {submission.attempt}")
    for upload, content_type in zip(files, types, strict=True):
        attachment = SubmissionFile(
            submission=submission,
            original_name=(upload.name or "file")[:255],
            content_type=content_type,
            size=upload.size or 0,
            attempt=submission.attempt,
            created_by=by,
        )
        attachment.file.save(attachment.original_name, upload, save=False)
        attachment.save()
    return submission


@transaction.atomic
def submission_review(
    *,
    submission: Submission,
    reviewer: Person,
    accept: bool,
    scores: dict[str, Any],
    comment: str,
    version: int | None,
    by: User | None,
) -> Submission:
    """Score a submission on the rubric, then accept it or ask for a resubmission."""
    claim_version(submission, version)
    if submission.status != Submission.Status.SUBMITTED:
        raise ValidationError(_("This submission is not waiting for a review."))
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for criterion in submission.field_assignment.rubric:
        value = scores.get(criterion["key"])
        try:
            score = int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            errors.setdefault(f"score_{criterion['key']}", []).append(_("Give a score."))
            continue
        if not 0 <= score <= criterion["max"]:
            errors.setdefault(f"score_{criterion['key']}", []).append(
                _("Give a score from 0 to %(max)s.") % {"max": criterion["max"]}
            )
        clean[criterion["key"]] = score
    if not accept and not comment.strip():
        errors.setdefault("comment", []).append(
            _("Say what to change when you ask for a resubmission.")
        )
    if errors:
        raise ValidationError(errors)
    submission.scores = clean
    submission.review_comment = comment.strip()
    submission.reviewed_by = reviewer
    submission.reviewed_at = timezone.now()
    submission.status = Submission.Status.ACCEPTED if accept else Submission.Status.RESUBMIT
    return audited_save(submission, by=by, reason=submission.status)  # type: ignore[return-value]


# --- coaching visits ---------------------------------------------------------------------


@transaction.atomic
def visit_record(
    *,
    coach: CohortMember,
    crc: CohortMember,
    visited_on: datetime.date,
    place: str,
    focus_skills: Iterable[Skill] = (),
    notes: str = "",
    actions: Sequence[tuple[str, datetime.date]] = (),
    actions_done: Iterable[VisitAction] = (),
    by: User | None,
) -> CoachingVisit:
    """A coach's visit to a CRC: what they worked on, which open actions are now done,
    and the new actions agreed."""
    if crc.role != CohortMember.Role.CRC or coach.cohort_id != crc.cohort_id:
        raise ValidationError(_("A coaching visit is to a CRC of the same cohort."))
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("The date is in the future.")})
    skills = list(focus_skills)
    if any(s.framework_id != crc.cohort.framework_id for s in skills):
        raise ValidationError(
            {"focus_skills": _("A skill is not part of this cohort's framework.")}
        )
    errors = []
    for number, (text, due_on) in enumerate(actions, start=1):
        if not text.strip():
            errors.append(_("Action %(n)s: say what is to be done.") % {"n": number})
        if due_on < visited_on:
            errors.append(_("Action %(n)s: the due date is before the visit.") % {"n": number})
    if errors:
        raise ValidationError({"actions": errors})
    visit = CoachingVisit(
        cohort=crc.cohort,
        coach=coach,
        crc=crc,
        visited_on=visited_on,
        place=place.strip(),
        notes=notes.strip(),
        created_by=by,
    )
    audited_save(visit, by=by)
    visit.focus_skills.set(skills)
    for action in actions_done:
        if action.crc_id != crc.pk:
            raise ValidationError(_("An action marked done belongs to another CRC."))
        if action.done_on is None:
            action.done_on = visited_on
            audited_save(action, by=by, reason="done", validate=False)
    bulk_create_with_history(
        [
            VisitAction(visit=visit, crc=crc, text=text.strip()[:300], due_on=due_on, created_by=by)
            for text, due_on in actions
        ],
        VisitAction,
        default_user=by,
    )
    return visit


@transaction.atomic
def action_mark_done(*, action: VisitAction, on: datetime.date, by: User | None) -> VisitAction:
    if action.done_on is not None:
        return action
    if on > timezone.localdate():
        raise ValidationError(_("The date is in the future."))
    action.done_on = on
    return audited_save(action, by=by, reason="done", validate=False)  # type: ignore[return-value]

"""The programme that builds CRCs' skills: cohorts and their cascade of support, workshops
and attendance, field assignments and their review, and on-site coaching visits."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clusterwise.core.models import BaseModel, VersionedModel
from clusterwise.org.models import PATH_OPCLASS


class Cohort(BaseModel, VersionedModel):
    """A group of CRCs going through the programme together, on one framework version."""

    class Kind(models.TextChoices):
        PILOT = "pilot", _("Pilot")
        BASIC = "basic", _("Basic")
        ADVANCED = "advanced", _("Advanced")
        TRIBAL = "tribal", _("Tribal adaptation")
        URBAN = "urban", _("Urban adaptation")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    framework = models.ForeignKey(
        "skills.Framework",
        verbose_name=_("skill framework"),
        on_delete=models.PROTECT,
        related_name="cohorts",
    )
    # The unit that runs the cohort (the state, or a district): its officers manage it.
    org_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("run by"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    visits_planned = models.PositiveSmallIntegerField(
        _("coaching visits planned per CRC"), default=3
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="cohort_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CohortMember(BaseModel):
    """A person's part in a cohort. `supported_by` makes the cascade explicit: a CRC's coach,
    a coach's master facilitator, a master facilitator's expert."""

    class Role(models.TextChoices):
        EXPERT = "expert", _("Expert")
        MASTER_FACILITATOR = "mf", _("Master facilitator")
        COACH = "coach", _("Coach")
        CRC = "crc", _("CRC")

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(
        "org.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="cohort_memberships",
    )
    role = models.CharField(_("role"), max_length=6, choices=Role.choices)
    supported_by = models.ForeignKey(
        "self",
        verbose_name=_("supported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supports",
    )
    # Where the member works (a CRC's cluster), copied so scope is one index range scan.
    org_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("works at"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cohort member")
        verbose_name_plural = _("cohort members")
        ordering = ["cohort", "role", "org_path"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "person"], name="cohort_member_once"),
        ]
        indexes = [
            models.Index(
                fields=["cohort", "role", "org_path"],
                name="member_cohort_path",
                opclasses=["", "", PATH_OPCLASS],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


class Workshop(BaseModel, VersionedModel):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="workshops")
    title = models.CharField(_("title"), max_length=200)
    theme = models.ForeignKey(
        "skills.Theme",
        verbose_name=_("theme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("starts"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    online_link = models.URLField(_("online link"), blank=True)
    # Only the cohort's CRCs under this unit are expected (a district's session); empty: all.
    org_unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("for CRCs of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    facilitators = models.ManyToManyField(
        CohortMember, verbose_name=_("facilitators"), blank=True, related_name="facilitated"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(venue="", online_link=""), name="workshop_has_place"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(BaseModel):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        ABSENT = "absent", _("Absent")

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(CohortMember, on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(_("attendance"), max_length=8, choices=Status.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["workshop", "member"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_status_display()}"


class FieldAssignment(BaseModel, VersionedModel):
    """Practice between workshops: what CRCs do in their cluster and hand in for review."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="field_assignments")
    title = models.CharField(_("title"), max_length=200)
    theme = models.ForeignKey(
        "skills.Theme",
        verbose_name=_("theme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    instructions = models.TextField(_("instructions"))
    due_on = models.DateField(_("due"))
    # [{"key": "c1", "text": "...", "max": 3}, ...]: the criteria a reviewer scores.
    rubric = models.JSONField(_("rubric"), default=list)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("field assignment")
        verbose_name_plural = _("field assignments")
        ordering = ["due_on", "title"]

    def __str__(self) -> str:
        return self.title


class Submission(BaseModel, VersionedModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for review")
        RESUBMIT = "resubmit", _("Resubmission asked")
        ACCEPTED = "accepted", _("Accepted")

    field_assignment = models.ForeignKey(
        FieldAssignment, on_delete=models.CASCADE, related_name="submissions"
    )
    member = models.ForeignKey(CohortMember, on_delete=models.CASCADE, related_name="submissions")
    text = models.TextField(_("what I did"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        "org.Person",
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    scores = models.JSONField(_("rubric scores"), default=dict, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["field_assignment", "member"], name="submission_once"),
        ]

    def __str__(self) -> str:
        return f"{self.field_assignment} – {self.member}"


def _attachment_path(instance: SubmissionFile, filename: str) -> str:
    return f"submissions/{instance.submission_id}/{instance.id}"


class SubmissionFile(BaseModel):
    """A photo or document handed in with a submission; served only through a scoped view."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=_attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    attempt = models.PositiveSmallIntegerField(default=1)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class CoachingVisit(BaseModel, VersionedModel):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="visits")
    coach = models.ForeignKey(
        CohortMember, verbose_name=_("coach"), on_delete=models.PROTECT, related_name="visits_made"
    )
    crc = models.ForeignKey(
        CohortMember, verbose_name=_("CRC"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200)
    focus_skills = models.ManyToManyField(
        "skills.Skill", verbose_name=_("focus skills"), blank=True, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("coaching visit")
        verbose_name_plural = _("coaching visits")
        ordering = ["-visited_on"]

    def __str__(self) -> str:
        return f"{self.crc.person} {self.visited_on}"


class VisitAction(BaseModel):
    """Something a CRC agreed to do before a due date; the next visit starts with these."""

    visit = models.ForeignKey(CoachingVisit, on_delete=models.CASCADE, related_name="actions")
    crc = models.ForeignKey(CohortMember, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField(_("action"), max_length=300)
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agreed action")
        verbose_name_plural = _("agreed actions")
        ordering = ["due_on"]

    def __str__(self) -> str:
        return self.text

    def is_overdue(self, on: datetime.date | None = None) -> bool:
        return self.done_on is None and self.due_on < (on or timezone.localdate())

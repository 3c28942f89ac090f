"""Classroom observation: instruments (sections → items scored 1–5, time-on-task snapshots),
visit plans, observations with written feedback and its follow-up, the quality review of
feedback, and the conflicts that offline sync refused to overwrite.

Observations are created on a phone, often offline, so their UUID comes from the device:
re-sending one is an idempotent upsert (observation.services.observation_sync).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clusterwise.core.i18n import localized
from clusterwise.core.models import BaseModel, VersionedModel
from clusterwise.org.models import PATH_OPCLASS

SCALE = (1, 2, 3, 4, 5)
MAX_NEXT_STEPS = 2


class OnTask(models.TextChoices):
    FEW = "few", _("Few (under a third)")
    SOME = "some", _("Some (a third to two thirds)")
    MOST = "most", _("Most (over two thirds)")


class Instrument(BaseModel):
    """One version of an observation instrument; `key` names the family its versions share."""

    class Kind(models.TextChoices):
        FULL = "full", _("Full lesson")
        QUICK = "quick", _("Quick visit")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    key = models.SlugField(_("key"), max_length=60)
    version = models.PositiveIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FULL)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    name = models.JSONField(_("name"), default=dict)
    description = models.JSONField(_("description"), default=dict, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("lesson length (minutes)"), default=40)
    # Minutes into the lesson at which the observer records a time-on-task snapshot.
    snapshot_minutes = models.JSONField(_("snapshot minutes"), default=list, blank=True)
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="revisions",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("observation instrument")
        verbose_name_plural = _("observation instruments")
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="instrument_key_version"),
            models.UniqueConstraint(
                fields=["key"], condition=Q(status="draft"), name="instrument_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"{localized(self.name)} v{self.version}"


class Section(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="sections")
    code = models.SlugField(_("code"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.JSONField(_("name"), default=dict)

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["instrument", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="section_code"),
        ]

    def __str__(self) -> str:
        return localized(self.name)


class Item(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.JSONField(_("name"), default=dict)
    guidance = models.JSONField(_("what to look for"), default=dict, blank=True)
    # {"1": {"en": ...}, "3": {...}, "5": {...}}: the behaviour each scale point stands for.
    descriptors = models.JSONField(_("behaviour descriptors"), default=dict)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["instrument", "section__order", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="item_code"),
        ]

    def __str__(self) -> str:
        return localized(self.name)

    def descriptor(self, score: int) -> str:
        return localized(self.descriptors.get(str(score)))


class PlannedVisit(BaseModel, VersionedModel):
    """A school (and, when known, a teacher) an observer means to visit on a day."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    observer = models.ForeignKey(
        "org.Person",
        verbose_name=_("observer"),
        on_delete=models.PROTECT,
        related_name="planned_visits",
    )
    school = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    teacher = models.ForeignKey(
        "org.Person",
        verbose_name=_("teacher"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_path = models.CharField(max_length=255, editable=False)
    planned_on = models.DateField(_("date"))
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("planned visit")
        verbose_name_plural = _("planned visits")
        ordering = ["planned_on", "org_path"]
        indexes = [
            models.Index(fields=["observer", "planned_on"], name="plan_observer_day"),
            models.Index(
                fields=["org_path", "planned_on"],
                name="plan_path_day",
                opclasses=[PATH_OPCLASS, ""],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.planned_on}"


class Observation(BaseModel, VersionedModel):
    """One observed lesson: snapshots, item scores, evidence notes, and (once submitted) the
    written feedback the teacher sees."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    instrument = models.ForeignKey(
        Instrument,
        verbose_name=_("instrument"),
        on_delete=models.PROTECT,
        related_name="observations",
    )
    observer = models.ForeignKey(
        "org.Person",
        verbose_name=_("observer"),
        on_delete=models.PROTECT,
        related_name="observations_made",
    )
    teacher = models.ForeignKey(
        "org.Person",
        verbose_name=_("teacher"),
        on_delete=models.PROTECT,
        related_name="observations",
    )
    school = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)
    planned_visit = models.ForeignKey(
        PlannedVisit,
        verbose_name=_("planned visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="observations",
    )
    # The teacher's previous submitted observation, whose agreed actions this one follows up.
    previous = models.ForeignKey(
        "self",
        verbose_name=_("follows up"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    observed_on = models.DateField(_("date"))
    started_at = models.DateTimeField(_("lesson started"), null=True, blank=True)
    grade = models.CharField(_("class"), max_length=20, blank=True)
    subject = models.CharField(_("subject"), max_length=100, blank=True)
    topic = models.CharField(_("lesson topic"), max_length=200, blank=True)
    students_present = models.PositiveSmallIntegerField(
        _("students present"), null=True, blank=True
    )
    notes = models.TextField(_("evidence notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # What the device sent: its own edit counter and a digest of the canonical payload, so
    # a replay is recognised and a different payload under the same id is never applied.
    revision = models.PositiveIntegerField(default=1)
    payload_digest = models.CharField(max_length=64, editable=False)
    device = models.CharField(_("device"), max_length=64, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["-observed_on", "-created_at"]
        indexes = [
            models.Index(
                fields=["org_path", "observed_on"],
                name="observation_path_day",
                opclasses=[PATH_OPCLASS, ""],
            ),
            models.Index(fields=["teacher", "observed_on"], name="observation_teacher_day"),
            models.Index(fields=["observer", "observed_on"], name="observation_observer_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="observation_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} {self.observed_on}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class Score(models.Model):
    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)

    class Meta:
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        constraints = [
            models.UniqueConstraint(fields=["observation", "item"], name="score_once"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="score_on_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.score}"


class Snapshot(models.Model):
    """Time on task at one minute of the lesson."""

    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="snapshots")
    minute = models.PositiveSmallIntegerField(_("minute"))
    learning_activity = models.BooleanField(_("teacher runs a learning activity"), null=True)
    on_task = models.CharField(_("students on task"), max_length=4, choices=OnTask.choices)

    class Meta:
        verbose_name = _("time-on-task snapshot")
        verbose_name_plural = _("time-on-task snapshots")
        ordering = ["observation", "minute"]
        constraints = [
            models.UniqueConstraint(fields=["observation", "minute"], name="snapshot_once"),
        ]

    def __str__(self) -> str:
        return f"{self.minute}′: {self.on_task}"


class Feedback(BaseModel, VersionedModel):
    """What the observer writes to the teacher: strengths grounded in evidence, at most two
    focused next steps, agreed actions with dates, optional resources."""

    observation = models.OneToOneField(
        Observation, on_delete=models.CASCADE, related_name="feedback"
    )
    strengths = models.TextField(_("strengths"), blank=True)
    next_steps = models.JSONField(_("next steps"), default=list, blank=True)
    resources = models.TextField(_("resources"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    reply = models.TextField(_("teacher's reply"), blank=True)
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")

    def __str__(self) -> str:
        return str(self.observation)


class FeedbackAction(BaseModel):
    """An action the teacher agreed to take by a date; the next observation follows it up."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        PARTLY = "partly", _("Partly done")
        NOT_DONE = "not_done", _("Not done")

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="actions")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("action"), max_length=300)
    due_on = models.DateField(_("by"))
    status = models.CharField(
        _("follow-up"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    followed_up_in = models.ForeignKey(
        Observation,
        verbose_name=_("followed up in"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followed_up",
    )
    follow_up_comment = models.CharField(_("comment"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agreed action")
        verbose_name_plural = _("agreed actions")
        ordering = ["feedback", "order"]

    def __str__(self) -> str:
        return self.text

    def is_overdue(self, on: datetime.date | None = None) -> bool:
        return self.status == self.Status.OPEN and self.due_on < (on or timezone.localdate())


REVIEW_CRITERIA = ("specific", "grounded", "actionable", "focused", "respectful")


class FeedbackReview(BaseModel, VersionedModel):
    """A coach's judgement of one piece of written feedback on the feedback-quality rubric."""

    CRITERIA = REVIEW_CRITERIA

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        "org.Person", verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+"
    )
    specific = models.PositiveSmallIntegerField(_("specific"))
    grounded = models.PositiveSmallIntegerField(_("grounded in observed evidence"))
    actionable = models.PositiveSmallIntegerField(_("actionable"))
    focused = models.PositiveSmallIntegerField(_("focused"))
    respectful = models.PositiveSmallIntegerField(_("respectful"))
    comment = models.TextField(_("comment"), blank=True)
    # Copied from the feedback's observation: the CRC whose writing is judged, and where.
    writer = models.ForeignKey(
        "org.Person", on_delete=models.PROTECT, related_name="feedback_reviews", editable=False
    )
    written_on = models.DateField(editable=False)
    org_path = models.CharField(max_length=255, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("feedback review")
        verbose_name_plural = _("feedback reviews")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["feedback", "reviewer"], name="review_once"),
        ] + [
            models.CheckConstraint(
                condition=Q(**{f"{name}__gte": 1, f"{name}__lte": 4}),
                name=f"review_{name}_on_scale",
            )
            for name in REVIEW_CRITERIA
        ]
        indexes = [models.Index(fields=["writer", "written_on"], name="review_writer_day")]

    def __str__(self) -> str:
        return f"{self.feedback} ({self.total})"

    @property
    def total(self) -> int:
        return sum(getattr(self, name) for name in self.CRITERIA)


class SyncConflict(BaseModel):
    """A payload the sync endpoint refused because the same id already holds different data.

    Nothing is overwritten silently: a supervisor keeps the server's record or takes the
    device's."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        KEPT_SERVER = "kept_server", _("Kept the server's record")
        TOOK_DEVICE = "took_device", _("Took the device's record")

    record_id = models.UUIDField(_("record"))
    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="conflicts")
    org_path = models.CharField(max_length=255, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    device = models.CharField(_("device"), max_length=64, blank=True)
    payload = models.JSONField(_("device's payload"))
    payload_digest = models.CharField(max_length=64)
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sync conflict")
        verbose_name_plural = _("sync conflicts")
        ordering = ["-created_at"]
        constraints = [
            # The same refused payload sent again is one conflict, not many.
            models.UniqueConstraint(
                fields=["record_id", "payload_digest"], name="conflict_once_per_payload"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} ({self.get_status_display()})"

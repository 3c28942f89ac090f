"""Skill frameworks (themes → skills → level descriptors) and skill assessments.

Framework texts are written in several languages, so they are stored as dicts of
language code → text (see core/i18n.py). A published framework is frozen: cohorts and
assessments point at its skills, so a change makes a new version (skills.services).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clusterwise.core.i18n import localized
from clusterwise.core.models import BaseModel, VersionedModel

LEVELS = (1, 2, 3, 4)
LEVEL_NAMES = {
    1: _("Beginning"),
    2: _("Developing"),
    3: _("Proficient"),
    4: _("Advanced"),
}


class Framework(BaseModel):
    """One version of a skill framework; `key` names the family its versions share."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    key = models.SlugField(_("key"), max_length=60)
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    name = models.JSONField(_("name"), default=dict)
    description = models.JSONField(_("description"), default=dict, blank=True)
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
        verbose_name = _("skill framework")
        verbose_name_plural = _("skill frameworks")
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="framework_key_version"),
            # At most one draft per family: revising twice would fork the framework.
            models.UniqueConstraint(
                fields=["key"], condition=Q(status="draft"), name="framework_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"{localized(self.name)} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT


class Theme(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="themes")
    code = models.SlugField(_("code"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.JSONField(_("name"), default=dict)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["framework", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="theme_code"),
        ]

    def __str__(self) -> str:
        return localized(self.name)


class Skill(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="skills")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="skills")
    code = models.CharField(_("code"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.JSONField(_("name"), default=dict)
    # {"1": {"en": ..., "hi": ...}, ... "4": {...}}: what each level looks like in practice.
    descriptors = models.JSONField(_("level descriptors"), default=dict)
    # [{"en": ..., "mr": ...}, ...]: what an observer can see or hear.
    indicators = models.JSONField(_("indicators"), default=list, blank=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["framework", "theme__order", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="skill_code"),
        ]

    def __str__(self) -> str:
        return localized(self.name)

    def descriptor(self, level: int) -> str:
        return localized(self.descriptors.get(str(level)))


class Round(models.TextChoices):
    BASELINE = "baseline", _("Baseline")
    MIDLINE = "midline", _("Midline")
    ENDLINE = "endline", _("Endline")


ROUND_ORDER = {value: index for index, value in enumerate(Round.values)}


class Assessment(BaseModel, VersionedModel):
    """One rating of every skill of a CRC in a round, by their coach or by themselves."""

    class Kind(models.TextChoices):
        COACH = "coach", _("Coach's assessment")
        SELF = "self", _("Self-assessment")

    cohort = models.ForeignKey(
        "programme.Cohort",
        verbose_name=_("cohort"),
        on_delete=models.CASCADE,
        related_name="assessments",
    )
    member = models.ForeignKey(
        "programme.CohortMember",
        verbose_name=_("CRC"),
        on_delete=models.CASCADE,
        related_name="assessments",
    )
    round = models.CharField(_("round"), max_length=10, choices=Round.choices)
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices, default=Kind.COACH)
    assessor = models.ForeignKey(
        "org.Person", verbose_name=_("assessor"), on_delete=models.PROTECT, related_name="+"
    )
    assessed_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("skill assessment")
        verbose_name_plural = _("skill assessments")
        ordering = ["cohort", "member", "round"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "round", "kind"], name="assessment_one_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} – {self.get_round_display()} ({self.get_kind_display()})"


class Rating(models.Model):
    """The level of one skill in one assessment.

    Cohort, member, round and kind are copies of the assessment's, written by the service,
    so that the skill matrix and growth report of a 5,000-CRC cohort read one index.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="ratings")
    level = models.PositiveSmallIntegerField(_("level"))
    evidence = models.TextField(_("evidence"), blank=True)
    cohort = models.ForeignKey("programme.Cohort", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey("programme.CohortMember", on_delete=models.CASCADE, related_name="+")
    round = models.CharField(max_length=10, choices=Round.choices)
    kind = models.CharField(max_length=5, choices=Assessment.Kind.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "skill"], name="rating_one_per_skill"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="rating_level_1_to_4"
            ),
        ]
        indexes = [
            models.Index(
                fields=["cohort", "kind", "round", "member", "skill", "level"],
                name="rating_matrix",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.skill}: {self.level}"

"""Assessment rounds, students' results and the analytics tables built from them.

A round (a baseline or endline language test, say) names its grades and, per subject, its
competencies: each scored from 0 to a maximum, or by level (letter, word, paragraph, story),
with the score from which a student counts as proficient. Results arrive by import, one row
per student and competency; the raw rows stay, and every dashboard reads `ResultCell`, the
pre-aggregated table per org unit (every level) × grade × competency × gender.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clusterwise.core.i18n import localized
from clusterwise.core.models import BaseModel, Job, VersionedModel
from clusterwise.org.models import PATH_OPCLASS, OrgUnit

MAX_LEVELS = 6  # the analytics tables keep one count per level: level_0 … level_5


class Round(BaseModel, VersionedModel):
    """One assessment round: who runs it, when, for which grades, per student or per class."""

    class Unit(models.TextChoices):
        STUDENT = "student", _("One result per student")
        CLASS = "class", _("One result per class")

    class Status(models.TextChoices):
        OPEN = "open", _("Open for results")
        CLOSED = "closed", _("Closed")

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.JSONField(_("name"), help_text=_("By language code: {'en': …, 'mr': …}"))
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("run by"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    grades = models.JSONField(_("grades"), default=list)
    unit = models.CharField(_("results"), max_length=10, choices=Unit.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assessment round")
        verbose_name_plural = _("assessment rounds")
        ordering = ["-starts_on", "key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="round_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return localized(self.name) or self.key


class Level(models.Model):
    """A step of a subject's level scale (beginner, letter, word, paragraph, story), lowest
    first; `min_score` places a scored competency's result on the scale."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="levels")
    subject = models.CharField(_("subject"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.CharField(_("code"), max_length=40)
    name = models.JSONField(_("name"))
    min_score = models.FloatField(_("from score"), null=True, blank=True)

    class Meta:
        verbose_name = _("level")
        verbose_name_plural = _("levels")
        ordering = ["round", "subject", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "subject", "order"], name="level_order_unique"
            ),
            models.UniqueConstraint(fields=["round", "subject", "code"], name="level_code_unique"),
            models.CheckConstraint(condition=Q(order__lt=MAX_LEVELS), name="level_order_max"),
        ]

    def __str__(self) -> str:
        return localized(self.name) or self.code


class Competency(models.Model):
    """What a round assesses in one subject, for some of its grades."""

    class Scale(models.TextChoices):
        SCORE = "score", _("Score from 0 to a maximum")
        LEVEL = "level", _("Level reached")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="competencies")
    subject = models.CharField(_("subject"), max_length=40)
    code = models.CharField(_("code"), max_length=40)
    name = models.JSONField(_("name"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    grades = models.JSONField(_("grades"), default=list)
    scale = models.CharField(_("scale"), max_length=10, choices=Scale.choices)
    max_score = models.FloatField(_("maximum score"))
    # A student is proficient from this score (for a level scale: from this level's order).
    threshold = models.FloatField(_("proficient from"))

    class Meta:
        verbose_name = _("competency")
        verbose_name_plural = _("competencies")
        ordering = ["round", "subject", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "code"], name="competency_code_unique"),
            models.CheckConstraint(condition=Q(max_score__gt=0), name="competency_max_positive"),
            models.CheckConstraint(
                condition=Q(threshold__gte=0, threshold__lte=models.F("max_score")),
                name="competency_threshold_in_range",
            ),
        ]

    def __str__(self) -> str:
        return localized(self.name) or self.code


class Result(models.Model):
    """One student's result in one competency: pseudonymous, seen only at the school.

    Kept narrow (no surrogate key, no path) because a state holds hundreds of millions."""

    class Gender(models.TextChoices):
        GIRL = "F", _("Girl")
        BOY = "M", _("Boy")
        OTHER = "O", _("Other")
        UNKNOWN = "U", _("Not recorded")

    pk = models.CompositePrimaryKey("competency_id", "school_id", "student")
    # The key's order (competency, school, student) serves every read: a school's results
    # for a round's competencies, a refresh of some schools; no other index to maintain.
    # No foreign-key constraints in the database: checked per row they cost six times the
    # load itself (three trigger lookups per result, 10M per file). Rows come only from the
    # import, which takes their ids from the database in its own transaction and holds the
    # schools and competencies it wrote against (FOR KEY SHARE, the lock a constraint would
    # take, once per school: imports.hold_referenced); deletes go through Django's on_delete.
    competency = models.ForeignKey(
        Competency, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    school = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    student = models.CharField(_("student ID"), max_length=40)
    grade = models.PositiveSmallIntegerField(_("grade"))
    section = models.CharField(_("section"), max_length=10, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    score = models.FloatField(_("score"))
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    batch = models.ForeignKey(
        "ResultImport",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")

    def __str__(self) -> str:
        return f"{self.student} {self.competency_id}: {self.score:g}"


class ResultImport(BaseModel):
    """One file of results for a round, how it was checked and what it added."""

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", _("All or nothing")
        QUARANTINE = "quarantine", _("Keep the valid rows, set the bad ones aside")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Imported")
        REFUSED = "refused", _("Refused: nothing imported")
        FAILED = "failed", _("Failed")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="imports")
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file_name = models.CharField(_("file"), max_length=255)
    digest = models.CharField(max_length=64, db_index=True)
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    added = models.PositiveIntegerField(_("added"), default=0)
    unchanged = models.PositiveIntegerField(_("already there"), default=0)
    rejected = models.PositiveIntegerField(_("rows with errors"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    seconds = models.FloatField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        verbose_name = _("result import")
        verbose_name_plural = _("result imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class ImportProblem(models.Model):
    """One reason one row of an import was refused: row, column, value, why."""

    batch = models.ForeignKey(ResultImport, on_delete=models.CASCADE, related_name="problems")
    line = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=40)
    value = models.CharField(_("value"), max_length=200)
    reason = models.CharField(_("reason"), max_length=300)

    class Meta:
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        ordering = ["batch", "line", "column"]

    def __str__(self) -> str:
        return f"row {self.line}, {self.column}: {self.reason}"


class QuarantinedRow(models.Model):
    """A bad row set aside by a quarantine import, as it was in the file, for correction."""

    batch = models.ForeignKey(ResultImport, on_delete=models.CASCADE, related_name="quarantined")
    line = models.PositiveIntegerField(_("row"))
    values = models.JSONField(_("values"))

    class Meta:
        verbose_name = _("quarantined row")
        verbose_name_plural = _("quarantined rows")
        ordering = ["batch", "line"]

    def __str__(self) -> str:
        return f"row {self.line}"


class ResultCell(models.Model):
    """The analytics table: a round's results summed per org unit (every level) × grade ×
    competency × gender. Means, spreads and shares are computed from these sums."""

    # Derived data, written only by analytics.refresh from ids it reads in its transaction:
    # no foreign-key constraints in the database (checking a million new cells at commit
    # took 9 s of a 10M-result import); Django's on_delete still cascades. The round needs
    # no index of its own: the unique constraint and the drill-down index lead with it.
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    org_path = models.CharField(max_length=255)
    depth = models.PositiveSmallIntegerField()
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    competency = models.ForeignKey(
        Competency,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,  # deleting a competency is rare; every read goes by round first
    )
    grade = models.PositiveSmallIntegerField()
    gender = models.CharField(max_length=1)
    students = models.PositiveIntegerField()
    total = models.FloatField()
    squares = models.FloatField()
    below = models.PositiveIntegerField()
    level_0 = models.PositiveIntegerField(default=0)
    level_1 = models.PositiveIntegerField(default=0)
    level_2 = models.PositiveIntegerField(default=0)
    level_3 = models.PositiveIntegerField(default=0)
    level_4 = models.PositiveIntegerField(default=0)
    level_5 = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("analytics cell")
        verbose_name_plural = _("analytics cells")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "org_unit", "competency", "grade", "gender"],
                name="resultcell_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["round", "depth", "org_path"],
                name="resultcell_drill",
                opclasses=["", "", PATH_OPCLASS],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org_path} {self.competency_id} grade {self.grade} {self.gender}"

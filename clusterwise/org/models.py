"""The org tree, schools, people, their roles and assignments."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager

from clusterwise.core.models import BaseModel, VersionedModel

# Path columns are compared by prefix. PostgreSQL needs the pattern operator class for a
# LIKE 'prefix%' to use an index; other databases ignore `opclasses`.
PATH_OPCLASS = "varchar_pattern_ops"


class User(AbstractUser):
    """A login. The person behind it (name, phone, roles) is `Person`."""

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class OrgUnit(BaseModel, MP_Node):
    """One node of the tree state → district → block → cluster → school (levels configurable)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=40, db_index=False)
    history = HistoricalRecords(excluded_fields=["numchild"])

    objects = MP_NodeManager()  # type: ignore[django-manager-missing]
    node_order_by: list[str] = []

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        indexes = [
            models.Index(
                fields=["level", "path"], name="orgunit_level_path", opclasses=["", PATH_OPCLASS]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def level_index(self) -> int:
        return settings.ORG_LEVELS.index(self.level)

    @property
    def is_school(self) -> bool:
        return self.level == settings.ORG_SCHOOL_LEVEL


# Labels for the usual level names (Maharashtra, Kenya, Rwanda); any other configured
# level shows as it is spelt in CLUSTERWISE_ORG_LEVELS.
LEVEL_LABELS = {
    "state": _("State"),
    "district": _("District"),
    "block": _("Block"),
    "cluster": _("Cluster"),
    "school": _("School"),
    "national": _("National"),
    "county": _("County"),
    "sub-county": _("Sub-county"),
    "zone": _("Zone"),
    "sector": _("Sector"),
}


class School(models.Model):
    """The school facts of a school-level org unit."""

    class Management(models.TextChoices):
        GOVERNMENT = "government", _("Government")
        LOCAL_BODY = "local_body", _("Local body")
        AIDED = "aided", _("Private aided")
        PRIVATE = "private", _("Private unaided")
        OTHER = "other", _("Other")

    class Area(models.TextChoices):
        RURAL = "rural", _("Rural")
        URBAN = "urban", _("Urban")

    org_unit = models.OneToOneField(
        OrgUnit, primary_key=True, on_delete=models.CASCADE, related_name="school"
    )
    management = models.CharField(_("management"), max_length=20, choices=Management.choices)
    area = models.CharField(_("rural/urban"), max_length=10, choices=Area.choices)
    tribal_area = models.BooleanField(_("tribal area"), default=False)
    languages = models.JSONField(_("languages of instruction"), default=list, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="school_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="school_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="school_coordinates_together",
            ),
        ]

    def __str__(self) -> str:
        return str(self.org_unit)


class Role(models.TextChoices):
    STATE_ADMIN = "state_admin", _("State admin")
    DISTRICT_OFFICER = "district_officer", _("District officer")
    MASTER_FACILITATOR = "master_facilitator", _("Master facilitator")
    COACH = "coach", _("Coach")
    CRC = "crc", _("Cluster resource coordinator")
    HEADTEACHER = "headteacher", _("Headteacher")
    TEACHER = "teacher", _("Teacher")
    LEADER_OF_LEARNING = "leader_of_learning", _("Leader of learning")
    DATA_OFFICER = "data_officer", _("Data officer")


class Person(BaseModel, VersionedModel):
    """Someone in the programme, who may or may not have a login."""

    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20, null=True, blank=True, unique=True)
    email = models.EmailField(_("email"), blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    external_id = models.CharField(
        _("external ID"), max_length=40, null=True, blank=True, unique=True
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name"]
        indexes = [models.Index(fields=["name", "id"], name="person_name")]

    def __str__(self) -> str:
        return self.name


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def active(self, on: datetime.date | None = None) -> AssignmentQuerySet:
        on = on or timezone.localdate()
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=on), start_date__lte=on)


class Assignment(BaseModel):
    """A person holding a role at an org unit from one date to another."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="assignments"
    )
    # A copy of org_unit.path so that "who works in this subtree" is one index range scan;
    # org.services keeps it in step when units move.
    org_path = models.CharField(max_length=255, editable=False)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"), null=True, blank=True)
    history = HistoricalRecords()

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        # Both indexes cover every column the scoped counts of a home page read (role, path,
        # dates, person), so those counts never visit the table rows: at state scale they
        # span 800,000 posts (docs/performance.md). SQLite counts per role by skipping
        # through the first one; PostgreSQL reads the second one for a subtree.
        indexes = [
            models.Index(
                fields=["role", "org_path", "end_date", "start_date"],
                name="assignment_role_path",
                opclasses=["", PATH_OPCLASS, "", ""],
            ),
            models.Index(
                fields=["org_path", "role", "start_date", "end_date", "person"],
                name="assignment_path",
                opclasses=[PATH_OPCLASS, "", "", "", ""],
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="assignment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_role_display()} – {self.org_unit.name}"

    def is_active(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.start_date <= on and (self.end_date is None or self.end_date >= on)


class ScopeFigures(models.Model):
    """The home-page figures of a large subtree (the state, a district), kept ready.

    Counting 800,000 posts on every request of a state officer is too slow, so the figures
    of units down to `settings.FIGURES_MAX_DEPTH` are computed by a job after every change
    (org.figures) and each morning; `generation` tells a job whether a change came in while
    it was counting.
    """

    org_unit = models.OneToOneField(
        OrgUnit, primary_key=True, on_delete=models.CASCADE, related_name="figures"
    )
    figures = models.JSONField(default=dict)
    computed_for = models.DateField(null=True)  # the day "active" was judged on
    computed_at = models.DateTimeField(null=True)
    stale = models.BooleanField(default=True)
    generation = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("scope figures")
        verbose_name_plural = _("scope figures")

    def __str__(self) -> str:
        return f"{self.org_unit} ({self.computed_at})"

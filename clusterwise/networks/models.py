"""School-leadership networks: who meets with whom, what they commit to, how they review each
other's schools, and the practice they share.

A network (a PLC, a community of practice, a peer-review group, a cluster network, or a
teacher CoP inside one school) has member schools and people and a facilitator. It meets;
commitments made at a meeting are actions of an action plan, witnessed by the members
present, and reviewed at the next meeting until done. Peer review runs yearly in cycles
(self-review → peer review → improvement workshop → school-to-school support). Groups can be
proposed from the schools' coordinates (formation.py) and accepted as networks.
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


class Network(BaseModel, VersionedModel):
    """A group of schools whose leaders (or teachers) learn together."""

    class Kind(models.TextChoices):
        PLC = "plc", _("Professional learning community")
        COP = "cop", _("Community of practice")
        PEER_REVIEW = "peer_review", _("Peer-review group")
        CLUSTER = "cluster", _("Cluster network")
        TEACHER_COP = "teacher_cop", _("Teacher community of practice")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # The unit that owns the network: its officers manage it (a block, a district, or the
    # school of a teacher CoP). Copied as a path so scope is one index range scan.
    org_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("owned by"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)
    facilitator = models.ForeignKey(
        "org.Person",
        verbose_name=_("facilitator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="networks_facilitated",
    )
    # The triple helix: a teacher CoP is part of the network its headteacher belongs to.
    part_of = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parts",
    )
    meeting_school = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("usual meeting school"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    description = models.TextField(_("purpose"), blank=True)
    started_on = models.DateField(_("started"))
    closed_on = models.DateField(_("closed"), null=True, blank=True)
    formed_by = models.ForeignKey(
        "FormationRun",
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="networks",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["org_path"], name="network_path", opclasses=[PATH_OPCLASS]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("started_on")),
                name="network_closes_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_on is None or self.closed_on >= timezone.localdate()


class NetworkSchool(BaseModel):
    """A school's membership of a network."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="schools")
    school = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    school_path = models.CharField(max_length=255, editable=False)
    # Walking time to the usual meeting school, when the network was formed from geography.
    walking_minutes = models.PositiveSmallIntegerField(
        _("walking minutes to the meeting school"), null=True, blank=True
    )
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("member school")
        verbose_name_plural = _("member schools")
        ordering = ["network", "school_path"]
        constraints = [
            models.UniqueConstraint(fields=["network", "school"], name="network_school_once"),
        ]
        indexes = [
            models.Index(
                fields=["school_path"], name="network_school_path", opclasses=[PATH_OPCLASS]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}: {self.school_id}"


class NetworkMember(BaseModel):
    """A person in a network: a headteacher, a deputy, a teacher, or a co-facilitator."""

    class Role(models.TextChoices):
        HEADTEACHER = "headteacher", _("Headteacher")
        DEPUTY = "deputy", _("Deputy headteacher")
        TEACHER = "teacher", _("Teacher")
        LEADER = "leader", _("Leader of learning")
        CO_FACILITATOR = "co_facilitator", _("Co-facilitator")
        OFFICER = "officer", _("Education officer")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(
        "org.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="network_memberships",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    school = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("school"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("network member")
        verbose_name_plural = _("network members")
        ordering = ["network", "role"]
        constraints = [
            models.UniqueConstraint(fields=["network", "person"], name="network_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


class Meeting(BaseModel, VersionedModel):
    """One meeting of a network, in person or at a distance."""

    class Template(models.TextChoices):
        SCHOOL_IMPROVEMENT = "school_improvement", _("School improvement")
        DATA_REVIEW = "data_review", _("Data review")
        CRISIS = "crisis", _("Crisis: equity and wellbeing")
        PEER_REVIEW = "peer_review", _("Peer review: improvement workshop")
        CUSTOM = "custom", _("Custom")

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        VIDEO = "video", _("Video call")
        PHONE = "phone", _("Phone call")
        WHATSAPP = "whatsapp", _("WhatsApp group")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(_("title"), max_length=200)
    template = models.CharField(_("agenda"), max_length=20, choices=Template.choices)
    starts_at = models.DateTimeField(_("starts"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=90)
    mode = models.CharField(_("where"), max_length=10, choices=Mode.choices)
    venue = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("venue school"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    venue_text = models.CharField(_("venue"), max_length=200, blank=True)
    link = models.URLField(_("link"), blank=True)
    whatsapp_group = models.CharField(_("WhatsApp group"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["network", "starts_at"], name="meeting_network_time")]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"

    @property
    def day(self) -> datetime.date:
        """The meeting's date where it is held (the project's time zone), not in UTC."""
        return timezone.localdate(self.starts_at)


class AgendaItem(models.Model):
    """A line of a meeting's agenda. Open commitments come to the next meeting on their own
    (`action`); the rest come from the agenda's template or are written in."""

    class Source(models.TextChoices):
        TEMPLATE = "template", _("From the template")
        REVIEW = "review", _("Commitment to review")
        PRACTICE = "practice", _("Practice to discuss")
        ADDED = "added", _("Added")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    order = models.PositiveSmallIntegerField()
    title = models.CharField(_("item"), max_length=300)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ADDED)
    action = models.ForeignKey(
        "Action", null=True, blank=True, on_delete=models.CASCADE, related_name="agenda_items"
    )
    practice = models.ForeignKey(
        "Practice", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "action"],
                condition=Q(action__isnull=False),
                name="agenda_reviews_action_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """Whether a member came to a meeting (and how, at a distance)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="+")
    present = models.BooleanField(_("present"), default=True)
    remote = models.BooleanField(_("joined at a distance"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="meeting_attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} at {self.meeting_id}"


class Attachment(BaseModel):
    """A file kept with a meeting, a peer review's evidence, an action's evidence, or a
    practice (exactly one of them)."""

    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    review = models.ForeignKey(
        "SchoolReview", null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    action = models.ForeignKey(
        "Action", null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    practice = models.ForeignKey(
        "Practice", null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(upload_to="networks/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(meeting__isnull=False, review=None, action=None, practice=None)
                    | Q(meeting=None, review__isnull=False, action=None, practice=None)
                    | Q(meeting=None, review=None, action__isnull=False, practice=None)
                    | Q(meeting=None, review=None, action=None, practice__isnull=False)
                ),
                name="attachment_belongs_to_one",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SchoolFigures(BaseModel, VersionedModel):
    """A school's own figures for a month, brought to the network's data pack: enrolment,
    attendance, children who dropped out and who came back. Counts of children, never
    names (those live in the equity register)."""

    school = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    school_path = models.CharField(max_length=255, editable=False)
    month = models.DateField(_("month"))  # the first day of the month
    enrolled = models.PositiveIntegerField(_("children enrolled"))
    attendance = models.DecimalField(_("average attendance (%)"), max_digits=4, decimal_places=1)
    dropped_out = models.PositiveIntegerField(_("children who dropped out"), default=0)
    came_back = models.PositiveIntegerField(_("children who came back"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("school figures")
        verbose_name_plural = _("school figures")
        ordering = ["school_path", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["school", "month"], name="school_figures_month"),
            models.CheckConstraint(
                condition=Q(attendance__gte=0, attendance__lte=100),
                name="school_figures_attendance_percent",
            ),
        ]
        indexes = [
            models.Index(
                fields=["school_path", "month"],
                name="school_figures_path",
                opclasses=[PATH_OPCLASS, ""],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.month:%Y-%m}"


# --- action plans and commitments ------------------------------------------------------------


class ActionPlan(BaseModel, VersionedModel):
    """Goals and the actions that reach them: a school's, a network's, a cluster's development
    plan, or a performance contract (imihigo) whose targets a supervisor signs off."""

    class Kind(models.TextChoices):
        SCHOOL = "school", _("School improvement plan")
        NETWORK = "network", _("Network action plan")
        CLUSTER = "cluster", _("Cluster development plan")
        CONTRACT = "contract", _("Performance contract")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    goals = models.TextField(_("goals"), blank=True)
    network = models.ForeignKey(
        Network,
        verbose_name=_("network"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="plans",
    )
    # The school of a school plan or contract, the cluster of a cluster plan, the network's
    # owner for a network plan: whose officers see it.
    org_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("for"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    supervisor = models.ForeignKey(
        "org.Person",
        verbose_name=_("signed off by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    cycle = models.ForeignKey(
        "ReviewCycle",
        verbose_name=_("peer-review cycle"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plans",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        ordering = ["-starts_on", "title"]
        indexes = [
            models.Index(fields=["org_path"], name="plan_path", opclasses=[PATH_OPCLASS]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="plan_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(kind="network") | Q(network__isnull=False),
                name="plan_network_has_network",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Action(BaseModel, VersionedModel):
    """One commitment: who does what by when, and how everyone will know it is done."""

    class Status(models.TextChoices):
        OPEN = "open", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="actions")
    goal = models.CharField(_("goal"), max_length=200, blank=True)
    text = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        "org.Person", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("due"))
    success_measure = models.CharField(_("how we will know"), max_length=300)
    target = models.CharField(_("target"), max_length=100, blank=True)
    achieved = models.CharField(_("achieved"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="open")
    evidence = models.TextField(_("evidence of completion"), blank=True)
    completed_on = models.DateField(_("completed"), null=True, blank=True)
    made_in = models.ForeignKey(
        Meeting,
        verbose_name=_("committed at"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commitments",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_on", "text"]
        indexes = [models.Index(fields=["status", "due_on"], name="action_status_due")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_on__isnull=False),
                name="action_done_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.DROPPED)

    def is_overdue(self, on: datetime.date | None = None) -> bool:
        return not self.is_closed and self.due_on < (on or timezone.localdate())


class Witness(models.Model):
    """A member who was there when a commitment was made, and will ask after it."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="witnesses")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("witness")
        verbose_name_plural = _("witnesses")
        constraints = [
            models.UniqueConstraint(fields=["action", "person"], name="witness_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} witnessed {self.action_id}"


class ActionReview(BaseModel):
    """What a meeting found when it reviewed a commitment."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="reviews")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="reviews")
    status = models.CharField(_("status"), max_length=12, choices=Action.Status.choices)
    note = models.CharField(_("progress"), max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("commitment review")
        verbose_name_plural = _("commitment reviews")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["action", "meeting"], name="action_review_once"),
        ]

    def __str__(self) -> str:
        return f"{self.action} at {self.meeting}"


class Notification(BaseModel):
    """Something a person should know in the app: a meeting soon, an overdue action."""

    class Kind(models.TextChoices):
        MEETING_SOON = "meeting_soon", _("Meeting soon")
        ACTION_OVERDUE = "action_overdue", _("Action overdue")
        PRACTICE_RECOMMENDED = "practice", _("Practice recommended")

    person = models.ForeignKey(
        "org.Person", on_delete=models.CASCADE, related_name="network_notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    action = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    read_at = models.DateTimeField(null=True, blank=True)
    messaged = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            # Reminders run again and again; each is sent once.
            models.UniqueConstraint(
                fields=["person", "kind", "meeting"],
                condition=Q(meeting__isnull=False),
                name="notification_meeting_once",
            ),
            models.UniqueConstraint(
                fields=["person", "kind", "action"],
                condition=Q(action__isnull=False),
                name="notification_action_once",
            ),
        ]

    def __str__(self) -> str:
        return self.text


# --- the peer-review cycle --------------------------------------------------------------------


class ReviewFramework(BaseModel):
    """The areas a school is reviewed on, each rated on a 4-point scale. Texts are
    `{language: text}`; a framework in use is not edited but copied to a new version."""

    key = models.SlugField(_("key"), max_length=60)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.JSONField(_("name"), default=dict)
    scale = models.JSONField(_("rating scale"), default=list)  # four {language: label}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review framework")
        verbose_name_plural = _("review frameworks")
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="review_framework_version"),
        ]

    def __str__(self) -> str:
        return f"{localized(self.name)} v{self.version}"


class ReviewArea(models.Model):
    framework = models.ForeignKey(ReviewFramework, on_delete=models.CASCADE, related_name="areas")
    order = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=40)
    name = models.JSONField(_("name"))
    guidance = models.JSONField(_("what to look for"), default=dict, blank=True)

    class Meta:
        verbose_name = _("review area")
        verbose_name_plural = _("review areas")
        ordering = ["framework", "order"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="review_area_code"),
        ]

    def __str__(self) -> str:
        return localized(self.name)


class ReviewCycle(BaseModel, VersionedModel):
    """One year of a network's peer review, moving through its four stages in order."""

    class Stage(models.TextChoices):
        SELF_REVIEW = "self_review", _("Self-review")
        PEER_REVIEW = "peer_review", _("Peer review")
        WORKSHOP = "workshop", _("Improvement workshop")
        SUPPORT = "support", _("School-to-school support")
        CLOSED = "closed", _("Closed")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="cycles")
    year = models.PositiveSmallIntegerField(_("year"))
    framework = models.ForeignKey(
        ReviewFramework, verbose_name=_("framework"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.SELF_REVIEW
    )
    workshop = models.ForeignKey(
        Meeting,
        verbose_name=_("improvement workshop"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("peer-review cycle")
        verbose_name_plural = _("peer-review cycles")
        ordering = ["network", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["network", "year"], name="review_cycle_year"),
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.year}"


class SchoolReview(BaseModel, VersionedModel):
    """A school's self-review, or the review its peers made of it."""

    class Kind(models.TextChoices):
        SELF = "self", _("Self-review")
        PEER = "peer", _("Peer review")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="reviews")
    school = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    school_path = models.CharField(max_length=255, editable=False)
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    reviewers = models.ManyToManyField(
        "org.Person", verbose_name=_("reviewers"), blank=True, related_name="+"
    )
    visited_on = models.DateField(_("date"), null=True, blank=True)
    virtual = models.BooleanField(_("held at a distance"), default=False)
    strengths = models.TextField(_("strengths"), blank=True)
    to_develop = models.TextField(_("areas to develop"), blank=True)
    evidence = models.TextField(_("evidence seen"), blank=True)
    interviews = models.TextField(_("interviews held (who, how)"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("school review")
        verbose_name_plural = _("school reviews")
        ordering = ["cycle", "school_path", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "school", "kind"], name="school_review_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.school_id} {self.cycle}"


class AreaRating(models.Model):
    review = models.ForeignKey(SchoolReview, on_delete=models.CASCADE, related_name="ratings")
    area = models.ForeignKey(ReviewArea, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField(_("rating"))
    evidence = models.TextField(_("evidence"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("area rating")
        verbose_name_plural = _("area ratings")
        constraints = [
            models.UniqueConstraint(fields=["review", "area"], name="area_rating_once"),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=4), name="area_rating_1_to_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area_id}: {self.rating}"


class SupportLink(BaseModel):
    """One school helping another on something the review found."""

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="links")
    helping = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("helping school"), on_delete=models.PROTECT, related_name="+"
    )
    helped = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("helped school"), on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey(
        ReviewArea,
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    focus = models.CharField(_("on what"), max_length=300)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("school-to-school support")
        verbose_name_plural = _("school-to-school support")
        constraints = [
            models.CheckConstraint(
                condition=~Q(helping=models.F("helped")), name="support_not_self"
            ),
        ]

    def __str__(self) -> str:
        return self.focus


class SupportSession(BaseModel):
    link = models.ForeignKey(SupportLink, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField(_("date"))
    mode = models.CharField(_("where"), max_length=10, choices=Meeting.Mode.choices)
    notes = models.TextField(_("what was done"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("support session")
        verbose_name_plural = _("support sessions")
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return f"{self.link} {self.held_on}"


# --- good practice -----------------------------------------------------------------------------


class Practice(BaseModel, VersionedModel):
    """Something a school did that worked, written so another school can try it."""

    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("the problem it solves"))
    what_was_done = models.TextField(_("what was done"))
    evidence = models.TextField(_("evidence it worked"), blank=True)
    school = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("school"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    network = models.ForeignKey(
        Network,
        verbose_name=_("network"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practices",
    )
    org_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("shared from"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("practice")
        verbose_name_plural = _("practices")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["org_path"], name="practice_path", opclasses=[PATH_OPCLASS]),
        ]

    def __str__(self) -> str:
        return self.title


class PracticeTrial(BaseModel):
    """ "We tried it": a school's outcome with someone else's practice."""

    class Outcome(models.TextChoices):
        WORKED = "worked", _("It worked")
        PARTLY = "partly", _("It partly worked")
        DID_NOT = "did_not", _("It did not work here")
        TRYING = "trying", _("Still trying")

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="trials")
    school = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    school_path = models.CharField(max_length=255, editable=False)
    tried_on = models.DateField(_("tried"))
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    note = models.TextField(_("what happened"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("practice tried")
        verbose_name_plural = _("practices tried")
        ordering = ["-tried_on"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "school"], name="practice_trial_once"),
        ]

    def __str__(self) -> str:
        return f"{self.practice} at {self.school_id}"


class Recommendation(BaseModel):
    """A coach pointing another network to a practice."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="recommendations")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="recommended")
    note = models.CharField(_("why"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        constraints = [
            models.UniqueConstraint(fields=["practice", "network"], name="recommend_once"),
        ]

    def __str__(self) -> str:
        return f"{self.practice} → {self.network}"


# --- networks proposed from geography ------------------------------------------------------


class FormationRun(BaseModel):
    """Groups proposed for the schools of one unit (formation.py), then adjusted and accepted
    as networks by an officer."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        DISCARDED = "discarded", _("Discarded")
        FAILED = "failed", _("Failed")

    org_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("schools of"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=Network.Kind.choices)
    rules = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    quality = models.JSONField(default=dict, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("network proposal")
        verbose_name_plural = _("network proposals")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.org_unit_id} {self.created_at:%Y-%m-%d}"


class TravelTime(BaseModel):
    """A measured walking time between two schools, which a proposal uses instead of the
    straight-line estimate: a river without a bridge, a hill, a footpath across fields."""

    school_a = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("school"), on_delete=models.CASCADE, related_name="+"
    )
    school_b = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("other school"), on_delete=models.CASCADE, related_name="+"
    )
    school_path = models.CharField(max_length=255, editable=False)  # school_a's, for scope
    minutes = models.PositiveSmallIntegerField(_("walking minutes"))
    note = models.CharField(_("why"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("travel time")
        verbose_name_plural = _("travel times")
        constraints = [
            models.UniqueConstraint(fields=["school_a", "school_b"], name="travel_time_pair"),
            models.CheckConstraint(
                condition=~Q(school_a=models.F("school_b")), name="travel_time_two_schools"
            ),
        ]
        indexes = [
            models.Index(fields=["school_path"], name="travel_time_path", opclasses=[PATH_OPCLASS]),
        ]

    def __str__(self) -> str:
        return f"{self.school_a_id} – {self.school_b_id}: {self.minutes} min"


class ProposedGroup(models.Model):
    run = models.ForeignKey(FormationRun, on_delete=models.CASCADE, related_name="groups")
    number = models.PositiveIntegerField()
    hub = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("meeting school"), on_delete=models.CASCADE, related_name="+"
    )
    # [[school id, walking minutes to the hub], ...], the hub first.
    schools = models.JSONField(default=list)
    keep = models.BooleanField(_("accept this group"), default=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="proposed_group_number"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} #{self.number}"


class UnplacedSchool(models.Model):
    run = models.ForeignKey(FormationRun, on_delete=models.CASCADE, related_name="unplaced")
    school = models.ForeignKey("org.OrgUnit", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20)

    class Meta:
        ordering = ["run", "reason"]

    def __str__(self) -> str:
        return f"{self.school_id}: {self.reason}"

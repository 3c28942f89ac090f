"""Base model mixins every domain record uses."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    """UUID key (so offline clients can create records idempotently), timestamps, author."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class VersionedModel(models.Model):
    """Optimistic locking for records several people edit: saves must quote the version read."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class Job(BaseModel):
    """A piece of long work (an import, a rebuild, a report) and how far it has got."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="jobs/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    preview = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ReadLog(models.Model):
    """Who read children's own records (sensitive data), when, and which: every read of a
    sensitive page or export leaves one row (DESIGN: reads of sensitive models are logged)."""

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    what = models.CharField(_("what"), max_length=60)
    org_path = models.CharField(max_length=255, db_index=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("records read"), default=0)

    class Meta:
        verbose_name = _("read of sensitive records")
        verbose_name_plural = _("reads of sensitive records")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.what} {self.detail}"

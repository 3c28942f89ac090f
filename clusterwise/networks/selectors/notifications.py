"""A person's notifications: only ever their own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from clusterwise.core.scope import get_or_404
from clusterwise.org.models import User

from ..models import Notification


def notifications_for(user: User) -> QuerySet[Notification]:
    """The notifications of the person behind this login, newest first."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(person__user=user).order_by("-created_at", "pk")


def notification_get(user: User, pk: Any) -> Notification:
    """One of the user's own notifications; anyone else's is 404."""
    return get_or_404(notifications_for(user), pk=pk)


def unread_count(user: User) -> int:
    return notifications_for(user).filter(read_at=None).count()

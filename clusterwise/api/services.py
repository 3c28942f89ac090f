"""Issuing and checking API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from clusterwise.org.models import User

from .models import ApiToken, token_digest


def token_issue(*, user: User) -> str:
    """A new bearer token for the user; the raw value is shown once and never stored."""
    raw = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        digest=token_digest(raw),
        user=user,
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS),
    )
    return raw


def token_user(raw: str) -> User | None:
    """The active user a valid, unexpired token belongs to, or None."""
    token = (
        # The person comes along: the sync and planning services need the login's person.
        ApiToken.objects.select_related("user__person")
        .filter(digest=token_digest(raw), expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user

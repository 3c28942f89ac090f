"""Log in with a username or with the phone number of one's Person record."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from clusterwise.core.phones import phone_digits

from .models import User


class UsernameOrPhoneBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        query = Q(username__iexact=username.strip())
        digits = phone_digits(username)
        if len(digits) >= 6:
            query |= Q(person__phone=digits)
        user = User.objects.filter(query).order_by("pk").first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing hint
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        # Django's permission tables only matter for the admin (staff); the programme's
        # permissions are role predicates (org/rules.py). This saves two queries a page.
        return bool(getattr(user_obj, "is_staff", False)) and super().has_perm(user_obj, perm, obj)

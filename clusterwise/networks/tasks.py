"""Background jobs of the networks app: reminders before meetings, flags on overdue
commitments. A scheduler or cron enqueues them (or runs `manage.py network_reminders`);
both may run as often as wanted, since each reminder and flag is made once."""

from __future__ import annotations

from django_tasks import task

from .services import notifications


@task()
def send_meeting_reminders() -> int:
    """Remind people of meetings starting soon; returns how many were reminded."""
    return notifications.meeting_reminders_send()


@task()
def flag_overdue_actions() -> int:
    """Flag overdue commitments to their owners and facilitators; returns how many were told."""
    return notifications.overdue_actions_flag()

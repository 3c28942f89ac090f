"""The offline pieces of classroom observation: the observation + feedback form, the
outbox, and the PWA shell (web app manifest and service worker).

The form page carries everything it needs (instruments, the observer's teachers, their
open agreed actions) in `json_script` blocks, so once the service worker holds a copy it
works with the network off. What the observer saves waits in an IndexedDB outbox
(static/observation/outbox.js) until the sync door (PUT /api/v1/sync/observations/<id>)
answers 200 or 201. Thin: read through selectors, render.
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from clusterwise.core.i18n import localized
from clusterwise.org.models import School
from clusterwise.org.views import require_perm

from . import selectors
from .models import FeedbackAction, Instrument, OnTask

OBSERVE = "observation.observe"
WORKER = "vendor/observation/sw.js"  # built by `make assets` (pwa/build-sw.mjs)
PAGES_CACHE = "observation-pages"  # the service worker's runtime cache of pages


# --- what the form needs, as JSON ---------------------------------------------------------


def _instruments() -> list[dict[str, Any]]:
    instruments = selectors.instruments_in_use().prefetch_related("sections__items")
    kinds = dict(Instrument.Kind.choices)
    return [
        {
            "id": str(instrument.pk),
            "name": localized(instrument.name),
            "version": instrument.version,
            "kind": instrument.kind,
            "kind_label": str(kinds.get(instrument.kind, instrument.kind)),
            "description": localized(instrument.description),
            "duration_minutes": instrument.duration_minutes,
            "snapshot_minutes": list(instrument.snapshot_minutes or []),
            "sections": [
                {
                    "code": section.code,
                    "name": localized(section.name),
                    "items": [
                        {
                            "code": item.code,
                            "name": localized(item.name),
                            "guidance": localized(item.guidance),
                            "descriptors": {
                                point: localized(texts)
                                for point, texts in sorted(item.descriptors.items())
                            },
                        }
                        for item in section.items.all()
                    ],
                }
                for section in instrument.sections.all()
            ],
        }
        for instrument in instruments
    ]


def _schools(request: HttpRequest) -> list[dict[str, Any]]:
    """The observer's teachers grouped by school, each with the language feedback is
    written in by default (the teacher's, else the school's, else the page's)."""
    me = selectors.person_id_of(request.user)  # type: ignore[arg-type]
    posts = [
        post
        for post in selectors.teachers_for(request.user)  # type: ignore[arg-type]
        if post.person_id != me  # nobody observes their own lesson
    ]
    school_languages = dict(
        School.objects.filter(org_unit_id__in={post.org_unit_id for post in posts}).values_list(
            "org_unit_id", "languages"
        )
    )
    fallback = translation.get_language() or settings.LANGUAGE_CODE
    schools: dict[Any, dict[str, Any]] = {}
    for post in posts:
        school = schools.setdefault(
            post.org_unit_id,
            {
                "id": str(post.org_unit_id),
                "name": post.org_unit.name,
                "code": post.org_unit.code,
                "teachers": [],
            },
        )
        if any(t["id"] == str(post.person_id) for t in school["teachers"]):
            continue  # two posts at one school: one entry
        languages = list(post.person.languages or []) + list(
            school_languages.get(post.org_unit_id) or []
        )
        school["teachers"].append(
            {
                "id": str(post.person_id),
                "name": post.person.name,
                "role": post.get_role_display(),
                "language": next((code for code in languages if code), fallback),
            }
        )
    return list(schools.values())


def _initial(request: HttpRequest) -> dict[str, str]:
    """What the query preselects (?teacher=&school=&visit=); a planned visit brings its
    school and teacher. The page reads the same query itself when it comes from cache."""
    initial = {key: request.GET.get(key, "") for key in ("teacher", "school", "visit")}
    for key, value in initial.items():
        try:
            initial[key] = str(uuid.UUID(value)) if value else ""
        except ValueError:
            initial[key] = ""
    if initial["visit"]:
        try:
            visit = selectors.planned_visit_get(request.user, initial["visit"])  # type: ignore[arg-type]
        except Http404:
            initial["visit"] = ""
        else:
            initial["school"] = str(visit.school_id)
            initial["teacher"] = str(visit.teacher_id or initial["teacher"] or "")
    return initial


def _texts() -> dict[str, Any]:
    """Every text the scripts show, translated here (the scripts hold none of their own)."""
    return {
        "pending_one": ngettext("%(count)s pending", "%(count)s pending", 1),
        "pending_other": ngettext("%(count)s pending", "%(count)s pending", 2),
        "needs_fixing_count": _("%(count)s to fix"),
        "conflicts_count": _("%(count)s conflicts"),
        "nothing_pending": _("Nothing waiting to be sent."),
        "online": _("Online"),
        "offline": _("Offline: what you save waits on this phone."),
        "offline_ready": _("Ready to work offline."),
        "offline_unsupported": _(
            "This browser cannot keep the form for offline use; keep this page open."
        ),
        "storage_unavailable": _(
            "This browser cannot store entries (private mode?): saving is not possible."
        ),
        "state_pending": _("Waiting to send"),
        "state_sending": _("Sending…"),
        "state_invalid": _("Needs fixing"),
        "state_conflict": _("Conflict"),
        "state_local": _("Not saved yet"),
        "state_saved": _("Draft saved on the server"),
        "status_draft": _("Draft"),
        "status_submitted": _("Submitted"),
        "conflict_help": _(
            "The server already holds a different version of this observation. It kept its "
            "record and stored this one for a supervisor to compare; nothing was lost."
        ),
        "invalid_help": _("The server asked for these changes:"),
        "open_in_form": _("Open in the form"),
        "dismiss": _("Dismiss"),
        "last_error": _("Last attempt: %(error)s"),
        "error_network": _("no connection"),
        "error_login": _("you are logged out: log in again to send"),
        "error_forbidden": _("refused (log in again, or ask whether you may observe)"),
        "error_server": _("server error %(status)s; it will be tried again"),
        "next_try": _("next try at %(time)s"),
        "sync_done": _("Everything is sent."),
        "sync_failed": _("Could not send everything; it will be tried again."),
        "local_drafts": _("Drafts on this phone"),
        "no_teacher": _("No teacher chosen"),
        "choose_teacher": _("Choose a teacher"),
        "choose_instrument": _("Choose an instrument"),
        "choose_date": _("Give the date of the lesson"),
        "date_future": _("The date is in the future."),
        "item_score": _("Give “%(item)s” a score from 1 to 5."),
        "snapshot_missing": _("Answer both questions of the snapshot at minute %(n)s."),
        "strengths_missing": _("Write at least one strength you saw."),
        "next_steps_missing": _("Agree one or two focused next steps."),
        "actions_missing": _("Agree at least one action with a date."),
        "action_no_date": _("Give the agreed action “%(action)s” a date."),
        "action_no_text": _("Write the action that goes with the date %(date)s."),
        "action_before_visit": _("The date of “%(action)s” is before the visit."),
        "fix_these": _("Before submitting, please:"),
        "fix_these_draft": _("Before saving a draft, please:"),
        "saved_draft": _("Draft saved on this phone (revision %(revision)s)."),
        "saved_submitted": _(
            "Observation saved on this phone; it is sent as soon as there is a connection."
        ),
        "restored": _("What you typed earlier was restored."),
        "reopened": _("This observation was reopened from the outbox."),
        "snapshot_due": _("Minute %(n)s: time for the snapshot."),
        "snapshot_go": _("Go to the snapshot"),
        "snapshot_title": _("Snapshot at minute %(n)s"),
        "learning_activity": _("Is the teacher running a learning activity?"),
        "yes": _("Yes"),
        "no": _("No"),
        "on_task": _("How many students are on task?"),
        "on_task_choices": [[value, str(label)] for value, label in OnTask.choices],
        "timer_start": _("Start"),
        "timer_resume": _("Resume"),
        "timer_pause": _("Pause"),
        "score_legend": _("Score"),
        "descriptors": _("What 1, 3 and 5 look like"),
        "evidence": _("Evidence for “%(item)s”"),
        "guidance": _("Look for"),
        "followup_status": [[value, str(label)] for value, label in FeedbackAction.Status.choices][
            1:
        ],
        "followup_comment": _("Comment"),
        "followup_agreed": _("Agreed on %(date)s, by %(due)s"),
        "no_open_actions": _("No open actions from an earlier visit."),
        "minutes": _("%(n)s min"),
        "confirm_new": _("Start a new observation? This one stays on this phone as a draft."),
    }


def _config(request: HttpRequest) -> dict[str, Any]:
    return {
        "sync_url": reverse("api:sync_observation", args=[uuid.UUID(int=0)]),
        "worker_url": reverse("observation:worker"),
        "scope": reverse("observation:observe").rsplit("observe/", 1)[0],
        "observe_url": reverse("observation:observe"),
        "outbox_url": reverse("observation:outbox"),
        "pages_cache": PAGES_CACHE,
        "offline_pages": [reverse("observation:observe"), reverse("observation:outbox")],
        "user": request.user.get_username(),  # type: ignore[union-attr]
        "csrf_token": get_token(request),
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }


def shell_context(request: HttpRequest) -> dict[str, Any]:
    """What `_observe_bar.html` needs: another observation page (plan, caseload) that
    includes `_observe_head.html` and `_observe_bar.html` passes this to its template to
    show the pending badge and use the outbox."""
    return {"observation_config": _config(request), "observation_texts": _texts()}


# --- pages ---------------------------------------------------------------------------------


@require_perm(OBSERVE)
def observe(request: HttpRequest) -> HttpResponse:
    """The observation + feedback form; it runs in the browser, offline too."""
    schools = _schools(request)
    teacher_ids = [teacher["id"] for school in schools for teacher in school["teachers"]]
    data = {
        "today": timezone.localdate().isoformat(),
        "instruments": _instruments(),
        "schools": schools,
        "open_actions": selectors.open_actions_by_teacher(teacher_ids),
        "initial": _initial(request),
        "languages": [[code, name] for code, name in settings.LANGUAGES],
    }
    return render(
        request, "observation/observe.html", {"observe_data": data, **shell_context(request)}
    )


@require_perm(OBSERVE)
def outbox(request: HttpRequest) -> HttpResponse:
    """What waits on this phone to be sent; the list lives in the browser (IndexedDB)."""
    return render(request, "observation/outbox.html", shell_context(request))


# --- the PWA shell: public, since browsers fetch them without asking the user -------------


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: installable, opening on the observation form."""
    scope = reverse("observation:observe").rsplit("observe/", 1)[0]
    data = {
        "id": scope,
        "name": _("Clusterwise observations"),
        "short_name": _("Observe"),
        "description": _("Observe lessons and write feedback, with or without a connection."),
        "lang": translation.get_language() or settings.LANGUAGE_CODE,
        "start_url": reverse("observation:observe"),
        "scope": scope,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0d6efd",
        # The icons keep their drawing inside the maskable safe zone: one file, both uses.
        "icons": [
            {
                "src": static(f"observation/icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": purpose,
            }
            for purpose in ("any", "maskable")
            for size in (192, 512)
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


_PRECACHED = re.compile(r'url:"/static/([^"]+)"')


def _worker_path() -> Path | None:
    found = finders.find(WORKER)
    if found:
        return Path(found)
    try:
        path = Path(staticfiles_storage.path(WORKER))
    except NotImplementedError:
        return None
    return path if path.exists() else None


@lru_cache(maxsize=4)
def _worker_source(path: Path, mtime: float) -> str:
    """The built worker with each precached /static/ name mapped through the static
    storage (hashed names when collectstatic's manifest is on)."""
    source = path.read_text(encoding="utf-8")

    def url(match: re.Match[str]) -> str:
        try:
            return f'url:"{static(match.group(1))}"'
        except ValueError:  # not in the manifest: keep the plain name
            return f'url:"{settings.STATIC_URL.rstrip("/")}/{match.group(1)}"'

    return _PRECACHED.sub(url, source)


@require_GET
@cache_control(no_cache=True)
def worker(request: HttpRequest) -> HttpResponse:
    """The service worker (scope /observation/), built by `make assets`."""
    path = _worker_path()
    if path is None:
        raise Http404("The service worker is not built: run `make assets`.")
    source = _worker_source(path, path.stat().st_mtime)
    return HttpResponse(source, content_type="text/javascript; charset=utf-8")

"""Clusterwise settings: one module, configured from the environment.

Every value has a default that works for `make run` on a laptop; production sets the
`CLUSTERWISE_*` variables (or `*_FILE` for secrets). Bad values fail loudly at start-up.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.conf import locale as django_locale

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A string from the environment, or from the file named by NAME_FILE (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = env(name, "")
    if value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={value!r} is not a boolean (use true or false)")


def envint(name: str, default: int) -> int:
    value = env(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not an integer") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = envbool("CLUSTERWISE_DEBUG", False)
SECRET_KEY = env("CLUSTERWISE_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and envbool("CLUSTERWISE_REQUIRE_SECRET", False):
        raise ValueError("CLUSTERWISE_SECRET_KEY must be set in production")
    SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105 - local default only
ALLOWED_HOSTS = envlist("CLUSTERWISE_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CLUSTERWISE_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "treebeard",
    "django_filters",
    "django_tables2",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "clusterwise.core",
    "clusterwise.org",
    "clusterwise.skills",
    "clusterwise.programme",
    "clusterwise.observation",
    "clusterwise.learning",
    "clusterwise.networks",
    "clusterwise.reports",
    "clusterwise.api",
    "clusterwise.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clusterwise.core.context_processors.shell",
            ],
        },
    }
]

# SQLite is the embedded default; DATABASE_URL=postgres://... switches to PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("CLUSTERWISE_DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the job worker write while the web server reads.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "clusterwise.org.auth.UsernameOrPhoneBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end a working day after log-in, and when the browser closes. (Not renewed on
# each request: that would write the session row on every page view.)
SESSION_COOKIE_AGE = envint("CLUSTERWISE_SESSION_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = envbool("CLUSTERWISE_SECURE_COOKIES", not DEBUG and bool(CSRF_TRUSTED_ORIGINS))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = envbool("CLUSTERWISE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("CLUSTERWISE_HSTS_SECONDS", 0)

# Content Security Policy: every asset is served from our own origin (no CDN).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Lock an account+address out after repeated failures (django-axes).
AXES_FAILURE_LIMIT = envint("CLUSTERWISE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("CLUSTERWISE_LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "clusterwise.core.views.locked_out"
AXES_VERBOSE = False

# The Django admin asks superusers for a TOTP code from an authenticator app
# (`manage.py otp_enroll USERNAME` registers one). Off by default only for local DEBUG runs.
ADMIN_REQUIRES_OTP = envbool("CLUSTERWISE_ADMIN_OTP", not DEBUG)
OTP_TOTP_ISSUER = "Clusterwise"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("hi", "हिन्दी"),
    ("mr", "मराठी"),
    ("sw", "Kiswahili"),
    ("rw", "Ikinyarwanda"),
    ("fr", "Français"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django knows no Kinyarwanda; without this, {% get_language_info %} fails for "rw".
django_locale.LANG_INFO.setdefault(
    "rw", {"bidi": False, "code": "rw", "name": "Kinyarwanda", "name_local": "Ikinyarwanda"}
)
TIME_ZONE = env("CLUSTERWISE_TIME_ZONE", "Asia/Kolkata")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# Production runs `collectstatic` and sets CLUSTERWISE_STATIC_MANIFEST=true for hashed,
# compressed, long-cached file names; without it files are served straight from the apps.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if envbool("CLUSTERWISE_STATIC_MANIFEST", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = BASE_DIR / "var" / "media"

# The levels of the org tree, top to bottom. Maharashtra by default; Kenya would set
# CLUSTERWISE_ORG_LEVELS=national,county,sub-county,zone,school.
ORG_LEVELS = envlist("CLUSTERWISE_ORG_LEVELS", "state,district,block,cluster,school")
if len(ORG_LEVELS) < 2 or len(set(ORG_LEVELS)) != len(ORG_LEVELS):
    raise ValueError("CLUSTERWISE_ORG_LEVELS needs at least two distinct level names")
ORG_SCHOOL_LEVEL = ORG_LEVELS[-1]

# Jobs run through Django's task API; the database backend keeps them (and their
# progress) so `manage.py db_worker` can run them beside the web server.
TASKS = {"default": {"BACKEND": env("CLUSTERWISE_TASK_BACKEND", "django_tasks_db.DatabaseBackend")}}

# Home-page figures of units this deep (1 = the state, 2 = districts) are pre-computed by a
# job (org.figures); deeper scopes are small enough to count on each request.
FIGURES_MAX_DEPTH = envint("CLUSTERWISE_FIGURES_DEPTH", 2)

# Ranks a district's blocks by learning results, lowest first (programme/selection.py):
# the dotted path of a function taking a district; "" turns the choice off.
BLOCK_RANKING = (
    env("CLUSTERWISE_BLOCK_RANKING", "clusterwise.learning.ranking.blocks_lowest_first") or None
)

# Learning data: aggregated figures of fewer students than this are hidden (with enough
# others that none can be worked out by subtraction).
SMALL_CELL = envint("CLUSTERWISE_SMALL_CELL", 10)
# "Re-teach" a competency to a class when more than this share of it scored below this
# share of the maximum (or below the proficient level).
RETEACH_CLASS_SHARE = float(env("CLUSTERWISE_RETEACH_CLASS_SHARE", "0.2"))
RETEACH_SCORE_SHARE = float(env("CLUSTERWISE_RETEACH_SCORE_SHARE", "0.75"))

# Months in which a school term starts ("visited this term" on the caseload): Maharashtra's
# terms start in June and November; Kenya's would be 1,5,9.
try:
    TERM_START_MONTHS = [int(m) for m in envlist("CLUSTERWISE_TERM_START_MONTHS", "6,11")]
except ValueError:
    raise ValueError("CLUSTERWISE_TERM_START_MONTHS must be month numbers, e.g. 6,11") from None
if not TERM_START_MONTHS or any(not 1 <= m <= 12 for m in TERM_START_MONTHS):
    raise ValueError("CLUSTERWISE_TERM_START_MONTHS must be month numbers 1-12, e.g. 6,11")

API_TOKEN_DAYS = envint("CLUSTERWISE_API_TOKEN_DAYS", 30)

EMAIL_BACKEND = env("CLUSTERWISE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("CLUSTERWISE_FROM_EMAIL", "clusterwise@localhost")

# Text messages (meeting reminders, overdue commitments) go through a gateway
# (clusterwise.core.messaging). By default they are appended to a file; a provider is
# clusterwise.core.messaging.HttpBackend, which POSTs {"to", "text"} as JSON to its URL with
# the token as a bearer. Numbers stored without a country get CLUSTERWISE_MESSAGE_COUNTRY_CODE
# (empty: such numbers are not texted).
CLUSTERWISE_MESSAGE_BACKEND = env(
    "CLUSTERWISE_MESSAGE_BACKEND", "clusterwise.core.messaging.FileBackend"
)
CLUSTERWISE_MESSAGE_FILE_PATH = env(
    "CLUSTERWISE_MESSAGE_FILE_PATH", str(BASE_DIR / "var" / "messages.jsonl")
)
CLUSTERWISE_MESSAGE_HTTP_URL = env("CLUSTERWISE_MESSAGE_HTTP_URL", "")
CLUSTERWISE_MESSAGE_HTTP_TOKEN = env("CLUSTERWISE_MESSAGE_HTTP_TOKEN", "")
CLUSTERWISE_MESSAGE_COUNTRY_CODE = env("CLUSTERWISE_MESSAGE_COUNTRY_CODE", "91")
if CLUSTERWISE_MESSAGE_BACKEND.endswith(".HttpBackend") and not CLUSTERWISE_MESSAGE_HTTP_URL:
    raise ValueError("CLUSTERWISE_MESSAGE_HTTP_URL must be set for the HTTP message backend")
if CLUSTERWISE_MESSAGE_COUNTRY_CODE and not CLUSTERWISE_MESSAGE_COUNTRY_CODE.isdigit():
    raise ValueError("CLUSTERWISE_MESSAGE_COUNTRY_CODE must be digits, e.g. 91 or 254")
# Members of a network are reminded of a meeting this many hours before it starts.
NETWORK_REMINDER_HOURS = envint("CLUSTERWISE_NETWORK_REMINDER_HOURS", 48)
if NETWORK_REMINDER_HOURS < 1:
    raise ValueError("CLUSTERWISE_NETWORK_REMINDER_HOURS must be at least 1")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("CLUSTERWISE_LOG_LEVEL", "WARNING")},
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

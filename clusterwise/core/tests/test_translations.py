"""The Hindi and Marathi catalogues are complete, and no marked string is missing from them.

The other catalogues (sw, rw, fr) may be partly untranslated, but what they do translate must
keep every placeholder. See docs/translations.md for the workflow.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
LOCALE_DIR = BASE_DIR / "locale"
COMPLETE = ("hi", "mr")
ALL_LANGUAGES = ("hi", "mr", "sw", "rw", "fr")
# The same command the workflow runs, so the test sees exactly what a re-run would add.
MAKEMESSAGES = ["makemessages", *(f"-l{lang}" for lang in ALL_LANGUAGES)]
IGNORE = ["--ignore=.venv", "--ignore=node_modules", "--ignore=bench", "--ignore=tests"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def label(self) -> str:
        return repr(self.msgid if self.msgctxt is None else f"{self.msgctxt}|{self.msgid}")


def read_po(path: Path) -> list[Entry]:
    """A deliberately small .po reader: entries, plural forms, flags, obsolete marks."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal current, started, target
        if started:
            entries.append(current)
        current, started, target = Entry(), False, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):  # previous msgid of an obsolete entry
                continue
        if not line:
            finish()
            continue
        if line.startswith("#,"):
            if started:
                finish()
            current.flags.update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):
            text, keyword = ast.literal_eval(line), ""
        else:
            text = ast.literal_eval(rest)
        if keyword in ("msgctxt", "msgid") and started and target and target[0] == "msgstr":
            finish()
        if keyword:
            started = True
            current.obsolete = current.obsolete or obsolete
            if keyword == "msgctxt":
                current.msgctxt, target = text, ("msgctxt", 0)
            elif keyword == "msgid":
                current.msgid, target = text, ("msgid", 0)
            elif keyword == "msgid_plural":
                current.msgid_plural, target = text, ("msgid_plural", 0)
            elif keyword.startswith("msgstr"):
                index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
                current.msgstr[index] = text
                target = ("msgstr", index)
            continue
        assert target is not None, f"{path}: stray string {raw!r}"
        name, index = target
        if name == "msgstr":
            current.msgstr[index] += text
        elif name == "msgctxt":
            current.msgctxt = (current.msgctxt or "") + text
        elif name == "msgid_plural":
            current.msgid_plural = (current.msgid_plural or "") + text
        else:
            current.msgid += text
    finish()
    return entries


def catalogue(lang: str, locale_dir: Path = LOCALE_DIR) -> list[Entry]:
    path = locale_dir / lang / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"{path} is missing: run manage.py makemessages (docs/translations.md)"
    return read_po(path)


def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if not e.obsolete and e.msgid]


def test_the_po_reader_understands_plurals_flags_and_continuations(tmp_path: Path) -> None:
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: mr\\n"\n\n'
        '#, python-format\nmsgid "%(n)s school"\nmsgid_plural "%(n)s "\n"schools"\n'
        'msgstr[0] "%(n)s शाळा"\nmsgstr[1] ""\n\n'
        '#, fuzzy\n#| msgid "Hom"\nmsgid "Home"\nmsgstr "मुख्यपृष्ठ"\n\n'
        '#~ msgid "Gone"\n#~ msgstr "गेले"\n',
        encoding="utf-8",
    )
    header, plural, fuzzy, gone = read_po(po)
    assert header.msgid == "" and "Language: mr" in header.msgstr[0]
    assert plural.msgid_plural == "%(n)s schools" and plural.msgstr == {0: "%(n)s शाळा", 1: ""}
    assert "python-format" in plural.flags and "fuzzy" in fuzzy.flags
    assert gone.obsolete and gone.msgstr[0] == "गेले"


@pytest.mark.parametrize("lang", COMPLETE)
def test_every_message_is_translated_and_none_is_fuzzy(lang: str) -> None:
    entries = catalogue(lang)
    header = next(e for e in entries if not e.msgid)
    assert "fuzzy" not in header.flags, f"{lang}: the header is marked fuzzy"
    assert "Plural-Forms: nplurals=2;" in header.msgstr[0]
    untranslated = [
        e.label for e in messages(entries) if not e.msgstr or not all(e.msgstr.values())
    ]
    fuzzy = [e.label for e in messages(entries) if "fuzzy" in e.flags]
    assert not untranslated, f"{lang}: {len(untranslated)} untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{lang}: {len(fuzzy)} fuzzy: {fuzzy[:10]}"
    for e in messages(entries):
        if e.msgid_plural:
            assert len(e.msgstr) == 2, f"{lang}: {e.label} needs both plural forms"


@pytest.mark.parametrize("lang", ALL_LANGUAGES)
def test_translations_keep_every_placeholder(lang: str) -> None:
    for e in messages(catalogue(lang)):
        if e.msgid_plural is None:
            wanted = set(PLACEHOLDER.findall(e.msgid))
            for text in e.msgstr.values():
                if text:
                    assert set(PLACEHOLDER.findall(text)) == wanted, f"{lang}: {e.label}"
        else:
            allowed = set(PLACEHOLDER.findall(e.msgid + e.msgid_plural))
            for text in e.msgstr.values():
                assert set(PLACEHOLDER.findall(text)) <= allowed, f"{lang}: {e.label}"


def test_makemessages_would_add_no_new_message(tmp_path: Path) -> None:
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        pytest.skip("GNU gettext is not installed (make check-system)")
    # makemessages writes into LOCALE_PATHS, so run it on a copy of the sources: the copy's
    # settings point LOCALE_PATHS at the copy's own locale folder.
    copy = tmp_path / "src"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "vendor", "node_modules")
    for name in ("clusterwise", "config", "locale"):
        shutil.copytree(BASE_DIR / name, copy / name, ignore=skip)
    shutil.copy2(BASE_DIR / "manage.py", copy / "manage.py")
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *MAKEMESSAGES, *IGNORE, "-v0"],
        cwd=copy,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for lang in ALL_LANGUAGES:
        have = {e.key for e in messages(catalogue(lang))}
        would_have = {e.key for e in messages(catalogue(lang, copy / "locale"))}
        new = sorted(k[1] for k in would_have - have)
        assert not new, (
            f"{lang}: makemessages would add {len(new)} message(s), e.g. {new[:5]}; "
            "run it and translate them (docs/translations.md)"
        )

"""Content written in several languages: a dict of language code → text, shown in the
reader's language when it exists and in English (or any language) otherwise."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils import translation


def localized(texts: Mapping[str, str] | str | None, language: str | None = None) -> str:
    """The text in the active language, falling back to English, then to any language."""
    if not texts:
        return ""
    if isinstance(texts, str):
        return texts
    language = language or translation.get_language() or "en"
    for code in (language, language.split("-")[0], "en"):
        if texts.get(code):
            return texts[code]
    return next((text for text in texts.values() if text), "")


def missing_languages(texts: Mapping[str, str], required: tuple[str, ...]) -> list[str]:
    """The required languages a multilingual text lacks."""
    return [code for code in required if not (texts.get(code) or "").strip()]

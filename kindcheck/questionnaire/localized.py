"""A text in both languages: the smallest piece of the questionnaire model."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Localized:
    """A text in Dutch and English."""

    nl: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.nl

"""Errors of the councils services: each carries its message in English and Persian."""

from __future__ import annotations


class CouncilError(Exception):
    """A rule of the councils services was broken; nothing changed."""

    def __init__(self, message_en: str, message_fa: str, *, field: str = "__all__") -> None:
        super().__init__(message_en)
        self.message_en, self.message_fa, self.field = message_en, message_fa, field

    def message(self, language: str | None) -> str:
        return self.message_en if (language or "fa").startswith("en") else self.message_fa

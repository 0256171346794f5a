"""Small helpers for writing English text, shared by the layers that write it."""

from __future__ import annotations

from collections.abc import Sequence


def and_joined(words: Sequence[str]) -> str:
    """Words as a sentence lists them: "Ana", "Ana and Ben", "Ana, Ben and Cy"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"

from typing import Any

from django import template
from django.utils.html import escape, format_html

from meetings.selectors import said_at_url

register = template.Library()


@register.filter
def clock(milliseconds: int | None) -> str:
    """12_345_000 -> '3:25:45'; 65_000 -> '1:05': a position in the meeting."""
    seconds = max(int(milliseconds or 0) // 1000, 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@register.filter
def excerpt(text: str | None, term: str, width: int = 60) -> str:
    """The words around the first `term` in `text`, the term marked: a search hit in context."""
    text = text or ""
    at = text.lower().find(term.lower()) if term else -1
    if at < 0:
        return escape(text[: width * 2])
    start, end = max(at - width, 0), min(at + len(term) + width, len(text))
    return format_html(
        "{}{}<mark>{}</mark>{}{}",
        "…" if start else "",
        text[start:at],
        text[at : at + len(term)],
        text[at + len(term) : end],
        "…" if end < len(text) else "",
    )


@register.filter
def said_at(row: Any) -> str:
    """The link that plays where a task, decision or proposal was said ("" if unknown)."""
    return said_at_url(row)

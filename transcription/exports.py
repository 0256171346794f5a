"""Downloads: the transcript as TXT, SRT and WebVTT, the summary as Markdown.

Renderers (objects in, text out; segments need `start_ms`, `end_ms`, `text` and
`participant` with `name`, or None), and `download`, which the pages and the API both
answer with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from accounts import audit
from core.errors import NotFound
from core.languages import AUTO
from meetings.models import Meeting
from meetings.selectors import meeting_task_list, summary_get

from .selectors import segment_list


def _clock(ms: int, *, separator: str = ".") -> str:
    """`01:02:03.456` (SRT wants a comma before the milliseconds)."""
    ms = max(0, int(ms))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{milli:03d}"


def _one_line(text: str) -> str:
    # A blank line ends a cue in SRT and WebVTT: a transcript line stays one line.
    return " ".join(text.split())


def _speaker(segment: Any) -> str:
    participant = getattr(segment, "participant", None)
    return _one_line(participant.name) if participant is not None else ""


def transcript_txt(segments: Iterable[Any]) -> str:
    """`[00:01:02] Alice: text`, one line per segment."""
    lines = []
    for segment in segments:
        speaker = _speaker(segment)
        prefix = f"[{_clock(segment.start_ms)[:8]}] " + (f"{speaker}: " if speaker else "")
        lines.append(prefix + _one_line(segment.text))
    return "\n".join(lines) + ("\n" if lines else "")


def transcript_srt(segments: Iterable[Any]) -> str:
    cues = []
    for number, segment in enumerate(segments, start=1):
        speaker = _speaker(segment)
        timing = f"{_clock(segment.start_ms, separator=',')} --> {_clock(segment.end_ms, separator=',')}"
        text = (f"{speaker}: " if speaker else "") + _one_line(segment.text)
        cues.append(f"{number}\n{timing}\n{text}\n")
    return "\n".join(cues)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def transcript_vtt(segments: Iterable[Any]) -> str:
    """WebVTT with voice spans (`<v Alice>`), which players show as the speaker."""
    cues = ["WEBVTT\n"]
    for segment in segments:
        speaker = _speaker(segment)
        timing = f"{_clock(segment.start_ms)} --> {_clock(segment.end_ms)}"
        text = _vtt_escape(_one_line(segment.text))
        if speaker:
            text = f"<v {_vtt_escape(speaker)}>{text}"
        cues.append(f"{timing}\n{text}\n")
    return "\n".join(cues)


def _bullets(items: Sequence[Any]) -> list[str]:
    return [f"- {_one_line(str(item))}" for item in items if str(item).strip()]


def _task_line(task: Any) -> str:
    done = "x" if task.status == "done" else " "
    owner = task.assignee.name if task.assignee is not None else task.owner_name
    details = [d for d in (owner, f"due {task.due_date.isoformat()}" if task.due_date else "") if d]
    suffix = f" ({', '.join(details)})" if details else ""
    suggested = " _(suggested)_" if task.review == "suggested" else ""
    return f"- [{done}] {_one_line(task.title)}{suffix}{suggested}"


def summary_markdown(meeting: Any, summary: Any, tasks: Iterable[Any]) -> str:
    """The meeting's summary, decisions, open questions and action items as Markdown."""
    when = meeting.started_at or meeting.created_at
    lines = [f"# {_one_line(meeting.title)}", ""]
    if when is not None:
        lines += [f"_{when.strftime('%Y-%m-%d %H:%M %Z').strip()} · {meeting.language_label}_", ""]
    if summary is not None and summary.overview.strip():
        lines += ["## Summary", "", summary.overview.strip(), ""]
    sections = [
        ("Key points", _bullets(summary.key_points if summary else [])),
        ("Decisions", _bullets(summary.decisions if summary else [])),
        ("Open questions", _bullets(summary.questions if summary else [])),
        ("Action items", [_task_line(t) for t in tasks]),
    ]
    for title, bullets in sections:
        if bullets:
            lines += [f"## {title}", "", *bullets, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def filename(meeting: Any, suffix: str) -> str:
    """A safe download name: `weekly-sync-12.srt`."""
    return f"{slugify(meeting.title)[:60] or 'meeting'}-{meeting.id}.{suffix}"


def _summary(meeting: Meeting) -> str:
    summary = summary_get(meeting=meeting)
    if summary is None:
        raise NotFound("This meeting has no summary yet.")
    return summary_markdown(meeting, summary, meeting_task_list(meeting=meeting))


# Each download: its content type, and how it is made from a meeting.
DOWNLOADS = {
    "transcript.txt": ("text/plain", lambda m: transcript_txt(segment_list(meeting=m))),
    "transcript.srt": ("application/x-subrip", lambda m: transcript_srt(segment_list(meeting=m))),
    "transcript.vtt": ("text/vtt", lambda m: transcript_vtt(segment_list(meeting=m))),
    "summary.md": ("text/markdown", _summary),
}


def download(*, meeting: Meeting, name: str, actor: Any) -> HttpResponse:
    """A download (`transcript.txt`, …), audited, as an attachment named after the meeting."""
    if name not in DOWNLOADS:
        raise NotFound("There is no such download.")
    content_type, render = DOWNLOADS[name]
    body = render(meeting)
    audit.record("export", actor=actor, workspace=meeting.workspace, target=meeting, export=name)
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename(meeting, name.split(".")[1]))
    if meeting.spoken_language != AUTO:
        # The transcript's language; the Markdown summary also names it under the title.
        response["Content-Language"] = meeting.spoken_language
    return response

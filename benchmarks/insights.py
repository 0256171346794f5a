"""Precision and recall of action items and decisions from the real pipeline.

    .venv/bin/python benchmarks/insights.py

Runs the careful pass and the summary on standup.wav recorded one microphone per
speaker (as a live meeting with Alice, David and Carol would be: each stream holds its
speaker's turns, silence elsewhere), and on the uploaded file in every format (one
speaker: "I" is the uploader, Alice). Compares with the expected items in standup.json.
An item matches when the owner is the same person, the title is close (at most a third
of its words differ) and the due date falls on the expected weekday.
"""

from __future__ import annotations

import io
import json
import wave

import jiwer
from _django import DATA, setup

SPEECH = DATA / "speech"
STANDUP = json.loads((SPEECH / "standup.json").read_text())
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def per_speaker_wavs() -> dict[str, bytes]:
    with wave.open(str(SPEECH / "standup.wav"), "rb") as wav:
        pcm = wav.readframes(wav.getnframes())
    out = {}
    for speaker in {t["speaker"] for t in STANDUP["turns"]}:
        buffer = bytearray(len(pcm))
        for turn in STANDUP["turns"]:
            if turn["speaker"] == speaker:
                start, end = turn["start_ms"] * 32, min(len(pcm), turn["end_ms"] * 32 + 3200)
                buffer[start:end] = pcm[start:end]
        data = io.BytesIO()
        with wave.open(data, "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000), w.writeframes(bytes(buffer))
        out[speaker] = data.getvalue()
    return out


def title_close(expected: str, got: str) -> bool:
    return float(jiwer.wer(expected.lower(), got.lower().strip(" ."))) <= 1 / 3


def score(tasks: list[tuple[str, str, str]], decisions: list[str], expected_items: list[dict]) -> dict:
    matched = 0
    for item in expected_items:
        if any(
            owner == item["owner"] and title_close(item["text"], title) and due == item["due"].lower()
            for owner, title, due in tasks
        ):
            matched += 1
    decided = sum(1 for d in STANDUP["decisions"] if any(d.lower() in x.lower() for x in decisions))
    return {
        "items_precision": matched / len(tasks) if tasks else 0.0,
        "items_recall": matched / len(expected_items),
        "decisions_precision": decided / len(decisions) if decisions else 0.0,
        "decisions_recall": decided / len(STANDUP["decisions"]),
    }


def main() -> None:
    setup("insights")
    from django.core.files.base import ContentFile
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from accounts.models import User
    from meetings.models import Meeting, Participant
    from meetings.services import meeting_create
    from transcription import jobs
    from transcription.models import Recording
    from transcription.services import upload_create
    from workspaces.models import Membership
    from workspaces.services import workspace_create

    people = {name: User.objects.create_user(f"{name.lower()}@example.com", "bench-pass-123", display_name=name)
              for name in ("Alice", "David", "Carol")}
    workspace = workspace_create(user=people["Alice"], name="Bench")
    for name in ("David", "Carol"):
        Membership.objects.create(workspace=workspace, user=people[name], role="member")
    alice = people["Alice"].memberships.get()

    def outcome(meeting: Meeting) -> tuple[list[tuple[str, str, str]], list[str]]:
        tasks = [
            (t.assignee.display_name if t.assignee else t.owner_name, t.title,
             WEEKDAYS[t.due_date.weekday()] if t.due_date else "")
            for t in meeting.tasks.select_related("assignee")
        ]
        return tasks, list(meeting.summary.decisions)

    rows = []
    meeting = meeting_create(membership=alice, title="Per speaker")
    Meeting.objects.filter(pk=meeting.pk).update(status="processing", started_at=timezone.now())
    for name, data in per_speaker_wavs().items():
        participant = Participant.objects.create(meeting=meeting, user=people[name], name=name)
        recording = Recording(meeting=meeting, participant=participant, source="live", status="queued",
                              duration_ms=STANDUP["duration_ms"])
        recording.file.save(f"{name}.wav", ContentFile(data), save=True)
    jobs.meeting_process(meeting_id=meeting.id)
    meeting.refresh_from_db()
    tasks, decisions = outcome(meeting)
    rows.append(("live, one mic per speaker", score(tasks, decisions, STANDUP["action_items"]), tasks))

    # Uploaded by Alice: "I will write the survey report" is hers.
    expected_upload = [
        {**item, "owner": "Alice" if item["owner"] == "Carol" else item["owner"]} for item in STANDUP["action_items"]
    ]
    for suffix in ("wav", "mp3", "m4a", "ogg", "webm"):
        meeting = meeting_create(membership=alice, title=f"Upload {suffix}")
        path = SPEECH / f"standup.{suffix}"
        upload_create(meeting=meeting, membership=alice, upload=SimpleUploadedFile(path.name, path.read_bytes()))
        meeting.refresh_from_db()
        tasks, decisions = outcome(meeting)
        rows.append((f"upload standup.{suffix}", score(tasks, decisions, expected_upload), tasks))

    print(f"{'source':<28} {'items P':>8} {'items R':>8} {'decisions P':>12} {'decisions R':>12}")
    for name, s, _ in rows:
        print(f"{name:<28} {s['items_precision']:8.2f} {s['items_recall']:8.2f} "
              f"{s['decisions_precision']:12.2f} {s['decisions_recall']:12.2f}")
    total_p = sum(r[1]["items_precision"] for r in rows) / len(rows)
    total_r = sum(r[1]["items_recall"] for r in rows) / len(rows)
    print(f"{'mean':<28} {total_p:8.2f} {total_r:8.2f}")
    print("\ntasks found (owner, title, due weekday):")
    for name, _, tasks in rows:
        print(f"  {name}: {tasks}")


if __name__ == "__main__":
    main()

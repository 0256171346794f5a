"""Action items, decisions and open questions found by the summary engine, against the corpus.

    DEBUG=1 .venv/bin/python benchmarks/insights.py                     # the written corpus meetings, a few seconds
    DEBUG=1 .venv/bin/python benchmarks/insights.py --show standup-01   # expected and found for one meeting
    DEBUG=1 .venv/bin/python benchmarks/insights.py --json insights.json
    DEBUG=1 .venv/bin/python benchmarks/insights.py --standup           # the audio run on standup.wav (about 30 s)
    DEBUG=1 .venv/bin/python benchmarks/insights.py --speakers [--split tune|heldout|all]  # owners after naming
    DEBUG=1 .venv/bin/python benchmarks/insights.py --audio [--split tune|heldout|all]     # from audio, 10-20 min
    DEBUG=1 .venv/bin/python benchmarks/insights.py --audio --save-heard heard.json        # ... and keep what it heard
    DEBUG=1 .venv/bin/python benchmarks/insights.py --audio --replay heard.json            # those lines again, seconds

Default: from the reference text, no audio. For each meeting of benchmarks/corpus/scripts (not the composites
long-20min and heldout-10min: they only repeat their parts), a throwaway database gets a workspace whose members
are the script's speakers (display name = speaker name), a meeting on the script's date (10:00 in the site's time
zone), one participant per speaker (that member) and one refined segment per turn: the turn's reference text, as
a perfect transcript would have it, and its speaker. The scripts hold no turn times, so they are estimated (0.4 s a
word, plus the script's pauses and overlaps); the engine only needs their order. Then the real summary path runs
(`summary_generate`, the engine MINA_SUMMARY_ENGINE names, `local` unless set) and its tasks, decisions and
overview are compared with the script's annotations:

- close: a found title is close to an expected text when, both normalised (benchmarks/corpus/scoring.py), the
  title's word error rate against the text is at most 1/3, or at least 2/3 of the text's content words (words not
  in STOPWORDS) are words of the title;
- items: each expected item, in order, takes the closest still unused close task, one with the same owner first
  (a task matches one item at most); precision = matched / tasks found, recall = matched / items expected;
- near: missed items for which an unmatched task comes from the item's turn (or its owner_turn): the engine saw
  something there but its title is not close ("review it this morning" for "review the currency rounding fix");
- owner: among matched items, the task's assignee's display name (else its owner_name) is the expected owner;
- due: among matched items where either side has a date, the two dates are equal;
- decisions: precision and recall with the same matching between the expected decisions and summary.decisions;
  near, as for items: missed decisions for which an unmatched decision was taken from the decision's turn (two
  thirds of its content words are words of that turn: "drop the API documentation action" for "drop the API
  documentation action because the developer portal replaces it"), counted apart, never as matched;
- traps: tasks close to a `not_action_items` entry (cancelled later), decisions close to a `not_decisions` one;
- questions: precision and recall of the summary's open questions, with the same matching;
- overview: whether it holds a question (a sentence ending in "?") copied from the transcript, whether a
  sentence appears twice, and its length in words.

Per meeting, then pooled over the tune split, the held-out split and all: pooled rows sum the counts before
dividing (not a mean of ratios). Held-out meetings are for reporting only (benchmarks/corpus/README.md).

`--speakers` measures owners after naming (issue "Who said it"): each corpus meeting's audio goes through the
diarization engine (`benchmarks/diarization.py`'s `diarize`), its reference turns become the lines of one recording,
as an upload's are, at their real times, with their words timed evenly over them; `speakers_assign` gives them
to "Speaker 1", "Speaker 2", … as the careful pass does (splitting a line where the speaker changes), the summary
runs, then each speaker is named as a user would name it: the script's speaker whose turns it overlaps most, via
`participant_rename`, which hands that speaker's open tasks to the member. Scored: the owner of each matched
self-assigned item (its owner speaks the item's turn or its owner turn: "I will …", "I'll take that"), against
the same meeting with one participant per true speaker. Transcription errors are not counted (reference text).

`--audio` is the issue's measure, from audio through the real pipeline: each written corpus meeting's audio is
uploaded as a user would upload it (`upload_create`, jobs inline: the careful pass, the speakers told apart, the
summary), in a workspace whose members are the script's speakers, on the script's date; then each "Speaker N" is
named as a user would name it (`participant_rename`), as the script's speaker whose turns its lines overlap most.
Scored as above (a task's turn is the reference turn nearest its line). What the text-only run finds and this one
does not is what mishearing and the speakers cost. `--save-heard` keeps each upload's lines (text, words, times,
speaker label); `--replay` puts them on a new meeting's room recording instead of uploading the audio, then
summarises and names the speakers as above: rules compared on the very same lines (the careful pass hears a little
differently from one CPU to another).

`--standup` runs the careful pass and the summary on standup.wav recorded one microphone per speaker (as a live
meeting with Alice, David and Carol would be: each stream holds its speaker's turns, silence elsewhere), and on
the uploaded file in every format (one speaker: "I" is the uploader, Alice). It compares with the expected items
in tests/data/speech/standup.json: an item matches when the owner is the same person, the title is close (as
above) and the due date falls on the expected weekday.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import wave
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import jiwer
from _django import DATA, ROOT, setup

sys.path.insert(0, str(ROOT))
from benchmarks.corpus.scoring import normalise  # noqa: E402

SPEECH = DATA / "speech"
STANDUP = json.loads((SPEECH / "standup.json").read_text())
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
SCRIPTS = Path(__file__).resolve().parent / "corpus" / "scripts"
STOPWORDS = frozenset(
    {
        "a", "an", "the", "to", "of", "for", "on", "in", "at", "by", "with", "and", "or", "from", "about", "into",
        "as", "our", "their", "his", "her", "its", "my", "your", "this", "that", "these", "those", "it", "is", "be",
        "are", "will", "all",
    }
)
MS_PER_WORD = 400
SPLITS = ("tune", "heldout", "all")


def title_close(expected: str, got: str) -> bool:
    """At most a third of the words differ, or the title holds 2/3 of the expected content words."""
    ref, hyp = normalise(expected), normalise(got)
    if not ref or not hyp:
        return False
    return float(jiwer.wer(ref, hyp)) <= 1 / 3 or mostly_in(expected, got)


def mostly_in(text: str, other: str) -> bool:
    """Two thirds of `text`'s content words (words not in STOPWORDS) are words of `other`."""
    content = [w for w in normalise(text).split() if w not in STOPWORDS]
    words = set(normalise(other).split())
    return bool(content) and 3 * sum(w in words for w in content) >= 2 * len(content)


def match(expected: list[str], found: list[str], owners: tuple[list, list] | None = None) -> list[int | None]:
    """For each expected text, the index of the found text it matches, or None; a found text is used once.

    Among close ones the closest wins. With `owners` (expected owners, found owners), same-owner pairs are matched
    first, so "Jin and Amara, please ..." found once, for Amara, matches Amara's item and not Jin's.
    """
    out: list[int | None] = [None] * len(expected)
    for same_owner in (True, False) if owners else (False,):
        for i, text in enumerate(expected):
            close = [
                j for j, got in enumerate(found)
                if out[i] is None and j not in out and title_close(text, got)
                and (not same_owner or owners is not None and owners[0][i] == owners[1][j])
            ]
            out[i] = min(close, key=lambda j: float(jiwer.wer(normalise(text), normalise(found[j]))), default=out[i])
    return out


def owners_of(items: list[dict], tasks: list[dict]) -> tuple[list, list]:
    return [i["owner"] for i in items], [t["owner"] for t in tasks]


def without_note(text: str) -> str:
    """'roll back the deploy (a past step, not a decision)' -> 'roll back the deploy'."""
    return re.sub(r"\s*\(.*?\)", "", text)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def load_scripts() -> list[dict]:
    scripts = [json.loads(path.read_text()) for path in sorted(SCRIPTS.glob("*.json"))]
    return [s for s in scripts if "compose" not in s]


def turn_times(turns: list[dict]) -> list[tuple[int, int]]:
    """(start_ms, end_ms) per turn: 0.4 s a word, after the turn's pause or overlapping the previous turn."""
    out, end = [], 0
    for turn in turns:
        start = max(0, end + turn.get("pause_ms", 0) - turn.get("overlap_ms", 0))
        end = start + MS_PER_WORD * max(1, len(turn["text"].split()))
        out.append((start, end))
    return out


def found_insights(script: dict, voices: list | None = None) -> dict:
    """A real meeting made from the script, summarised; its tasks, decisions, overview (and questions if any).

    `voices`: the speaker turns a diarization engine found in the meeting's audio (the script is then a built
    corpus reference, with its turns' real times). The lines are then one recording's, as an upload's are, and
    go to "Speaker 1", "Speaker 2", … the way the careful pass gives them (`speakers_assign`); after the
    summary each speaker is named as a user would name it, as the script's speaker whose turns it overlaps
    most, through `participant_rename` (the open tasks of "Speaker 2" follow)."""
    from django.utils import timezone

    from accounts.models import User
    from meetings.models import Meeting, Participant
    from meetings.services import meeting_create, participant_rename
    from transcription.models import Recording, Segment
    from transcription.services import speakers_assign
    from transcription.summaries import summary_generate
    from workspaces.models import Membership
    from workspaces.services import workspace_create

    people = {
        name: User.objects.create_user(
            f"{normalise(name).replace(' ', '.')}@{script['id']}{'.diarized' if voices else ''}.example.com", None,
            display_name=name,
        )
        for name in script["speakers"]
    }
    first, *others = people.values()
    workspace = workspace_create(user=first, name=script["id"])
    for user in others:
        Membership.objects.create(workspace=workspace, user=user, role="member")
    meeting = meeting_create(membership=first.memberships.get(), title=script["title"])
    times = [(t["start_ms"], t["end_ms"]) for t in script["turns"]] if voices else turn_times(script["turns"])
    started = timezone.make_aware(datetime.combine(date.fromisoformat(script["date"]), time(10)))
    ended = started + timedelta(milliseconds=times[-1][1])
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.READY, started_at=started, ended_at=ended)
    turn_of: dict[int | None, int] = {}
    if voices:
        room = Recording.objects.create(
            meeting=meeting, source=Recording.Source.UPLOAD, status=Recording.Status.DONE, uploaded_by=first,
            duration_ms=times[-1][1], refined_ms=times[-1][1], room_microphone=True,
        )
        for turn, (start, end) in zip(script["turns"], times, strict=True):
            Segment.objects.create(
                meeting=meeting, recording=room, start_ms=start, end_ms=end, text=turn["text"],
                words=spread_words(turn["text"], start, end), kind=Segment.Kind.REFINED,
            )
        speakers_assign(recording=room, turns=voices)
        for segment in Segment.objects.filter(recording=room):  # a line split by speaker: the turn it starts in
            middle = (segment.start_ms + segment.end_ms) // 2
            turn_of[segment.id] = min(range(len(times)), key=lambda i: max(times[i][0] - middle, middle - times[i][1]))
    else:
        recordings = {}
        for name, user in people.items():
            participant = Participant.objects.create(meeting=meeting, user=user, name=name)
            recordings[name] = Recording.objects.create(
                meeting=meeting, participant=participant, source=Recording.Source.LIVE, status=Recording.Status.DONE,
                duration_ms=times[-1][1], refined_ms=times[-1][1],
            )
        for index, (turn, (start, end)) in enumerate(zip(script["turns"], times, strict=True)):
            recording = recordings[turn["speaker"]]
            segment = Segment.objects.create(
                meeting=meeting, recording=recording, participant=recording.participant, start_ms=start, end_ms=end,
                text=turn["text"], kind=Segment.Kind.REFINED,
            )
            turn_of[segment.id] = index
    summary = summary_generate(meeting=Meeting.objects.get(pk=meeting.pk))
    if voices:
        membership = first.memberships.get()
        for index, participant_id in enumerate(Recording.objects.get(pk=room.pk).speakers):
            heard = [(v.start_ms, v.end_ms) for v in voices if v.speaker == index]
            name = max(people, key=lambda n: sum(
                overlap(span, (t["start_ms"], t["end_ms"])) for t in script["turns"] if t["speaker"] == n
                for span in heard))
            participant_rename(
                participant=Participant.objects.get(pk=participant_id), membership=membership, user=people[name]
            )
    return found_in(meeting, summary, lambda task: turn_of.get(task.source_segment_id))


def found_in(meeting: Any, summary: Any, turn: Callable[[Any], int | None]) -> dict:
    """A summarised meeting's tasks (owner, title, due, the script turn `turn` gives, accepted or
    suggested), decisions, questions (None when the engine reports none) and overview."""
    tasks = [
        {"owner": t.assignee.display_name if t.assignee else t.owner_name, "text": t.title,
         "due": t.due_date.isoformat() if t.due_date else None, "turn": turn(t),
         "accepted": t.review == t.Review.ACCEPTED}
        for t in meeting.tasks.select_related("assignee", "source_segment").order_by("source_segment__start_ms", "id")
    ]
    questions = getattr(summary, "questions", None)
    return {"engine": summary.engine, "tasks": tasks, "decisions": list(summary.decisions),
            "questions": None if questions is None else list(questions), "overview": summary.overview}


def spread_words(text: str, start: int, end: int) -> list[dict]:
    """The words of a reference turn, timed evenly over it (as the careful pass times its words)."""
    words = text.split()
    step = (end - start) / len(words)
    return [{"word": w, "start_ms": round(start + i * step), "end_ms": round(start + (i + 1) * step)}
            for i, w in enumerate(words)]


def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def self_assigned(script: dict, item: dict) -> bool:
    """The owner says it ("I will …", "I'll take that"): the speaker of the item's turn or of its owner turn."""
    turns = [item["turn"], *([item["owner_turn"]] if item.get("owner_turn") is not None else [])]
    return any(script["turns"][t]["speaker"] == item["owner"] for t in turns)


def matched_items(script: dict, found: dict) -> tuple[list[int | None], list[tuple[dict, dict]]]:
    """For each expected item the index of the task it matched (or None), and the (item, task) pairs."""
    items, tasks = script["action_items"], found["tasks"]
    matched = match([i["text"] for i in items], [t["text"] for t in tasks], owners_of(items, tasks))
    return matched, [(item, tasks[j]) for item, j in zip(items, matched, strict=True) if j is not None]


def score(script: dict, found: dict) -> dict:
    """Counts for one meeting (pooled later by summing)."""
    items, tasks = script["action_items"], found["tasks"]
    matched, pairs = matched_items(script, found)
    dated = [(item, task) for item, task in pairs if item["due"] or task["due"]]
    spare = [t["turn"] for j, t in enumerate(tasks) if j not in matched and t["turn"] is not None]
    missed = [item for item, j in zip(items, matched, strict=True) if j is None]
    decided = match([d["text"] for d in script["decisions"]], found["decisions"])
    said = {normalise(s) for turn in script["turns"] for s in sentences(turn["text"])}
    overview = sentences(found["overview"])
    questions = found["questions"]
    accepted = [j for j, t in enumerate(tasks) if t["accepted"]]
    return {
        "accepted_found": len(accepted),
        "accepted_matched": sum(j in matched for j in accepted),
        "items_expected": len(items),
        "items_found": len(tasks),
        "items_matched": len(pairs),
        "items_same_turn": sum(item["turn"] in spare or item.get("owner_turn") in spare for item in missed),
        "owner_right": sum(item["owner"] == task["owner"] for item, task in pairs),
        "self_matched": sum(self_assigned(script, item) for item, _ in pairs),
        "self_owner_right": sum(self_assigned(script, item) and item["owner"] == task["owner"] for item, task in pairs),
        "due_counted": len(dated),
        "due_right": sum(item["due"] == task["due"] for item, task in dated),
        "decisions_expected": len(script["decisions"]),
        "decisions_found": len(found["decisions"]),
        "decisions_matched": sum(j is not None for j in decided),
        "decisions_same_turn": sum(
            any(mostly_in(text, script["turns"][decision["turn"]]["text"])
                for j, text in enumerate(found["decisions"]) if j not in decided)
            for decision, k in zip(script["decisions"], decided, strict=True) if k is None
        ),
        "trap_items": sum(j is not None for j in match(
            [without_note(i["text"]) for i in script.get("not_action_items", [])], [t["text"] for t in tasks])),
        "trap_decisions": sum(j is not None for j in match(
            [without_note(d["text"]) for d in script.get("not_decisions", [])], found["decisions"])),
        "questions_expected": len(script["questions"]),
        "questions_found": len(questions or []),
        "questions_matched": None if questions is None else sum(
            j is not None for j in match([q["text"] for q in script["questions"]], questions)),
        "overview_question": any(s.endswith("?") and normalise(s) in said for s in overview),
        "overview_repeat": len({normalise(s) for s in overview}) < len(overview),
        "overview_words": len(found["overview"].split()),
    }


def ratio(part: int | None, whole: int | None) -> float | None:
    return None if part is None or not whole else part / whole


def rates(counts: dict) -> dict:
    """The ratios of summed counts; None where nothing was there to count."""
    return {
        "items_precision": ratio(counts["items_matched"], counts["items_found"]),
        "items_recall": ratio(counts["items_matched"], counts["items_expected"]),
        "owner_accuracy": ratio(counts["owner_right"], counts["items_matched"]),
        "self_owner_accuracy": ratio(counts["self_owner_right"], counts["self_matched"]),
        "due_accuracy": ratio(counts["due_right"], counts["due_counted"]),
        "decisions_precision": ratio(counts["decisions_matched"], counts["decisions_found"]),
        "decisions_recall": ratio(counts["decisions_matched"], counts["decisions_expected"]),
        "questions_precision": ratio(counts["questions_matched"], counts["questions_found"]),
        "questions_recall": ratio(counts["questions_matched"], counts["questions_expected"]),
    }


def pool(rows: list[dict]) -> dict:
    """Counts summed over meetings (questions stay None when the engine reports none)."""
    counts = {key: sum(r[key] for r in rows) for key in rows[0] if key not in ("questions_matched", "id", "split")}
    questions = [r["questions_matched"] for r in rows]
    counts["questions_matched"] = None if None in questions else sum(questions)
    counts["meetings"] = len(rows)
    return counts


def percent(value: float | None) -> str:
    return "   n/a" if value is None else f"{100 * value:6.1f}"


HEADER = (
    f"{'meeting':<14} {'split':<8} {'items m/e/f':>11} {'P':>6} {'R':>6} {'near':>5} {'owner':>6} {'due':>6}  "
    f"{'dec m/e/f':>9} {'P':>6} {'R':>6} {'near':>5} {'traps':>5} {'q m/e/f':>7} {'P':>6} {'R':>6} {'ov ?':>6} {'rep':>6} {'words':>5}"
)


def line(name: str, split: str, c: dict) -> str:
    r = rates(c)
    many = c.get("meetings")
    question = f"{c['overview_question']:d}" + (f"/{many}" if many else "")
    repeat = f"{c['overview_repeat']:d}" + (f"/{many}" if many else "")
    words = c["overview_words"] / many if many else c["overview_words"]
    items = f"{c['items_matched']}/{c['items_expected']}/{c['items_found']}"
    decisions = f"{c['decisions_matched']}/{c['decisions_expected']}/{c['decisions_found']}"
    questions = f"{c['questions_matched']}/{c['questions_expected']}/{c['questions_found']}"
    return (
        f"{name:<14} {split:<8} {items:>11} {percent(r['items_precision'])} {percent(r['items_recall'])} "
        f"{c['items_same_turn']:>5} {percent(r['owner_accuracy'])} {percent(r['due_accuracy'])}  {decisions:>9} "
        f"{percent(r['decisions_precision'])} {percent(r['decisions_recall'])} {c['decisions_same_turn']:>5} "
        f"{c['trap_items'] + c['trap_decisions']:>5} {questions:>7} {percent(r['questions_precision'])} "
        f"{percent(r['questions_recall'])} {question:>6} {repeat:>6} "
        f"{words:5.0f}"
    )


def said(script: dict, turn: int) -> str:
    return f"[turn {turn}] {script['turns'][turn]['speaker']}: {script['turns'][turn]['text']}"


def show(script: dict, found: dict) -> None:
    """Expected next to found, for tuning by eye."""
    tasks = found["tasks"]
    matched, _ = matched_items(script, found)
    print(f"{script['id']} ({script['split']}, {script['date']}), engine {found['engine']}\n\naction items:")
    for item, j in zip(script["action_items"], matched, strict=True):
        print(f"  expected  {item['owner']:<10} {item['due'] or '-':<10} {item['text']}")
        print(f"            said: {said(script, item['turn'])}")
        task = tasks[j] if j is not None else None
        print(f"  found     {task['owner'] or '-':<10} {task['due'] or '-':<10} {task['text']}" if task else "  found     -")
    for j, task in enumerate(tasks):
        if j not in matched:
            print(f"  extra     {task['owner'] or '-':<10} {task['due'] or '-':<10} {task['text']}   [turn {task['turn']}]")
    decided = match([d["text"] for d in script["decisions"]], found["decisions"])
    print("\ndecisions:")
    for decision, j in zip(script["decisions"], decided, strict=True):
        print(f"  expected  {decision['text']}")
        print(f"            said: {said(script, decision['turn'])}")
        print(f"  found     {found['decisions'][j] if j is not None else '-'}")
    for j, text in enumerate(found["decisions"]):
        if j not in decided:
            print(f"  extra     {text}")
    for trap in script.get("not_action_items", []) + script.get("not_decisions", []):
        print(f"  must not  {trap['text']}\n            said: {said(script, trap['turn'])}")
    print("\nquestions:")
    for question in script["questions"]:
        print(f"  expected  {question['text']}\n            said: {said(script, question['turn'])}")
    print(f"  found     {found['questions'] if found['questions'] is not None else 'n/a (the engine reports none)'}")
    print(f"\noverview:\n  {found['overview']}")


def corpus_main(args: argparse.Namespace) -> None:
    os.environ.setdefault("MINA_SUMMARY_ENGINE", "local")
    setup("insights")
    scripts = load_scripts()
    if args.show:
        script = next((s for s in scripts if s["id"] == args.show), None)
        if script is None:
            raise SystemExit(f"no script {args.show!r}; one of: {', '.join(s['id'] for s in scripts)}")
        show(script, found_insights(script))
        return
    rows, engine = [], ""
    for script in scripts:
        found = found_insights(script)
        engine = found["engine"]
        rows.append({"id": script["id"], "split": script["split"], **score(script, found)})
    print(f"engine {engine}; m/e/f = matched/expected/found; P, R, owner, due in %; near = missed items (decisions)")
    print("with an unmatched one from their turn (found, text not close); traps = not_* entries reported; ov ? = overview")
    print("holds a question from the transcript; rep = a sentence repeats in it; words = overview length\n")
    print(HEADER)
    for row in rows:
        print(line(row["id"], row["split"], row))
    print()
    pooled = {}
    for split in SPLITS:
        pooled[split] = pool([r for r in rows if split in ("all", r["split"])])
        print(line("pooled", split, pooled[split]))
    print("\ntasks accepted at once (the workspace default) and left as suggestions: precision, matched/found")
    for split, c in pooled.items():
        suggested_found = c["items_found"] - c["accepted_found"]
        suggested_matched = c["items_matched"] - c["accepted_matched"]
        print(
            f"{split:<8} accepted {percent(ratio(c['accepted_matched'], c['accepted_found']))} "
            f"({c['accepted_matched']}/{c['accepted_found']})   suggested "
            f"{percent(ratio(suggested_matched, suggested_found))} ({suggested_matched}/{suggested_found})"
        )
    if args.json:
        out = {"engine": engine, "meetings": {r["id"]: {**r, **rates(r)} for r in rows},
               "pooled": {split: {**c, **rates(c)} for split, c in pooled.items()}}
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
        print(f"\nwrote {args.json}")


def speakers_main(args: argparse.Namespace) -> None:
    """Owners after naming: each corpus meeting's audio diarized, its speakers named, tasks scored."""
    os.environ.setdefault("MINA_SUMMARY_ENGINE", "local")
    setup("insights")
    from benchmarks.corpus import meetings
    from benchmarks.diarization import diarize
    from transcription.engines.diarize_local import LocalDiarizationEngine

    engine = LocalDiarizationEngine()
    chosen = [m for m in meetings(None if args.split == "all" else args.split)
              if m.action_items and m.reference.get("date")  # written meetings: not the composites, not jfk
              and not m.reference.get("conditions", {}).get("composed_of")]
    print("self-assigned items (the owner says it) matched by title: owner right with one participant per speaker,")
    print("and with the speakers the diarization engine found, named after the summary\n")
    print(f"{'meeting':<16}{'split':<8}{'speakers':>9}{'self items':>11}{'known':>7}{'diarized':>9}  owners wrong")
    rows = []
    for meeting in chosen:
        voices, _ = diarize(meeting, engine)
        known = score(meeting.reference, found_insights(meeting.reference))
        found = found_insights(meeting.reference, voices)
        diarized = score(meeting.reference, found)
        wrong = [f"{item['owner']}→{task['owner'] or '-'}" for item, task in matched_items(meeting.reference, found)[1]
                 if self_assigned(meeting.reference, item) and task["owner"] != item["owner"]]
        true = len({t["speaker"] for t in meeting.turns})
        print(f"{meeting.id:<16}{meeting.split:<8}{len({v.speaker for v in voices}):>5}/{true:<3}"
              f"{diarized['self_matched']:>11}{known['self_owner_right']:>4}/{known['self_matched']:<2}"
              f"{diarized['self_owner_right']:>6}/{diarized['self_matched']:<2}  {', '.join(wrong)}", flush=True)
        rows.append((meeting.split, known, diarized))
    print()
    for split in SPLITS:
        chosen_rows = [r for r in rows if split in ("all", r[0])]
        if not chosen_rows:
            continue
        known, diarized = (pool([r[i] for r in chosen_rows]) for i in (1, 2))
        print(f"pooled {split:<8} owner right, self-assigned: known speakers "
              f"{percent(rates(known)['self_owner_accuracy'])} % ({known['self_owner_right']}/{known['self_matched']})"
              f"   diarized and named {percent(rates(diarized)['self_owner_accuracy'])} % "
              f"({diarized['self_owner_right']}/{diarized['self_matched']}); all matched items "
              f"{percent(rates(diarized)['owner_accuracy'])} % ({diarized['owner_right']}/{diarized['items_matched']})")


def found_from_audio(script: dict, audio: Path | None, heard: list[dict] | None = None) -> tuple[dict, list[dict]]:
    """The meeting's audio uploaded as a user would (`upload_create`: the careful pass, the speakers found and
    the summary, jobs run inline), then each "Speaker N" named as a user would name it: the script's speaker whose
    turns its lines overlap most (`participant_rename`, which hands over that speaker's open tasks). Tasks,
    decisions, questions and overview as `found_insights` gives them; a task's turn is the reference turn its
    line's middle falls nearest. Also returns the lines the upload heard, as `heard` takes them: given those
    (`--replay`), the meeting gets them instead of its audio and only the summary and the naming run again."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from accounts.models import User
    from meetings.models import Meeting, Participant
    from meetings.services import meeting_create
    from transcription.models import Recording, Segment
    from transcription.services import upload_create
    from transcription.summaries import summary_generate
    from workspaces.models import Membership
    from workspaces.services import workspace_create

    people = {
        name: User.objects.create_user(
            f"{normalise(name).replace(' ', '.')}@{script['id']}.audio.example.com", None, display_name=name
        )
        for name in script["speakers"]
    }
    first, *others = people.values()
    workspace = workspace_create(user=first, name=f"{script['id']} audio")
    for user in others:
        Membership.objects.create(workspace=workspace, user=user, role="member")
    membership = first.memberships.get()
    meeting = meeting_create(membership=membership, title=script["title"])
    started = timezone.make_aware(datetime.combine(date.fromisoformat(script["date"]), time(10)))
    Meeting.objects.filter(pk=meeting.pk).update(started_at=started)
    meeting.refresh_from_db()
    if heard is None:
        assert audio is not None
        upload_create(meeting=meeting, membership=membership,
                      upload=SimpleUploadedFile(audio.name, audio.read_bytes()))
    else:  # the lines an earlier upload heard, on one room recording as the upload left them
        heard_ms = max(line["end_ms"] for line in heard)
        Meeting.objects.filter(pk=meeting.pk).update(
            status=Meeting.Status.READY, ended_at=started + timedelta(milliseconds=heard_ms)
        )
        room = Recording.objects.create(
            meeting=meeting, source=Recording.Source.UPLOAD, status=Recording.Status.DONE, uploaded_by=first,
            duration_ms=heard_ms, refined_ms=heard_ms, room_microphone=True,
        )
        labels = {name: Participant.objects.create(meeting=meeting, name=name)
                  for name in dict.fromkeys(line["speaker"] for line in heard if line["speaker"])}
        for line in heard:
            Segment.objects.create(
                meeting=meeting, recording=room, participant=labels.get(line["speaker"]), kind=line["kind"],
                fallback=line["fallback"], start_ms=line["start_ms"], end_ms=line["end_ms"], text=line["text"],
                words=line["words"],
            )
        summary_generate(meeting=Meeting.objects.get(pk=meeting.pk))
    meeting.refresh_from_db()
    if meeting.status != Meeting.Status.READY:
        raise SystemExit(f"{script['id']}: the meeting ended {meeting.status}: {meeting.error}")
    turns = script["turns"]
    lines = list(Segment.objects.filter(meeting=meeting).select_related("participant").order_by("start_ms", "id"))
    as_heard = [
        {"start_ms": line.start_ms, "end_ms": line.end_ms, "text": line.text, "words": line.words, "kind": line.kind,
         "fallback": line.fallback, "speaker": line.participant.name if line.participant else None}
        for line in lines
    ]
    name_speakers(membership, people, turns, lines)

    def turn_of(task: Any) -> int | None:
        segment = task.source_segment
        if segment is None:
            return None
        middle = (segment.start_ms + segment.end_ms) // 2
        return min(range(len(turns)), key=lambda i: max(turns[i]["start_ms"] - middle, middle - turns[i]["end_ms"]))

    return found_in(meeting, meeting.summary, turn_of), as_heard


def name_speakers(membership: Any, people: dict, turns: list[dict], lines: list) -> None:
    """Each "Speaker N" named as the script's speaker whose turns its lines overlap most."""
    from meetings.services import participant_rename

    overlaps: dict[int, dict[str, int]] = {}  # participant id: {script speaker: ms shared}
    for line in lines:
        if line.participant_id is None:
            continue
        for turn in turns:
            shared = overlap((line.start_ms, line.end_ms), (turn["start_ms"], turn["end_ms"]))
            votes = overlaps.setdefault(line.participant_id, {})
            votes[turn["speaker"]] = votes.get(turn["speaker"], 0) + shared
    for participant in {line.participant for line in lines if line.participant is not None}:
        votes = overlaps.get(participant.id) or {}
        if votes and max(votes.values()) > 0:
            participant_rename(participant=participant, membership=membership, user=people[max(votes, key=votes.get)])


def audio_main(args: argparse.Namespace) -> None:
    """The written corpus meetings from their audio, through the whole pipeline; per meeting and pooled."""
    os.environ.setdefault("MINA_SUMMARY_ENGINE", "local")
    setup("insights-audio")
    from benchmarks.corpus import meetings

    chosen = [m for m in meetings(None if args.split == "all" else args.split)
              if m.action_items and m.reference.get("date")
              and not m.reference.get("conditions", {}).get("composed_of")]
    print("from audio: each meeting uploaded (careful pass, speakers, summary), its speakers named by overlap;")
    print(f"columns as without --audio\n\n{HEADER}")
    replayed = json.loads(Path(args.replay).read_text()) if args.replay else {}
    if args.replay:
        chosen = [m for m in chosen if m.id in replayed]
    rows, engine, heard = [], "", {}
    for meeting in chosen:
        found, heard[meeting.id] = found_from_audio(meeting.reference, meeting.audio, replayed.get(meeting.id))
        engine = found["engine"]
        row = {"id": meeting.id, "split": meeting.split, **score(meeting.reference, found)}
        rows.append(row)
        print(line(row["id"], row["split"], row), flush=True)
    print()
    pooled = {}
    for split in SPLITS:
        chosen_rows = [r for r in rows if split in ("all", r["split"])]
        if chosen_rows:
            pooled[split] = pool(chosen_rows)
            print(line("pooled", split, pooled[split]))
    if args.json:
        out = {"engine": engine, "source": "audio", "meetings": {r["id"]: {**r, **rates(r)} for r in rows},
               "pooled": {split: {**c, **rates(c)} for split, c in pooled.items()}}
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
        print(f"\nwrote {args.json}")
    if args.save_heard:
        Path(args.save_heard).write_text(json.dumps(heard) + "\n")
        print(f"wrote what was heard to {args.save_heard}")


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
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(bytes(buffer))
        out[speaker] = data.getvalue()
    return out


def standup_score(tasks: list[tuple[str, str, str]], decisions: list[str], expected_items: list[dict]) -> dict:
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


def standup_main() -> None:
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
    rows.append(("live, one mic per speaker", standup_score(tasks, decisions, STANDUP["action_items"]), tasks))

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
        rows.append((f"upload standup.{suffix}", standup_score(tasks, decisions, expected_upload), tasks))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--standup", action="store_true", help="the audio run on tests/data/speech/standup (slow)")
    parser.add_argument("--show", metavar="NAME", help="expected and found for one corpus meeting")
    parser.add_argument("--json", metavar="PATH", help="write the numbers here")
    parser.add_argument("--speakers", action="store_true",
                        help="owners after naming: the corpus audio diarized, its speakers named (a few minutes)")
    parser.add_argument("--audio", action="store_true",
                        help="the corpus meetings from their audio through the whole pipeline (about 10 minutes)")
    parser.add_argument("--save-heard", metavar="PATH", help="with --audio: write the lines each upload heard here")
    parser.add_argument("--replay", metavar="PATH",
                        help="with --audio: the lines --save-heard wrote, summarised again without the audio")
    parser.add_argument("--split", choices=SPLITS, default="all", help="with --speakers or --audio: the meetings to run")
    args = parser.parse_args()
    if args.standup:
        standup_main()
    elif args.speakers:
        speakers_main(args)
    elif args.audio:
        audio_main(args)
    else:
        corpus_main(args)


if __name__ == "__main__":
    main()

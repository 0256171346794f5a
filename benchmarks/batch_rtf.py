"""Upload-to-transcript time against a direct faster-whisper call on the same file.

    .venv/bin/python benchmarks/batch_rtf.py [--runs 3]
    .venv/bin/python benchmarks/batch_rtf.py --long [--no-direct]

`--long` uploads the corpus's 2-hour meeting (`long-2h`, built on demand) once and
prints the careful pass's real-time factor (target <= 0.05 with tiny.en on 2 cores), the
peak memory of the process that ran the job (target < 1.5 GB; the job runs in this
process, as in a worker), the largest step between two progress reports (target <= 2 %)
and the transcript's WER and lost turns against the reference.

For each file: the whole pipeline (validate, store, job, decode, careful pass, refined
segments saved; the summary is timed apart) and faster-whisper's `transcribe` with the
same settings (beam 5, word timestamps, VAD filter) on the same model, interleaved run by
run so both see the same machine load. Prints medians, the ratio (target <= 1.2) and
the real-time factor.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _django import DATA, setup

FILES = [DATA / "speech" / "standup.wav", DATA / "speech" / "standup.mp3", DATA / "real" / "jfk.flac"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--long", action="store_true", help="the 2-hour meeting, once")
    parser.add_argument("--no-direct", action="store_true", help="with --long: skip the direct faster-whisper run")
    args = parser.parse_args()
    setup("batch")
    if args.long:
        long_meeting(direct=not args.no_direct)
        return

    from django.core.files.uploadedfile import SimpleUploadedFile
    from faster_whisper import decode_audio

    from accounts.models import User
    from meetings.services import meeting_create
    from transcription import summaries
    from transcription.engines import get_speech_engine
    from transcription.services import upload_create
    from workspaces.services import workspace_create

    user = User.objects.create_user("bench@example.com", "bench-pass-123", display_name="Bench")
    workspace_create(user=user, name="Bench")
    membership = user.memberships.get()
    engine = get_speech_engine()
    whisper = engine._whisper  # the very model the pipeline uses
    engine.warm_up()

    summary_seconds: list[float] = []
    real_generate = summaries.summary_generate

    def timed_summary(**kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return real_generate(**kwargs)
        finally:
            summary_seconds.append(time.perf_counter() - started)

    summaries.summary_generate = timed_summary

    print(f"{'file':<14} {'audio s':>8} {'direct s':>9} {'pipeline s':>11} {'ratio':>6} {'RTF':>6} {'summary s':>10}")
    for path in FILES:
        direct, pipeline = [], []
        for run in range(args.runs):
            started = time.perf_counter()
            segments, info = whisper.transcribe(
                decode_audio(str(path)), beam_size=5, word_timestamps=True, vad_filter=True,
                condition_on_previous_text=False, language="en",
            )
            list(segments)
            direct.append(time.perf_counter() - started)

            meeting = meeting_create(membership=membership, title=f"{path.name} {run}")
            data = path.read_bytes()
            summary_seconds.clear()
            started = time.perf_counter()
            upload_create(meeting=meeting, membership=membership, upload=SimpleUploadedFile(path.name, data))
            pipeline.append(time.perf_counter() - started - sum(summary_seconds))
            assert meeting.segments.exists(), "the pipeline saved no segment"
        audio_s = info.duration
        d, p = statistics.median(direct), statistics.median(pipeline)
        print(f"{path.name:<14} {audio_s:8.1f} {d:9.2f} {p:11.2f} {p / d:6.2f} {p / audio_s:6.3f} {statistics.median(summary_seconds or [0]):10.3f}")



def long_meeting(*, direct: bool) -> None:
    """The 2-hour careful pass: time, peak memory, progress cadence, accuracy."""
    import resource
    import sys

    from django.core.files import File

    from accounts.models import User
    from benchmarks.corpus import meetings
    from benchmarks.corpus.scoring import lost_turns, wer
    from meetings import events
    from meetings.services import meeting_create
    from transcription import selectors
    from transcription.engines import get_speech_engine
    from transcription.models import Recording
    from transcription.services import upload_create
    from workspaces.services import workspace_create

    sys.path.insert(0, str(DATA.parents[1]))
    long = next(m for m in meetings(include_long=True) if m.id == "long-2h")
    user = User.objects.create_user("bench@example.com", "bench-pass-123", display_name="Bench")
    workspace_create(user=user, name="Bench")
    membership = user.memberships.get()
    get_speech_engine().warm_up()
    percents: list[int] = []
    real_send = events.send

    def watch(meeting_id, event):  # type: ignore[no-untyped-def]
        if event.get("type") == "job.progress" and event.get("stage") == "transcribing":
            percents.append(event["percent"])
        real_send(meeting_id, event)

    events.send = watch
    meeting = meeting_create(membership=membership, title="two hours")
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    with long.audio.open("rb") as fh:
        upload_create(meeting=meeting, membership=membership, upload=File(fh, name="long-2h.wav"))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    recording = Recording.objects.get(meeting=meeting)
    audio_s = recording.duration_ms / 1000
    segments = list(selectors.segment_list(meeting=meeting))
    hypothesis = [{"start_ms": s.start_ms, "end_ms": s.end_ms, "text": s.text, "words": s.words} for s in segments]
    steps = [b - a for a, b in zip([0, *percents], percents, strict=False)]
    print(f"audio {audio_s / 60:.1f} min; status {recording.status}; pipeline {seconds:.0f} s, RTF {seconds / audio_s:.4f}")
    print(f"peak RSS {peak:.0f} MB (before the job {base_rss:.0f} MB); progress reports {len(percents)}, "
          f"largest step {max(steps, default=0)} %")
    print(f"WER {wer([long.text], [' '.join(s.text for s in segments if s.fallback != 'inaudible')]):.1%}; "
          f"lost turns {len(lost_turns(long.turns, hypothesis))} of {len(long.turns)}; "
          f"fallback lines: live {sum(s.fallback == 'live' for s in segments)}, "
          f"inaudible {sum(s.fallback == 'inaudible' for s in segments)}")
    if direct:
        from faster_whisper import decode_audio

        started = time.perf_counter()
        result, _ = get_speech_engine()._whisper.transcribe(  # type: ignore[attr-defined]
            decode_audio(str(long.audio)), beam_size=5, word_timestamps=True, vad_filter=True,
            condition_on_previous_text=False, language="en",
        )
        list(result)
        direct_s = time.perf_counter() - started
        print(f"direct faster-whisper {direct_s:.0f} s (RTF {direct_s / audio_s:.4f}); ratio {seconds / direct_s:.2f}; "
              f"peak RSS after it {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()

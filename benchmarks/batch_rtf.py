"""Upload-to-transcript time against a direct faster-whisper call on the same file.

    .venv/bin/python benchmarks/batch_rtf.py [--runs 3]

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
    args = parser.parse_args()
    setup("batch")

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


if __name__ == "__main__":
    main()

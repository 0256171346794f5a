"""The live schedule on its own: real audio through the voice detector, a fake clock, no I/O."""

from __future__ import annotations

import json

from tests.conftest import SPEECH
from tests.streaming import frames, read_pcm
from transcription import live
from transcription.engines.base import TranscribedSegment, Word

STANDUP = json.loads((SPEECH / "standup.json").read_text())
PCM = read_pcm(SPEECH / "standup.wav")
CONFIG = live.LiveConfig(settle_after_ms=6000, settle_after_busy_ms=6000)  # the same wait, idle or not


def _run(
    session, pcm=PCM, *, capacity=True, idle=False, answer_finals=True, sure=lambda segment_id: False, settled=False
):
    """Feed 100 ms frames on a clock that keeps real time; drafts and finals are answered at
    once, finals with their cut as one word and stored as segment 1, 2, … (heard sure of
    when `sure(segment_id)`), settles (if `settled`) as hearing nothing; returns every action."""
    actions, now = [], 0.0
    for frame in frames(pcm):
        now += 0.1
        for action in session.feed(frame, now=now, capacity=capacity, idle=idle):
            actions.append(action)
            if isinstance(action, live.Draft):
                session.draft_done(action, "words", processing_ms=50, now=now)
            if isinstance(action, live.Final) and answer_finals:
                _answer(session, action, now, sure)
            if isinstance(action, live.Settle) and settled:
                session.settle_done(action, [], processing_ms=50)
    return actions


def _answer(session, final, now, sure=lambda segment_id: False):
    cut, segment_id = final.cut, len(session.stored) + 1
    word = Word(0, cut.end_ms - cut.start_ms, f"final{segment_id}", 0.95 if sure(segment_id) else 0.1)
    result = TranscribedSegment(0, word.end_ms, word.word, (word,))
    session.final_done(final, result, processing_ms=50, now=now)
    session.final_stored(final, segment_id=segment_id, result=result)


def test_every_turn_is_one_final_in_order_and_drafts_come_while_a_worker_is_free():
    actions = _run(live.LiveSession(CONFIG))
    finals = [a.cut for a in actions if isinstance(a, live.Final)]
    assert len(finals) == len(STANDUP["turns"])
    assert [f.start_sample for f in finals] == sorted(f.start_sample for f in finals)
    drafts = [a.cut for a in actions if isinstance(a, live.Draft)]
    assert len({d.utterance_id for d in drafts}) == len(finals)  # every turn gets a draft


def test_with_no_worker_free_drafts_wait_and_are_skipped_as_strain_but_finals_never_are():
    session = live.LiveSession(CONFIG)
    actions = _run(session, capacity=False)
    assert not [a for a in actions if isinstance(a, live.Draft)]
    assert len([a for a in actions if isinstance(a, live.Final)]) == len(STANDUP["turns"])
    assert session.stats.partials_skipped > 0
    assert live.LoadChanged(True) in actions


def test_a_settle_comes_once_the_oldest_final_is_old_enough_and_covers_the_unsettled_ones():
    session = live.LiveSession(CONFIG)
    settles = [a for a in _run(session) if isinstance(a, live.Settle)]
    assert len(settles) == 1, "one at a time: the first is still out"
    settle = settles[0]
    first_end = settle.lines[0].end_sample
    assert session.position >= first_end + 6 * 16000
    # Heard with context: up to 5 s before the first line (the stream starts sooner here).
    assert settle.start_sample == max(0, settle.lines[0].start_sample - 3200 - 5 * 16000)
    assert settle.start_sample + len(settle.pcm) // 2 == settle.lines[-1].end_sample + 3200  # 200 ms after
    assert settle.pcm == PCM[settle.start_sample * 2 : settle.start_sample * 2 + len(settle.pcm)]


def test_with_the_workers_busy_a_settle_waits_longer_and_hears_more_finals_at_once():
    def first_settle(idle):  # the first settle, and how much of the stream was heard then
        session, now = live.LiveSession(live.LiveConfig(settle_after_ms=6000, settle_after_busy_ms=15_000)), 0.0
        for frame in frames(PCM):
            now += 0.1
            for action in session.feed(frame, now=now, capacity=True, idle=idle):
                if isinstance(action, live.Final):
                    _answer(session, action, now)
                if isinstance(action, live.Settle):
                    return action, session.position
        raise AssertionError("no settle")

    idle, idle_at = first_settle(idle=True)
    busy, busy_at = first_settle(idle=False)
    assert idle_at - idle.lines[0].end_sample < 7 * 16000
    assert busy_at - busy.lines[0].end_sample >= 15 * 16000
    assert busy.lines[0].segment_id == idle.lines[0].segment_id
    assert len(busy.lines) > len(idle.lines)


def test_with_the_workers_idle_a_settle_also_hears_the_stream_since_its_last_final():
    session = live.LiveSession(CONFIG)
    settle = next(a for a in _run(session, idle=True) if isinstance(a, live.Settle))
    end = settle.start_sample + len(settle.pcm) // 2
    assert end > settle.lines[-1].end_sample + 3200, "past its last final"
    assert end - settle.start_sample <= live.SETTLE_MAX_MS * 16, "within one window"
    assert settle.start_sample <= settle.lines[0].start_sample - 3200
    assert settle.pcm == PCM[settle.start_sample * 2 : end * 2]


def test_an_overloaded_stream_settles_its_finals_without_context_though_the_workers_are_idle():
    session = live.LiveSession(CONFIG)
    actions = _run(session, capacity=False, idle=True)  # no worker free for drafts: overloaded
    settle = next(a for a in actions if isinstance(a, live.Settle))
    assert session.overloaded
    assert settle.start_sample == settle.lines[0].start_sample - 3200
    assert settle.start_sample + len(settle.pcm) // 2 == settle.lines[-1].end_sample + 3200


def test_settled_words_correct_each_final_in_its_own_stretch_and_silence_takes_nothing_away():
    session = live.LiveSession(CONFIG)
    settle = next(a for a in _run(session) if isinstance(a, live.Settle))
    first, second = settle.lines[0], settle.lines[1]
    start_ms = settle.start_sample // 16
    # Times relative to the settle's audio: words in the first final's stretch only.
    middle = (first.start_sample + first.end_sample) // 32 - start_ms
    heard = [TranscribedSegment(middle, middle + 400, "Better words.",
                                (Word(middle, middle + 200, "Better", 0.9), Word(middle + 200, middle + 400, "words.", 0.9)))]
    after = (settle.lines[-1].end_sample + 3200) // 16 - start_ms + 500  # past the last line: no line's
    heard.append(TranscribedSegment(after, after + 300, "Context.", (Word(after, after + 300, "Context.", 0.9),)))
    corrections = session.settle_done(settle, heard, processing_ms=300)
    assert [(line.segment_id, fixed.text) for line, fixed in corrections] == [(first.segment_id, "Better words.")]
    fixed = corrections[0][1]
    assert fixed.start_ms == middle + start_ms and fixed.words[0].word == "Better"
    assert second.segment_id not in {line.segment_id for line, _ in corrections}  # no words: kept as it was
    assert not {u.segment_id for u in settle.lines} & {u.segment_id for u in session.unsettled}
    assert session.stats.settles == 1


def test_a_settle_corrects_every_final_it_hears_whole_each_with_its_own_words():
    # Every other final is heard with sure words: only the unsure ones call for a settle,
    # but the sure ones it hears whole are corrected too; words after its last are no one's.
    session = live.LiveSession(live.LiveConfig(settle_after_ms=60_000))  # settled at the end, all at once
    actions = _run(session, sure=lambda segment_id: segment_id % 2 == 0)
    assert not [a for a in actions if isinstance(a, live.Settle)]
    settle = session.settle_remaining()
    assert [u.segment_id for u in settle.lines][:3] == [1, 2, 3], "the sure final 2 between unsure ones"
    heard_ms = len(settle.pcm) // 32
    assert heard_ms <= max(live.SETTLE_MAX_MS, settle.lines[-1].end_sample // 16 + 200 - settle.start_sample // 16)
    assert settle.start_sample + len(settle.pcm) // 2 < session.position, "one window, not the whole stream"
    start_ms = settle.start_sample // 16

    def said(stretch, text):  # a word in the middle of a stretch (samples), timed as the settle hears it
        middle = (stretch[0] + stretch[1]) // 32 - start_ms
        return Word(middle, middle + 200, text, 0.9)

    first, sure, last = settle.lines[0], settle.lines[1], settle.lines[-1]
    following = next(u for u in session.stored if u.start_sample > last.end_sample)
    words = (said((first.start_sample, first.end_sample), "Fixed."), said((sure.start_sample, sure.end_sample), "Sure."),
             said((last.end_sample, following.start_sample), "Between."))
    heard = [TranscribedSegment(words[0].start_ms, words[-1].end_ms, "Fixed. Sure. Between.", words)]
    corrections = session.settle_done(settle, heard, processing_ms=300)
    assert [(line.segment_id, fixed.text) for line, fixed in corrections] == [(1, "Fixed."), (2, "Sure.")]
    assert [u.heard.text for u in session.stored][:3] == ["Fixed.", "Sure.", "final3"], "a later settle starts from these"


def test_a_final_the_context_holds_only_in_part_keeps_its_words():
    session = live.LiveSession(CONFIG)
    settles = [a for a in _run(session, settled=True) if isinstance(a, live.Settle)]
    later = next(s for s in settles if s.others and s.others[0][0] < s.start_sample)
    cut_start, cut_end = later.others[0]  # begun before the settle's audio: heard in part
    assert later.start_sample == later.lines[0].start_sample - 3200 - 5 * 16000
    assert all(u.start_sample >= later.start_sample for u in later.lines)
    start_ms, first = later.start_sample // 16, later.lines[0]
    tail = cut_end // 16 - start_ms - 300  # the end of the earlier final, heard in the context
    middle = (first.start_sample + first.end_sample) // 32 - start_ms
    words = (Word(tail, tail + 200, "Tail.", 0.9), Word(middle, middle + 200, "Mine.", 0.9))
    session.settling = True  # answered as if this settle were the one out
    corrections = session.settle_done(later, [TranscribedSegment(tail, middle + 200, "Tail. Mine.", words)], processing_ms=50)
    assert [(line.segment_id, fixed.text) for line, fixed in corrections] == [(first.segment_id, "Mine.")]


def test_a_settle_skipped_under_load_is_tried_again_a_period_later():
    session = live.LiveSession(CONFIG)
    actions = _run(session, PCM[: len(PCM) // 2])
    settle = next(a for a in actions if isinstance(a, live.Settle))
    assert session.settle_done(settle, None, processing_ms=0) == []
    assert session.stats.settles_skipped == 1 and session.unsettled
    later = _run(session, PCM[len(PCM) // 2 :])
    again = [a for a in later if isinstance(a, live.Settle)]
    assert again and again[0].lines[0] == settle.lines[0]


def test_the_end_of_a_stream_settles_what_is_left_and_flushes_an_open_utterance():
    session = live.LiveSession(CONFIG)
    for settle in [a for a in _run(session, PCM[: 19_000 * 32]) if isinstance(a, live.Settle)]:  # stops mid-turn
        session.settle_done(settle, [], processing_ms=0)
    flushed = session.flush(now=99.0)
    assert [type(a) for a in flushed] == [live.Final]
    _answer(session, flushed[0], 99.0)
    settle = session.settle_remaining()
    assert settle is not None and settle.lines[-1].end_sample == flushed[0].cut.end_sample


def test_settling_off_keeps_no_finals_and_no_audio_for_it():
    session = live.LiveSession(live.LiveConfig(settle_after_ms=0))
    actions = _run(session)
    assert not [a for a in actions if isinstance(a, live.Settle)] and session.settle_remaining() is None
    assert len(session.audio) // 2 <= live.SETTLE_MAX_MS * 16 * 2


def test_audio_is_kept_only_as_far_back_as_a_settle_may_need_even_when_settles_never_come_back():
    session = live.LiveSession(CONFIG)
    silence = b"\x00\x00" * 16000 * 120  # two minutes of nothing after the standup
    _run(session, PCM + silence)  # the first settle is never answered: the machine is swamped
    assert not session.unsettled, "finals a minute old are left to the careful pass"
    assert len(session.audio) // 2 <= 2 * live.SETTLE_MAX_MS * 16

"""Hand-checked examples for scoring.py:

    .venv/bin/python -m pytest benchmarks/corpus/test_scoring.py -p no:django
"""

from benchmarks.corpus.scoring import lcs, lost_turns, normalise, wer

TURNS = [
    {"speaker": "A", "text": "Good morning, everyone.", "start_ms": 0, "end_ms": 1500},
    {"speaker": "B", "text": "Tom, please fix the login error by Friday.", "start_ms": 10_000, "end_ms": 13_000},
    {"speaker": "A", "text": "Sure.", "start_ms": 20_000, "end_ms": 20_400},
]


def test_normalise():
    assert normalise("  Hello,   World!  It's 12%, v3.2 ") == "hello world its 12 v32"
    assert normalise("$450,000") == "$450000"  # a currency sign is a symbol, not punctuation: kept on both sides
    assert normalise("") == ""


def test_wer_is_pooled_over_words_not_averaged_over_pairs():
    # 1 error in 4 words, 0 in 1 word: pooled 1/5, not the mean 1/8
    assert wer(["one two three four", "five"], ["one two three", "five"]) == 0.2
    assert wer(["Hello, world."], ["hello world"]) == 0.0
    assert wer(["a b"], ["a b c d"]) == 1.0  # two insertions over two words
    assert wer(["a b", ""], ["", "x"]) == 1.5  # two deletions plus one insertion over two words


def test_lcs():
    assert lcs(["a", "b", "c", "d"], ["a", "x", "c", "d"]) == 3
    assert lcs(["a", "b"], ["b", "a"]) == 1
    assert lcs([], ["a"]) == 0


def test_nothing_heard_loses_every_turn():
    assert lost_turns(TURNS, []) == [0, 1, 2]


def test_word_times_place_words_in_their_turns():
    words = [{"start_ms": 100 + 300 * k, "end_ms": 350 + 300 * k, "word": w} for k, w in enumerate(["Good", "morning"])]
    words += [{"start_ms": 10_100 + 300 * k, "end_ms": 10_350 + 300 * k, "word": w}
              for k, w in enumerate(["Tom,", "please", "fix", "the", "login"])]
    hyp = [{"start_ms": 0, "end_ms": 12_000, "text": "", "words": words}]
    # turn 0: 2 of 3 words; turn 1: 5 of 8 (in order); turn 2: "sure" never heard
    assert lost_turns(TURNS, hyp) == [2]


def test_words_out_of_order_do_not_count():
    hyp = [{"start_ms": 10_000, "end_ms": 13_000, "text": "friday by error login the fix please tom"}]
    assert 1 in lost_turns(TURNS, hyp)  # the longest in-order run is one word of eight


def test_segment_words_spread_evenly_and_margin_is_two_seconds():
    # "sure" alone in a segment ending 1.9 s after the turn: inside the widened span
    hyp = [{"start_ms": 21_000, "end_ms": 22_200, "text": "Sure."}]
    assert 2 not in lost_turns(TURNS, hyp)
    # the same word 3 s late is outside it
    late = [{"start_ms": 23_000, "end_ms": 23_600, "text": "Sure."}]
    assert 2 in lost_turns(TURNS, late)
    # one long segment, 81 words over 0-16 s (198 ms each): turn 1's words land at 14.5-16 s, and only
    # "tom please fix" (3 of 8) fall before 15 s, the end of its widened span
    text = "good morning everyone " + "x " * 70 + "tom please fix the login error by friday"
    assert lost_turns(TURNS, [{"start_ms": 0, "end_ms": 16_000, "text": text}]) == [1, 2]


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("test_"):
            fn()
    print("ok")

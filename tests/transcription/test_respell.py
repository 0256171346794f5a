"""respell: misheard glossary terms written as the workspace's glossary spells them."""

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SPEECH
from tests.streaming import decode
from transcription.engines.base import SAMPLE_RATE, TranscribedSegment, Word
from transcription.engines.speech_local import LocalSpeechEngine
from transcription.respell import Scores, respell

GLOSSARY = ["Zephyrix", "Zendesk", "TestFlight", "Pulse Board", "Okta", "Grafana", "Helm", "Looker", "Priya"]


def heard(text: str, *, step_ms: int = 400) -> TranscribedSegment:
    """A segment as the engine gives it: one Word per space-separated word, in order."""
    words = tuple(
        Word(i * step_ms, i * step_ms + step_ms - 50, w, 0.9 - i / 100) for i, w in enumerate(text.split())
    )
    return TranscribedSegment(0, len(words) * step_ms, text, words)


def test_a_misheard_term_gets_the_glossary_spelling() -> None:
    segment = respell(heard("Are we still deploying Nefyrix with Helm?"), GLOSSARY)

    assert segment.text == "Are we still deploying Zephyrix with Helm?"
    assert [w.word for w in segment.words] == ["Are", "we", "still", "deploying", "Zephyrix", "with", "Helm?"]


def test_a_term_heard_as_two_words_becomes_one_word_spanning_both() -> None:
    original = heard("Every failure became a zen desk ticket.")
    segment = respell(original, GLOSSARY)

    assert segment.text == "Every failure became a Zendesk ticket."
    zendesk = segment.words[4]
    assert zendesk.word == "Zendesk"
    assert (zendesk.start_ms, zendesk.end_ms) == (original.words[4].start_ms, original.words[5].end_ms)
    assert zendesk.probability == min(original.words[4].probability, original.words[5].probability)
    assert (segment.start_ms, segment.end_ms) == (original.start_ms, original.end_ms)


def test_punctuation_around_the_term_is_kept() -> None:
    assert respell(heard("We move nephirics, then the zen-desk."), GLOSSARY).text == "We move Zephyrix, then the Zendesk."


def test_a_term_split_or_lower_cased_is_written_as_the_glossary_spells_it() -> None:
    segment = respell(heard("Is the test flight build on the pulse board?"), GLOSSARY)

    assert segment.text == "Is the TestFlight build on the Pulse Board?"


def test_an_ordinary_sentence_is_untouched() -> None:
    for text in [
        "Please send the blocker list to Farid before the meeting on Thursday.",
        "Is the invoice ready? Not sure, the desk is busy and the helmet is broken.",
        "We looked at the numbers, and nothing changed since last week.",
    ]:
        segment = heard(text)
        assert respell(segment, GLOSSARY) == segment


def test_everyday_words_are_not_guessed_into_a_term() -> None:
    # "men" and "desk" are words Whisper's tokenizer knows whole: only a very close run counts.
    segment = heard("The men desk is by the window.")
    assert respell(segment, GLOSSARY) == segment


def test_short_terms_are_not_guessed() -> None:
    # "Okta" and "Helm" are too short to tell from ordinary words: only their exact spelling counts.
    assert respell(heard("I will check the octo logs and the help page."), GLOSSARY).text == (
        "I will check the octo logs and the help page."
    )
    assert respell(heard("okta logs"), GLOSSARY).text == "Okta logs"


def test_a_term_as_it_is_or_its_possessive_stays() -> None:
    segment = heard("Grafana and Grafana's panels")
    assert respell(segment, GLOSSARY) == segment


def test_word_times_stay_ordered() -> None:
    segment = respell(heard("the zen desk queue and test flight and Nefyrix and the Raffana board"), GLOSSARY)

    assert segment.text == "the Zendesk queue and TestFlight and Zephyrix and the Grafana board"
    starts = [w.start_ms for w in segment.words]
    assert starts == sorted(starts)
    assert all(w.start_ms < w.end_ms <= n.start_ms for w, n in zip(segment.words, segment.words[1:], strict=False))
    assert " ".join(w.word for w in segment.words) == segment.text


def test_text_without_words_is_respelt_too() -> None:
    segment = TranscribedSegment(0, 2000, "Ask Zendesk about Nefyrix.")
    assert respell(segment, GLOSSARY).text == "Ask Zendesk about Zephyrix."


def test_no_glossary_changes_nothing() -> None:
    segment = heard("Nefyrix men desk")
    assert respell(segment, []) is segment


def test_everyday_words_that_spell_a_term_or_a_name_stay_as_said() -> None:
    terms = [".NET", "C++", "Go", "Slack", "Linear", "Will", "Grace"]
    for text in ["our net revenue grew", "plan c is fine", "we go live", "we will cut some slack on the linear plan",
                 "a grace period"]:
        segment = heard(text)
        assert respell(segment, terms) == segment


def test_a_term_heard_as_words_with_its_consonants_is_respelt() -> None:
    # "graph on" keeps Grafana's consonants (g r f n) and drops a vowel and the break.
    assert respell(heard("Open the graph on panel."), GLOSSARY).text == "Open the Grafana panel."
    assert respell(heard("Look at the are flow logs."), ["Airflow"]).text == "Look at the Airflow logs."


def test_the_same_consonants_alone_are_not_enough() -> None:
    # "be great" has PagerDuty's consonants but is far from its spelling; "graph" and "gear" are too short a skeleton.
    for text in ["That would be great for us.", "The graph is clear.", "Check the gear."]:
        segment = heard(text)
        assert respell(segment, ["PagerDuty", "Grafana", "Jira"]) == segment


def test_a_run_with_one_rare_word_may_be_a_little_off() -> None:
    assert respell(heard("The Orbis off renewal is late."), ["Orbisoft"]).text == "The Orbisoft renewal is late."


def test_a_short_name_one_letter_off_is_respelt_only_from_a_rare_word_of_its_length() -> None:
    names = ["Nkechi", "Farida", "Notion"]
    assert respell(heard("Ask Mkechi first."), names).text == "Ask Nkechi first."
    # Another name one letter shorter, or an everyday word one letter off, stays.
    for text in ["Ask Farid first.", "Put a motion to the board."]:
        segment = heard(text)
        assert respell(segment, names) == segment


# The speech model judges readings the spelling rules alone leave (real audio, real model).
# jargon.wav says: "Priya moved the Zephyrix cluster to Kubelet nodes. Then Oksana checked
# the Grafana dashboards for Zephyrix."
JARGON_TERMS = ["Grafana", "Kubelet", "Zephyrix", "Oksana", "Priya"]


@pytest.fixture(scope="module")
def engine() -> LocalSpeechEngine:
    return LocalSpeechEngine(cpu_threads=2, num_workers=1)


def on_whole(engine: LocalSpeechEngine, path: Path) -> Scores:
    samples = decode(path)
    return lambda texts: engine.text_scores(samples, texts)


def test_terms_too_far_for_the_spelling_rules_are_written_where_the_audio_says_them(engine) -> None:
    misheard = heard("Pria moved the Zephyrix cluster to cube lids nodes. Then Oxana checked the Gravity dashboards.")
    assert respell(misheard, JARGON_TERMS) == misheard  # too far for the rules alone

    segment = respell(misheard, JARGON_TERMS, on_whole(engine, SPEECH / "jargon.wav"))

    assert segment.text == "Priya moved the Zephyrix cluster to Kubelet nodes. Then Oksana checked the Grafana dashboards."
    assert [w.word for w in segment.words] == segment.text.split()


def test_words_the_audio_says_stay_though_a_term_sounds_like_them(engine) -> None:
    # standup.wav: "... David, please fix the login error before Thursday. ... I will write
    # the survey report by Friday. ..." read by a workspace whose members and terms are close.
    said = heard("David, please fix the login error before Thursday. I will write the survey report by Friday.")
    terms = ["Davide", "Farida", "Loginator", "Surveyo", "Mondayly"]
    assert respell(said, terms) == said
    assert respell(said, terms, lambda texts: [0.0] * len(texts)) != said  # readings to judge

    assert respell(said, terms, on_whole(engine, SPEECH / "standup.wav")) == said


def test_a_term_is_not_judged_as_another_term() -> None:
    # "Kubernetes" for Kubelet was within the margin, and so was the way back: not idempotent.
    said = heard("Priya moved the Zephyrix cluster to Kubernetes nodes.")

    assert respell(said, [*JARGON_TERMS, "Kubernetes"], lambda texts: [0.0] * len(texts)) == said


def test_the_engine_scores_nothing_past_one_window(engine) -> None:
    jargon = decode(SPEECH / "jargon.wav")

    assert engine.text_scores(np.zeros(31 * SAMPLE_RATE, dtype=np.float32), ["Hello."]) is None
    assert engine.text_scores(jargon, ["Zephyrix " * 300]) is None
    said = "Priya moved the Zephyrix cluster to Kubelet nodes. Then Oksana checked the Grafana dashboards for Zephyrix."
    scores = engine.text_scores(jargon, [said, said.replace("Grafana", "Netflix")])
    assert scores is not None and scores[0] > scores[1]


def test_an_engine_that_cannot_judge_leaves_the_rules_result() -> None:
    misheard = heard("Then Oxana checked the Gravity dashboards.")

    assert respell(misheard, JARGON_TERMS, lambda texts: None) == misheard

"""The local summary engine: overview, decisions, action items and due dates, no model."""

import json
from datetime import date
from pathlib import Path

import pytest

from transcription.engines.base import ActionItem, Insights, Utterance
from transcription.engines.insights_rules import (
    extract_action_items,
    extract_decisions,
    extract_open_questions,
    parse_due_date,
    split_sentences,
)
from transcription.engines.summary_local import LocalSummaryEngine, outcome
from transcription.summaries import CLEAR_TASK

SPEECH = Path(__file__).resolve().parents[1] / "data" / "speech"
MONDAY = date(2024, 6, 3)
THURSDAY = date(2024, 6, 6)
FRIDAY = date(2024, 6, 7)

# What Whisper (tiny.en) really writes for standup.wav, turn by turn: capitals and
# punctuation come and go, "customer's survey", "vendor exports", a garbled last turn.
WHISPER_TURNS = [
    ("Alice", "Good morning everyone, let's start the weekly product meeting."),
    ("David", "The mobile release is almost ready the login error is the last blocker"),
    ("Alice", "David, please fix the login error before Thursday."),
    ("Carol", "I read the customer's survey. People want faster search and vendor exports."),
    ("Alice", "We decided to ship the mobile release on Monday."),
    ("Carol", "I will write the survey report by Friday."),
    ("David", "Happy Royal Photo May."),
]


def reference_turns() -> list[Utterance]:
    turns = json.loads((SPEECH / "standup.json").read_text())["turns"]
    return [Utterance(t["text"], t["start_ms"], t["speaker"], i) for i, t in enumerate(turns)]


def whisper_turns(*, lowercase: bool = False, speakers: bool = True) -> list[Utterance]:
    return [
        Utterance(
            text.lower().rstrip(".") if lowercase else text,
            start_ms=i * 4000,
            speaker=speaker if speakers else None,
            segment_id=100 + i,
        )
        for i, (speaker, text) in enumerate(WHISPER_TURNS)
    ]


def summarize(
    utterances: list[Utterance], meeting_date: date = MONDAY, default_speaker: str | None = None
) -> Insights:
    return LocalSummaryEngine().summarize(
        utterances, meeting_date=meeting_date, default_speaker=default_speaker
    )


def items(*turns: tuple[str | None, str]) -> list[ActionItem]:
    utterances = [Utterance(text, i * 1000, speaker, i) for i, (speaker, text) in enumerate(turns)]
    return extract_action_items(utterances, meeting_date=MONDAY)


def brief(found: list[ActionItem]) -> list[tuple[str, str | None, date | None]]:
    return [(item.title, item.owner_name, item.due_date) for item in found]


# ------------------------------------------------------------------ the standup


def test_reference_standup_matches_the_expected_insights() -> None:
    expected = json.loads((SPEECH / "standup.json").read_text())
    insights = summarize(reference_turns())

    assert [(i.title, i.owner_name) for i in insights.action_items] == [
        (e["text"], e["owner"]) for e in expected["action_items"]
    ]
    assert [i.due_date for i in insights.action_items] == [THURSDAY, FRIDAY]
    assert [f"{i.due_date:%A}" for i in insights.action_items] == [
        e["due"] for e in expected["action_items"]
    ]
    assert [i.segment_id for i in insights.action_items] == [2, 5]
    assert insights.decisions == expected["decisions"]


def test_reference_standup_overview_is_its_most_central_sentences_in_order_then_what_came_out() -> None:
    insights = summarize(reference_turns())
    transcript = (SPEECH / "standup.txt").read_text()

    *sentences, came_out = split_sentences(insights.overview)
    assert came_out == "It ended with one decision and two action items for David and Carol."
    assert 2 <= len(sentences) <= 3
    positions = [transcript.index(s.rstrip(".")) for s in sentences]
    assert positions == sorted(positions)
    assert "mobile release" in insights.overview or "login error" in insights.overview
    assert "Good morning" not in insights.overview
    assert "Thanks everyone" not in insights.overview


def test_reference_standup_key_points_add_what_the_overview_and_tasks_do_not_say() -> None:
    insights = summarize(reference_turns())

    assert "People want faster search and better exports." in insights.key_points
    for point in insights.key_points:
        assert point not in insights.overview
        assert "survey report" not in point and "ship the mobile release" not in point
    assert 1 <= len(insights.key_points) <= 5


@pytest.mark.parametrize("lowercase", [False, True], ids=["whisper", "whisper-lowercase"])
def test_whisper_standup_gives_the_same_tasks_and_decision(lowercase: bool) -> None:
    insights = summarize(whisper_turns(lowercase=lowercase))

    assert brief(insights.action_items) == [
        ("fix the login error", "David", THURSDAY),
        ("write the survey report", "Carol", FRIDAY),
    ]
    assert [i.segment_id for i in insights.action_items] == [102, 105]
    assert insights.decisions == ["ship the mobile release on Monday"]
    assert insights.overview


def test_whisper_standup_in_one_run_on_segment() -> None:
    text = " ".join(t for _, t in WHISPER_TURNS).lower().replace(".", "").replace(",", "")
    insights = summarize([Utterance(text, 0, None, 7)], default_speaker="Alice")

    assert brief(insights.action_items) == [
        ("fix the login error", None, THURSDAY),  # "david" lowercase, nobody spoke: no owner
        ("write the survey report", "Alice", FRIDAY),
    ]
    assert insights.decisions == ["ship the mobile release on Monday"]


def test_whisper_standup_without_speakers_gives_i_to_the_uploader() -> None:
    insights = summarize(whisper_turns(speakers=False), default_speaker="Alice")

    assert brief(insights.action_items) == [
        ("fix the login error", "David", THURSDAY),
        ("write the survey report", "Alice", FRIDAY),
    ]


def test_without_speakers_or_uploader_i_has_no_owner() -> None:
    insights = summarize(whisper_turns(speakers=False))

    assert insights.action_items[1].owner_name is None


@pytest.mark.parametrize(
    ("meeting_date", "thursday", "friday"),
    [
        (MONDAY, THURSDAY, FRIDAY),
        (date(2024, 6, 6), date(2024, 6, 13), FRIDAY),  # on Thursday: next Thursday
        (FRIDAY, date(2024, 6, 13), date(2024, 6, 14)),  # on Friday: never the same day
    ],
)
def test_weekdays_resolve_against_the_meeting_day(
    meeting_date: date, thursday: date, friday: date
) -> None:
    insights = summarize(reference_turns(), meeting_date)

    assert [i.due_date for i in insights.action_items] == [thursday, friday]


def test_misheard_names_become_the_speaker() -> None:
    found = items(
        ("Alice", "Davide, please fix the login error before Thursday."),
        ("Alice", "Carrol will write the survey report by Friday."),
        ("David", "The login error is the last blocker."),
        ("Carol", "I read the survey."),
    )

    assert [i.owner_name for i in found] == ["David", "Carol"]


def test_names_of_people_who_did_not_speak_are_kept_as_heard() -> None:
    found = items(("Alice", "Evan will update the pricing page by the end of the week."))

    assert brief(found) == [("update the pricing page", "Evan", FRIDAY)]


def test_known_names_are_recognised_in_lowercase() -> None:
    text = "so evan will update the pricing page and then we are done"
    assert items(("Alice", text)) == []
    engine = LocalSummaryEngine(known_names=["Evan Brown"])
    insights = engine.summarize([Utterance(text, 0, "Alice", 1)], meeting_date=MONDAY)
    assert brief(insights.action_items) == [("update the pricing page", "Evan Brown", None)]


def test_empty_transcript() -> None:
    insights = summarize([])

    assert insights.overview == ""
    assert insights.key_points == insights.decisions == insights.action_items == []


def test_engine_identity() -> None:
    assert (LocalSummaryEngine.name, LocalSummaryEngine.model) == ("local", "rules-v1")


# ------------------------------------------------------------------ phrase forms


@pytest.mark.parametrize(
    ("speaker", "text", "expected"),
    [
        (
            "Alice",
            "Evan will send the invoice tomorrow.",
            ("send the invoice", "Evan", "2024-06-04"),
        ),
        ("Alice", "Evan'll book the room.", ("book the room", "Evan", None)),
        ("Alice", "Evan is going to review the design.", ("review the design", "Evan", None)),
        ("Alice", "Evan agreed to draft the contract.", ("draft the contract", "Evan", None)),
        ("Alice", "David, please fix the login error.", ("fix the login error", "David", None)),
        ("Alice", "david please fix the login error", ("fix the login error", "David", None)),
        ("Alice", "Please fix the login error, David.", ("fix the login error", "David", None)),
        (
            "Alice",
            "David, can you fix the login error by Friday?",
            ("fix the login error", "David", "2024-06-07"),
        ),
        (
            "Alice",
            "David, could you please update the roadmap by June 20th?",
            ("update the roadmap", "David", "2024-06-20"),
        ),
        (
            "Alice",
            "Carol, I need you to call the vendor before Thursday.",
            ("call the vendor", "Carol", "2024-06-06"),
        ),
        (
            "Alice",
            "Can you send me the deck by next Tuesday?",
            ("send Alice the deck", None, "2024-06-11"),
        ),
        (
            "Carol",
            "I will write the survey report by Friday.",
            ("write the survey report", "Carol", "2024-06-07"),
        ),
        (
            "Carol",
            "I'll email Dana about the contract.",
            ("email Dana about the contract", "Carol", None),
        ),
        ("Carol", "I'm going to clean up the backlog.", ("clean up the backlog", "Carol", None)),
        (
            "Carol",
            "By Friday, I will write the report.",
            ("write the report", "Carol", "2024-06-07"),
        ),
        (
            "Carol",
            "I think I'll write the release notes, because nobody else has time.",
            ("write the release notes", "Carol", None),
        ),
        (
            "Carol",
            "I'll write to Leon and ask if we may contact him in the autumn.",
            ("write to Leon and ask if we may contact him in the autumn", "Carol", None),
        ),
        (
            "Carol",
            "i will send the numbers to finance by friday i read the survey too",
            ("send the numbers to finance", "Carol", "2024-06-07"),
        ),
        (
            "Carol",
            "I'll send the deck by Friday to the client.",
            ("send the deck to the client", "Carol", "2024-06-07"),
        ),
        (
            "Carol",
            "I'll send the deck by 5 pm on Friday.",
            ("send the deck", "Carol", "2024-06-07"),
        ),
        (
            "Carol",
            "I'll let you know by Friday whether we can ship.",
            ("let you know whether we can ship", "Carol", "2024-06-07"),
        ),
        ("Carol", "Maybe I will look at the logs later.", ("look at the logs", "Carol", None)),
    ],
)
def test_phrase_forms(
    speaker: str, text: str, expected: tuple[str, str | None, str | None]
) -> None:
    title, owner, due = expected
    found = items((speaker, text), ("David", "The login error is the last blocker."))

    assert brief(found) == [(title, owner, date.fromisoformat(due) if due else None)]


def test_several_tasks_in_one_run_on_sentence() -> None:
    found = items(
        (
            "Alice",
            "so carol will write the survey report by the 15th "
            "and david will fix the login error tomorrow",
        ),
        ("Carol", "OK."),
        ("David", "OK."),
    )

    assert brief(found) == [
        ("write the survey report", "Carol", date(2024, 6, 15)),
        ("fix the login error", "David", date(2024, 6, 4)),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Will we ship the release on Monday?",
        "When will the release be ready?",
        "David will fix it?",
        "Can you hear me?",
        "David, can you see my screen?",
        "Could you repeat that, please?",
        "Can you please send me the notes?",  # nobody named, no date, nobody took it
        "I won't write the report.",
        "I will not do the survey.",
        "I can't make the demo by Friday.",
        "I'm not going to rewrite the tests.",
        "Please don't push to main on Friday.",
        "I'll do it. I'll look into that. I'll be there.",
        "I'm going to share my screen.",
        "Customers will love the new search. People will want faster exports.",
        "It will be fine and everything will work tomorrow.",
        "You'll see the numbers on the dashboard.",
        "I read the customer's survey. People want faster search and vendor exports.",
        "Happy Royal Photo May.",
        "Yes please, that would help.",
        "Kenji, please walk us through the timeline.",
        "Ryan, can you tell us why the import failed?",
        "Nice to meet you both.",
        "API will return an error after the timeout.",
        "Bob, good point.",
        "Bob, which warehouse would you pick?",
        "I'll need the new test data, the old set has only 10,000 queries.",
        "I'll need Wei for one of them.",
        "A bit quiet, but it works. Daniel, go ahead.",
        "Bob, you'll go ahead.",
        "Bob, would you have time for a call next week to talk about it?",
        "Marco, can you start with release four?",
        "Each driver opens the settings. Go to apps, Trackly, and set location to allow all the time.",
        "Yes, Google and Microsoft will have decent APIs.",
    ],
)
def test_not_tasks(text: str) -> None:
    assert items(("Alice", text), ("Bob", "Right.")) == []


def test_work_offered_is_a_task_less_sure_than_a_promise_and_an_ability_is_none() -> None:
    found = items(
        ("Ines", "I can call Jordan's references this week."),
        ("Ali", "I can be on standby, I'm home tonight anyway."),
        ("Derek", "I can log in, but I don't have access to the ticket system yet."),
        ("Linda", "For two years, I can do 6%, fixed for both years."),
        ("Paul", "I can send the drivers a short guide with screenshots."),
        ("Victor", "Yes please, that would help."),
        ("Paul", "I'll send the guide within the hour."),
    )

    assert brief(found) == [
        ("call Jordan's references", "Ines", date(2024, 6, 7)),
        ("be on standby", "Ali", None),
        ("send the drivers a short guide with screenshots", "Paul", MONDAY),
    ]
    assert [item.confidence < CLEAR_TASK for item in found] == [True, True, False]  # promised in the end


def test_what_one_needs_to_do_or_will_have_ready_is_a_task() -> None:
    found = items(("Alice", "I'll need to ask legal about the contract. I'll have the draft ready by Friday."))

    assert [item.title for item in found] == ["ask legal about the contract", "have the draft ready"]


def test_an_unnamed_request_goes_to_whoever_takes_it() -> None:
    found = items(("Alice", "Can you send me the deck?"), ("Bob", "Sure, will do."))

    assert brief(found) == [("send Alice the deck", "Bob", None)]


@pytest.mark.parametrize("answer", ["No, sorry.", "I can't, I'm out all week."])
def test_a_refused_request_is_not_a_task(answer: str) -> None:
    assert items(("Alice", "Can you send me the deck by Friday?"), ("Bob", answer)) == []
    assert items(("Alice", "Davide, please fix the login error."), ("David", answer)) == []


def test_a_refusal_by_someone_else_does_not_cancel_the_request() -> None:
    found = items(("Alice", "David, please fix the login error."), ("Carol", "No idea."))

    assert [i.owner_name for i in found] == ["David"]


def test_a_request_and_its_acceptance_are_one_task() -> None:
    found = items(
        ("Alice", "David, please fix the login error."),
        ("David", "Sure, I will fix the login error by Thursday."),
    )

    assert brief(found) == [("fix the login error", "David", THURSDAY)]


def test_let_me_is_a_commitment_of_the_speaker() -> None:
    assert brief(items(("Nora", "Let me check which customers would agree to a reference call."))) == [
        ("check which customers would agree to a reference call", "Nora", None)
    ]


def test_people_assigned_by_name_each_get_the_task() -> None:
    found = items(
        ("Alice", "Hannah and Oliver to finish the certificate rotation by next Tuesday."),
        ("Alice", "Jin and Amara, please review the contract."),
        ("Alice", "Let's have Yuki migrate the spelling correction."),
        ("Hannah", "Fine."), ("Oliver", "Fine."), ("Jin", "Sure."), ("Amara", "Sure."), ("Yuki", "Yes."),
    )

    assert brief(found) == [
        ("finish the certificate rotation", "Hannah", date(2024, 6, 11)),
        ("finish the certificate rotation", "Oliver", date(2024, 6, 11)),
        ("review the contract", "Jin", None),
        ("review the contract", "Amara", None),
        ("migrate the spelling correction", "Yuki", None),
    ]


def test_a_task_assigned_to_someone_is_theirs() -> None:
    found = items(
        ("Megan", "Customers ask us the same things every time."),
        ("Laura", "Megan, I'll assign the template to you, since you know what customers ask."),
        ("Isabel", "I'll assign the support training to Fatima."),
        ("Gwen", "I'll assign the desks to you."),
    )

    assert brief(found) == [
        ("take on the template", "Megan", None),
        ("take on the support training", "Fatima", None),
        ("take on the desks", "Isabel", None),  # "you": the one who spoke before
    ]


def test_the_answer_s_date_is_the_request_s() -> None:
    found = items(("Alice", "Arjun, can you add the cart limit?"), ("Arjun", "Yes, I'll have it done by Thursday."))

    assert brief(found) == [("add the cart limit", "Arjun", THURSDAY)]


def test_a_task_taken_back_a_moment_later_is_no_task() -> None:
    found = items(
        ("Laura", "Arjun, one more thing. Can you prepare the slides for the all-hands?"),
        ("Arjun", "I can, but is it needed? The written report is usually enough."),
        ("Laura", "You're right. Forget the slides, the report is enough."),
        ("Laura", "Kenji, please add the index to the orders table."),
        ("Kenji", "Sure."),
        ("Laura", "And Arjun, please drop the old index on the orders table."),  # an order of its own
        ("Arjun", "Will do."),
    )

    assert brief(found) == [
        ("add the index to the orders table", "Kenji", None), ("drop the old index on the orders table", "Arjun", None)
    ]


@pytest.mark.parametrize(
    ("change", "answer", "owner"),
    [
        ("Actually, Eva, you know Leon from recruiting, maybe it's better if you write to him.", "Sure, I can do that.", "Eva"),
        ("Actually, Eva will do it, she knows him.", "Fine.", "Eva"),
        ("Actually, I'll take that, I'm seeing him tomorrow.", "Okay.", "Ruth"),
        ("Actually, Eva, could you do it instead?", "Sure.", "Eva"),
    ],
)
def test_a_task_given_to_someone_else_a_moment_later_is_theirs(change: str, answer: str, owner: str) -> None:
    found = items(
        ("Ruth", "Malik, please write to Leon."), ("Malik", "Will do."), ("Ruth", change), ("Eva", answer)
    )

    assert brief(found) == [("write to Leon", owner, None)]


@pytest.mark.parametrize(
    "said",
    [
        "Actually, that's fine.",
        "Actually, Eva, you're right, he was good.",
        "Actually, Eva will be away next week.",
        "Actually, Eva, could you do it instead?",  # asked, and not taken
    ],
)
def test_a_change_of_mind_that_gives_the_task_to_nobody_leaves_it(said: str) -> None:
    found = items(("Ruth", "Malik, please write to Leon."), ("Malik", "Will do."), ("Ruth", said), ("Eva", "Hmm."))

    assert brief(found) == [("write to Leon", "Malik", None)]


def test_a_deadline_the_answer_sets_is_the_due_date() -> None:
    found = items(
        ("Alice", "Arjun, can you add the cart limit this week?"), ("Arjun", "Yes, I'll have it done by Thursday."),
        ("Alice", "Bob, please send the deck this week."), ("Bob", "Sure, I can send it tomorrow."),
        ("Alice", "Carol, please update the list."), ("Carol", "Sure, tomorrow."),
    )

    assert brief(found) == [  # a day the answer only plans for does not move the asker's date
        ("add the cart limit", "Arjun", THURSDAY), ("send the deck", "Bob", FRIDAY),
        ("update the list", "Carol", date(2024, 6, 4)),
    ]


def test_someone_not_in_the_meeting_may_be_given_a_task() -> None:
    found = items(("Sofia", "Good. Hannah and Oliver to finish the certificate rotation by next Tuesday."))

    assert [(i.owner_name, i.due_date) for i in found] == [("Hannah", date(2024, 6, 11)), ("Oliver", date(2024, 6, 11))]


@pytest.mark.parametrize(
    "when", ["within the hour", "this afternoon", "right after the meeting", "later today", "after this"]
)
def test_today_in_other_words(when: str) -> None:
    assert parse_due_date(f"I will send the keys {when}", MONDAY) == MONDAY


def test_a_request_names_who_asked_and_a_promise_who_was_answered() -> None:
    found = items(
        ("Alice", "Bob, can you send me the export of the product list?"),
        ("Bob", "Sure. Where is the style guide, by the way?"),
        ("Alice", "There's a page in the wiki. I'll send you the link."),
    )

    assert brief(found) == [
        ("send Alice the export of the product list", "Bob", None),
        ("send Bob the link", "Alice", None),
    ]


def test_the_deadline_is_the_date_after_by() -> None:
    found = items(
        ("Paula", "Derek, please book the safety training for Thursday in the learning portal by tomorrow."),
        ("Derek", "Will do."),
        ("Paula", "Derek, please run the interviews this week and share the notes by the 14th."),
    )

    assert brief(found) == [
        ("book the safety training for Thursday in the learning portal", "Derek", date(2024, 6, 4)),
        ("run the interviews this week and share the notes", "Derek", date(2024, 6, 14)),
    ]


def test_a_date_a_thing_is_for_stays_in_the_title_and_is_the_latest_it_is_due() -> None:
    found = items(
        ("Emma", "Perfect, I'll send an invite for Thursday at 10."),
        ("Elena", "Farid, could you put together the pricing comparison for next week?"),
        ("Farid", "Sure."),
    )

    assert brief(found) == [
        ("send an invite for Thursday at 10", "Emma", THURSDAY),
        ("put together the pricing comparison for next week", "Farid", date(2024, 6, 14)),
    ]


def test_what_follows_the_date_may_still_be_the_task() -> None:
    found = items(("Nora", "Mei will run a demo with Carlos next week, using their own data."), ("Mei", "Sure."))

    assert brief(found) == [("run a demo with Carlos, using their own data", "Mei", date(2024, 6, 14))]


def test_a_name_then_an_order_is_a_request() -> None:
    found = items(
        ("Claire", "Okay. Ines, send me the reference notes when you have them."),
        ("Jasmine", "And Bianca, talk to the store managers about the repair week."),
        ("Ines", "Fine."),
        ("Bianca", "Sure."),
    )

    assert brief(found) == [
        ("send Claire the reference notes when you have them", "Ines", None),
        ("talk to the store managers about the repair week", "Bianca", None),
    ]


def test_names_known_in_two_spellings_are_one_person() -> None:
    utterances = [Utterance("ines please send the reference notes", 0, "Claire", 1)]
    found = extract_action_items(utterances, meeting_date=MONDAY, known_names=["Ines", "ines", "Claire", "claire"])

    assert brief(found) == [("send the reference notes", "Ines", None)]


def test_it_and_that_stand_for_what_was_said_before() -> None:
    found = items(
        ("Carl", "The last one is a feature request. They want dark mode. I'll move it to the product board."),
        ("Jonas", "We should test the migration time on a production copy."),
        ("Wei", "I'll do that together with the index test."),
        ("Peter", "Somebody should tell the events team about the new date."),
        ("Diane", "I'll take that."),
        ("Carl", "We refunded it on Friday. I'll close it today."),
    )

    assert brief(found) == [
        ("move dark mode to the product board", "Carl", None),
        ("test the migration time on a production copy together with the index test", "Wei", None),
        ("tell the events team about the new date", "Diane", None),
    ]


def test_it_stands_for_what_the_same_speaker_said_in_the_line_before() -> None:
    # The transcript cut Carl's turn at a pause: his line before is still his turn.
    found = items(
        ("Carl", "The last one is a feature request. They want dark mode."),
        ("Carl", "I'll move it to the product board."),
        ("Yasmin", "We want the export in the background."),
        ("Ivan", "I'll move it to the next sprint."),
    )

    assert brief(found) == [
        ("move dark mode to the product board", "Carl", None),
        ("move it to the next sprint", "Ivan", None),
    ]


def test_turns_cut_into_lines_count_as_turns() -> None:
    # The careful pass cuts turns into lines at pauses: "you" is still the one Paul answers,
    # and the guide he offered two turns (five lines) back is still the guide with screenshots.
    found = items(
        ("Victor", "How do the drivers turn it on?"),
        ("Paul", "Each driver has to open the settings and set location to allow all the time."),
        ("Paul", "I can send you a short guide with screenshots."),
        ("Victor", "That would help."),
        ("Victor", "Most of them are not very technical."),
        ("Victor", "Some have never changed a setting."),
        ("Victor", "And they work in the field all day."),
        ("Paul", "I'll send the guide within the hour."),
    )

    assert brief(found) == [("send Victor a short guide with screenshots", "Paul", MONDAY)]


def test_that_stands_for_a_thing_someone_just_said_they_want() -> None:
    found = items(
        ("Ingrid", "I'd also like a load test before we decide on the partition count."),
        ("Stefan", "Ingrid, would you run that with Ravi?"),
        ("Ingrid", "Sure."),
        ("Ravi", "I'd like to help with that."),
        ("Stefan", "Ravi, can you do that?"),
    )

    assert [item.title for item in found] == ["run a load test before we decide on the partition count with Ravi"]


def test_a_short_name_for_a_thing_takes_what_was_said_of_it_before() -> None:
    found = items(
        ("Paul", "Each driver has to change a setting. We need a short guide with screenshots."),
        ("Victor", "Yes please, that would help."),
        ("Paul", "I'll send the guide within the hour."),
        ("Arjun", "A hard limit of 500 items per cart, with a clear error message."),
        ("Kenji", "The limit is quick."),
        ("Laura", "Arjun, can you add the cart limit this week?"),
        ("Arjun", "Yes."),
        ("Megan", "And a short template for support, what to tell customers during an outage."),
        ("Laura", "Megan, I'll assign the template to you."),
    )

    assert [item.title for item in found] == [
        "send the short guide with screenshots",
        "add the hard limit of 500 items per cart",
        "take on the short template for support, what to tell customers during an outage",
    ]


def test_a_thing_already_named_in_full_or_never_described_stays_as_said() -> None:
    found = items(
        ("Rita", "There is a list of the people who asked for desks, and a report on the heating."),
        ("Gwen", "I'll update the list of people by Friday."),
        ("Gwen", "I'll write the summary after this."),
        ("Gwen", "I'll send the report to the landlord."),
    )

    assert [item.title for item in found] == [
        "update the list of people",
        "write the summary",
        "send the report on the heating to the landlord",
    ]


def test_asking_about_a_question_says_what_to_ask() -> None:
    found = items(
        ("Rebecca", "Do we send release notes to customers tonight or tomorrow morning?"),
        ("Patrick", "Good question, I'll ask marketing."),
        ("Rosa", "One more question. Do we have a budget for the user interviews? Usually people get a gift card."),
        ("Isabel", "Good point, I don't know. Let me check."),
        ("Emma", "And Victor, can your IT team push that setting centrally?"),
        ("Victor", "I don't know if they can. I'll ask them."),
        ("Tobias", "Can we hire two people this year?"),
        ("Elena", "I'll ask finance."),
    )

    assert [item.title for item in found] == [
        "ask marketing whether we send release notes to customers tonight or tomorrow morning",
        "check whether we have a budget for the user interviews",
        "ask them whether the IT team can push that setting centrally",
        "ask finance whether we can hire two people this year",
    ]


def test_a_question_about_a_team_or_a_thing_is_put_back_in_order_only_when_the_verb_is_clear() -> None:
    found = items(
        ("Oscar", "Can your lawyers look at the contract before Friday?"),
        ("Linda", "I'll ask them."),
        ("Nina", "Will the new build be ready on Monday?"),
        ("Tom", "Let me check."),
        ("Nina", "Should the migration run overnight?"),
        ("Tom", "I'll ask Priya."),
    )

    assert [item.title for item in found] == [
        "ask them whether the lawyers can look at the contract before Friday",
        "check whether the new build will be ready on Monday",
        "ask Priya: Should the migration run overnight?",
    ]


def test_only_a_question_put_by_someone_else_is_what_to_ask() -> None:
    found = items(
        ("Tobias", "Do we know what Jordan expects?"),
        ("Claire", "Not yet. Let me ask myself, I'm talking to Jordan on Friday."),
        ("Tobias", "Does that make sense to everyone?"),
        ("Claire", "I'll ask the team."),
        ("Tobias", "Is the export still failing?"),
        ("Claire", "I'll check the logs."),
    )

    assert [item.title for item in found] == ["ask myself", "ask the team", "check the logs"]


def test_two_people_asked_for_two_things_get_one_each() -> None:
    found = items(
        ("Laura", "Pablo and Arjun, please update the runbook and add the dashboard panel by the end of next week."),
        ("Laura", "Jin and Amara, please review and merge the contract."),
        ("Pablo", "Sure."), ("Arjun", "Sure."), ("Jin", "Sure."), ("Amara", "Sure."),
    )

    assert brief(found) == [
        ("update the runbook", "Pablo", date(2024, 6, 14)),
        ("add the dashboard panel", "Arjun", date(2024, 6, 14)),
        ("review and merge the contract", "Jin", None),
        ("review and merge the contract", "Amara", None),
    ]


def test_a_new_subject_after_a_comma_ends_the_task() -> None:
    found = items(
        ("Claire", "Let me call the recruiter, I'm talking to Jordan on Friday anyway."),
        ("Grace", "Let's have Yuki do the migration in this sprint, it fits."),
        ("Fatima", "I'll send the strings to the translators, they usually answer in two days."),
    )

    assert [item.title for item in found] == [
        "call the recruiter", "do the migration in this sprint", "send the strings to the translators",
    ]


# --------------------------------------------------------------------- decisions


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("We decided to ship the mobile release on Monday.", "ship the mobile release on Monday"),
        ("we decided to ship the mobile release on monday", "ship the mobile release on Monday"),
        ("We've agreed to freeze the API.", "freeze the API"),
        ("We agreed that we will use Postgres, because it scales.", "use Postgres"),
        ("The decision is to delay the launch.", "delay the launch"),
        ("OK, the decision is that we ship on Friday.", "ship on Friday"),
        ("It was decided to hire a designer.", "hire a designer"),
        ("We decided not to ship on Friday.", "not ship on Friday"),
        ("We decided to ship on Monday and David will fix the login error.", "ship on Monday"),
        ("Let's go with the photo contest.", "go with the photo contest"),
        ("So we'll go ahead with the two-year plan.", "go with the two-year plan"),
        ("The call is Microsoft first.", "Microsoft first"),
        ("We agreed on three measures: first projects, active members and calendars.",
         "three measures: first projects, active members and calendars"),
        ("Then we decided: release five goes out on June 10th.", "release five goes out on June 10th"),
        ("If the written offer matches, we'll go ahead with the two-year plan.",
         "go with the two-year plan if the written offer matches"),
        ("The call is go. Release 4.6 goes out tonight at nine.", "Release 4.6 goes out tonight at nine"),
        ("Then we drop the second video series. We agreed on that as the fallback.", "drop the second video series"),
        ("Okay. Any change to the release scope has to go through me.",
         "Any change to the release scope has to go through Alice"),
        ("From now on, anything we ship must pass the smoke tests.", "anything we ship must pass the smoke tests"),
        ("Okay, so the travel budget is approved.", "approve the travel budget"),
        ("To sum up: the new onboarding flow is approved for the pilot, but only in Spain.",
         "approve the new onboarding flow for the pilot"),
    ],
)
def test_decision_forms(text: str, decision: str) -> None:
    utterances = [Utterance(text, 0, "Alice", 1), Utterance("Fine.", 1, "David", 2)]
    assert extract_decisions(utterances) == [decision]


@pytest.mark.parametrize(
    ("proposal", "decision"),
    [
        ("I'd say the people with the oldest laptops first, then by team.",
         "the people with the oldest laptops first, then by team"),
        ("Then I will keep fourteen days of logs for staging.", "keep fourteen days of logs for staging"),
        ("We looked at both. I suggest the annual plan with monthly invoices.", "the annual plan with monthly invoices"),
    ],
)
def test_a_proposal_someone_else_agrees_to_is_a_decision(proposal: str, decision: str) -> None:
    utterances = [Utterance(proposal, 0, "Alice", 1), Utterance("Agreed. Alice, can you tell the team?", 1, "David", 2)]
    assert extract_decisions(utterances) == [decision]


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("I'll send the deck to the client by Friday.", "Agreed."),  # a task, not a proposal
        ("Should we move the launch to June?", "Agreed."),
        ("I'd say the people with the oldest laptops first.", "Agreed, but let's ask IT first."),
        ("I wouldn't touch the paid search budget.", "Agreed."),
    ],
)
def test_agreeing_to_what_is_not_a_proposal_is_no_decision(said: str, answer: str) -> None:
    assert extract_decisions([Utterance(said, 0, "Alice", 1), Utterance(answer, 1, "David", 2)]) == []


@pytest.mark.parametrize(
    ("said", "decision"),
    [
        ("Agreed, we drop the API documentation action.", "drop the API documentation action"),
        ("Okay, let's quarantine the flaky tests for now.", "quarantine the flaky tests for now"),
        ("Fine. Then we keep the old job until June, because the team is away.", "keep the old job until June"),
    ],
)
def test_a_point_settled_in_the_present_is_a_decision(said: str, decision: str) -> None:
    utterances = [Utterance("What about the old job?", 0, "David", 1), Utterance(said, 1, "Alice", 2)]
    assert extract_decisions(utterances) == [decision]


@pytest.mark.parametrize(
    "said",
    [
        "Okay, we need 25 more.",  # a fact
        "So we finished the interviews last week.",  # a story
        "Okay, we lost the logs of Tuesday.",
        "Okay, we usually ship on Fridays.",  # a habit
        "Okay, let's go around the table.",  # a step of the meeting itself
        "Then let's turn these into actions.",
        "Let's ask the store managers first.",  # put off, to someone else
        "Then let's do that.",  # what "that" is, was said elsewhere
        "Okay, let's drop that one.",
        "So we go with Sarah?",
    ],
)
def test_what_is_not_settled_in_the_present(said: str) -> None:
    utterances = [Utterance("What about the old job?", 0, "David", 1), Utterance(said, 1, "Alice", 2)]
    assert extract_decisions(utterances) == []


def test_a_question_called_open_in_the_line_before_is_open() -> None:
    """The transcript cut "One question. Do we have any money …?" in two lines."""
    asked = [
        Utterance("One question.", 0, "Howard", 1),
        Utterance("Do we have any money for the rebrand the CEO mentioned?", 1500, "Howard", 2),
        Utterance("Not in this budget.", 5000, "Diane", 3),
    ]
    assert extract_open_questions(asked) == ["Do we have any money for the rebrand the CEO mentioned?"]


def test_a_misheard_name_is_for_whoever_says_yes() -> None:
    """"Ben, can you …" heard as "Man, can you …": nobody is called Man, Ben answered."""
    found = items(
        ("Grace", "Man, can you update the synonym list before you leave on Wednesday?"),
        ("Ben", "Yes, I can do that tomorrow."),
    )
    assert [(i.title, i.owner_name) for i in found] == [("update the synonym list before you leave", "Ben")]


def test_a_known_name_keeps_the_request_whoever_says_yes() -> None:
    found = items(
        ("Grace", "Kenji, can you update the synonym list?"),
        ("Ben", "Sure, I'll remind him."),
        ("Kenji", "Thanks."),
    )
    assert [(i.title, i.owner_name) for i in found][:1] == [("update the synonym list", "Kenji")]


def test_agreed_stopped_before_what_was_settled() -> None:
    utterances = [Utterance("What about the API docs?", 0, "David", 1),
                  Utterance("Agreed. We drop the API documentation action.", 1, "Alice", 2)]
    assert extract_decisions(utterances) == ["drop the API documentation action"]


def test_what_was_agreed_may_follow_in_the_same_speakers_next_line() -> None:
    # The colon of "We agreed then: …" heard as a full stop, and the line cut there.
    utterances = [
        Utterance("We agreed then.", 0, "Laura", 1),
        Utterance("A limit of 500 items per cart now, streaming in the next sprint.", 2000, "Laura", 2),
        Utterance("And we agreed.", 9000, "Claire", 3),
        Utterance("If the references are positive, we make an offer at senior level.", 10000, "Claire", 4),
        Utterance("So we agreed.", 19000, "Ruth", 5),
        Utterance("Wait, should we make an offer?", 20000, "Ruth", 6),
    ]
    assert extract_decisions(utterances) == [
        "A limit of 500 items per cart now, streaming in the next sprint",
        "make an offer at senior level if the references are positive",
    ]


def test_another_speakers_line_is_not_what_was_agreed() -> None:
    utterances = [Utterance("And we agreed.", 0, "Claire", 1),
                  Utterance("If the references are positive, we make an offer.", 1000, "Ines", 2)]
    assert extract_decisions(utterances) == []


def test_a_condition_said_after_the_colon_ends_the_decision() -> None:
    said = "Then we agreed: if the references are positive, we make an offer at senior level."
    assert extract_decisions([Utterance(said, 0, "Claire", 1)]) == [
        "make an offer at senior level if the references are positive"
    ]


def test_a_decision_told_with_its_outcome_without_a_comma_is_a_story() -> None:
    said = "They wanted live prices. We agreed on a cache of five minutes and the conversion didn't change."
    assert extract_decisions([Utterance(said, 0, "Alice", 1)]) == []


def test_a_sentence_cut_at_a_pause_is_read_whole() -> None:
    insights = summarize([
        Utterance("Last thing, we agreed to have a weekly status call on Mondays", 0, "Alice", 1),
        Utterance("and a shared channel for questions.", 4000, "Alice", 2),
        Utterance("Malik, please write to Leon and ask if", 8000, "Ruth", 3),
        Utterance("we may contact him in the autumn.", 11000, "Ruth", 4),
    ])
    assert insights.decisions == ["have a weekly status call on Mondays and a shared channel for questions"]
    assert [(i.title, i.owner_name, i.segment_id) for i in insights.action_items] == [
        ("write to Leon and ask if we may contact him in the autumn", "Malik", 3)
    ]


def test_a_line_in_lower_case_goes_on_the_sentence_before_its_full_stop() -> None:
    insights = summarize([
        Utterance("Thank you all. I'll write the plan up and share it.", 0, "Isabel", 1),
        Utterance("today.", 3000, "Isabel", 2),
    ])
    assert brief(insights.action_items) == [("write the plan up and share it", "Isabel", MONDAY)]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Alice", "We agreed to have a weekly status call on Mondays"), ("David", "and Fridays, please.")),
        (("Alice", "We agreed to have a weekly status call on Mondays!"), ("Alice", "and a shared channel.")),
        (("Alice", "We agreed to have a weekly status call on Mondays"), ("Alice", "And a shared channel.")),
    ],
    ids=["another speaker", "an exclamation", "a new sentence"],
)
def test_lines_that_do_not_go_on_stay_apart(first: tuple[str, str], second: tuple[str, str]) -> None:
    insights = summarize([Utterance(first[1], 0, first[0], 1), Utterance(second[1], 4000, second[0], 2)])
    assert insights.decisions == ["have a weekly status call on Mondays"]


def test_the_opening_lets_are_no_decisions() -> None:
    assert extract_decisions([Utterance("Okay, let's keep the updates short today.", 0, "Alice", 1)]) == []


@pytest.mark.parametrize(
    "text",
    [
        "Have we decided to ship on Monday?",
        "We haven't decided yet.",
        "We need to decide about the launch.",
        "David decided to leave early.",
        "We decided to roll it back.",  # what "it" is, was said elsewhere
        "They wanted live prices. We agreed on a cache of five minutes, and the conversion didn't change.",
        "Every query that checks permissions has to change.",  # a fact about the work, not a rule
        "Any idea who has to sign this?",
        "The vendor contract was approved in March.",  # a story from before
        "Is the travel budget approved?",
    ],
)
def test_not_decisions(text: str) -> None:
    assert extract_decisions([Utterance(text, 0, "Alice", 1)]) == []


# ------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("phrase", "on_monday", "on_friday"),
    [
        ("by Friday", "2024-06-07", "2024-06-14"),
        ("before Thursday", "2024-06-06", "2024-06-13"),
        ("on Monday", "2024-06-10", "2024-06-10"),  # never the meeting day itself
        ("this Friday", "2024-06-07", "2024-06-14"),
        ("next Tuesday", "2024-06-11", "2024-06-11"),  # the Tuesday of the following week
        ("next Friday", "2024-06-14", "2024-06-14"),
        ("friday morning", "2024-06-07", "2024-06-14"),
        ("Friday at 3pm", "2024-06-07", "2024-06-14"),
        ("at 10 a.m. tomorrow", "2024-06-04", "2024-06-08"),
        ("by end of day Friday", "2024-06-07", "2024-06-14"),
        ("today", "2024-06-03", "2024-06-07"),
        ("by end of day", "2024-06-03", "2024-06-07"),
        ("tomorrow", "2024-06-04", "2024-06-08"),
        ("the day after tomorrow", "2024-06-05", "2024-06-09"),
        ("by the end of the week", "2024-06-07", "2024-06-07"),
        ("this week", "2024-06-07", "2024-06-07"),
        ("next week", "2024-06-14", "2024-06-14"),
        ("by the end of the month", "2024-06-30", "2024-06-30"),
        ("in two weeks", "2024-06-17", "2024-06-21"),
        ("within 3 days", "2024-06-06", "2024-06-10"),
        ("by the 15th", "2024-06-15", "2024-06-15"),
        ("on the fifteenth", "2024-06-15", "2024-06-15"),
        ("the fifteenth", "2024-06-15", "2024-06-15"),
        ("by the 3rd", "2024-07-03", "2024-07-03"),  # the next 3rd after the meeting
        ("by the twenty-first", "2024-06-21", "2024-06-21"),
        ("by the thirty first", "2024-07-31", "2024-07-31"),  # June has 30 days
        ("June 20th", "2024-06-20", "2024-06-20"),
        ("the 3rd of July", "2024-07-03", "2024-07-03"),
        ("june second", "2025-06-02", "2025-06-02"),  # passed this year
        ("March 1, 2025", "2025-03-01", "2025-03-01"),
    ],
)
def test_due_dates(phrase: str, on_monday: str, on_friday: str) -> None:
    assert parse_due_date(f"send it {phrase}", MONDAY) == date.fromisoformat(on_monday)
    assert parse_due_date(f"send it {phrase}", FRIDAY) == date.fromisoformat(on_friday)


@pytest.mark.parametrize(
    "text", ["on the second floor", "Fridays are quiet", "the first thing we do", "soon", "May"]
)
def test_not_due_dates(text: str) -> None:
    assert parse_due_date(text, MONDAY) is None


def test_the_overview_states_facts_once_and_asks_nothing() -> None:
    said = [
        ("Alice", "Do we have any money left for the rebrand that the marketing team proposed?"),
        ("Bob", "The quarterly budget for the rebrand project is forty thousand euros."),
        ("Alice", "The quarterly budget for the rebrand project is forty thousand euros."),
        ("Carol", "The agency delivers the new logo designs for the rebrand in two weeks."),
        ("Bob", "Which agency did the finance team approve for the rebrand project?"),
    ]
    insights = summarize([Utterance(text, i * 1000, who, i) for i, (who, text) in enumerate(said)])

    sentences = [*split_sentences(insights.overview), *insights.key_points]
    assert sentences and not any(s.endswith("?") for s in sentences)
    assert len(sentences) == len(set(sentences))


@pytest.mark.parametrize(
    ("decisions", "owners", "questions", "said"),
    [
        (0, [], 0, "No decision or action item was recorded."),
        (1, [], 0, "It ended with one decision."),
        (0, [None, None], 0, "It ended with two action items."),
        (2, ["Ana", "Ben", "Ana"], 1, "It ended with two decisions, three action items for Ana and Ben, and one open question."),
        (0, ["Ana", None], 3, "It ended with two action items for Ana and three open questions."),
        (12, ["A", "B", "C", "D", "E", "F"], 0, "It ended with 12 decisions and six action items for A, B, C, D and two others."),
    ],
)
def test_the_overview_ends_with_what_came_out(decisions: int, owners: list, questions: int, said: str) -> None:
    items = [ActionItem(title="Send the deck", owner_name=owner) for owner in owners]
    assert outcome(["ship it"] * decisions, items, ["why?"] * questions) == said


def open_questions(*turns: tuple[str, str]) -> list[str]:
    return extract_open_questions([Utterance(text, 1000 * i, speaker) for i, (speaker, text) in enumerate(turns)])


def test_a_question_nobody_could_answer_is_open() -> None:
    found = open_questions(
        ("Jin", "And Victor, can your IT team push that setting centrally?"),
        ("Victor", "I don't know if they can. I'll ask them."),
    )

    assert found == ["And Victor, can your IT team push that setting centrally?"]
    found = open_questions(
        ("Ana", "Do we still support the old CSV format, or can I remove it?"),
        ("Priya", "Good question. I don't know who still uses it."),
        ("Ana", "Then let's leave it for now."),
    )
    assert found == ["Do we still support the old CSV format, or can I remove it?"]


def test_a_question_called_open_is_open_and_a_short_one_keeps_what_it_is_about() -> None:
    found = open_questions(
        ("George", "One more question. Our headcount might grow to about 110 next year. How does the pricing work then?"),
        ("Lena", "It goes by seats, so the price grows with it."),
    )

    assert found == ["Our headcount might grow to about 110 next year. How does the pricing work then?"]


@pytest.mark.parametrize(
    "reply",
    ["Yes, we ship on Monday.", "No, the vendor said it is fine.", "Sure, Tuesday works for everyone."],
)
def test_an_answered_question_is_not_open(reply: str) -> None:
    assert open_questions(("Ana", "Do we ship the mobile release on Monday?"), ("Ben", reply)) == []


@pytest.mark.parametrize(
    "reply",
    [
        "Let's wait for the budget numbers first.",
        "Maybe, let's look at that next month with more data.",
        "Good point. Let's leave it for the next review.",
        "I'm still waiting for the numbers from finance.",
    ],
)
def test_a_question_put_off_is_open(reply: str) -> None:
    found = open_questions(("Ana", "Should we move the office party to December?"), ("Ben", reply))

    assert found == ["Should we move the office party to December?"]


def test_a_question_answered_two_ways_is_open() -> None:
    found = open_questions(
        ("Ana", "Will do. Which day though? Tuesday or Thursday?"),
        ("Ben", "Tuesday is quieter in the office."),
        ("Carl", "But Thursday is when the client is in town."),
    )

    assert found == ["Which day though? Tuesday or Thursday?"]
    agreed = open_questions(
        ("Ana", "Which day though? Tuesday or Thursday?"),
        ("Ben", "Tuesday is quieter in the office."),
        ("Carl", "Tuesday works for me too."),
    )
    assert agreed == []


def test_a_follow_up_fragment_is_not_an_open_question() -> None:
    assert open_questions(("Ana", "And the start date?"), ("Ben", "I'll ask about that too.")) == []


def test_a_request_is_a_task_not_an_open_question() -> None:
    assert open_questions(("Ana", "Can you send the contract to legal today?"), ("Ben", "Not sure I can today.")) == []


def test_check_ins_are_not_open_questions() -> None:
    assert open_questions(("Ana", "Does that make sense to everyone?"), ("Ben", "I'm not sure, honestly.")) == []
    assert open_questions(("Ana", "Any questions before we wrap up?"), ("Ben", "Not sure yet.")) == []


def test_the_summary_carries_the_open_questions() -> None:
    turns = [
        Utterance("Do we need to tell the enterprise customers anything beyond the status page?", 0, "Ana"),
        Utterance("Hard to say. Let's not decide that today.", 4000, "Ben"),
    ]
    insights = LocalSummaryEngine().summarize(turns, meeting_date=date(2025, 3, 3))

    assert insights.questions == ["Do we need to tell the enterprise customers anything beyond the status page?"]

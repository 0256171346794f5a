"""match_member: a name heard in a meeting to a workspace member."""

import pytest

from transcription.engines.names import match_member, normalize_name, suggested_names

MEMBERS = {
    1: ["David Smith", "David", "dsmith"],
    2: ["Carol Jones", "Carol", "carol.jones"],
    3: ["José Álvarez", "José", "jalvarez"],
    4: ["Evan", "Evan", "evan"],
}


@pytest.mark.parametrize(
    ("heard", "member"),
    [
        ("David", 1),
        ("david", 1),
        ("Davide", 1),  # one letter too many
        ("Carrol", 2),  # one letter doubled
        ("Carl", 2),  # one letter missing
        ("Daniel", None),  # two letters from David: another person
        ("carol jones", 2),
        ("Carol Jonse", 2),
        ("Jose", 3),  # accents do not count
        ("jose alvarez", 3),
        ("Evan", 4),
        ("Ivan", 4),  # four letters still allow one
        ("Alice", None),
        ("", None),
    ],
)
def test_matches_a_misheard_name_or_nothing(heard: str, member: int | None) -> None:
    assert match_member(heard, MEMBERS) == member


def test_matches_the_email_local_part() -> None:
    assert match_member("carol.jones", MEMBERS) == 2
    assert match_member("dsmith", MEMBERS) == 1


def test_tiny_names_never_match() -> None:
    assert match_member("Al", {1: ["Al", "Al", "al"]}) is None
    assert match_member("D", MEMBERS) is None


def test_three_letter_names_need_the_exact_spelling() -> None:
    members = {1: ["Dan"], 2: ["Ian"]}
    assert match_member("Dan", members) == 1
    assert match_member("Don", members) is None
    assert match_member("Ivan", members) is None


def test_ambiguous_names_match_nobody() -> None:
    twins = {1: ["David Smith", "David"], 2: ["David Brown", "David"]}
    assert match_member("David", twins) is None
    assert match_member("David Brown", twins) == 2


def test_the_closest_member_wins() -> None:
    members = {1: ["Marie"], 2: ["Mario"], 3: ["Maria"]}
    assert match_member("Maria", members) == 3


def test_keys_may_be_any_hashable() -> None:
    assert match_member("Carrol", {"carol@example.com": ["Carol"]}) == "carol@example.com"


def test_normalize_name() -> None:
    assert normalize_name("  José_Álvarez-Ruiz ") == "jose alvarez ruiz"
    assert normalize_name("carol.jones42") == "carol jones"


def test_a_request_split_over_two_lines_still_names_the_one_who_answers():
    """Whisper ends lines where it likes: the request and its name are in the turn's first
    line, the answer follows the second."""
    lines = [
        (1, "Yes, of course, actually, Eva, you know Leon from the recruiting side, maybe it's better"),
        (1, "if you write to him."),
        (3, "Sure, I can do that."),
    ]
    name, reason = suggested_names(lines, {1, 3})[3]
    assert name == "Eva"
    assert reason.startswith("answered “Sure, I can do that.” to “Eva, you know Leon")


def test_the_last_one_addressed_in_a_turn_is_the_one_answering():
    lines = [(1, "Tom, please send the deck. Priya, could you book the room?"), (2, "Sure.")]
    assert suggested_names(lines, {2})[2][0] == "Priya"


def test_an_answer_to_ones_own_request_names_nobody():
    assert suggested_names([(1, "Tom, could you check it?"), (1, "Sure, I will.")], {1}) == {}

"""Keyword search from each workspace's index in memory finds what the database's
substring match finds, in the same order, within the same filters."""

from __future__ import annotations

from typing import Any

import pytest

from ask import selectors
from ask.models import Passage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "question",
    [
        "survey report",  # two words, lines holding both first
        "report",  # inside longer words too ("reports", "reported")
        "Price PLANS enterprise",  # case aside
        "onboard screenshots annual",
        "nothing like this was ever said",
    ],
)
def test_the_index_in_memory_matches_the_database(owner: Any, indexed: Any, question: str) -> None:
    terms = selectors.terms_of(question)
    workspace_ids, passages = selectors.scope(user=owner)

    from_memory = selectors.by_keywords(terms, workspace_ids, passages, meeting_id=None, allowed=None)

    assert from_memory == selectors.by_keywords_in_database(terms, passages)


def test_filters_narrow_the_index_in_memory(owner: Any, indexed: Any) -> None:
    standup, pricing = indexed
    terms = selectors.terms_of("the customers")
    workspace_ids, passages = selectors.scope(user=owner, meeting_id=pricing.id)
    in_pricing = selectors.by_keywords(terms, workspace_ids, passages, meeting_id=pricing.id, allowed=None)
    assert in_pricing and set(Passage.objects.filter(id__in=in_pricing).values_list("meeting_id", flat=True)) == {
        pricing.id
    }

    workspace_ids, passages = selectors.scope(user=owner, speaker="Tom")
    allowed = set(passages.values_list("id", flat=True))
    by_tom = selectors.by_keywords(terms, workspace_ids, passages, meeting_id=None, allowed=allowed)
    assert by_tom == selectors.by_keywords_in_database(terms, passages)

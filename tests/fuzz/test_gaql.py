"""Property and fuzz tests of the sandbox's GAQL parser (``sandbox/gaql.py``).

The sandbox's Google Ads imitation parses whatever query a client posts: any text is a ``Query``
or a ``GaqlError`` carrying a QueryError code, as Google answers, never another exception.
"""

from __future__ import annotations

from hypothesis import example, given, settings, strategies as st

from storeboard.sandbox.gaql import GaqlError, Query, parse_gaql

FUZZ = settings(max_examples=300, deadline=None)
words = st.sampled_from(["SELECT", "FROM", "WHERE", "AND", "ORDER", "BY", "LIMIT", "ASC", "DESC", "IN", "NOT", "LIKE",
                         "BETWEEN", "DURING", "LAST_30_DAYS", "campaign.id", "metrics.clicks", "segments.date",
                         "ad_group", "campaign", ",", "(", ")", "=", "!=", ">=", "<", "'2026-01-01'", "'a\\'b'",
                         "\"x\"", "-1", "0", "10", "1.5", "'", "\n", "''", "ENABLED", "campaign.status"])


@FUZZ
@given(text=st.lists(words, max_size=14).map(" ".join))
@example(text="SELECT campaign.id FROM campaign WHERE segments.date DURING LAST_30_DAYS ORDER BY campaign.id LIMIT 5")
@example(text="SELECT campaign.id FROM campaign LIMIT -1")
@example(text="SELECT campaign.id FROM campaign WHERE campaign.name = 'a\nb'")
def test_grammar_pieces_parse_or_give_a_query_error(text):
    try:
        query = parse_gaql(text)
    except GaqlError as error:
        assert error.code and error.code.isupper() and error.message.startswith("Error in query")
        return
    assert isinstance(query, Query)


@FUZZ
@given(text=st.text(max_size=120))
def test_arbitrary_text_parses_or_gives_a_query_error(text):
    try:
        parse_gaql(text)
    except GaqlError as error:
        assert error.code

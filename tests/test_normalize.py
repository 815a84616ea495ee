from hypothesis import given
from hypothesis import strategies as st

from cleanseed.normalize import fix_text, fold, normalize_paragraphs, split_lines, split_sentences


def test_mojibake_and_entities_fixed():
    assert fix_text("cafÃ© &amp; bar") == "café & bar"


def test_clean_ascii_is_returned_unchanged():
    text = "Plain ASCII text, nothing to fix."
    assert fix_text(text) is text


def test_curly_quotes_kept():
    assert fix_text("“Quoted” it’s") == "“Quoted” it’s"


def test_whitespace_and_invisible_characters():
    assert normalize_paragraphs(["  a\u00a0 b\u200b c  \t"]) == ["a b c"]


def test_hard_wrapped_lines_are_joined_but_separate_lines_are_not():
    assert split_lines("This sentence was\nwrapped by an editor.") == [
        "This sentence was wrapped by an editor."
    ]
    assert split_lines("Share this\nComments are closed.") == ["Share this", "Comments are closed."]


def test_sentences_do_not_split_after_initialisms_or_titles():
    text = "Ministers, including U.S. Defense Secretary Mark Esper, met. Mr. Smith left. It cost 3.5 dollars."
    assert split_sentences(text) == [
        "Ministers, including U.S. Defense Secretary Mark Esper, met.",
        "Mr. Smith left.",
        "It cost 3.5 dollars.",
    ]


def test_sentences_split_after_quotes():
    assert split_sentences('He said "no." She left.') == ['He said "no."', "She left."]


def test_fold_unifies_quotes_and_dashes():
    assert fold("“A” – ‘b’…") == "\"a\" - 'b'..."


@given(st.text())
def test_normalization_is_idempotent(text):
    once = normalize_paragraphs([text])
    assert normalize_paragraphs(once) == once

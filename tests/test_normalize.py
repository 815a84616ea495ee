import re

import ftfy
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanseed.normalize import (
    _INVISIBLE,
    _SPACES,
    FTFY_CONFIG,
    fix_text,
    fold,
    normalize_paragraphs,
    normalize_whitespace,
    split_lines,
    split_sentences,
)


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


PLAINISH = "abcXYZ .,;'\"&<-09" + "éÃ©â€™Â£ ”“’—…€™" + "\u0085\u0096\u0301\ufb01\uff21\u2028"


@given(st.text(alphabet=PLAINISH, max_size=40))
@settings(max_examples=500)
def test_fix_text_fast_paths_agree_with_ftfy(text):
    assert fix_text(text) == ftfy.fix_text(text, config=FTFY_CONFIG)


@given(st.text(alphabet=" \t\n\u00a0\u200bab.", max_size=20))
def test_normalize_whitespace_fast_path_agrees(text):
    slow = "\n".join(
        x for x in (_SPACES.sub(" ", line).strip() for line in _INVISIBLE.sub("", text).split("\n")) if x
    )
    assert normalize_whitespace(text) == slow


@given(st.text(alphabet="aB `’‘“”«»–—…\t\n\u00a0\u2003İıK", max_size=30))
def test_fold_fast_paths_agree(text):
    import unicodedata

    slow = unicodedata.normalize("NFKC", text).casefold()
    slow = re.sub(r"[‘’‚‛′`´]", "'", slow)
    slow = re.sub(r"[“”„‟″«»]", '"', slow)
    slow = re.sub(r"[‐-―−]", "-", slow).replace("…", "...")
    assert fold(text) == re.sub(r"\s+", " ", slow).strip()


@given(st.text(alphabet="ab .?Ã©â€™Â ¢£ÂÃ€œ×²√±Ø–’“”\u00a0\u0301Ѓђ", max_size=30))
@settings(max_examples=500)
def test_mojibake_check_near_non_ascii_agrees_with_ftfy(text):
    from ftfy.badness import is_bad

    from cleanseed.normalize import _is_bad

    assert _is_bad(text) == is_bad(text)


@given(st.text(alphabet=st.sampled_from(list(" \t\n\x0b\x1c`'aBc.-")), max_size=30))
def test_fold_of_ascii_text_collapses_its_whitespace(text):
    assert fold(text) == " ".join(text.lower().replace("`", "'").split())

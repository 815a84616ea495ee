import re

from cleanseed.patterns import Phrases, non_ascii_window, required_literals, search_near_non_ascii


def test_required_literals():
    assert required_literals(r"\bwe use cookies\b") == [["we use cookies"]]
    assert required_literals(r"\bthis (site|website) (uses|is protected|stores)\b") == [
        ["this "],
        ["site", "website"],
        ["uses", "is protected", "stores"],
    ]
    assert required_literals(r"\w+ (ab)?") is None  # nothing of 3+ characters is required


def test_phrases_find_what_the_alternation_finds():
    phrases = Phrases([r"^share\b", r"\bcredit: [^.]{1,20}$", r"\bwe use cookies\b"])
    assert phrases.search("share this")
    assert not phrases.search("do share this")
    assert phrases.search("photo. credit: jane doe")
    assert not phrases.search("credit: jane doe, then more words than twenty characters")
    assert phrases.search("WE USE COOKIES here")
    assert phrases.search("we uſe cookies")  # re.IGNORECASE matches "ſ" for "s"


def test_non_ascii_window():
    assert non_ascii_window(re.compile("é[a-z]")) == 2
    assert non_ascii_window(re.compile("^é|xé")) == 2
    assert non_ascii_window(re.compile("é$")) is None  # "$" would match at the window's end
    assert non_ascii_window(re.compile(r"\bé")) is None
    assert non_ascii_window(re.compile("é|ab")) is None  # "ab" matches ASCII alone
    assert non_ascii_window(re.compile("é", re.IGNORECASE)) is None
    pattern = re.compile("[a-z]é[a-z]")
    for text in ("xéy", "x é y", "aaaa xéy", "é", "", "ab" * 20 + "xé"):
        assert search_near_non_ascii(pattern, 3, text) == (pattern.search(text) is not None)

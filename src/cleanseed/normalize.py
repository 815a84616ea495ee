"""Text normalization: ftfy (mojibake, entities, controls), whitespace, paragraphs, sentences."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

import ftfy
from ftfy.badness import BADNESS_RE, is_bad

from cleanseed.patterns import non_ascii_window, search_near_non_ascii
from cleanseed.record import Record

# Every choice here is deliberate; the defaults of ftfy are listed where we keep them.
FTFY_CONFIG = ftfy.TextFixerConfig(
    # Leave "&amp;" alone when the text holds real markup ("<"), decode it otherwise: scraped
    # text often carries entities that an extractor forgot to decode.
    unescape_html="auto",
    # Terminal colour codes never belong in a document.
    remove_terminal_escapes=True,
    # Mojibake ("Ã©" for "é") is the main reason ftfy is here.
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    # "ﬁ" -> "fi": ligatures break search and shingling and carry no meaning.
    fix_latin_ligatures=True,
    # Full-width Latin letters -> ASCII, as NFKC would, but only for these letters.
    fix_character_width=True,
    # Curly quotes are kept: they are the author's typography, and every comparison we make
    # (dedup, furniture rules) folds quote styles itself. Uncurling would also break
    # apostrophes in languages where ’ is a letter.
    uncurl_quotes=False,
    fix_line_breaks=True,
    fix_surrogates=True,
    remove_control_chars=True,
    # NFC, not NFKC: NFKC rewrites "²", "½" and "™", changing what the text says.
    normalization="NFC",
    max_decode_length=1_000_000,
    explain=False,
)

# Text that cannot change under ftfy: ASCII with no entity, control or escape characters.
_NEEDS_FTFY = re.compile(r"[^\t\n\x20-\x7e]|&")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # what _NEEDS_FTFY finds in ASCII, but "&"
# One line of ASCII, Latin-1 letters and signs, typographic punctuation ("’", "“", "—", "…"),
# "€" and "™", without "&". ftfy's fixers other than mojibake repair change none of these (they
# act on entities, C1 and other controls, escapes, ligatures, wide forms, line separators and
# surrogates; NFC leaves them as they are), and its mojibake repair returns the text unchanged
# when its detector `is_bad` finds nothing, so such text needs only that check.
_PLAIN_LINE = re.compile(r"[\t\x20-\x25\x27-\x7e\u00a1-\u00ac\u00ae-\u00ff\u2010-\u2027\u20ac\u2122]*")
# ftfy's mojibake detector only ever matches a few characters around a non-ASCII one: on text
# with a few curly quotes, search only there (checked on its parse; None: search everywhere)
_BADNESS_WINDOW = non_ascii_window(BADNESS_RE)


def _is_bad(text: str) -> bool:
    if _BADNESS_WINDOW is None:
        return is_bad(text)
    return search_near_non_ascii(BADNESS_RE, _BADNESS_WINDOW, text)


_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ODD_SPACE = re.compile(
    r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]"
)  # _SPACES has work only with these or "  "
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_TERMINAL = re.compile(r"[.!?:;…\"'”’)\]»]$")


def fix_text(text: str) -> str:
    """ftfy's repairs, skipped when they cannot change anything (about 4x faster on clean text, 2x
    on text with curly quotes)."""
    # _NEEDS_FTFY.search(text) is None, in three scans that are each faster than its one
    if text.isascii() and "&" not in text and _ASCII_CONTROL.search(text) is None:
        return text
    if _PLAIN_LINE.fullmatch(text) and not _is_bad(text):
        return text
    return ftfy.fix_text(text, config=FTFY_CONFIG)


def normalize_whitespace(text: str) -> str:
    """One space between words, no invisible characters; line breaks kept."""
    if text.isascii() and "\n" not in text and "  " not in text and "\t" not in text and text == text.strip():
        return text  # the common case: nothing to do
    text = _INVISIBLE.sub("", text)
    lines = (
        (_SPACES.sub(" ", line) if "  " in line or _ODD_SPACE.search(line) else line).strip()
        for line in text.split("\n")
    )
    return "\n".join(line for line in lines if line)


def split_lines(block: str) -> list[str]:
    """A block's lines as paragraphs, joining lines that a hard wrap broke mid-sentence."""
    lines = block.split("\n")
    if len(lines) == 1:
        return lines
    out = [lines[0]]
    for line in lines[1:]:
        prev = out[-1]
        if not _TERMINAL.search(prev) and line[:1].islower():
            out[-1] = prev + " " + line
        else:
            out.append(line)
    return out


def normalize_paragraphs(paragraphs: Iterable[str]) -> list[str]:
    """Fixed, whitespace-normalized paragraphs; lines inside a block become paragraphs of their own."""
    out: list[str] = []
    for block in paragraphs:
        # Paragraph by paragraph, whitespace collapsed first: ftfy must see each paragraph as a
        # later run will (its "&amp;" decoding depends on a "<" in the same text, and collapsing
        # "\t " to " " after it could create a byte-A0 mojibake sequence), so normalizing twice
        # changes nothing.
        for para in split_lines(normalize_whitespace(block.replace("\r\n", "\n").replace("\r", "\n"))):
            fixed = _fixed_point(para)
            if not fixed:
                continue
            if fixed is para:  # the common case: one line, already normal
                out.append(para)
            else:
                out.extend(split_lines(fixed))
    return out


FIX_ROUNDS = 4  # ftfy + whitespace, again while they change the text (rarely more than twice)


def _fixed_point(para: str) -> str:
    """ftfy and whitespace, repeated until the text stops changing: each can hand the other new
    work (ftfy turns "Â" + a C1 control into a leading no-break space, whitespace strips it, and
    what is left is mojibake ftfy repairs again), and a second run must change nothing."""
    # `para` is whitespace-normal on entry (a line of `normalize_whitespace`'s output) and after
    # each round, so where ftfy changes nothing the whitespace pass would change nothing either
    for _ in range(FIX_ROUNDS):
        fixed = fix_text(para)
        if fixed == para:
            break
        fixed = normalize_whitespace(fixed)
        if fixed == para:
            break
        para = fixed
    return para


def normalize(records: Iterable[Record]) -> Iterator[Record]:
    """Stage: ftfy and whitespace over every paragraph, title and author."""
    for rec in records:
        if rec.error is None:
            rec.paragraphs = normalize_paragraphs(rec.paragraphs)
            if rec.title:
                rec.title = normalize_whitespace(fix_text(rec.title)).replace("\n", " ") or None
            if rec.author:
                rec.author = normalize_whitespace(fix_text(rec.author)).replace("\n", " ") or None
        yield rec


# ---- sentences ----

# Words that end with a period without ending a sentence.
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt gen lt col sgt capt cmdr adm gov sen rep rev hon pres
    jan feb mar apr jun jul aug sep sept oct nov dec no nos vol fig inc ltd co corp bros
    vs etc approx est dept univ assn ave blvd rd al e.g i.e cf p pp ca""".split()
)
# The end mark is matched, not looked behind for: a pattern that starts with a character set is
# scanned for fast, and a match can never start inside the previous one (that ends in a space).
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+(?=[\"'“‘«(\[¿¡]?[A-Z0-9À-ÖØ-Þ£$€])")
_INITIALISM = re.compile(r"^(?:[^\W\d_]\.)+$")  # "u.s." "j." "a.f.p."
# a word that ends with more letters or digits than this is neither an abbreviation nor an initialism
_LONGEST_ABBREVIATION = max(map(len, ABBREVIATIONS))


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph; never splits after an abbreviation or an initial ("U.S.", "J.")."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        mark = match.start() + 1  # just after the end mark
        long_word = mark - 2 - _LONGEST_ABBREVIATION
        # the common case needs no word: it ends with letters or digits, too many for an
        # abbreviation or an initialism ("... the company.")
        if long_word < start or not paragraph[long_word : mark - 1].isalnum():
            # only the last word matters: a bounded look-back keeps this linear ("U.S. " * 50_000)
            candidate = paragraph[max(start, mark - 64) : mark]
            # the last word: candidate ends with the end mark, so this is what r"(\S+)$" finds
            last = candidate.rsplit(None, 1)
            word = last[-1].rstrip(".").lower().lstrip("\"'“‘(") if last else ""
            # an initialism is one letter, or letters with dots between
            if word in ABBREVIATIONS or ((len(word) == 1 or "." in word) and _INITIALISM.match(word + ".")):
                # "U.S." / "J." / "Mr." -- only a boundary when the next word could not continue
                if not _likely_boundary_after_initial(word, paragraph, match.end()):
                    continue
        end = match.end()
        pieces.append(paragraph[start:end].strip())
        start = end
    tail = paragraph[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


def _likely_boundary_after_initial(word: str, text: str, pos: int) -> bool:
    # After an initialism like "U.S." a new sentence usually starts with a function word.
    nxt = text[pos : pos + 12].split(" ", 1)[0].strip("\"'“‘")
    return nxt in {"The", "A", "An", "It", "He", "She", "They", "We", "I", "But", "In", "This"}


# quotes and dashes -> their ASCII form; "…" -> "..."
_FOLDED_MARKS = tuple(
    (c, ascii_form)
    for chars, ascii_form in (
        ("‘’‚‛′`´", "'"),
        ("“”„‟″«»", '"'),
        ("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    )
    for c in chars
) + (("…", "..."),)


def fold(text: str) -> str:
    """A comparison key: NFKC, casefolded, quotes and dashes unified, whitespace collapsed."""
    # " ".join(split()) is re.sub(r"\s+", " ", text).strip() (the same whitespace), 5x faster
    if text.isascii():  # NFKC changes nothing, casefold is lower, "`" the only quote to unify
        if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
            return text.lower().replace("`", "'")  # single spaces already: a normalized paragraph
        return " ".join(text.lower().replace("`", "'").split())
    text = unicodedata.normalize("NFKC", text).casefold()
    for mark, ascii_form in _FOLDED_MARKS:  # a test per mark is ~10x faster than a regex's scan
        if mark in text:
            text = text.replace(mark, ascii_form)
    return " ".join(text.split())

"""HTML -> main text and metadata (trafilatura), and WARC records in.

A package since extract.py outgrew STYLE's ~400 lines; its parts:
    core      the extraction proper: trafilatura under a time limit, a second try when the text
              is short, `extract_record`, `warm_up` (and the design notes)
    tree      the parsed page before trafilatura: furniture pruned, body chunks joined, the lead
    metadata  title, author, date (htmldate) and url filled in where the record lacks them
    author    our `extract_author`: trafilatura's result in one pass over the tree
    warc      `read_warc`: WARC response records in

The functions and classes are re-exported here, so `from cleanseed.extract import X` reads as
before. The settings (TIME_LIMIT, SHORT_TEXT, LINK_SHARE ...) are not: each is read as a global
of its submodule, so read or patch it there, as for a function a submodule calls
(`monkeypatch.setattr(cleanseed.extract.core, "trafilatura_text", ...)`); patching a name here
changes nothing the code calls.
"""

from cleanseed.extract.author import _class_marks, extract_author
from cleanseed.extract.core import (
    ExtractionTimeout,
    extract_record,
    split_lines,
    time_limit,
    trafilatura_text,
    warm_up,
)
from cleanseed.extract.metadata import choose_title, fill_metadata, page_metadata
from cleanseed.extract.tree import Leads, add_lead, join_body_chunks, prune_furniture
from cleanseed.extract.warc import read_warc

__all__ = [
    "ExtractionTimeout",
    "Leads",
    "_class_marks",  # benchmarks/author.py empties its cache between rounds
    "add_lead",
    "choose_title",
    "extract_author",
    "extract_record",
    "fill_metadata",
    "join_body_chunks",
    "page_metadata",
    "prune_furniture",
    "read_warc",
    "split_lines",
    "time_limit",
    "trafilatura_text",
    "warm_up",
]

"""Site furniture: named rules, each a predicate over one paragraph (with its neighbours where a
rule needs them), phrase tables in phrases.json; the headline and dateline go to metadata; and
short blocks that recur across the pages of one site.

`rules` holds the predicates, `stage` the per-document stage, `recurring` the streaming stage.
"""

from cleanseed.furniture.recurring import Recurring, block_key, site_of
from cleanseed.furniture.rules import (
    RULES,
    _pattern,
    classify,
    is_byline,
    is_caption,
    is_comments,
    is_dateline,
    is_newsletter,
    is_notice,
    is_related_heading,
    is_share,
    nwords,
    parse_date,
    phrases,
)
from cleanseed.furniture.stage import furniture, head_title_slot, strip_furniture

__all__ = [
    "RULES",
    "Recurring",
    "_pattern",
    "block_key",
    "classify",
    "furniture",
    "head_title_slot",
    "is_byline",
    "is_caption",
    "is_comments",
    "is_dateline",
    "is_newsletter",
    "is_notice",
    "is_related_heading",
    "is_share",
    "nwords",
    "parse_date",
    "phrases",
    "site_of",
    "strip_furniture",
]

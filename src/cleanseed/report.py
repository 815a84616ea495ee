"""The audit report: cleanseed's output records -> one self-contained HTML page.

Counts, a bar chart of what was removed by reason and rule, the largest duplicate clusters, and
per document its text with the removed passages shown in place, struck through and labelled.
The page loads nothing from anywhere (inline CSS and SVG, no scripts) and every piece of input
text is escaped: the documents are scraped from the web and may hold anything.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Furniture that stands at the head of a document, before its first body paragraph.
HEAD_RULES = frozenset({"dateline", "byline", "header", "repeated", "title"})
TOP_CLUSTERS = 10


def esc(value: Any) -> str:
    """Text for HTML, attribute-safe."""
    return html.escape("" if value is None else str(value), quote=True)


def rule_key(entry: dict[str, Any]) -> str:
    """'duplicate', or 'boilerplate/RULE'."""
    reason = str(entry.get("reason", "?"))
    return reason if reason == "duplicate" else f"{reason}/{entry.get('rule')}"


@dataclass
class Cluster:
    """Documents with passages repeating one earlier document."""

    target: str
    docs: list[str] = field(default_factory=list)
    passages: int = 0


@dataclass
class Tally:
    """Counts over every record of the report, shown or not."""

    docs: int = 0
    failed: int = 0
    whole_duplicates: int = 0
    kept_paragraphs: int = 0
    kept_words: int = 0
    removed: Counter[str] = field(default_factory=Counter)
    removed_words: Counter[str] = field(default_factory=Counter)
    clusters: dict[str, Cluster] = field(default_factory=dict)

    def add(self, rec: dict[str, Any]) -> None:
        self.docs += 1
        if rec.get("error") is not None:
            self.failed += 1
            return
        if rec.get("duplicate_of") is not None:
            self.whole_duplicates += 1
        text = rec.get("text") or ""
        self.kept_paragraphs += len(paragraphs(text))
        self.kept_words += len(text.split())
        for entry in passages(rec):
            key = rule_key(entry)
            self.removed[key] += 1
            self.removed_words[key] += len(str(entry.get("text", "")).split())
            of = entry.get("of")
            if isinstance(of, dict) and of.get("id") is not None:
                cluster = self.clusters.setdefault(str(of["id"]), Cluster(str(of["id"])))
                cluster.passages += 1
                rid = str(rec.get("id"))
                if rid not in cluster.docs:
                    cluster.docs.append(rid)


def shape_problem(rec: dict[str, Any]) -> str | None:
    """Why an object cannot be shown as an output record (a field of the wrong type), or None."""
    if not isinstance(rec.get("text") or "", str):
        return "'text' is not a string"
    for key in ("removed", "duplicates"):
        if not isinstance(rec.get(key) or [], list):
            return f"{key!r} is not a list"
    return None


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p] if text else []


def passages(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """What a record lists as removed, and as marked duplicates (kept in text) for --mark runs."""
    out = [e for e in rec.get("removed") or [] if isinstance(e, dict)]
    return out + [e for e in rec.get("duplicates") or [] if isinstance(e, dict)]


def interleave(kept: list[str], removed: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """Kept paragraphs (index, text) and removed entries (-1, entry) in a plausible reading order.

    The output does not record where a removed passage stood, only the order of each kind:
    head furniture (dateline, byline, ...) at the start of `removed` goes before the first kept
    paragraph, boilerplate and duplicates are then spread between the kept paragraphs in order.
    """
    out: list[tuple[int, Any]] = []
    rest = list(removed)
    while rest and rest[0].get("reason") == "boilerplate" and rest[0].get("rule") in HEAD_RULES:
        out.append((-1, rest.pop(0)))
    boiler = [e for e in rest if e.get("reason") != "duplicate"]
    dups = [e for e in rest if e.get("reason") == "duplicate"]
    # duplicates go after the paragraph they sit nearest to: spread evenly, boilerplate likewise
    slots: list[list[dict[str, Any]]] = [[] for _ in range(len(kept) + 1)]
    for group in (dups, boiler):
        for n, entry in enumerate(group):
            slots[min(len(kept), 1 + n * len(kept) // max(1, len(group)))].append(entry)
    out.extend((-1, e) for e in slots[0])
    for k, para in enumerate(kept):
        out.append((k, para))
        out.extend((-1, e) for e in slots[k + 1])
    return out


CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60em;padding:1em 2em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse} td,th{padding:.2em .8em;text-align:left;border-bottom:1px solid #eee;overflow-wrap:anywhere}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.doc{border:1px solid #ddd;border-radius:6px;padding:.3em 1em;margin:1em 0}
.doc h3{margin:.4em 0 .1em;font-size:1.1em}
.meta{color:#666;font-size:.85em;word-break:break-all}
p{margin:.5em 0} p.kept:target{background:#fff3b0}
.pn{color:#999;font-size:.75em;margin-right:.4em}
.removed{color:#777;background:#fafafa;border-left:3px solid #bbb;padding-left:.5em}
.removed.duplicate{border-left-color:#c0392b;background:#fdf2f1}
.removed.boilerplate{border-left-color:#e67e22}
.tag{display:inline-block;font-size:.75em;font-weight:600;color:#fff;background:#e67e22;
  border-radius:3px;padding:0 .4em;margin-right:.4em}
.duplicate .tag{background:#c0392b} .tag a{color:#fff}
s{text-decoration-color:#999}
.note{color:#666;font-size:.85em} .whole{color:#c0392b;font-weight:600}
"""


def chart(removed: Counter[str], words: Counter[str]) -> str:
    """Horizontal bars, one per reason/rule, as inline SVG."""
    if not removed:
        return '<p class="note">Nothing was removed.</p>'
    rows = sorted(removed.items(), key=lambda kv: (-kv[1], kv[0]))
    top = rows[0][1]
    bar_h, label_w, width = 22, 190, 420
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="passages removed by reason and rule"'
        f' width="{label_w + width + 120}" height="{bar_h * len(rows) + 6}" class="chart">'
    ]
    for i, (key, n) in enumerate(rows):
        y = i * bar_h + 3
        w = max(2, round(width * n / top))
        colour = "#c0392b" if key == "duplicate" else "#e67e22"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="13">{esc(key)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h - 5}" fill="{colour}">'
            f"<title>{esc(key)}: {n} passages, {words[key]} words</title></rect>"
            f'<text x="{label_w + w + 6}" y="{y + 15}" font-size="13">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _doc_link(rid: str, where: dict[str, int], para: int | None = None) -> str:
    if rid not in where:
        return f"{esc(rid)} <span class=note>(not shown)</span>"
    anchor = f"doc-{where[rid]}" + (f"-p{para}" if para is not None else "")
    label = esc(rid) + (f" ¶{para}" if para is not None else "")
    return f'<a href="#{anchor}">{label}</a>'


def removed_html(entry: dict[str, Any], where: dict[str, int], marked: bool) -> str:
    text = esc(entry.get("text"))
    body = text if marked else f"<s>{text}</s>"
    if entry.get("reason") == "duplicate":
        of = entry.get("of") if isinstance(entry.get("of"), dict) else {}
        para = of.get("paragraph")  # type: ignore[union-attr]
        target = _doc_link(str(of.get("id")), where, para if isinstance(para, int) else None)  # type: ignore[union-attr]
        sim = entry.get("similarity")
        sim_s = f" {sim:.2f}" if isinstance(sim, (int, float)) else ""
        kind = "marked duplicate" if marked else "duplicate"
        return f'<p class="removed duplicate"><span class=tag>{kind}{sim_s} of {target}</span>{body}</p>'
    return (
        f'<p class="removed boilerplate"><span class=tag>{esc(entry.get("reason"))}: '
        f"{esc(entry.get('rule'))}</span>{body}</p>"
    )


def document_html(i: int, rec: dict[str, Any], where: dict[str, int]) -> str:
    rid = str(rec.get("id"))
    head = esc(rec.get("title") or rid)
    meta = " · ".join(
        esc(v) for v in (rid, rec.get("source"), rec.get("date"), rec.get("author"), rec.get("url")) if v
    )
    out = [f'<section class="doc" id="doc-{i}"><h3>{head}</h3><div class="meta">{meta}</div>']
    if rec.get("error") is not None:
        out.append(f'<p class="whole">failed: {esc(rec.get("error"))}</p></section>')
        return "".join(out)
    if rec.get("duplicate_of") is not None:
        out.append(
            f'<p class="whole">The whole body repeats {_doc_link(str(rec["duplicate_of"]), where)}</p>'
        )
    kept = paragraphs(rec.get("text") or "")
    removed = [e for e in rec.get("removed") or [] if isinstance(e, dict)]
    for k, item in interleave(kept, removed):
        if k >= 0:
            out.append(f'<p class="kept" id="doc-{i}-p{k}"><span class="pn">¶{k}</span>{esc(item)}</p>')
        else:
            out.append(removed_html(item, where, marked=False))
    out.extend(
        removed_html(e, where, marked=True) for e in rec.get("duplicates") or [] if isinstance(e, dict)
    )
    out.append("</section>")
    return "".join(out)


def render_report(
    records: Iterable[dict[str, Any]], limit: int = 200, title: str = "cleanseed report"
) -> str:
    """The HTML page for these output records; the first `limit` documents are shown in full."""
    tally = Tally()
    shown: list[dict[str, Any]] = []
    where: dict[str, int] = {}
    for rec in records:
        tally.add(rec)
        if len(shown) < limit:
            where.setdefault(str(rec.get("id")), len(shown))
            shown.append(rec)
    n_removed = sum(tally.removed.values())
    counts = [
        ("documents", tally.docs),
        ("documents failed", tally.failed),
        ("whole-document duplicates", tally.whole_duplicates),
        ("paragraphs kept", tally.kept_paragraphs),
        ("words kept", tally.kept_words),
        ("passages removed", n_removed),
        ("words removed", sum(tally.removed_words.values())),
    ]
    out = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        # nothing may load or run, whatever the documents hold
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        '<table class="counts">',
        *(f'<tr><th>{label}</th><td class="n">{n:,}</td></tr>' for label, n in counts),
        "</table>",
        "<h2>Removed by reason and rule</h2>",
        chart(tally.removed, tally.removed_words),
        "<table><tr><th>reason/rule</th><th class=n>passages</th><th class=n>words</th></tr>",
        *(
            f"<tr><td>{esc(k)}</td><td class=n>{n:,}</td><td class=n>{tally.removed_words[k]:,}</td></tr>"
            for k, n in sorted(tally.removed.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        "</table>",
        "<h2>Largest duplicate clusters</h2>",
    ]
    clusters = sorted(tally.clusters.values(), key=lambda c: (-len(c.docs), -c.passages, c.target))
    if clusters:
        out.append(
            "<table class=clusters><tr><th>earlier document</th><th class=n>documents repeating it</th>"
            "<th class=n>passages</th><th>repeated in</th></tr>"
        )
        for c in clusters[:TOP_CLUSTERS]:
            more = f" and {len(c.docs) - 5} more" if len(c.docs) > 5 else ""
            out.append(
                f"<tr><td>{_doc_link(c.target, where)}</td><td class=n>{len(c.docs)}</td>"
                f"<td class=n>{c.passages}</td>"
                f"<td>{', '.join(_doc_link(d, where) for d in c.docs[:5])}{more}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append('<p class="note">No duplicates.</p>')
    out.append(f"<h2>Documents ({len(shown):,} of {tally.docs:,} shown)</h2>")
    out.append(
        '<p class="note">Removed passages are struck through and labelled with their rule. The output'
        " keeps their order but not their exact place, so they are shown between the kept paragraphs"
        " near where they stood.</p>"
    )
    out.extend(document_html(i, rec, where) for i, rec in enumerate(shown))
    out.append("</body></html>\n")
    return "\n".join(out)

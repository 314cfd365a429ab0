"""Evidence highlighting as data: a field's text cut into segments, each with the marks covering it.

Templates print every segment through autoescaping ({{ seg.text }}) inside <mark> elements they
build themselves: the post's own characters are never markup, whatever they contain.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2, "label": 3, "cue": 4}


@dataclass
class Mark:
    start: int
    end: int
    kind: str                 # error | warning | info (a finding's evidence), label (a disclosure found), cue
    ref: str                  # finding id ("f12") or disclosure id ("d0")
    title: str = ""


@dataclass
class Segment:
    text: str
    marks: list[Mark] = field(default_factory=list)

    @property
    def kind(self) -> str | None:
        """The worst mark decides the colour."""
        if not self.marks:
            return None
        return min((m.kind for m in self.marks), key=lambda k: SEVERITY_ORDER.get(k, 9))

    @property
    def refs(self) -> str:
        return " ".join(dict.fromkeys(m.ref for m in self.marks))

    @property
    def title(self) -> str:
        return "\n".join(dict.fromkeys(m.title for m in self.marks if m.title))


def valid(text: str, start, end, expected: str | None = None) -> bool:
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
        return False
    return expected is None or text[start:end] == expected


def segments(text: str, marks: list[Mark]) -> list[Segment]:
    """Cut `text` at every mark boundary. Overlapping marks are all kept on the shared segment."""
    marks = [m for m in marks if valid(text, m.start, m.end)]
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    out: list[Segment] = []
    for a, b in zip(cuts, cuts[1:]):
        covering = [m for m in marks if m.start <= a and b <= m.end]
        if out and not covering and not out[-1].marks:
            out[-1].text += text[a:b]
        else:
            out.append(Segment(text[a:b], covering))
    return out or [Segment("")]


_TOKEN = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """[(op, text)] with op in equal | delete | insert, on words (whitespace kept)."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("equal", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("delete", "".join(a[i1:i2])))
            if j2 > j1:
                out.append(("insert", "".join(b[j1:j2])))
    return out

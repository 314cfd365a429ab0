"""Reading posts from files: JSON Lines, a JSON array, or one JSON object. Keeps line numbers."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, Iterator

from auditor.posts import MAX_TEXT_BYTES


@dataclass
class Record:
    file: str
    line: int
    data: Any = None
    error: tuple[str, str] | None = None   # (code, message) when the line is not valid JSON


def read_records(path: str) -> Iterator[Record]:
    name = "<stdin>" if path == "-" else path
    if path == "-":
        text = sys.stdin.read()
    else:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    yield from parse_records(text, name)


def parse_records(text: str, name: str) -> Iterator[Record]:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Record(name, exc.lineno, error=("invalid_json", f"invalid JSON: {exc.msg} (column {exc.colno})"))
            return
        for i, item in enumerate(items):
            yield Record(name, i + 1, item)   # line = position in the array
        return
    lines = text.splitlines()
    if stripped.startswith("{") and len(lines) > 1:
        first = next(i for i, l in enumerate(lines) if l.strip())
        try:
            json.loads(lines[first])
        except json.JSONDecodeError:
            try:   # a single pretty-printed object
                yield Record(name, first + 1, json.loads(text))
                return
            except json.JSONDecodeError:
                pass
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        if len(raw.encode("utf-8")) > 4 * MAX_TEXT_BYTES:
            yield Record(name, number, error=("too_large", f"line is {len(raw.encode('utf-8')):,} bytes; "
                                                           f"a post's text may be at most {MAX_TEXT_BYTES:,}"))
            continue
        try:
            yield Record(name, number, json.loads(raw))
        except json.JSONDecodeError as exc:
            yield Record(name, number, error=("invalid_json", f"invalid JSON: {exc.msg} (column {exc.colno})"))

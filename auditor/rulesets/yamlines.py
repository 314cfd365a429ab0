"""YAML parsing that remembers the line of every key, so errors can say `file:line`."""
from __future__ import annotations

import re
from typing import Any

import yaml

Path = tuple[Any, ...]


class RulesLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. Country code NO must stay the string "NO"."""


RulesLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
RulesLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))


class YamlError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def load_with_lines(text: str) -> tuple[Any, dict[Path, int]]:
    """Parse YAML; return the data and a map from key path to its 1-based line."""
    try:
        node = yaml.compose(text, Loader=RulesLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlError(line, f"invalid YAML: {exc.problem or exc}") from None
    if node is None:
        return None, {(): 1}
    lines: dict[Path, int] = {}
    _walk(node, (), lines)
    loader = RulesLoader("")
    try:
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return data, lines


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines)


def line_of(lines: dict[Path, int], loc: tuple[Any, ...]) -> int:
    """Line of the deepest part of `loc` that exists in the file (union tags are skipped)."""
    path: Path = ()
    for part in loc:
        if path + (part,) in lines:
            path = path + (part,)
    return lines.get(path, 1)

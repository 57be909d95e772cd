"""Where a value is in the file it came from: a pydantic error location (`(3, "schedule")`,
`("subscribers", 0, "events", 1)`) mapped to its line, so every mistake is reported as `file:line`.

YAML: PyYAML's composed node tree carries the mark of every key and value. TOML: tomllib keeps no
positions, so tables and keys are found in the text (`[alerts]`, the n-th `[[subscribers]]`, `key =`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from monitor.config.errors import ConfigError, yaml_error

Loc = Sequence[int | str]


def read_yaml(text: str, filename: str) -> tuple[Any, yaml.Node | None]:
    """The data and its node tree, from one parse; invalid YAML is a ConfigError with line and column."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_error(exc, text, filename)) from exc
    finally:
        loader.dispose()
    return data, node


def yaml_line(node: yaml.Node | None, loc: Loc, at_key: bool = False) -> int:
    """The line of `loc` under `node` (1-based): the deepest part of it the file has. With `at_key`
    the line of the last key itself (an unknown key is on its own line, not its value's)."""
    if node is None:
        return 0
    line = node.start_mark.line + 1
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        elif isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
            if pair is None:
                break
            node = pair[0] if last and at_key else pair[1]
            if last and not at_key:
                line = pair[0].start_mark.line + 1  # `key: value` and `key:\n  - value` alike
                break
        else:
            break
        line = node.start_mark.line + 1
    return line


class TomlLines:
    """Finds the line of a table or key in the TOML text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def table(self, header: str, nth: int = 0) -> int:
        pattern = re.compile(rf"^\s*\[+\s*{re.escape(header)}\s*\]+")
        hits = [i for i, line in enumerate(self.lines) if pattern.match(line)]
        return hits[nth] + 1 if nth < len(hits) else 0

    def key(self, key: str, after: int) -> int:
        """The line of `key = …` in the table that starts at line `after` (0: the top of the file)."""
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(max(after, 1), len(self.lines) + 1):
            line = self.lines[i - 1]
            if i > after and line.lstrip().startswith("["):
                break
            if pattern.match(line):
                return i
        return after

    def line(self, loc: Loc) -> int:
        """`("alerts", "max_tries")`, `("subscribers", 2, "events", 0)`, `("nosuch",)` → its line."""
        if not loc:
            return 0
        head = str(loc[0])
        rest = list(loc[1:])
        at = 0
        if rest and isinstance(rest[0], int):
            at = self.table(head, rest[0])
            rest = rest[1:]
        elif rest:
            at = self.table(head)
        if not rest:
            return at or self.table(head) or self.key(head, 0)
        return self.key(str(rest[0]), at) if at else self.key(head, 0)

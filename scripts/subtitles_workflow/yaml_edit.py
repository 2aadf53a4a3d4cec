"""Set values in a block-style YAML file by editing its text, so that its comments and layout
stay (ruamel.yaml is not a dependency). Used to promote a variant into config/config.yaml.

A key that exists keeps its line and its trailing comment, with the new value in flow style;
a key that is missing is added at the end of its mapping; a value in flow style (`models: {}`)
is read, changed and written back in flow style. The edited text is read back and compared with
the intended config: anything this editor cannot place raises ValueError instead of writing a
config that says something else.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml


def flow(value: Any) -> str:
    """A value as YAML on one line: tiny.en, 30, [srt, vtt], {asr: envs/asr-next.yaml}."""
    return yaml.safe_dump([value], default_flow_style=True, width=10**6, allow_unicode=True).strip()[1:-1]


def leaves(override: dict, path: tuple = ()) -> list[tuple[tuple, Any]]:
    found = []
    for key, value in override.items():
        if isinstance(value, dict) and value:
            found += leaves(value, path + (key,))
        else:
            found.append((path + (key,), value))
    return found


def merged(base: Any, override: dict) -> dict:
    result = copy.deepcopy(base) if isinstance(base, dict) else {}
    for key, value in override.items():
        result[key] = merged(result.get(key), value) if isinstance(value, dict) and value else copy.deepcopy(value)
    return result


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


KEY_LINE = r"^( *){key}:(?P<rest>.*)$"


def split_comment(rest: str) -> tuple[str, str]:
    """' base  # the model' -> ('base', '  # the model') for plain values (quoted text with a
    # inside is read by yaml, not here)."""
    match = re.search(r"\s+#", rest)
    if match and not rest.strip().startswith(("'", '"')):
        return rest[: match.start()].strip(), rest[match.start() :]
    return rest.strip(), ""


def block_end(lines: list[str], start: int, indent: int) -> int:
    """The line after the block of the key on line `start` (its deeper-indented lines)."""
    end = start + 1
    last = start + 1
    while end < len(lines):
        if is_content(lines[end]):
            if indent_of(lines[end]) <= indent:
                break
            last = end + 1
        end += 1
    return last


def set_path(lines: list[str], path: tuple, value: Any, start: int = 0, end: int | None = None, indent: int = 0) -> None:
    end = len(lines) if end is None else end
    key = path[0]
    pattern = re.compile(KEY_LINE.format(key=re.escape(str(key))))
    for at in range(start, end):
        match = pattern.match(lines[at])
        if match and len(match[1]) == indent:
            break
    else:
        nested = value
        for part in reversed(path[1:]):
            nested = {part: nested}
        insert_at = end
        while insert_at > start and not is_content(lines[insert_at - 1]):
            insert_at -= 1
        lines.insert(insert_at, f"{' ' * indent}{key}: {flow(nested)}")
        return
    inline, comment = split_comment(match["rest"])
    stop = block_end(lines, at, indent)
    if len(path) > 1 and not inline:
        children = [i for i in range(at + 1, stop) if is_content(lines[i])]
        child_indent = indent_of(lines[children[0]]) if children else indent + 2
        set_path(lines, path[1:], value, at + 1, stop, child_indent)
        return
    if len(path) > 1:
        current = yaml.safe_load(inline)
        nested = value
        for part in reversed(path[1:]):
            nested = {part: nested}
        value = merged(current, nested)
    lines[at : stop if not inline else at + 1] = [f"{' ' * indent}{key}: {flow(value)}{comment}"]


def set_values(text: str, override: dict) -> str:
    """`text` (a YAML mapping) with every value of `override` set, comments kept."""
    lines = text.splitlines()
    for path, value in leaves(override):
        set_path(lines, path, value)
    result = "\n".join(lines) + "\n"
    if yaml.safe_load(result) != merged(yaml.safe_load(text) or {}, override):
        raise ValueError("could not place every value by a text edit; edit config/config.yaml by hand")
    return result

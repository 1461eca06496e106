"""Pure helpers on objects as the API server handles them: patches, selectors, JSONPath, names."""

from __future__ import annotations

import copy
import re
from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class PatchTestFailed(Exception):
    pass


def json_patch(doc: Any, ops: list[dict[str, Any]]) -> Any:
    """RFC 6902 JSON patch: add, remove, replace, move, copy, test."""
    doc = copy.deepcopy(doc)

    def split(path: str) -> list[str]:
        if path == "":
            return []
        return [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]

    def parent(path: str) -> tuple[Any, str]:
        parts = split(path)
        node = doc
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node, parts[-1]

    def get(path: str) -> Any:
        node = doc
        for part in split(path):
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def add(path: str, value: Any) -> None:
        node, last = parent(path)
        if isinstance(node, list):
            node.insert(len(node) if last == "-" else int(last), value)
        else:
            node[last] = value

    def remove(path: str) -> Any:
        node, last = parent(path)
        return node.pop(int(last)) if isinstance(node, list) else node.pop(last)

    for op in ops:
        kind, path = op["op"], op["path"]
        try:
            if kind == "test":
                if get(path) != op.get("value"):
                    raise PatchTestFailed(f"test failed at {path}")
            elif kind == "add":
                add(path, copy.deepcopy(op["value"]))
            elif kind == "remove":
                remove(path)
            elif kind == "replace":
                remove(path)
                add(path, copy.deepcopy(op["value"]))
            elif kind == "move":
                add(path, remove(op["from"]))
            elif kind == "copy":
                add(path, copy.deepcopy(get(op["from"])))
            else:
                raise PatchTestFailed(f"unknown op {kind!r}")
        except (KeyError, IndexError, ValueError, TypeError) as e:
            raise PatchTestFailed(f"{kind} {path}: {e!r}") from e
    return doc


_SET_EXPR = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _split_selector(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in [*parts, current] if p.strip()]


def label_selector_matches(selector: str, labels: dict[str, str]) -> bool:
    """Equality-based and set-based label selectors, as `kubectl -l` sends them."""
    for term in _split_selector(selector):
        term = term.strip()
        if match := _SET_EXPR.match(term):
            key, op, values = match[1], match[2], {v.strip() for v in match[3].split(",")}
            if (op == "in") != (labels.get(key) in values):
                return False
        elif "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


def field_selector_matches(selector: str, obj: dict[str, Any]) -> bool:
    """`a.b=v`, `a.b==v`, `a.b!=v` on any field (kube-apiserver allows a set per kind; kubectl
    describe uses involvedObject.* on Events, watches use metadata.name)."""
    for term in _split_selector(selector):
        negate = "!=" in term
        key, value = (s.strip() for s in re.split(r"!=|==|=", term, maxsplit=1))
        actual = json_path(obj, key)
        if (str(actual) == value if actual is not None else value == "") == negate:
            return False
    return True


_FILTER = re.compile(r"^(\w+)\[\?\(@\.(\w+)==[\"']([^\"']*)[\"']\)\]$")


def json_path(obj: Any, path: str) -> Any:
    """The JSONPath subset printer columns use: `.a.b` and `.list[?(@.key=="value")].field`."""
    node: Any = obj
    for part in re.findall(r"[^.\[]+(?:\[[^\]]*\])?", path.lstrip(".")):
        if match := _FILTER.match(part):
            items = node.get(match[1]) if isinstance(node, dict) else None
            node = next((i for i in items or [] if isinstance(i, dict) and str(i.get(match[2])) == match[3]), None)
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


# k8s.io/apimachinery/pkg/util/validation: what object names and labels may look like.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def name_problem(name: str, label: bool) -> str | None:
    """Why kube-apiserver refuses `name` (an RFC 1123 label for namespaces, a subdomain otherwise)."""
    if label:
        if len(name) > 63 or not DNS_LABEL.match(name):
            return (
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must"
                " start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for"
                " validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            )
        return None
    if len(name) > 253:
        return "must be no more than 253 characters"
    if not DNS_SUBDOMAIN.match(name):
        return (
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and"
            " must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is"
            " '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        )
    return None


def label_problems(labels: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, bad value, why) for every label key or value kube-apiserver refuses."""
    problems = []
    for key, value in labels.items():
        prefix, _, name = key.rpartition("/")
        if (prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix))) or not (
            len(name) <= 63 and _LABEL_NAME.match(name)
        ):
            problems.append(
                (
                    "metadata.labels",
                    key,
                    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end"
                    " with an alphanumeric character, with an optional DNS subdomain prefix and '/'",
                )
            )
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            problems.append(
                (
                    "metadata.labels",
                    str(value),
                    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.',"
                    " and must start and end with an alphanumeric character (at most 63 characters)",
                )
            )
    return problems

"""The operator's profile in a burst: py-spy's collapsed stacks (`record --format raw`: one
`frame;frame;… count` a line, root first, each frame `function (file:line)`), turned into a flame graph
SVG (drawn here: viewable on GitHub, no other tool needed), a speedscope file, and the biggest costs by
share of samples.

Frames are merged by function and file (line numbers dropped), so that one function is one box.
"""

from __future__ import annotations

import collections
import hashlib
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
Stacks = dict[tuple[str, ...], int]  # frames, root first → samples


def frame_name(frame: str) -> str:
    """`function (file:line)` → `function (file)`."""
    match = FRAME.match(frame.strip())
    return f"{match['function']} ({match['file']})" if match else frame.strip()


def frame_file(frame: str) -> str:
    match = FRAME.match(frame)
    return match["file"] if match else ""


def read_folded(text: str) -> Stacks:
    """Collapsed stacks, merged by function and file."""
    stacks: collections.Counter[tuple[str, ...]] = collections.Counter()
    for line in text.splitlines():
        frames, _, count = line.rstrip().rpartition(" ")
        if not frames or not count.isdigit():
            continue
        stacks[tuple(frame_name(f) for f in frames.split(";") if f)] += int(count)
    return dict(stacks)


def package(frame: str) -> str:
    """The top-level package or module of a frame's file (`kopf`, `botocore`, `json`, `asyncio`, …);
    the operator's own code is `elasticache_operator`."""
    path = frame_file(frame).replace("\\", "/")
    if "site-packages/" in path:
        path = path.rsplit("site-packages/", 1)[1]
    if "/elasticache_operator/" in path or path.startswith("elasticache_operator/"):
        return "elasticache_operator"
    parts = [p for p in path.split("/") if p and not p.startswith("python3")]
    head = parts[0] if parts else "?"
    return head[:-3] if head.endswith(".py") else head


def shares(counts: Mapping[str, int], total: int, top: int) -> list[dict[str, Any]]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [{"name": name, "samples": count, "share": count / total if total else 0.0} for name, count in ordered]


def self_time(stacks: Stacks) -> collections.Counter[str]:
    """Samples by the function on top of the stack (running itself, not a callee)."""
    out: collections.Counter[str] = collections.Counter()
    for frames, count in stacks.items():
        out[frames[-1] if frames else "?"] += count
    return out


def inclusive_time(stacks: Stacks) -> collections.Counter[str]:
    """Samples in which a function is anywhere on the stack (once per sample, recursion or not)."""
    out: collections.Counter[str] = collections.Counter()
    for frames, count in stacks.items():
        for frame in set(frames):
            out[frame] += count
    return out


def by_package(stacks: Stacks) -> collections.Counter[str]:
    """Self time by the package of the function on top of the stack."""
    out: collections.Counter[str] = collections.Counter()
    for frames, count in stacks.items():
        out[package(frames[-1]) if frames else "?"] += count
    return out


def summary(stacks: Stacks, top: int = 12) -> dict[str, Any]:
    total = sum(stacks.values())
    return {
        "samples": total,
        "self": shares(self_time(stacks), total, top),
        "packages": shares(by_package(stacks), total, top),
        "inclusive": shares(inclusive_time(stacks), total, 3 * top),
    }


# --- the flame graph ---------------------------------------------------------------------------------


@dataclass
class Node:
    name: str
    samples: int = 0
    children: dict[str, Node] = field(default_factory=dict)


def tree(stacks: Stacks) -> Node:
    root = Node("all")
    for frames, count in stacks.items():
        root.samples += count
        node = root
        for frame in frames:
            node = node.children.setdefault(frame, Node(frame))
            node.samples += count
    return root


PALETTE = {  # by package: the operator's own code stands out
    "elasticache_operator": "#3fb950",
    "kopf": "#58a6ff",
    "kubernetes": "#a371f7",
    "botocore": "#f0883e",
    "boto3": "#f0883e",
    "urllib3": "#d29922",
    "aiohttp": "#39c5cf",
    "json": "#ff7b72",
    "ssl": "#ff7b72",
    "asyncio": "#8b949e",
    "threading": "#8b949e",
    "concurrent": "#8b949e",
}


def colour(name: str) -> str:
    known = PALETTE.get(package(name))
    if known:
        return known
    hue = int(hashlib.sha256(name.encode()).hexdigest()[:4], 16) % 50  # warm: red to yellow
    return f"hsl({hue},75%,62%)"


def flame_svg(stacks: Stacks, title: str, width: int = 1400, row: int = 17, minimum: float = 0.0005) -> str:
    """A flame graph (root at the bottom; a box's width is its share of samples), boxes under `minimum`
    of the samples left out; every box has a tooltip with its samples and share."""
    root = tree(stacks)
    total = root.samples or 1
    boxes: list[tuple[int, float, float, Node]] = []  # depth, x, width, node

    def place(node: Node, depth: int, x: float) -> int:
        w = node.samples / total * (width - 20)
        boxes.append((depth, x, w, node))
        deepest = depth
        for child in sorted(node.children.values(), key=lambda c: c.name):
            if child.samples / total >= minimum:
                deepest = max(deepest, place(child, depth + 1, x))
            x += child.samples / total * (width - 20)
        return deepest

    deepest = place(root, 0, 10.0)
    top = 50
    height = top + (deepest + 1) * row + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="monospace" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-family="sans-serif" font-size="15" '
        f'font-weight="bold">{html.escape(title)}</text>',
        f'<text x="{width / 2}" y="40" text-anchor="middle" font-family="sans-serif" font-size="11" fill="#555">'
        f"{total:,} samples; width = share of samples; green: elasticache_operator, blue: kopf, purple: kubernetes "
        "client, orange: botocore, grey: asyncio/threading</text>",
    ]
    for depth, x, w, node in boxes:
        y = height - 30 - (depth + 1) * row
        share = node.samples / total
        label = f"{node.name} — {node.samples:,} samples, {share:.1%}"
        out.append(
            f'<g><title>{html.escape(label)}</title><rect x="{x:.2f}" y="{y}" width="{max(w - 0.5, 0.3):.2f}" '
            f'height="{row - 1}" fill="{"#e1e4e8" if depth == 0 else colour(node.name)}" rx="1"/>'
        )
        chars = int((w - 6) / 6.7)
        if chars >= 4:
            text = node.name if len(node.name) <= chars else node.name[: chars - 1] + "…"
            out.append(f'<text x="{x + 3:.2f}" y="{y + row - 5}">{html.escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def speedscope(stacks: Stacks, title: str) -> dict[str, Any]:
    """A speedscope file (https://www.speedscope.app): one sampled profile, a weight per distinct stack."""
    index: dict[str, int] = {}
    frames: list[dict[str, str]] = []
    samples: list[list[int]] = []
    weights: list[int] = []

    def frame_id(name: str) -> int:
        if name not in index:
            match = FRAME.match(name)
            index[name] = len(frames)
            frames.append({"name": match["function"], "file": match["file"]} if match else {"name": name})
        return index[name]

    for stack, count in sorted(stacks.items()):
        samples.append([frame_id(f) for f in stack])
        weights.append(count)
    total = sum(weights)
    return {
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": {"frames": frames},
        "profiles": [
            {
                "type": "sampled",
                "name": title,
                "unit": "none",
                "startValue": 0,
                "endValue": total,
                "samples": samples,
                "weights": weights,
            }
        ],
        "name": title,
        "activeProfileIndex": 0,
        "exporter": "elasticache-operator bench/profile.py (from py-spy's raw stacks)",
    }

"""Printing benchmark figures: Markdown tables, number formats, and the machine they were measured on."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass
class Table:
    """A titled table: column names and rows of cells (numbers are formatted when printed)."""

    title: str
    columns: Sequence[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(list(cells))

    def render(self) -> str:
        """The table as Markdown, title first and notes after."""
        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join(" --- " for _ in self.columns) + "|")
        lines.extend("| " + " | ".join(fmt(cell) for cell in row) + " |" for row in self.rows)
        lines.extend(["", *self.notes] if self.notes else [])
        return "\n".join(lines) + "\n"


def fmt(value: Any) -> str:
    """A cell as text: floats with 3 significant digits (at least one decimal below 100)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def machine() -> str:
    """One line naming the machine: CPU count, Python, platform."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{cpus} CPUs, {python}, {platform.system()} {platform.machine()}"


def emit(*tables: Table, header: str = "") -> None:
    """Print ``header`` (if any), the machine line and ``tables``."""
    out = sys.stdout
    if header:
        out.write(f"## {header}\n\n")
    out.write(f"Machine: {machine()}\n\n")
    for table in tables:
        out.write(table.render() + "\n")
    out.flush()


def mib(kib: float) -> float:
    """KiB (``ru_maxrss`` on Linux) as MiB."""
    return kib / 1024

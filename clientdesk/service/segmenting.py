"""The one place this app reads segments (clientdesk.segments, to its left in the dependency
order). If the segments app does not provide its selectors yet, every company has no segment:
SLA matching then falls back to policies without a segment, and routing to the skills and load
rule, which is what a company without a segment gets anyway.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class SegmentInfo:
    abc: str = ""
    xyz: str = ""
    rfm_segment: str = ""
    lifecycle: str = ""
    label: str = ""

    @property
    def abc_xyz(self) -> str:
        return f"{self.abc}{self.xyz}" if self.abc and self.xyz else ""

    @property
    def is_key_client(self) -> bool:
        """Class A by revenue: the clients whose requests go to their account manager."""
        return self.abc == "A"


def _selectors() -> ModuleType | None:
    try:
        return importlib.import_module("clientdesk.segments.selectors")
    except ImportError:
        return None


def segment_of(company_id: int) -> SegmentInfo | None:
    selectors = _selectors()
    fn = getattr(selectors, "segment_of", None) if selectors else None
    if fn is None:
        return None
    current: Any = fn(company_id)
    if current is None:
        return None
    return SegmentInfo(
        abc=str(getattr(current, "abc", "") or ""),
        xyz=str(getattr(current, "xyz", "") or ""),
        rfm_segment=str(getattr(current, "rfm_segment", "") or ""),
        lifecycle=str(getattr(current, "lifecycle", "") or ""),
        label=str(current),
    )


def in_rule_segment(company_id: int, segment_id: int) -> bool:
    selectors = _selectors()
    fn = getattr(selectors, "companies_in", None) if selectors else None
    if fn is None:
        return False
    try:
        members: Any = fn(segment_id)
    except Exception:  # a deleted or broken segment must not stop a request from being opened
        return False
    if hasattr(members, "filter"):
        return bool(members.filter(pk=company_id).exists())
    return company_id in {getattr(m, "pk", m) for m in members}

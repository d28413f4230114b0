from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    return (mapping or {}).get(key, "") if hasattr(mapping, "get") else ""


@register.filter
def attr(obj: Any, name: str) -> Any:
    return getattr(obj, name, "")

from typing import Any

from django.http import HttpRequest

from .navigation import menu_groups_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    groups = menu_groups_for(request.user)
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else None
    for group in groups:
        group["current"] = any(item["name"] == current for item in group["items"])
    return {
        "nav_groups": groups,
        "nav_items": [item for group in groups for item in group["items"]],
    }

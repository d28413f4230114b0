"""Template filters for registry values."""

from django import template

from clientdesk.clients.validators import format_phone

register = template.Library()


@register.filter
def phone(value: str | None) -> str:
    """+74951234567 → +7 495 123-45-67; anything unparseable is shown as stored."""
    return format_phone(value or "")

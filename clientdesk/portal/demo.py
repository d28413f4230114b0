"""Demo: the two demo portal users have requests of their own to follow in the portal."""

from __future__ import annotations

from clientdesk.clients.models import Channel
from clientdesk.service.models import Service, ServiceRequest
from clientdesk.service.services import RequestInput, request_create, request_reply

from .models import PortalAccount

_REQUESTS = [
    (
        "Не пришёл счёт за октябрь",
        "Добрый день! Прошу направить счёт за октябрь на адрес бухгалтерии.",
        "Счёт за октябрь направлен повторно на адрес бухгалтерии. "
        "Электронная копия доступна в личном кабинете.",
    ),
    (
        "Подключение второго офиса",
        "Планируем открыть офис на ул. Ленина, 12. Какие документы нужны для подключения?",
        "",
    ),
]


def load_demo(*, seed: int) -> None:
    """Idempotent: companies that already have portal requests are left as they are."""
    del seed  # fixed texts: the demo should read the same every time
    service = Service.objects.order_by("pk").first()
    for account in PortalAccount.objects.select_related("company", "contact", "user"):
        if ServiceRequest.objects.filter(company=account.company, subject=_REQUESTS[0][0]).exists():
            continue
        for subject, body, reply in _REQUESTS:
            request = request_create(
                data=RequestInput(
                    company=account.company,
                    contact=account.contact,
                    channel=Channel.PORTAL,
                    subject=subject,
                    body=body,
                    service=service,
                ),
                by=account.user,
            )
            if reply and request.assignee is not None:
                request_reply(request=request, body=reply, by=request.assignee, send_email=False)

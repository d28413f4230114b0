from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientdesk.clients.models import Company, Contact


class PortalAccount(models.Model):
    """Binds a portal user to the one client company whose data they may see."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Company administrator")
        MEMBER = "member", _("Member")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_account"
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="portal_accounts"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    role = models.CharField(_("portal role"), max_length=10, choices=Role.choices)
    # Subsidiaries of a group are visible only when granted explicitly.
    extra_companies = models.ManyToManyField(
        Company, verbose_name=_("also sees"), blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("portal account")
        verbose_name_plural = _("portal accounts")

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"

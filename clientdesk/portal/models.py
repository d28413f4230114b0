from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientdesk.clients.models import Company, Contact, Contract
from clientdesk.service.models import private_storage


class PortalRole(models.TextChoices):
    ADMIN = "admin", _("Company administrator")
    MEMBER = "member", _("Member")


class PortalAccount(models.Model):
    """Binds a portal user to the one client company whose data they may see."""

    Role = PortalRole

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
    role = models.CharField(_("portal role"), max_length=10, choices=PortalRole.choices)
    # Subsidiaries of a group are visible only when granted explicitly.
    extra_companies = models.ManyToManyField(
        Company, verbose_name=_("also sees"), blank=True, related_name="+"
    )
    # The company the user is looking at; empty means "all companies I may see".
    current_company = models.ForeignKey(
        Company,
        verbose_name=_("company being viewed"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Notification preferences. Senders read them through portal.selectors.wants_notification.
    notify_request_reply = models.BooleanField(_("e-mail when a request is answered"), default=True)
    notify_status_change = models.BooleanField(
        _("e-mail when a request changes status"), default=True
    )
    notify_appointment_reminders = models.BooleanField(
        _("appointment reminders by e-mail"), default=True
    )
    notify_newsletters = models.BooleanField(_("newsletters"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("portal account")
        verbose_name_plural = _("portal accounts")

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"


class Invitation(models.Model):
    """An invitation to the portal. Only the SHA-256 of its random token is stored: the link in
    the e-mail is the only copy, so a leaked database does not open accounts."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact person"), on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("portal role"), max_length=10, choices=PortalRole.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    account = models.ForeignKey(
        PortalAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal invitation")
        verbose_name_plural = _("portal invitations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "accepted_at", "revoked_at"])]

    def __str__(self) -> str:
        return self.email

    @property
    def state(self) -> str:
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.OPEN

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)


class DocumentKind(models.TextChoices):
    CONTRACT = "contract", _("Contract")
    ACT = "act", _("Act of services rendered")
    INVOICE = "invoice", _("Invoice")
    OTHER = "other", _("Other document")


def _document_path(instance: SharedDocument, filename: str) -> str:
    del filename  # the stored name never comes from the uploader
    return f"portal/documents/{instance.company_id}/{timezone.now():%Y/%m}/{instance.sha256}"


class SharedDocument(models.Model):
    """A document staff share with a client company (contract, act, invoice...)."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=300)
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visible_in_portal = models.BooleanField(_("visible in the portal"), default=True)
    file = models.FileField(storage=private_storage, upload_to=_document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size, bytes"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("shared document")
        verbose_name_plural = _("shared documents")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "visible_in_portal", "-created_at"])]

    def __str__(self) -> str:
        return self.title

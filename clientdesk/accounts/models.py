from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientdesk.core.roles import Perm, Role, perms_for_role


class User(AbstractUser):
    """Everyone who signs in: staff of the serving company and employees of client companies.

    The two kinds never share a screen: staff views require a staff role, portal views require
    a portal account (clientdesk.portal.models.PortalAccount) bound to one client company.
    """

    class Kind(models.TextChoices):
        STAFF = "staff", _("Staff")
        PORTAL = "portal", _("Client portal user")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STAFF)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=150, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(
        _("interface language"),
        max_length=8,
        blank=True,
        choices=[("ru", "Русский"), ("en", "English")],
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="portal") | models.Q(role=""),
                name="portal_user_has_no_staff_role",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        parts = [self.last_name, self.first_name, self.patronymic]
        full = " ".join(p for p in parts if p)
        return full or self.username

    @property
    def is_staff_member(self) -> bool:
        return self.kind == self.Kind.STAFF

    @property
    def is_portal_user(self) -> bool:
        return self.kind == self.Kind.PORTAL

    @property
    def perms(self) -> frozenset[Perm]:
        if not self.is_active or self.kind != self.Kind.STAFF:
            return frozenset()
        if self.is_superuser:
            return frozenset(Perm)
        return perms_for_role(self.role)


class TOTPDevice(models.Model):
    """A time-based one-time password generator (RFC 6238) enrolled by the user.

    Unconfirmed until the user has typed one code from it; only a confirmed device is asked for
    at sign-in. `last_step` is the last time step accepted, so one code never works twice."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    # Encrypted (core.encryption): read it through accounts.services.totp_secret().
    secret = models.CharField(max_length=255)
    confirmed_at = models.DateTimeField(_("enabled"), null=True, blank=True)
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return str(self.user)


class RecoveryCode(models.Model):
    """A single-use code for when the phone is lost. Only its SHA-256 is kept: the codes are
    random (50 bits), so a fast hash is enough and checking ten of them costs nothing."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self) -> str:
        return f"{self.user} …"

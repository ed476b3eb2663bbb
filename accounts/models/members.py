"""Who the members are: people, sectors, organisations and their domains, memberships."""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        # E-mail addresses are compared case-insensitively at sign-in.
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address; acts for one organisation at a time."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    # Django admin site access only; portal visibility never depends on it.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Sector(models.Model):
    """An industry sector; seeded with the 16 US critical-infrastructure sectors, editable."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A member company, or the ISAC itself (exactly one row has is_isac)."""

    class Status(models.TextChoices):
        APPLICANT = "applicant", "Applicant"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        OFFBOARDED = "offboarded", "Offboarded"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=50, blank=True)
    sectors = models.ManyToManyField(Sector, blank=True, related_name="organisations")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLICANT)
    is_isac = models.BooleanField(default=False)
    require_mfa = models.BooleanField(default=False)
    allow_any_invite_domain = models.BooleanField(
        default=False,
        help_text="Set by an ISAC admin: invitations may go to addresses outside the "
        "registered domains.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="organisation_name_ci_unique"),
            models.UniqueConstraint(
                fields=["is_isac"], condition=models.Q(is_isac=True), name="one_isac_organisation"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OrganisationDomain(models.Model):
    """An e-mail domain registered to an organisation (invitations, victim recognition)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class Membership(models.Model):
    """A person's role in one organisation; ISAC roles exist only in the ISAC organisation."""

    class Role(models.TextChoices):
        ANALYST = "analyst", "Analyst"
        ORG_ADMIN = "org_admin", "Organisation admin"
        ISAC_ANALYST = "isac_analyst", "ISAC analyst (curator)"
        ISAC_ADMIN = "isac_admin", "ISAC admin"

    ISAC_ROLES = frozenset({Role.ISAC_ANALYST, Role.ISAC_ADMIN})

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ANALYST)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"

    # The role properties read the role alone; accounts.policy decides what a membership may
    # do, and also requires it to be in force.

    @property
    def is_isac_staff(self) -> bool:
        return self.role in self.ISAC_ROLES and self.organisation.is_isac

    @property
    def is_isac_admin(self) -> bool:
        return self.role == self.Role.ISAC_ADMIN and self.organisation.is_isac

    @property
    def is_org_admin(self) -> bool:
        return self.role in {self.Role.ORG_ADMIN, self.Role.ISAC_ADMIN}

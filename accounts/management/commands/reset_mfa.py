"""Remove a person's two-factor devices, for an operator when no ISAC admin can sign in."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services.signin import mfa_reset


class Command(BaseCommand):
    help = "Remove a person's authenticator and recovery codes; they set up new ones at sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"No account for {options['email']}.")
        mfa_reset(user=user, by=None)
        self.stdout.write(f"Two-factor sign-in of {user.email} reset; audited as user.mfa_reset.")

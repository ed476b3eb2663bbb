"""Print a new API token for a person, for scripts and operations."""

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Membership
from accounts.services.tokens import token_issue


class Command(BaseCommand):
    help = "Issue an API token bound to one of the person's memberships and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="Issued from the command line")
        parser.add_argument("--read-only", action="store_true")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Uploads made with the token are published at once with the organisation's "
            "publishing defaults (off unless given).",
        )
        parser.add_argument(
            "--organisation", help="Name of the organisation, when the person has several."
        )
        parser.add_argument("--expires-days", type=int, default=None)
        parser.add_argument(
            "--allow-network", action="append", default=[], help="CIDR range; repeatable."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        memberships = Membership.objects.filter(
            user__email__iexact=options["email"], is_active=True
        ).select_related("organisation", "user")
        if options["organisation"]:
            memberships = memberships.filter(organisation__name__iexact=options["organisation"])
        found = list(memberships)
        if not found:
            raise CommandError(f"No active membership for {options['email']!r} matches.")
        if len(found) > 1:
            names = ", ".join(m.organisation.name for m in found)
            raise CommandError(
                f"{options['email']} belongs to {names}: choose with --organisation."
            )
        expires_at = None
        if options["expires_days"] is not None:
            expires_at = timezone.now() + timedelta(days=options["expires_days"])
        try:
            _, plaintext = token_issue(
                membership=found[0],
                name=options["name"],
                by=None,
                expires_at=expires_at,
                read_only=options["read_only"],
                may_publish=options["publish"],
                allowed_networks=options["allow_network"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(plaintext)

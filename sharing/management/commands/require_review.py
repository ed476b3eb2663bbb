"""Turn ISAC review before publication on or off for one organisation's reports."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Membership, Organisation
from sharing.services import review_requirement_set


class Command(BaseCommand):
    help = "Require (or stop requiring) ISAC review of an organisation's reports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", help="The organisation's name")
        parser.add_argument("--by", required=True, help="E-mail of the ISAC admin deciding")
        parser.add_argument("--off", action="store_true", help="Stop requiring review")
        parser.add_argument("--reason", default="", help="Why, e.g. the agreement clause")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(name__iexact=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation named {options['organisation']!r}.")
        admin = (
            Membership.objects.select_related("user", "organisation")
            .filter(
                user__email__iexact=options["by"],
                organisation__is_isac=True,
                role=Membership.Role.ISAC_ADMIN,
                is_active=True,
            )
            .first()
        )
        if admin is None:
            raise CommandError(f"{options['by']} is not an active ISAC admin.")
        required = not options["off"]
        review_requirement_set(
            organisation=organisation, required=required, by=admin, reason=options["reason"]
        )
        state = "now wait for" if required else "no longer wait for"
        self.stdout.write(self.style.SUCCESS(f"{organisation.name}'s reports {state} review."))

"""Idempotent demo data for the README quick start; never for a production database."""

from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts import demo
from accounts.models import (
    AgreementAcceptance,
    AgreementVersion,
    Membership,
    Organisation,
    Sector,
    TrustGroup,
    User,
)
from accounts.services.agreements import (
    agreement_accept,
    agreement_version_create,
    agreement_version_publish,
)
from accounts.services.groups import (
    group_create,
    group_invitation_accept,
    group_invite,
    sector_communities_sync,
)
from accounts.services.organisations import organisation_create
from accounts.services.people import membership_create, user_create
from accounts.standing import is_in_good_standing
from sharing.alerts.demo import seed_alert_answer, seed_watchlist
from sharing.demo import seed_public_feed, seed_reports
from sharing.fanout.demo import seed_subscriptions
from sharing.government.demo import seed_partner
from sharing.insights.refresh import insights_refresh
from sharing.lifecycle.demo import seed_indicator_lifecycle
from sharing.peers.demo import LIAISON, PEER_NAME, DemoPeer, seed_peer
from sharing.rfi.demo import seed_rfis


class Command(BaseCommand):
    help = "Create the demo ISAC, member organisations and people (safe to run repeatedly)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off (the demo people share a published password).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates people with a published password; run it with DEBUG=1 "
                "or pass --force if this really is a throw-away database."
            )
        with transaction.atomic():
            organisations = {o.name: self._organisation(o) for o in demo.ORGANISATIONS}
            for person in demo.PEOPLE:
                self._person(person, organisations[person.organisation])
            self._agreement(organisations)
            for group in demo.GROUPS:
                self._group(group, organisations)
            sector_communities_sync()
            # Subscriptions and watch lists before reports, so the demo reports reach
            # someone and the advisory about Harbor Bank's gateway raises an alert.
            seed_subscriptions()
            seed_watchlist()
            # Reports last: their authors must already be members in good standing.
            reports = seed_reports()
            seed_public_feed()
            # A government partner, turned off, whose dry run shows what would leave.
            seed_partner()
            rfis = seed_rfis()
            peer = seed_peer(port=settings.PORT)
        if reports:
            self.stdout.write(f"Shared {reports} demo reports.")
        if rfis:
            self.stdout.write(f"Asked {rfis} demo requests for information.")
        # After commit, once the work publishing queued (normalisation, alert scans) ran.
        seed_alert_answer()
        seed_indicator_lifecycle()
        # The dashboards' figures now (beat's insights-refresh), rather than at its first tick.
        insights_refresh(by=None)
        self._print_logins()
        self._print_tour(peer)

    def _agreement(self, organisations: dict[str, Organisation]) -> None:
        """The current agreement, accepted by Northwind (in force) and Harbor Bank (expiring
        soon); Cascade Health and Granite Water have not accepted it yet."""
        version = AgreementVersion.objects.filter(version_label=demo.AGREEMENT_LABEL).first()
        if version is None:
            version = agreement_version_create(
                by=None,
                title="Membership agreement",
                version_label=demo.AGREEMENT_LABEL,
                body_markdown=demo.AGREEMENT_BODY,
                effective_date=timezone.localdate() - timedelta(days=60),
                acceptable_use="Network defence of the member's own systems only.",
                renewal_period_days=365,
                retention_days=730,
                may_forward_to_government=True,
            )
            version = agreement_version_publish(version=version, by=None)
        for org_name, (email, days_left) in demo.DEMO_ACCEPTANCES.items():
            org = organisations[org_name]
            if AgreementAcceptance.objects.filter(organisation=org, version=version).exists():
                continue
            admin = Membership.objects.select_related("organisation", "user").get(
                user__email__iexact=email, organisation=org
            )
            acceptance = agreement_accept(
                organisation=org,
                version=version,
                by=admin,
                typed_full_name=admin.user.full_name,
                ip_address="127.0.0.1",
                forwarding_scope=demo.DEMO_FORWARDING_CONSENT.get(org_name),
            )
            if days_left is not None:
                # Demo data only: show an acceptance about to lapse (and its reminders).
                AgreementAcceptance.objects.filter(pk=acceptance.pk).update(
                    accepted_at=timezone.now() - timedelta(days=365 - days_left),
                    expires_at=timezone.now() + timedelta(days=days_left),
                )

    def _organisation(self, spec: demo.DemoOrganisation) -> Organisation:
        existing = Organisation.objects.filter(name__iexact=spec.name).first()
        if existing is not None:
            return existing
        return organisation_create(
            name=spec.name,
            short_name=spec.short_name,
            sectors=Sector.objects.filter(slug__in=spec.sectors),
            country=spec.country,
            domains=spec.domains,
            status=Organisation.Status.ACTIVE,
            is_isac=spec.is_isac,
            by=None,
        )

    def _person(self, spec: demo.DemoPerson, organisation: Organisation) -> None:
        user = User.objects.filter(email__iexact=spec.email).first()
        if user is None:
            user = user_create(
                email=spec.email,
                full_name=spec.full_name,
                password=None if spec.token_only else demo.DEMO_PASSWORD,
            )
        if not Membership.objects.filter(user=user, organisation=organisation).exists():
            membership_create(user=user, organisation=organisation, role=spec.role, by=None)

    def _group(self, spec: demo.DemoGroup, organisations: dict[str, Organisation]) -> None:
        """Created by the owner's admin; members join where they are in good standing (the
        services refuse the others, and a later run adds them)."""
        group = TrustGroup.objects.filter(name__iexact=spec.name).first()
        owner = organisations[spec.owner]
        if group is None:
            admin = _admin_of(owner)
            if admin is None or not is_in_good_standing(owner):
                return
            group = group_create(
                name=spec.name,
                description=spec.description,
                join_policy=spec.join_policy,
                members_visible=spec.members_visible,
                by=admin,
            )
        owner_admin = _admin_of(owner)
        for name in spec.members:
            member = organisations[name]
            admin = _admin_of(member)
            if admin is None or owner_admin is None:
                continue
            if group.memberships.filter(organisation=member).exists():
                continue
            if not is_in_good_standing(member):
                continue
            invitation = group_invite(group=group, organisation=member, by=owner_admin)
            group_invitation_accept(invitation=invitation, by=admin)

    def _print_logins(self) -> None:
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in as any of:"))
        people = [p for p in demo.PEOPLE if not p.token_only]
        width = max(len(p.email) for p in people)
        for person in people:
            role = Membership.Role(person.role).label
            self.stdout.write(f"  {person.email:<{width}}  {role:<24}  {person.organisation}")
        self.stdout.write(f"Demo password for everyone: {demo.DEMO_PASSWORD}")
        for line in (
            "ISAC staff (admin@ and curator@isac.example) always use two-factor sign-in: the",
            "first time they sign in, the portal shows a QR code and a key. Scan it with any",
            "authenticator app (FreeOTP, Aegis, Google Authenticator), or type the key into one",
            "(without a phone: oathtool --totp -b KEY), then enter the 6-digit code and keep the",
            "recovery codes it shows. Lost it? python manage.py reset_mfa EMAIL starts again.",
        ):
            self.stdout.write(line)

    def _print_tour(self, peer: DemoPeer) -> None:
        """Where each part of the demo is, as links on the port the portal serves."""
        base = settings.PORTAL_BASE_URL.rstrip("/")
        peer_page = "/isac/peers/" + (f"{peer.peer.uuid}/" if peer.peer else "")
        self.stdout.write("What the demo shows:")
        for path, what in (
            ("/reports/", "reports at every TLP, with sightings, comments, indicators ended"),
            ("/rfis/", "requests for information: one answered, one closed with a summary"),
            ("/alerts/", "Harbor Bank's alert from its watch list (analyst@harborbank)"),
            ("/figures/", "each organisation's figures, counted as the schedule counts them"),
            (peer_page, "a peer ISAC, its polls and what they brought (admin@isac)"),
        ):
            self.stdout.write(f"  {base}{path}")
            self.stdout.write(f"      {what}")
        if peer.peer is None:
            self.stdout.write(f"No demo peer ISAC: {peer.problem}")
            return
        poll_seconds = cast(float, settings.CELERY_BEAT_SCHEDULE["peers-poll"]["schedule"])
        for line in (
            f"The peer ISAC {PEER_NAME} needs no internet: it is this portal's own TAXII server",
            f"({peer.peer.api_root_url}), read with an API token of {LIAISON}.",
            f"The schedule polls it {poll_seconds:.0f} seconds after the start, then every "
            f"{peer.peer.poll_minutes} minutes.",
            "What it brings, members shared already: their reports show "
            f"'Also reported by peer {PEER_NAME}'.",
        ):
            self.stdout.write(line)


def _admin_of(organisation: Organisation) -> Membership | None:
    roles = [Membership.Role.ORG_ADMIN, Membership.Role.ISAC_ADMIN]
    return (
        Membership.objects.filter(organisation=organisation, role__in=roles, is_active=True)
        .select_related("organisation", "user")
        .first()
    )

"""Government partners: a report's anonymised STIX bundle, added to the partner's TAXII 2.1
collection (sharing.taxii.client), with the AIS consent on the source identity.

Only reports the policy lets travel on the government lane (CLEAR and GREEN, published)
whose consent reaches the partner are sent; a withdrawal sends the report's objects revoked
to the partners that received it. Batches run on their own queue, so a slow government
server never delays members' deliveries.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from accounts.models import Membership
from sharing import policy
from sharing.fanout.transports.base import Outcome, PartnerTransport, SendContext, Sent, timed
from sharing.government.credentials import partner_client
from sharing.government.forward import Prepared, prepare_forward
from sharing.models import Delivery, Forward, Partner, Report
from sharing.policy import Channel
from sharing.taxii.client import Status, TaxiiClient, TaxiiError
from sharing.tlp import TLP


@dataclass(frozen=True)
class Receipt:
    """What the record keeps about one forward that the partner accepted."""

    prepared: Prepared
    status: Status


def _withdrawn(delivery: Delivery) -> bool:
    return delivery.event == Delivery.Event.WITHDRAWN


def send_forward(delivery: Delivery, client: TaxiiClient) -> Outcome:
    """Build the bundle and add it to the partner's collection; the partner's status is
    read until complete (for at most GOVERNMENT_STATUS_WAIT seconds; a pending one is read
    again later by the status refresh)."""
    partner = delivery.partner
    assert partner is not None
    prepared = prepare_forward(
        report=delivery.report, key=str(delivery.uuid), withdrawn=_withdrawn(delivery)
    )
    try:
        status = client.add_objects(partner.collection_id, prepared.bundle)
        if not status.is_complete and settings.GOVERNMENT_STATUS_WAIT > 0:
            status = client.wait_for_status(status.id, timeout=settings.GOVERNMENT_STATUS_WAIT)
    except TaxiiError as error:
        return Outcome(ok=False, status_code=error.status_code, error=error.message[:500])
    return Outcome(ok=True, status_code=202, receipt=Receipt(prepared=prepared, status=status))


def _given(outcome: Outcome) -> Outcome:
    return outcome


class GovernmentTransport(PartnerTransport):
    kind = Partner.Kind.GOVERNMENT
    queue = "government"

    def policy_channel(self, tlp: TLP) -> Channel:
        return Channel.GOVERNMENT

    def partners_for(self, *, report: Report, event: str) -> Sequence[int]:
        partners = Partner.objects.filter(kind=self.kind, is_active=True)
        if event == Delivery.Event.WITHDRAWN:
            # Those that received the report learn that it is withdrawn.
            return list(
                partners.filter(forwards__report=report).distinct().values_list("pk", flat=True)
            )
        reach: dict[bool, bool] = {}
        chosen = []
        for pk, us_government in partners.values_list("pk", "is_us_government"):
            if us_government not in reach:
                reach[us_government] = policy.can_forward_to_government(
                    report, us_government=us_government
                )
            if reach[us_government]:
                chosen.append(pk)
        return chosen

    def refusal(self, delivery: Delivery) -> str | None:
        partner = delivery.partner
        report = delivery.report
        if partner is None or not partner.is_active:
            return "The partner is turned off."
        if _withdrawn(delivery):
            return None
        if report.status != Report.Status.PUBLISHED:
            return "The report is no longer published."
        if report.version != delivery.report_version:
            return f"Superseded by version {report.version}."
        if not policy.can_forward_to_government(report, us_government=partner.is_us_government):
            return "The report's label or its consent no longer lets it go to this partner."
        return None

    def send_batch(
        self, deliveries: Sequence[Delivery], context: SendContext
    ) -> Iterator[list[Sent]]:
        clients: dict[int, TaxiiClient] = {}
        try:
            for delivery in deliveries:
                partner = delivery.partner
                assert partner is not None
                if partner.pk not in clients:
                    try:
                        clients[partner.pk] = partner_client(
                            partner, timeout=settings.GOVERNMENT_TAXII_TIMEOUT
                        )
                    except TaxiiError as error:
                        failed = Outcome(ok=False, error=f"Partner settings: {error.message}")
                        yield [timed(delivery, partial(_given, failed))]
                        continue
                yield [timed(delivery, partial(send_forward, delivery, clients[partner.pk]))]
        finally:
            for client in clients.values():
                client.close()

    def send(self, delivery: Delivery, context: SendContext) -> Outcome:
        partner = delivery.partner
        assert partner is not None
        with partner_client(partner, timeout=settings.GOVERNMENT_TAXII_TIMEOUT) as client:
            return send_forward(delivery, client)

    def record_delivered(self, delivery: Delivery, outcome: Outcome) -> None:
        receipt = outcome.receipt
        assert isinstance(receipt, Receipt)
        assert delivery.partner is not None
        consent = receipt.prepared.consent
        status = receipt.status
        Forward.objects.get_or_create(
            delivery=delivery,
            defaults={
                "partner": delivery.partner,
                "report": delivery.report,
                "report_version": delivery.report_version,
                "event": delivery.event,
                "organisation": delivery.report.organisation,
                "consent": consent.scope,
                "cisa_proprietary": consent.cisa_proprietary,
                "consent_choice": consent.choice,
                "acceptance": consent.acceptance,
                "bundle_id": receipt.prepared.bundle["id"],
                "bundle_sha256": receipt.prepared.sha256,
                "object_count": receipt.prepared.object_count,
                "taxii_status_id": status.id,
                "taxii_status": status.status,
                "success_count": status.success_count,
                "failure_count": status.failure_count,
                "pending_count": status.pending_count,
                "status_detail": status.as_record(),
            },
        )

    def gave_up(self, delivery: Delivery, reason: str) -> None:
        """ISAC admins are told by e-mail; the partner page lists the failed forwards and
        sends them again on request."""
        partner = delivery.partner
        assert partner is not None
        recipients = sorted(
            set(
                Membership.objects.filter(
                    organisation__is_isac=True,
                    role=Membership.Role.ISAC_ADMIN,
                    is_active=True,
                    user__is_active=True,
                ).values_list("user__email", flat=True)
            )
        )
        if not recipients:
            return
        text = (
            f"A report could not be forwarded to the government partner “{partner.name}”: "
            f"{reason}\n\nCheck the partner's settings in the portal, then send its failed "
            "forwards again from the partner's page."
        )
        transaction.on_commit(
            lambda: send_mail(
                "[ISAC portal] Forward to a government partner failed",
                text,
                None,
                recipients,
                fail_silently=True,
            )
        )

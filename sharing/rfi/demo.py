"""Demo requests for information for the README quick start: one answered and still open,
one closed with what was learnt, asked and answered through the same services as the pages."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.models import Membership
from accounts.standing import is_in_good_standing
from sharing.models import Rfi
from sharing.rfi.services import RfiQuestion, rfi_answer, rfi_ask, rfi_close
from sharing.tlp import TLP


@dataclass(frozen=True)
class DemoRfi:
    asker: str
    title: str
    body: str
    answers: tuple[tuple[str, str], ...]  # e-mail, text
    indicators: str = ""
    due_in_days: int | None = None
    closing_summary: str = ""  # closed by the asker with this summary when given


RFIS = (
    DemoRfi(
        asker="analyst@northwind.example",
        title="Has anyone seen MFA codes relayed from the fake OT vendor support portal?",
        body="""Our engineers who entered their SSO password on the fake support portal were
then asked for an MFA code. Did anyone see the harvested sessions used, and from where?
How did you spot them?""",
        indicators="support-portal-sso[.]net",
        due_in_days=7,
        answers=(
            (
                "analyst@harborbank.example",
                "Yes: two of our facilities staff entered codes. Both sessions were used within "
                "20 minutes from 91.219.236.18; our sign-in logs showed a new device from a "
                "hosting provider's range. We now require a managed device for SSO.",
            ),
        ),
    ),
    DemoRfi(
        asker="analyst@harborbank.example",
        title="Is anyone else scanned from 141.212.122.80, and is it hostile?",
        body="Full port scans of our perimeter every few hours since Tuesday.",
        indicators="141.212.122.80",
        answers=(
            (
                "analyst@northwind.example",
                "We see it too. Its reverse name and web page say it is a university's "
                "internet measurement project; it only completes TCP handshakes.",
            ),
        ),
        closing_summary=(
            "The scanner is a university's internet measurement project, not reconnaissance. "
            "We withdrew our report; no action is needed."
        ),
    ),
)


def _membership(email: str) -> Membership | None:
    return (
        Membership.objects.select_related("organisation", "user")
        .filter(user__email__iexact=email, is_active=True)
        .first()
    )


def seed_rfis() -> int:
    """Ask, answer and close the demo requests that do not exist yet; returns how many were
    asked. Members not (yet) in good standing cannot ask or answer: a later run adds them."""
    asked = 0
    for spec in RFIS:
        if Rfi.objects.filter(title=spec.title).exists():
            continue
        asker = _membership(spec.asker)
        answerers = [(_membership(email), text) for email, text in spec.answers]
        people = [asker, *(member for member, _ in answerers)]
        if any(m is None or not is_in_good_standing(m.organisation) for m in people):
            continue
        assert asker is not None
        due_on = (
            timezone.localdate() + timedelta(days=spec.due_in_days)
            if spec.due_in_days is not None
            else None
        )
        rfi = rfi_ask(
            by=asker,
            question=RfiQuestion(
                title=spec.title,
                body_markdown=spec.body,
                tlp=TLP.GREEN,
                indicators_text=spec.indicators,
                due_on=due_on,
                audience_everyone=True,
            ),
        )
        for member, text in answerers:
            assert member is not None
            rfi_answer(rfi=rfi, by=member, body=text)
        if spec.closing_summary:
            rfi_close(rfi=rfi, by=asker, summary=spec.closing_summary)
        asked += 1
    return asked

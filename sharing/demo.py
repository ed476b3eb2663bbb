"""Demo reports for the README quick start: every TLP, with indicators, sightings and
comments, written through the same services as the browser so the portal looks lived in.

Only organisations in good standing can share; a report whose author's organisation is not
(yet) in good standing is skipped, and a later run adds it.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.models import Membership, Organisation, Sector, TrustGroup, User
from accounts.standing import is_in_good_standing
from sharing.models import PublicFeed, Report
from sharing.public.services import public_feed_set
from sharing.services import (
    ReportContent,
    comment_create,
    report_create_draft,
    report_submit,
    report_withdraw,
    sighting_create,
)
from sharing.tlp import TLP


@dataclass(frozen=True)
class DemoReport:
    author: str
    title: str
    tlp: TLP
    report_type: str
    summary: str
    body: str
    indicators: str = ""
    sectors: tuple[str, ...] = ()
    everyone: bool = False
    audience_sectors: tuple[str, ...] = ()
    audience_organisations: tuple[str, ...] = ()
    audience_groups: tuple[str, ...] = ()
    audience_people: tuple[str, ...] = ()
    attributed: bool = False
    public_release: bool = False  # on the ISAC's public TLP:CLEAR feed
    confidence: int = Report.Confidence.MEDIUM
    sightings: tuple[tuple[str, int, str, bool], ...] = ()  # e-mail, days ago, note, anonymous
    comments: tuple[tuple[str, str], ...] = ()  # e-mail, text
    withdrawn: str = ""  # the reason, when the report was later withdrawn


# The advisory Harbor Bank's demo watch list matches (sharing/alerts/demo.py).
WATCHED_ADVISORY = (
    "SecureEdge VPN gateways: CVE-2026-24061 exploited, one member's gateway beaconing"
)

REPORTS = (
    DemoReport(
        author="curator@isac.example",
        title="Edge VPN appliances: authentication bypass exploited in the wild",
        tlp=TLP.CLEAR,
        report_type=Report.Type.ADVISORY,
        summary=(
            "Unauthenticated attackers chain an authentication bypass with command injection "
            "on internet-facing VPN gateways. Patch now and hunt for web shells."
        ),
        body="""## Summary

The vendor has published fixes for an **authentication bypass** and a **command injection**
in the web component of its VPN gateways. Both are exploited in the wild; exploitation
needs no credentials.

## What to do

1. Apply the vendor's fixed release, or its mitigation file, today.
2. Run the vendor's integrity checker; treat a mismatch as a compromise.
3. Reset the credentials of every account that signed in through the gateway.

## Hunting

- Web requests to `/api/v1/totp/user-backup-code/../../` in gateway logs
- New files under the web root with recent timestamps
- Outbound connections from the gateway to the addresses below

See the [vendor advisory](https://vendor.example.com/security/advisory) for details.
""",
        indicators="45.61.136.14\n103.108.229.22\nhxxps://updates-gw-cdn[.]com/p.sh",
        sectors=("energy", "financial-services", "healthcare-and-public-health"),
        attributed=True,
        public_release=True,
        confidence=Report.Confidence.HIGH,
        sightings=(
            ("analyst@northwind.example", 3, "Two scans against our gateway, patched.", False),
            ("analyst@harborbank.example", 2, "", True),
        ),
        comments=(
            (
                "analyst@harborbank.example",
                "The integrity checker missed one of our web shells; check file times too.",
            ),
        ),
    ),
    DemoReport(
        author="analyst@northwind.example",
        title="Phishing wave impersonating an OT vendor's support portal",
        tlp=TLP.GREEN,
        report_type=Report.Type.ALERT,
        summary=(
            "Engineers received 'support case updated' e-mails leading to a credential "
            "harvesting page that mimics an OT vendor's portal."
        ),
        body="""Since Monday our engineers received e-mails titled **"Your support case has been
updated"**. The link leads to a convincing copy of the vendor's support portal that asks
for the engineer's SSO credentials and then for an MFA code (adversary in the middle).

### Observed

- Sender domains registered in the last 10 days
- Landing pages behind a well-known CDN, so block by host name, not address
- Harvested sessions used within 20 minutes from the address below

We blocked the domains at the mail gateway and reset the two accounts that entered
credentials.
""",
        indicators=(
            "ot-support-casemanager[.]com\nsupport-portal-sso[.]net\n"
            "hxxps://support-portal-sso[.]net/auth/login\n91.219.236.18"
        ),
        sectors=("energy",),
        everyone=True,
        sightings=(
            ("analyst@harborbank.example", 1, "Same lure, sent to our facilities team.", False),
        ),
        comments=(
            ("curator@isac.example", "Thanks. We have asked the vendor to warn its customers."),
            ("analyst@harborbank.example", "Seen here too; the CDN host is still up."),
        ),
    ),
    DemoReport(
        author="analyst@harborbank.example",
        title="Loader delivered through invoice-themed e-mails with OneNote attachments",
        tlp=TLP.AMBER,
        report_type=Report.Type.INCIDENT,
        summary=(
            "A loader dropped by OneNote attachments beaconed to three servers before EDR "
            "isolated the host. No lateral movement seen."
        ),
        body="""## Timeline (UTC)

| time | event |
| --- | --- |
| 08:12 | invoice e-mail delivered to accounts payable |
| 08:31 | OneNote attachment opened; embedded script runs |
| 08:33 | loader beacons over HTTPS |
| 08:40 | EDR isolates the host |

## Details

The attachment runs a script that downloads the loader from the first URL below. The loader
persists with a scheduled task named `OneDriveSyncCheck`.
""",
        indicators=(
            "hxxps://cdn-invoice-docs[.]com/files/inv_2231.one\n"
            "185.174.101.13\n194.26.29.113\n"
            "SHA256 9f2c1a4b5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"
        ),
        sectors=("financial-services",),
        audience_organisations=("Northwind Energy",),
        audience_sectors=("financial-services",),
        sightings=(("analyst@northwind.example", 0, "One hit in proxy logs, blocked.", True),),
    ),
    DemoReport(
        author="analyst@northwind.example",
        title="Compromised jump host in an OT demilitarised zone",
        tlp=TLP.AMBER_STRICT,
        report_type=Report.Type.INCIDENT,
        summary="An attacker reused a contractor's VPN account to reach a jump host in our OT DMZ.",
        body="""A contractor account without MFA was used from an unusual address to sign in to the
VPN, then to a Windows jump host in the OT DMZ. The attacker ran reconnaissance tools and
tried to reach the historian. The host was isolated after 40 minutes.

**Ask:** has anyone seen sign-ins from the address below?
""",
        indicators="80.66.88.207",
        sectors=("energy",),
        audience_organisations=("Harbor Bank",),
        confidence=Report.Confidence.HIGH,
        comments=(("analyst@harborbank.example", "Not in our VPN logs for the last 90 days."),),
    ),
    DemoReport(
        author="analyst@northwind.example",
        title="Active intrusion: attacker still present in engineering network",
        tlp=TLP.RED,
        report_type=Report.Type.INCIDENT,
        summary="For the named recipients only: we are watching an attacker live; do not act "
        "on these indicators in ways the attacker could notice.",
        body="""We are observing an attacker in an engineering network segment and are **not yet
containing** them, to learn their objectives. Do not block or sinkhole the addresses below
until we say so: the attacker would notice.
""",
        indicators="146.70.124.51\nsync-telemetry-node[.]org",
        sectors=("energy",),
        audience_people=("analyst@harborbank.example", "curator@isac.example"),
        confidence=Report.Confidence.HIGH,
    ),
    DemoReport(
        author="curator@isac.example",
        title=WATCHED_ADVISORY,
        tlp=TLP.AMBER,
        report_type=Report.Type.ADVISORY,
        summary=(
            "A sinkholed command server logged beacons from a member's VPN gateway. The "
            "gateway runs Aurora SecureEdge VPN, whose CVE-2026-24061 is exploited this week."
        ),
        body="""## What we saw

Attackers exploit **CVE-2026-24061**, an authentication bypass in Aurora SecureEdge VPN
gateways, and install a backdoor that beacons every ten minutes. The sinkhole we run with a
partner logged beacons from the gateway at the address below, which answers for
vpn.harborbank.example.

## What to do

1. Take the gateway off the internet and image it before rebuilding.
2. Apply the vendor's fixed release to every SecureEdge gateway.
3. Reset the credentials of accounts that signed in through it since the 1st.
""",
        indicators="91.198.44.23\n194.165.16.78",
        sectors=("financial-services",),
        audience_organisations=("Harbor Bank",),
        confidence=Report.Confidence.HIGH,
    ),
    DemoReport(
        author="analyst@harborbank.example",
        title="Scanning from a research network mistaken for reconnaissance",
        tlp=TLP.GREEN,
        report_type=Report.Type.ALERT,
        summary="We reported this scanner as hostile; it is a university's measurement project.",
        body="Port scans against our perimeter came from the address below.",
        indicators="141.212.122.80",
        everyone=True,
        withdrawn="The scanner belongs to a university's internet measurement project.",
    ),
)


def _membership(email: str) -> Membership | None:
    return (
        Membership.objects.select_related("organisation", "user")
        .filter(user__email__iexact=email, is_active=True)
        .first()
    )


def seed_public_feed() -> None:
    """The ISAC publishes its public feed: the CLEAR advisory its curator released is on it.
    Only when the feed was never switched: an admin who turned it off keeps it off."""
    if not PublicFeed.objects.exists():
        public_feed_set(enabled=True, by=None)


def seed_reports() -> int:
    """Create the demo reports that do not exist yet; returns how many were created."""
    created = 0
    for spec in REPORTS:
        if Report.objects.filter(title=spec.title).exists():
            continue
        author = _membership(spec.author)
        if author is None or not is_in_good_standing(author.organisation):
            continue
        report = _share(spec, author)
        _react(spec, report)
        created += 1
    return created


def _share(spec: DemoReport, author: Membership) -> Report:
    content = ReportContent(
        title=spec.title,
        summary=spec.summary,
        body_markdown=spec.body,
        tlp=spec.tlp,
        report_type=spec.report_type,
        confidence=spec.confidence,
        attributed=spec.attributed,
        public_release=spec.public_release,
        indicators_text=spec.indicators,
        sectors=list(Sector.objects.filter(slug__in=spec.sectors)),
        audience_everyone=spec.everyone,
        audience_sectors=list(Sector.objects.filter(slug__in=spec.audience_sectors)),
        audience_organisations=list(
            Organisation.objects.filter(name__in=spec.audience_organisations)
        ),
        audience_groups=list(TrustGroup.objects.filter(name__in=spec.audience_groups)),
        audience_people=list(User.objects.filter(email__in=spec.audience_people)),
    )
    report = report_create_draft(by=author, content=content)
    report = report_submit(report=report, by=author, sensitive_confirmed=True)
    if spec.withdrawn and report.status == Report.Status.PUBLISHED:
        report = report_withdraw(report=report, by=author, reason=spec.withdrawn)
    return report


def _react(spec: DemoReport, report: Report) -> None:
    if report.status != Report.Status.PUBLISHED:
        return
    today = timezone.localdate()
    for email, days_ago, note, anonymous in spec.sightings:
        member = _membership(email)
        if member is not None and is_in_good_standing(member.organisation):
            sighting_create(
                report=report,
                by=member,
                seen_on=today - timedelta(days=days_ago),
                note=note,
                anonymous=anonymous,
            )
    for email, text in spec.comments:
        member = _membership(email)
        if member is not None and is_in_good_standing(member.organisation):
            comment_create(report=report, by=member, body=text)

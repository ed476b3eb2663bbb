"""Indicator lifecycle as members meet it: scores and validity on the page, in the API, in
STIX and in the CSV feed; sightings, false positives, marking expired, the sweep, the rules."""

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, Organisation, User
from sharing.indicator_types import IndicatorType
from sharing.lifecycle.decay import DEFAULT_RULES
from sharing.lifecycle.services import indicator_expire, indicators_sweep
from sharing.models import IndicatorExpiry, Report, ReportIndicator, Sighting, StixObject
from sharing.services import sighting_create
from sharing.stix.objects import timestamp
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.reports import shared
from tests.fixtures.taxii import IssueToken

pytestmark = pytest.mark.django_db

IP = "185.220.101.45"
DOMAIN = "login-portal-update.net"


@pytest.fixture
def share_processed(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[..., Report]:
    def share(author: User, tlp: TLP, **fields: Any) -> Report:
        with django_capture_on_commit_callbacks(execute=True):
            report = shared(author, tlp, **fields)
        report.refresh_from_db()
        return report

    return share


@pytest.fixture
def report(share_processed: Callable[..., Report], analyst_a: User) -> Report:
    return share_processed(analyst_a, TLP.GREEN, indicators_text=f"{IP}\n{DOMAIN}")


def link_of(report: Report, value: str) -> ReportIndicator:
    return ReportIndicator.objects.select_related("indicator").get(
        report=report, indicator__value=value
    )


def versions_of(report: Report, value: str) -> list[dict[str, Any]]:
    """Every stored version of the report's indicator object for the value, oldest first."""
    rows = StixObject.objects.filter(report=report, type="indicator").order_by("modified", "id")
    return [row.data for row in rows if f"'{value}'" in row.data["pattern"]]


def age(link: ReportIndicator, days: float) -> None:
    """Move the indicator's clock back, as if `days` had passed."""
    link.decay_from -= timedelta(days=days)
    assert link.valid_until is not None
    link.valid_until -= timedelta(days=days)
    link.save(update_fields=["decay_from", "valid_until"])


def csv_values(client: Client, report: Report, query: str = "") -> dict[str, dict[str, str]]:
    response = client.get(reverse("report-csv", args=[report.uuid]) + query)
    assert response.status_code == 200
    rows = csv.DictReader(io.StringIO(response.content.decode()))
    return {row["value"]: row for row in rows}


def api(client: Client, token: str, path: str, **data: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if data:
        return client.post(path, data=data, content_type="application/json", headers=headers)
    return client.get(path, headers=headers)


def test_a_shared_indicator_starts_with_its_types_score_and_validity_everywhere(
    report: Report, peer_b: User, issue_token: IssueToken, client: Client
) -> None:
    # given member A's published report with an IP address and a domain
    ip, domain = link_of(report, IP), link_of(report, DOMAIN)
    ip_days = (ip.valid_until - ip.decay_from) / timedelta(days=1)  # type: ignore[operator]
    domain_days = (domain.valid_until - domain.decay_from) / timedelta(days=1)  # type: ignore[operator]

    # then the IP is valid for about 20 days and the domain for about 103 (base score 50)
    assert ip_days == pytest.approx(20.23, abs=0.01)
    assert domain_days == pytest.approx(102.62, abs=0.01)

    # and peer B reads the same score and date in STIX, the API, the CSV and on the page
    [first] = versions_of(report, IP)
    assert first["confidence"] == 50
    assert first["valid_until"] == timestamp(ip.valid_until)  # type: ignore[arg-type]
    assert "revoked" not in first

    rows = api(client, issue_token(peer_b), f"/api/v1/indicators/?report={report.uuid}").json()
    by_value = {row["value"]: row for row in rows["results"]}
    assert by_value[IP]["score"] == 50
    assert by_value[IP]["state"] == "active"
    assert by_value[IP]["revoked"] is False
    assert by_value[IP]["valid_until"].startswith(ip.valid_until.strftime("%Y-%m-%dT%H:%M"))  # type: ignore[union-attr]

    table = csv_values(signed_in(peer_b), report)
    assert table[IP]["score"] == "50"
    assert table[IP]["state"] == "active"
    assert table[IP]["valid_until"] == timestamp(ip.valid_until)  # type: ignore[arg-type]

    page = signed_in(peer_b).get(reverse("indicator-lookup"), {"q": IP}).content.decode()
    assert ip.valid_until.strftime("%-d %b %Y") in page  # type: ignore[union-attr]
    assert '<td class="score">50</td>' in page
    assert "Flag as expired" in page  # B did not share it: B can only flag


def test_the_sweep_revokes_what_decayed_in_stix_and_the_block_list_drops_it(
    report: Report, peer_b: User
) -> None:
    # given 21 days passed: the IP's score (about 19) is below the revoke score 20
    ip = link_of(report, IP)
    age(ip, 21)

    # when the periodic sweep runs
    assert indicators_sweep() == 1

    # then the IP is revoked, with why on record, and a new STIX version says so
    ip.refresh_from_db()
    assert ip.revoked_at is not None
    expiry = IndicatorExpiry.objects.get(link=ip)
    assert expiry.kind == IndicatorExpiry.Kind.DECAYED
    assert expiry.score == 19
    first, revoked = versions_of(report, IP)
    assert revoked["revoked"] is True
    assert revoked["id"] == first["id"]
    assert revoked["modified"] > first["modified"]
    assert revoked["confidence"] == 19

    # and the CSV drops it unless asked for it, while the domain stays
    reader = signed_in(peer_b)
    assert set(csv_values(reader, report)) == {DOMAIN}
    everything = csv_values(reader, report, "?include_expired=1")
    assert everything[IP]["state"] == "revoked"
    page = reader.get(reverse("report-detail", args=[report.uuid])).content.decode()
    assert '<span class="badge warn">revoked</span>' in page
    domain = link_of(report, DOMAIN)
    assert domain.valid_until is not None
    assert domain.valid_until.strftime("%-d %b %Y") in page

    # and a second sweep changes nothing
    assert indicators_sweep() == 0
    assert len(versions_of(report, IP)) == 2


def test_an_indicator_past_valid_until_leaves_the_feed_before_the_sweep_runs(
    report: Report, peer_b: User
) -> None:
    age(link_of(report, IP), 21)
    assert IP not in csv_values(signed_in(peer_b), report)


def test_a_sighting_restarts_the_clock_and_tells_stix_consumers(
    report: Report, peer_b: User, issue_token: IssueToken, client: Client
) -> None:
    # given the IP is 15 days old (score about 25)
    ip = link_of(report, IP)
    age(ip, 15)
    before = ip.valid_until
    assert before is not None

    # when peer B reports seeing it today, over the API
    response = api(
        client,
        issue_token(peer_b),
        "/api/v1/sightings/",
        report=str(report.uuid),
        indicator=ip.indicator.stix_id,
    )
    assert response.status_code == 201, response.content

    # then the clock starts again: valid for 20 more days, score back to 50
    ip.refresh_from_db()
    assert ip.valid_until is not None
    assert ip.valid_until - before > timedelta(days=14.9)
    latest = versions_of(report, IP)[-1]
    assert latest["valid_until"] == timestamp(ip.valid_until)
    assert latest["confidence"] == 50
    # and an indicator nobody saw keeps its clock
    assert len(versions_of(report, DOMAIN)) == 1


def test_a_false_positive_sighting_lowers_the_score_and_two_revoke_it(
    report: Report, peer_b: User, outsider_c: User, org_c: Organisation, client: Client
) -> None:
    ip = link_of(report, IP)

    # when peer B says the IP was a false positive
    sighting_create(
        report=report, by=acting(peer_b), indicator=ip.indicator, kind=Sighting.Kind.FALSE_POSITIVE
    )

    # then its score halves, its validity shrinks, and STIX consumers get the new score
    ip.refresh_from_db()
    assert ip.base_score == 25
    assert ip.revoked_at is None
    latest = versions_of(report, IP)[-1]
    assert latest["confidence"] == 25
    page = signed_in(peer_b).get(reverse("indicator-lookup"), {"q": IP}).content.decode()
    assert '<td class="score">25</td>' in page
    assert "false positive" in page

    # when a second member says so too, the score (12) is below 20: revoked at once
    sighting_create(
        report=report, by=acting(peer_b), indicator=ip.indicator, kind=Sighting.Kind.FALSE_POSITIVE
    )
    ip.refresh_from_db()
    assert ip.revoked_at is not None
    assert versions_of(report, IP)[-1]["revoked"] is True


def test_a_false_positive_needs_an_indicator(report: Report, peer_b: User) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        sighting_create(report=report, by=acting(peer_b), kind=Sighting.Kind.FALSE_POSITIVE)


def test_the_reporting_organisation_expires_an_indicator_for_everyone(
    report: Report, analyst_a: User, peer_b: User
) -> None:
    ip = link_of(report, IP)

    # when analyst A marks the IP expired on the indicator page, with a reason
    response = signed_in(analyst_a).post(
        reverse("indicator-expire"),
        {"report": str(report.uuid), "indicator": ip.indicator.stix_id, "reason": "Sinkholed."},
    )
    assert response.status_code == 302

    # then it is revoked for everyone, the reason and who are on record, STIX says so
    ip.refresh_from_db()
    assert ip.revoked_at is not None
    expiry = IndicatorExpiry.objects.get(link=ip)
    assert (expiry.kind, expiry.reason) == (IndicatorExpiry.Kind.EXPIRED, "Sinkholed.")
    assert versions_of(report, IP)[-1]["revoked"] is True
    event = AuditEvent.objects.get(action="indicator.expire")
    assert event.actor == analyst_a
    assert event.after == {"indicator": ip.indicator.stix_id, "reason": "Sinkholed."}
    assert IP not in csv_values(signed_in(peer_b), report)
    page = signed_in(peer_b).get(reverse("indicator-lookup"), {"q": IP}).content.decode()
    assert ">revoked<" in page


def test_another_member_flags_an_indicator_once_and_it_stays_valid(
    report: Report, peer_b: User, issue_token: IssueToken, client: Client
) -> None:
    ip = link_of(report, IP)
    token = issue_token(peer_b)
    body = {"report": str(report.uuid), "indicator": ip.indicator.stix_id, "reason": "Ours: a CDN"}

    first = api(client, token, "/api/v1/indicators/expire/", **body)
    again = api(client, token, "/api/v1/indicators/expire/", **body)

    assert first.status_code == 201, first.content
    assert first.json()["kind"] == "flagged"
    assert again.status_code == 400
    ip.refresh_from_db()
    assert ip.revoked_at is None
    assert len(versions_of(report, IP)) == 1
    page = signed_in(peer_b).get(reverse("indicator-lookup"), {"q": IP}).content.decode()
    assert "1 organisation flagged it" in page
    assert AuditEvent.objects.filter(action="indicator.flag_expired").count() == 1


def test_marking_expired_is_refused_to_someone_who_cannot_see_it(
    share_processed: Callable[..., Report],
    analyst_a: User,
    outsider_c: User,
    org_b: Organisation,
    issue_token: IssueToken,
    client: Client,
) -> None:
    # given an AMBER report for member B only
    amber = share_processed(
        analyst_a, TLP.AMBER, audience_organisations=[org_b], indicators_text=IP
    )
    ip = link_of(amber, IP)
    body = {"report": str(amber.uuid), "indicator": ip.indicator.stix_id, "reason": "guess"}

    # when outsider C tries to mark it expired: page, API and service
    page = signed_in(outsider_c).post(reverse("indicator-expire"), body)
    through_api = api(client, issue_token(outsider_c), "/api/v1/indicators/expire/", **body)
    with pytest.raises(PermissionDenied):
        indicator_expire(link=ip, reason="guess", by=acting(outsider_c))

    # then they learn nothing (404, as for what does not exist) and nothing changed
    assert page.status_code == 404
    assert through_api.status_code == 404
    assert (
        through_api.json()
        == api(
            client,
            issue_token(outsider_c),
            "/api/v1/indicators/expire/",
            **{**body, "indicator": "indicator--00000000-0000-4000-8000-000000000000"},
        ).json()
    )
    ip.refresh_from_db()
    assert ip.revoked_at is None
    assert not IndicatorExpiry.objects.exists()
    assert len(versions_of(amber, IP)) == 1


def test_an_isac_admin_sets_a_decay_rule_on_a_page_and_validity_follows(
    report: Report, isac_admin: User, peer_b: User
) -> None:
    ip = link_of(report, IP)

    # when the ISAC admin gives IPv4 addresses 94 days
    response = signed_in(isac_admin).post(
        reverse("indicator-rules"),
        {
            "indicator_type": "ipv4",
            "lifetime_days": 94,
            "pound": 0.55,
            "revoke_score": 20,
            "base_score": 50,
        },
    )
    assert response.status_code == 302

    # then the IP stays valid twice as long, audited; URLs keep their default
    ip.refresh_from_db()
    days = (ip.valid_until - ip.decay_from) / timedelta(days=1)  # type: ignore[operator]
    assert days == pytest.approx(40.46, abs=0.01)
    event = AuditEvent.objects.get(action="indicator.decay_rule")
    assert event.actor == isac_admin
    assert event.after["lifetime_days"] == 94  # type: ignore[index]
    page = signed_in(peer_b).get(reverse("indicator-rules")).content.decode()
    assert "<td>94</td>" in page
    assert DEFAULT_RULES[IndicatorType.URL].lifetime_days == 47

    # and a member who is not an ISAC admin cannot change it
    refused = signed_in(peer_b).post(
        reverse("indicator-rules"),
        {
            "indicator_type": "ipv4",
            "lifetime_days": 1,
            "pound": 1,
            "revoke_score": 1,
            "base_score": 2,
        },
    )
    assert refused.status_code == 404
    ip.refresh_from_db()
    assert (ip.valid_until - ip.decay_from) / timedelta(days=1) == pytest.approx(40.46, abs=0.01)  # type: ignore[operator]


def test_the_api_lists_only_valid_indicators_when_asked(
    report: Report, peer_b: User, issue_token: IssueToken, client: Client
) -> None:
    age(link_of(report, IP), 21)
    token = issue_token(peer_b)
    valid = api(client, token, f"/api/v1/indicators/?report={report.uuid}&valid=true").json()
    gone = api(client, token, f"/api/v1/indicators/?report={report.uuid}&valid=false").json()
    assert [row["value"] for row in valid["results"]] == [DOMAIN]
    assert [(row["value"], row["state"]) for row in gone["results"]] == [(IP, "expired")]


def test_the_decay_sweep_runs_on_the_beat_schedule() -> None:
    from django.conf import settings

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "sharing.tasks.indicators_sweep" in scheduled


def test_an_uploaded_bundles_indicator_keeps_its_id_and_gets_lifecycle_versions(
    submit: Any, analyst_a: User, org_a: Organisation
) -> None:
    # given member A uploads a STIX bundle whose indicator says confidence 80
    bundle = {
        "type": "bundle",
        "id": "bundle--1d5a4f0e-3c1a-4b8e-9a2f-5e6d7c8b9a02",
        "objects": [
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "created": "2026-11-20T09:00:00.000Z",
                "modified": "2026-11-20T09:00:00.000Z",
                "name": "Loader C2 domain",
                "pattern": "[domain-name:value = 'cdn-update-check.net']",
                "pattern_type": "stix",
                "valid_from": "2026-11-20T09:00:00.000Z",
                "confidence": 80,
            }
        ],
    }
    submission = submit(
        organisation=org_a, submitted_by=analyst_a, kind="stix", raw=json.dumps(bundle).encode()
    )
    assert submission.report is not None
    link = link_of(submission.report, "cdn-update-check.net")

    # then its first stored version already carries the source's score and its validity
    # (a domain at 80: exp(ln(1 - 20/80) * 2.1) * 300 = 163.96 days)
    [first] = versions_of(submission.report, "cdn-update-check.net")
    assert first["id"] == "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    assert first["confidence"] == 80
    assert link.valid_until is not None
    assert (link.valid_until - link.decay_from) / timedelta(days=1) == pytest.approx(
        163.96, abs=0.01
    )
    assert first["valid_until"] == timestamp(link.valid_until)

    # when it decays and the sweep runs, the same object gets a revoked version
    age(link, 170)
    assert indicators_sweep() == 1
    latest = versions_of(submission.report, "cdn-update-check.net")[-1]
    assert latest["id"] == first["id"]
    assert latest["revoked"] is True


def test_a_sweep_in_batches_revokes_each_bundle_indicator_once_and_never_a_shared_pattern(
    submit: Any, analyst_a: User, org_a: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a bundle with three single-value indicators and one whose pattern names two values
    def indicator(n: int, pattern: str) -> dict[str, Any]:
        return {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd4{n}",
            "created": "2026-11-20T09:00:00.000Z",
            "modified": "2026-11-20T09:00:00.000Z",
            "name": f"Loader host {n}",
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": "2026-11-20T09:00:00.000Z",
            "confidence": 80,
        }

    singles = ["loader-one.net", "loader-two.net", "loader-three.net"]
    objects = [indicator(n, f"[domain-name:value = '{v}']") for n, v in enumerate(singles)]
    pair = "[domain-name:value = 'pair-one.net'] OR [domain-name:value = 'pair-two.net']"
    objects.append(indicator(9, pair))
    bundle = {"type": "bundle", "id": "bundle--1d5a4f0e-3c1a-4b8e-9a2f-5e6d7c8b9a03"}
    submission = submit(
        organisation=org_a,
        submitted_by=analyst_a,
        kind="stix",
        raw=json.dumps({**bundle, "objects": objects}).encode(),
    )
    report = submission.report
    links = list(ReportIndicator.objects.filter(report=report))
    assert {link.indicator.value for link in links} >= {*singles, "pair-one.net"}
    for link in links:
        age(link, 400)

    # when the sweep takes them one at a time (what it read of the bundle is reused)
    monkeypatch.setattr("sharing.lifecycle.services.SWEEP_BATCH", 1)
    assert indicators_sweep() == len(links)

    # then each single-value object has one revoked version with its own id, and the object
    # over two values keeps its one version (it has no single lifecycle)
    for n, value in enumerate(singles):
        versions = versions_of(report, value)
        assert [v.get("revoked", False) for v in versions] == [False, True]
        assert versions[-1]["id"] == objects[n]["id"]
    assert len(versions_of(report, "pair-one.net")) == 1

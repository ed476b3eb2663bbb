"""The rough edges a newcomer met in the quick start, over HTTP: the agreement form's date, the
announcement of a new agreement version, an organisation with no admin, the dashboards'
to-do lists, the subscription form and the webhook refusal; and the settings and clock the
demo relies on."""

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AgreementVersion, Membership, Organisation, Sector, User
from accounts.services import agreements as agreement_services
from accounts.services.invitations import invitation_create
from accounts.services.organisations import organisation_create
from portal.clock import FileClock
from tests.fixtures.members import acting, signed_in
from tests.fixtures.personas import make_person

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.django_db


@pytest.fixture
def cascade(energy: Sector) -> Organisation:
    """A member organisation whose only person is an analyst: nobody administers it."""
    org = organisation_create(
        name="Cascade Health",
        by=None,
        sectors=[energy],
        status=Organisation.Status.ACTIVE,
        domains=["cascade.test"],
    )
    make_person("analyst@cascade.test", org, Membership.Role.ANALYST)
    return org


def draft(isac_admin: User, *, label: str = "2026.2", in_days: int = 14) -> AgreementVersion:
    return agreement_services.agreement_version_create(
        by=acting(isac_admin),
        ip_address=None,
        title="Membership agreement",
        version_label=label,
        body_markdown="# Membership agreement\n\nRevised.",
        effective_date=timezone.localdate() + timedelta(days=in_days),
        renewal_period_days=365,
        may_forward_to_government=False,
        may_show_source_name=False,
        retention_days=730,
        acceptable_use="Network defence only.",
    )


def test_new_agreement_version_form_prefills_the_effective_date_as_a_date_input_shows_it(
    isac_admin: User, agreement: AgreementVersion
) -> None:
    page = signed_in(isac_admin).get("/isac/agreements/new/").content.decode()

    assert f'name="effective_date" value="{timezone.localdate().isoformat()}"' in page


def test_publishing_a_version_emails_each_member_admin_with_the_date_it_takes_effect(
    isac_admin: User,
    admin_a: User,
    admin_b: User,
    cascade: Organisation,
    settings: object,
    django_capture_on_commit_callbacks: object,
) -> None:
    version = draft(isac_admin)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        agreement_services.agreement_version_publish(version=version, by=acting(isac_admin))

    by_recipient = {tuple(m.to): m for m in mail.outbox}
    assert set(by_recipient) == {("admin@a.test",), ("admin@b.test",)}  # Cascade has no admin
    message = by_recipient[("admin@a.test",)]
    effective = version.effective_date.isoformat()
    assert message.subject == (
        f"Member A: membership agreement 2026.2 needs your acceptance (effective {effective})"
    )
    assert f"It takes effect on {effective}." in message.body
    assert f"{settings.PORTAL_BASE_URL}/organisation/agreement/" in message.body  # type: ignore[attr-defined]


def test_people_of_an_organisation_with_no_admin_are_told_whom_at_the_isac_to_ask(
    isac_admin: User, cascade: Organisation, agreement: AgreementVersion
) -> None:
    analyst = User.objects.get(email="analyst@cascade.test")
    client = signed_in(analyst)

    for url in ("/", "/organisation/agreement/"):
        page = client.get(url).content.decode()
        assert "Cascade Health has no admin" in page
        assert "mailto:admin@isac.test" in page


def test_people_of_an_organisation_with_an_admin_see_no_such_notice(
    isac_admin: User, analyst_a: User
) -> None:
    assert "has no admin" not in signed_in(analyst_a).get("/").content.decode()


def test_isac_admin_dashboard_lists_applicants_expiries_invitations_and_orgs_without_admin(
    isac_admin: User, admin_a: User, org_b: Organisation, cascade: Organisation, energy: Sector
) -> None:
    applicant = organisation_create(
        name="Applicant Utility", by=None, sectors=[energy], domains=["applicant.test"]
    )
    org_b.acceptances.update(expires_at=timezone.now() + timedelta(days=9))
    invitation_create(
        organisation=applicant,
        email="newcomer@applicant.test",
        role=Membership.Role.ORG_ADMIN,
        by=acting(isac_admin),
    )

    page = signed_in(isac_admin).get("/").content.decode()

    assert "Applicant Utility</a> is waiting for approval" in page
    assert "Peer B</a>'s acceptance runs out on" in page
    assert "newcomer@applicant.test has not joined Applicant Utility yet" in page
    assert "Cascade Health</a> has nobody who can accept" in page
    assert "Nothing is waiting for you" not in page


def test_org_admin_dashboard_lists_the_agreement_they_have_not_accepted(
    isac_admin: User, admin_a: User, org_a: Organisation
) -> None:
    org_a.acceptances.all().delete()

    page = signed_in(admin_a).get("/").content.decode()

    assert "Version 2026.1 of the membership agreement</a> needs your acceptance" in page
    assert "Nothing is waiting for you" not in page


def test_org_admin_dashboard_announces_a_scheduled_version_with_its_date(
    isac_admin: User, admin_a: User
) -> None:
    version = draft(isac_admin, in_days=10)
    agreement_services.agreement_version_publish(version=version, by=acting(isac_admin))

    page = signed_in(admin_a).get("/").content.decode()

    assert (
        f"Version 2026.2 of the membership agreement takes effect on "
        f"{version.effective_date:%-d %b %Y}" in page
    )


def test_analyst_with_nothing_to_do_reads_that_nothing_is_waiting(analyst_a: User) -> None:
    assert "Nothing is waiting for you" in signed_in(analyst_a).get("/").content.decode()


def test_subscription_form_groups_each_channels_fields_for_the_page_to_show_only_the_chosen(
    analyst_a: User, everything_feed: object
) -> None:
    page = signed_in(analyst_a).get(f"/feeds/{everything_feed.uuid}/").content.decode()  # type: ignore[attr-defined]

    assert 'type="radio" name="channel" value="portal"' in page
    webhook = page[page.index('class="for-channel for-webhook"') :]
    assert webhook.index('name="webhook_url"') < webhook.index('class="for-channel for-email"')
    email = page[page.index('class="for-channel for-email"') :]
    assert email.index('name="digest_hour"') < email.index('class="for-channel for-taxii"')


def test_webhook_on_a_private_address_is_refused_saying_an_isac_admin_can_allow_the_range(
    admin_a: User, everything_feed: object
) -> None:
    response = signed_in(admin_a).post(
        f"/feeds/{everything_feed.uuid}/",  # type: ignore[attr-defined]
        {
            "channel": "webhook",
            "webhook_url": "http://10.20.0.5/hooks",
            "email_mode": "immediate",
            "digest_hour": 8,
            "time_zone": "UTC",
        },
    )

    page = response.content.decode()
    assert "10.20.0.5 is a private address" in page
    assert "once an ISAC admin allows its address range" in page


def test_a_cloud_metadata_address_is_refused_without_suggesting_an_allowance(
    admin_a: User,
) -> None:
    from sharing.fanout.services import webhook_url_problem

    problem = webhook_url_problem("http://169.254.169.254/latest")

    assert problem is not None
    assert "metadata" in problem
    assert "ISAC admin" not in problem


def _setting(env: dict[str, str], name: str) -> str:
    code = (
        f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_links_use_the_port_served_unless_the_base_url_is_set(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_VAR_DIR": str(tmp_path),
    }
    assert _setting(env, "PORTAL_BASE_URL") == "http://127.0.0.1:8000"
    assert _setting({**env, "PORT": "8101"}, "PORTAL_BASE_URL") == "http://127.0.0.1:8101"
    chosen = {**env, "PORT": "8101", "PORTAL_BASE_URL": "https://portal.example.org"}
    assert _setting(chosen, "PORTAL_BASE_URL") == "https://portal.example.org"


def test_the_demo_clock_is_refused_outside_embedded_debug_mode(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_VAR_DIR": str(tmp_path),
        "PORTAL_CLOCK_FILE": str(tmp_path / "clock"),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "PORTAL_CLOCK_FILE is honoured only in embedded mode with DEBUG=1" in result.stderr


def test_the_demo_clock_reads_the_time_written_and_runs_on_from_it(tmp_path: Path) -> None:
    clock = FileClock(tmp_path / "clock")
    real = datetime.now(UTC)
    assert abs(clock.now() - real) < timedelta(seconds=1)  # no file: the real time

    (tmp_path / "clock").write_text("2030-01-02T06:59:58-06:00")
    first = clock.now()
    time.sleep(0.2)
    later = clock.now()

    told = datetime.fromisoformat("2030-01-02T06:59:58-06:00")
    assert timedelta(0) <= first - told < timedelta(seconds=1)
    assert later > first


def test_embedded_runner_holds_a_task_for_its_countdown_or_eta_and_runs_others_at_once() -> None:
    from portal.embedded import deferral

    assert deferral({"countdown": 10}) == 10
    soon = datetime.now(UTC) + timedelta(seconds=30)
    assert 29 < (deferral({"eta": soon}) or 0) <= 30
    assert deferral({}) is None
    assert deferral({"countdown": 0}) is None
    assert deferral({"eta": datetime.now(UTC) - timedelta(seconds=5)}) is None


def test_a_mistyped_demo_clock_file_keeps_the_clock_where_it_was(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    path.write_text("2030-01-02T06:59:58+00:00")
    clock = FileClock(path)
    before = clock.now()

    path.write_text("tomorrow at seven")

    assert timedelta(0) <= clock.now() - before < timedelta(seconds=1)

"""The quick start as a newcomer meets it: `scripts/demo` itself in a subprocess, in Chromium.

The demo runs exactly as the README says, with its own SQLite and var directory in a
temporary folder, on a free port, with no DATABASE_URL or REDIS_URL. It shows what only the
running demo can: the periodic schedule runs in-process (a failed webhook is retried and
delivered once the receiver is back; the daily digest goes out at its hour, on a clock the
test moves through PORTAL_CLOCK_FILE), the start log is quiet, and every link in e-mails and
webhook payloads uses the port served. Screenshots of the pages the quick start fixed go to
test-artifacts/screenshots/demo-*.png.
"""

import base64
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, expect

from tests.fixtures.browser import screenshot
from tests.fixtures.fanout import Receiver, free_port

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "isac-demo-password"
# The demo's digest subscription: admin@northwind.example, daily at 07:00 in Chicago.
CHICAGO = ZoneInfo("America/Chicago")
# Variables that would take the demo out of embedded mode or point it at CI's services.
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "REQUIRE_SERVICES")
# One demo serves the whole module, so its tests stay in one test process (scripts/test).
pytestmark = pytest.mark.xdist_group("demo")


@dataclass
class Demo:
    url: str
    port: int
    log: Path
    clock_file: Path
    process: subprocess.Popen[bytes]

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def set_clock(self, moment: datetime) -> None:
        """Move the demo's clock (portal/clock.py): it reads `moment` now and runs on."""
        self.clock_file.write_text(moment.isoformat())

    def wait_for_output(self, pattern: str, *, timeout: float, after: int = 0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.compile(pattern, re.S).search(self.output(), after)
            if found:
                return found
            assert self.process.poll() is None, f"the demo stopped:\n{self.output()[-3000:]}"
            time.sleep(0.25)
        raise AssertionError(f"{pattern!r} not in the demo's output:\n{self.output()[-3000:]}")


def _next_chicago_morning() -> datetime:
    """06:50 in Chicago on a day to come, so every moment the test sets is in the future."""
    tomorrow = datetime.now(CHICAGO).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 6, 50, tzinfo=CHICAGO)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    var = tmp_path_factory.mktemp("demo-var")
    port = free_port()
    clock_file = var / "clock"
    clock_file.write_text(_next_chicago_morning().isoformat())
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env |= {
        "PORT": str(port),
        "PORTAL_VAR_DIR": str(var),
        "PORTAL_CLOCK_FILE": str(clock_file),
        # The sweep (digests at their hour) every second instead of every 30, to keep CI quick.
        "FANOUT_SWEEP_SECONDS": "1",
        # The test's webhook receiver listens on loopback, which only the operator may open.
        "FANOUT_ALLOWED_NETWORKS": "127.0.0.1/32",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    env.pop("PORTAL_BASE_URL", None)
    log = var / "demo.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "demo")],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Demo(f"http://127.0.0.1:{port}", port, log, clock_file, process)
    try:
        running.wait_for_output(r"The portal is running at ", timeout=240)
        yield running
    finally:
        # Ctrl-C, as a person stops it; the scheduler's threads end with the process.
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail(f"Ctrl-C did not stop the demo:\n{running.output()[-2000:]}")


@pytest.fixture
def new_page(browser: Browser, demo: Demo) -> Iterator[Callable[[], Page]]:
    """Pages in separate browser contexts: one per person signed in at the same time."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(base_url=demo.url, viewport={"width": 1280, "height": 860})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_in_pairing_authenticator(page: Page, email: str) -> None:
    """ISAC staff pair an authenticator at their first sign-in; the key is on the page."""
    sign_in(page, email)
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    key = page.locator(".secret-key").inner_text().replace(" ", "")
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    page.get_by_label("Code").fill(f"{totp(secret):06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def email_after(demo: Demo, subject: str, *, timeout: float, after: int = 0) -> str:
    """The next e-mail the demo printed (console e-mail backend) with that subject."""
    found = demo.wait_for_output(
        r"Subject: [^\n]*" + subject + r".*?\n-{79}", timeout=timeout, after=after
    )
    return found.group(0)


def test_the_quick_start_starts_quietly_on_its_port(demo: Demo) -> None:
    output = demo.output()
    start_log = output[: output.index("Ctrl-C stops it.")]
    assert f"The portal is running at http://127.0.0.1:{demo.port}/" in start_log
    assert "isac-demo-password" in start_log
    assert "two-factor sign-in" in start_log
    for noise in ("WARNING", "Warning", "kombu", "setuptools", "license", "Traceback"):
        assert noise not in start_log, start_log


def test_the_demo_shows_delivery_working_with_retries_and_the_digest_at_its_hour(
    demo: Demo, new_page: Callable[[], Page]
) -> None:
    # given: the ISAC admin signs in (pairing an authenticator) and sees what waits for them
    admin = new_page()
    sign_in_pairing_authenticator(admin, "admin@isac.example")
    waiting = admin.locator("#dash-wait").locator("..")
    expect(waiting).to_contain_text("Cascade Health has nobody who can accept")
    expect(waiting).to_contain_text("Harbor Bank's acceptance runs out")
    screenshot(admin, "demo-dashboard-isac-admin")

    # when: they draft the next agreement version, prefilled with the demo clock's date
    admin.goto("/isac/agreements/")
    admin.get_by_role("link", name="New version").click()
    today = (_next_chicago_morning() + timedelta(minutes=1)).astimezone(ZoneInfo("UTC")).date()
    expect(admin.get_by_label("Effective date")).to_have_value(today.isoformat())
    screenshot(admin, "demo-agreement-version-form")
    effective = today + timedelta(days=14)
    admin.get_by_label("Version label").fill("2026.2")
    admin.get_by_label("Effective date").fill(effective.isoformat())
    admin.get_by_role("button", name=re.compile("Save")).click()
    mark = len(demo.output())
    admin.get_by_role("button", name="Publish").click()
    expect(admin.get_by_text("Version 2026.2 published")).to_be_visible()

    # then: Northwind's admin is e-mailed, with the effective date and a link on this port
    announcement = email_after(demo, "2026.2 needs your acceptance", timeout=15, after=mark)
    assert "admin@northwind.example" in announcement
    assert f"takes effect on {effective.isoformat()}" in announcement
    assert f"http://127.0.0.1:{demo.port}/organisation/agreement/" in announcement

    # and: Cascade Health's analyst, with no admin, is told whom at the ISAC to ask
    member = new_page()
    sign_in(member, "analyst@cascadehealth.example")
    notice = member.get_by_role("region", name="Cascade Health has no admin")
    expect(notice).to_contain_text("admin@isac.example")
    screenshot(member, "demo-dashboard-organisation-without-admin")
    member.get_by_role("button", name="Sign out").click()

    # and: Northwind's admin sees the version waiting for their acceptance
    sign_in(member, "admin@northwind.example")
    expect(member.locator("#dash-wait").locator("..")).to_contain_text(
        "Version 2026.2 of the membership agreement takes effect on"
    )
    screenshot(member, "demo-dashboard-org-admin")

    # when: they subscribe a webhook on their own network, the form shows only its fields
    member.get_by_role("link", name="Feeds", exact=True).first.click()
    member.get_by_role("link", name="Everything I can see").click()
    member.get_by_label("Webhook", exact=True).check()
    expect(member.get_by_label("Webhook URL")).to_be_visible()
    expect(member.get_by_label("Digest hour")).to_be_hidden()
    member.get_by_label("Webhook URL").fill("http://10.20.30.40:8443/hook")
    member.get_by_role("button", name="Subscribe").click()

    # then: a private address is refused, saying an ISAC admin can allow the range
    expect(member.locator(".form-error")).to_contain_text("an ISAC admin allows")
    screenshot(member, "demo-webhook-refused")
    # and the admin can never open loopback from the portal: only the operator can
    # (FANOUT_ALLOWED_NETWORKS, set for this demo so its receiver on 127.0.0.1 is reachable)
    admin.goto("/feeds/allow-list/")
    admin.get_by_label("Network").fill("127.0.0.0/8")
    admin.get_by_role("button", name="Allow").click()
    expect(admin.locator(".form-error, .errorlist").first).to_contain_text("loopback")
    receiver = Receiver(port=free_port())
    member.get_by_label("Webhook URL").fill(receiver.url)
    member.get_by_role("button", name="Subscribe").click()
    expect(member.locator("#webhook-secret")).to_contain_text("whsec_")

    # when: Harbor Bank shares a report while Northwind's receiver is down
    analyst = new_page()
    sign_in(analyst, "analyst@harborbank.example")
    analyst.get_by_role("link", name="Share a report").first.click()
    analyst.get_by_label("Title").fill("Quick start check: credential phishing wave")
    analyst.get_by_label("Summary").fill("Phishing pages imitating a payroll provider.")
    analyst.get_by_label("Body").fill("Seen at three members this morning.")
    analyst.get_by_label("TLP", exact=True).select_option("green")
    analyst.get_by_label("The whole membership").check()
    analyst.get_by_label("Indicators").fill("payroll-login-portal[.]com")
    analyst.get_by_role("button", name="Preview before sharing").click()
    analyst.get_by_role("button", name="Confirm and share").click()
    expect(analyst.get_by_text("Shared. Recipients can read it now.")).to_be_visible()

    # then: the first attempt failed and a retry is planned
    member.goto("/feeds/deliveries/")
    row = member.locator("tr", has_text="Quick start check").filter(has_text="Webhook")
    expect(row).to_contain_text("Pending")
    expect(row).to_contain_text(re.compile("refused|connect", re.I))
    screenshot(member, "demo-delivery-log-failed")

    # when: the receiver comes back, the retry (about ten seconds later) delivers it
    receiver.start()
    try:
        deadline = time.monotonic() + 30
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.25)
    finally:
        receiver.stop()
    [delivered] = receiver.requests
    payload = json.loads(delivered.body)
    assert "Quick start check" in json.dumps(payload)
    assert f"http://127.0.0.1:{demo.port}/reports/" in json.dumps(payload)
    member.reload()
    expect(row).to_contain_text("Delivered")
    expect(row.locator("td").nth(5)).to_have_text("2")
    screenshot(member, "demo-delivery-log-delivered")

    # then: no digest before 07:00 in Chicago, even with the sweep running every second
    time.sleep(3)
    assert "Your daily digest" not in demo.output()

    # when: the demo's clock reaches 07:00 in Chicago
    mark = len(demo.output())
    seven = _next_chicago_morning().replace(hour=7, minute=0)
    demo.set_clock(seven - timedelta(seconds=3))

    # then: Northwind's admin gets the digest with the report, linked on this port
    digest = email_after(demo, "Your daily digest", timeout=20, after=mark)
    assert "admin@northwind.example" in digest
    assert "Quick start check: credential phishing wave" in digest
    assert f"http://127.0.0.1:{demo.port}/reports/" in digest
    assert "127.0.0.1:8000" not in demo.output()

    # and: the newer lanes have demo data, read by the people already signed in.
    # Northwind's admin reads Harbor Bank's answer to Northwind's request, and the summary
    # of the request Harbor Bank closed
    member.goto("/rfis/")
    member.get_by_role("link", name=re.compile("MFA codes relayed")).click()
    expect(member.locator("#answers")).to_contain_text("Harbor Bank")
    expect(member.locator("#answers")).to_contain_text("Both sessions were used within 20 min")
    member.goto("/rfis/?status=closed")
    member.get_by_role("link", name=re.compile("scanned from 141.212.122.80")).click()
    expect(member.locator(".rfi-summary")).to_contain_text("internet measurement project")
    # Harbor Bank's analyst sees the alert its watch list raised, acknowledged, and the
    # answer "investigating" on the report
    analyst.goto("/alerts/")
    alert = analyst.locator("tr.alert-row", has_text="SecureEdge VPN gateways")
    expect(alert).to_contain_text("CVE-2026-24061")
    expect(alert).to_contain_text("91.198.44.23")
    expect(alert).to_contain_text("Acknowledged")
    alert.get_by_role("link", name=re.compile("SecureEdge")).click()
    expect(analyst.locator(".ack-impact")).to_have_text("Investigating")
    # and its figures, counted by the refresh beat runs: one answer given, one alert received
    analyst.goto("/figures/")
    expect(analyst.locator('[data-figure="rfi_answers_given"]').first).to_have_text("1")
    expect(analyst.locator('[data-figure="alerts_received"]').first).to_have_text("1")
    expect(analyst.locator('[data-figure="reports_shared"]').first).not_to_have_text("0")
    # The ISAC admin sees the peer ISAC polled by the schedule (this portal's own TAXII
    # server on the demo's port) and what it brought marked on members' reports
    admin.goto("/isac/peers/")
    admin.get_by_role("link", name="Mirror ISAC").click()
    status = admin.locator("section.card").first
    expect(status).to_contain_text(f"http://127.0.0.1:{demo.port}/taxii2/portal/")
    last_success = status.locator('dt:text-is("Last success") + dd')
    # The first poll runs 10 seconds after the start (scripts/demo), long before this.
    deadline = time.monotonic() + 20
    while last_success.inner_text() == "never" and time.monotonic() < deadline:
        time.sleep(1)
        admin.reload()
    expect(last_success).not_to_have_text("never")
    expect(status.locator('dt:text-is("State") + dd')).to_have_text("ok")
    expect(status.locator('dt:text-is("Pulled") + dd')).to_contain_text(
        re.compile(r"\d+ already known")
    )
    admin.goto("/reports/")
    admin.get_by_role(
        "link", name="Phishing wave impersonating an OT vendor's support portal"
    ).click()
    expect(admin.locator(".also-reported")).to_have_text("Also reported by peer Mirror ISAC.")
    # and the phishing page's URL, ended by its source, is no longer valid
    ended = admin.locator(".indicators-table tr", has_text="support-portal-sso.net/auth/login")
    expect(ended).to_contain_text("revoked")


def test_the_subscription_form_shows_only_the_chosen_channels_fields(
    demo: Demo, new_page: Callable[[], Page]
) -> None:
    page = new_page()
    sign_in(page, "analyst@harborbank.example")
    page.get_by_role("link", name="Feeds", exact=True).first.click()
    page.get_by_role("link", name="Everything I can see").click()
    page.get_by_label("E-mail", exact=True).check()
    expect(page.get_by_label("Webhook URL")).to_be_hidden()
    expect(page.get_by_label("Digest hour")).to_be_hidden()
    page.get_by_label("Daily digest").check()
    expect(page.get_by_label("Digest hour")).to_be_visible()
    screenshot(page, "demo-subscription-form-email-digest")

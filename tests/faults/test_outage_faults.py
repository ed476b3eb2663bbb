"""Outages of Redis and PostgreSQL, against the portal running under gunicorn: answers keep
their form, and work committed while the broker is away is not lost. The outages are made
on a private Redis and on a proxy to PostgreSQL; the shared services are never touched."""

import secrets
from typing import Any

import httpx
import pytest

from accounts.models import User
from sharing.models import Report, Submission
from sharing.taxii.protocol import TAXII_MEDIA_TYPE
from tests.faults.conftest import PrivateRedis, StartServer, database_url, wait_for
from tests.faults.proxy import TcpProxy
from tests.fixtures.members import signed_in
from tests.fixtures.reports import draft
from tests.fixtures.taxii import IssueToken

pytestmark = pytest.mark.services


def session_headers(user: User) -> dict[str, str]:
    """A signed-in browser's cookies (the session lives in the shared test database) and a
    CSRF token to post with."""
    session = signed_in(user).cookies["sessionid"].value
    csrf = secrets.token_hex(16)
    return {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}


def test_with_redis_down_the_api_and_taxii_answer_and_sharing_a_report_succeeds(
    portal_server: StartServer,
    private_redis: PrivateRedis,
    analyst_a: User,
    peer_b: User,
    issue_token: IssueToken,
) -> None:
    # given the portal running on a Redis that then goes away
    server = portal_server(REDIS_URL=private_redis.url)
    token = issue_token(peer_b)
    report = draft(analyst_a, audience_everyone=True)
    private_redis.stop()
    bearer = {"Authorization": f"Bearer {token}"}

    with httpx.Client(base_url=server.url, timeout=30) as http:
        # when an API client, a TAXII client and an analyst use it
        api = http.get("/api/v1/reports/", headers=bearer)
        taxii = http.get("/taxii2/portal/", headers={**bearer, "Accept": TAXII_MEDIA_TYPE})
        confirm = http.post(
            f"/reports/{report.uuid}/preview/",
            headers=session_headers(analyst_a),
            data={"confirm_sensitive": "1"},
        )
        health = http.get("/healthz")

    # then they get their answers; the health check tells the operator
    assert api.status_code == 200, api.text[:500]
    assert api.headers["Content-Type"] == "application/json"
    assert taxii.status_code == 200, taxii.text[:500]
    assert taxii.json()["title"] == "ISAC portal"
    assert confirm.status_code == 302, confirm.text[:500]
    assert confirm.headers["Location"] == f"/reports/{report.uuid}/"
    report.refresh_from_db()
    assert report.status == Report.Status.PUBLISHED
    assert health.status_code == 503
    # and the lost message is in the log, left to the sweep
    assert "the periodic sweep will send it" in server.child.output()


def test_submission_accepted_while_redis_is_down_is_normalised_by_the_sweep_later(
    portal_server: StartServer,
    private_redis: PrivateRedis,
    analyst_a: User,
    issue_token: IssueToken,
) -> None:
    from sharing.normalize.services import submission_sweep

    server = portal_server(REDIS_URL=private_redis.url)
    token = issue_token(analyst_a)
    private_redis.stop()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        created = http.post(
            "/api/v1/submissions/",
            json={"kind": "text", "content": "C2 at evil-login.example.net"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert created.status_code == 202, created.text[:500]
    submission = Submission.objects.get(uuid=created.json()["id"])
    assert submission.status == Submission.Status.QUEUED

    # Redis is back; once the row is older than the stale time the sweep sends it again.
    Submission.objects.filter(pk=submission.pk).update(
        created_at=submission.created_at.replace(year=2000)
    )
    Submission.objects.filter(pk=submission.pk).update(
        updated_at=submission.created_at.replace(year=2000)
    )
    assert submission_sweep() == 1


def _assert_error_forms(
    http: httpx.Client, status: int, token: str, browser: dict[str, str]
) -> dict[str, Any]:
    page = http.get("/reports/", headers=browser)
    api = http.get("/api/v1/reports/", headers={"Authorization": f"Bearer {token}"})
    taxii = http.get(
        "/taxii2/", headers={"Authorization": f"Bearer {token}", "Accept": TAXII_MEDIA_TYPE}
    )
    assert page.status_code == status, page.text[:300]
    assert 'class="topbar"' in page.text  # the portal's layout
    assert "Service unavailable" in page.text
    assert api.status_code == status
    assert api.headers["Content-Type"] == "application/json"
    assert api.json()["code"] == "service_unavailable"
    assert taxii.status_code == status
    assert taxii.headers["Content-Type"] == TAXII_MEDIA_TYPE
    assert taxii.json()["http_status"] == str(status)
    assert page.headers["Retry-After"] == "30"
    return {"page": page, "api": api, "taxii": taxii}


def test_with_postgresql_down_every_answer_keeps_its_form_and_the_portal_recovers(
    portal_server: StartServer,
    database_proxy: TcpProxy,
    private_redis: PrivateRedis,
    peer_b: User,
    issue_token: IssueToken,
) -> None:
    token = issue_token(peer_b)
    browser = session_headers(peer_b)
    server = portal_server(
        DATABASE_URL=database_url(host="127.0.0.1", port=database_proxy.port),
        REDIS_URL=private_redis.url,
    )
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.get("/api/v1/reports/", headers=bearer).status_code == 200

        # when the database goes away
        database_proxy.cut()
        _assert_error_forms(http, 503, token, browser)

        # then it comes back and so does the portal, unaided
        database_proxy.restore()
        assert wait_for(
            lambda: http.get("/api/v1/reports/", headers=bearer).status_code == 200, timeout=30
        )
        assert http.get("/reports/", headers=browser).status_code == 200

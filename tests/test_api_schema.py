"""The OpenAPI schema documents the API, and the API keeps to it (schemathesis)."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings

from accounts.models import User
from accounts.services.tokens import token_issue


def test_schema_is_served_as_openapi_3_and_names_the_token_scheme(client: Client, db: None) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


def test_api_docs_page_loads_its_assets_from_the_portal_itself(client: Client, db: None) -> None:
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()


@pytest.fixture
def api_schema(db: None) -> Iterator[Any]:
    # A fresh WSGI application, so it is built with the test settings. Like Django's test
    # client, keep requests from closing the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_token(analyst_a: User) -> str:
    _, plaintext = token_issue(membership=analyst_a.memberships.get(), name="fuzz", by=None)
    return plaintext


def test_api_answers_every_generated_request_within_its_schema(
    api_schema: Any, api_token: str
) -> None:
    headers = {"Authorization": f"Bearer {api_token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert operations

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            case.call_and_validate(headers=headers)

        call()

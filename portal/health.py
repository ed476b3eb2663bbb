"""/healthz: the state of the database, Redis and the Celery workers, for load balancers."""

import hmac
import ipaddress
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.celery import app as celery_app

CHECK_TIMEOUT_SECONDS = 2.0


def _database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy, and is reported
        return False, f"error: {type(exc).__name__}"
    return True, f"ok ({connection.vendor})"


def _redis() -> tuple[bool, str]:
    if not settings.REDIS_URL:
        return True, "not configured (embedded mode)"
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
            socket_timeout=CHECK_TIMEOUT_SECONDS,
        )
        client.ping()
    except redis.RedisError as exc:
        return False, f"error: {type(exc).__name__}"
    return True, "ok"


def _worker(redis_ok: bool) -> tuple[bool, str]:
    if celery_app.conf.task_always_eager:
        return True, "in-process (embedded mode)"
    if not redis_ok:
        return False, "unknown: the broker is unreachable"
    try:
        replies = celery_app.control.ping(timeout=CHECK_TIMEOUT_SECONDS, limit=1)
    except Exception as exc:  # noqa: BLE001 - reported as unhealthy
        return False, f"error: {type(exc).__name__}"
    if not replies:
        return False, "no worker answered"
    return True, f"ok ({next(iter(replies[0]))})"


def _peers(db_ok: bool) -> dict[str, Any] | None:
    """Peers whose pulls have failed for longer than PEERS_FAILING_ALERT_MINUTES."""
    if not db_ok:
        return None
    from sharing.peers.selectors import peer_health

    try:
        return peer_health()
    except DatabaseError:
        return None


def _may_see_detail(request: HttpRequest) -> bool:
    """A monitor: the configured token, or a caller from an allowed network."""
    token = settings.HEALTHZ_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address.version == network.version and address in network
        for network in (
            ipaddress.ip_network(value, strict=False) for value in settings.HEALTHZ_ALLOWED_NETWORKS
        )
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_state = _database()
    redis_ok, redis_state = _redis()
    worker_ok, worker_state = _worker(redis_ok)
    healthy = db_ok and redis_ok and worker_ok
    body: dict[str, object] = {"status": "ok" if healthy else "unhealthy"}
    if _may_see_detail(request):
        # Names the database engine, the worker hosts and the peers: for monitors only.
        body.update(database=db_state, redis=redis_state, worker=worker_state)
        peers = _peers(db_ok)
        if peers is not None:
            # A peer ISAC failing for long is the operator's to fix but does not make this
            # node unfit to serve: it is reported, not turned into a 503.
            body["peers"] = peers["state"]
            body["peers_failing"] = peers["failing"]
    return JsonResponse(body, status=200 if healthy else 503)

"""Loaded before Django's settings (`-p tests.parallel` in pyproject.toml): gives each
pytest-xdist worker Redis databases of its own.

Each worker already gets its own PostgreSQL test database from pytest-django, but they would
share REDIS_URL: one worker's Celery tasks would be consumed by the other's worker thread,
and purges, caches and rate limits would cross. Worker n uses the database index of
REDIS_URL plus 2n, leaving the index after it to its second portal instance
(`tests/fixtures/instances.py`).
"""

import os
import re
from urllib.parse import urlsplit, urlunsplit

REDIS_DATABASES = 16  # Redis's default `databases` setting


def _worker_redis_url(url: str, worker: str) -> str:
    number = int(re.sub(r"\D", "", worker) or 0)
    parts = urlsplit(url)
    index = int(parts.path.strip("/") or 0) + 2 * number
    if index + 1 >= REDIS_DATABASES:
        raise RuntimeError(
            f"pytest-xdist worker {worker} would need Redis database {index} and {index + 1}; "
            f"set REDIS_URL to a lower index (each worker takes two)."
        )
    return urlunsplit(parts._replace(path=f"/{index}"))


_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = _worker_redis_url(os.environ["REDIS_URL"], _worker)

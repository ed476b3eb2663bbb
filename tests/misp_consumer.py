"""A small MISP feed consumer that does what MISP's feed fetcher does, for the tests.

MISP (app/Model/Feed.php, source format "MISP Feed"): GET manifest.json with the headers
configured on the feed and If-None-Match; for each event in the manifest, fetch
<uuid>.json when it holds no copy or the manifest's timestamp is newer than its copy's;
then GET hashes.csv for its overlap cache. Events are read with PyMISP's `MISPEvent`, the
MISP project's own model, so whatever it cannot load fails the test.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.test import Client
from pymisp import MISPEvent


@dataclass
class MispFeedConsumer:
    client: Client
    base_url: str  # the feed's folder, ending in "/", as entered in MISP
    token: str
    events: dict[str, MISPEvent] = field(default_factory=dict)
    hashes: list[tuple[str, str]] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    etag: str | None = None

    def _get(self, name: str, **headers: str) -> Any:
        headers["Authorization"] = f"Bearer {self.token}"
        return self.client.get(self.base_url + name, headers=headers)

    def pull(self) -> list[str]:
        """One fetch run; returns the uuids of the events it (re)fetched, in order."""
        conditional = {"If-None-Match": self.etag} if self.etag else {}
        response = self._get("manifest.json", **conditional)
        if response.status_code == 304:
            return []
        assert response.status_code == 200, response.status_code
        self.etag = response.get("ETag")
        self.manifest = json.loads(body_of(response))
        fetched = []
        for event_uuid, entry in self.manifest.items():
            held = self.events.get(event_uuid)
            if held is not None and unix(held.timestamp) >= int(entry["timestamp"]):
                continue
            event_response = self._get(f"{event_uuid}.json")
            assert event_response.status_code == 200, event_response.content[:300]
            event = MISPEvent()
            event.load(event_response.content.decode())
            self.events[event_uuid] = event
            fetched.append(event_uuid)
        hashes = self._get("hashes.csv")
        assert hashes.status_code == 200
        text = body_of(hashes).decode()
        self.hashes = [(row[0], row[1]) for row in csv.reader(io.StringIO(text)) if row]
        return fetched


def unix(moment: Any) -> int:
    """A PyMISP timestamp (a datetime once loaded) in Unix seconds, as MISP compares them."""
    return int(moment.timestamp()) if isinstance(moment, datetime) else int(moment)


def body_of(response: Any) -> bytes:
    """The body of a plain or streamed response."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)

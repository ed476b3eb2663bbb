"""Writing normalisation output: versioned STIX rows and deduplicated indicator links.

Used only by services.py, inside its transaction. On PostgreSQL both go through COPY (a
100,000-object bundle is too many rows for INSERT statements); elsewhere through the ORM.
"""

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from sharing.models import (
    Indicator,
    Report,
    ReportIndicator,
    StixObject,
    StixVersionHead,
    Submission,
)
from sharing.normalize.pipeline import Classified, KeptIndicator
from sharing.stix.objects import parse_timestamp, stix_id_for, timestamp

BATCH = 2000


class VersionStore:
    """Writes objects as StixObject rows, one new version per changed object.

    An object equal to its latest stored version (apart from `modified`) is not stored again;
    a changed one keeps its id and `created` and gets a `modified` later than the last one.
    """

    def __init__(
        self,
        *,
        report: Report,
        submission: Submission | None,
        now: datetime,
        version: int | None = None,
    ) -> None:
        self.report = report
        self.submission = submission
        self.now = now
        # The report version these objects belong to: given (a new version of one object
        # stays with the version its predecessor was shared under), else the one the
        # submission was made for (a revision analysed late still belongs to its own
        # version), else the current one.
        self.version = (
            version or (submission.report_version if submission else None) or report.version
        )
        self.refs: list[str] = []
        self._has_rows = StixObject.objects.filter(report=report).exists()
        self._written: set[tuple[str, datetime]] = set()
        self._timestamps: dict[str, datetime] = {}

    def add(self, objects: Iterable[dict[str, Any]]) -> None:
        batch: list[dict[str, Any]] = []
        for obj in objects:
            batch.append(obj)
            if len(batch) >= BATCH:
                self._write(batch)
                batch = []
        if batch:
            self._write(batch)

    def carry_forward(self) -> None:
        """Make every object of the report part of this version.

        A report is the sum of what its submissions brought: an upload's objects stay with
        it when a revision re-reads only the text. Their newest rows move up to this version
        so its audience reads them, like objects the text yields unchanged (older rows stay
        with the versions they were shared under)."""
        newest = (
            StixObject.objects.filter(report=self.report, stix_id=OuterRef("stix_id"))
            .order_by("-modified", "-id")
            .values("pk")[:1]
        )
        StixObject.objects.filter(
            report=self.report, report_version__lt=self.version, pk=Subquery(newest)
        ).update(report_version=self.version)

    def _latest(self, ids: list[str]) -> dict[str, StixObject]:
        if not self._has_rows:
            return {}
        latest: dict[str, StixObject] = {}
        for row in StixObject.objects.filter(report=self.report, stix_id__in=ids).order_by(
            "stix_id", "-modified"
        ):
            latest.setdefault(row.stix_id, row)
        return latest

    def _write(self, batch: list[dict[str, Any]]) -> None:
        latest = self._latest([obj["id"] for obj in batch])
        rows: list[tuple[str, str, str, datetime, dict[str, Any]]] = []
        unchanged: list[int] = []
        for obj in batch:
            self.refs.append(obj["id"])
            previous = latest.get(obj["id"])
            if previous is not None:
                if _same(previous.data, obj):
                    if previous.report_version < self.version:
                        unchanged.append(previous.pk)
                    continue
                obj = _next_version(obj, previous)
            modified = self._modified(obj.get("modified") or obj.get("created"))
            if self._first_time((obj["id"], modified)):
                rows.append((obj["id"], obj["type"], obj.get("spec_version", "2.1"), modified, obj))
        if unchanged:
            # Unchanged in the new version: part of it too, so readable by its audience.
            StixObject.objects.filter(pk__in=unchanged).update(report_version=self.version)
        if not rows:
            return
        newest: dict[str, datetime] = {}
        for stix_id, _, _, modified, _ in rows:
            newest[stix_id] = max(modified, newest.get(stix_id, modified))
        heads = version_heads_raise(newest)
        if connection.vendor == "postgresql":
            self._copy(rows, heads)
            return
        StixObject.objects.bulk_create(
            StixObject(
                stix_id=stix_id,
                type=object_type,
                spec_version=spec_version,
                modified=modified,
                date_added=self.now,
                data=data,
                is_newest=modified >= heads[stix_id],
                report=self.report,
                submission=self.submission,
                report_version=self.version,
            )
            for stix_id, object_type, spec_version, modified, data in rows
        )

    def _copy(
        self,
        rows: list[tuple[str, str, str, datetime, dict[str, Any]]],
        heads: dict[str, datetime],
    ) -> None:
        """COPY instead of INSERT: several times faster for 100,000-object bundles."""
        with connection.cursor() as cursor, cursor.cursor.copy(_COPY_SQL) as copy:
            for stix_id, object_type, spec_version, modified, data in rows:
                copy.write_row(
                    (
                        stix_id,
                        object_type,
                        spec_version,
                        modified,
                        self.now,
                        json.dumps(data, separators=(",", ":")),
                        modified >= heads[stix_id],
                        self.report.pk,
                        self.submission.pk if self.submission is not None else None,
                        self.version,
                    )
                )

    def _modified(self, value: Any) -> datetime:
        if not isinstance(value, str):
            return self.now
        parsed = self._timestamps.get(value)
        if parsed is None:
            parsed = self._timestamps[value] = parse_modified(value, self.now)
        return parsed

    def _first_time(self, key: tuple[str, datetime]) -> bool:
        """A bundle may repeat an object version; it is stored once."""
        if key in self._written:
            return False
        self._written.add(key)
        return True


_COPY_SQL = (
    "COPY sharing_stixobject (stix_id, type, spec_version, modified, date_added, data, "
    "is_newest, report_id, submission_id, report_version) FROM STDIN"
)

# In id order, so two writers sharing ids take the row locks in the same order.
_RAISE_HEADS_SQL = """
INSERT INTO sharing_stixversionhead AS head (stix_id, modified)
SELECT stix_id, modified FROM unnest(%s::varchar[], %s::timestamptz[]) AS new (stix_id, modified)
ORDER BY stix_id
ON CONFLICT (stix_id) DO UPDATE SET modified = GREATEST(head.modified, EXCLUDED.modified)
RETURNING stix_id, modified
"""
_SUPERSEDE_SQL = """
UPDATE sharing_stixobject AS version SET is_newest = FALSE
FROM sharing_stixversionhead AS head
WHERE head.stix_id = ANY(%s) AND version.stix_id = head.stix_id
  AND version.is_newest AND version.modified < head.modified
"""


def version_heads_raise(newest: dict[str, datetime]) -> dict[str, datetime]:
    """Record versions about to be stored (STIX id -> its newest `modified` among them) and
    return each id's newest `modified` over all reports, this transaction's included.

    Stored versions these supersede lose `is_newest`. On PostgreSQL the upsert holds each
    id's head row locked until commit, so a concurrent writer of the same id waits and then
    sees these versions; SQLite serialises writers anyway.
    """
    ids = sorted(newest)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_RAISE_HEADS_SQL, [ids, [newest[i] for i in ids]])
            heads: dict[str, datetime] = dict(cursor.fetchall())
            cursor.execute(_SUPERSEDE_SQL, [ids])
        return heads
    known = StixVersionHead.objects.filter(stix_id__in=ids)
    stored = dict(known.values_list("stix_id", "modified"))
    heads = {i: max(newest[i], stored.get(i, newest[i])) for i in ids}
    StixVersionHead.objects.bulk_create(
        [StixVersionHead(stix_id=i, modified=m) for i, m in heads.items()],
        update_conflicts=True,
        unique_fields=["stix_id"],
        update_fields=["modified"],
    )
    for stix_id in ids:
        if stix_id in stored and heads[stix_id] > stored[stix_id]:
            StixObject.objects.filter(
                stix_id=stix_id, is_newest=True, modified__lt=heads[stix_id]
            ).update(is_newest=False)
    return heads


def parse_modified(value: Any, default: datetime) -> datetime:
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except ValueError:
            return default
    return default


def _same(stored: dict[str, Any], new: dict[str, Any]) -> bool:
    """Equal apart from timestamps a re-run sets to "now" (valid_from of a text indicator)."""
    ignore = {"modified", "created", "valid_from"}
    return {k: v for k, v in stored.items() if k not in ignore} == {
        k: v for k, v in new.items() if k not in ignore
    }


def _next_version(obj: dict[str, Any], previous: StixObject) -> dict[str, Any]:
    updated = dict(obj)
    if "created" in previous.data:
        updated["created"] = previous.data["created"]
    if "modified" in obj:
        new_modified = parse_timestamp(obj["modified"])
        floor = previous.modified + timedelta(milliseconds=1)
        if new_modified < floor:
            updated["modified"] = timestamp(max(timezone.now(), floor))
    return updated


def link_indicators(report: Report, classified: Classified, now: datetime, *, origin: str) -> None:
    """Upsert the deduplicated Indicator rows and make the report's links of `origin` match
    `kept`.

    Links of the other origin are left alone: reading the report's text again never removes
    what an upload brought, and a value both carry keeps the upload's context (first/last
    seen, confidence, description).
    """
    if connection.vendor == "postgresql":
        _link_indicators_postgresql(report, classified.kept, now, origin=origin)
        return
    kept = classified.kept
    if origin == ReportIndicator.Origin.TEXT:
        uploaded = set(
            ReportIndicator.objects.filter(
                report=report, origin=ReportIndicator.Origin.UPLOAD
            ).values_list("indicator__type", "indicator__value")
        )
        kept = [item for item in kept if (item.type.value, item.value) not in uploaded]
    by_key = {(item.type.value, item.value): item for item in kept}
    indicators: dict[tuple[str, str], Indicator] = {}
    for start in range(0, len(kept), BATCH):
        chunk = kept[start : start + BATCH]
        # With update_conflicts, PostgreSQL and SQLite return the primary keys.
        created = Indicator.objects.bulk_create(
            [
                Indicator(
                    type=item.type.value,
                    value=item.value,
                    stix_id=stix_id_for(item.type, item.value),
                    first_seen=item.first_seen or now,
                    last_seen=item.last_seen or now,
                )
                for item in chunk
            ],
            update_conflicts=True,
            unique_fields=["type", "value"],
            update_fields=["last_seen"],
        )
        indicators.update({(row.type, row.value): row for row in created})
    ReportIndicator.objects.filter(report=report, origin=origin).exclude(
        indicator_id__in=[indicator.pk for indicator in indicators.values()]
    ).delete()
    ReportIndicator.objects.bulk_create(
        [
            ReportIndicator(
                report=report,
                indicator=indicator,
                first_seen=by_key[key].first_seen or now,
                last_seen=by_key[key].last_seen or now,
                confidence=by_key[key].confidence,
                description=by_key[key].description,
                on_warning_list=by_key[key].warning_list,
                kept_by_insistence=by_key[key].kept_by_insistence,
                origin=origin,
            )
            for key, indicator in indicators.items()
        ],
        update_conflicts=True,
        unique_fields=["report", "indicator"],
        update_fields=[
            "last_seen",
            "confidence",
            "description",
            "on_warning_list",
            "kept_by_insistence",
            "origin",
        ],
    )


_LINK_SQL = [
    """
    CREATE TEMPORARY TABLE normalize_kept (
        type varchar(20), value varchar(2048), stix_id varchar(100),
        first_seen timestamptz, last_seen timestamptz, confidence smallint,
        description text, on_warning_list varchar(100), kept_by_insistence boolean
    ) ON COMMIT DROP
    """,
    """
    INSERT INTO sharing_indicator (type, value, stix_id, first_seen, last_seen)
    SELECT type, value, stix_id, first_seen, last_seen FROM normalize_kept
    ORDER BY type, value  -- one lock order for all workers: no deadlocks between them
    ON CONFLICT (type, value) DO UPDATE SET
        first_seen = LEAST(sharing_indicator.first_seen, EXCLUDED.first_seen),
        last_seen = GREATEST(sharing_indicator.last_seen, EXCLUDED.last_seen)
    """,
    """
    DELETE FROM sharing_reportindicator WHERE report_id = %(report)s
    AND origin = %(origin)s AND indicator_id NOT IN (
        SELECT i.id FROM sharing_indicator i
        JOIN normalize_kept k ON k.type = i.type AND k.value = i.value
    )
    """,
    """
    INSERT INTO sharing_reportindicator (report_id, indicator_id, first_seen, last_seen,
        confidence, description, on_warning_list, kept_by_insistence, origin)
    SELECT %(report)s, i.id, k.first_seen, k.last_seen, k.confidence, k.description,
        k.on_warning_list, k.kept_by_insistence, %(origin)s
    FROM normalize_kept k JOIN sharing_indicator i ON i.type = k.type AND i.value = k.value
    ORDER BY i.id
    ON CONFLICT (report_id, indicator_id) DO UPDATE SET
        last_seen = EXCLUDED.last_seen, confidence = EXCLUDED.confidence,
        description = EXCLUDED.description, on_warning_list = EXCLUDED.on_warning_list,
        kept_by_insistence = EXCLUDED.kept_by_insistence, origin = EXCLUDED.origin
    -- the text never overwrites what an upload brought
    WHERE NOT (sharing_reportindicator.origin = 'upload' AND EXCLUDED.origin = 'text')
    """,
    "DROP TABLE normalize_kept",
]


def _link_indicators_postgresql(
    report: Report, kept: list[KeptIndicator], now: datetime, *, origin: str
) -> None:
    """The same as the ORM path, through COPY into a temporary table and two set-based
    upserts: several times faster than bulk_create's upserts for 50,000 values."""
    with connection.cursor() as cursor:
        cursor.execute(_LINK_SQL[0])
        with cursor.cursor.copy("COPY normalize_kept FROM STDIN") as copy:
            for item in kept:
                copy.write_row(
                    (
                        item.type.value,
                        item.value,
                        stix_id_for(item.type, item.value),
                        item.first_seen or now,
                        item.last_seen or now,
                        item.confidence,
                        item.description,
                        item.warning_list,
                        item.kept_by_insistence,
                    )
                )
        for statement in _LINK_SQL[1:]:
            cursor.execute(statement, {"report": report.pk, "origin": origin})

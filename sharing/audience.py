"""Changing who a report is addressed to, without ever widening it by accident.

The report services call `report_audience_change` whenever an edit touches the TLP or the
audience. While a report is a draft nobody but its author reads it, so any audience that
fits the TLP may be set. Once it has been submitted, a change that lets anyone new read it
(a wider TLP, the whole membership, another sector, group, organisation or person) is
refused with `AudienceWidening`; it takes the explicit, audited `report_audience_widen` with
a reason. Narrowing is always allowed and audited too.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, Sector, TrustGroup, User
from sharing import policy
from sharing.models import Report, ReportRevision, Rfi
from sharing.tlp import TLP


class AudienceWidening(ValidationError):
    """The change would let someone new read a submitted report."""


@dataclass(frozen=True)
class Audience:
    """A report's TLP and audience as plain values (UUID strings), comparable and loggable."""

    tlp: str
    everyone: bool
    sectors: frozenset[str] = frozenset()
    organisations: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()

    @classmethod
    def chosen(
        cls,
        *,
        tlp: str,
        everyone: bool,
        sectors: Iterable[Sector],
        organisations: Iterable[Organisation],
        groups: Iterable[TrustGroup],
        people: Iterable[User],
    ) -> "Audience":
        """The audience an analyst chose on a form, as the values `audience_of` reads."""
        return cls(
            tlp=tlp,
            everyone=everyone,
            sectors=frozenset(str(s.pk) for s in sectors),
            organisations=frozenset(str(o.uuid) for o in organisations),
            groups=frozenset(str(g.uuid) for g in groups),
            people=frozenset(str(p.uuid) for p in people),
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "tlp": self.tlp,
            "everyone": self.everyone,
            "sectors": sorted(self.sectors),
            "organisations": sorted(self.organisations),
            "groups": sorted(self.groups),
            "people": sorted(self.people),
        }


def widening(before: Audience, after: Audience) -> list[str]:
    """What `after` adds to `before`, in words; empty when nobody new could read the report.

    Pure: the TLP order and set differences only. Adding a recipient is a widening even when
    the same people might already read it another way; the analyst decides explicitly.
    """
    added = []
    if TLP(after.tlp).rank < TLP(before.tlp).rank:
        added.append(f"the TLP goes from {TLP(before.tlp).label} to {TLP(after.tlp).label}")
    if after.everyone and not before.everyone:
        added.append("the whole membership is added")
    if before.everyone and before.tlp != TLP.RED:
        # Every organisation was in the audience already; naming some of them adds nobody.
        return added
    for name, old, new in (
        ("sectors", before.sectors, after.sectors),
        ("organisations", before.organisations, after.organisations),
        ("trust groups", before.groups, after.groups),
        ("people", before.people, after.people),
    ):
        if new - old:
            added.append(f"{name} added: {len(new - old)}")
    return added


def audience_of(report: "Report | Rfi") -> Audience:
    """The TLP and audience of a report or a request for information."""
    return Audience(
        tlp=report.tlp,
        everyone=report.audience_everyone,
        sectors=frozenset(str(s.pk) for s in report.audience_sectors.all()),
        organisations=frozenset(str(o.uuid) for o in report.audience_organisations.all()),
        groups=frozenset(str(g.uuid) for g in report.audience_groups.all()),
        people=frozenset(str(u.uuid) for u in report.audience_people.all()),
    )


def revision_audience_sync(*, report: Report) -> None:
    """Copy the report's TLP and audience onto its latest version.

    The latest version is what the report page shows, so it is read under the report's
    audience; earlier versions keep the audience they had while they were the latest.
    Called inside the transaction of the change (publication, revision, audience change).
    """
    latest = ReportRevision.objects.filter(report=report, number=report.version).first()
    if latest is None:
        return  # not published yet: no version to keep in step
    latest.tlp = report.tlp
    latest.audience_everyone = report.audience_everyone
    latest.save(update_fields=["tlp", "audience_everyone"])
    latest.audience_sectors.set(report.audience_sectors.all())
    latest.audience_organisations.set(report.audience_organisations.all())
    latest.audience_groups.set(report.audience_groups.all())
    latest.audience_people.set(report.audience_people.all())


def addressable_groups(viewer: Membership) -> QuerySet[TrustGroup]:
    """Groups the viewer may address a report to: sector communities, and trust groups their
    organisation belongs to (ISAC staff: any group)."""
    groups = TrustGroup.objects.all()
    if viewer.is_isac_staff:
        return groups
    return groups.filter(
        Q(kind=TrustGroup.Kind.SECTOR) | Q(memberships__organisation_id=viewer.organisation_id)
    ).distinct()


def unaddressable_group_problems(*, by: Membership, groups: Iterable[TrustGroup]) -> list[str]:
    """The problem, if any, with addressing groups the person may not address."""
    allowed = set(addressable_groups(by).values_list("pk", flat=True))
    if any(g.pk not in allowed for g in groups):
        return ["You can address only trust groups your organisation belongs to."]
    return []


def addressable_organisations() -> QuerySet[Organisation]:
    return Organisation.objects.exclude(status=Organisation.Status.OFFBOARDED)


def addressable_people() -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        memberships__is_active=True,
        memberships__organisation__status=Organisation.Status.ACTIVE,
    ).distinct()


def audience_check(
    *,
    by: Membership,
    tlp: str,
    everyone: bool,
    sectors: list[Sector],
    organisations: list[Organisation],
    groups: list[TrustGroup],
    people: list[User],
    noun: str = "report",
) -> None:
    """Refuse (ValidationError) an audience that does not fit the TLP or names groups,
    organisations or people `by` may not address: for reports and requests for information
    alike."""
    problems = policy.audience_problems(
        tlp=tlp,
        everyone=everyone,
        sector_count=len(sectors),
        organisation_count=len(organisations),
        group_count=len(groups),
        people_count=len(people),
        noun=noun,
    )
    problems += unaddressable_group_problems(by=by, groups=groups)
    allowed_orgs = set(
        addressable_organisations()
        .filter(pk__in=[o.pk for o in organisations])
        .values_list("pk", flat=True)
    )
    if any(o.pk not in allowed_orgs for o in organisations):
        problems.append("One of the organisations is no longer a member.")
    allowed_people = set(
        addressable_people().filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True)
    )
    if any(p.pk not in allowed_people for p in people):
        problems.append("One of the people is not an active member.")
    if problems:
        raise ValidationError(problems)


def _change(
    *,
    report: Report,
    by: Membership,
    tlp: str,
    everyone: bool,
    sectors: Iterable[Sector],
    organisations: Iterable[Organisation],
    groups: Iterable[TrustGroup],
    people: Iterable[User],
    reason: str | None,
) -> Report:
    if not policy.can_edit(by, report):
        # Not 403: a report the person cannot edit is one they must not learn about.
        raise Report.DoesNotExist
    tlp = TLP(tlp).value
    sector_list, org_list = list(sectors), list(organisations)
    group_list, people_list = list(groups), list(people)
    audience_check(
        by=by,
        tlp=tlp,
        everyone=everyone,
        sectors=sector_list,
        organisations=org_list,
        groups=group_list,
        people=people_list,
    )
    # Lock the row so two edits cannot each pass the check against a stale audience.
    report = Report.objects.select_for_update().get(pk=report.pk)
    before = audience_of(report)
    after = Audience.chosen(
        tlp=tlp,
        everyone=everyone,
        sectors=sector_list,
        organisations=org_list,
        groups=group_list,
        people=people_list,
    )
    if before == after:
        return report
    added = widening(before, after)
    is_draft = report.status == Report.Status.DRAFT
    if added and not is_draft and reason is None:
        raise AudienceWidening(
            "This change would let more people read the report ("
            + "; ".join(added)
            + "). Widen the audience explicitly, with a reason, instead."
        )
    if added and not is_draft and not (reason or "").strip():
        raise ValidationError("Say why the audience is being widened; the reason is recorded.")
    report.tlp = tlp
    report.audience_everyone = everyone
    report.save(update_fields=["tlp", "audience_everyone", "updated_at"])
    report.audience_sectors.set(sector_list)
    report.audience_organisations.set(org_list)
    report.audience_groups.set(group_list)
    report.audience_people.set(people_list)
    revision_audience_sync(report=report)
    action = "report.audience_widen" if added and not is_draft else "report.audience_change"
    after_record: dict[str, object] = after.as_dict()
    if reason:
        after_record["reason"] = reason.strip()
    audit_record(
        action=action,
        obj=report,
        actor=by.user,
        actor_organisation=by.organisation,
        organisation=report.organisation,
        before=before.as_dict(),
        after=after_record,
    )
    return report


@transaction.atomic
def report_audience_change(
    *,
    report: Report,
    by: Membership,
    tlp: str,
    everyone: bool,
    sectors: Iterable[Sector] = (),
    organisations: Iterable[Organisation] = (),
    groups: Iterable[TrustGroup] = (),
    people: Iterable[User] = (),
) -> Report:
    """Set the TLP and audience. Free for a draft; for a submitted report only narrowing
    passes, a widening raises `AudienceWidening`. Raises Report.DoesNotExist when `by` may
    not edit the report (answer 404), ValidationError when the audience does not fit."""
    return _change(
        report=report,
        by=by,
        tlp=tlp,
        everyone=everyone,
        sectors=sectors,
        organisations=organisations,
        groups=groups,
        people=people,
        reason=None,
    )


@transaction.atomic
def report_audience_widen(
    *,
    report: Report,
    by: Membership,
    reason: str,
    tlp: str,
    everyone: bool,
    sectors: Iterable[Sector] = (),
    organisations: Iterable[Organisation] = (),
    groups: Iterable[TrustGroup] = (),
    people: Iterable[User] = (),
) -> Report:
    """The explicit, audited way to let more people read a submitted report.

    The new audience must still fit the TLP (RED stays with named people). Only someone who
    may edit the report may widen it.
    """
    if not by.is_org_admin and not by.is_isac_staff and report.author_id != by.user_id:
        raise PermissionDenied("Only the author, an organisation admin or the ISAC may widen.")
    return _change(
        report=report,
        by=by,
        tlp=tlp,
        everyone=everyone,
        sectors=sectors,
        organisations=organisations,
        groups=groups,
        people=people,
        reason=reason,
    )

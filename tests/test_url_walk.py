"""Every URL pattern and API route, walked as the outsider: nothing protected comes back.

The walk is generic: it reads the URL configuration at run time, so pages and API routes
added later are walked too. Path parameters are filled with the UUIDs of objects the
outsider must not see (reports outside their audience, other organisations' groups,
invitations, tokens, and any row of a model that hangs off a report or belongs to another
organisation); every method is tried. For such an object the answer must be exactly the
answer for a UUID that does not exist (existence is information), never 403 and never a
success; and no response may contain the protected objects' marker text.
"""

import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator

import pytest
from django.apps import apps
from django.db import models
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone

from accounts.api.authentication import PerTokenRateThrottle
from accounts.models import (
    ApiToken,
    Membership,
    Organisation,
    TrustGroup,
    TrustGroupInvitation,
    User,
)
from accounts.services.groups import group_create, group_invite
from accounts.services.organisations import organisation_create
from accounts.services.tokens import token_issue
from sharing import policy
from sharing.models import (
    Alert,
    AlertMatch,
    Comment,
    Report,
    ReportRevision,
    Rfi,
    RfiAnswer,
    Sighting,
    WatchedAsset,
)
from sharing.tlp import TLP
from tests.fixtures.members import acting
from tests.fixtures.personas import PASSWORD, make_person

MARKER = "ZQX-PROTECTED"
METHODS = ("get", "post", "put", "patch", "delete")
# Signing out would end the walk's session; it protects nothing.
SKIPPED_NAMES = {"logout"}
# Links whose parameters are secrets the page itself checks: every wrong value gets the same
# "this link is not valid" page, so a success status there shows nothing protected.
SECRET_LINK_NAMES = {"password_reset_confirm"}
# Values for path parameters that are not object identifiers, by parameter name.
SAMPLES = {"action": ["accept", "approve", "decline", "withdraw"]}


def walk(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(route, name) for every pattern, with includes flattened."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.name or ""


ROUTE_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
REGEX_PARAM = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")
# Converters whose values are not identifiers, with a value they accept.
CONVERTER_SAMPLES = {"int": "1", "drf_format_suffix": ".json"}


def fill(route: str, object_id: str) -> list[str]:
    """Concrete paths for a route. Identifier parameters (uuid, str, slug, path converters,
    and free-form regex groups) get `object_id`; others get sample values."""
    names = [m.group("name") for m in REGEX_PARAM.finditer(route)]
    names += [m.group("name") for m in ROUTE_PARAM.finditer(REGEX_PARAM.sub("", route))]
    sampled = [name for name in names if name in SAMPLES]
    paths = []
    for variant in SAMPLES[sampled[0]] if sampled else [""]:

        def route_value(m: re.Match[str], variant: str = variant) -> str:
            if m.group("name") in SAMPLES:
                return variant
            return CONVERTER_SAMPLES.get(m.group("conv") or "str", object_id)

        def regex_value(m: re.Match[str], variant: str = variant) -> str:
            body = m.group("body")
            if m.group("name") in SAMPLES:
                return variant
            if re.fullmatch(r"[\w|]+", body):  # a literal choice, such as an app label
                return body.split("|")[0]
            return object_id

        # Regex groups first: their "(?P<name>" would look like a route parameter.
        path = REGEX_PARAM.sub(regex_value, route)
        path = ROUTE_PARAM.sub(route_value, path)
        path = path.replace("^", "").replace("$", "").replace("/?", "/").replace("\\.", ".")
        paths.append("/" + path)
    return paths


def has_object_param(route: str) -> bool:
    return fill(route, "OBJECT") != fill(route, "")


def protected_ids(outsider: Membership) -> dict[str, list[str]]:
    """Identifiers (UUIDs, and STIX ids where a model has them) of objects the outsider must
    not see, by model label."""
    return {
        label: [str(i) for row in rows for i in row if i]
        for label, rows in _protected_rows(outsider).items()
    }


FEED_MODEL: str = "sharing.Feed"  # arrives with the fan-out change


def _personal_feeds_of_others(outsider: Membership) -> models.QuerySet[models.Model]:
    """ISAC feeds are for every member; a personal filter only for the membership it is for."""
    feed = apps.get_model(FEED_MODEL)
    return feed._default_manager.filter(kind="personal").exclude(owner=outsider)


# Models whose rows are not all protected: the rows the outsider must not see, written
# from the model's documented rule (not from the selector under test). Other changes add
# theirs here; a model with a `uuid` that is in none of the rules below is protected whole.
def _rfis_of_others(outsider: Membership) -> models.QuerySet[models.Model]:
    """docs/tlp.md, "Requests for information", for the walk's world: the outsider reads
    TLP:CLEAR ones and its own organisation's; the others are addressed to B, a circle or
    named people."""
    return Rfi.objects.exclude(tlp=TLP.CLEAR).exclude(organisation=outsider.organisation)


def _answers_of_protected_rfis(outsider: Membership) -> models.QuerySet[models.Model]:
    return RfiAnswer.objects.filter(rfi__in=_rfis_of_others(outsider))


PROTECTED_ROWS: dict[str, Callable[[Membership], models.QuerySet[models.Model]]] = {
    "sharing.Feed": _personal_feeds_of_others,
    "sharing.Rfi": _rfis_of_others,
    "sharing.RfiAnswer": _answers_of_protected_rfis,
    # An alert is its organisation's, even about a report everyone may read.
    "sharing.Alert": lambda outsider: Alert.objects.exclude(organisation=outsider.organisation),
}


def _protected_rows(outsider: Membership) -> dict[str, list[tuple[object, ...]]]:
    found: dict[str, list[tuple[object, ...]]] = defaultdict(list)
    visible_reports = set(policy.visible_to(outsider).values_list("pk", flat=True))
    # Written here, not taken from the selectors under test: groups the outsider's
    # organisation is in, was invited to, or may ask to join are not protected.
    visible_group_ids = set(
        TrustGroup.objects.filter(
            Q(memberships__organisation=outsider.organisation)
            | Q(invitations__organisation=outsider.organisation, invitations__status="pending")
            | Q(kind="custom", join_policy="request")
            | Q(kind="sector", sector__in=outsider.organisation.sectors.all())
        ).values_list("pk", flat=True)
    )
    for model in apps.get_models():
        if not any(f.name == "uuid" for f in model._meta.get_fields()):
            continue
        rows: models.QuerySet[models.Model] = model._default_manager.all()
        fields = {f.name: f for f in model._meta.get_fields()}
        if model._meta.label in PROTECTED_ROWS:
            rows = PROTECTED_ROWS[model._meta.label](outsider)
        elif model is Report:
            rows = rows.exclude(pk__in=visible_reports)
        elif model is TrustGroup:
            rows = rows.exclude(pk__in=visible_group_ids)
        elif model is TrustGroupInvitation:
            rows = rows.exclude(organisation=outsider.organisation)
        elif model is ApiToken:
            rows = rows.exclude(membership=outsider)
        elif isinstance(fields.get("report"), models.ForeignKey):
            # Any child of a report (attachments, comments, sightings, STIX objects, ...).
            rows = rows.exclude(report_id__in=visible_reports)
        elif isinstance(fields.get("organisation"), models.ForeignKey):
            rows = rows.exclude(organisation=outsider.organisation)
        elif model in (User, Organisation):
            continue  # people and organisations are named on shared pages by design
        id_fields = ["uuid"] + (["stix_id"] if "stix_id" in fields else [])
        found[model._meta.label].extend(rows.values_list(*id_fields))
    return {label: ids for label, ids in found.items() if ids}


@pytest.fixture
def protected_world(
    analyst_a: User,
    admin_a: User,
    peer_b: User,
    org_b: Organisation,
    outsider_c: User,
    isac_curator: User,
) -> None:
    """Reports, a group, an invitation and a token that outsider C must never see."""
    circle = group_create(name=f"{MARKER} circle", by=acting(admin_a))
    group_invite(group=circle, organisation=org_b, by=acting(admin_a))
    for tlp, status in [
        (TLP.GREEN, Report.Status.PUBLISHED),
        (TLP.AMBER, Report.Status.PUBLISHED),
        (TLP.AMBER_STRICT, Report.Status.WITHDRAWN),
        (TLP.RED, Report.Status.PUBLISHED),
        (TLP.CLEAR, Report.Status.DRAFT),
        (TLP.AMBER, Report.Status.PENDING_REVIEW),
    ]:
        report = Report.objects.create(
            title=f"{MARKER} {tlp} {status}",
            summary=MARKER,
            tlp=tlp,
            status=status,
            author=analyst_a,
            organisation=acting(analyst_a).organisation,
            published_at=timezone.now(),
        )
        if tlp == TLP.RED:
            report.audience_people.set([peer_b])
        else:
            report.audience_organisations.set([org_b])
            report.audience_groups.set([circle])
    token_issue(membership=acting(analyst_a), name=f"{MARKER} token", by=acting(analyst_a))
    amber = Report.objects.get(tlp=TLP.AMBER, status=Report.Status.PUBLISHED)
    Sighting.objects.create(
        report=amber, organisation=org_b, reported_by=peer_b, note=f"{MARKER} sighting"
    )
    _widened_report(analyst_a, org_b)
    _hidden_source(outsider_c)
    _requests_for_information(analyst_a, peer_b, org_b, circle)
    _alert_of_member_b(org_b)


def _alert_of_member_b(org_b: Organisation) -> None:
    """B's watch list and an alert for B about a report the outsider may read too."""
    asset = WatchedAsset.objects.create(
        organisation=org_b, kind="domain", value="b-bank.test", note=f"{MARKER} watched"
    )
    report = Report.objects.get(title="Widened loader report")
    alert = Alert.objects.create(organisation=org_b, report=report, report_version=2)
    AlertMatch.objects.create(
        alert=alert, asset=asset, kind="domain", matched="b-bank.test", reason=f"{MARKER} why"
    )


def _widened_report(analyst_a: User, org_b: Organisation) -> None:
    """A report the outsider reads now (CLEAR for everyone) whose first version was AMBER for
    B only: that version, and any diff against it, stays B's."""
    report = Report.objects.create(
        title="Widened loader report",
        tlp=TLP.CLEAR,
        status=Report.Status.PUBLISHED,
        author=analyst_a,
        organisation=acting(analyst_a).organisation,
        published_at=timezone.now(),
        audience_everyone=True,
        version=2,
    )
    first = ReportRevision.objects.create(
        report=report,
        number=1,
        title="Widened loader report",
        body_markdown=f"{MARKER} first, narrower text",
        tlp=TLP.AMBER,
        created_by=analyst_a,
    )
    first.audience_organisations.set([org_b])
    ReportRevision.objects.create(
        report=report,
        number=2,
        title="Widened loader report",
        body_markdown="Sanitised text for everyone.",
        tlp=TLP.CLEAR,
        audience_everyone=True,
        created_by=analyst_a,
    )


def _hidden_source(outsider_c: User) -> None:
    """An applicant whose name is the marker shared an unattributed CLEAR report, then
    sighted it and commented on it: its name may show up nowhere the outsider looks."""
    source = organisation_create(name=f"{MARKER} source", by=None, domains=["hidden.test"])
    person = make_person("analyst@hidden.test", source, Membership.Role.ANALYST)
    report = Report.objects.create(
        title="Unattributed CLEAR report",
        tlp=TLP.CLEAR,
        status=Report.Status.PUBLISHED,
        author=person,
        organisation=source,
        published_at=timezone.now(),
        attributed=False,
    )
    Sighting.objects.create(report=report, organisation=source, reported_by=person)
    Comment.objects.create(report=report, organisation=source, author=person, body="About it")


def _requests_for_information(
    analyst_a: User, peer_b: User, org_b: Organisation, circle: TrustGroup
) -> None:
    """Questions for B, for a circle and for B's analyst by name, each answered by B; and a
    CLEAR question asked anonymously by a source whose name is the marker, answered by it."""
    for tlp, audience in [
        (TLP.GREEN, "orgs"),
        (TLP.AMBER, "groups"),
        (TLP.AMBER_STRICT, "orgs"),
        (TLP.RED, "people"),
    ]:
        rfi = Rfi.objects.create(
            title=f"{MARKER} question {tlp}",
            body_markdown=MARKER,
            tlp=tlp,
            asked_by=analyst_a,
            organisation=acting(analyst_a).organisation,
            indicators=[{"type": "domain", "value": "zqx-protected.top"}],
        )
        if audience == "orgs":
            rfi.audience_organisations.set([org_b])
        elif audience == "groups":
            rfi.audience_groups.set([circle])
        else:
            rfi.audience_people.set([peer_b])
        RfiAnswer.objects.create(
            rfi=rfi, author=peer_b, organisation=org_b, body_markdown=f"{MARKER} answer"
        )
    source = Organisation.objects.get(name=f"{MARKER} source")
    person = User.objects.get(email="analyst@hidden.test")
    clear = Rfi.objects.create(
        title="Anonymous CLEAR question",
        tlp=TLP.CLEAR,
        asked_by=person,
        organisation=source,
        anonymous=True,
    )
    RfiAnswer.objects.create(rfi=clear, author=person, organisation=source, body_markdown="More")


@pytest.mark.usefixtures("protected_world")
def test_outsider_gets_nothing_protected_from_any_url(
    outsider_c: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The walk makes thousands of API calls with one token: the rate limit (tested in
    # test_api_tokens) would answer 429 long before the walk ends.
    monkeypatch.setattr(PerTokenRateThrottle, "THROTTLE_RATES", {"per_token": "1000000/min"})
    outsider = acting(outsider_c)
    _, secret = token_issue(membership=outsider, name="walker", by=acting(outsider_c))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.login(username=outsider_c.email, password=PASSWORD)
    protected = protected_ids(outsider)
    assert {"sharing.Report", "accounts.TrustGroup", "accounts.ApiToken"} <= set(protected)

    routes = [(r, n) for r, n in walk(get_resolver().url_patterns) if n not in SKIPPED_NAMES]
    walked, problems = 0, []
    # How each route answers for an object that does not exist, asked once per route, method
    # and filled form: it does not depend on which protected object is being tried.
    baselines: dict[tuple[str, str, int], int] = {}
    for route, name in routes:
        if has_object_param(route):
            candidates = [ids[0] for ids in protected.values()]
            # Two rows of each kind are tried with GET; one of each kind with the others.
            every = [i for ids in protected.values() for i in ids[:2]]
        else:
            candidates, every = [""], [""]
        for method in METHODS:
            for object_id in every if method == "get" else candidates:
                for path in fill(route, object_id):
                    try:
                        resolve(path)
                    except Resolver404:
                        problems.append(f"{route}: filled as {path} does not resolve")
                        continue
                    response = getattr(client, method)(path)
                    walked += 1
                    body = getattr(response, "content", b"")
                    if MARKER.encode() in body:
                        problems.append(
                            f"{method.upper()} {path} ({name}) shows a protected object"
                        )
                    if not object_id:
                        continue
                    form = fill(route, object_id).index(path)
                    if (route, method, form) not in baselines:
                        missing = fill(route, str(uuid.uuid4()))[form]
                        baselines[route, method, form] = getattr(client, method)(
                            missing
                        ).status_code
                    baseline = baselines[route, method, form]
                    status = response.status_code
                    succeeded = 200 <= status < 300 and name not in SECRET_LINK_NAMES
                    if status != baseline or status == 403 or succeeded:
                        problems.append(
                            f"{method.upper()} {path} ({name}): {status} for a protected object, "
                            f"{baseline} for one that does not exist"
                        )
    problems += _walk_versions(client, outsider)
    problems += _walk_rfis(client, outsider)
    assert walked > 100
    assert not problems, "\n".join(problems)
    # The walk itself did not sign the outsider out.
    assert client.get("/groups/").status_code == 200


def _walk_versions(client: Client, outsider: Membership) -> list[str]:
    """Every version of every report the outsider may read: a version outside its own
    audience answers like a version that does not exist, and no page shows the marker."""
    problems = []
    for report in policy.visible_to(outsider):
        missing = client.get(f"/reports/{report.uuid}/versions/999/").status_code
        for number in range(1, report.version + 1):
            path = f"/reports/{report.uuid}/versions/{number}/"
            response = client.get(path)
            if MARKER.encode() in response.content:
                problems.append(f"GET {path} shows a protected version's text")
            # docs/tlp.md, "Versions": the outsider is in no audience but "everyone".
            version = ReportRevision.objects.filter(report=report, number=number).first()
            readable = version is not None and (
                version.tlp == TLP.CLEAR or (version.tlp != TLP.RED and version.audience_everyone)
            )
            if not readable and response.status_code != missing:
                problems.append(f"GET {path}: {response.status_code} for a protected version")
        if MARKER.encode() in client.get(f"/reports/{report.uuid}/").content:
            problems.append(f"GET /reports/{report.uuid}/ shows a protected name or text")
    return problems


def _walk_rfis(client: Client, outsider: Membership) -> list[str]:
    """The requests the outsider may read show no protected name or text, and their count
    says nothing of the others."""
    problems = []
    readable = policy.visible_rfis(outsider)
    assert {r.title for r in readable} == {"Anonymous CLEAR question"}
    for rfi in readable:
        if MARKER.encode() in client.get(f"/rfis/{rfi.uuid}/").content:
            problems.append(f"GET /rfis/{rfi.uuid}/ shows a protected name or text")
    listing = client.get("/rfis/").content.decode()
    if MARKER in listing or 'All <span class="badge">1</span>' not in listing:
        problems.append("GET /rfis/ shows or counts a protected request")
    return problems

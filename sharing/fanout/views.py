"""Pages: browse feeds, subscribe, manage channels, test webhooks, read delivery history."""

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.decorators import isac_admin_required, member_required
from accounts.http import AuthenticatedRequest
from accounts.models import Membership
from accounts.web import run_service
from sharing import policy
from sharing.fanout import selectors, services
from sharing.fanout.forms import AllowanceForm, FeedForm, SubscriptionForm
from sharing.fanout.transports.email import UNSUBSCRIBE_SALT
from sharing.feeds.selectors import feed_reports, feeds_for
from sharing.feeds.services import feed_create
from sharing.models import Feed, Notification, PrivateNetworkAllowance, Subscription


def _feed(viewer: Membership, feed_uuid: str) -> Feed:
    feed = feeds_for(viewer).filter(uuid=feed_uuid).first()
    if feed is None:
        raise Http404
    return feed


def _subscription(viewer: Membership, subscription_uuid: str) -> Subscription:
    subscription = selectors.subscriptions_managed_by(viewer).filter(uuid=subscription_uuid).first()
    if subscription is None:
        raise Http404
    return subscription


@member_required
def feed_list(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    feeds = feeds_for(viewer).prefetch_related("sectors")
    mine = selectors.subscriptions_managed_by(viewer)
    counts: dict[int, int] = {}
    for feed_id in mine.values_list("feed_id", flat=True):
        counts[feed_id] = counts.get(feed_id, 0) + 1
    rows = [(feed, counts.get(feed.pk, 0)) for feed in feeds]
    return render(request, "fanout/feed_list.html", {"rows": rows})


@member_required
def feed_create_view(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    form = FeedForm(request.POST or None, viewer=viewer)
    if not viewer.is_isac_staff:
        del form.fields["for_everyone"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        source = data.get("source_organisation")
        created = run_service(
            request,
            lambda: feed_create(
                name=data["name"],
                description=data["description"],
                by=viewer,
                sectors=data["sectors"],
                report_types=data["report_types"],
                min_confidence=data["min_confidence"],
                tlp_min=data["tlp_min"],
                tlp_max=data["tlp_max"],
                source_organisation_id=source.pk if source else None,
                trust_group=data.get("trust_group"),
                personal=not data.get("for_everyone"),
            ),
            lambda feed: f"Feed “{feed.name}” saved.",
            form=form,
        )
        if created:
            return redirect("fanout:feed-detail", created.value.uuid)
    return render(request, "fanout/feed_form.html", {"form": form})


@member_required
def feed_detail(request: AuthenticatedRequest, feed_uuid: str) -> HttpResponse:
    viewer = request.membership
    feed = _feed(viewer, feed_uuid)
    form = SubscriptionForm(request.POST or None)
    secret = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        subscribed = run_service(
            request,
            lambda: services.subscription_create(
                feed=feed,
                by=viewer,
                channel=data["channel"],
                scope=data["scope"],
                name=data["name"],
                webhook_url=data["webhook_url"] or "",
                email_mode=data["email_mode"],
                digest_hour=data["digest_hour"],
                time_zone=data["time_zone"],
            ),
            form=form,
        )
        if subscribed:
            subscription, secret = subscribed.value
            if not secret:
                messages.success(request, f"Subscribed to “{feed.name}”.")
                return redirect("fanout:subscriptions")
            messages.success(request, "Webhook subscribed. Copy its signing secret now.")
            return render(
                request,
                "fanout/subscription_detail.html",
                _subscription_context(viewer, subscription, secret=secret),
            )
    reports = list(
        feed_reports(feed, viewer, policy.Channel.PORTAL).select_related("organisation")[:20]
    )
    return render(
        request,
        "fanout/feed_detail.html",
        {"feed": feed, "form": form, "reports": reports, "sectors": list(feed.sectors.all())},
    )


@member_required
def subscription_list(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    subscriptions = selectors.subscriptions_managed_by(viewer).order_by("-created_at")
    return render(request, "fanout/subscription_list.html", {"subscriptions": subscriptions})


def _subscription_context(
    viewer: Membership, subscription: Subscription, secret: str = ""
) -> dict[str, object]:
    deliveries = (
        policy.visible_deliveries(viewer)
        .filter(subscription=subscription)
        .select_related("report")
        .order_by("-created_at")[:50]
    )
    return {"subscription": subscription, "deliveries": deliveries, "secret": secret}


@member_required
def subscription_detail(request: AuthenticatedRequest, subscription_uuid: str) -> HttpResponse:
    viewer = request.membership
    subscription = _subscription(viewer, subscription_uuid)
    return render(
        request, "fanout/subscription_detail.html", _subscription_context(viewer, subscription)
    )


@member_required
@require_POST
def subscription_test(request: AuthenticatedRequest, subscription_uuid: str) -> HttpResponse:
    viewer = request.membership
    subscription = _subscription(viewer, subscription_uuid)
    if subscription.channel != Subscription.ChannelKind.WEBHOOK:
        raise Http404
    outcome = services.delivery_send_test(subscription=subscription)
    if outcome.ok:
        messages.success(request, f"Test delivery accepted (HTTP {outcome.status_code}).")
    else:
        messages.error(request, f"Test delivery failed: {outcome.error}")
    return redirect("fanout:subscription-detail", subscription.uuid)


@member_required
@require_POST
def subscription_rotate(request: AuthenticatedRequest, subscription_uuid: str) -> HttpResponse:
    viewer = request.membership
    subscription = _subscription(viewer, subscription_uuid)
    if subscription.channel != Subscription.ChannelKind.WEBHOOK:
        raise Http404
    secret = services.subscription_rotate_secret(subscription=subscription, by=viewer)
    messages.success(
        request, "New signing secret issued; the old one keeps signing too for 24 hours."
    )
    return render(
        request,
        "fanout/subscription_detail.html",
        _subscription_context(viewer, subscription, secret=secret),
    )


@member_required
@require_POST
def subscription_toggle(request: AuthenticatedRequest, subscription_uuid: str) -> HttpResponse:
    viewer = request.membership
    subscription = _subscription(viewer, subscription_uuid)
    services.subscription_set_active(
        subscription=subscription,
        active=not subscription.is_active,
        by=viewer,
        reason="" if not subscription.is_active else "Turned off by its owner.",
    )
    messages.success(request, "Subscription " + ("on." if subscription.is_active else "off."))
    return redirect("fanout:subscription-detail", subscription.uuid)


@member_required
@require_POST
def subscription_delete_view(request: AuthenticatedRequest, subscription_uuid: str) -> HttpResponse:
    viewer = request.membership
    subscription = _subscription(viewer, subscription_uuid)
    services.subscription_delete(subscription=subscription, by=viewer)
    messages.success(request, "Subscription removed.")
    return redirect("fanout:subscriptions")


@member_required
def delivery_log(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    deliveries = (
        policy.visible_deliveries(viewer)
        .select_related("report", "subscription__feed", "subscription__membership__user")
        .order_by("-created_at", "-id")
    )
    page = Paginator(deliveries, 100).get_page(request.GET.get("page"))
    return render(request, "fanout/delivery_log.html", {"page": page})


@isac_admin_required
def health(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "fanout/health.html", {"health": selectors.fanout_health()})


@isac_admin_required
def allow_list(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    form = AllowanceForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            lambda: services.allowance_add(
                network=form.cleaned_data["network"],
                note=form.cleaned_data["note"],
                by=viewer,
            ),
            "Range allowed for webhooks.",
            form=form,
            field="network",
        )
    ):
        return redirect("fanout:allow-list")
    allowances = PrivateNetworkAllowance.objects.select_related("created_by")
    return render(request, "fanout/allow_list.html", {"form": form, "allowances": allowances})


@isac_admin_required
@require_POST
def allow_list_remove(request: AuthenticatedRequest, allowance_uuid: str) -> HttpResponse:
    viewer = request.membership
    allowance = PrivateNetworkAllowance.objects.filter(uuid=allowance_uuid).first()
    if allowance is None:
        raise Http404
    services.allowance_remove(allowance=allowance, by=viewer)
    messages.success(request, "Range removed.")
    return redirect("fanout:allow-list")


@member_required
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    notifications = policy.visible_notifications(viewer).select_related("report", "submission")[
        :100
    ]
    return render(request, "fanout/notifications.html", {"notifications": notifications})


@member_required
@require_POST
def notification_read(request: AuthenticatedRequest, notification_uuid: str) -> HttpResponse:
    viewer = request.membership
    notification: Notification | None = (
        policy.visible_notifications(viewer).filter(uuid=notification_uuid).first()
    )
    if notification is None:
        raise Http404
    services.notification_mark_read(notification=notification)
    return redirect("fanout:notifications")


@csrf_exempt  # one-click unsubscribe from a mail client (RFC 8058); the signed token suffices
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscription_uuid = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise Http404 from None
    subscription = Subscription.objects.filter(uuid=subscription_uuid).first()
    if subscription is None:
        raise Http404
    done = False
    if request.method == "POST":
        if subscription.is_active:
            services.subscription_set_active(
                subscription=subscription,
                active=False,
                by=None,
                reason="Unsubscribed from an e-mail.",
            )
        done = True
    return render(request, "fanout/unsubscribe.html", {"subscription": subscription, "done": done})

"""Atom and RSS feeds of the public reports' summaries (Django's syndication framework).

Each entry links to the report's public page, and (Atom) to its STIX 2.1 bundle. The
summary is plain text escaped for the HTML a feed reader renders; the author is the source
a public reader may see: the member for an attributed report, otherwise the ISAC.
"""

from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape, linebreaks

from accounts.models import Organisation
from sharing import policy
from sharing.models import Report
from sharing.tlp import TLP

FEED_ENTRIES = 50
SUMMARY_FALLBACK_CHARS = 600


def isac_name() -> str:
    name = Organisation.objects.filter(is_isac=True).values_list("name", flat=True).first()
    return name or "The ISAC"


class AtomWithStix(Atom1Feed):
    """Atom entries that also link to the report's STIX 2.1 bundle."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement(
            "link",
            "",
            {
                "rel": "related",
                "type": "application/stix+json;version=2.1",
                "href": item["stix_url"],
            },
        )


class PublicReportsRss(Feed):  # type: ignore[type-arg]
    """RSS 2.0: the newest public reports, newest first."""

    feed_type: type[Rss201rev2Feed | Atom1Feed] = Rss201rev2Feed

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.request = request
        # Read once: every unattributed entry names the ISAC.
        self.isac_name = isac_name()
        return super().__call__(request, *args, **kwargs)

    def title(self) -> str:
        return f"{self.isac_name}: public TLP:CLEAR reports"

    def link(self) -> str:
        return reverse("public:index")

    def description(self) -> str:
        return (
            "Threat reports the ISAC's members released for anyone (TLP:CLEAR). "
            "Withdrawn reports leave the feed."
        )

    def items(self) -> QuerySet[Report]:
        return (
            policy.public_reports()
            .select_related("organisation")
            .order_by("-published_at", "-pk")[:FEED_ENTRIES]
        )

    def item_title(self, item: Report) -> str:
        return item.title

    def item_description(self, item: Report) -> str:
        text = item.summary.strip() or item.body_markdown.strip()[:SUMMARY_FALLBACK_CHARS]
        # Plain text, shown by the reader as HTML: escaped, paragraphs kept.
        return str(linebreaks(escape(text)))

    def item_link(self, item: Report) -> str:
        return reverse("public:report", args=[item.uuid])

    def item_guid(self, item: Report) -> str:
        return f"urn:uuid:{item.uuid}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Report) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Report) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Report) -> str:
        return policy.public_source_name(item) or self.isac_name

    def item_categories(self, item: Report) -> list[str]:
        return [TLP(item.tlp).label, item.get_report_type_display()]

    def item_extra_kwargs(self, item: Report) -> dict[str, Any]:
        return {
            "stix_url": self.request.build_absolute_uri(
                reverse("public:report-stix", args=[item.uuid])
            )
        }


class PublicReportsAtom(PublicReportsRss):
    """Atom 1.0, with each entry's STIX bundle linked."""

    feed_type = AtomWithStix
    subtitle = PublicReportsRss.description

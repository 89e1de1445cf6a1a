"""Items produced by page modules and completed by the item pipelines.

A page module (``crawler.pages``) fills the *raw* fields of an :class:`Article` from a response.
The pipelines then derive the clean and normalised fields:

* ``BoilerplatePipeline``: ``content_html`` -> ``body_html``, ``body_text``, ``images`` (inline),
  ``embeds``, ``stripped``;
* ``DatesPipeline``: ``*_raw`` -> ``published``, ``modified``, ``dateline_date`` and ``flags``;
* ``ValidationPipeline``: drops non-articles and incomplete articles;
* ``ArchivePipeline``: stores the item through :mod:`archive`.

Items import nothing from Scrapy: Scrapy handles dataclass items through ``itemadapter``.
See ``docs/fields.md`` for the meaning of every field.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Author:
    """A person (or house account) credited with an article."""

    name: str
    #: The author's archive page on the site (``/author/<nicename>/``).
    url: str | None = None
    #: The "Website" field of the author's profile, as shown in the author box.
    website: str | None = None
    #: The author's biography from the author box (never part of the body).
    bio: str | None = None


@dataclass
class Term:
    """A category or tag: its visible name and archive URL."""

    name: str
    url: str | None = None


@dataclass
class Image:
    """An image shown with the article."""

    url: str
    caption: str | None = None
    alt: str | None = None
    #: ``"featured"`` for the lead image, ``"inline"`` for images inside the body.
    role: str = "inline"
    width: int | None = None
    height: int | None = None


@dataclass
class Embed:
    """Third-party content embedded in the body (tweet, video)."""

    kind: str
    url: str


@dataclass
class Article:
    """One article page, raw fields first, then the fields the pipelines derive."""

    # --- identity -------------------------------------------------------------------------
    #: Canonical URL (``link[rel=canonical]``, else the cleaned response URL).
    url: str
    #: The URL the page was fetched from.
    url_raw: str
    #: Short name of the site profile (``"tdi"``).
    site: str = ""
    #: When the page was fetched, ISO 8601 in UTC.
    fetched_at: str = ""
    #: ``"article"``, ``"page"``, ``"attachment"``, ``"archive"`` or ``"other"``.
    page_type: str = "article"
    #: WordPress post id (``body.postid-N`` or the shortlink).
    post_id: int | None = None

    # --- raw fields filled by the page module ----------------------------------------------
    title: str | None = None
    subtitle: str | None = None
    authors: list[Author] = field(default_factory=list)
    published_raw: str | None = None
    #: Which source gave ``published_raw`` (e.g. ``"meta:article:published_time"``).
    published_source: str | None = None
    modified_raw: str | None = None
    modified_source: str | None = None
    #: The date as printed on the page ("9 November 2023", "2 hours ago").
    visible_date_raw: str | None = None
    #: Dateline at the start of the body: ``"Mexico City"`` / ``"6 October 2021"``.
    dateline_place: str | None = None
    dateline_raw: str | None = None
    #: Section path from the breadcrumb, without "Home" and the title: ``["News", "Diplomatic News"]``.
    section_path: list[str] = field(default_factory=list)
    categories: list[Term] = field(default_factory=list)
    tags: list[Term] = field(default_factory=list)
    featured_image: Image | None = None
    language: str | None = None
    #: The content region's HTML, before cleaning. Not stored.
    content_html: str = ""
    #: Site timezone name (IANA), used where a date carries no offset.
    site_timezone: str = "UTC"
    #: Which selector / structured-data source gave each field.
    field_sources: dict[str, str] = field(default_factory=dict)

    # --- derived by the pipelines -----------------------------------------------------------
    body_html: str = ""
    body_text: str = ""
    images: list[Image] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)
    #: What the boilerplate pipeline removed from the content region, counted by kind.
    stripped: dict[str, int] = field(default_factory=dict)
    #: ISO 8601 with the site's UTC offset.
    published: str | None = None
    modified: str | None = None
    dateline_date: str | None = None
    #: Data-quality flags: ``published_tz_assumed``, ``published_in_future``,
    #: ``modified_before_published``, ``published_relative`` ...
    flags: list[str] = field(default_factory=list)

    @property
    def section(self) -> str | None:
        """The leaf section name (last element of the section path)."""
        return self.section_path[-1] if self.section_path else None

    def to_record(self) -> dict[str, Any]:
        """A plain ``dict`` for :func:`archive.store.upsert_article` (no raw content region)."""
        record = asdict(self)
        record.pop("content_html")
        record["section"] = self.section
        return record

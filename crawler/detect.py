"""Recognise what a site runs on from one of its pages, and choose the profile a crawl of it uses.

WordPress: the ``generator`` meta tag, the REST API link, ``/wp-content/`` and ``/wp-includes/``
URLs. The tagDiv *Newspaper* theme: its stylesheet (``themes/Newspaper/style.css``, ``td-theme-css``),
the ``td-composer`` plugin, and theme classes on the page. The single-post template family shows on
article pages: Composer (``tdb-template`` body class, ``tdb_*`` blocks) or classic (``td-post-*``);
the header family shows on every page (Composer ``td-header-template-wrap`` or classic
``td-header-wrap``).

A URL whose host has a site profile uses it; otherwise the ``newspaper`` template when the theme
is there, ``wordpress`` for another WordPress theme, ``generic`` for anything else.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crawler.pages.document import Page
from crawler.pages.dom import parse_html

if TYPE_CHECKING:
    from crawler.sites import SiteProfile

logger = logging.getLogger(__name__)

_THEME_CSS = re.compile(r"/themes/Newspaper(?:-child)?/style\.css(?:\?ver=([\w.-]+))?", re.I)
_THEME_CSS_ID = re.compile(r"""id=["']td-theme-css["']""", re.I)
_COMPOSER_PLUGIN = re.compile(r"/plugins/td-(?:composer|cloud-library)/", re.I)
_WP_GENERATOR = re.compile(r"^wordpress\b", re.I)
#: Class tokens only the theme prints.
_THEME_CLASSES = (
    "td-standard-pack",
    "td-theme-wrap",
    "td_block_wrap",
    "td-header-wrap",
    "td-header-template-wrap",
    "td-main-content-wrap",
    "td-post-content",
    "tdb-template",
    "td-ss-main-content",
)
_CLASSIC_SINGLE = re.compile(r"\bsingle_template_\d+\b|\btd-post-template-(?:default|\d+)\b")


@dataclass
class Detection:
    """What :func:`detect` found on one page."""

    url: str
    #: The page is served by WordPress.
    wordpress: bool = False
    #: ``"newspaper"`` for the tagDiv Newspaper theme, else ``None``.
    theme: str | None = None
    #: The theme version from its stylesheet URL (``"12.6.5"``), when shown.
    theme_version: str | None = None
    #: Single-post template family on an article page: ``"composer"`` or ``"classic"``.
    template: str | None = None
    #: Header family: ``"composer"`` or ``"classic"``.
    header: str | None = None
    #: The evidence, one short line each.
    signals: list[str] = field(default_factory=list)

    @property
    def template_name(self) -> str:
        """The generic profile this page calls for: ``newspaper``, ``wordpress`` or ``generic``."""
        if self.theme == "newspaper":
            return "newspaper"
        return "wordpress" if self.wordpress else "generic"

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["template_name"] = self.template_name
        return data


def detect(html: str | bytes | Page, url: str, page: Page | None = None) -> Detection:
    """What the page ``html`` fetched from ``url`` runs on (``page``: the same page, already parsed)."""
    if page is None:
        page = html if isinstance(html, Page) else Page(parse_html(html), url)
    text = _source_text(html, page)
    found = Detection(url=url)
    _wordpress(page, text, found)
    _newspaper(page, text, found)
    if found.theme:
        found.wordpress = True
    return found


def _source_text(html: str | bytes | Page, page: Page) -> str:
    if isinstance(html, bytes):
        return html.decode("utf-8", "replace")
    if isinstance(html, str):
        return html
    from lxml import etree

    return etree.tostring(page.root, encoding="unicode") if page.root is not None else ""


def _wordpress(page: Page, text: str, found: Detection) -> None:
    generator = page.meta.get("generator", "")
    if _WP_GENERATOR.match(generator):
        found.wordpress = True
        found.signals.append(f"meta generator: {generator}")
    if "https://api.w.org/" in page.links:
        found.wordpress = True
        found.signals.append("link rel=https://api.w.org/ (WordPress REST API)")
    paths = text.count("/wp-content/") + text.count("/wp-includes/")
    if paths:
        found.wordpress = True
        found.signals.append(f"{paths} /wp-content/ or /wp-includes/ URLs")


def _newspaper(page: Page, text: str, found: Detection) -> None:
    strong = 0
    css = _THEME_CSS.search(text) if "/Newspaper" in text or "/newspaper" in text else None
    if css:
        strong += 1
        found.theme_version = css.group(1)
        found.signals.append(f"theme stylesheet themes/Newspaper/style.css (version {css.group(1) or '?'})")
    if "td-theme-css" in text and _THEME_CSS_ID.search(text):
        strong += 1
        found.signals.append("link#td-theme-css")
    if ("/td-composer/" in text or "/td-cloud-library/" in text) and _COMPOSER_PLUGIN.search(text):
        strong += 1
        found.signals.append("td-composer / td-cloud-library plugin URLs")
    classes = [token for token in _THEME_CLASSES if _has_class(page, text, token)]
    if classes:
        found.signals.append("theme classes: " + ", ".join(classes))
    if strong or len(classes) >= 2:
        found.theme = "newspaper"
        found.template = _template(page, text)
        found.header = _header(text)


def _has_class(page: Page, text: str, token: str) -> bool:
    if token in page.body_classes or page.blocks(token):
        return True
    return token in text and _class_pattern(token).search(text) is not None


@lru_cache(maxsize=32)
def _class_pattern(token: str) -> re.Pattern[str]:
    return re.compile(rf"""class\s*=\s*["'][^"'>]*(?<![\w-]){re.escape(token)}(?![\w-])""")


def _template(page: Page, text: str) -> str | None:
    classes = page.body_classes
    if "tdb-template" in classes or page.blocks("tdb_single_content"):
        return "composer"
    if (
        any(_CLASSIC_SINGLE.match(c) for c in classes)
        or _CLASSIC_SINGLE.search(text)
        or (page.blocks("td-post-content") and "single-post" in classes)
    ):
        return "classic"
    return None


def _header(text: str) -> str | None:
    if "td-header-template-wrap" in text:
        return "composer"
    if "td-header-wrap" in text:
        return "classic"
    return None


# --- choosing a profile ---------------------------------------------------------------------------


def host_name(url: str) -> str:
    """The lower-cased host of ``url`` without ``www.`` (also the name of a profile made for it)."""
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def known_profile(url: str) -> SiteProfile | None:
    """The site profile whose domains include the host of ``url``, if any."""
    from crawler.sites import PROFILES

    host = host_name(url)
    for profile in PROFILES.values():
        if any(host == d or host.endswith("." + d) for d in profile.domains):
            return profile
    return None


def profile_for(url: str, detection: Detection | None = None) -> SiteProfile:
    """The profile a crawl of ``url`` uses: the site's own, else a template made for its host.

    Without a ``detection`` (nothing fetched yet) an unknown site gets the ``generic`` template.
    """
    profile = known_profile(url)
    if profile is not None:
        return profile
    name = detection.template_name if detection is not None else "generic"
    return profile_from_template(name, url)


def profile_from_template(template: str, url: str) -> SiteProfile:
    """The template ``template`` applied to the site of ``url`` (its host as name and domain)."""
    from crawler.profiles import load_templates

    templates = load_templates()
    if template not in templates:
        raise KeyError(f"unknown template {template!r} (known: {', '.join(sorted(templates))})")
    host = host_name(url)
    return dataclasses.replace(templates[template], name=host, title=host, domains=(host,), start_url=url)

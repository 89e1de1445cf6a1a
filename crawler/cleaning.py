"""Boilerplate removal: the content region's HTML -> ``body_html``, ``body_text``, images, embeds.

One walk over the parsed region (lxml) writes the cleaned HTML and the text blocks side by side,
so ``body_text`` is exactly the text of ``body_html`` under the rules of ``docs/fields.md``:

* removed nodes (ads, share bars, author box, related posts, ...) are counted by kind in ``stripped``;
* unknown wrappers (``div``, ``section``, page-builder rows) are unwrapped, their blocks kept;
  loose text in a wrapper (``<div dir="auto">text</div>``) becomes a paragraph;
* only ``p h2-h6 ul ol li blockquote table thead tbody tr th td figure figcaption img a strong em b i br``
  survive, with ``href`` on links and ``src alt width height`` on images;
* images (lazy-load URLs resolved) go to ``images``; tweets and iframes to ``embeds``; neither
  contributes text.

Everything here is pure: no network, no Scrapy.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from html import escape
from itertools import islice
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from crawler.items import Embed, Image

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from crawler.items import Article

logger = logging.getLogger(__name__)

_PARSER = etree.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, huge_tree=True
)
#: Tags kept when a pathologically nested document is re-parsed (they cannot nest deeply).
_DEEP_KEEP_RE = re.compile(r"</?(?!(?:p|br|h[1-6]|img|a)\b)[a-zA-Z][^>]*>")

#: Depth below which a subtree is reduced to its text (keeps the walk far from the recursion limit).
_MAX_DEPTH = 150


def _words(words: str) -> frozenset[str]:
    return frozenset(words.split())


# --- removal rules --------------------------------------------------------------------------

_TAG_KINDS = {
    "script": "script",
    "noscript": "script",
    "template": "script",
    "style": "style",
    "link": "style",
    "footer": "navigation",
    "nav": "navigation",
    "form": "newsletter",
    "amp-ad": "ad",
}

_CLASS_KINDS = {
    # ads
    "td-a-ad": "ad",
    "td-a-rec": "ad",
    "td-g-rec": "ad",
    "adsbygoogle": "ad",
    "code-block": "ad",
    "td-adspot-title": "ad",
    "google-auto-placed": "ad",
    # share bars and rating widgets
    "tdb_single_post_share": "share",
    "sharedaddy": "share",
    "shariff": "share",
    "swp_social_panel": "share",
    "a2a_kit": "share",
    "kk-star-ratings": "share",
    # "Follow us" blocks
    "td_block_social_counter": "follow",
    "tdm_block_socials": "follow",
    "td-social-list": "follow",
    # author box
    "tdb_single_author_box": "author_box",
    "tdb-author-box": "author_box",
    "author-box-wrap": "author_box",
    "saboxplugin-wrap": "author_box",
    # related posts
    "tdb_single_related": "related",
    "tdb-single-related-posts": "related",
    "td_block_related_posts": "related",
    "jp-relatedposts": "related",
    "yarpp-related": "related",
    "crp_related": "related",
    # newsletter
    "tdn_block_newsletter_subscribe": "newsletter",
    "tds-newsletter": "newsletter",
    "mc4wp-form": "newsletter",
    # classic featured image at the top of the body
    "td-post-featured-image": "featured_image",
    # in-content navigation
    "page-nav": "navigation",
    "post-nav-links": "navigation",
    "page-links": "navigation",
    "tdb_single_next_prev": "navigation",
    "td-post-next-prev": "navigation",
    "tdb_breadcrumbs": "navigation",
    # post header / meta blocks rendered inside the body by some templates
    "td-post-header": "meta",
    "tdb_title": "meta",
    "tdb_single_date": "meta",
    "tdb_single_modified_date": "meta",
    "tdb_single_author": "meta",
    "tdb_single_categories": "meta",
    "tdb_single_tags": "meta",
    "tdb_single_subtitle": "meta",
    "tdb_single_post_views": "meta",
    "tdb_single_comments_count": "meta",
    "td-post-source-tags": "meta",
    # cookie-consent placeholders standing in for a blocked embed
    "BorlabsCookie": "consent",
    "_brlbs-content-blocker": "consent",
    # comments
    "tdb_single_comments": "comments",
    "comments-area": "comments",
}

_CLASS_PREFIX_KINDS = (
    ("td-post-sharing", "share"),
    ("addtoany_", "share"),
    ("essb_", "share"),
    ("heateor_sss_", "share"),
)

_ID_PREFIX_KINDS = (
    ("div-gpt-ad", "ad"),
    ("atatags", "ad"),
    ("jp-relatedposts", "related"),
    ("comments", "comments"),
)

#: The region's own container classes: never removed, always unwrapped.
_REGION_CLASSES = frozenset({"tdb_single_content", "td-post-content", "tdb-block-inner"})

#: Theme list blocks (``td_block_wrap``) that are post lists when nested in the body.
_LIST_BLOCK_RE = re.compile(
    r"^(?:td_block_\d+|td_flex_block(?:_\d+)?|tdb_loop|td_block_big_grid\w*|td_block_trending_now"
    r"|td_block_popular_categories|td_block_list_menu|td_block_title|tdb_single_related)$"
)
_HAS_MODULES = etree.XPath(
    "boolean(.//*[contains(@class, 'td_module_') or contains(@class, 'td-module-container')"
    " or contains(@class, 'tdb_module_')])"
)
_AUTHOR_BOX_RE = re.compile(r"author[-_]?(?:box|bio|about)|about[-_]?author|^abh_box|^m-a-box")

_FOLLOW_TITLES = ("follow us",)
_RELATED_TITLES = frozenset(
    {
        "most popular",
        "related",
        "related articles",
        "related posts",
        "related news",
        "more like this",
        "more from author",
        "you may also like",
        "you might also like",
        "latest articles",
        "popular posts",
        "popular reads",
        "editor picks",
    }
)
_AD_LABELS = frozenset({"advertisement", "advertisment", "sponsored", "anzeige", "publicidad", "publicité"})
_READ_MORE_RE = re.compile(r"^(?:read more|also read|read also|see also|related)\b\s*[:\-–—]?\s*", re.I)

#: Tags dropped without a count (form controls, vector art, plugin objects).
_SILENT_TAGS = _words(
    "svg canvas button input select textarea option object embed map meta title head base param "
    "source track wbr hr area figcaption caption"
)

# --- rendering rules ------------------------------------------------------------------------

_HEADINGS = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h4", "h5": "h5", "h6": "h6"}
_PARAGRAPHS = frozenset({"p", "pre", "address", "dt", "dd", "li", "summary"})
_KEEP_INLINE = frozenset({"strong", "em", "b", "i"})
_MEDIA_TAGS = frozenset({"img", "picture", "iframe", "video", "audio"})
_BLOCK_TAGS = _words(
    "p h1 h2 h3 h4 h5 h6 ul ol dl dt dd li blockquote table figure pre div section article main "
    "header aside center address details summary hgroup fieldset"
)
_HAS_BLOCK = etree.XPath(
    "boolean(descendant::*[self::p or self::div or self::ul or self::ol or self::table"
    " or self::blockquote or self::figure or self::section or self::h1 or self::h2 or self::h3"
    " or self::h4 or self::h5 or self::h6])"
)
_FIGURE_IMAGES = etree.XPath(".//img[not(ancestor::noscript)]")
_FIGURE_EMBEDS = etree.XPath(
    ".//iframe | .//video | .//audio | .//blockquote[contains(@class, 'twitter-tweet')"
    " or contains(@class, 'instagram-media') or contains(@class, 'tiktok-embed')]"
)
_LINK_HREFS = etree.XPath(".//a/@href")
_WRAPPER_URL_RE = re.compile(r"https?://\S+")
_EMBED_QUOTE_KINDS = {
    "twitter-tweet": "twitter",
    "twitter-video": "twitter",
    "instagram-media": "instagram",
    "tiktok-embed": "tiktok",
}
_EMBED_HOSTS = (
    ("youtube.com", "youtube"),
    ("youtube-nocookie.com", "youtube"),
    ("youtu.be", "youtube"),
    ("twitter.com", "twitter"),
    ("x.com", "twitter"),
    ("instagram.com", "instagram"),
    ("facebook.com", "facebook"),
    ("vimeo.com", "vimeo"),
    ("tiktok.com", "tiktok"),
)
_AD_HOSTS = ("doubleclick.net", "googlesyndication.com", "googleadservices.com", "adservice.google.com")

_LAZY_SRC_ATTRS = ("data-src", "data-lazy-src", "data-original", "data-img-url", "data-orig-src")
_SRCSET_ATTRS = ("data-lazy-srcset", "data-srcset", "srcset")
_PLACEHOLDER_RE = re.compile(
    r"^data:|placeholder|blank\.(?:gif|png)|spacer\.gif|transparent\.(?:gif|png)|pixel\.gif|lazy[-_]?load",
    re.I,
)
_SIZE_SUFFIX_RE = re.compile(r"(?:-\d+x\d+|-scaled|-e\d{10,})+(?=\.\w+$)")
_HIDDEN_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_WS_RE = re.compile(r"[ \t\n\r\f]+")
_JUNK_CHARS_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufeff\u200b\u00ad]")
_INT_RE = re.compile(r"^\s*(\d{1,6})(?:\.\d+)?\s*(?:px)?\s*$")
_TWITTER_TRACKING = frozenset({"ref_src", "ref_url"})


@dataclass
class CleanedContent:
    """The cleaned body of one article."""

    #: Cleaned ``body_html``.
    html: str = ""
    #: ``body_text``: blocks separated by one blank line.
    text: str = ""
    #: Inline images (``role="inline"``), absolute URLs.
    images: list[Image] = field(default_factory=list)
    #: Tweets, YouTube videos and other iframes (``kind`` = provider or host).
    embeds: list[Embed] = field(default_factory=list)
    #: Removed nodes counted by kind (only kinds that occurred).
    stripped: dict[str, int] = field(default_factory=dict)
    #: Absolute ``http(s)`` URLs of the links kept in the body, first occurrence order.
    links: list[str] = field(default_factory=list)


def clean_content(
    content_html: str,
    base_url: str,
    *,
    boilerplate_phrases: Sequence[str] = (),
    featured_image_url: str | None = None,
) -> CleanedContent:
    """Clean a content region's HTML.

    ``base_url`` resolves relative links and image URLs. A block whose text starts with one of
    ``boilerplate_phrases`` (case-insensitive) is removed as kind ``boilerplate``. An image that is
    the featured image (``featured_image_url``, compared without size suffixes) is removed as kind
    ``featured_image``.
    """
    if not content_html or not content_html.strip():
        return CleanedContent()
    root = _parse(content_html)
    if root is None:
        return CleanedContent()
    walker = _Walker(base_url or "", boilerplate_phrases, featured_image_url)
    head = root.find("head")
    if head is not None:
        walker.count_head(head)
    body = root.find("body")
    if body is not None:
        walker.container(body, 0)
    return walker.result()


def clean_article(article: Article, *, boilerplate_phrases: Sequence[str] = ()) -> Article:
    """Fill ``body_html``, ``body_text``, ``images``, ``embeds`` and ``stripped`` from ``content_html``.

    The article is updated in place and returned. An inline image that is also the featured image
    is kept only as ``featured_image``.
    """
    featured = article.featured_image.url if article.featured_image else None
    cleaned = clean_content(
        article.content_html,
        article.url or article.url_raw,
        boilerplate_phrases=boilerplate_phrases,
        featured_image_url=featured,
    )
    article.body_html = cleaned.html
    article.body_text = cleaned.text
    article.images = cleaned.images
    article.embeds = cleaned.embeds
    article.stripped = cleaned.stripped
    return article


def _parse(content_html: str) -> etree._Element | None:
    text = _JUNK_CHARS_RE.sub("", content_html)
    root = _parse_bytes(text.encode("utf-8", "replace"))
    if root is not None and _too_deep():
        # libxml2 stops at 2048 open elements and drops the rest: keep only non-nesting tags.
        logger.warning("Content region nested too deeply (%d chars): wrappers dropped", len(text))
        root = _parse_bytes(_DEEP_KEEP_RE.sub(" ", text).encode("utf-8", "replace"))
    return root


def _parse_bytes(data: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(data, _PARSER)
    except (etree.ParserError, ValueError) as exc:
        logger.warning("Unparseable content region (%d bytes): %s", len(data), exc)
        return None


def _too_deep() -> bool:
    return any(error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for error in _PARSER.error_log)


# --- small helpers --------------------------------------------------------------------------


def collapse(text: str) -> str:
    """Whitespace (including no-break spaces) collapsed to single spaces, ends stripped."""
    return " ".join(text.split())


def _int(value: str | None) -> int | None:
    if not value:
        return None
    match = _INT_RE.match(value)
    return int(match.group(1)) if match else None


def _classes(el: etree._Element) -> list[str]:
    cls = el.get("class")
    return cls.split() if cls else []


def _first_text(el: etree._Element) -> str:
    for piece in islice(el.itertext(), 30):
        text = piece.strip()
        if text:
            return text
    return ""


def _link_ratio(el: etree._Element, title: str = "") -> float:
    """Share of ``el``'s visible characters that sit in links (``title`` characters not counted)."""
    total = len("".join("".join(el.itertext()).split())) - len("".join(title.split()))
    if total <= 0:
        return 0.0
    linked = sum(len("".join("".join(a.itertext()).split())) for a in el.iter("a"))
    return linked / total


def _has_text(el: etree._Element) -> bool:
    return any(piece.strip() for piece in el.itertext())


def _title_key(text: str) -> str:
    return collapse(text).lower().strip(" :.!-–—")


def _is_embed_quote(el: etree._Element) -> bool:
    return any(token in _EMBED_QUOTE_KINDS for token in _classes(el))


def _embed_kind(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    for suffix, kind in _EMBED_HOSTS:
        if host == suffix or host.endswith("." + suffix):
            return kind
    return host.removeprefix("www.") or "iframe"


def _clean_tweet_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _TWITTER_TRACKING]
    return urlunsplit(parts._replace(query=urlencode(query)))


def image_key(url: str | None) -> str:
    """A comparison key for image URLs: host + path without WordPress size suffixes."""
    if not url:
        return ""
    parts = urlsplit(url.strip())
    return (parts.netloc.lower().removeprefix("www.") + _SIZE_SUFFIX_RE.sub("", parts.path)).lower()


def _best_srcset(srcset: str) -> str | None:
    best, best_size = None, -1.0
    for candidate in srcset.split(","):
        bits = candidate.split()
        if not bits:
            continue
        size = 0.0
        if len(bits) > 1 and bits[1][:-1].replace(".", "", 1).isdigit():
            size = float(bits[1][:-1])
        if size > best_size:
            best, best_size = bits[0], size
    return best


def _figure_html(image: Image, caption_html: str) -> str:
    attrs = [f'src="{escape(image.url)}"']
    if image.alt is not None:
        attrs.append(f'alt="{escape(image.alt)}"')
    if image.width is not None:
        attrs.append(f'width="{image.width}"')
    if image.height is not None:
        attrs.append(f'height="{image.height}"')
    caption = f"<figcaption>{caption_html}</figcaption>" if caption_html else ""
    return f"<figure><img {' '.join(attrs)}>{caption}</figure>"


def _embed_html(embed: Embed) -> str:
    url = escape(embed.url)
    return f'<figure class="embed" data-kind="{escape(embed.kind)}"><a href="{url}">{url}</a></figure>'


_Media = tuple[Image, str] | Embed


class _Buf:
    """Inline content of one block: HTML pieces, text pieces, media pulled out of it."""

    __slots__ = ("html", "link_chars", "links", "media", "nested", "text")

    def __init__(self, nested: list[etree._Element] | None = None) -> None:
        self.html: list[str] = []
        self.text: list[str] = []
        self.media: list[_Media] = []
        self.link_chars = 0
        self.links: list[str] = []
        #: Nested lists met inside a list item (rendered after the item's own text).
        self.nested = nested

    def add_text(self, text: str) -> None:
        self.text.append(text)
        self.html.append(escape(_WS_RE.sub(" ", text), quote=False))

    def has_text_since(self, start: int) -> bool:
        return any(piece and not piece.isspace() for piece in self.text[start:])

    def joined_text(self) -> str:
        return collapse("".join(self.text))

    def joined_html(self) -> str:
        return "".join(self.html).strip()


class _Lines:
    """A multi-line block being built (list or table): text lines, HTML, media and links."""

    __slots__ = ("html", "lines", "links", "media")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.html: list[str] = []
        self.media: list[_Media] = []
        self.links: list[str] = []

    def take(self, buf: _Buf) -> str:
        """Adopt the media and links of one item or cell; return its collapsed text."""
        self.media.extend(buf.media)
        self.links.extend(buf.links)
        return buf.joined_text()


class _Walker:
    """One pass over the parsed region, writing cleaned HTML blocks and text blocks."""

    def __init__(self, base_url: str, phrases: Iterable[str], featured_url: str | None) -> None:
        self.base_url = base_url
        self.phrases = tuple(p for p in (_title_key(p) for p in phrases) if p)
        self.featured_key = image_key(featured_url)
        self.html: list[str] = []
        self.blocks: list[str] = []
        self.images: list[Image] = []
        self.embeds: list[Embed] = []
        self.stripped: dict[str, int] = {}
        self.links: list[str] = []
        self._seen_links: set[str] = set()
        #: Set after a "Related"/"Most Popular" title: a following list of links is related posts.
        self._after_related_title = False

    def result(self) -> CleanedContent:
        return CleanedContent(
            html="".join(self.html),
            text="\n\n".join(self.blocks),
            images=self.images,
            embeds=self.embeds,
            stripped=self.stripped,
            links=self.links,
        )

    def count(self, kind: str) -> None:
        self.stripped[kind] = self.stripped.get(kind, 0) + 1

    def count_head(self, head: etree._Element) -> None:
        """Scripts and styles at the very start of a fragment land in ``<head>``: count them."""
        for child in head:
            kind = _TAG_KINDS.get(child.tag) if isinstance(child.tag, str) else None
            if kind in ("script", "style"):
                self.count(kind)

    # --- classification ---------------------------------------------------------------------

    def kind_of(self, el: etree._Element, tag: str) -> str | None:
        """The boilerplate kind of ``el`` (``None`` to keep or unwrap it)."""
        kind = _TAG_KINDS.get(tag)
        if kind:
            return kind
        if tag == "ins" and "adsbygoogle" not in (el.get("class") or ""):
            return None
        cls = el.get("class")
        if cls:
            kind = self._class_kind(el, tag, cls.split())
            if kind:
                return kind
        ident = el.get("id")
        if ident:
            for prefix, id_kind in _ID_PREFIX_KINDS:
                if ident.startswith(prefix):
                    return id_kind
        style = el.get("style")
        if style and _HIDDEN_RE.search(style) and not _has_text(el):
            return "hidden"
        return None

    def _class_kind(self, el: etree._Element, tag: str, tokens: list[str]) -> str | None:
        if _REGION_CLASSES.intersection(tokens):
            return None
        for token in tokens:
            kind = _CLASS_KINDS.get(token)
            if kind:
                return kind
            for prefix, prefix_kind in _CLASS_PREFIX_KINDS:
                if token.startswith(prefix):
                    return prefix_kind
        if "td_block_wrap" in tokens:
            kind = self._theme_block_kind(el, tokens)
            if kind:
                return kind
        if tag in ("div", "section", "aside") and any(_AUTHOR_BOX_RE.search(t) for t in tokens):
            return "author_box"
        if tag in ("div", "section", "aside", "ul"):
            return self._titled_block_kind(el)
        return None

    @staticmethod
    def _theme_block_kind(el: etree._Element, tokens: list[str]) -> str | None:
        if any(_LIST_BLOCK_RE.match(t) for t in tokens):
            first = _title_key(_first_text(el))
            return "follow" if first.startswith(_FOLLOW_TITLES) else "related"
        return "related" if _HAS_MODULES(el) else None

    @staticmethod
    def _titled_block_kind(el: etree._Element) -> str | None:
        """A widget opening with "Follow us" / "Most Popular"-like titles, made of links."""
        title = _first_text(el)
        first = _title_key(title)
        if not first or len(first) > 40:
            return None
        if first in _FOLLOW_TITLES:
            return "follow" if len(collapse("".join(el.itertext()))) < 500 else None
        if first in _RELATED_TITLES and _link_ratio(el, title) >= 0.5:
            return "related"
        return None

    def text_kind(self, text: str, buf: _Buf, tag: str) -> str | None:
        """Boilerplate recognised by a block's text (paragraphs and headings)."""
        key = _title_key(text)
        if self.phrases and key.startswith(self.phrases):
            return "boilerplate"
        if key in _AD_LABELS:
            return "ad"
        if key in _FOLLOW_TITLES:
            return "follow"
        if key in _RELATED_TITLES and (tag != "p" or buf.link_chars):
            return "related"
        match = _READ_MORE_RE.match(text)
        if match and buf.link_chars:
            rest = len("".join(text[match.end() :].split()))
            if buf.link_chars * 2 >= rest:
                return "read_more"
        return None

    # --- block level ------------------------------------------------------------------------

    def container(self, el: etree._Element, depth: int) -> None:
        """Walk a wrapper's children: blocks are rendered, loose inline content becomes paragraphs."""
        para: _Buf | None = None
        if el.text and not el.text.isspace():
            para = _Buf()
            para.add_text(el.text)
        for child in el:
            tag = child.tag
            if isinstance(tag, str):
                kind = self.kind_of(child, tag)
                if kind:
                    self.count(kind)
                elif tag in _SILENT_TAGS:
                    pass
                elif tag in _BLOCK_TAGS or (len(child) and tag not in _MEDIA_TAGS and _HAS_BLOCK(child)):
                    if para is not None:
                        self.paragraph(para, "p", explicit=False)
                        para = None
                    self.block(child, tag, depth + 1)
                else:
                    para = para or _Buf()
                    self.inline_element(child, tag, para, depth + 1)
            tail = child.tail
            if tail:
                if para is not None:
                    para.add_text(tail)
                elif not tail.isspace():
                    para = _Buf()
                    para.add_text(tail)
        if para is not None:
            self.paragraph(para, "p", explicit=False)

    def block(self, el: etree._Element, tag: str, depth: int) -> None:
        if depth > _MAX_DEPTH:
            self.flat_block(el)
        elif tag in _PARAGRAPHS:
            self.inline_block(el, "p", depth)
        elif tag in _HEADINGS:
            self.inline_block(el, _HEADINGS[tag], depth)
        elif tag in ("ul", "ol"):
            self.list_block(el, depth)
        elif tag == "table":
            self.table(el, depth)
        elif tag == "blockquote":
            self.blockquote(el, depth)
        elif tag == "figure" or (tag == "div" and "wp-caption" in _classes(el)):
            self.figure(el, depth)
        else:
            self.container(el, depth)

    def flat_block(self, el: etree._Element) -> None:
        buf = _Buf()
        buf.add_text(" ".join(el.itertext()))
        self.paragraph(buf, "p", explicit=False)

    def inline_block(self, el: etree._Element, tag: str, depth: int) -> None:
        buf = _Buf()
        self.inline_children(el, buf, depth)
        self.paragraph(buf, tag, explicit=True)

    def paragraph(self, buf: _Buf, tag: str, *, explicit: bool) -> None:
        """Emit a paragraph or heading (unless it is boilerplate or empty), then its media."""
        text = buf.joined_text()
        if text:
            kind = self.text_kind(text, buf, tag)
            if kind:
                self.count(kind)
                self._after_related_title = kind == "related"
                return
            self.html.append(f"<{tag}>{buf.joined_html()}</{tag}>")
            self.blocks.append(text)
            self.keep_links(buf.links)
            self._after_related_title = False
        elif explicit and not buf.media:
            self.count("empty")
        self.emit_media(buf.media)

    def keep_links(self, links: Iterable[str]) -> None:
        for link in links:
            if link not in self._seen_links:
                self._seen_links.add(link)
                self.links.append(link)

    def emit_media(self, media: list[_Media]) -> None:
        for item in media:
            if isinstance(item, Embed):
                self.embeds.append(item)
                self.html.append(_embed_html(item))
            else:
                image, caption_html = item
                self.images.append(image)
                self.html.append(_figure_html(image, caption_html))

    def list_block(self, el: etree._Element, depth: int) -> None:
        out = _Lines()
        self.list_items(el, depth, out)
        if out.lines and self._after_related_title and _link_ratio(el) >= 0.5:
            self.count("related")
            self._after_related_title = False
            return
        self.emit_lines(out, "".join(out.html))

    def emit_lines(self, out: _Lines, html: str) -> None:
        """Emit a multi-line block (list, table), or count it as empty; then its media."""
        if out.lines:
            self.html.append(html)
            self.blocks.append("\n".join(out.lines))
            self.keep_links(out.links)
            self._after_related_title = False
        elif not out.media:
            self.count("empty")
        self.emit_media(out.media)

    def list_items(self, el: etree._Element, depth: int, out: _Lines) -> None:
        tag = "ol" if el.tag == "ol" else "ul"
        out.html.append(f"<{tag}>")
        number = 0
        for child in el:
            if not isinstance(child.tag, str):
                continue
            kind = self.kind_of(child, child.tag)
            if kind:
                self.count(kind)
                continue
            if child.tag in ("ul", "ol"):
                self.list_items(child, depth + 1, out)
                continue
            buf = _Buf(nested=[])
            self.inline_children(child, buf, depth + 1)
            text = out.take(buf)
            if not text and not buf.nested:
                continue
            out.html.append(f"<li>{buf.joined_html()}")
            if text:
                number += 1
                out.lines.append(f"{number}. {text}" if tag == "ol" else f"- {text}")
            for sub in buf.nested or ():
                self.list_items(sub, depth + 1, out)
            out.html.append("</li>")
        out.html.append(f"</{tag}>")

    def table(self, el: etree._Element, depth: int) -> None:
        out = _Lines()
        groups: list[tuple[str, list[str]]] = []
        for part in el:
            if part.tag == "tr":
                self.table_row(part, depth, out, self._row_group(groups, "tbody"))
            elif part.tag in ("thead", "tbody", "tfoot"):
                group = "thead" if part.tag == "thead" else "tbody"
                for tr in part:
                    if tr.tag == "tr":
                        self.table_row(tr, depth, out, self._row_group(groups, group))
            elif part.tag == "caption":
                self.inline_block(part, "p", depth)
        html = "".join(f"<{group}>{''.join(rows)}</{group}>" for group, rows in groups if rows)
        self.emit_lines(out, f"<table>{html}</table>")

    @staticmethod
    def _row_group(groups: list[tuple[str, list[str]]], group: str) -> list[str]:
        if not groups or groups[-1][0] != group:
            groups.append((group, []))
        return groups[-1][1]

    def table_row(self, tr: etree._Element, depth: int, out: _Lines, rows_html: list[str]) -> None:
        texts: list[str] = []
        cells: list[str] = []
        for cell in tr:
            if cell.tag not in ("td", "th"):
                continue
            buf = _Buf()
            self.inline_children(cell, buf, depth + 1)
            texts.append(out.take(buf))
            cells.append(f"<{cell.tag}>{buf.joined_html()}</{cell.tag}>")
        if any(texts):
            out.lines.append(collapse(" | ".join(texts)))
            rows_html.append(f"<tr>{''.join(cells)}</tr>")

    def blockquote(self, el: etree._Element, depth: int) -> None:
        embed = self.quote_embed(el)
        if embed is not None:
            self.emit_media([embed])
            return
        start = len(self.html)
        self.html.append("<blockquote>")
        self.container(el, depth)
        if len(self.html) == start + 1:
            del self.html[start:]
            self.count("empty")
        else:
            self.html.append("</blockquote>")

    def figure(self, el: etree._Element, depth: int) -> None:
        media = self.figure_media(el)
        if media is None:
            self.container(el, depth)
        else:
            self.emit_media(media)

    # --- inline level -----------------------------------------------------------------------

    def inline_children(self, el: etree._Element, buf: _Buf, depth: int) -> None:
        if el.text:
            buf.add_text(el.text)
        for child in el:
            if isinstance(child.tag, str):
                self.inline_element(child, child.tag, buf, depth + 1)
            if child.tail:
                buf.add_text(child.tail)

    def inline_element(self, el: etree._Element, tag: str, buf: _Buf, depth: int) -> None:
        kind = self.kind_of(el, tag)
        if kind:
            self.count(kind)
        elif tag in _SILENT_TAGS:
            return
        elif depth > _MAX_DEPTH:
            buf.add_text(" ".join(el.itertext()))
        elif tag == "br":
            buf.html.append("<br>")
            buf.text.append(" ")
        elif tag == "a":
            self.anchor(el, buf, depth)
        elif tag in _KEEP_INLINE:
            self.wrapped(el, buf, f"<{tag}>", f"</{tag}>", depth)
        elif tag in _MEDIA_TAGS:
            buf.media.extend(self.media_of(el, tag))
        elif tag == "figure" or (tag == "div" and "wp-caption" in _classes(el)):
            media = self.figure_media(el)
            if media is None:
                self.inline_children(el, buf, depth)
            else:
                buf.media.extend(media)
        elif tag == "blockquote" and _is_embed_quote(el):
            embed = self.quote_embed(el)
            if embed is None:
                self.inline_children(el, buf, depth)
            else:
                buf.media.append(embed)
        elif tag in ("ul", "ol") and buf.nested is not None:
            buf.nested.append(el)
        elif tag in _BLOCK_TAGS:
            buf.text.append(" ")
            buf.html.append(" ")
            self.inline_children(el, buf, depth)
            buf.text.append(" ")
            buf.html.append(" ")
        else:
            self.inline_children(el, buf, depth)

    def wrapped(self, el: etree._Element, buf: _Buf, open_tag: str, close_tag: str, depth: int) -> int:
        """Render ``el``'s children inside ``open_tag``; the tags are dropped when nothing was said."""
        at_html, at_text = len(buf.html), len(buf.text)
        buf.html.append(open_tag)
        self.inline_children(el, buf, depth)
        if buf.has_text_since(at_text):
            buf.html.append(close_tag)
            return at_text
        buf.html[at_html] = ""
        return -1

    def anchor(self, el: etree._Element, buf: _Buf, depth: int) -> None:
        href = self.href(el.get("href"))
        if href is None:
            self.inline_children(el, buf, depth)
            return
        at_text = self.wrapped(el, buf, f'<a href="{escape(href)}">', "</a>", depth)
        if at_text < 0:
            return
        buf.link_chars += sum(len("".join(piece.split())) for piece in buf.text[at_text:])
        if href.startswith(("http://", "https://")):
            buf.links.append(href)

    def href(self, raw: str | None) -> str | None:
        raw = (raw or "").strip()
        if not raw or raw.lower().startswith(("javascript:", "data:", "vbscript:")):
            return None
        return self.absolute(raw)

    # --- media --------------------------------------------------------------------------------

    def media_of(self, el: etree._Element, tag: str) -> list[_Media]:
        if tag == "img":
            image = self.image(el)
            return [(image, "")] if image else []
        if tag == "picture":
            imgs = [img for img in el.iter("img")]
            image = self.image(imgs[0]) if imgs else None
            return [(image, "")] if image else []
        embed = self.element_embed(el, tag)
        return [embed] if embed else []

    def figure_media(self, el: etree._Element) -> list[_Media] | None:
        """Images (with captions) or embeds of a figure; ``None`` when it holds neither."""
        if el.get("data-kind") and "embed" in _classes(el):  # our own rendering of an embed
            hrefs = _LINK_HREFS(el)
            url = self.absolute(hrefs[0].strip()) if hrefs else None
            return [Embed(kind=el.get("data-kind", ""), url=url)] if url else []
        if any(token.startswith("wp-block-embed") for token in _classes(el)):
            embed = self.wrapper_embed(el)
            return [embed] if embed else []
        imgs = _FIGURE_IMAGES(el)
        if not imgs:
            embeds = [self.quote_embed(x) or self.element_embed(x, x.tag) for x in _FIGURE_EMBEDS(el)]
            found: list[_Media] = [e for e in embeds if e is not None]
            return found or None
        media: list[_Media] = []
        for img in imgs:
            image = self.image(img)
            if image is None:
                continue
            caption = self.caption_of(img, el)
            caption_html = ""
            if caption is not None:
                buf = _Buf()
                self.inline_children(caption, buf, 1)
                image.caption = buf.joined_text() or None
                self.keep_links(buf.links)
                caption_html = buf.joined_html() if image.caption else ""
            if image.caption is None:
                image.caption = self._data_caption(img)
                caption_html = escape(image.caption, quote=False) if image.caption else ""
            media.append((image, caption_html))
        return media

    @staticmethod
    def caption_of(img: etree._Element, figure: etree._Element) -> etree._Element | None:
        for ancestor in img.iterancestors():
            for child in ancestor:
                if child.tag == "figcaption" or (
                    isinstance(child.tag, str) and "wp-caption-text" in (child.get("class") or "")
                ):
                    return child
            if ancestor is figure:
                break
        return None

    @staticmethod
    def _data_caption(img: etree._Element) -> str | None:
        parent = img.getparent()
        if parent is not None and parent.tag == "a":
            return collapse(parent.get("data-caption") or "") or None
        return None

    def image(self, img: etree._Element) -> Image | None:
        """The inline image of an ``img`` element, or ``None`` (counted) when it must not be kept."""
        url = self.image_url(img)
        if not url:
            self.count("empty")
            return None
        if self.featured_key and image_key(url) == self.featured_key:
            self.count("featured_image")
            return None
        width, height = _int(img.get("width")), _int(img.get("height"))
        if width == 1 and height == 1:
            self.count("ad")
            return None
        alt = img.get("alt")
        return Image(url=url, alt=collapse(alt) if alt is not None else None, width=width, height=height)

    def image_url(self, img: etree._Element) -> str | None:
        for attr in _LAZY_SRC_ATTRS:
            value = (img.get(attr) or "").strip()
            if value and not _PLACEHOLDER_RE.search(value):
                return self.absolute(value)
        src = (img.get("src") or "").strip()
        if src and not _PLACEHOLDER_RE.search(src):
            return self.absolute(src)
        for attr in _SRCSET_ATTRS:
            value = img.get(attr)
            best = _best_srcset(value) if value else None
            if best and not best.startswith("data:"):
                return self.absolute(best)
        fallback = img.getnext()
        if fallback is not None and fallback.tag == "noscript":
            for inner in fallback.iter("img"):
                src = (inner.get("src") or "").strip()
                if src and not src.startswith("data:"):
                    return self.absolute(src)
        return None

    def absolute(self, url: str) -> str | None:
        if url.startswith(("https://", "http://")):
            return url
        try:
            return urljoin(self.base_url, url)
        except ValueError:
            return None

    def element_embed(self, el: etree._Element, tag: str) -> Embed | None:
        src = el.get("src") or el.get("data-src") or el.get("data-lazy-src")
        if not src and tag in ("video", "audio"):
            src = next((s.get("src") for s in el.iter("source") if s.get("src")), None)
        src = (src or "").strip()
        url = self.absolute(src) if src and not src.startswith(("about:", "data:", "javascript:")) else None
        if not url:
            self.count("empty")
            return None
        host = (urlsplit(url).hostname or "").lower()
        if host.endswith(_AD_HOSTS):
            self.count("ad")
            return None
        kind = tag if tag in ("video", "audio") else _embed_kind(url)
        return Embed(kind=kind, url=url)

    def quote_embed(self, el: etree._Element) -> Embed | None:
        """A tweet / Instagram / TikTok blockquote as an embed (``None`` for a real quotation)."""
        kind = next((_EMBED_QUOTE_KINDS[t] for t in _classes(el) if t in _EMBED_QUOTE_KINDS), None)
        if kind is None:
            return None
        raw = el.get("data-instgrm-permalink") or el.get("cite")
        if not raw:
            hrefs = _LINK_HREFS(el)
            raw = hrefs[-1] if hrefs else None
        url = self.absolute(raw.strip()) if raw else None
        if not url:
            return None
        return Embed(kind=kind, url=_clean_tweet_url(url) if kind == "twitter" else url)

    def wrapper_embed(self, el: etree._Element) -> Embed | None:
        """A Gutenberg ``figure.wp-block-embed``: its iframe, tweet, or the bare URL it wraps."""
        for inner in _FIGURE_EMBEDS(el):
            embed = self.quote_embed(inner) or self.element_embed(inner, inner.tag)
            if embed:
                return embed
        match = _WRAPPER_URL_RE.search(" ".join(el.itertext()))
        hrefs = _LINK_HREFS(el)
        raw = match.group(0) if match else (hrefs[-1] if hrefs else None)
        url = self.absolute(raw) if raw else None
        if not url:
            self.count("empty")
            return None
        kind = _embed_kind(url)
        return Embed(kind=kind, url=_clean_tweet_url(url) if kind == "twitter" else url)

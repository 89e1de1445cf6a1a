"""Precision rules applied to the chosen content before it is cleaned.

Readability keeps what looks like prose near the article; news pages put a lot of prose-like
furniture there: photo captions and credits, ad labels ("Advertisement", "Story continues below"),
link lists of related stories, date and byline lines, sign-up and comment notices. Each rule here
removes one such kind and counts it.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING

from crawler.generic.tree import inner_text, link_density, remove

if TYPE_CHECKING:
    from lxml.etree import _Element

logger = logging.getLogger(__name__)

#: Elements whose text is a "block" for the repeated-line and edge rules.
_BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "div", "section", "header", "blockquote", "dd")
#: Blocks a repeated text marks as page furniture (headings and list items repeat in tables of contents).
_REPEATABLE = frozenset({"p", "div", "section"})
_LIST_TAGS = ("ul", "ol", "div", "section", "aside", "nav", "table", "header", "footer")
_CAPTION_WORDS = re.compile(r"caption|credit|copyright|bildunterschrift|legende", re.I)
_NEGATED = re.compile(r"^(?:no|has|with|without|is)[-_]", re.I)
_BOILERPLATE_PART = frozenset(
    {
        "related",
        "recommended",
        "recommendations",
        "recommendation",
        "popular",
        "mostread",
        "newsletter",
        "newsletters",
        "subscribe",
        "subscription",
        "signup",
        "promo",
        "promotion",
        "promos",
        "comment",
        "comments",
        "share",
        "sharing",
        "social",
        "socials",
        "tags",
        "taglist",
        "keywords",
        "breadcrumb",
        "breadcrumbs",
        "authorbio",
        "advert",
        "advertisement",
        "advertising",
        "ads",
        "ad",
        "adslot",
        "adcontainer",
        "adwrapper",
        "sponsored",
        "affiliate",
        "donate",
        "donation",
        "toc",
    }
)
_BOILERPLATE_PAIRS = frozenset(
    {("most", "read"), ("more", "from"), ("read", "more"), ("read", "next"), ("sign", "up"),
     ("author", "bio"), ("about", "author"), ("ad", "slot"), ("ad", "container"), ("ad", "wrapper"),
     ("tag", "list"), ("inline", "promo"), ("table", "of")}
)  # fmt: skip
_PART_SPLIT = re.compile(r"[-_]+")


@lru_cache(maxsize=4096)
def _caption_class(cls: str) -> bool:
    return any(_CAPTION_WORDS.search(token) and not _NEGATED.match(token) for token in cls.split())


@lru_cache(maxsize=4096)
def _boilerplate_class(cls: str) -> bool:
    for token in cls.split():
        if _NEGATED.match(token):
            continue
        parts = [part for part in _PART_SPLIT.split(token.lower()) if part]
        if any(part in _BOILERPLATE_PART for part in parts):
            return True
        if any(pair in _BOILERPLATE_PAIRS for pair in zip(parts, parts[1:], strict=False)):
            return True
    return False


#: Whole-block texts of ad labels and "continue reading" markers, in the languages met most.
_AD_LINE = re.compile(
    r"^(?:-\s*)?(?:advertisement|advertisements|advertising|advert|ad|ads|sponsored|sponsored content"
    r"|anzeige|werbung|publicidad|publicité|pubblicità|publicidade|reklam|reklama|reclame|advertentie"
    r"|annonse|annons|mainos|διαφήμιση|реклама|广告|広告|광고"
    r"|(?:the )?(?:story|article|text) continues (?:below|after)(?: (?:this )?(?:advertisement|ad))?"
    r"|continue reading (?:below|the main story)|scroll to continue(?: with content)?"
    r"|weiterlesen nach der anzeige|lesen sie (?:auch|mehr)|mehr zum thema|read more|read also|also read"
    r"|see also|related|related articles?|related stories|recommended|recommended videos?|more on this story"
    r"|share this(?: article| story)?|share|teilen|partager|compartir|condividi|print|drucken|imprimer"
    r"|article content|skip advert|advertisement \d+|ad \d+|anzeige \d+)"
    r"\s*[:.!–—-]?\s*$",
    re.I,
)
_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august"
    "|september|october|november|december|januar|jänner|februar|märz|mai|juni|juli|oktober|dezember"
    "|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|enero|febrero"
    "|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|gennaio"
    "|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|janeiro|fevereiro|março|maio"
    "|junho|julho|setembro|outubro|dezembro|januari|februari|maart|mei|augustus"
)
_DAYS = (
    "mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag"
    "|mittwoch|donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    "|lunes|martes|miércoles|jueves|viernes|sábado|domingo|lunedì|martedì|mercoledì|giovedì|venerdì"
    "|sabato|domenica"
)
_META_WORDS = (
    "published|updated|last updated|modified|posted|on|at|am|pm|by|and|von|und|um|uhr|stand|aktualisiert"
    "|veröffentlicht|le|à|mis à jour|publié|el|la|de|del|a las|actualizado|publicado|il|alle|aggiornato"
    "|pubblicato|em|às|atualizado|gmt|utc|cet|cest|est|edt|pst|pdt|bst|ist|myt|min|mins|minute|minutes"
    "|read|reading|time|ago|hours|hour|days|day|h|uppdaterad|publicerad|oppdatert|publisert|opdateret"
    "|udgivet|bijgewerkt|gepubliceerd|zaktualizowano|opublikowano|kl"
)
_META_TOKEN = re.compile(rf"^(?:\d+(?:\.\d+)*(?:st|nd|rd|th)?|{_MONTHS}|{_DAYS}|{_META_WORDS})\.?,?$", re.I)
_DATE_HINT = re.compile(
    r"\b(?:19|20)\d{2}\b|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{1,2}:\d{2}\b|\b\d{1,2}\.\d{2}\b"
)
#: A caption's closing credit: "(AP Photo/Jane Doe)", "Foto: AFP", "© Reuters", "| Picture: Getty Images".
_CREDIT = re.compile(
    r"(?:\((?:[^()]*\b(?:photo|foto|image|picture|bild|credit|getty|reuters|afp|ap|dpa|epa|imago|shutterstock"
    r"|istock|keystone|anp|efe|ansa)\b[^()]*)\)|(?:foto|photo|bild|picture|image|credit|quelle|source)s?\s*:"
    r"\s*[^.!?]{2,60}\.?|©\s*[^.!?]{2,60})\s*$",
    re.I,
)
_BYLINE_LINE = re.compile(
    r"^(?i:by|von|par|por|door|di|da|av|af)\s+[A-ZÀ-Ý][\w'’.-]*(?:(?:\s+|\s*,\s*|\s+(?:and|und|et|y|e|&)\s+)"
    r"[A-ZÀ-Ý][\w'’.-]*)*$"
)
_TOKEN_SPLIT = re.compile(r"[\s|•·/,;:()\[\]–—-]+")


def prune_content(content: _Element, image_texts: set[str] | None = None) -> Counter[str]:
    """Remove captions, ad labels, link lists, repeated and date-only lines from ``content``.

    ``image_texts`` are the ``alt``/``title`` texts of the page's images: a block repeating one is a
    caption. Returns what was removed, counted by kind.
    """
    removed: Counter[str] = Counter()
    total = len(inner_text(content)) or 1
    texts = image_texts if image_texts is not None else _image_texts(content)
    _remove_by_class(content, total, removed)
    _remove_figures(content, removed)
    _remove_headlines(content, removed)
    _remove_lines(content, texts, removed)
    _remove_link_lists(content, removed)
    _trim_edges(content, removed)
    return removed


def _remove_headlines(content: _Element, removed: Counter[str]) -> None:
    """``h1`` elements before the text: the page's headline, printed above the article."""
    for el in content.iter("h1", "p"):
        if el.tag == "p" and len(inner_text(el)) > 80:
            return
        if el.tag == "h1" and el.getparent() is not None:
            remove(el)
            removed["headline"] += 1


def _image_texts(content: _Element) -> set[str]:
    texts = set()
    for img in content.iter("img"):
        for attr in ("alt", "title"):
            text = " ".join((img.get(attr) or "").split())
            if len(text) > 15:
                texts.add(text.casefold())
    return texts


def _remove_by_class(content: _Element, total: int, removed: Counter[str]) -> None:
    for el in list(content.iter()):
        if el is content or not isinstance(el.tag, str) or el.getparent() is None:
            continue
        ident = el.get("id") or ""
        cls = f"{el.get('class') or ''} {ident if len(ident) <= 24 else ''}".strip()
        if not cls or el.tag in ("figcaption", "a"):
            continue
        if _caption_class(cls) and not _in_figure(el) and len(inner_text(el)) < 400:
            remove(el)
            removed["caption"] += 1
        elif el.tag != "p" and _boilerplate_class(cls) and len(inner_text(el)) < total * 0.3:
            remove(el)
            removed["boilerplate"] += 1


def _in_figure(el: _Element) -> bool:
    return any(a.tag == "figure" for a in el.iterancestors())


def _remove_figures(content: _Element, removed: Counter[str]) -> None:
    for figure in list(content.iter("figure")):
        if figure.getparent() is None:
            continue
        if any(True for _ in figure.iter("img", "picture", "blockquote", "table", "iframe", "video")):
            continue
        remove(figure)
        removed["caption"] += 1


def _block_texts(content: _Element) -> list[tuple[_Element, str]]:
    blocks = []
    for el in content.iter(*_BLOCKS):
        if el is content:
            continue
        if el.tag in ("div", "section", "header") and any(
            isinstance(c.tag, str) and c.tag in _BLOCKS for c in el
        ):
            continue
        blocks.append((el, inner_text(el)))
    return blocks


def _remove_lines(content: _Element, image_texts: set[str], removed: Counter[str]) -> None:
    blocks = _block_texts(content)
    counts = Counter(text for el, text in blocks if 2 < len(text) < 60 and el.tag in _REPEATABLE)
    for el, text in blocks:
        if el.getparent() is None:
            continue
        if not text:
            continue
        if _AD_LINE.match(text):
            remove(el)
            removed["ad_label"] += 1
        elif counts[text] > 2 and el.tag in _REPEATABLE:
            remove(el)
            removed["repeated"] += 1
        elif not _in_figure(el) and (text.casefold() in image_texts or _is_caption(text)):
            remove(el)
            removed["caption"] += 1
        elif el.tag in ("p", "div") and len(text) < 160 and link_density(el, len(text)) >= 0.9:
            remove(el)
            removed["link_line"] += 1


def _remove_link_lists(content: _Element, removed: Counter[str]) -> None:
    for el in reversed(list(content.iter(*_LIST_TAGS))):
        if el is content or el.getparent() is None:
            continue
        links = sum(1 for _ in el.iter("a"))
        if links < 2:
            continue
        text = inner_text(el)
        if len(text) > 1500:
            continue
        if link_density(el, len(text)) > 0.6:
            remove(el)
            removed["link_list"] += 1


def _is_caption(text: str) -> bool:
    """A short block closing with a photo credit."""
    return len(text) < 300 and _CREDIT.search(text) is not None


def is_meta_line(text: str) -> bool:
    """Whether ``text`` is only a date/time or byline-and-date line ("Published Jun 4, 2026 • 2 min read")."""
    if not text or len(text) > 120 or not _DATE_HINT.search(text):
        return False
    tokens = [t for t in _TOKEN_SPLIT.split(text) if t]
    others = [t for t in tokens if not _META_TOKEN.match(t)]
    return len(others) <= max(1, len(tokens) // 4)


def is_byline(text: str) -> bool:
    """Whether ``text`` is a byline ("By Jane Doe", "Von Max Muster und Erika Beispiel")."""
    return len(text) <= 80 and _BYLINE_LINE.match(text) is not None


def _trim_edges(content: _Element, removed: Counter[str]) -> None:
    blocks = [(el, text) for el, text in _block_texts(content) if text]
    for index, (el, text) in enumerate(blocks[:4] + blocks[-4:]):
        if el.getparent() is None:
            continue
        if is_meta_line(text):
            remove(el)
            removed["meta_line"] += 1
        elif index < 4 and is_byline(text):
            remove(el)
            removed["byline"] += 1

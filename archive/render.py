"""Rendering one stored article (as :func:`archive.queries.get_article` returns it) as text.

Formats: ``text`` (every field, for a terminal), ``markdown`` (YAML front matter and the body),
``json`` (every column, lists of authors, terms and images) and ``html`` (a standalone page).
"""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

FORMATS = ("text", "markdown", "json", "html")
#: Characters a YAML or line-oriented reader could take for a line break or reject; written escaped.
UNSAFE_CHARACTERS = re.compile("[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: Front matter keys of a Markdown article, in order, with the article field they come from.
FRONT_MATTER_FIELDS = (
    "id",
    "url",
    "title",
    "subtitle",
    "site",
    "page_type",
    "post_id",
    "section",
    "section_path",
    "published",
    "published_raw",
    "published_source",
    "published_utc",
    "modified",
    "modified_raw",
    "modified_source",
    "modified_utc",
    "visible_date_raw",
    "dateline_place",
    "dateline_raw",
    "dateline_date",
    "language",
    "word_count",
    "flags",
    "first_seen",
    "last_seen",
    "last_changed",
    "content_hash",
)


def render_article(article: Mapping[str, Any], fmt: str) -> str:
    """``article`` in format ``fmt`` (one of :data:`FORMATS`), ending with a newline."""
    renderers: dict[str, Callable[[Mapping[str, Any]], str]] = {
        "text": to_text,
        "markdown": to_markdown,
        "json": to_json,
        "html": to_html,
    }
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    return renderers[fmt](article)


def names(items: Iterable[Mapping[str, Any]] | None) -> list[str]:
    """The ``name`` of each author or term."""
    return [item["name"] for item in items or [] if item.get("name")]


def escape_unsafe(text: str) -> str:
    """``text`` (JSON) with line separators and non-printable characters written as ``\\uXXXX``."""

    def escape(match: re.Match[str]) -> str:
        return "".join(f"\\u{unit:04x}" for unit in _utf16(match.group()))

    return UNSAFE_CHARACTERS.sub(escape, text)


def _utf16(char: str) -> list[int]:
    data = char.encode("utf-16-be", errors="surrogatepass")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def json_line(value: Any) -> str:
    """``value`` as JSON on one line that every line reader keeps whole."""
    return escape_unsafe(json.dumps(value, ensure_ascii=False))


# --- JSON -------------------------------------------------------------------------------------


def to_json(article: Mapping[str, Any]) -> str:
    """Every field of the article as an indented JSON object."""
    return escape_unsafe(json.dumps(dict(article), ensure_ascii=False, indent=2)) + "\n"


# --- Markdown ---------------------------------------------------------------------------------


def front_matter(article: Mapping[str, Any]) -> str:
    """YAML front matter (between ``---`` lines); every value is written as JSON, which YAML reads."""
    values: dict[str, Any] = {name: article.get(name) for name in FRONT_MATTER_FIELDS}
    values["authors"] = names(article.get("authors"))
    values["categories"] = names(article.get("categories"))
    values["tags"] = names(article.get("tags"))
    values["images"] = [image["url"] for image in article.get("images") or []]
    lines = [f"{key}: {json_line(value)}" for key, value in values.items()]
    return "---\n" + "\n".join(lines) + "\n---\n"


def to_markdown(article: Mapping[str, Any]) -> str:
    """Front matter, the title as a heading, the subtitle, the featured image and the body text."""
    parts = [front_matter(article).rstrip("\n"), f"# {_one_line(article.get('title')) or '(untitled)'}"]
    if article.get("subtitle"):
        parts.append(f"*{_one_line(article['subtitle'])}*")
    featured = _featured(article)
    if featured:
        parts.append(f"![{_one_line(featured.get('alt'))}]({featured['url']})")
        if featured.get("caption"):
            parts.append(f"*{_one_line(featured['caption'])}*")
    if article.get("body_text"):
        parts.append(article["body_text"].strip())
    return "\n\n".join(parts) + "\n"


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _featured(article: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return next((image for image in article.get("images") or [] if image.get("role") == "featured"), None)


# --- text -------------------------------------------------------------------------------------


def to_text(article: Mapping[str, Any]) -> str:
    """Every field for reading in a terminal: a field list, authors, terms, images, then the body."""
    title = _one_line(article.get("title")) or "(untitled)"
    lines = [title, "=" * len(title)]
    if article.get("subtitle"):
        lines.append(_one_line(article["subtitle"]))
    lines.append("")
    width = max(len(label) for label, _ in _field_list(article))
    lines += [f"{label + ':':<{width + 1}} {value}" for label, value in _field_list(article)]
    for heading, block in _detail_blocks(article):
        lines += ["", f"{heading}:", *block]
    lines += ["", (article.get("body_text") or "(no body text)").strip()]
    return "\n".join(lines) + "\n"


def _field_list(article: Mapping[str, Any]) -> list[tuple[str, str]]:
    path = article.get("section_path") or []
    fields = [
        ("id", article.get("id")),
        ("url", article.get("url")),
        ("fetched from", article.get("url_raw")),
        ("site", article.get("site")),
        ("page type", article.get("page_type")),
        ("post id", article.get("post_id")),
        ("section", " > ".join(path) if path else article.get("section")),
        ("published", _date(article, "published")),
        ("modified", _date(article, "modified")),
        ("visible date", article.get("visible_date_raw")),
        ("dateline", _dateline(article)),
        ("language", article.get("language")),
        ("timezone", article.get("site_timezone")),
        ("words", article.get("word_count")),
        ("flags", ", ".join(article.get("flags") or []) or "none"),
        ("first seen", article.get("first_seen")),
        ("last seen", article.get("last_seen")),
        ("last changed", article.get("last_changed")),
        ("fetched at", article.get("fetched_at")),
        ("content hash", article.get("content_hash")),
    ]
    return [(label, "-" if value is None or value == "" else str(value)) for label, value in fields]


def _date(article: Mapping[str, Any], name: str) -> str | None:
    """``value (UTC ...; raw "..." from source)`` for ``published`` or ``modified``."""
    value, raw = article.get(name), article.get(f"{name}_raw")
    if value is None and raw is None:
        return None
    details = []
    if article.get(f"{name}_utc"):
        details.append(f"UTC {article[f'{name}_utc']}")
    if raw is not None:
        details.append(f'raw "{raw}" from {article.get(f"{name}_source") or "unknown source"}')
    return f"{value or '(not normalised)'} ({'; '.join(details)})" if details else value


def _dateline(article: Mapping[str, Any]) -> str | None:
    place, raw, day = article.get("dateline_place"), article.get("dateline_raw"), article.get("dateline_date")
    text = ", ".join(part for part in (place, raw) if part)
    if day:
        text = f"{text} ({day})" if text else day
    return text or None


def _detail_blocks(article: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    blocks = [
        ("Authors", [line for author in article.get("authors") or [] for line in _author_lines(author)]),
        ("Categories", [f"  {_term(term)}" for term in article.get("categories") or []]),
        ("Tags", [f"  {_term(term)}" for term in article.get("tags") or []]),
        ("Images", [line for image in article.get("images") or [] for line in _image_lines(image)]),
        ("Embeds", [f"  {embed.get('kind')}: {embed.get('url')}" for embed in article.get("embeds") or []]),
        ("Removed boilerplate", _counts(article.get("stripped"))),
    ]
    return [(heading, block or ["  none"]) for heading, block in blocks]


def _author_lines(author: Mapping[str, Any]) -> list[str]:
    lines = [f"  {_term(author)}"]
    if author.get("website"):
        lines.append(f"    website: {author['website']}")
    if author.get("bio"):
        lines.append(f"    bio: {_one_line(author['bio'])}")
    return lines


def _term(item: Mapping[str, Any]) -> str:
    return f"{item.get('name')} <{item['url']}>" if item.get("url") else str(item.get("name"))


def _image_lines(image: Mapping[str, Any]) -> list[str]:
    size = f" {image['width']}x{image['height']}" if image.get("width") and image.get("height") else ""
    lines = [f"  {image.get('role')}{size}: {image.get('url')}"]
    lines += [f"    {key}: {_one_line(image[key])}" for key in ("caption", "alt") if image.get(key)]
    return lines


def _counts(stripped: Any) -> list[str]:
    if not isinstance(stripped, dict):
        return []
    return [f"  {kind}: {count}" for kind, count in sorted(stripped.items())]


# --- HTML -------------------------------------------------------------------------------------

HTML_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: Georgia, serif; max-width: 46em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
dl {{ display: grid; grid-template-columns: max-content auto; gap: .2em 1em; font-size: .9em; }}
dt {{ font-weight: bold; }} dd {{ margin: 0; overflow-wrap: anywhere; }}
</style>
</head>
<body>
<article>
<h1>{title}</h1>
{subtitle}
<dl>
{fields}
</dl>
{details}
<section class="body">
{body}
</section>
</article>
</body>
</html>
"""


def to_html(article: Mapping[str, Any]) -> str:
    """A standalone HTML page: metadata as a definition list, then the body text as paragraphs.

    Everything is escaped; the page shows ``body_text``, never the stored ``body_html``.
    """
    esc = html.escape
    title = esc(_one_line(article.get("title")) or "(untitled)")
    subtitle = f"<p><em>{esc(article['subtitle'])}</em></p>" if article.get("subtitle") else ""
    fields = "\n".join(f"<dt>{esc(label)}</dt><dd>{esc(value)}</dd>" for label, value in _field_list(article))
    details = "\n".join(
        f"<h2>{esc(heading)}</h2>\n<pre>{esc(chr(10).join(line.strip() for line in block))}</pre>"
        for heading, block in _detail_blocks(article)
    )
    paragraphs = (article.get("body_text") or "").strip().split("\n\n")
    body = "\n".join(f"<p>{esc(p).replace(chr(10), '<br>')}</p>" for p in paragraphs if p.strip())
    return HTML_PAGE.format(
        lang=esc(article.get("language") or "en"),
        title=title,
        subtitle=subtitle,
        fields=fields,
        details=details,
        body=body,
    )

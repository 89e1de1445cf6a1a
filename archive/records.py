"""Pure conversions from an article record (``Article.to_record()``) to archive rows.

Nothing here touches the database: :mod:`archive.store` writes what these functions return.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Text columns copied from the record as they are.
TEXT_FIELDS = (
    "url",
    "url_raw",
    "site",
    "page_type",
    "title",
    "subtitle",
    "section",
    "published",
    "published_raw",
    "published_source",
    "modified",
    "modified_raw",
    "modified_source",
    "visible_date_raw",
    "dateline_place",
    "dateline_raw",
    "dateline_date",
    "body_text",
    "body_html",
    "language",
    "site_timezone",
    "fetched_at",
)
#: Columns stored as JSON text.
JSON_FIELDS = ("section_path", "flags", "stripped", "field_sources", "embeds")
#: Columns the store computes from other fields.
COMPUTED_FIELDS = ("post_id", "published_utc", "modified_utc", "word_count", "content_hash")
#: Columns describing one fetch rather than the article: a difference in them is not a change.
FETCH_FIELDS = frozenset({"url_raw", "fetched_at"})
#: Columns that decide whether a stored article changed.
CONTENT_FIELDS = tuple(
    name
    for name in (*TEXT_FIELDS, *JSON_FIELDS, *COMPUTED_FIELDS)
    if name not in FETCH_FIELDS and name != "url"
)

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> str:
    """The current time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return dt.datetime.now(dt.timezone.utc).strftime(UTC_FORMAT)


def to_utc(value: str | None, timezone: str | None = None) -> str | None:
    """``value`` (ISO 8601) in UTC as ``YYYY-MM-DDTHH:MM:SSZ``; ``None`` when it cannot be parsed.

    A value without an offset is read in ``timezone`` (an IANA name); without one it stays ``None``.
    """
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        zone = _zone(timezone)
        if zone is None:
            return None
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.timezone.utc).strftime(UTC_FORMAT)


def _zone(name: str | None) -> dt.tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def content_hash(title: str | None, body_text: str | None) -> str:
    """sha256 (hex) of the title and the body text, joined by a newline."""
    return hashlib.sha256(f"{title or ''}\n{body_text or ''}".encode()).hexdigest()


def to_jsonable(value: Any) -> Any:
    """``value`` converted to plain JSON types (datetimes to ISO 8601, timedeltas to seconds ...)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return to_jsonable(float(value))
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, PurePath):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((to_jsonable(item) for item in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    return str(value)


def dump_json(value: Any) -> str | None:
    """JSON text of ``value`` (``None`` stays ``None``); object keys sorted so equal values compare equal."""
    if value is None:
        return None
    return json.dumps(to_jsonable(value), ensure_ascii=False, sort_keys=True, allow_nan=False)


def load_json(text: str | None) -> Any:
    """The value of a JSON column (``None`` for NULL)."""
    return None if text is None else json.loads(text)


_SCALARS = (str, int, float, type(None))


def as_dict(value: Any) -> dict[str, Any]:
    """A record or sub-record as a ``dict`` (dataclass instances are accepted too)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
        # What dataclasses.asdict gives, without its deep copy when every value is a plain scalar.
        if all(isinstance(item, _SCALARS) for item in fields.values()):
            return fields
        return dataclasses.asdict(value)
    return dict(value) if isinstance(value, Mapping) else {}


def as_int(value: Any) -> int | None:
    """``value`` as an ``int``, ``None`` when it is not a whole number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _section(record: Mapping[str, Any]) -> str | None:
    if record.get("section"):
        return record["section"]
    path = record.get("section_path") or []
    return path[-1] if path else None


def article_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """The ``articles`` columns derived from ``record`` (without the first/last-seen bookkeeping)."""
    row: dict[str, Any] = {name: record.get(name) for name in TEXT_FIELDS}
    row["section"] = _section(record)
    for name in JSON_FIELDS:
        row[name] = dump_json(record.get(name))
    timezone = record.get("site_timezone")
    row["post_id"] = as_int(record.get("post_id"))
    row["published_utc"] = to_utc(record.get("published"), timezone)
    row["modified_utc"] = to_utc(record.get("modified"), timezone)
    body_text = record.get("body_text")
    row["word_count"] = None if body_text is None else len(body_text.split())
    row["content_hash"] = content_hash(record.get("title"), body_text)
    return row


def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())


def identity_key(site: str | None, name: str, url: str | None) -> str:
    """Identity of an author, category or tag: its archive URL, else ``name:<site>:<name>``."""
    if url:
        return url
    return f"name:{site or ''}:{_collapse(name).casefold()}"


def people(record: Mapping[str, Any], field: str) -> list[dict[str, Any]]:
    """Authors (or terms) of ``record[field]`` with a ``key``, de-duplicated by key, page order kept."""
    site = record.get("site")
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in record.get(field) or []:
        item = as_dict(entry)
        name = _collapse(item.get("name"))
        if not name:
            continue
        url = item.get("url") or None
        key = identity_key(site, name, url)
        if key in seen:
            continue
        seen.add(key)
        result.append({**item, "name": name, "url": url, "key": key, "site": site})
    return result


def image_rows(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``images`` rows: the featured image at position 0, inline images from position 1."""
    rows = []
    featured = as_dict(record.get("featured_image"))
    if featured.get("url"):
        rows.append(_image_row(featured, 0, "featured"))
    inline = [as_dict(image) for image in record.get("images") or []]
    for position, image in enumerate((image for image in inline if image.get("url")), start=1):
        rows.append(_image_row(image, position, "inline"))
    return rows


def _image_row(image: Mapping[str, Any], position: int, role: str) -> dict[str, Any]:
    return {
        "position": position,
        "role": role,
        "url": image["url"],
        "caption": image.get("caption"),
        "alt": image.get("alt"),
        "width": as_int(image.get("width")),
        "height": as_int(image.get("height")),
    }

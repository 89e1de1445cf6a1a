"""Turn profile data (parsed TOML) into a :class:`crawler.sites.SiteProfile`, checking every key.

The accepted keys are the fields of ``SiteProfile``; their types come from its annotations, so a
field added there is accepted here without further code. Values are then checked one by one
(URLs, host names, regular expressions, CSS selectors, timezone, page module).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import types
import typing
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

logger = logging.getLogger(__name__)

#: Page modules a profile may name (``crawler.pages.modules``).
PAGE_MODULES = ("newspaper", "generic")
#: Field selectors a profile may give (site-selector layer), each a CSS selector.
SELECTOR_FIELDS = (
    "title",
    "subtitle",
    "authors",
    "published",
    "modified",
    "body",
    "section",
    "tags",
    "remove",
)
#: Politeness keys and the Scrapy settings they set.
POLITENESS_SETTINGS = {
    "download_delay": "DOWNLOAD_DELAY",
    "concurrent_requests_per_domain": "CONCURRENT_REQUESTS_PER_DOMAIN",
    "autothrottle_enabled": "AUTOTHROTTLE_ENABLED",
    "autothrottle_start_delay": "AUTOTHROTTLE_START_DELAY",
    "autothrottle_max_delay": "AUTOTHROTTLE_MAX_DELAY",
    "autothrottle_target_concurrency": "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "download_timeout": "DOWNLOAD_TIMEOUT",
    "retry_times": "RETRY_TIMES",
}
#: ``timezone`` of a profile whose dates keep the offset the page gives (templates, unknown sites).
AUTO_TIMEZONE = "auto"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


class ProfileError(ValueError):
    """An invalid site profile: the message names the file, the key and the problem."""


def profile_from_data(data: dict[str, Any], *, source: str = "<profile>", template: bool = False) -> Any:
    """A checked ``SiteProfile`` from ``data``; :class:`ProfileError` on the first problem found."""
    from crawler.sites import SiteProfile

    fields = {f.name: f for f in dataclasses.fields(SiteProfile)}
    hints = _hints()
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ProfileError(f"{source}: unknown key(s) {', '.join(unknown)} (known: {', '.join(fields)})")
    values: dict[str, Any] = {}
    for name, value in data.items():
        values[name] = _convert(value, hints[name], f"{source}: {name}")
    for name in ("title",):
        values.setdefault(name, values.get("name", ""))
    if template:
        values.setdefault("domains", ())
        values.setdefault("start_url", "")
    missing = [f.name for f in fields.values() if _required(f) and f.name not in values]
    if missing:
        raise ProfileError(f"{source}: missing key(s) {', '.join(missing)}")
    profile = SiteProfile(**values)
    _check(profile, source, template)
    return profile


def profile_to_data(profile: Any) -> dict[str, Any]:
    """Plain data of ``profile`` (tuples as lists, pair tuples as tables), for printing as TOML/JSON."""
    hints = _hints()
    data: dict[str, Any] = {}
    for f in dataclasses.fields(profile):
        value = getattr(profile, f.name)
        if isinstance(value, tuple):
            value = dict(value) if _is_pairs(hints.get(f.name)) else list(value)
        data[f.name] = value
    return data


def _is_pairs(hint: Any) -> bool:
    args = typing.get_args(hint)
    return (
        typing.get_origin(hint) is tuple
        and len(args) == 2
        and args[1] is Ellipsis
        and typing.get_origin(args[0]) is tuple
    )


def politeness_settings(profile: Any) -> dict[str, Any]:
    """The Scrapy settings of the profile's ``politeness`` table."""
    return {POLITENESS_SETTINGS[key]: value for key, value in getattr(profile, "politeness", ())}


# --- conversion by annotation -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _hints() -> dict[str, Any]:
    from crawler import sites

    return typing.get_type_hints(sites.SiteProfile, vars(sites))


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _convert(value: Any, hint: Any, where: str) -> Any:  # noqa: PLR0911
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        return _convert(value, options[0], where) if len(options) == 1 else value
    if hint is Any:
        return value
    if origin is tuple:
        return _tuple(value, hint, where)
    if origin is dict:
        if not isinstance(value, dict):
            raise ProfileError(f"{where}: expected a table, got {_kind(value)}")
        return {str(k): _convert(v, args[1], f"{where}.{k}") for k, v in value.items()}
    if hint is bool:
        if not isinstance(value, bool):
            raise ProfileError(f"{where}: expected true or false, got {_kind(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProfileError(f"{where}: expected an integer, got {_kind(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProfileError(f"{where}: expected a number, got {_kind(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ProfileError(f"{where}: expected a string, got {_kind(value)}")
        return value
    return value


def _tuple(value: Any, hint: Any, where: str) -> tuple[Any, ...]:
    args = typing.get_args(hint)
    if _is_pairs(hint):
        if not isinstance(value, dict):
            raise ProfileError(f"{where}: expected a table of name = value, got {_kind(value)}")
        item_hint = typing.get_args(args[0])[1]
        return tuple((str(k), _convert(v, item_hint, f"{where}.{k}")) for k, v in value.items())
    if isinstance(value, str) or not isinstance(value, list):
        raise ProfileError(f"{where}: expected a list, got {_kind(value)}")
    item_hint = args[0] if args else Any
    return tuple(_convert(v, item_hint, f"{where}[{i}]") for i, v in enumerate(value))


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


# --- value checks -------------------------------------------------------------------------------------


def _check(profile: Any, source: str, template: bool) -> None:
    if not _NAME.match(profile.name):
        raise ProfileError(f"{source}: name {profile.name!r}: use lower-case letters, digits, '.', '-', '_'")
    for domain in profile.domains:
        if not _HOST.match(domain):
            raise ProfileError(f"{source}: domains: {domain!r} is not a host name (no scheme, no path)")
    if not template:
        if not profile.domains:
            raise ProfileError(f"{source}: domains: at least one domain is needed")
        _check_url(profile.start_url, profile.domains, f"{source}: start_url")
    for i, url in enumerate(profile.sections):
        _check_url(url, profile.domains, f"{source}: sections[{i}]")
    _check_timezone(profile.timezone, source)
    for key in ("deny", "allow"):
        for i, pattern in enumerate(getattr(profile, key, ())):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ProfileError(
                    f"{source}: {key}[{i}]: bad regular expression {pattern!r}: {exc}"
                ) from exc
    _check_module(profile, source)
    _check_selectors(profile, source)
    for key, value in getattr(profile, "politeness", ()):
        if key not in POLITENESS_SETTINGS:
            raise ProfileError(
                f"{source}: politeness.{key}: unknown (known: {', '.join(POLITENESS_SETTINGS)})"
            )
        if not isinstance(value, (int, float, bool)):
            raise ProfileError(
                f"{source}: politeness.{key}: expected a number or true/false, got {_kind(value)}"
            )
    for language in getattr(profile, "languages", ()):
        if not _LANGUAGE.match(language):
            raise ProfileError(f"{source}: languages: {language!r} is not a language code such as 'en'")


def _check_url(url: str, domains: tuple[str, ...], where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProfileError(f"{where}: {url!r} is not an http(s) URL")
    host = parts.hostname.lower().removeprefix("www.")
    if domains and not any(host == d or host.endswith("." + d) for d in domains):
        raise ProfileError(f"{where}: {url!r} is outside the profile's domains ({', '.join(domains)})")


def _check_timezone(name: str, source: str) -> None:
    if name == AUTO_TIMEZONE:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ProfileError(f"{source}: timezone: unknown timezone {name!r} (an IANA name or 'auto')") from exc


def _check_module(profile: Any, source: str) -> None:
    module = getattr(profile, "page_module", PAGE_MODULES[0])
    if module not in PAGE_MODULES:
        raise ProfileError(f"{source}: page_module: {module!r} is not one of {', '.join(PAGE_MODULES)}")


def _check_selectors(profile: Any, source: str) -> None:
    from crawler.selectors import SelectorError, compile_css

    for key in ("section_selector", "article_selector", "next_page_selector"):
        css = getattr(profile, key, None)
        if css:
            try:
                compile_css(css)
            except SelectorError as exc:
                raise ProfileError(f"{source}: {key}: {exc}") from exc
    for key, css in getattr(profile, "selectors", ()):
        if key not in SELECTOR_FIELDS:
            raise ProfileError(
                f"{source}: selectors.{key}: unknown field (known: {', '.join(SELECTOR_FIELDS)})"
            )
        try:
            compile_css(css)
        except SelectorError as exc:
            raise ProfileError(f"{source}: selectors.{key}: {exc}") from exc

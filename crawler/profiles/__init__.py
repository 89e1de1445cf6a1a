"""Site profiles as data: TOML files read and validated when newsarchive starts.

``sites/*.toml`` describe known sites (one profile each, e.g. ``tdi.toml``); ``templates/*.toml``
describe kinds of sites (any Newspaper-theme site, any WordPress site, any site) and are applied to
a URL that has no profile of its own. Extra site profiles are read from the directories listed in
the ``NEWSARCHIVE_PROFILES`` environment variable (``os.pathsep``-separated). Every key of a profile
file is a field of :class:`crawler.sites.SiteProfile`; see ``docs/profiles.md``.

A bad file stops the program with a :class:`ProfileError` naming the file, the key and the problem.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.profiles.schema import ProfileError, profile_from_data

if TYPE_CHECKING:
    from crawler.sites import SiteProfile

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = [
    "PROFILES_ENV",
    "ProfileError",
    "builtin_dir",
    "load_profile_file",
    "load_site_profiles",
    "load_templates",
    "profile_from_data",
]

logger = logging.getLogger(__name__)

#: Environment variable listing extra directories of site profiles.
PROFILES_ENV = "NEWSARCHIVE_PROFILES"


def builtin_dir() -> Path:
    """The directory of the profiles shipped with newsarchive."""
    return Path(__file__).resolve().parent


def load_profile_file(path: str | Path, *, template: bool = False) -> SiteProfile:
    """The profile in the TOML file ``path``; :class:`ProfileError` when it is invalid.

    A ``template`` may leave ``domains`` and ``start_url`` empty: they come from the crawled URL.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read the profile: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from exc
    data.setdefault("name", path.stem)
    return profile_from_data(data, source=str(path), template=template)


def load_site_profiles(extra_dirs: list[str | Path] | None = None) -> dict[str, SiteProfile]:
    """Every site profile: the built-in ones, then those of ``extra_dirs`` (default: the env variable)."""
    dirs = [builtin_dir() / "sites"]
    if extra_dirs is None:
        extra_dirs = [d for d in os.environ.get(PROFILES_ENV, "").split(os.pathsep) if d.strip()]
    dirs += [Path(d) for d in extra_dirs]
    profiles: dict[str, SiteProfile] = {}
    origin: dict[str, Path] = {}
    for directory in dirs:
        if not directory.is_dir():
            raise ProfileError(f"{directory}: no such profile directory (from {PROFILES_ENV})")
        for path in sorted(directory.glob("*.toml")):
            profile = load_profile_file(path)
            if profile.name in profiles:
                raise ProfileError(
                    f"{path}: profile {profile.name!r} is already defined in {origin[profile.name]}"
                )
            profiles[profile.name] = profile
            origin[profile.name] = path
    return profiles


@lru_cache(maxsize=1)
def load_templates() -> dict[str, SiteProfile]:
    """The generic profiles by name: ``newspaper`` (tagDiv Newspaper theme), ``wordpress``, ``generic``."""
    templates = {}
    for path in sorted((builtin_dir() / "templates").glob("*.toml")):
        profile = load_profile_file(path, template=True)
        templates[profile.name] = profile
    return templates


def data_of(profile: SiteProfile) -> dict[str, Any]:
    """The profile as TOML-ready data (the inverse of :func:`profile_from_data`)."""
    from crawler.profiles.schema import profile_to_data

    return profile_to_data(profile)

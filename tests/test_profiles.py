"""Site profiles as data: the shipped TOML files, their checks, templates and extra profile folders."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest

from crawler.profiles import ProfileError, load_profile_file, load_site_profiles, load_templates
from crawler.profiles.schema import politeness_settings, profile_from_data, profile_to_data
from crawler.sites import PROFILES, WORDPRESS_DENY, SiteProfile, get_profile

if TYPE_CHECKING:
    from pathlib import Path

SITE = {
    "name": "example",
    "title": "Example News",
    "domains": ["example.com"],
    "start_url": "https://www.example.com/",
}


def _write(tmp_path: Path, text: str, name: str = "example.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_tdi_is_a_profile_file_with_the_values_it_always_had() -> None:
    tdi = get_profile("tdi")

    assert tdi is PROFILES["tdi"]
    assert tdi.domains == ("thediplomaticinsight.com",)
    assert tdi.start_url == "http://thediplomaticinsight.com/"
    assert tdi.timezone == "Asia/Karachi"
    assert tdi.dateline_tag == "TDI"
    assert tdi.deny == WORDPRESS_DENY
    assert tdi.page_module == "newspaper"
    assert tdi.languages == ("en",)


def test_get_profile_names_the_known_sites() -> None:
    with pytest.raises(KeyError, match="known: .*tdi"):
        get_profile("nope")


def test_templates_have_no_site_of_their_own() -> None:
    templates = load_templates()

    assert set(templates) == {"newspaper", "wordpress", "generic"}
    assert templates["newspaper"].page_module == "newspaper"
    assert templates["wordpress"].page_module == templates["generic"].page_module == "generic"
    for template in templates.values():
        assert template.domains == ()
        assert template.timezone == "auto"
    assert not any("wp-admin" in p for p in templates["generic"].deny)


def test_a_full_profile_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
name = "example"
title = "Example News"
domains = ["example.com", "example.org"]
start_url = "https://www.example.com/"
timezone = "Europe/Berlin"
languages = ["de", "en"]
page_module = "generic"
sections = ["https://www.example.com/politik/"]
allow = ["/20\\\\d\\\\d/"]
section_selector = "nav.main a"
article_selector = "article h2 a"
next_page_selector = "a.next::attr(href)"
max_pages = 5

[selectors]
title = "h1.headline"
authors = ".byline a"
body = "div.story"
remove = ".inline-ad"

[politeness]
download_delay = 4
concurrent_requests_per_domain = 1
""",
    )
    profile = load_profile_file(path)

    assert profile.languages == ("de", "en")
    assert profile.page_module == "generic"
    assert profile.allow == ("/20\\d\\d/",)
    assert dict(profile.selectors) == {
        "title": "h1.headline",
        "authors": ".byline a",
        "body": "div.story",
        "remove": ".inline-ad",
    }
    assert politeness_settings(profile) == {"DOWNLOAD_DELAY": 4, "CONCURRENT_REQUESTS_PER_DOMAIN": 1}
    assert profile.max_pages == 5
    assert profile.deny == WORDPRESS_DENY  # the default when the file does not say


def test_the_name_defaults_to_the_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path, 'domains = ["example.com"]\nstart_url = "https://example.com/"\n', "my-site.toml")

    profile = load_profile_file(path)

    assert profile.name == profile.title == "my-site"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "blue"}, r"unknown key\(s\) colour"),
        ({"domains": "example.com"}, r"domains: expected a list, got a string"),
        ({"domains": ["https://example.com/"]}, r"domains: 'https://example.com/' is not a host name"),
        ({"domains": []}, r"domains: at least one domain"),
        ({"start_url": "ftp://example.com/"}, r"start_url: .* is not an http\(s\) URL"),
        (
            {"start_url": "https://other.org/"},
            r"start_url: 'https://other.org/' is outside the profile's domains",
        ),
        ({"sections": ["https://other.org/news/"]}, r"sections\[0\]: .*outside"),
        ({"timezone": "Mars/Olympus"}, r"timezone: unknown timezone 'Mars/Olympus'"),
        ({"deny": ["(unclosed"]}, r"deny\[0\]: bad regular expression"),
        ({"page_module": "magic"}, r"page_module: 'magic' is not one of newspaper, generic"),
        ({"section_selector": "div[["}, r"section_selector: invalid CSS selector"),
        ({"selectors": {"colour": "h1"}}, r"selectors.colour: unknown field"),
        ({"selectors": {"title": "h1::"}}, r"selectors.title: invalid CSS selector"),
        ({"politeness": {"speed": 3}}, r"politeness.speed: unknown"),
        ({"politeness": {"download_delay": "slow"}}, r"politeness.download_delay: expected a number"),
        ({"max_pages": "3"}, r"max_pages: expected an integer, got a string"),
        ({"languages": ["English"]}, r"languages: 'English' is not a language code"),
        ({"name": "My Site"}, r"name 'My Site': use lower-case"),
    ],
)
def test_every_problem_is_named_with_its_file_and_key(change: dict, message: str) -> None:
    with pytest.raises(ProfileError, match=rf"^sites/example.toml: {message}"):
        profile_from_data({**SITE, **change}, source="sites/example.toml")


def test_missing_required_keys_are_named() -> None:
    with pytest.raises(ProfileError, match=r"missing key\(s\) domains, start_url"):
        profile_from_data({"name": "x"}, source="x.toml")


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "x"\ndomains = [\n')

    with pytest.raises(ProfileError, match=rf"^{path}: not valid TOML"):
        load_profile_file(path)


def test_extra_profile_folders_add_sites(tmp_path: Path) -> None:
    _write(tmp_path, 'title = "Example"\ndomains = ["example.com"]\nstart_url = "https://example.com/"\n')

    profiles = load_site_profiles([tmp_path])

    assert set(profiles) == {"tdi", "example"}
    assert profiles["example"].page_module == "newspaper"


def test_a_profile_defined_twice_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path, 'domains = ["x.com"]\nstart_url = "https://x.com/"\n', "tdi.toml")

    with pytest.raises(ProfileError, match="profile 'tdi' is already defined"):
        load_site_profiles([tmp_path])


def test_a_missing_profile_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such profile directory"):
        load_site_profiles([tmp_path / "absent"])


def test_every_field_of_the_dataclass_can_be_written_in_a_file() -> None:
    data = profile_to_data(get_profile("tdi"))

    assert set(data) == {f.name for f in dataclasses.fields(SiteProfile)}
    again = profile_from_data(data, source="round-trip")
    assert again == get_profile("tdi")

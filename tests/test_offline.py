"""Offline Public Suffix List: tldextract (and Scrapy's cookie domain check) never go to the network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import tldextract.tldextract
from scrapy.downloadermiddlewares import cookies

from crawler.offline import URLS_VARIABLE, is_offline, use_bundled_suffix_list

if TYPE_CHECKING:
    import pytest

ROOT = Path(__file__).resolve().parent.parent

# Runs in a fresh interpreter: every connection and name lookup fails and is recorded, every log
# record at WARNING or above is captured; then Scrapy's cookie domain split is exercised.
SCRIPT = """
import json, logging, socket, sys

attempts = []

def refuse(*args, **kwargs):
    attempts.append(repr(args[1:] or args))
    raise OSError("network disabled in this test")

def refuse_lookup(*args, **kwargs):
    attempts.append(repr(args))
    raise socket.gaierror("name lookups disabled in this test")

socket.socket.connect = socket.socket.connect_ex = refuse
socket.getaddrinfo = socket.gethostbyname = refuse_lookup

class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(f"{record.name}: {record.getMessage()}")

capture = Capture()
logging.getLogger().addHandler(capture)
logging.getLogger().setLevel(logging.DEBUG)

from scrapy.downloadermiddlewares import cookies
import tldextract

if sys.argv[1] == "offline":
    from crawler.offline import use_bundled_suffix_list
    use_bundled_suffix_list()
    first = cookies._split_domain
    use_bundled_suffix_list()
    assert cookies._split_domain is first, "not idempotent"

split = {host: cookies._split_domain(host).top_domain_under_public_suffix
         for host in ("thediplomaticinsight.com", "a.b.example.co.uk", "www.thediplomaticinsight.com")}
public = {host: cookies._is_public_domain(host) for host in ("co.uk", "github.io", "example.co.uk")}
extracted = tldextract.extract("http://forums.bbc.co.uk/").top_domain_under_public_suffix
json.dump({"split": split, "public": public, "extract": extracted, "attempts": attempts,
           "warnings": capture.messages}, sys.stdout)
"""


def _run(mode: str, cache_dir: Path) -> dict:
    env = {**os.environ, "TLDEXTRACT_CACHE": str(cache_dir)}
    env.pop(URLS_VARIABLE, None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_bundled_list_splits_domains_without_network(tmp_path: Path) -> None:
    cache_dir = tmp_path / "tldextract-cache"
    cache_dir.mkdir()
    data = _run("offline", cache_dir)
    assert data["split"] == {
        "thediplomaticinsight.com": "thediplomaticinsight.com",
        "a.b.example.co.uk": "example.co.uk",
        "www.thediplomaticinsight.com": "thediplomaticinsight.com",
    }
    assert data["public"] == {"co.uk": True, "github.io": True, "example.co.uk": False}
    assert data["extract"] == "bbc.co.uk"
    assert data["attempts"] == []
    assert data["warnings"] == []
    assert list(cache_dir.iterdir()) == [], "the bundled list needs no cache"


def test_without_it_tldextract_tries_the_network(tmp_path: Path) -> None:
    """The check above can fail: Scrapy's default extractor does try to download the list."""
    cache_dir = tmp_path / "tldextract-cache"
    cache_dir.mkdir()
    data = _run("default", cache_dir)
    assert data["split"]["a.b.example.co.uk"] == "example.co.uk"
    assert data["attempts"] != []
    assert any("Public Suffix List" in message for message in data["warnings"])


def test_idempotent_and_covers_new_extractors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cookies, "_split_domain", cookies._split_domain)
    monkeypatch.setattr(tldextract.tldextract, "TLD_EXTRACTOR", tldextract.tldextract.TLD_EXTRACTOR)
    monkeypatch.delenv(URLS_VARIABLE, raising=False)
    assert not is_offline(tldextract.TLDExtract())
    use_bundled_suffix_list()
    split_domain, default = cookies._split_domain, tldextract.tldextract.TLD_EXTRACTOR
    assert is_offline(split_domain)
    assert split_domain.include_psl_private_domains is True
    assert is_offline(default)
    use_bundled_suffix_list()
    assert cookies._split_domain is split_domain
    assert tldextract.tldextract.TLD_EXTRACTOR is default
    assert is_offline(tldextract.TLDExtract())

"""The generic extractor: article text and metadata of an arbitrary news page, without site rules."""

from __future__ import annotations

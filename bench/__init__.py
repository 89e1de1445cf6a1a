"""Benchmarks of newsarchive: ``python -m bench.<name> --help`` (see ``bench/README.md``).

Each benchmark prints a table of its figures, and the figures of the peers it compares with,
measured in the same run. Nothing here is imported by the crawler or the archive.
"""

from __future__ import annotations

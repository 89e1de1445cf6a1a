"""``python -m crawler.replay DIR [--port N] [--log FILE] [--verbose]``: replay saved sites."""

from __future__ import annotations

import argparse
import sys

from crawler.replay.server import serve_forever
from crawler.replay.sites import ReplayError


def main(argv: list[str] | None = None) -> int:
    """Run the replay server in the foreground until Ctrl-C; 2 on a bad directory or port."""
    parser = argparse.ArgumentParser(
        prog="python -m crawler.replay",
        description="Serve saved sites on 127.0.0.1 as an HTTP proxy (no network access).",
    )
    parser.add_argument(
        "sites_dir", metavar="DIR", help="a folder of site folders (one per host), or one site folder"
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free port)")
    parser.add_argument("--log", metavar="FILE", help="append every request as a JSON line to FILE")
    parser.add_argument("--verbose", action="store_true", help="print one line per request on stderr")
    args = parser.parse_args(argv)
    try:
        serve_forever(args.sites_dir, port=args.port, log_path=args.log, verbose=args.verbose)
    except ReplayError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

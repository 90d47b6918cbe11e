"""The MLLP listener as a process: ``python -m bascule.ingest.mllp_main --db URL --site SITE``.

Builds the database, the processor and the server from the command line and serves until
SIGINT or SIGTERM (graceful stop). It needs nothing but its arguments (no configuration
file, no CLI framework), which is what the crash tests start and kill; ``bascule mllp``
serves through the same :func:`bascule.ingest.mllp.run`.
"""

import argparse
import logging
import sys

from bascule.errors import BasculeError
from bascule.ingest.mllp import run
from bascule.ingest.processing import Processor
from bascule.store.database import Database


def parser() -> argparse.ArgumentParser:
    """The command line of the listener."""
    result = argparse.ArgumentParser(
        prog="bascule mllp", description="Receive HL7 v2 messages over MLLP into the journal."
    )
    result.add_argument(
        "--db", required=True, help="database URL (sqlite:///PATH or postgresql://…)"
    )
    result.add_argument("--site", required=True, help="site the messages come from")
    result.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    result.add_argument("--port", type=int, default=2575, help="TCP port (default: 2575)")
    result.add_argument("--source", help="name of the feed (default: MSH-3/MSH-4 of each message)")
    result.add_argument("--actor", default="mllp", help="journal actor (default: mllp)")
    result.add_argument("--max-message-bytes", type=int, default=1_000_000)
    result.add_argument("--idle-timeout", type=float, default=300.0, help="seconds")
    result.add_argument("--max-connections", type=int, default=200)
    result.add_argument("--batch-max", type=int, default=200, help="frames per transaction")
    result.add_argument("--batch-wait", type=float, default=0.005, help="seconds")
    result.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the listener; 0 after a graceful stop, 2 when it cannot start."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        db = Database(args.db)
        db.check_schema()
        processor = Processor(db, site_id=args.site, source=args.source, actor=args.actor)
    except BasculeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        run(
            processor,
            args.host,
            args.port,
            max_message_bytes=args.max_message_bytes,
            idle_timeout=args.idle_timeout,
            max_connections=args.max_connections,
            batch_max=args.batch_max,
            batch_wait=args.batch_wait,
        )
    except OSError as exc:
        print(
            f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

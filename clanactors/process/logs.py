"""Logging set-up: one format for every command, and start-up checks that stay quiet."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
        stream=sys.stderr,
    )
    for noisy in ("urllib3", "tornado.access", "pykka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextmanager
def held_until_started(verbose: bool = False) -> Iterator[None]:
    """Hold log records while start-up checks run: a refusal (an exception) leaves only its
    own one-line error; success sets logging up and replays what was held."""
    root = logging.getLogger()
    held = logging.handlers.BufferingHandler(capacity=10_000)
    previous_level, previous_handlers = root.level, root.handlers[:]
    # Only the buffer while holding, even when logging was set up before (a second held
    # phase, after waiting for the database): nothing is written twice.
    root.handlers = [held]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        yield
    finally:
        root.handlers = previous_handlers
        root.setLevel(previous_level)
    setup_logging(verbose)
    for record in held.buffer:
        logging.getLogger(record.name).handle(record)

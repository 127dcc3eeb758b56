"""The web app's witnesses: publishing the log's checkpoints to them in the background.

The app factory reads the witnesses once (``SANCTUARYGATE_WITNESSES``, a bad entry or a quorum
above their number stops the start) and keeps them on ``app.state.witnesses``. While the app
runs, :func:`publishing` keeps a background task that, every
``SANCTUARYGATE_WITNESS_PUBLISH_SECONDS``, submits the current checkpoint to every witness when
the log grew since the last round every witness cosigned (``audit.witnessing.publish``). It
runs in a worker thread, off the event loop: a slow or unreachable witness never holds up a
request. A witness that fails is logged (``sanctuarygate.witness`` logger) and asked again the
next round; nothing else is retried or remembered.

Several workers each run the task; a witness answers a checkpoint it has cosigned already with
the same cosignature, and a worker that lost a race with another tries again next round.

    async with publishing(app):  # in the app's lifespan
        yield
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress

import anyio
from fastapi import FastAPI

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.witnessing import Ask, WitnessEndpoint, parse_witnesses, publish
from sanctuarygate.errors import ConfigurationError
from sanctuarygate.settings import Settings
from sanctuarygate.witness.client import request_cosignature

__all__ = ["Rounds", "publish_round", "publishing", "run_rounds", "witnesses_of"]

logger = logging.getLogger("sanctuarygate.witness")


def witnesses_of(settings: Settings) -> tuple[WitnessEndpoint, ...]:
    """The configured witnesses; a bad entry, or a quorum above their number, is a
    ConfigurationError naming the setting.

    >>> witnesses_of(Settings(witness_quorum=1))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.ConfigurationError: SANCTUARYGATE_WITNESS_QUORUM is 1 but only 0 ...
    """
    witnesses = parse_witnesses(settings.witnesses)
    if settings.witness_quorum > len(witnesses):
        raise ConfigurationError(f"SANCTUARYGATE_WITNESS_QUORUM is {settings.witness_quorum} "
                                 f"but only {len(witnesses)} witnesses are configured")
    return witnesses


def publish_round(log: DecisionLog, witnesses: Sequence[WitnessEndpoint], ask: Ask,
                  done: int) -> int:
    """One round: if the log grew past ``done`` (the size every witness last cosigned in a
    round of ours), publish its checkpoint; return the new ``done``. Failures are logged and
    leave ``done`` as it was, so the next round asks again; this function never raises for a
    witness or the database."""
    try:
        size = log.size()
        if size == 0 or size == done:
            return done
        report = publish(log, witnesses, ask)
    except Exception:  # the database, the key: logged, tried again next round
        logger.exception("publishing the log's checkpoint to its witnesses failed")
        return done
    for name, why in report.failed:
        logger.warning("witness %s did not cosign size %d: %s", name, report.size, why)
    if report.cosigned:
        logger.info("size %d cosigned by %s", report.size, ", ".join(report.cosigned))
    return done if report.failed else report.size


class Rounds:
    """The background task's state: the size done, and the rounds run (for tests and logs)."""

    def __init__(self) -> None:
        self.done = 0
        self.count = 0


async def run_rounds(log: DecisionLog, witnesses: Sequence[WitnessEndpoint], every: float,
                     rounds: Rounds, *, ask: Ask = request_cosignature,
                     sleep: Callable[[float], Awaitable[None]] = anyio.sleep) -> None:
    """Forever: wait ``every`` seconds, then one :func:`publish_round` in a worker thread."""
    while True:
        await sleep(every)
        rounds.done = await anyio.to_thread.run_sync(publish_round, log, witnesses, ask,
                                                     rounds.done)
        rounds.count += 1


@asynccontextmanager
async def publishing(app: FastAPI) -> AsyncIterator[None]:
    """Keep the background task running while the app serves (none without witnesses)."""
    witnesses: tuple[WitnessEndpoint, ...] = app.state.witnesses
    if not witnesses:
        yield
        return
    rounds = app.state.publish_rounds = Rounds()
    task = asyncio.create_task(run_rounds(app.state.log, witnesses,
                                          app.state.settings.witness_publish_seconds, rounds))
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

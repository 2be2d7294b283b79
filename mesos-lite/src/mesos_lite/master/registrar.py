"""The registrar: recovers the registry document (registry.py) from its store
(registry_store.py) on election, and writes every change to it, in order and batched."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from mesos_lite.master.registry import (
    RegistryConflictError,
    RegistryCorruptError,
    RegistryError,
    RegistryState,
)
from mesos_lite.master.registry_store import RegistryStore

logger = logging.getLogger(__name__)

# The longest a registry write waits after the previous one (see Registrar._write_pending).
REGISTRY_MAX_BATCH_PAUSE = 0.5


class Registrar:
    """Recovers the registry on election and persists every change, in order.

    Writes are batched, as Mesos's registrar batches the operations that arrive while a store
    is in flight: `save` only asks for a write, and the document is made when the write
    starts, so every change asked for until then goes into that one write. A write that keeps
    failing for --registry_store_timeout (or is refused because another master wrote) is
    fatal, as in Mesos.
    """

    def __init__(
        self,
        store: RegistryStore,
        on_failure: Callable[[str], None],
        fetch_timeout: float = 60.0,
        store_timeout: float = 20.0,
    ) -> None:
        self.store = store
        self._on_failure = on_failure
        self._fetch_timeout = fetch_timeout
        self._store_timeout = store_timeout
        self._pending: Callable[[], bytes] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._hurry = asyncio.Event()
        self.writes = 0

    async def recover(self) -> RegistryState:
        """Reads the registry, retrying until --registry_fetch_timeout; raises RegistryError."""
        started = time.monotonic()
        deadline = started + self._fetch_timeout
        while True:
            try:
                state = await asyncio.to_thread(self.store.fetch)
            except RegistryCorruptError:
                raise
            except RegistryError as error:
                if time.monotonic() >= deadline:
                    raise RegistryError(
                        "Failed to recover registrar: "
                        f"Failed to perform fetch within {self._fetch_timeout:g}secs: {error}"
                    ) from None
                logger.warning("Cannot fetch the registry yet (retrying): %s", error)
                await asyncio.sleep(0.5)
                continue
            logger.info(
                "Recovered the registry from %s in %.0fms: %d admitted, %d unreachable agents",
                self.store.description,
                (time.monotonic() - started) * 1000,
                len(state.admitted),
                len(state.unreachable),
            )
            return state

    def save(self, document: Callable[[], bytes]) -> None:
        """Writes `document()` (the registry as it is when the write starts) soon."""
        self._pending = document
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_pending())

    async def written(self) -> None:
        """Waits until the changes asked for so far are stored (batches keep their pauses)."""
        if self._writer is not None:
            await asyncio.shield(self._writer)

    async def flush(self) -> None:
        """Waits for the writes asked for so far (without pausing between batches)."""
        self._hurry.set()
        if self._writer is not None:
            await asyncio.shield(self._writer)

    async def _write_pending(self) -> None:
        while self._pending is not None:
            began = time.monotonic()
            data = self._pending()
            self._pending = None
            # Making the document is O(agents) on the event loop: with a store as fast as
            # memory, back-to-back batches of a few registrations each would take the loop
            # over. Waiting a few times as long as the last one took keeps the registrar's
            # share of the loop below a fifth; the changes made meanwhile join the next write.
            pause = min(REGISTRY_MAX_BATCH_PAUSE, 4 * (time.monotonic() - began))
            deadline = time.monotonic() + self._store_timeout
            while True:
                try:
                    await asyncio.to_thread(self.store.store, data)
                    self.writes += 1
                    break
                except RegistryError as error:
                    if isinstance(error, RegistryConflictError) or time.monotonic() >= deadline:
                        self._on_failure(f"Failed to update the registry: {error}")
                        return
                    logger.warning("Cannot update the registry yet (retrying): %s", error)
                    await asyncio.sleep(0.5)
            if self._pending is not None and not self._hurry.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), pause)

    async def close(self) -> None:
        await asyncio.to_thread(self.store.close)

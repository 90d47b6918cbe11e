"""An MLLP listener on its own event loop in a thread: for the demo, benchmarks and tests."""

import asyncio
import threading
from types import TracebackType
from typing import Any

from bascule.ingest.mllp import MllpServer
from bascule.ingest.processing import Processor


class BackgroundMllp:
    """``with BackgroundMllp(processor) as listener:`` serves on 127.0.0.1:``listener.port``.

    Leaving the block stops the server gracefully: frames in flight get their ACKs.
    """

    def __init__(
        self, processor: Processor, *, host: str = "127.0.0.1", port: int = 0, **limits: Any
    ) -> None:
        self._processor = processor
        self._host = host
        self._port = port
        self._limits = limits
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mllp", daemon=True)
        self._server: MllpServer | None = None

    @property
    def port(self) -> int:
        """The port the listener took."""
        if self._server is None:
            raise RuntimeError("the listener is not started")
        return self._server.port

    def __enter__(self) -> "BackgroundMllp":
        self._thread.start()

        async def start() -> MllpServer:
            server = MllpServer(self._processor, host=self._host, port=self._port, **self._limits)
            await server.start()
            return server

        self._server = asyncio.run_coroutine_threadsafe(start(), self._loop).result(timeout=30)
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._server.stop(), self._loop).result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

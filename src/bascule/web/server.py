"""Running the web application with uvicorn: in the foreground (``bascule serve``) or in
a background thread on loopback (the demo, benchmarks and end-to-end tests)."""

import socket
import threading
import time
from types import TracebackType
from typing import Literal

import uvicorn
from fastapi import FastAPI

from bascule.paper.offline import KitSource
from bascule.store.database import Database
from bascule.web.app import create_app


def serve(db: Database, host: str, port: int, *, kit_source: KitSource | None = None) -> None:
    """Serve the application for ``db`` on ``host``:``port`` until interrupted.

    ``kit_source`` (a crisis laptop's local kits) lets the paper pages print from a kit.
    """
    app = create_app(db)
    app.state.paper_kit_source = kit_source
    # No "server: uvicorn" header: nothing to tell an intruder on the network what runs here.
    uvicorn.run(app, host=host, port=port, server_header=False)


class BackgroundServer:
    """The application under uvicorn in a thread on 127.0.0.1; can stop and start again.

    The socket is bound before uvicorn starts, on a port the OS picks the first time, so
    no other process can take the port between choosing and listening.
    """

    def __init__(self, app: FastAPI, *, lifespan: bool = False) -> None:
        self.app = app
        self.port = 0
        self._lifespan: Literal["on", "off"] = "on" if lifespan else "off"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "BackgroundServer":
        """Listen (on the same port as before after a stop) and wait until serving."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan=self._lifespan, server_header=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError("the web server did not start within 10 s")
            time.sleep(0.01)
        self._server, self._thread, self._socket = server, thread, sock
        return self

    def stop(self) -> None:
        """Stop serving; the port stays closed until :meth:`start`."""
        if self._server is not None and self._thread is not None and self._socket is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

"""Helpers shared by the publisher, kit API and agent tests (no tests of its own).

A real key store, the real application with the kits router, served by uvicorn on a
loopback port the OS picks, and tokens issued through the journal.
"""

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI

from bascule.kit.agent_store import create_token
from bascule.kit.keys import GROUP_SLOT, SITE_SLOT, KeyStore
from bascule.kit.publish import Publisher
from bascule.store.database import Database
from bascule.web.app import create_app
from bascule.web.routers import kits

SITE_PASSPHRASE = "passe-site-rennes"
GROUP_PASSPHRASE = "passe-groupe-ouest"


def make_keys(
    directory: Path,
    sites: tuple[str, ...] = ("rennes", "nantes"),
    *,
    site_passphrase: str = SITE_PASSPHRASE,
    group_passphrase: str = GROUP_PASSPHRASE,
) -> KeyStore:
    """A key store with a signing key and the slots of ``sites`` (one PBKDF2 per slot)."""
    keys = KeyStore(directory)
    keys.create_signing_key()
    for site in sites:
        keys.set_slot(SITE_SLOT, site_passphrase, site)
    keys.set_slot(GROUP_SLOT, group_passphrase)
    return keys


def issue_token(db: Database, site: str, *, replace: bool = False) -> str:
    """A new agent token of ``site``, journaled."""
    with db.writing() as session:
        return create_token(session, site, actor="test", at=db.clock.now(), replace=replace).token


def kit_app(db: Database, publisher: Publisher) -> FastAPI:
    """The real application, with the kits router until web/app.py includes it."""
    app = create_app(db)
    if not any(getattr(route, "name", None) == "kits_latest" for route in app.routes):
        app.include_router(kits.router)
    app.state.kit_publisher = publisher
    return app


Answer = Callable[[BaseHTTPRequestHandler], None]


def reply(status: int, content_type: str, body: bytes) -> Answer:
    """A complete answer."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def cut_short(body: bytes, sent: int) -> Answer:
    """Announces all of ``body`` but sends only its first ``sent`` bytes, then hangs up."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[:sent])
        handler.wfile.flush()
        handler.close_connection = True

    return answer


def hang_up(handler: BaseHTTPRequestHandler) -> None:
    """Reads the request and closes the connection without a word."""
    handler.close_connection = True


def silent_for(seconds: float) -> Answer:
    """Says nothing for ``seconds``, then hangs up."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        handler.close_connection = True

    return answer


class _ScriptedHandler(BaseHTTPRequestHandler):
    server: "ScriptedServer"

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        path = urlsplit(self.path).path
        self.server.answers.get(path, reply(404, "text/plain", b"not here"))(self)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.do_GET()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests look at what the agent says, not at this server."""


class ScriptedServer(ThreadingHTTPServer):
    """A loopback HTTP server answering each path as the test scripts it.

    Stands for a broken, hostile or impostor server between the agent and the group.
    """

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)
        self.answers: dict[str, Answer] = {}
        self.requests: list[str] = []
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> "ScriptedServer":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.shutdown()
        self.server_close()

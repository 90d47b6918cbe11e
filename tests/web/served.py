"""``bascule`` as an administrator runs it: commands in a subprocess, and ``bascule serve``."""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager


def bascule(db_url: str, *args: str, stdin: str | None = None) -> None:
    """Run a ``bascule`` command on ``db_url``; fail the test with its stderr if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "bascule.cli", "--db", db_url, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def add_user(db_url: str, username: str, name: str, role: str, password: str) -> None:
    """``bascule user add`` with the password on standard input."""
    bascule(
        db_url,
        *("user", "add", username, "--name", name, "--role", role, "--password-stdin"),
        stdin=password + "\n",
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(db_url: str) -> Iterator[str]:
    """``bascule serve`` on a free loopback port until the block ends; yields its URL."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bascule.cli", "--db", db_url, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "bascule serve did not answer within 30 s"
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)

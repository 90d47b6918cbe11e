"""The site agent's side of the kit API, on the standard library's HTTP client.

Every way a server can fail (gone, silent, redirecting, answering HTML, a 500, a cut
transfer) becomes a :class:`ServerError` whose message says what happened in one line.
"""

import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any, TypeGuard

from bascule.errors import BasculeError

OCTET_STREAM = "application/octet-stream"
_CHUNK = 1 << 20


class ServerError(BasculeError):
    """The server could not be reached or gave an unusable answer."""

    heartbeat_possible = True
    """Whether a heartbeat may still get through after this failure."""


class ServerUnreachableError(ServerError):
    """No answer at all: connection refused, name unknown, timeout."""

    heartbeat_possible = False


class TokenRefusedError(ServerError):
    """The server refused the agent token (401) or its scope (403)."""

    heartbeat_possible = False


class FullKitNeededError(BasculeError):
    """The server cannot bring our sequence number forward (HTTP 409)."""


@dataclass(frozen=True, slots=True)
class Latest:
    """What ``/latest`` says: the newest full kit and the journal head."""

    kit_seq: int | None
    head_seq: int


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        """Follow no redirect: it could carry the token to another host."""


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: Message
    body: bytes


class KitServer:
    """One site's kit endpoints on the group server."""

    def __init__(
        self,
        base_url: str,
        site: str,
        token: str,
        *,
        timeout: float = 30.0,
        deadline: float = 600.0,
        max_bytes: int = 1 << 30,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.site = site
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self._token = token
        self._opener = urllib.request.build_opener(_NoRedirect)

    def _url(self, path: str) -> str:
        return f"{self.base_url}/api/kits/{self.site}/{path}"

    def _request(self, url: str, body: dict[str, Any] | None = None) -> _Answer:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
        request.add_header("Authorization", f"Bearer {self._token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return _Answer(response.status, response.headers, self._read(response))
        except urllib.error.HTTPError as exc:
            raise self._refusal(exc) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise ServerUnreachableError(
                    f"server {self.base_url} did not answer within {self.timeout:g} s"
                ) from exc
            raise ServerUnreachableError(
                f"server {self.base_url} unreachable: {exc.reason}"
            ) from exc
        except TimeoutError as exc:
            raise ServerUnreachableError(
                f"server {self.base_url} stopped answering (timeout after {self.timeout:g} s)"
            ) from exc
        except (http.client.HTTPException, ConnectionError) as exc:
            raise ServerError(
                f"server {self.base_url} broke off its answer: {type(exc).__name__} {exc}"
            ) from exc

    def _read(self, response: http.client.HTTPResponse) -> bytes:
        started = time.monotonic()
        declared = response.headers.get("Content-Length")
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read(_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise ServerError(f"answer larger than {self.max_bytes} bytes: refused")
            if time.monotonic() - started > self.deadline:
                raise ServerError(f"transfer took more than {self.deadline:g} s: abandoned")
            chunks.append(chunk)
        body = b"".join(chunks)
        if declared is not None and declared.isdigit() and int(declared) != len(body):
            raise ServerError(f"truncated answer: {len(body)} of {declared} bytes")
        return body

    def _refusal(self, exc: urllib.error.HTTPError) -> BasculeError:
        detail = _detail(exc)
        if exc.code == 401:
            return TokenRefusedError(f"the server refused the agent token (401: {detail})")
        if exc.code == 403:
            return TokenRefusedError(f"the agent token is not valid for site {self.site} (403)")
        if exc.code == 409:
            return FullKitNeededError(detail)
        if 300 <= exc.code < 400:
            return ServerError(f"server redirected ({exc.code}) instead of answering: refused")
        return ServerError(f"server answered HTTP {exc.code}: {detail}")

    def latest(self) -> Latest:
        """The newest full kit's sequence number and the journal head."""
        answer = self._request(self._url("latest"))
        document = _json(answer, "latest")
        kit_seq, head_seq = document.get("kit_seq"), document.get("head_seq")
        if not _is_seq(head_seq) or not (kit_seq is None or _is_seq(kit_seq)):
            raise ServerError("server's /latest answer lacks kit_seq or head_seq")
        return Latest(kit_seq, head_seq)

    def kit(self) -> bytes:
        """The newest full kit's bytes (unverified)."""
        return _binary(self._request(self._url("kit")), "kit")

    def delta_after(self, seq: int) -> bytes | None:
        """The delta's bytes (unverified); None when nothing changed since ``seq``."""
        answer = self._request(self._url(f"delta?after={seq}"))
        if answer.status == 204:
            return None
        return _binary(answer, "delta")

    def heartbeat(self, report: dict[str, Any]) -> None:
        """Send the agent's state."""
        _json(self._request(self._url("heartbeat"), report), "heartbeat")


def _is_seq(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _content_type(answer: _Answer) -> str:
    return (answer.headers.get("Content-Type") or "none").split(";")[0].strip().lower()


def _binary(answer: _Answer, what: str) -> bytes:
    if answer.status != 200:
        raise ServerError(f"server answered HTTP {answer.status} instead of a {what}")
    if _content_type(answer) != OCTET_STREAM:
        raise ServerError(
            f"server answered {_content_type(answer)} instead of a {what} "
            f"({len(answer.body)} bytes, starting {answer.body[:24]!r})"
        )
    return answer.body


def _json(answer: _Answer, what: str) -> dict[str, Any]:
    if answer.status != 200 or _content_type(answer) != "application/json":
        raise ServerError(
            f"server answered HTTP {answer.status} {_content_type(answer)} to {what}, not JSON"
        )
    try:
        document = json.loads(answer.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ServerError(f"server's {what} answer is not valid JSON") from exc
    if not isinstance(document, dict):
        raise ServerError(f"server's {what} answer is not a JSON object")
    return document


def _detail(exc: urllib.error.HTTPError) -> str:
    """The ``detail`` of a JSON error body, else the HTTP reason phrase."""
    try:
        document = json.loads(exc.read(64 * 1024).decode("utf-8"))
        detail = document.get("detail") if isinstance(document, dict) else None
    except (OSError, ValueError, http.client.HTTPException):
        detail = None
    return str(detail) if detail else str(exc.reason)

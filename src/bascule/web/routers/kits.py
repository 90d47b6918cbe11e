"""Kits and deltas for the site agents, behind one bearer token per site.

A missing, unknown or revoked token gets 401; a valid token used for another site, known
or not, gets 403 without saying whether that site exists.
"""

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from bascule.config import Settings
from bascule.errors import BasculeError
from bascule.ingest.monitor import watch_feeds_periodically
from bascule.kit.agent_store import Heartbeat, record_heartbeat, site_freshness, site_of_token
from bascule.kit.publish import (
    FullKitRequiredError,
    Published,
    Publisher,
    checkpoint_periodically,
    rebuild_interval_minutes,
    rebuild_periodically,
)
from bascule.store import journal
from bascule.store.canonical import canonical_instant
from bascule.web.context import database

log = logging.getLogger("bascule.web.kits")
router = APIRouter(prefix="/api/kits")
_CHUNK = 1 << 20
_MAX_SEQ = 2**63 - 1


def publisher_of(app: FastAPI) -> Publisher:
    """The application's kit publisher, made from the settings on first use."""
    publisher = getattr(app.state, "kit_publisher", None)
    if publisher is None:
        publisher = Publisher.from_settings(app.state.db, Settings.from_environment())
        app.state.kit_publisher = publisher
    assert isinstance(publisher, Publisher)
    return publisher


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While the application runs: rebuild full kits, checkpoint a quiet journal, watch feeds."""
    every = rebuild_interval_minutes() * 60
    tasks = [
        asyncio.create_task(rebuild_periodically(publisher_of(app), every)),
        asyncio.create_task(checkpoint_periodically(app.state.db)),
        asyncio.create_task(watch_feeds_periodically(app.state.db)),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


def _unauthorised() -> HTTPException:
    return HTTPException(
        401, "missing, unknown or revoked agent token", {"WWW-Authenticate": "Bearer"}
    )


def token_site(request: Request) -> str:
    """The site the request's bearer token opens; 401 without a valid token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorised()
    with database(request).reading() as session:
        site = site_of_token(session, token.strip())
    if site is None:
        raise _unauthorised()
    return site


def authorised_site(request: Request, site: str) -> str:
    """``site`` when the bearer token is that site's; 401 or 403 otherwise."""
    if token_site(request) != site:
        raise HTTPException(403, "this agent token is not valid for this site")
    return site


Site = Annotated[str, Depends(authorised_site)]


def _refuse_unavailable(exc: BasculeError | OSError) -> JSONResponse:
    # The reason may name server paths and key files: it goes to the log, not to agents.
    log.error("cannot serve kits: %s", exc)
    body = {"status": "error", "detail": "the server cannot provide kits right now"}
    return JSONResponse(body, status_code=503)


def _file_response(published: Published) -> Response:
    try:
        # Opened before answering, so that pruning cannot pull the file away mid-transfer.
        handle: BinaryIO = published.path.open("rb")
    except FileNotFoundError:
        body = {"status": "error", "detail": "the file was just replaced: ask again"}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})
    size = os.fstat(handle.fileno()).st_size

    def chunks() -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(_CHUNK):
                yield chunk

    headers = {
        "Content-Length": str(size),
        "Content-Disposition": f'attachment; filename="{published.path.name}"',
        "Cache-Control": "no-store",
        "X-Bascule-Seq": str(published.seq),
    }
    if published.base_seq is not None:
        headers["X-Bascule-Base-Seq"] = str(published.base_seq)
    return StreamingResponse(chunks(), media_type="application/octet-stream", headers=headers)


@router.get("/status", name="kits_status")
def status(request: Request, site: Annotated[str, Depends(token_site)]) -> JSONResponse:
    """How fresh the copies of the token's site are, from its agents' heartbeats."""
    db = database(request)
    with db.reading() as session:
        (freshness,) = site_freshness(session, site)
    now = db.clock.now()
    agents = [
        {
            "agent_id": agent.agent_id,
            "seq": agent.seq,
            "entries_behind": agent.entries_behind,
            "age_seconds": round(agent.data_age_seconds(now), 1),
            "kit_count": agent.kit_count,
            "disk_free_bytes": agent.disk_free_bytes,
            "first_seen": canonical_instant(agent.first_seen),
            "last_seen": canonical_instant(agent.last_seen),
        }
        for agent in freshness.agents
    ]
    return JSONResponse({"site": site, "head_seq": freshness.head_seq, "agents": agents})


@router.get("/{site}/latest", name="kits_latest")
def latest(request: Request, site: Site) -> JSONResponse:
    """The newest full kit's sequence number and creation time, and the journal head."""
    publisher = publisher_of(request.app)
    try:
        newest = publisher.latest(site)
        head = publisher.head()
    except (BasculeError, OSError) as exc:
        return _refuse_unavailable(exc)
    body = {
        "site": site,
        "kit_seq": None if newest is None else newest.seq,
        "head_seq": head,
        "created_at": None if newest is None else newest.created_at,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/{site}/kit", name="kits_kit")
def kit(request: Request, site: Site) -> Response:
    """The newest full kit (built now when there is none yet)."""
    try:
        published = publisher_of(request.app).kit(site)
    except (BasculeError, OSError) as exc:
        return _refuse_unavailable(exc)
    return _file_response(published)


@router.get("/{site}/delta", name="kits_delta")
def delta(
    request: Request, site: Site, after: Annotated[int, Query(ge=0, le=_MAX_SEQ)]
) -> Response:
    """The delta from ``after`` to the journal head; 204 when nothing changed since.

    409 when the server cannot start from ``after``: the agent must take the full kit.
    """
    publisher = publisher_of(request.app)
    try:
        published = publisher.delta_after(site, after)
    except FullKitRequiredError as exc:
        body = {"status": "error", "detail": str(exc), "action": "fetch-full-kit"}
        return JSONResponse(body, status_code=409)
    except (BasculeError, OSError) as exc:
        return _refuse_unavailable(exc)
    if published is None:
        return Response(status_code=204, headers={"X-Bascule-Seq": str(after)})
    return _file_response(published)


class HeartbeatBody(BaseModel):
    """What an agent reports each cycle."""

    agent_id: str = Field(min_length=1, max_length=200)
    seq: int = Field(ge=0, le=_MAX_SEQ)
    age_seconds: float = Field(ge=0, allow_inf_nan=False)
    kit_count: int = Field(ge=0, le=1_000_000)
    disk_free_bytes: int | None = Field(default=None, ge=0, le=_MAX_SEQ)


@router.post("/{site}/heartbeat", name="kits_heartbeat")
def heartbeat(request: Request, site: Site, body: HeartbeatBody) -> JSONResponse:
    """Record the agent's state (telemetry, outside the journal); answer the journal head."""
    db = database(request)
    beat = Heartbeat(
        body.agent_id, body.seq, body.age_seconds, body.kit_count, body.disk_free_bytes
    )
    address = request.client.host if request.client else None
    with db.writing() as session:
        record_heartbeat(session, site, beat, at=db.clock.now(), address=address)
        head, _ = journal.head(session)
    return JSONResponse({"status": "ok", "head_seq": head})

"""MLLP server: HL7 v2 frames over TCP, acknowledged only once they are committed.

Framing is ``0x0B message 0x1C 0x0D``. Bytes before a start block are discarded; a new
start block inside an open frame means the sender gave that frame up, so it is dropped;
a frame larger than ``max_message_bytes`` is answered ``AR`` and its connection closed
(nothing more is read from it); a connection closed mid-frame loses that partial frame,
which was never acknowledged, so the sender resends it.

Every connection reads one frame, waits for its ACK, writes it, then reads the next, as
MLLP senders expect. Frames from all connections go to one queue; a single writer task
takes up to ``batch_max`` of them and hands them to :meth:`Processor.process_batch` in a
worker thread, so one transaction commits many messages (group commit) while the event
loop keeps serving. When a batch cannot commit, its connections are closed without ACK.
"""

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from typing import Any

from bascule.ingest.processing import Processor

logger = logging.getLogger("bascule.mllp")

START_BLOCK = 0x0B
END_BLOCK = b"\x1c\x0d"
_CHUNK = 65_536
# What is kept of an oversized message for review: enough for its MSH and PID.
_OVERSIZED_HEAD = 65_536
# After a batch fails to commit, a short pause keeps reconnecting senders from hammering
# a database that is coming back.
_FAILURE_PAUSE = 0.5


class _FrameTooLargeError(Exception):
    """A frame grew past the limit; carries its beginning."""

    def __init__(self, head: bytes) -> None:
        super().__init__("frame too large")
        self.head = head


@dataclass(slots=True)
class _Job:
    """A frame waiting for the writer, and where its ACK goes."""

    frame: bytes
    reply: "asyncio.Future[bytes]"
    oversized: bool = False


@dataclass(slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    peer: str
    buffer: bytearray = field(default_factory=bytearray)
    # True while waiting for the sender's bytes, the only state stop() may interrupt.
    reading: bool = False


class MllpServer:
    """An asyncio MLLP listener feeding one :class:`Processor`."""

    def __init__(
        self,
        processor: Processor,
        *,
        host: str,
        port: int,
        max_message_bytes: int = 1_000_000,
        idle_timeout: float = 300.0,
        max_connections: int = 200,
        batch_max: int = 200,
        batch_wait: float = 0.005,
    ) -> None:
        self._processor = processor
        self._host = host
        self._requested_port = port
        self._max_bytes = max_message_bytes
        self._idle_timeout = idle_timeout
        self._max_connections = max_connections
        self._batch_max = batch_max
        self._batch_wait = batch_wait
        self._server: asyncio.Server | None = None
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._writer_task: asyncio.Task[None] | None = None
        self._connections: dict[asyncio.Task[Any], _Connection] = {}
        self._stopping = False
        self._stopped = asyncio.Event()

    @property
    def port(self) -> int:
        """The port listened on (the one the system chose when 0 was asked for)."""
        if self._server is None or not self._server.sockets:
            return self._requested_port
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Start listening and start the writer."""
        self._writer_task = asyncio.create_task(self._write_loop(), name="mllp-writer")
        self._server = await asyncio.start_server(
            self._serve, self._host, self._requested_port, backlog=max(128, self._max_connections)
        )
        logger.info("MLLP listening on %s:%d", self._host, self.port)

    async def serve_forever(self) -> None:
        """Wait until :meth:`stop` has finished."""
        await self._stopped.wait()

    async def stop(self) -> None:
        """Stop gracefully: no new connections or frames; in-flight frames get their ACKs."""
        if self._stopping:
            await self._stopped.wait()
            return
        self._stopping = True
        if self._server is not None:
            self._server.close()
        for task, connection in list(self._connections.items()):
            if connection.reading:
                task.cancel()
        pending = list(self._connections)
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await self._queue.put(None)
        if self._writer_task is not None:
            await self._writer_task
        if self._server is not None:
            await self._server.wait_closed()
        logger.info("MLLP server on port %d stopped", self.port)
        self._stopped.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = _peer_name(writer)
        if self._stopping or len(self._connections) >= self._max_connections:
            logger.warning("connection from %s refused: %d open", peer, len(self._connections))
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None  # a connection handler always runs in a task
        connection = _Connection(reader, writer, peer)
        self._connections[task] = connection
        logger.debug("connection from %s", peer)
        try:
            await self._converse(connection)
        except (ConnectionError, TimeoutError) as exc:
            logger.info("connection from %s ended: %s", peer, exc or type(exc).__name__)
        except asyncio.CancelledError:
            # Only stop() cancels, and only between frames.
            logger.debug("connection from %s closed by shutdown", peer)
        except Exception:
            # One connection's bug must not reach the event loop; its frame is unanswered.
            logger.exception("connection from %s failed", peer)
        finally:
            del self._connections[task]
            writer.close()
            with contextlib.suppress(ConnectionError, TimeoutError, asyncio.CancelledError):
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()

    async def _converse(self, connection: _Connection) -> None:
        while not self._stopping:
            connection.reading = True
            try:
                frame = await self._next_frame(connection)
            except _FrameTooLargeError as too_large:
                connection.reading = False
                await self._refuse_oversized(connection, too_large.head)
                return
            connection.reading = False
            if frame is None:
                return
            reply = await self._submit(_Job(frame, _future()))
            if reply is None:
                return
            await self._send(connection, reply)

    async def _next_frame(self, connection: _Connection) -> bytes | None:
        """The next whole frame, or None when the sender closed or went idle."""
        buffer = connection.buffer
        searched = 1
        while True:
            start = buffer.find(START_BLOCK)
            if start != 0:
                dropped = len(buffer) if start < 0 else start
                if dropped:
                    logger.warning(
                        "%s: %d bytes outside any frame discarded", connection.peer, dropped
                    )
                    del buffer[:dropped]
                    searched = 1
            if buffer:
                end = buffer.find(END_BLOCK, max(1, searched - 1))
                restart = buffer.find(START_BLOCK, searched, len(buffer) if end < 0 else end)
                if restart > 0:
                    logger.warning(
                        "%s: frame abandoned after %d bytes (new start block)",
                        connection.peer,
                        restart,
                    )
                    del buffer[:restart]
                    searched = 1
                    continue
                if end > 0 and end - 1 <= self._max_bytes:
                    frame = bytes(buffer[1:end])
                    del buffer[: end + len(END_BLOCK)]
                    return frame
                if len(buffer) - 1 > self._max_bytes:
                    raise _FrameTooLargeError(bytes(buffer[1 : 1 + _OVERSIZED_HEAD]))
                searched = len(buffer)
            try:
                async with asyncio.timeout(self._idle_timeout):
                    data = await connection.reader.read(_CHUNK)
            except TimeoutError:
                logger.info("%s idle for %.0f s: closed", connection.peer, self._idle_timeout)
                return None
            if not data:
                if buffer:
                    logger.warning(
                        "%s closed mid-frame: %d bytes dropped, never acknowledged",
                        connection.peer,
                        len(buffer),
                    )
                return None
            buffer += data

    async def _refuse_oversized(self, connection: _Connection, head: bytes) -> None:
        logger.warning("%s: message larger than %d bytes refused", connection.peer, self._max_bytes)
        reply = await self._submit(_Job(head, _future(), oversized=True))
        if reply is not None:
            await self._send(connection, reply)

    async def _submit(self, job: _Job) -> bytes | None:
        """Queue a frame for the writer; its ACK, or None when its batch did not commit."""
        self._queue.put_nowait(job)
        try:
            return await job.reply
        except Exception as exc:  # the batch failed to commit; logged by the writer
            logger.debug("no ACK for a frame: %s", exc)
            return None

    async def _send(self, connection: _Connection, reply: bytes) -> None:
        connection.writer.write(bytes([START_BLOCK]) + reply + END_BLOCK)
        # A sender that stops reading must not hold the connection forever.
        async with asyncio.timeout(self._idle_timeout):
            await connection.writer.drain()

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            first = await self._queue.get()
            if first is None:
                return
            jobs = [first]
            deadline = loop.time() + self._batch_wait
            closing = False
            # Each connection has at most one frame waiting, so once every open connection
            # has one in, waiting longer cannot grow the batch.
            while len(jobs) < min(self._batch_max, max(1, len(self._connections))):
                try:
                    async with asyncio.timeout_at(deadline):
                        job = await self._queue.get()
                except TimeoutError:
                    break
                if job is None:
                    closing = True
                    break
                jobs.append(job)
            await self._run_batch(jobs)
            if closing:
                return

    async def _run_batch(self, jobs: list[_Job]) -> None:
        received_at = self._processor.clock.now()
        frames = [job for job in jobs if not job.oversized]
        try:
            if frames:
                replies = await asyncio.to_thread(
                    self._processor.process_batch, [job.frame for job in frames], received_at
                )
                for job, reply in zip(frames, replies, strict=True):
                    _resolve(job, reply)
            for job in jobs:
                if job.oversized:
                    reason = f"message larger than {self._max_bytes} bytes"
                    reply = await asyncio.to_thread(
                        self._processor.refuse, job.frame, reason, received_at
                    )
                    _resolve(job, reply)
        except Exception as exc:
            logger.error("batch of %d frames not committed, no ACK sent: %s", len(jobs), exc)
            for job in jobs:
                if not job.reply.done():
                    job.reply.set_exception(exc)
            await asyncio.sleep(_FAILURE_PAUSE)


def _future() -> "asyncio.Future[bytes]":
    return asyncio.get_running_loop().create_future()


def _resolve(job: _Job, reply: bytes) -> None:
    if not job.reply.done():
        job.reply.set_result(reply)


def _peer_name(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer)


async def _serve_until_signalled(server: MllpServer) -> None:
    await server.start()
    loop = asyncio.get_running_loop()
    # The loop keeps only weak references to tasks: these must outlive the handler.
    stopping: set[asyncio.Task[None]] = set()

    def on_signal() -> None:
        logger.info("signal received: stopping after the messages in flight")
        stopping.add(asyncio.ensure_future(server.stop()))

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    await server.serve_forever()


def run(processor: Processor, host: str, port: int, **limits: Any) -> None:
    """Serve until SIGINT or SIGTERM, then stop gracefully (blocking)."""
    asyncio.run(_serve_until_signalled(MllpServer(processor, host=host, port=port, **limits)))

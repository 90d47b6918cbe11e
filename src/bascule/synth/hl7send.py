"""Sending a feed over MLLP as an interface engine's peer would, with python-hl7's client."""

import queue
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import hl7.client

from bascule.errors import BasculeError


@dataclass(frozen=True, slots=True)
class SendReport:
    """What came back: acknowledgement codes, latencies, time taken."""

    sent: int
    codes: dict[str, int]
    latencies: tuple[float, ...]
    seconds: float
    failures: tuple[str, ...]

    @property
    def rate(self) -> float:
        """Acknowledged messages per second."""
        return sum(self.codes.values()) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """ACK latency (seconds) below which ``share`` of the messages were answered."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ack_code(ack: bytes) -> str:
    """MSA-1 of an acknowledgement, or ``??`` when it has none."""
    for segment in ack.replace(b"\n", b"\r").split(b"\r"):
        if segment.startswith(b"MSA"):
            fields = segment.split(segment[3:4] or b"|")
            return fields[1].decode("ascii", "replace") if len(fields) > 1 else "??"
    return "??"


def send_messages(
    messages: Sequence[str], host: str, port: int, *, senders: int = 4, rate: float | None = None
) -> SendReport:
    """Send ``messages`` over ``senders`` connections, at most ``rate`` per second overall.

    Each sender waits for a message's ACK before sending its next one, as MLLP peers do,
    so throughput comes from concurrent connections.
    """
    if senders < 1:
        raise BasculeError("--senders must be at least 1")
    work: queue.Queue[tuple[int, str]] = queue.Queue()
    for index, message in enumerate(messages):
        work.put((index, message))
    codes: Counter[str] = Counter()
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    began = time.perf_counter()
    interval = senders / rate if rate else 0.0

    def sender() -> None:
        try:
            client = hl7.client.MLLPClient(host, port)
        except OSError as exc:
            with lock:
                failures.append(f"cannot connect to {host}:{port}: {exc.strerror or exc}")
            return
        try:
            while True:
                try:
                    index, message = work.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                try:
                    ack = client.send_message(message.encode("utf-8"))
                except OSError as exc:
                    with lock:
                        failures.append(f"message {index}: {exc.strerror or exc}")
                    return
                elapsed = time.perf_counter() - started
                with lock:
                    codes[ack_code(ack)] += 1
                    latencies.append(elapsed)
                if interval > elapsed:
                    time.sleep(interval - elapsed)
        finally:
            client.close()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return SendReport(
        sent=sum(codes.values()),
        codes=dict(codes),
        latencies=tuple(latencies),
        seconds=time.perf_counter() - began,
        failures=tuple(failures),
    )

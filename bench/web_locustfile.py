"""The users of bench/web.py, run by the ``locust`` command in a process of its own.

bench/web.py writes a JSON plan (accounts, incident, where to put the samples) and names it
in ``BASCULE_WEB_BENCH``; this file gives each simulated user one account, signs it in
once, then browses the status board and the incident page and, when the role allows it,
writes logbook entries. Every request is recorded (name, start, milliseconds, status, ok)
and the samples are written to the plan's ``samples`` path when locust quits, so that
bench/web.py computes its own percentiles, exactly and per request type.

Only the standard library and locust are imported here: locust monkey-patches the
standard library with gevent, which bascule and SQLAlchemy need not meet.
"""

import itertools
import json
import os
import random
import re
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task
from locust.exception import RescheduleTaskImmediately, StopUser

PLAN: dict[str, Any] = json.loads(Path(os.environ["BASCULE_WEB_BENCH"]).read_text("utf-8"))
THINK_SECONDS = (float(PLAN["think"][0]), float(PLAN["think"][1]))
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CATEGORIES = ("event", "decision", "action", "communication")
_accounts = itertools.cycle(PLAN["accounts"])
_samples: list[tuple[str, float, float, int, bool]] = []


@events.request.add_listener
def _record(
    name: str,
    response_time: float,
    start_time: float,
    exception: BaseException | None,
    response: Any = None,
    **_kwargs: Any,
) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    _samples.append((name, start_time, response_time, status, exception is None))


@events.quitting.add_listener
def _save(**_kwargs: Any) -> None:
    Path(PLAN["samples"]).write_text(json.dumps(_samples), encoding="utf-8")


class CrisisCellUser(FastHttpUser):
    """Someone of the crisis cell, signed in once, with a browser open on the board."""

    wait_time = between(*THINK_SECONDS)

    def on_start(self) -> None:
        account = next(_accounts)
        self.username: str = account["username"]
        self.writes: bool = account["writes"]
        self.site: str = account["site"] or ""
        self.incident: str = PLAN["incident"]
        self.written = 0
        with self.client.get("/login", name="login form", catch_response=True) as form:
            found = CSRF.search(form.text or "")
            if form.status_code != 200 or found is None:
                form.failure(f"sign-in form: status {form.status_code}, no csrf_token")
                raise StopUser
        fields = {
            "username": self.username,
            "password": account["password"],
            "csrf_token": found.group(1),
            "next": "/crisis",
        }
        with self.client.post(
            "/login", data=fields, name="login", allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code != 303:
                answer.failure(f"sign-in: status {answer.status_code}, expected 303")
                raise StopUser
        self.csrf = ""
        self.board()
        if not self.csrf:
            raise StopUser

    def _page(self, path: str, name: str) -> None:
        """GET a signed-in page: only a 200 counts (a 303 means the session was refused)."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"{name}: status {page.status_code}")
                return
            found = CSRF.search(page.text or "")
            if found is None:
                page.failure(f"{name}: no csrf_token in the page")
                return
            self.csrf = found.group(1)

    @task(6)
    def board(self) -> None:
        """The status board."""
        self._page("/crisis", "board")

    @task(3)
    def incident_page(self) -> None:
        """The incident: phases, tasks, logbook, timeline."""
        self._page(f"/incidents/{self.incident}", "incident")

    @task(1)
    def write_entry(self) -> None:
        """A logbook entry, then the incident page the redirect leads to (as a browser does)."""
        if not self.writes:
            raise RescheduleTaskImmediately
        self.written += 1
        fields = {
            "csrf_token": self.csrf,
            "category": random.choice(CATEGORIES),
            "text": f"{self.username}: point de situation n°{self.written}",
            "site_id": self.site,
        }
        target = f"/incidents/{self.incident}#logbook"
        with self.client.post(
            f"/incidents/{self.incident}/logbook",
            data=fields,
            name="logbook write",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            location = answer.headers.get("location", "") if answer.headers else ""
            if answer.status_code != 303 or not location.endswith(target):
                answer.failure(f"logbook write: status {answer.status_code}, to {location!r}")
                return
        self.incident_page()

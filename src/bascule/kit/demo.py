"""The continuity-kit step of ``bascule demo``: kits for every site, one agent at work."""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from bascule.domain.activity import Visit, VisitKind
from bascule.kit.agent import Agent, AgentConfig
from bascule.kit.agent_store import create_token
from bascule.kit.keys import GROUP_SLOT, SITE_SLOT, KeyStore
from bascule.kit.publish import Publisher
from bascule.kit.viewer import viewer_name
from bascule.store import changes, journal, queries
from bascule.store.database import Database
from bascule.store.tables import PatientLocalIdRow
from bascule.web.app import create_app
from bascule.web.server import BackgroundServer

AGENT_SITE = "rennes"
AGENT_CYCLES = 3


@dataclass(frozen=True, slots=True)
class KitDemo:
    """Where the demo left its kits and viewer, and the passphrases that open them."""

    keys: Path
    kits: Path
    viewer: Path
    site_passphrases: dict[str, str]
    group_passphrase: str


def _passphrase() -> str:
    # Random even in a demo: a printed, well-known passphrase ends up in real use.
    return "-".join(secrets.token_hex(3) for _ in range(4))


def _setup_keys(directory: Path, sites: list[str]) -> tuple[KeyStore, dict[str, str], str]:
    keys = KeyStore(directory)
    keys.create_signing_key()
    site_passphrases = {site: _passphrase() for site in sites}
    for site, passphrase in site_passphrases.items():
        keys.set_slot(SITE_SLOT, passphrase, site)
    group = _passphrase()
    keys.set_slot(GROUP_SLOT, group)
    return keys, site_passphrases, group


def _new_visits(db: Database, cycle: int) -> None:
    """A few patients seen at the agent's site, so that the next cycle brings a delta."""
    now = db.clock.now()
    with db.writing() as session:
        patient_ids = list(
            session.scalars(
                select(PatientLocalIdRow.patient_id)
                .where(PatientLocalIdRow.site_id == AGENT_SITE)
                .order_by(PatientLocalIdRow.patient_id)
                .limit(5)
                .offset(cycle * 5)
            )
        )
        visits = [
            Visit(
                f"demo-{cycle}-{n}",
                pid,
                AGENT_SITE,
                now - timedelta(minutes=n),
                VisitKind.EMERGENCY,
                "orthopaedics",
            )
            for n, pid in enumerate(patient_ids)
        ]
        journal.append(session, [changes.visit_recorded(v) for v in visits], actor="demo", at=now)


def run_kit_demo(db: Database, out: Path, console: Console) -> KitDemo:
    """Build a kit for every site, then run a site agent against the local server."""
    with db.reading() as session:
        sites = [summary.id for summary in queries.site_summaries(session)]
    keys, site_passphrases, group_passphrase = _setup_keys(out / "keys", sites)
    publisher = Publisher(db, keys, out / "kits")
    table = Table("site", "sequence", "size", "active patients", title="Continuity kits")
    for site in sites:
        published = publisher.publish_kit(site)
        manifest = publisher.manifest(site, published.seq) or {"ids": {"patients": []}}
        table.add_row(
            site,
            str(published.seq),
            f"{published.path.stat().st_size / 1e6:.1f} MB",
            f"{len(manifest['ids']['patients']):,}",
        )
    console.print(table)

    with db.writing() as session:
        token = create_token(session, AGENT_SITE, actor="demo", at=db.clock.now()).token
    app = create_app(db)
    app.state.kit_publisher = publisher
    agent_dir = out / f"agent-{AGENT_SITE}"
    logging.getLogger("bascule.agent").setLevel(logging.WARNING)
    with BackgroundServer(app) as server:
        agent = Agent(
            AgentConfig(
                site=AGENT_SITE,
                server=server.url,
                directory=agent_dir,
                token=token,
                public_key=keys.signing_key().public_key(),
                interval=1.0,
            )
        )
        agent.start()
        for cycle in range(AGENT_CYCLES):
            if cycle:
                _new_visits(db, cycle)
            ok = agent.cycle()
            held = agent.holdings.current
            console.print(
                f"agent cycle {cycle + 1}: {'ok' if ok else 'failed'}, holds "
                f"{AGENT_SITE} at sequence {held.seq if held else '—'}"
                + (" (full kit)" if cycle == 0 else " (after 5 new visits: a delta)")
            )
    return KitDemo(
        keys=out / "keys",
        kits=out / "kits",
        viewer=agent_dir / viewer_name(AGENT_SITE),
        site_passphrases=site_passphrases,
        group_passphrase=group_passphrase,
    )

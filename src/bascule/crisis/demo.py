"""The crisis-cell step of ``bascule demo``: accounts, an IDS alert, an incident, a SITREP.

Rennes and Saint-Nazaire are hit: a Suricata alert reaches the cell, the crisis lead
declares the incident from it, the plan becomes tasks, the sites report their systems,
the logbook fills, and the first situation report is issued for the meeting.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path

import yaml
from rich.console import Console

from bascule.crisis import accounts
from bascule.crisis.alert_formats import parse_suricata
from bascule.crisis.alert_rules import DEFAULT_RULES, parse_rules
from bascule.crisis.alerts import decide, intake, pending_alerts
from bascule.crisis.incidents import change_phase
from bascule.crisis.logbook import content_digest, entries, write_entry
from bascule.crisis.printouts import logbook_pdf, sitrep_pdf
from bascule.crisis.roles import Actor, Role
from bascule.crisis.sitrep import issue_sitrep, sitrep
from bascule.crisis.status import report_status
from bascule.crisis.tasks import tasks_of, update_task
from bascule.ingest.monitor import load_rules
from bascule.store.database import Database
from bascule.web.i18n import Translator

SITES = ("rennes", "saint-nazaire")
# The sample alert's network, placed at Rennes for the demo.
SAMPLE_NETWORK = {"cidr": "10.16.0.0/16", "site": "rennes"}


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """An account the demo created, with its password to sign in."""

    username: str
    role: Role
    password: str


@dataclass(frozen=True, slots=True)
class CrisisDemo:
    """What the crisis step left behind."""

    incident_id: str
    accounts: tuple[DemoAccount, ...]
    sitrep_pdf: Path
    logbook_pdf: Path
    credentials: Path


_ACCOUNTS = (
    ("direction", "Gwenaëlle Le Floch", Role.CRISIS_LEAD, ()),
    ("rennes.direction", "Yannick Morvan", Role.SITE_MANAGER, ("rennes",)),
    (
        "stnazaire.direction",
        "Sophie Guérin",
        Role.SITE_MANAGER,
        ("saint-nazaire",),
    ),
    ("bloc", "Erwan Tanguy", Role.OR_SCHEDULER, ()),
    ("accueil", "Léna Guillou", Role.CLERK, ()),
    ("audit", "Anne Riou", Role.AUDITOR, ()),
)


def _accounts(db: Database) -> tuple[list[DemoAccount], dict[str, Actor]]:
    made, actors = [], {}
    for username, name, role, sites in _ACCOUNTS:
        password = secrets.token_urlsafe(12)
        accounts.add_user(
            db,
            username=username,
            display_name=name,
            role=role,
            sites=list(sites),
            password=password,
            actor="demo",
        )
        made.append(DemoAccount(username, role, password))
        actors[username] = Actor(username, name, role, sites)
    return made, actors


def _demo_rules_text() -> str:
    default = resources.files("bascule.crisis").joinpath(DEFAULT_RULES).read_text("utf-8")
    document = yaml.safe_load(default)
    document["sites"].append(SAMPLE_NETWORK)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def run_crisis_demo(db: Database, out: Path, console: Console) -> CrisisDemo:
    """Create accounts, take in an alert, run the first hour of the incident, issue a SITREP."""
    directory = out / "crisis"
    directory.mkdir(parents=True, exist_ok=True)
    made, actors = _accounts(db)
    console.print(f"{len(made)} accounts: " + ", ".join(f"{a.username} ({a.role})" for a in made))
    lead = actors["direction"]

    rules_file = directory / "alert-rules.yaml"
    rules_file.write_text(_demo_rules_text(), encoding="utf-8")
    rules = parse_rules(rules_file.read_text("utf-8"), str(rules_file))
    sample = resources.files("bascule.crisis").joinpath("samples", "suricata-testmyids.json")
    batch = parse_suricata(sample.read_bytes())
    report = intake(db, batch.events, rules, actor="ids:suricata")
    [alert] = [a for a in pending_alerts(db) if a.site_id == "rennes"]
    console.print(
        f"Suricata alert taken in: {alert.signature!r} on {alert.host} → site {alert.site_id}, "
        f"{report.proposed} proposed to the crisis lead"
    )
    incident_id = decide(
        db,
        lead,
        alert.id,
        "declare",
        title="Cyberattaque : rançongiciel sur Rennes et Saint-Nazaire",
        sites=list(SITES),
        systems=["ehr", "or-scheduling", "lab", "network", "email"],
        severity="critical",
    )
    if incident_id is None:
        raise RuntimeError("declaring from the alert returned no incident")
    with db.reading() as session:
        created = tasks_of(session, incident_id)
    console.print(f"incident {incident_id} declared; the plan became {len(created)} tasks")

    rennes, nazaire = actors["rennes.direction"], actors["stnazaire.direction"]
    for manager, site in ((rennes, "rennes"), (nazaire, "saint-nazaire")):
        for system in ("ehr", "or-scheduling", "network"):
            report_status(db, manager, site_id=site, system=system, state="down")
        report_status(db, manager, site_id=site, system="lab", state="degraded", note="papier")
        report_status(
            db,
            manager,
            site_id=site,
            system="site",
            state="degraded",
            capacity=0.5,
            note="bloc à 50 %, urgences maintenues",
        )
    clerk = actors["accueil"]
    first = write_entry(
        db,
        lead,
        text="Alerte IDS reçue, DPI inaccessible à Rennes",
        category="event",
        incident_id=incident_id,
        site_id="rennes",
    )
    write_entry(
        db,
        lead,
        text="Isolement réseau des deux sites ; serveurs laissés sous tension",
        category="decision",
        incident_id=incident_id,
    )
    write_entry(
        db,
        lead,
        text="Passage au papier et impression des dossiers de continuité",
        category="decision",
        incident_id=incident_id,
    )
    write_entry(
        db,
        clerk,
        text="ARS et CERT Santé prévenus par téléphone",
        category="communication",
        incident_id=incident_id,
    )
    write_entry(
        db,
        lead,
        text="Correction : DPI inaccessible à Rennes depuis 06:40, pas 07:40",
        category="event",
        incident_id=incident_id,
        corrects=first.id,
    )
    for action in ("isolate-network", "declare-incident", "start-logbook"):
        update_task(db, lead, f"{incident_id}/{action}", status="done")
    change_phase(db, lead, incident_id, "containment", note="réseau isolé")
    meeting = db.clock.now() + timedelta(hours=2)
    number = issue_sitrep(db, lead, incident_id, feed_rules=load_rules(), next_meeting_at=meeting)

    t = Translator("fr")
    with db.reading() as session:
        issued = sitrep(session, incident_id, number)
        content, digest = dict(issued.content), issued.content_sha256
        logbook = entries(session, incident_id)
    sitrep_file = directory / f"sitrep-{incident_id}-{number}.pdf"
    sitrep_file.write_bytes(
        sitrep_pdf(
            content,
            digest=digest,
            issued=t("crisis.sitrep.issued", moment=t.moment(db.clock.now()), by="web:direction"),
            t=t,
            moment=t.moment,
        )
    )
    logbook_file = directory / f"main-courante-{incident_id}.pdf"
    logbook_file.write_bytes(
        logbook_pdf(
            logbook,
            title=t(
                "crisis.logbook.pdf_title", incident=incident_id, title=content["incident"]["title"]
            ),
            digest=content_digest(logbook),
            printed=f"{t.moment(db.clock.now())} · demo",
            t=t,
            moment=t.moment,
        )
    )
    tasks = content["tasks"]
    console.print(
        f"{len(logbook)} logbook entries (one correction); SITREP n° {number}: "
        f"{tasks['done']} tasks done, {tasks['open']} open, next meeting {t.moment(meeting)}"
    )
    credentials = directory / "credentials.txt"
    credentials.write_text(
        "".join(f"{a.username}\t{a.role}\t{a.password}\n" for a in made), encoding="utf-8"
    )
    credentials.chmod(0o600)
    return CrisisDemo(incident_id, tuple(made), sitrep_file, logbook_file, credentials)

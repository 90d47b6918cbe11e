"""The queues re-entry leaves for people, through the HTTP interface.

Identity vigilance (a doubtful typed identity waits with its candidates and is linked,
unlinked, or made new), conflicts between a confirmed paper record and the centre, and the
crisis lead's closure waiver.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from bascule.clock import local_time
from bascule.crisis import accounts
from bascule.crisis.roles import Role
from bascule.domain.cases import Booking, CaseStatus, SurgicalCase
from bascule.domain.patients import IdentityTraits, Patient, Sex
from bascule.domain.priority import PriorityClass
from bascule.paper.codes import FormCode, display_form_id, new_form_id
from bascule.paper.model import FormType
from bascule.store import changes
from bascule.store.database import Database
from bascule.store.tables import PatientRow, SurgicalCaseRow
from bascule.web.i18n import Translator
from bascule.web.routers.recovery_queues import _version, _veto
from tests.factories import record
from tests.web.conftest import ESTUAIRE, Client, password_for
from tests.web.htmltext import page_text, table_rows
from tests.web.test_recovery_pages import WARD, admission, declare_yesterday, packet, typed_time

# Known to the index before the outage; her birth date typed one digit off is a doubt.
MAELLE = Patient(
    "p-maelle",
    IdentityTraits("Le Goff", "Maëlle", date(1981, 2, 2), Sex.FEMALE),
    (("estuaire", "IPP-maelle"),),
)
YANN = Patient(
    "p-yann",
    IdentityTraits("Le Goff", "Yann", date(1981, 2, 2), Sex.MALE),
    (("estuaire", "IPP-yann"),),
)
DOUBTFUL = admission(birth_date="12/02/1981")
# A weight in favour, as the French page writes it.
GAIN = r"\(\+\d+,\d\)"


@dataclass(frozen=True, slots=True)
class Outage:
    """The forms printed at estuaire during the outage, and the incident declared."""

    admission: FormCode
    surgical_record: FormCode
    incident_id: str


@pytest.fixture
def outage(users: Database) -> Outage:
    """Patients in the index, forms printed at estuaire, the incident, a second clerk."""
    accounts.add_user(
        users,
        username="clerk-2",
        display_name="Second clerk",
        role=Role.CLERK,
        sites=[],
        password=password_for("clerk-2"),
        actor="test",
    )
    record(
        users,
        [
            changes.patient_registered(MAELLE, "estuaire"),
            changes.patient_registered(YANN, "estuaire"),
        ],
    )
    printed = [
        FormCode(FormType.ADMISSION, new_form_id(), "estuaire"),
        FormCode(FormType.SURGICAL_RECORD, new_form_id(), "estuaire", "p2", "c1"),
    ]
    at = datetime.now(UTC) - timedelta(hours=20)
    record(users, [packet("packet-q", "estuaire", printed, at, ward_id=WARD)])
    return Outage(printed[0], printed[1], declare_yesterday(users))


def _section(page: str, element_id: str) -> str:
    """The HTML of the ``<section>`` with ``element_id``."""
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</section>", start)]


def _open(client: TestClient, code: FormCode) -> str:
    opened = client.post("/recovery/scan", data={"code": code.payload()}, follow_redirects=False)
    assert opened.status_code == 303, page_text(opened.text)
    return str(opened.headers["location"]).rsplit("/", 1)[-1]


def _submit(client: TestClient, form_id: str, values: dict[str, str]) -> None:
    saved = client.post(
        f"/recovery/forms/{form_id}", data=values | {"action": "submit"}, follow_redirects=False
    )
    assert saved.status_code == 303, page_text(saved.text)


def _confirm(client: TestClient, form_id: str) -> None:
    confirmed = client.post(f"/recovery/forms/{form_id}/confirm", follow_redirects=False)
    assert confirmed.status_code == 303, page_text(confirmed.text)


def _admitted(as_user: Client, code: FormCode, values: dict[str, str]) -> str:
    """An admission typed twice alike by two clerks, then confirmed by a third person."""
    form_id = _open(as_user("clerk"), code)
    _submit(as_user("clerk"), form_id, values)
    _submit(as_user("clerk-2"), form_id, values)
    _confirm(as_user("identity-vigilance"), form_id)
    return form_id


def _pending(client: TestClient) -> dict[str, str]:
    rows = table_rows(client.get("/recovery").text)
    return {row[0]: row[1] for row in rows if len(row) == 2}


def _decide(client: TestClient, form_id: str, decision: str, patient_id: str = "") -> str:
    data = {"decision": decision, "patient_id": patient_id}
    answer = client.post(f"/recovery/identities/{form_id}", data=data, follow_redirects=False)
    assert answer.status_code == 303, page_text(answer.text)
    return str(answer.headers["location"])


def test_a_doubtful_identity_waits_with_its_evidence_until_identity_vigilance_decides(
    outage: Outage, as_user: Client, users: Database
) -> None:
    form_id = _admitted(as_user, outage.admission, DOUBTFUL)
    shown = display_form_id(form_id)
    clerk = as_user("clerk")
    before = clerk.get("/recovery/identities")
    assert before.status_code == 200
    assert "Admissions confirmées pas encore rapprochées : 1." in page_text(before.text)
    assert "Aucune identité n'attend de décision." in page_text(before.text)
    assert "Consultation seule : seule la cellule d'identitovigilance" in page_text(before.text)

    matched = clerk.post("/recovery/identities/match", follow_redirects=False)
    assert matched.status_code == 303
    assert matched.headers["location"] == "/recovery/identities?matched=0,1,0"
    page = clerk.get(matched.headers["location"]).text
    assert "Rapprochement fait : 0 liée(s) d'office, 1 en attente de décision" in page_text(page)
    assert "Admissions confirmées pas encore rapprochées : 0." in page_text(page)
    queued = _section(page, f"identity-{form_id}")
    assert f"Formulaire {shown} · {ESTUAIRE} · n° de secours D-0000123-20" in page_text(queued)
    [header, *rows] = table_rows(queued)
    assert header == ["Trait", "Saisi sur le papier", "Candidat 1 : p-maelle"]
    traits = {row[0]: row[1:] for row in rows}
    # Each trait as typed, then as the candidate holds it with its level and weight (bits).
    assert traits["Date de naissance"][0] == "12/02/1981"
    born = traits["Date de naissance"][1]
    assert re.fullmatch(rf"02/02/1981 un chiffre faux ou deux inversés {GAIN}", born)
    assert re.fullmatch(rf"Le Goff identique {GAIN}", traits["Nom de naissance"][1])
    assert re.fullmatch(rf"Maëlle identique {GAIN}", traits["Premier prénom"][1])
    assert re.fullmatch(rf"Féminin identique {GAIN}", traits["Sexe"][1])
    assert traits["Veto"] == ["", "aucun"]
    assert re.fullmatch(r"\d+,\d", traits["Score (bits)"][1])
    assert 'class="evidence agree"' in queued
    # A clerk matches, but only the identity-vigilance cell decides.
    assert "Lier à ce patient" not in page
    assert "Nouvelle identité provisoire" not in page
    refused = clerk.post(
        f"/recovery/identities/{form_id}", data={"decision": "link", "patient_id": "p-maelle"}
    )
    assert refused.status_code == 403
    assert "clerk (clerk) may not decide-identity for site estuaire" in page_text(refused.text)
    dashboard = clerk.get("/recovery").text
    assert '<a href="/recovery/identities">' in dashboard
    assert _pending(clerk)["Identités en attente d'identitovigilance"] == "1"

    officer = as_user("identity-vigilance")
    english = officer.get("/recovery/identities?lang=en").text
    [born_en] = [row for row in table_rows(english) if row[0] == "Birth date"]
    assert re.fullmatch(r"02/02/1981 one digit wrong or two swapped \(\+\d+\.\d\)", born_en[2])
    assert "Link to this patient" in english
    location = _decide(officer, form_id, "link", "p-maelle")
    assert location == f"/recovery/identities?decided={form_id}"
    linked = officer.get(location).text
    assert f"Formulaire {shown} : identité liée au patient p-maelle." in page_text(linked)
    assert "Aucune identité n'attend de décision." in page_text(linked)
    [line] = [row for row in table_rows(linked) if row[0] == shown]
    assert line[1:6] == [
        "Le Goff Maëlle, 12/02/1981",
        ESTUAIRE,
        "liée",
        "p-maelle · Le Goff Maëlle, 02/02/1981",
        "web:identity-vigilance",
    ]
    assert line[7] == f"Annuler le lien {shown}"
    assert _pending(clerk)["Identités en attente d'identitovigilance"] == "0"
    # A second click on the same decision is refused, not linked twice.
    again = officer.post(
        f"/recovery/identities/{form_id}", data={"decision": "link", "patient_id": "p-maelle"}
    )
    assert again.status_code == 400
    assert "was already decided (linked)" in page_text(again.text)

    _decide(officer, form_id, "unlink")
    unlinked = officer.get(f"/recovery/identities?decided={form_id}").text
    assert "lien annulé, l'identité attend une nouvelle décision" in page_text(unlinked)
    assert f'id="identity-{form_id}"' in unlinked
    assert _pending(clerk)["Identités en attente d'identitovigilance"] == "1"

    _decide(officer, form_id, "new")
    made = officer.get(f"/recovery/identities?decided={form_id}").text
    found = re.search(r"nouvelle identité provisoire (pat-[0-9a-f]+)\.", page_text(made))
    assert found is not None, page_text(made)
    [line] = [row for row in table_rows(made) if row[0] == shown]
    assert line[3] == "nouvelle identité provisoire"
    assert line[4] == f"{found.group(1)} · Le Goff Maëlle, 12/02/1981"
    assert line[7] == ""  # nothing to undo: a new identity is not a link
    with users.reading() as session:
        created = session.get(PatientRow, found.group(1))
        assert created is not None
        assert created.identity_status == "PROV"
    assert _pending(clerk)["Identités en attente d'identitovigilance"] == "0"


def test_those_who_may_not_match_or_decide_are_refused(outage: Outage, as_user: Client) -> None:
    form_id = _admitted(as_user, outage.admission, DOUBTFUL)
    viewer = as_user("viewer")
    page = viewer.get("/recovery/identities").text
    assert "Rapprocher les admissions confirmées" not in page
    assert viewer.post("/recovery/identities/match").status_code == 403
    # A site manager types back their site's forms, but matching runs group-wide.
    assert as_user("site-manager").post("/recovery/identities/match").status_code == 403
    as_user("clerk").post("/recovery/identities/match")
    for decision in ("link", "new", "unlink"):
        refused = viewer.post(
            f"/recovery/identities/{form_id}", data={"decision": decision, "patient_id": "p-maelle"}
        )
        assert refused.status_code == 403, decision
    officer = as_user("identity-vigilance")
    unknown = officer.post(f"/recovery/identities/{new_form_id()}", data={"decision": "new"})
    assert unknown.status_code == 404
    wrong = officer.post(f"/recovery/identities/{form_id}", data={"decision": "merge"})
    assert wrong.status_code == 400
    nobody = officer.post(
        f"/recovery/identities/{form_id}", data={"decision": "link", "patient_id": "p-nobody"}
    )
    assert nobody.status_code == 400
    assert "no patient 'p-nobody' to link to" in page_text(nobody.text)
    assert "Rapprocher les admissions confirmées" in officer.get("/recovery/identities").text


def _central_rebooking(users: Database, day: date) -> None:
    """The OR scheduler moves case c1 centrally during the incident."""
    today = datetime.now(UTC).date()
    moved = SurgicalCase(
        id="c1",
        patient_id="p2",
        site_id="estuaire",
        specialty="orthopaedics",
        procedure="Prothèse totale de hanche",
        expected_minutes=120,
        priority=PriorityClass.P2,
        listed_on=today,
        release_on=today,
        surgeon_id="s-riou",
        booking=Booking(day, "est-b1", 480),
    )
    record(users, [changes.case_updated(moved)], actor="replan:claire")


SURGICAL_RECORD = {
    "case_reference": "c1",
    "theatre": "Bloc 1",
    "in_room_at": typed_time(5),
    "out_of_room_at": typed_time(4),
    "surgeon": "Dr Riou",
    "procedure": "Prothèse totale de hanche",
}


def _case_status(users: Database) -> str:
    with users.reading() as session:
        case = session.get(SurgicalCaseRow, "c1")
        assert case is not None
        return case.status


def test_a_conflict_with_the_centre_is_decided_with_both_versions_in_view(
    outage: Outage, as_user: Client, users: Database
) -> None:
    rebooked = datetime.now(UTC).date() + timedelta(days=3)
    _central_rebooking(users, rebooked)
    clerk = as_user("clerk")
    form_id = _open(clerk, outage.surgical_record)
    _submit(clerk, form_id, SURGICAL_RECORD)
    _confirm(clerk, form_id)
    assert _case_status(users) == CaseStatus.BOOKED.value  # nothing overwritten silently
    assert _pending(clerk)["Conflits avec le dossier central"] == "1"
    assert '<a href="/recovery/conflicts">' in clerk.get("/recovery").text

    # The clerk sees the conflict but may not decide it.
    seen = clerk.get("/recovery/conflicts").text
    assert "Consultation seule : les conflits sont tranchés" in page_text(seen)
    assert "Garder le papier" not in seen
    conflict_id = f"{form_id}/operated_on"
    url = f"/recovery/conflicts/{conflict_id}"
    refused = clerk.post(url, data={"keep": "paper", "note": "vu"})
    assert refused.status_code == 403
    assert "may not resolve-conflict for site estuaire" in page_text(refused.text)

    scheduler = as_user("or-scheduler")
    page = scheduler.get("/recovery/conflicts").text
    section = _section(page, "conflict-1")
    operated = local_time(datetime.now(UTC) - timedelta(hours=5)).strftime("%d/%m/%Y")
    assert f"Intervention réalisée · Formulaire {display_form_id(form_id)} · {ESTUAIRE}" in (
        page_text(section)
    )
    [header, paper, central] = table_rows(section)
    assert header == ["Source", "Version", "Par", "Le"]
    assert paper[:3] == ["Papier", f"opéré le {operated}, Bloc 1", "web:clerk"]
    assert central[:3] == [
        "Dossier central",
        f"programmé le {rebooked.strftime('%d/%m/%Y')}, est-b1",
        "replan:claire",
    ]
    assert '<label for="n-conflict-1">Note (pourquoi ce choix)</label>' in section
    assert 'name="keep" value="paper">Garder le papier</button>' in section
    assert "Garder la version centrale" in section
    assert f'action="/recovery/conflicts/{conflict_id}"' in section
    english = scheduler.get("/recovery/conflicts?lang=en").text
    assert f"booked on {rebooked.strftime('%d/%m/%Y')}, est-b1" in english
    assert "Keep the central version" in english

    too_long = scheduler.post(url, data={"keep": "paper", "note": "x" * 1001})
    assert too_long.status_code == 422
    assert "Note : 1 000 caractères au plus." in page_text(too_long.text).replace("\u00a0", " ")
    assert 'aria-invalid="true"' in _section(too_long.text, "conflict-1")
    assert _case_status(users) == CaseStatus.BOOKED.value

    note = "Opéré le jour dit, confirmé par le cahier du bloc"
    kept = scheduler.post(url, data={"keep": "paper", "note": note}, follow_redirects=False)
    assert kept.status_code == 303
    assert kept.headers["location"] == f"/recovery/conflicts?resolved={conflict_id}"
    done = scheduler.get(kept.headers["location"]).text
    assert f"Formulaire {display_form_id(form_id)} : papier gardé par web:or-scheduler." in (
        page_text(done)
    )
    assert "Aucun conflit n'attend de décision." in page_text(done)
    assert _case_status(users) == CaseStatus.DONE.value
    assert _pending(clerk)["Conflits avec le dossier central"] == "0"
    again = scheduler.post(url, data={"keep": "central", "note": ""})
    assert again.status_code == 400
    assert "already resolved" in page_text(again.text)
    unknown = scheduler.post("/recovery/conflicts/NOPE/operated_on", data={"keep": "paper"})
    assert unknown.status_code == 404


def test_the_crisis_lead_waives_closure_with_a_reason(outage: Outage, as_user: Client) -> None:
    clerk = as_user("clerk")
    assert 'name="reason"' not in clerk.get("/recovery").text
    refused = clerk.post(
        "/recovery/waiver", data={"incident_id": outage.incident_id, "reason": "x" * 20}
    )
    assert refused.status_code == 403
    assert "clerk (clerk) may not change-phase" in page_text(refused.text)

    lead = as_user("crisis-lead")
    page = lead.get("/recovery").text
    assert '<a href="#waiver">Dérogation de clôture</a>' in page
    assert '<label for="w-incident">Incident</label>' in page
    assert f'<option value="{outage.incident_id}">{outage.incident_id} · Rançongiciel' in page
    assert '<label for="w-reason">Raison</label>' in page
    short = lead.post("/recovery/waiver", data={"incident_id": outage.incident_id, "reason": "ok"})
    assert short.status_code == 422
    assert "Raison : 10 caractères au moins." in short.text
    assert ">ok</textarea>" in short.text
    assert 'id="p-w-reason"' in short.text
    unknown = lead.post("/recovery/waiver", data={"incident_id": "INC-0", "reason": "x" * 20})
    assert unknown.status_code == 422
    assert "Choisissez un incident ouvert." in unknown.text

    reason = "Formulaires perdus dans l'inondation du sous-sol ; recensés au registre"
    waived = lead.post(
        "/recovery/waiver",
        data={"incident_id": outage.incident_id, "reason": reason},
        follow_redirects=False,
    )
    assert waived.status_code == 303
    assert waived.headers["location"] == "/recovery"
    after = lead.get("/recovery").text
    waiver = f"une dérogation de clôture est enregistrée pour {outage.incident_id}"
    assert waiver in page_text(after)
    assert 'name="reason"' not in after  # no other open incident to waive
    twice = lead.post(
        "/recovery/waiver", data={"incident_id": outage.incident_id, "reason": reason}
    )
    assert twice.status_code == 400
    assert "already has a closure waiver" in page_text(twice.text)


def test_the_services_words_are_shown_in_the_pages_language() -> None:
    french, english = Translator("fr"), Translator("en")
    assert _veto(french, "family name same sound") == "nom de famille : même son"
    assert _veto(english, "birth date different") == "birth date: different"
    assert _veto(french, "no name agrees") == "aucun nom ne concorde"
    # A word the catalogue does not know yet is shown as the matcher wrote it.
    assert _veto(french, "sex unheard of") == "sexe : unheard of"
    assert _version(french, "postponed, no date") == "reporté, sans date"
    assert _version(english, "booked 2026-12-03 est-b1") == "booked on 03/12/2026, est-b1"
    assert _version(french, "anything else") == "anything else"

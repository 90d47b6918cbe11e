"""Re-entry of paper through the HTTP interface: scan, type, type again blind, settle, confirm."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from bascule.clock import SimulatedClock, local_time
from bascule.crisis import accounts
from bascule.crisis.incidents import declare_incident
from bascule.crisis.roles import Actor, Role
from bascule.paper.codes import FormCode, display_form_id, new_form_id
from bascule.paper.model import FormType
from bascule.recovery.reentry import NO_INCIDENT
from bascule.store.canonical import canonical_instant
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.kinds import PAPER_PACKET_ISSUED
from bascule.web.app import create_app
from tests.web.conftest import ESTUAIRE, Client, password_for, record, signed_in
from tests.web.htmltext import page_text, table_rows

LEAD = Actor("crisis-lead", "Test crisis-lead", Role.CRISIS_LEAD, ())
WARD = "est-ortho"
ATTACK = "<img src=x onerror=alert(1)>"


@dataclass(frozen=True, slots=True)
class Paper:
    """The forms printed for estuaire (and one for erdre), as their QR codes read."""

    admission: FormCode
    request: FormCode
    or_list: FormCode
    erdre: FormCode


def packet(
    packet_id: str, site_id: str, codes: list[FormCode], at: datetime, ward_id: str | None = None
) -> Change:
    """The journal change of a printed packet carrying ``codes``, all for ``ward_id``."""
    payload = {
        "schema": 1,
        "id": packet_id,
        "site_id": site_id,
        "day": local_time(at).date().isoformat(),
        "issued_at": canonical_instant(at),
        "issued_by": "test",
        "source": "store",
        "seq": 1,
        "parts": ["forms"],
        "pages": len(codes),
        "pdf_sha256": "0" * 64,
        "forms": [
            [
                code.form_id,
                code.form_type.value,
                code.patient_id,
                code.case_id,
                ward_id,
                n,
                "t",
                code.form_type.returnable,
            ]
            for n, code in enumerate(codes, start=1)
        ],
    }
    return Change(PAPER_PACKET_ISSUED, "paper_packet", packet_id, payload, site_id)


def declare_yesterday(db: Database) -> str:
    """Declare the incident a day ago, so that times typed this morning fall in its window."""
    url = db.engine.url.render_as_string(hide_password=False)
    past = Database(url, clock=SimulatedClock(datetime.now(UTC) - timedelta(days=1)))
    try:
        return declare_incident(
            past,
            LEAD,
            title="Rançongiciel : DPI chiffré",
            severity="critical",
            sites=["estuaire"],
            systems=["ehr"],
        )
    finally:
        past.dispose()


def typed_time(hours_ago: float) -> str:
    """A time of today as a clerk types it from paper: local, ``dd/mm/yyyy hh:mm``."""
    return local_time(datetime.now(UTC) - timedelta(hours=hours_ago)).strftime("%d/%m/%Y %H:%M")


def admission(**changes: str) -> dict[str, str]:
    """A complete, valid admission form as typed."""
    values = {
        "birth_family_name": "Le Goff",
        "first_given_name": "Maëlle",
        "birth_date": "14/03/1980",
        "sex": "F",
        "downtime_id": "D-0000123-20",
        "ward": "Chirurgie A",
        "admitted_at": typed_time(3),
        "address": "3 rue des Halles",
    }
    return values | changes


def lab_request(**changes: str) -> dict[str, str]:
    """A complete, valid lab request as typed."""
    values = {
        "birth_family_name": "Le Goff",
        "first_given_name": "Maëlle",
        "birth_date": "14/03/1980",
        "prescriber": "Dr Morvan",
        "requested_at": typed_time(2),
        "urgent": "no",
        "request_kind": "lab",
        "exam": "NFS",
    }
    return values | changes


TRANSFER = {
    "from_site": "Polyclinique des Bords de l'Erdre",
    "to_site": "CHU de Nantes",
    "left_at": typed_time(4),
    "transport": "SMUR",
    "reason": "Polytraumatisé, pas de scanner",
}


@pytest.fixture
def paper(users: Database) -> Paper:
    """Forms printed at estuaire and erdre, the incident declared, a second clerk."""
    accounts.add_user(
        users,
        username="clerk-2",
        display_name="Second clerk",
        role=Role.CLERK,
        sites=[],
        password=password_for("clerk-2"),
        actor="test",
    )
    printed = Paper(
        admission=FormCode(FormType.ADMISSION, new_form_id(), "estuaire"),
        request=FormCode(FormType.REQUEST, new_form_id(), "estuaire"),
        or_list=FormCode(FormType.OR_LIST, new_form_id(), "estuaire"),
        erdre=FormCode(FormType.TRANSFER, new_form_id(), "erdre"),
    )
    at = datetime.now(UTC) - timedelta(hours=20)
    estuaire = [printed.admission, printed.request, printed.or_list]
    record(
        users,
        [
            packet("packet-e", "estuaire", estuaire, at, ward_id=WARD),
            packet("packet-r", "erdre", [printed.erdre], at),
        ],
    )
    declare_yesterday(users)
    return printed


def _field(page: str, name: str) -> str:
    """The HTML of one field of the typing form: label, input, help and problem."""
    found = re.search(
        rf'<div class="field[^"]*">\s*<label for="f-{name}">.*?</div>', page, flags=re.DOTALL
    )
    assert found is not None, name
    return found.group(0)


def _open(client: TestClient, code: str) -> str:
    opened = client.post("/recovery/scan", data={"code": code}, follow_redirects=False)
    assert opened.status_code == 303, opened.text
    location = str(opened.headers["location"])
    assert location.startswith("/recovery/forms/")
    return location.rsplit("/", 1)[-1]


def _post(client: TestClient, form_id: str, values: dict[str, str], action: str) -> str:
    saved = client.post(
        f"/recovery/forms/{form_id}", data=values | {"action": action}, follow_redirects=False
    )
    assert saved.status_code == 303, page_text(saved.text)
    return str(saved.headers["location"])


def _progress(client: TestClient) -> list[str]:
    rows = table_rows(client.get("/recovery").text)
    return next(row for row in rows if row[:2] == [ESTUAIRE, WARD])


def _listed(client: TestClient, status: str) -> str:
    page = client.get("/recovery").text
    heading = page.index(f'id="list-{status}"')
    return page_text(page[heading : page.index("<h2", heading + 1)])


def test_scanning_opens_the_typed_form_of_the_paper(paper: Paper, as_user: Client) -> None:
    clerk = as_user("clerk")
    dashboard = clerk.get("/recovery")
    assert dashboard.status_code == 200
    assert '<label for="f-code">Code scanné ou n° de formulaire</label>' in dashboard.text
    assert 'href="/recovery" aria-current="page">Ressaisie</a>' in dashboard.text
    form_id = _open(clerk, paper.admission.payload())
    assert form_id == paper.admission.form_id
    # The printed number, as a clerk types it, opens the same form.
    assert _open(clerk, display_form_id(form_id).lower()) == form_id
    page = clerk.get(f"/recovery/forms/{form_id}")
    assert page.status_code == 200
    assert "Admission en mode dégradé" in page.text
    assert "en cours de saisie" in page.text
    birth = _field(page.text, "birth_date")
    assert "Date de naissance" in birth
    assert 'aria-required="true"' in birth
    assert "jj/mm/aaaa" in birth
    sex = _field(page.text, "sex")
    assert '<select id="f-sex" name="sex"' in sex
    assert '<option value="F">Féminin</option>' in sex
    assert '<textarea id="f-address" name="address"' in _field(page.text, "address")
    assert 'name="action" value="draft"' in page.text
    assert "Enregistrer le brouillon" in page.text
    assert "Valider la saisie" in page.text
    english = clerk.get(f"/recovery/forms/{form_id}?lang=en").text
    assert "Birth family name" in english
    assert "Submit the typing" in english


def test_typing_errors_are_shown_beside_their_field_and_the_typing_kept(
    paper: Paper, as_user: Client
) -> None:
    clerk = as_user("clerk")
    form_id = _open(clerk, paper.admission.payload())
    typed = admission(birth_date="31/02/1980", sex="", first_given_name="  Maëlle ")
    answer = clerk.post(f"/recovery/forms/{form_id}", data=typed | {"action": "submit"})
    assert answer.status_code == 422
    birth = _field(answer.text, "birth_date")
    assert 'value="31/02/1980"' in birth
    assert 'aria-invalid="true"' in birth
    assert re.search(r'<span class="problem" id="p-birth_date">Date de naissance : [^<]+', birth)
    assert "Sexe : obligatoire" in _field(answer.text, "sex")
    assert 'value="Le Goff"' in _field(answer.text, "birth_family_name")
    assert 'value="  Maëlle "' in _field(answer.text, "first_given_name")
    assert ">3 rue des Halles</textarea>" in _field(answer.text, "address")
    assert "Problèmes à corriger : 2" in page_text(answer.text)
    assert 'class="problem"' not in _field(answer.text, "ward")
    # Kept as a draft: the next visit finds the typing where it was left.
    again = clerk.get(f"/recovery/forms/{form_id}").text
    assert 'value="31/02/1980"' in _field(again, "birth_date")
    assert "Votre brouillon, enregistré le" in again
    english = clerk.post(f"/recovery/forms/{form_id}?lang=en", data=typed | {"action": "submit"})
    assert english.status_code == 422
    assert "Sex: required" in _field(english.text, "sex")
    # A draft is not asked for the required fields; then the corrected typing goes through.
    assert _post(clerk, form_id, {"birth_family_name": "Le Goff"}, "draft") == (
        f"/recovery/forms/{form_id}"
    )
    assert _post(clerk, form_id, admission(), "submit") == f"/recovery?done={form_id}"
    done = page_text(clerk.get(f"/recovery?done={form_id}").text)
    assert f"Formulaire {display_form_id(form_id)} : en attente de deuxième saisie." in done


def test_the_second_typing_is_blind_and_another_clerks(paper: Paper, as_user: Client) -> None:
    first, second = as_user("clerk"), as_user("clerk-2")
    form_id = _open(first, paper.admission.payload())
    _post(first, form_id, admission(), "submit")
    own = first.get(f"/recovery/forms/{form_id}").text
    assert "Vous avez validé la saisie n° 1." in page_text(own)
    assert "La deuxième saisie doit être faite par un autre agent." in page_text(own)
    assert "Le Goff" in own  # the clerk's own typing, read back
    assert 'name="action"' not in own
    refused = first.post(f"/recovery/forms/{form_id}", data=admission() | {"action": "submit"})
    assert refused.status_code == 400
    assert "web:clerk already submitted pass 1" in page_text(refused.text)
    assert "the second typing must be another clerk's" in page_text(refused.text)

    blind = second.get(f"/recovery/forms/{form_id}").text
    assert "Saisie n° 2" in blind
    assert "en aveugle" in blind
    for value in ("Le Goff", "Maëlle", "14/03/1980", "D-0000123-20", "Chirurgie A", "Halles"):
        assert value not in blind, value
    assert "n° 1 : web:clerk (validée)" in page_text(blind)
    # The second clerk's own draft comes back to them, and only theirs.
    _post(second, form_id, {"birth_family_name": "Le Gof"}, "draft")
    resumed = second.get(f"/recovery/forms/{form_id}").text
    assert 'value="Le Gof"' in _field(resumed, "birth_family_name")
    assert "Maëlle" not in resumed


def test_a_third_person_settles_the_differences_then_confirms(
    paper: Paper, as_user: Client
) -> None:
    first, second, third = as_user("clerk"), as_user("clerk-2"), as_user("identity-vigilance")
    form_id = _open(first, paper.admission.payload())
    _post(first, form_id, admission(), "submit")
    _post(second, form_id, admission(birth_date="14/03/1981", sex="f"), "submit")
    page = second.get(f"/recovery/forms/{form_id}").text
    assert "écarts à trancher" in page
    assert f'href="/recovery/forms/{form_id}/decide"' in page

    typist = first.get(f"/recovery/forms/{form_id}/decide").text
    assert "Vous avez saisi ce formulaire : une troisième personne doit trancher." in typist
    assert 'type="radio"' not in typist
    refused = first.post(f"/recovery/forms/{form_id}/decide", data={"decide-birth_date": "first"})
    assert refused.status_code == 400
    assert "a third person must decide" in page_text(refused.text)

    decide = third.get(f"/recovery/forms/{form_id}/decide")
    assert decide.status_code == 200
    [header, *rows] = table_rows(decide.text)
    assert header[:3] == ["Champ", "Saisie n° 1 (web:clerk)", "Saisie n° 2 (web:clerk-2)"]
    assert [row[:3] for row in rows] == [["Date de naissance", "14/03/1980", "14/03/1981"]]
    assert '<label for="o-birth_date">Valeur correcte</label>' in decide.text
    url = f"/recovery/forms/{form_id}/decide"
    undecided = third.post(url, data={})
    assert undecided.status_code == 422
    assert "Choisissez la saisie n° 1, la saisie n° 2 ou une autre valeur." in undecided.text
    no_value = third.post(url, data={"decide-birth_date": "other", "other-birth_date": " "})
    assert no_value.status_code == 422
    assert "Tapez la valeur correcte." in no_value.text
    assert 'value="other" checked' in no_value.text
    bad_value = third.post(url, data={"decide-birth_date": "other", "other-birth_date": "1980"})
    assert bad_value.status_code == 422
    assert "Date de naissance : " in page_text(bad_value.text)
    assert 'value="1980"' in bad_value.text

    settled = third.post(url, data={"decide-birth_date": "first"}, follow_redirects=False)
    assert settled.status_code == 303
    assert settled.headers["location"] == f"/recovery/forms/{form_id}"
    to_confirm = third.get(f"/recovery/forms/{form_id}").text
    assert "Valeurs à confirmer" in to_confirm
    assert ["Date de naissance", "14/03/1980", "saisie n° 1"] in table_rows(to_confirm)
    assert ["Sexe", "Féminin", ""] in table_rows(to_confirm)
    assert "Confirmer le formulaire" in to_confirm
    # A stale link to the settled differences leads back to the form.
    stale = third.get(url, follow_redirects=False)
    assert stale.status_code == 303

    confirmed = third.post(f"/recovery/forms/{form_id}/confirm", follow_redirects=False)
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"/recovery?done={form_id}"
    final = third.get(f"/recovery/forms/{form_id}").text
    assert "Valeurs confirmées" in final
    assert "Confirmer le formulaire" not in final
    assert "web:identity-vigilance" in final
    again = third.post(f"/recovery/forms/{form_id}/confirm")
    assert again.status_code == 400
    assert "cannot be confirmed yet (confirmed)" in page_text(again.text)


def test_the_dashboard_follows_every_step_until_nothing_is_outstanding(
    paper: Paper, as_user: Client
) -> None:
    first, second, third = as_user("clerk"), as_user("clerk-2"), as_user("identity-vigilance")
    header = ["Imprimés", "Rendus", "Saisis", "Saisis deux fois", "Confirmés", "Restants"]
    assert table_rows(first.get("/recovery").text)[4][2:] == header
    assert _progress(first)[2:] == ["2", "0", "0", "0 / 0", "0", "2"]
    closure = page_text(first.get("/recovery").text)
    assert "L'incident ne peut pas encore être clos" in closure
    assert "Aucune double saisie tranchée pour l'instant." in closure

    form_id = _open(first, paper.admission.payload())
    shown = display_form_id(form_id)
    assert shown in _listed(first, "typing")
    # A form opened for re-entry came back from the ward, scanned or not.
    assert _progress(first)[2:] == ["2", "1", "0", "0 / 1", "0", "2"]
    _post(first, form_id, admission(), "submit")
    assert shown in _listed(first, "second_entry")
    assert shown not in _listed(first, "typing")
    _post(second, form_id, admission(birth_date="14/03/1981"), "submit")
    assert shown in _listed(first, "to_decide")
    assert _progress(first)[2:] == ["2", "1", "1", "1 / 1", "0", "2"]
    third.post(f"/recovery/forms/{form_id}/decide", data={"decide-birth_date": "first"})
    assert shown in _listed(first, "to_confirm")
    third.post(f"/recovery/forms/{form_id}/confirm")
    assert _progress(first)[2:] == ["2", "1", "1", "1 / 1", "1", "1"]

    page = first.get("/recovery").text
    rates = {row[0]: row[1:] for row in table_rows(page) if row and row[0].startswith("web:")}
    # Four identity fields typed by either clerk; the decision kept the first typing.
    assert rates["web:clerk"] == ["1", "4", "0", "0,0 %"]
    assert rates["web:clerk-2"] == ["1", "4", "1", "25,0 %"]

    request_id = _open(second, paper.request.payload())
    _post(second, request_id, lab_request(), "submit")
    assert display_form_id(request_id) in _listed(first, "to_confirm")
    first.post(f"/recovery/forms/{request_id}/confirm")
    assert _progress(first)[2:] == ["2", "2", "2", "1 / 1", "2", "0"]
    # The group is not done while erdre's transfer letter is out.
    assert ["Formulaires restants", "1"] in table_rows(first.get("/recovery").text)
    assert "L'incident ne peut pas encore être clos" in page_text(first.get("/recovery").text)
    lead = as_user("crisis-lead")
    transfer_id = _open(lead, paper.erdre.payload())
    _post(lead, transfer_id, TRANSFER, "submit")
    lead.post(f"/recovery/forms/{transfer_id}/confirm")
    # The confirmed admission is an identity nobody has checked until it is matched.
    assert "L'incident ne peut pas encore être clos" in page_text(first.get("/recovery").text)
    first.post("/recovery/identities/match")
    done = first.get("/recovery").text
    assert "Rien n'est en suspens : l'incident peut être clos." in page_text(done)
    assert ["Formulaires restants", "0"] in table_rows(done)


def test_those_who_may_not_type_are_refused(paper: Paper, as_user: Client) -> None:
    viewer = as_user("viewer")
    dashboard = viewer.get("/recovery")
    assert dashboard.status_code == 200
    assert 'name="code"' not in dashboard.text
    refused = viewer.post("/recovery/scan", data={"code": paper.admission.payload()})
    assert refused.status_code == 403
    assert "viewer (viewer) may not reenter-paper for site estuaire" in refused.text
    form_id = _open(as_user("clerk"), paper.admission.payload())
    page = viewer.get(f"/recovery/forms/{form_id}")
    assert page.status_code == 200
    assert "Consultation seule" in page.text
    assert 'name="action"' not in page.text
    typed = viewer.post(f"/recovery/forms/{form_id}", data=admission() | {"action": "submit"})
    assert typed.status_code == 403
    assert viewer.post(f"/recovery/forms/{form_id}/confirm").status_code == 403
    # A site manager types back the forms of their own site only.
    manager = as_user("site-manager")
    other_site = manager.post("/recovery/scan", data={"code": paper.erdre.payload()})
    assert other_site.status_code == 403
    assert "for site erdre" in other_site.text
    assert _open(manager, paper.request.payload()) == paper.request.form_id


def test_wrong_codes_are_refused_naming_the_problem(paper: Paper, as_user: Client) -> None:
    clerk = as_user("clerk")
    for code, reason in (
        ("BSC1:ADM:XXXX:estuaire:::00000000", "scanned code refused"),
        (new_form_id(), "was never issued by bascule"),
        (paper.or_list.payload(), "which is not typed back"),
        ("bonjour", "'bonjour' is neither a form code nor a form id"),
        ("", "scan the form's QR code or type its printed number"),
    ):
        refused = clerk.post("/recovery/scan", data={"code": code})
        assert refused.status_code == 400, code
        assert reason in page_text(refused.text), code
    forged = FormCode(FormType.ADMISSION, paper.admission.form_id, "estuaire", patient_id="p9")
    refused = clerk.post("/recovery/scan", data={"code": forged.payload()})
    assert refused.status_code == 400
    assert "disagrees with what was printed" in page_text(refused.text)
    assert clerk.get(f"/recovery/forms/{new_form_id()}").status_code == 404


def test_re_entry_waits_for_the_incident(users: Database) -> None:
    code = FormCode(FormType.ADMISSION, new_form_id(), "estuaire")
    record(users, [packet("packet-x", "estuaire", [code], datetime.now(UTC), ward_id=WARD)])
    with TestClient(create_app(users)) as client:
        clerk = signed_in(client, "clerk")
        page = page_text(clerk.get("/recovery").text)
        assert "Aucun incident n'est déclaré : déclarez d'abord l'incident" in page
        refused = clerk.post("/recovery/scan", data={"code": code.payload()})
        assert refused.status_code == 400
        assert NO_INCIDENT in page_text(refused.text)


def test_html_typed_from_paper_is_escaped(paper: Paper, as_user: Client) -> None:
    clerk = as_user("clerk")
    form_id = _open(clerk, paper.request.payload())
    typed = lab_request(exam=ATTACK, clinical_info=ATTACK, birth_date="<b>")
    answer = clerk.post(f"/recovery/forms/{form_id}", data=typed | {"action": "submit"})
    assert answer.status_code == 422  # the date; the rest is kept as typed
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    for page in (answer.text, clerk.get(f"/recovery/forms/{form_id}").text):
        assert ATTACK not in page
        assert "<b>" not in page
        assert f'value="{escaped}"' in _field(page, "exam")
        assert f">{escaped}</textarea>" in _field(page, "clinical_info")
    _post(clerk, form_id, typed | {"birth_date": "14/03/1980"}, "submit")
    confirmed = clerk.get(f"/recovery/forms/{form_id}").text
    assert ATTACK not in confirmed
    assert escaped in confirmed

"""``bascule recovery``: type paper back, settle double entries, match identities, count.

The command line acts as the administrator running it (``BASCULE_ACTOR`` or the login
name): its permission is the shell's. Two typings of a critical form need two actors.
"""

from typing import Annotated

import typer
from rich.table import Table

from bascule.cli_common import console, open_database, settings_of
from bascule.errors import BasculeError
from bascule.paper.codes import display_form_id, normalise_form_id
from bascule.recovery import completeness as counts
from bascule.recovery import identities, reconcile, reentry

recovery_app = typer.Typer(
    help="Recovery: re-enter paper, double entry, identity matching, conflicts, completeness.",
    no_args_is_help=True,
)


def _pairs(items: list[str], what: str) -> dict[str, str]:
    found = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise BasculeError(f"{what} {item!r}: write NAME=VALUE")
        found[name.strip()] = value
    return found


@recovery_app.command("enter")
def enter(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The scanned QR text, or the printed form id.")],
    field: Annotated[
        list[str] | None, typer.Option("--set", help="A field typed: NAME=VALUE (repeat).")
    ] = None,
    submit: Annotated[bool, typer.Option(help="Hand the typing on (else keep a draft).")] = False,
) -> None:
    """Open a paper form by its code and type it (a draft, or submitted)."""
    actor = settings_of(ctx).actor
    with open_database(ctx) as db:
        form_id = reentry.open_form(db, actor, code)
        with db.reading() as session:
            window = reentry.incident_window(session, db.clock.now())
        saved = reentry.save_entry(
            db, actor, form_id, _pairs(field or [], "--set"), submit=submit, window=window
        )
    for problem in saved.problems:
        console.print(f"  {problem.field}: {problem.message}", highlight=False)
    state = "submitted" if saved.submitted else "kept as a draft"
    console.print(
        f"form {display_form_id(form_id)}, pass {saved.pass_number}: {state}; "
        f"now {saved.form_status.replace('_', ' ')}"
    )
    if submit and not saved.submitted:
        raise typer.Exit(1)


@recovery_app.command("decide")
def decide(
    ctx: typer.Context,
    form: Annotated[str, typer.Argument(help="The form id.")],
    choice: Annotated[list[str], typer.Option("--field", help="NAME=first|second|other (repeat).")],
    other: Annotated[
        list[str] | None, typer.Option("--other", help="NAME=VALUE for an 'other' choice.")
    ] = None,
) -> None:
    """As a third person, settle the fields two typings disagree on."""
    actor = settings_of(ctx).actor
    with open_database(ctx) as db:
        reentry.decide_fields(
            db,
            actor,
            normalise_form_id(form),
            _pairs(choice, "--field"),
            other_values=_pairs(other or [], "--other"),
        )
    console.print(f"form {display_form_id(normalise_form_id(form))}: settled")


@recovery_app.command("confirm")
def confirm(ctx: typer.Context, form: Annotated[str, typer.Argument(help="The form id.")]) -> None:
    """Confirm a form whose typing is complete."""
    actor = settings_of(ctx).actor
    form_id = normalise_form_id(form)
    with open_database(ctx) as db:
        with db.reading() as session:
            window = reentry.incident_window(session, db.clock.now())
        reentry.confirm_form(db, actor, form_id, window=window)
    console.print(f"form {display_form_id(form_id)}: confirmed")


@recovery_app.command("match")
def match(ctx: typer.Context) -> None:
    """Match every confirmed admission against the patient index."""
    with open_database(ctx) as db:
        report = identities.match_confirmed(db, settings_of(ctx).actor)
    console.print(
        f"identities: {report.linked} linked, {report.queued} for the identity-vigilance "
        f"cell, {report.new} new provisional"
    )


@recovery_app.command("identity")
def identity(
    ctx: typer.Context,
    form: Annotated[str, typer.Argument(help="The admission form id.")],
    link: Annotated[str | None, typer.Option(help="Link to this patient id.")] = None,
    new: Annotated[bool, typer.Option("--new", help="A new provisional identity.")] = False,
    unlink: Annotated[bool, typer.Option("--unlink", help="Undo a link.")] = False,
) -> None:
    """Decide a queued identity: link it, make it new, or undo a link."""
    chosen = [name for name, on in (("link", link), ("new", new), ("unlink", unlink)) if on]
    if len(chosen) != 1:
        raise BasculeError("give exactly one of --link PATIENT, --new, --unlink")
    with open_database(ctx) as db:
        patient = identities.decide_identity(
            db, settings_of(ctx).actor, normalise_form_id(form), chosen[0], patient_id=link
        )
    console.print(f"form {display_form_id(normalise_form_id(form))}: {chosen[0]} {patient or ''}")


@recovery_app.command("resolve")
def resolve(
    ctx: typer.Context,
    conflict: Annotated[str, typer.Argument(help="The conflict id.")],
    keep: Annotated[str, typer.Option(help="paper or central")],
    note: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Decide a conflict between a paper record and the centre's."""
    with open_database(ctx) as db:
        reconcile.resolve_conflict(db, settings_of(ctx).actor, conflict, keep, note)
    console.print(f"conflict {conflict}: {keep} kept")


@recovery_app.command("waive")
def waive(
    ctx: typer.Context,
    incident: Annotated[str, typer.Argument(help="The incident id.")],
    reason: Annotated[str, typer.Option(help="Why it may close with work outstanding.")],
) -> None:
    """Record the explicit decision to close an incident with recovery outstanding."""
    with open_database(ctx) as db:
        counts.waive_closure(db, settings_of(ctx).actor, incident, reason)
    console.print(f"incident {incident}: closure waiver recorded")


@recovery_app.command("status")
def status(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="Only this site.")] = None,
) -> None:
    """Forms by stage per site and ward, identities, conflicts, patients without a date."""
    with open_database(ctx) as db, db.reading() as session:
        state = counts.completeness(session, site)
        rates = counts.error_rates(session, site)
        queued = identities.queue(session, site)
        conflicts = reconcile.open_conflicts(session, site)
    table = Table("site", "ward", *counts.STAGES, "outstanding", title="Paper forms")
    for line in state.forms:
        table.add_row(
            line.site_id,
            line.ward_id or "",
            *(str(getattr(line, stage)) for stage in counts.STAGES),
            str(line.outstanding),
        )
    console.print(table)
    for row in queued:
        console.print(
            f"identity {display_form_id(row.form_id)} ({row.site_id}): "
            f"{row.typed['birth_family_name']} {row.typed['first_given_name']} "
            f"{row.typed['birth_date']}, best candidate "
            f"{row.candidates[0]['patient_id'] if row.candidates else 'none'}",
            highlight=False,
        )
    for item in conflicts:
        console.print(
            f"conflict {item.id}: paper {item.paper_value!r} ({item.paper_by}) against "
            f"centre {item.central_value!r} ({item.central_by})",
            highlight=False,
        )
    for clerk, rate in rates.items():
        console.print(
            f"clerk {clerk}: {rate.errors} errors in {rate.fields_typed} fields "
            f"({rate.rate:.1%}) over {rate.forms} double-typed forms"
        )
    left = state.outstanding()
    console.print(
        ", ".join(f"{name.replace('_', ' ')}: {value}" for name, value in left.items())
        + (" — complete" if state.complete else " — the incident cannot close yet")
    )
    if not state.complete:
        raise typer.Exit(3)

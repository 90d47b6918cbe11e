"""``bascule paper``: print packets, reserve downtime ids, scan paper back, list what is out."""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bascule.cli_common import console, open_database, parse_day, settings_of
from bascule.errors import BasculeError
from bascule.kit.build import open_chain
from bascule.kit.cli import SITE_PASSPHRASE_ENV, ask_passphrase, public_key_of, read_file
from bascule.paper import downtime, registry
from bascule.paper.codes import display_form_id
from bascule.paper.model import PacketPart
from bascule.paper.packet import (
    PrintedPacket,
    issue_file_for,
    parse_parts,
    print_downtime_labels,
    print_from_kit,
    print_from_store,
    read_issue_file,
    write_issue_file,
)
from bascule.paper.render import PacketOptions
from bascule.paper.scan import scan_files
from bascule.store.canonical import canonical_instant

REGISTERED_SUFFIX = ".registered"

paper_app = typer.Typer(
    help="Paper fallback: PDF packets, downtime ids, scanning forms back.", no_args_is_help=True
)


def _write_pdf(path: Path, pdf: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
    except OSError as exc:
        raise BasculeError(f"cannot write {path}: {exc.strerror}") from exc


def _summary(printed: PrintedPacket, out: Path) -> str:
    data = printed.data
    returnable = sum(1 for form in printed.issued if form.code.form_type.returnable)
    return (
        f"{out}: {printed.pages} pages for {data.site_name}, {data.day.isoformat()} "
        f"({len(data.cases)} cases, {len(data.inpatients)} inpatients, "
        f"{len(printed.issued)} forms of which {returnable} to hand back; data at sequence "
        f"{data.seq})"
    )


@paper_app.command("packet")
def packet(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Where to write the PDF.")],
    site: Annotated[
        str | None, typer.Option(help="Site to print for (from the store; not with --kit).")
    ] = None,
    day: Annotated[str | None, typer.Option(help="Day YYYY-MM-DD (default: today).")] = None,
    what: Annotated[
        str | None,
        typer.Option(help=f"Comma-separated parts: {', '.join(p.value for p in PacketPart)}."),
    ] = None,
    kit: Annotated[
        list[Path] | None,
        typer.Option(help="Print from this kit (then its deltas), with no database."),
    ] = None,
    key: Annotated[Path | None, typer.Option(help="Group public key file (with --kit).")] = None,
    blank_admissions: Annotated[int, typer.Option(min=0, max=500)] = 10,
    blank_requests: Annotated[int, typer.Option(min=0, max=500)] = 5,
    medication_days: Annotated[int, typer.Option(min=1, max=7)] = 3,
) -> None:
    """Print a site's packet for one day: OR lists, census, sheets, labels, forms, call list."""
    parts = parse_parts(what)
    options = PacketOptions(
        blank_admissions=blank_admissions,
        blank_requests=blank_requests,
        medication_days=medication_days,
    )
    settings = settings_of(ctx)
    chosen = parse_day("--day", day)
    if kit:
        passphrase = ask_passphrase(SITE_PASSPHRASE_ENV, "kit", confirm=False)
        content = open_chain(
            [(str(path), read_file(path)) for path in kit], public_key_of(ctx, key), passphrase
        )
        if site is not None and site != content["site"]["id"]:
            raise BasculeError(f"--site {site}: the kit is {content['site']['id']}'s")
        printed = print_from_kit(
            content,
            chosen or date.fromisoformat(content["as_of"]),
            parts,
            source=f"kit {kit[-1].name}",
            actor=settings.actor,
            at=datetime.now(UTC),
            options=options,
        )
        _write_pdf(out, printed.pdf)
        issue_file = issue_file_for(out)
        write_issue_file(issue_file, printed.record)
        console.print(_summary(printed, out))
        console.print(
            f"forms issued offline are listed in {issue_file}: run 'bascule paper register "
            f"{issue_file.name}' on the server once it is back"
        )
        return
    if site is None:
        raise BasculeError("give --site SITE (printing from the store) or --kit FILE")
    with open_database(ctx) as db:
        printed = print_from_store(
            db, site, chosen or db.clock.now().date(), parts, actor=settings.actor, options=options
        )
    _write_pdf(out, printed.pdf)
    console.print(_summary(printed, out))


@paper_app.command("reserve")
def reserve(
    ctx: typer.Context,
    site: Annotated[str, typer.Option(help="Site the identifiers are for.")],
    count: Annotated[int, typer.Option(help="How many identifiers to reserve.")],
    out: Annotated[
        Path | None, typer.Option(help="Also print their label sheets to this PDF.")
    ] = None,
) -> None:
    """Reserve downtime patient identifiers for paper registrations at a site."""
    settings = settings_of(ctx)
    with open_database(ctx) as db:
        at = db.clock.now()
        with db.writing() as session:
            block = downtime.reserve(session, site, count, actor=settings.actor, at=at)
        first, last = (downtime.display_downtime_id(i) for i in (block.ids[0], block.ids[-1]))
        console.print(f"reserved {block.count} downtime ids for {site}: {first} … {last}")
        if out is None:
            return
        printed = print_downtime_labels(db, block, actor=settings.actor)
    _write_pdf(out, printed.pdf)
    console.print(f"{out}: {printed.pages} label sheets")


@paper_app.command("scan")
def scan(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Scanned PDFs or images.")],
    dpi: Annotated[int, typer.Option(min=72, max=600, help="Resolution for PDF pages.")] = 200,
) -> None:
    """Read the QR codes of scanned paper and mark the forms returned."""
    result = scan_files(files, dpi=dpi)
    settings = settings_of(ctx)
    with open_database(ctx) as db, db.writing() as session:
        report = registry.record_scan(session, result, actor=settings.actor, at=db.clock.now())
    console.print(
        f"{report.pages} pages: {len(report.returned)} forms returned, "
        f"{len(report.duplicates)} duplicates, {len(report.unknown)} unknown, "
        f"{len(report.mismatched)} mismatched, {len(report.unreadable)} unreadable"
    )
    problems = report.duplicates + report.unknown + report.mismatched + report.unreadable
    if problems:
        table = Table("file", "page", "form", "outcome", "detail")
        for finding in problems:
            table.add_row(
                finding.source,
                "" if finding.page is None else str(finding.page),
                finding.form_id or "",
                finding.outcome,
                finding.detail,
            )
        console.print(table)


@paper_app.command("outstanding")
def outstanding(
    ctx: typer.Context,
    site: Annotated[str, typer.Option(help="Site whose forms to list.")],
) -> None:
    """List the forms of a site issued and not yet scanned back."""
    with open_database(ctx) as db, db.reading() as session:
        forms = registry.outstanding(session, site)
    if not forms:
        console.print(f"no form of {site} is outstanding")
        return
    table = Table("form", "type", "title", "ward", "patient", "case", "day", "issued", "by")
    for form in forms:
        table.add_row(
            display_form_id(form.form_id),
            form.form_type,
            form.title,
            form.ward_id or "",
            form.patient_id or "",
            form.case_id or "",
            form.day.isoformat(),
            canonical_instant(form.issued_at)[:16].replace("T", " "),
            form.issued_by,
        )
    console.print(table)
    console.print(f"{len(forms)} forms of {site} outstanding")


@paper_app.command("register")
def register(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="'.forms.json' files of kit-printed packets.")
    ],
) -> None:
    """Register forms printed from a kit while the server was away."""
    settings = settings_of(ctx)
    with open_database(ctx) as db:
        for path in files:
            record = read_issue_file(path)
            with db.writing() as session:
                count = registry.register(
                    session, record, actor=settings.actor, at=db.clock.now(), where=str(path)
                )
            # Renamed, so that a crisis laptop no longer lists it as waiting.
            path.rename(path.with_name(path.name + REGISTERED_SUFFIX))
            console.print(f"{path}: {count} forms registered")

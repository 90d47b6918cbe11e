"""``bascule kit``: build, verify, open and inspect continuity kits; manage their keys."""

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from bascule.cli_common import console, err_console, open_database, settings_of
from bascule.errors import BasculeError
from bascule.kit.build import build_kit_file, created, open_chain, verified
from bascule.kit.container import KitFile, open_content, parse
from bascule.kit.keys import GROUP_SLOT, SITE_SLOT, KeyStore, load_public_key
from bascule.kit.search import find_patients, patient_sheet
from bascule.store.queries import require_site

SITE_PASSPHRASE_ENV = "BASCULE_KIT_PASSPHRASE"
GROUP_PASSPHRASE_ENV = "BASCULE_GROUP_PASSPHRASE"

kit_app = typer.Typer(
    help="Continuity kits: encrypted, signed local copies per site.", no_args_is_help=True
)
keys_app = typer.Typer(help="The group signing key.", no_args_is_help=True)
slot_app = typer.Typer(help="Passphrase slots of the kits.", no_args_is_help=True)
kit_app.add_typer(keys_app, name="keys")
kit_app.add_typer(slot_app, name="slot")


def key_store(ctx: typer.Context) -> KeyStore:
    """The key store of this installation."""
    return KeyStore(settings_of(ctx).keys_dir)


def ask_passphrase(env: str, what: str, *, confirm: bool) -> str:
    """A passphrase from ``env``, or asked on the terminal; refused when neither is possible."""
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise BasculeError(f"no {what} passphrase: set {env} or run interactively")
    answer: str = typer.prompt(f"{what} passphrase", hide_input=True, confirmation_prompt=confirm)
    return answer


def ensure_keys(keys: KeyStore, site: str) -> None:
    """Create what is missing on first use: the signing key, the site and group slots."""
    if not keys.has_signing_key():
        keys.create_signing_key()
        err_console.print(
            f"created the group signing key {keys.signing_key_path} "
            f"(public key for agents: {keys.public_key_path})"
        )
    if not keys.has_slot(site):
        set_slot(keys, site)
        err_console.print(f"created the passphrase slot of site {site}")
    if not keys.has_slot(None):
        set_slot(keys, None)
        err_console.print("created the group emergency passphrase slot")


def set_slot(keys: KeyStore, site: str | None) -> None:
    """Add or rotate the slot of ``site`` (the group slot when None), asking its passphrase."""
    if site is None:
        passphrase = ask_passphrase(GROUP_PASSPHRASE_ENV, "group emergency", confirm=True)
        keys.set_slot(GROUP_SLOT, passphrase)
    else:
        passphrase = ask_passphrase(SITE_PASSPHRASE_ENV, f"site {site}", confirm=True)
        keys.set_slot(SITE_SLOT, passphrase, site)


def _one_slot(site: str | None, group: bool) -> None:
    if (site is None) == (not group):
        raise BasculeError("give exactly one of --site SITE or --group")


@keys_app.command("init")
def keys_init(ctx: typer.Context) -> None:
    """Create the group signing key (refuses to replace an existing one)."""
    keys = key_store(ctx)
    keys.create_signing_key()
    console.print(f"signing key: {keys.signing_key_path}")
    console.print(
        f"public key for site agents: {keys.public_key_path} (fingerprint {keys.fingerprint()})"
    )


@slot_app.command("set")
def slot_set(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="The site whose slot to add or rotate.")] = None,
    group: Annotated[bool, typer.Option("--group", help="The group emergency slot.")] = False,
) -> None:
    """Add or rotate a passphrase slot (new salt, new key); later kits use it."""
    _one_slot(site, group)
    if site is not None:
        with open_database(ctx) as db, db.reading() as session:
            require_site(session, site)
    set_slot(key_store(ctx), site)
    console.print(
        "group emergency passphrase slot set" if site is None else f"passphrase slot of {site} set"
    )


@slot_app.command("remove")
def slot_remove(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="The site whose slot to remove.")] = None,
    group: Annotated[bool, typer.Option("--group", help="The group emergency slot.")] = False,
) -> None:
    """Remove a passphrase slot; kits built afterwards no longer open with it."""
    _one_slot(site, group)
    key_store(ctx).remove_slot(site)
    console.print("slot removed")


@kit_app.command("build")
def build(
    ctx: typer.Context,
    site: Annotated[str, typer.Option(help="Site the kit is for.")],
    out: Annotated[Path, typer.Option(help="File to write (.bkit).")],
) -> None:
    """Build a full kit of a site at the current journal head."""
    keys = key_store(ctx)
    with open_database(ctx) as db:
        with db.reading() as session:
            require_site(session, site)
        ensure_keys(keys, site)
        started = datetime.now(UTC)
        built = build_kit_file(db, keys, site)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_bytes(built.data)
    os.replace(temporary, out)
    seconds = (datetime.now(UTC) - started).total_seconds()
    console.print(
        f"kit of {site} at journal entry {built.seq}: {out} "
        f"({len(built.data) / 1e6:.1f} MB, {len(built.manifest['ids']['patients']):,} active "
        f"patients, built in {seconds:.1f} s)"
    )


def public_key_of(ctx: typer.Context, key: Path | None) -> Any:
    """The group public key: ``--key`` or the key store's."""
    return load_public_key(key or key_store(ctx).public_key_path)


def _age_minutes(kit: KitFile) -> float:
    return (datetime.now(UTC) - created(kit)).total_seconds() / 60


@kit_app.command("verify")
def verify(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="A kit, then its deltas in order.")],
    key: Annotated[Path | None, typer.Option(help="Group public key file.")] = None,
    max_age: Annotated[
        float | None, typer.Option(help="Fail when the newest file is older (minutes).")
    ] = None,
) -> None:
    """Check signature, integrity, sequence and age; exit 1 on any failure.

    With BASCULE_KIT_PASSPHRASE (or BASCULE_GROUP_PASSPHRASE) set, the content is also
    decrypted, which checks its integrity a second time.
    """
    public_key = public_key_of(ctx, key)
    passphrase = os.environ.get(SITE_PASSPHRASE_ENV) or os.environ.get(GROUP_PASSPHRASE_ENV)
    previous: KitFile | None = None
    for path in files:
        kit = verified(read_file(path), public_key, str(path))
        if previous is None and kit.kind != "kit":
            raise BasculeError(f"{path}: a chain starts with a full kit, this is a delta")
        if previous is not None and (
            kit.kind != "delta" or kit.base_seq != previous.seq or kit.site != previous.site
        ):
            what = (
                f"a delta of {kit.site} from {kit.base_seq} to {kit.seq}"
                if kit.kind == "delta"
                else f"a full kit of {kit.site} at {kit.seq}"
            )
            raise BasculeError(
                f"{path}: does not follow {previous.site} at sequence {previous.seq} (it is {what})"
            )
        if passphrase:
            open_content(kit, passphrase, str(path))
        console.print(
            f"{path}: {kit.kind} of {kit.site}, sequence {kit.seq}, created "
            f"{kit.created_at} ({_age_minutes(kit):.1f} min ago): signature valid"
        )
        previous = kit
    assert previous is not None
    if max_age is not None and _age_minutes(previous) > max_age:
        raise BasculeError(
            f"{files[-1]}: {_age_minutes(previous):.0f} minutes old, more than {max_age:g}"
        )


def read_file(path: Path) -> bytes:
    """A file's bytes, or a one-line error naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BasculeError(f"cannot read {path}: {exc.strerror}") from exc


@kit_app.command("open")
def open_kit(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="A kit, then its deltas in order.")],
    search: Annotated[
        str | None, typer.Option(help="Find patients (name, birth date, id, NIR).")
    ] = None,
    patient: Annotated[str | None, typer.Option(help="Show the sheet of this patient id.")] = None,
    export: Annotated[Path | None, typer.Option(help="Write the decrypted content here.")] = None,
    key: Annotated[Path | None, typer.Option(help="Group public key file.")] = None,
) -> None:
    """Decrypt a kit (and its deltas); search it, show a patient sheet, or export it."""
    passphrase = ask_passphrase(SITE_PASSPHRASE_ENV, "kit", confirm=False)
    content = open_chain(
        [(str(p), read_file(p)) for p in files], public_key_of(ctx, key), passphrase
    )
    console.print(
        f"kit of {content['site']['name']} at sequence {content['seq']}, built "
        f"{content['built_at']}"
    )
    if search is not None:
        table = Table("id", "name", "born", "sex", "local ids", "NIR")
        for row in find_patients(content, search):
            table.add_row(row.id, row.display_name, row.birth, row.sex, row.local, row.nir or "")
        console.print(table)
    if patient is not None:
        console.print(patient_sheet(content, patient))
    if export is not None:
        _export(content, export)
        console.print(f"decrypted content written to {export} (protect this directory)")


def _export(content: dict[str, Any], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "content.json").write_text(
        json.dumps(content, ensure_ascii=False, indent=1), encoding="utf-8"
    )


@kit_app.command("status")
def status(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="A site agent's directory.")],
    key: Annotated[Path | None, typer.Option(help="Group public key file.")] = None,
) -> None:
    """Age and sequence of every kit and delta a site holds, and whether each verifies."""
    public_key = public_key_of(ctx, key) if key or key_store(ctx).public_key_path.exists() else None
    files = sorted([*directory.glob("*.bkit"), *directory.glob("*.bdelta")])
    if not files:
        raise BasculeError(f"no kit in {directory}")
    table = Table("file", "type", "site", "from", "sequence", "created (UTC)", "age (min)", "check")
    for path in files:
        try:
            kit = parse(read_file(path), str(path))
        except BasculeError as exc:
            table.add_row(path.name, "?", "", "", "", "", "", f"[red]{exc}")
            continue
        check = "not checked (no key)"
        if public_key is not None:
            try:
                verified(read_file(path), public_key, path.name)
                check = "[green]signature valid"
            except BasculeError as exc:
                check = f"[red]{exc}"
        table.add_row(
            path.name,
            kit.kind,
            kit.site,
            str(kit.base_seq or ""),
            str(kit.seq),
            kit.created_at[:19],
            f"{_age_minutes(kit):.1f}",
            check,
        )
    console.print(table)

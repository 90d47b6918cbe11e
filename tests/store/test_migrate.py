from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bascule.store import journal
from bascule.store.database import Database
from bascule.store.migrate import alembic_config, current_revision, head_revision, upgrade
from bascule.store.tables import Base
from tests.factories import seeded


def test_upgrade_twice_is_harmless(db: Database) -> None:
    seeded(db, patients=2)
    before, after = upgrade(db)
    assert before == after == head_revision()
    with db.reading() as session:
        assert journal.head(session)[0] == 3
        assert journal.verify(session).intact


def test_migrations_build_exactly_the_declared_tables(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_fresh_database_has_no_revision(db_url: str) -> None:
    empty = Database(db_url)
    try:
        assert current_revision(empty) is None
    finally:
        empty.dispose()


def test_downgrade_to_nothing_and_back(db: Database) -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert current_revision(db) is None
    upgrade(db)
    assert current_revision(db) == head_revision()

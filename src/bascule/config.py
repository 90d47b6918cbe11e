"""The one configuration object, built from CLI options and the environment."""

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

DB_URL_ENV = "BASCULE_DB_URL"


def default_data_dir() -> Path:
    """Per-user directory where the embedded database and outputs live by default."""
    return Path(os.environ.get("BASCULE_DATA_DIR") or user_data_dir("bascule", appauthor=False))


def default_db_url() -> str:
    """SQLite file in the per-user data directory (the embedded default)."""
    return f"sqlite:///{default_data_dir() / 'bascule.sqlite3'}"


@dataclass(frozen=True, slots=True)
class Settings:
    """Where bascule keeps its data and who is acting."""

    db_url: str
    data_dir: Path
    actor: str

    @property
    def keys_dir(self) -> Path:
        """The group key store (signing key, passphrase slots); BASCULE_KEYS_DIR overrides."""
        return Path(os.environ.get("BASCULE_KEYS_DIR") or self.data_dir / "keys")

    @property
    def kits_dir(self) -> Path:
        """Where the group server keeps the kits and deltas it publishes."""
        return Path(os.environ.get("BASCULE_KITS_DIR") or self.data_dir / "kits")

    @classmethod
    def from_environment(cls, db_url: str | None = None, actor: str | None = None) -> "Settings":
        """Explicit values first, then the environment, then the defaults."""
        return cls(
            db_url=db_url or os.environ.get(DB_URL_ENV) or default_db_url(),
            data_dir=default_data_dir(),
            actor=actor or os.environ.get("BASCULE_ACTOR") or f"cli:{_login_name()}",
        )


def _login_name() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"

"""Running the web application with uvicorn (``bascule serve``)."""

import uvicorn

from bascule.store.database import Database
from bascule.web.app import create_app


def serve(db: Database, host: str, port: int) -> None:
    """Serve the application for ``db`` on ``host``:``port`` until interrupted."""
    # No "server: uvicorn" header: nothing to tell an intruder on the network what runs here.
    uvicorn.run(create_app(db), host=host, port=port, server_header=False)

"""The test packet rendered once per module: rendering and scanning it is the slow part."""

import pytest

from tests.paper.render.packets import PACKET
from tests.paper.render.support import Rendered, render


@pytest.fixture(scope="module")
def packet() -> Rendered:
    """Every part of :data:`PACKET`, default options, issuer seeded with 7."""
    return render(PACKET)

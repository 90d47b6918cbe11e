"""Wrapping and shrinking text: nothing dropped, nothing wider than asked."""

from hypothesis import given
from hypothesis import strategies as st

from bascule.paper.render.text import BODY, MIN_SIZE, NAME, fitted, register_fonts, wrap
from tests.paper.render.packets import LONG_FAMILY_NAME
from tests.paper.render.support import flat

register_fonts()
FRENCH = st.text(alphabet=st.sampled_from("abcdeéèêàçœŒÉ«»-' WMmi0"), max_size=160)


@given(text=FRENCH, width=st.floats(min_value=15, max_value=400))
def test_wrap_keeps_every_character_and_each_line_fits(text: str, width: float) -> None:
    lines = wrap(text, BODY, width)
    assert flat("".join(lines)) == flat(text)
    for line in lines:
        assert BODY.width(line) <= width or len(line) == 1


@given(text=FRENCH, width=st.floats(min_value=15, max_value=400), max_lines=st.integers(1, 3))
def test_fitted_never_goes_below_the_smallest_size(text: str, width: float, max_lines: int) -> None:
    style, lines = fitted(text, NAME, width, max_lines)
    assert MIN_SIZE <= style.size <= NAME.size
    assert flat("".join(lines)) == flat(text)
    if len(lines) > max_lines:
        assert style.size - 0.5 < MIN_SIZE


def test_a_long_name_breaks_after_its_hyphens() -> None:
    lines = wrap(LONG_FAMILY_NAME, NAME, 60 * 72 / 25.4)
    assert len(lines) > 1
    assert all(line.endswith(("-", "TOUR")) for line in lines[:-1])

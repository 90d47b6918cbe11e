"""Reading what a page shows: the text of its table rows, as a reader would see them."""

import html
import re
from html.parser import HTMLParser


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    """Every table row of ``html`` as its cells' text, entities decoded, spaces collapsed."""
    parser = _Rows()
    parser.feed(html)
    return parser.rows


def row_of(html: str, first_cell: str) -> list[str]:
    """The cells of the row whose first cell reads ``first_cell``."""
    for row in table_rows(html):
        if row and row[0] == first_cell:
            return row
    raise AssertionError(f"no table row starts with {first_cell!r}")


def page_text(page: str) -> str:
    """What a page reads as, tags dropped, entities decoded, spaces collapsed."""
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))

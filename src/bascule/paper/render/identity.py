"""How a patient is identified on every list and form, and how allergies stand out.

The same block everywhere (birth name first, in capitals, then given names, birth date,
sex and local id) so that staff check identity the same way on every sheet of paper.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.pdfgen.canvas import Canvas

from bascule.paper.model import AllergyLine, PrintedIdentity
from bascule.paper.render import strings
from bascule.paper.render.blocks import Block, Stack, paragraph
from bascule.paper.render.text import BODY, BODY_BOLD, BOLD, MM, NAME, SMALL, TextStyle, fitted

_ITEM_GAP = 3 * MM
_BOX_RISE = 1.0
_FIELD_STYLE = TextStyle(BOLD, 9)


@dataclass(frozen=True, slots=True)
class Item:
    """A labelled value on a line of fields; a missing value leaves a box this wide."""

    label: str
    value: str | None
    blank_width: float = 16 * MM


@dataclass(frozen=True, slots=True)
class _Placed:
    item: Item
    x: float
    line: int
    value_style: TextStyle


@dataclass(frozen=True, slots=True)
class InlineFields:
    """Labelled values side by side, wrapping onto further lines when the width runs out."""

    placed: tuple[_Placed, ...]
    label_style: TextStyle
    value_style: TextStyle
    lines: int

    @property
    def height(self) -> float:
        """One line box per line, boxes included."""
        return self.lines * (self.value_style.leading + 2 * _BOX_RISE)

    def draw(self, canvas: Canvas, x: float, top: float, _width: float, /) -> None:
        """Labels in the regular weight, values in bold, boxes where values are missing."""
        line_height = self.value_style.leading + 2 * _BOX_RISE
        for placed in self.placed:
            baseline = top - placed.line * line_height - _BOX_RISE - 0.95 * self.value_style.size
            left = x + placed.x
            label = placed.item.label
            if label:
                canvas.setFont(self.label_style.font, self.label_style.size)
                canvas.drawString(left, baseline, label)
                left += self.label_style.width(label) + 1.5
            value = placed.item.value
            if value:
                canvas.setFont(placed.value_style.font, placed.value_style.size)
                canvas.drawString(left, baseline, value)
            else:
                canvas.saveState()
                canvas.setLineWidth(0.5)
                box_top = top - placed.line * line_height
                canvas.rect(
                    left, box_top - line_height + 0.5, placed.item.blank_width, line_height - 1
                )
                canvas.restoreState()


def inline_fields(
    items: Sequence[Item],
    width: float,
    label_style: TextStyle = BODY,
    value_style: TextStyle = _FIELD_STYLE,
) -> InlineFields:
    """Lay ``items`` out left to right, starting a new line when one would not fit."""
    placed: list[_Placed] = []
    x = 0.0
    line = 0
    for item in items:
        label_width = label_style.width(item.label) + 1.5 if item.label else 0.0
        style = value_style
        if item.value:
            # An odd, very long value is set smaller rather than run off the line.
            style, _ = fitted(item.value, value_style, max(width - label_width, 1.0))
            value_width = style.width(item.value)
        else:
            value_width = item.blank_width
        item_width = label_width + value_width
        if x and x + item_width > width:
            line += 1
            x = 0.0
        placed.append(_Placed(item, x, line, style))
        x += item_width + _ITEM_GAP
    return InlineFields(tuple(placed), label_style, value_style, line + 1)


def _birth_items(patient: PrintedIdentity) -> list[Item]:
    """Birth date, sex and local id as fields (boxes where unknown)."""
    born_label = strings.BORN.get(patient.sex, strings.BORN_UNKNOWN_SEX)
    return [
        Item(born_label, strings.numeric_day(patient.birth_date), 20 * MM),
        Item(strings.SEX, strings.sex_name(patient.sex), 8 * MM),
        Item(strings.LOCAL_ID, patient.local_id, 20 * MM),
    ]


def identity_block(patient: PrintedIdentity, width: float, name_style: TextStyle = NAME) -> Stack:
    """Family name line, given names, then birth date, sex and local id."""
    # Names shrink a little to stay on one or two lines, then wrap: never unreadably small.
    name = strings.family_name(patient)
    blocks: list[Block] = [paragraph(name, name_style, width, max_lines=2, min_size=8.5)]
    if patient.given_names:
        blocks.append(paragraph(patient.given_names, BODY_BOLD, width, max_lines=2, min_size=8))
    blocks.append(inline_fields(_birth_items(patient), width, SMALL, BODY_BOLD))
    return Stack(tuple(blocks), spacing=0.4 * MM)


def allergy_block(
    allergies: Sequence[AllergyLine], width: float, style: TextStyle = BODY_BOLD
) -> Block:
    """Known allergies white on black; an explicit "no known allergy" otherwise."""
    if allergies:
        return paragraph(strings.allergies_banner(tuple(allergies)), style, width, inverse=True)
    return paragraph(strings.NO_KNOWN_ALLERGY, SMALL, width, grey=0.35)


# Sex, year, month, department, commune, order number, key.
_NIR_GROUPS = (1, 2, 2, 2, 3, 3, 2)


def spaced_nir(nir: str | None) -> str:
    """A NIR in its usual groups (``2 56 04 75 113 005 12``) so it can be read out and checked."""
    if not nir:
        return ""
    if len(nir) != sum(_NIR_GROUPS):
        return nir
    groups = []
    start = 0
    for length in _NIR_GROUPS:
        groups.append(nir[start : start + length])
        start += length
    return " ".join(groups)


def identity_pairs(patient: PrintedIdentity) -> list[tuple[str, str | None]]:
    """The INS identity traits as label and value, as a sheet or a letter lists them."""
    return [
        (strings.BIRTH_NAME, patient.birth_family_name.upper()),
        (strings.USED_NAME, patient.used_name.upper()),
        (strings.GIVEN_NAMES, patient.given_names),
        (strings.BIRTH_DATE, strings.numeric_day(patient.birth_date)),
        (strings.SEX, strings.sex_name(patient.sex)),
        (strings.LOCAL_ID, patient.local_id),
        (strings.NIR, spaced_nir(patient.nir)),
        (strings.IDENTITY_STATUS_LABEL, strings.identity_status(patient.identity_status)),
    ]

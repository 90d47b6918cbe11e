import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from PIL import Image

from bascule.domain.priority import PriorityClass
from bascule.domain.sites import OperatingTheatre, Site
from bascule.planning.gantt import PRIORITY_COLOURS, WIDTH, gantt_png, gantt_svg
from bascule.planning.plan import Plan
from bascule.planning.problem import Disruption, Problem
from tests.planning.instances import MONDAY, surgeon
from tests.planning.test_explain import (
    CLOSED_TUESDAY,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    booked,
    planned,
    room,
    scenario,
)

SVG = "{http://www.w3.org/2000/svg}"
P1A, P1B, P2, P3, P4 = PriorityClass


def crisis() -> tuple[Problem, Plan]:
    """Salle 3 closed on Tuesday, Rennes at half capacity on Wednesday."""
    half = Disruption("rennes", WEDNESDAY, WEDNESDAY, capacity_factor=0.5)
    problem = scenario(
        booked("kept", TUESDAY, "ren-1", priority=P2),
        booked("moved", TUESDAY, priority=P3),
        booked("redirected", TUESDAY, priority=P1B),
        booked("postponed", TUESDAY, priority=P4),
        booked("vannes-own", TUESDAY, "van-1", priority=P3),
        disruptions=(CLOSED_TUESDAY, half),
    )
    plan = planned(
        problem,
        {"moved": (THURSDAY, "ren-1"), "redirected": (TUESDAY, "van-1"), "postponed": None},
    )
    return problem, plan


def bars(svg: str) -> dict[str, ET.Element]:
    """The rectangle of each case bar, by case id."""
    root = ET.fromstring(svg)
    found = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "case":
            rect = group.find(f"{SVG}rect")
            assert rect is not None
            found[group.get("data-case", "")] = rect
    return found


def texts(svg: str) -> list[str]:
    return [element.text or "" for element in ET.fromstring(svg).iter(f"{SVG}text")]


def test_before_view_has_one_bar_per_original_booking_of_the_site() -> None:
    problem, plan = crisis()
    assert set(bars(gantt_svg(problem, plan, "rennes", "before"))) == {
        "kept",
        "moved",
        "redirected",
        "postponed",
    }


def test_after_view_has_one_bar_per_case_operated_at_the_site() -> None:
    problem, plan = crisis()
    assert set(bars(gantt_svg(problem, plan, "rennes", "after"))) == {"kept", "moved"}
    assert set(bars(gantt_svg(problem, plan, "vannes", "after"))) == {"vannes-own", "redirected"}


def test_bars_are_coloured_by_priority_class() -> None:
    problem, plan = crisis()
    found = bars(gantt_svg(problem, plan, "rennes", "before"))
    assert found["redirected"].get("fill") == PRIORITY_COLOURS[P1B]
    assert found["postponed"].get("fill") == PRIORITY_COLOURS[P4]


def test_bar_width_is_proportional_to_the_minutes() -> None:
    problem = scenario(
        booked("short", MONDAY, "ren-1", minutes=60), booked("long", MONDAY, "ren-1", minutes=180)
    )
    found = bars(gantt_svg(problem, planned(problem, {}), "rennes", "after"))
    ratio = float(found["long"].get("width", 0)) / float(found["short"].get("width", 0))
    assert ratio == pytest.approx(3, rel=0.02)


def test_redirected_case_is_outlined_where_it_arrives_and_leaving_cases_where_they_left() -> None:
    problem, plan = crisis()
    arrived = bars(gantt_svg(problem, plan, "vannes", "after"))
    assert arrived["redirected"].get("stroke") != arrived["vannes-own"].get("stroke")
    left = bars(gantt_svg(problem, plan, "rennes", "before"))
    assert left["moved"].get("stroke") == left["postponed"].get("stroke") == "#000000"
    assert left["kept"].get("stroke") != "#000000"
    moved_in = bars(gantt_svg(problem, plan, "rennes", "after"))
    assert moved_in["moved"].get("stroke") == "#000000"
    assert moved_in["kept"].get("stroke") != "#000000"


def rects_filled(svg: str, fill: str) -> int:
    return sum(1 for rect in ET.fromstring(svg).iter(f"{SVG}rect") if rect.get("fill") == fill)


def test_closed_theatre_days_are_hatched_and_lost_capacity_is_grey() -> None:
    problem, plan = crisis()
    svg = gantt_svg(problem, plan, "rennes", "after")
    # Salle 3 on Tuesday, plus the legend's swatch.
    assert rects_filled(svg, "url(#hatch)") == 1 + 1
    # Salle 1 and Salle 3 at half capacity on Wednesday, plus the legend's swatch.
    assert rects_filled(svg, "#bdbdbd") == 2 + 1
    undisrupted = scenario(booked("a", MONDAY, "ren-1"))
    quiet = gantt_svg(undisrupted, planned(undisrupted, {}), "rennes", "after")
    assert rects_filled(quiet, "url(#hatch)") == rects_filled(quiet, "#bdbdbd") == 1


def test_title_names_the_site_the_view_and_the_dates() -> None:
    problem, plan = crisis()
    title = texts(gantt_svg(problem, plan, "rennes", "before", "en"))[0]
    assert title == (
        "Clinique de Rennes — before re-planning (original bookings under the disruption) — "
        "Mon 3 Mar to Fri 7 Mar 2025"
    )
    french = texts(gantt_svg(problem, plan, "rennes", "after"))[0]
    assert (
        french == "Clinique de Rennes — après re-planification — du lun. 3 mars au ven. 7 mars 2025"
    )


def test_rows_are_the_theatres_and_the_legend_names_every_class() -> None:
    problem, plan = crisis()
    labels = texts(gantt_svg(problem, plan, "rennes", "after", "en"))
    assert {"Salle 1", "Salle 3", "P1a", "P1b", "P2", "P3", "P4", "theatre closed"} <= set(labels)
    assert "redirected in" in labels
    assert "leaves this slot" in texts(gantt_svg(problem, plan, "rennes", "before", "en"))


def test_special_characters_in_names_are_escaped() -> None:
    odd = Site("rennes", 'Clinique <Saint & "Co">', "Rennes", 48.11, -1.68)
    problem = Problem(
        start=MONDAY,
        days=2,
        sites=(odd,),
        theatres=(OperatingTheatre("ren-1", "rennes", "Salle <A> & 'B'", (480,) * 7),),
        surgeons=(surgeon("s-ren", "rennes"),),
        cases=(booked("c<1>&", MONDAY, "ren-1"),),
    )
    svg = gantt_svg(problem, planned(problem, {}), "rennes", "after")
    assert set(bars(svg)) == {"c<1>&"}
    labels = texts(svg)
    assert labels[0].startswith('Clinique <Saint & "Co"> — ')
    assert "Salle <A> & 'B'" in labels
    assert "<A>" not in svg


def test_png_is_the_same_drawing_at_the_svg_size() -> None:
    problem, plan = crisis()
    root = ET.fromstring(gantt_svg(problem, plan, "rennes", "after"))
    image = Image.open(io.BytesIO(gantt_png(problem, plan, "rennes", "after")))
    assert image.format == "PNG"
    assert image.size == (int(root.get("width", 0)), int(root.get("height", 0)))
    assert image.size[0] == WIDTH


def test_png_paints_the_priority_colours() -> None:
    problem, plan = crisis()
    image = Image.open(io.BytesIO(gantt_png(problem, plan, "rennes", "before"))).convert("RGB")
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 16) or []}
    for priority in (P2, P3, P1B, P4):
        hex_colour = PRIORITY_COLOURS[priority]
        assert tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)) in colours


def test_fortnight_of_twelve_theatres_stays_a_readable_size() -> None:
    theatres = tuple(room(f"ren-{n}", "rennes", f"Salle {n}") for n in range(1, 13))
    cases = tuple(
        booked(f"c{day}-{n}", MONDAY + timedelta(days=day), f"ren-{n}", minutes=240)
        for day in range(14)
        for n in range(1, 13)
    )
    problem = Problem(
        start=MONDAY,
        days=14,
        sites=scenario().sites,
        theatres=theatres,
        surgeons=(surgeon("s-ren", "rennes", max_daily_minutes=1440),),
        cases=cases,
    )
    plan = planned(problem, {})
    svg = gantt_svg(problem, plan, "rennes", "after")
    assert len(bars(svg)) == 14 * 12
    width, height = Image.open(io.BytesIO(gantt_png(problem, plan, "rennes", "after"))).size
    assert width == WIDTH
    assert 400 < height < 900
    # A case of four hours is wide enough to carry its id, or at least the end of it.
    ids = {item.id for item in cases}
    labels = [
        label
        for label in texts(svg)
        if label in ids or (label.startswith("…") and any(i.endswith(label[1:]) for i in ids))
    ]
    assert len(labels) == 14 * 12


def test_unknown_view_or_language_is_refused() -> None:
    problem, plan = crisis()
    with pytest.raises(ValueError, match="during"):
        gantt_svg(problem, plan, "rennes", "during")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="de"):
        gantt_png(problem, plan, "rennes", "after", "de")

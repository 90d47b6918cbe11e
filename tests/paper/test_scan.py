import random
from collections import defaultdict
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw
from reportlab.lib import pdfencrypt
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from bascule.paper.codes import FormCode, new_form_id
from bascule.paper.model import FormType
from bascule.paper.scan import (
    NO_CODE,
    TEXT_LIMIT,
    UNREADABLE_CODE,
    ScannedCode,
    ScanProblem,
    ScanResult,
    scan_files,
    scan_image,
)
from tests.paper.scan_support import (
    Sheet,
    form_codes,
    label_sheet,
    or_list,
    qr_image,
    rasterise,
    scanned,
    single_form,
    write_pdf,
)

SHEETS = (
    label_sheet(random.Random(1)),
    or_list(random.Random(2)),
    single_form(random.Random(3), FormType.SURGICAL_RECORD),
)


@pytest.fixture(scope="module")
def pages_at_150_dpi(tmp_path_factory: pytest.TempPathFactory) -> list[Image.Image]:
    pdf = tmp_path_factory.mktemp("printed") / "packet.pdf"
    write_pdf(pdf, SHEETS)
    return rasterise(pdf, 150)


def codes_by_page(result: ScanResult) -> dict[tuple[str, int], set[FormCode]]:
    found: dict[tuple[str, int], set[FormCode]] = defaultdict(set)
    for scanned_code in result.codes:
        assert scanned_code.code is not None, scanned_code.problem
        found[scanned_code.source, scanned_code.page].add(scanned_code.code)
    return found


def save_code_image(path: Path, *texts: str) -> Path:
    """An image with the codes of ``texts`` side by side on white paper."""
    codes = [qr_image(text) for text in texts]
    paper = Image.new(
        "L", (sum(code.width for code in codes) + 40, max(code.height for code in codes) + 40), 255
    )
    x = 20
    for code in codes:
        paper.paste(code, (x, 20))
        x += code.width
    paper.save(path)
    return path


@pytest.mark.parametrize(("angle", "suffix"), [(-3.0, ".png"), (3.0, ".jpg")])
def test_every_code_survives_a_skewed_noisy_scan(
    pages_at_150_dpi: list[Image.Image], tmp_path: Path, angle: float, suffix: str
) -> None:
    paths = []
    for number, page in enumerate(pages_at_150_dpi, start=1):
        path = tmp_path / f"scan-{number}{suffix}"
        if suffix == ".png":
            # The PNG keeps the JPEG artefacts of the scanner's own compression.
            scanned(page, angle=angle, seed=number, jpeg_quality=70).save(path, compress_level=1)
        else:
            scanned(page, angle=angle, seed=number, jpeg_quality=None).save(path, quality=70)
        paths.append(path)

    result = scan_files(paths)

    assert result.problems == ()
    assert result.pages == len(SHEETS)
    assert codes_by_page(result) == {
        (str(path), 1): set(sheet.codes) for path, sheet in zip(paths, SHEETS, strict=True)
    }


def test_a_blurred_label_sheet_is_read_on_a_second_look(
    pages_at_150_dpi: list[Image.Image],
) -> None:
    # A blur this strong over the 0.5 mm modules of a label sheet makes a single pass miss
    # some codes; the enlarged second look reads them all.
    page = scanned(pages_at_150_dpi[0], angle=-3, seed=0, blur=1.3, noise=8, jpeg_quality=70)

    codes, problems = scan_image(page, "labels.jpg", 1)

    assert problems == []
    assert {scanned_code.code for scanned_code in codes} == set(SHEETS[0].codes)


def test_codes_too_blurred_to_read_are_reported_never_misread(
    pages_at_150_dpi: list[Image.Image],
) -> None:
    page = scanned(pages_at_150_dpi[0], angle=2, seed=1, blur=1.5, noise=5, jpeg_quality=80)

    codes, problems = scan_image(page, "labels.jpg", 1)

    assert problems == [ScanProblem("labels.jpg", 1, UNREADABLE_CODE)]
    assert len(codes) < len(SHEETS[0].codes)
    assert {scanned_code.code for scanned_code in codes} <= set(SHEETS[0].codes)


EXAMPLE_ID = new_form_id(random.Random(1))
# ISO-8859-1 characters get their own strategy: unescaped, a reader takes some for Shift_JIS.
field_text = st.text(st.characters(max_codepoint=255) | st.characters(codec="utf-8"), max_size=12)
optional_field = st.none() | field_text.filter(bool)


@given(
    st.builds(
        FormCode,
        st.sampled_from(FormType),
        st.randoms(use_true_random=False).map(new_form_id),
        field_text,
        optional_field,
        optional_field,
    )
)
@example(FormCode(FormType.ADMISSION, EXAMPLE_ID, "rennes", "¹"))  # not "ｹ" (Shift_JIS)
@example(FormCode(FormType.ADMISSION, EXAMPLE_ID, "Saint-Étienne", "\x08", "a\r\nb"))
@settings(max_examples=50, deadline=None)
def test_any_form_code_reads_back_from_its_qr_code(code: FormCode) -> None:
    codes, problems = scan_image(qr_image(code.payload(), 3), "code.png", 1)

    assert problems == []
    assert [(found.code, found.text) for found in codes] == [(code, code.payload()[:TEXT_LIMIT])]


def test_a_multi_page_pdf_is_scanned_page_by_page(tmp_path: Path) -> None:
    rng = random.Random(7)
    awkward = FormCode(
        FormType.TRANSFER, new_form_id(rng), "Saint-Étienne:Nord", "Zoë 100%", "cas:3"
    )
    sheets = [or_list(rng), Sheet((awkward,), 1, 0.7 * mm), label_sheet(rng)]
    pdf = tmp_path / "retour.pdf"
    write_pdf(pdf, sheets)

    result = scan_files([pdf])

    assert result.problems == ()
    assert result.pages == 3
    assert codes_by_page(result) == {
        (str(pdf), number): set(sheet.codes) for number, sheet in enumerate(sheets, start=1)
    }
    assert [code.text for code in result.codes if code.page == 2] == [awkward.payload()]


def test_a_page_without_a_code_is_a_problem_naming_file_and_page(tmp_path: Path) -> None:
    pdf = tmp_path / "blank-between.pdf"
    form = single_form(random.Random(4))
    write_pdf(pdf, [form, Sheet((), 1, 0.6 * mm), form])
    blank = tmp_path / "blank.png"
    Image.new("L", (1200, 1700), 255).save(blank)

    result = scan_files([pdf, blank])

    assert result.problems == (
        ScanProblem(str(pdf), 2, NO_CODE),
        ScanProblem(str(blank), 1, NO_CODE),
    )
    assert result.pages == 4
    assert [(code.page, code.code) for code in result.codes] == [
        (1, form.codes[0]),
        (3, form.codes[0]),
    ]


def test_a_qr_code_that_is_not_a_form_code_is_reported_with_the_reason(tmp_path: Path) -> None:
    image = save_code_image(tmp_path / "poster.png", "https://example.org", "x" * 300)

    result = scan_files([image])

    assert result.problems == ()
    by_text = {code.text: code for code in result.codes}
    assert by_text.keys() == {"https://example.org", "x" * TEXT_LIMIT}
    for code in result.codes:
        assert code.code is None
        assert code.problem is not None
        assert code.problem.startswith("not a bascule form code")


def test_a_form_code_and_a_foreign_code_on_one_page(tmp_path: Path) -> None:
    pdf = tmp_path / "mixed.pdf"
    (code,) = form_codes(1, random.Random(5), FormType.REQUEST)
    write_pdf(pdf, [Sheet((code,), 2, 0.6 * mm, foreign=("https://example.org",))])

    result = scan_files([pdf])

    assert sorted(result.codes, key=lambda found: found.text) == [
        ScannedCode(str(pdf), 1, code, code.payload(), None),
        ScannedCode(
            str(pdf),
            1,
            None,
            "https://example.org",
            "not a bascule form code: 'https://example.org'",
        ),
    ]


def test_bad_files_are_reported_and_the_others_still_scanned(tmp_path: Path) -> None:
    first, last = form_codes(2, random.Random(6), FormType.ADMISSION)
    good_image = save_code_image(tmp_path / "good.png", first.payload())
    good_pdf = tmp_path / "good.pdf"
    write_pdf(good_pdf, [Sheet((last,), 1, 0.8 * mm)])
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(good_pdf.read_bytes()[:600])
    encrypted = tmp_path / "encrypted.pdf"
    canvas = Canvas(str(encrypted), encrypt=pdfencrypt.StandardEncryption("secret"))
    canvas.drawString(100, 100, "confidentiel")
    canvas.save()
    no_pages = tmp_path / "no-pages.pdf"
    pdfium.PdfDocument.new().save(no_pages)
    text = tmp_path / "notes.txt"
    text.write_text("liste des patients\n", encoding="utf-8")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    broken_png = tmp_path / "broken.png"
    broken_png.write_bytes(good_image.read_bytes()[:100])
    missing = tmp_path / "missing.pdf"
    folder = tmp_path / "folder"
    folder.mkdir()
    bad = [corrupt, truncated, no_pages, encrypted, text, empty, broken_png, missing, folder]

    result = scan_files([good_image, *bad, good_pdf])

    assert [code.code for code in result.codes] == [first, last]
    assert result.pages == 3
    messages = {problem.source: problem.message for problem in result.problems}
    assert messages.keys() == {str(path) for path in bad}
    assert messages[str(corrupt)].startswith("cannot read PDF")
    assert messages[str(truncated)].startswith("cannot read PDF")
    assert messages[str(no_pages)].startswith("cannot read PDF")
    assert "password" in messages[str(encrypted)]
    assert messages[str(text)].startswith("not a PDF or image")
    assert messages[str(empty)] == "cannot read file: the file is empty"
    assert messages[str(broken_png)].startswith("cannot read image")
    # The reason after the colon is the operating system's own words.
    assert messages[str(missing)].startswith("cannot read file: ")
    assert messages[str(folder)].startswith("cannot read file: ")
    problem_pages = {problem.source: problem.page for problem in result.problems}
    assert problem_pages == {str(path): (1 if path == broken_png else None) for path in bad}


def test_a_multi_page_tiff_is_read_frame_by_frame(
    pages_at_150_dpi: list[Image.Image], tmp_path: Path
) -> None:
    # Office scanners write bilevel pages compressed with CCITT Group 4.
    frames = [page.convert("1", dither=Image.Dither.NONE) for page in pages_at_150_dpi]
    path = tmp_path / "batch.tiff"
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="group4")

    result = scan_files([path])

    assert result.problems == ()
    assert result.pages == 3
    assert codes_by_page(result) == {
        (str(path), number): set(sheet.codes) for number, sheet in enumerate(SHEETS, start=1)
    }


def test_a_payload_twice_on_a_page_is_reported_once_per_page(tmp_path: Path) -> None:
    (code,) = form_codes(1, random.Random(8), FormType.LABELS)
    pdf = tmp_path / "twice.pdf"
    write_pdf(pdf, [Sheet((code, code, code), 3, 0.6 * mm), Sheet((code,), 1, 0.6 * mm)])

    result = scan_files([pdf])

    assert [(found.page, found.code) for found in result.codes] == [(1, code), (2, code)]


def test_a_damaged_code_is_reported_so_its_id_gets_typed(tmp_path: Path) -> None:
    intact, damaged = form_codes(2, random.Random(9), FormType.MEDICATION_RECORD)
    path = save_code_image(tmp_path / "stained.png", intact.payload(), damaged.payload())
    image = Image.open(path)
    second = image.width // 2
    # A stain across the middle of the second code, leaving its finder patterns.
    ImageDraw.Draw(image).rectangle((second + 60, 100, second + 140, 140), fill=255)

    codes, problems = scan_image(image, "stained.png", 1)

    assert [found.code for found in codes] == [intact]
    assert problems == [ScanProblem("stained.png", 1, UNREADABLE_CODE)]


@pytest.mark.parametrize("mode", ["I;16", "RGBA", "P", "CMYK"])
def test_images_of_any_pixel_format_are_read(mode: str) -> None:
    (code,) = form_codes(1, random.Random(10), FormType.CALL_LIST)
    grey = qr_image(code.payload())
    if mode == "I;16":
        image = Image.fromarray(np.asarray(grey, dtype=np.uint16) * 257)
    elif mode == "RGBA":
        # Light modules transparent: they must count as paper, not as black.
        image = Image.new("RGBA", grey.size, (0, 0, 0, 0))
        image.putalpha(Image.eval(grey, lambda level: 255 - level))
    else:
        image = grey.convert(mode)

    codes, problems = scan_image(image, "screenshot", 1)

    assert image.mode == mode
    assert (problems, [found.code for found in codes]) == ([], [code])


def test_an_image_without_pixels_is_a_problem() -> None:
    assert scan_image(Image.new("L", (0, 0)), "void.png", 1) == (
        [],
        [ScanProblem("void.png", 1, "empty image (no pixels)")],
    )


def test_dpi_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dpi"):
        scan_files([tmp_path / "any.pdf"], dpi=0)

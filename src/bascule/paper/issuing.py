"""Handing out form ids while a packet is rendered, and remembering what was handed out."""

import random
from dataclasses import dataclass, field

from bascule.paper.codes import FormCode, new_form_id
from bascule.paper.model import FormType


@dataclass(frozen=True, slots=True)
class IssuedForm:
    """One printed page or form: its code, the ward it goes to and where it sits in the PDF."""

    code: FormCode
    ward_id: str | None
    page: int
    title: str


@dataclass(slots=True)
class FormIssuer:
    """Gives every page or form of one packet its own form id and keeps the list.

    The renderer asks for a code when it starts a page or form; the caller journals
    :attr:`issued` once the PDF exists (or writes it beside a PDF printed from a kit).
    A seeded ``rng`` makes ids reproducible, which tests and benchmarks rely on.
    """

    site_id: str
    rng: random.Random | None = None
    issued: list[IssuedForm] = field(default_factory=list)
    _taken: set[str] = field(default_factory=set)

    def issue(
        self,
        form_type: FormType,
        *,
        page: int,
        title: str,
        patient_id: str | None = None,
        case_id: str | None = None,
        ward_id: str | None = None,
    ) -> FormCode:
        """A new code for a page or form starting on ``page`` (1-based) of the packet."""
        form_id = new_form_id(self.rng)
        while form_id in self._taken:
            form_id = new_form_id(self.rng)
        self._taken.add(form_id)
        code = FormCode(form_type, form_id, self.site_id, patient_id, case_id)
        self.issued.append(IssuedForm(code, ward_id, page, title))
        return code

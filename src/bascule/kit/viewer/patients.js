// patients.js — (a) the search results and (b) the patient sheet, allergies first.

// --- (a) patient search -----------------------------------------------------------------

function resultsTable(kit, result, query) {
  if (!query.trim()) {
    return el(
      "p",
      { class: "hint" },
      "Tapez un nom (sans accents si vous voulez), une date de naissance (JJ/MM/AAAA), " +
        "un IPP ou un NIR.",
    );
  }
  if (!result.rows.length) {
    return el(
      "p",
      { class: "empty", role: "status" },
      `Aucun patient ne correspond à « ${query.trim()} ».`,
    );
  }
  const plural = result.total > 1 ? "s" : "";
  const count =
    result.total > result.rows.length
      ? `${result.total} patients correspondent : les ${result.rows.length} premiers sont ` +
        "affichés, précisez la recherche."
      : `${result.total} patient${plural} trouvé${plural}.`;
  const rows = result.rows.map((row) => resultRow(kit, kit.index.person(row)));
  return el(
    "div",
    {},
    el("p", { class: "count", role: "status" }, count),
    table(
      null,
      ["Patient", "Naissance", "Sexe", "Identifiants locaux", `Sur ${kit.site.city || "ce site"}`],
      rows,
      { class: "results" },
    ),
  );
}

function resultRow(kit, person) {
  const record = kit.patients.get(person.id);
  const href = `#patient/${encodeURIComponent(person.id)}`;
  const marker = record
    ? [
        el("span", { class: "badge active" }, "Suivi sur ce site"),
        " ",
        record.allergies.length ? el("span", { class: "badge allergy" }, "⚠ Allergie") : null,
      ]
    : el("span", { class: "muted" }, "identité seule");
  return el(
    "tr",
    {
      // The whole row opens the sheet for the mouse; the link stays for the keyboard.
      onclick: (event) => {
        if (!event.target.closest("a")) location.hash = href;
      },
    },
    el("td", {}, el("a", { href, class: "person" }, displayName(person))),
    el("td", {}, frenchDate(person.birth)),
    el("td", {}, person.sex),
    el(
      "td",
      { class: "local-ids" },
      (person.local || "").split(" ").filter(Boolean).join(" · ") || "—",
    ),
    el("td", {}, marker),
  );
}

// --- (b) patient sheet -------------------------------------------------------------------

function patientSheet(kit, patientId) {
  const record = kit.patients.get(patientId);
  if (record) return activeSheet(kit, record);
  const row = kit.index.rowOf(patientId);
  if (row < 0) {
    return el(
      "div",
      {},
      sheetToolbar(null),
      el("p", { class: "empty" }, `Aucun patient « ${patientId} » dans ce kit.`),
    );
  }
  return identityOnlySheet(kit, kit.index.person(row));
}

/** Back to the results (the search box keeps its query) and, for a sheet, print it. */
function sheetToolbar(printLabel) {
  return el(
    "p",
    { class: "toolbar no-print" },
    el("a", { href: "#patients", class: "back" }, "← Retour à la recherche"),
    printLabel ? printButton(printLabel) : null,
  );
}

function sheetTitle(person, localId) {
  return el(
    "div",
    { class: "sheet-title" },
    el("h1", {}, displayName(person)),
    el(
      "p",
      { class: "subtitle" },
      [birthText(person), SEX[person.sex] || person.sex, localId ? `IPP ${localId}` : null]
        .filter(Boolean)
        .join(" · "),
      " ",
      identityBadge(person.status),
    ),
  );
}

function identityBadge(status) {
  const label = IDENTITY_STATUS[status] || status;
  const provisional = status === "P" || status === "PROV";
  return el(
    "span",
    { class: provisional ? "badge warn" : "badge" },
    `Identité ${label.toLowerCase()}`,
  );
}

function allergyBox(record) {
  const allergies = record.allergies || [];
  if (!allergies.length) {
    return el(
      "section",
      { class: "allergies none", "aria-label": "Allergies" },
      el("h2", {}, "Allergies"),
      el("p", {}, "Aucune allergie connue"),
    );
  }
  return el(
    "section",
    { class: "allergies", role: "alert", "aria-label": "Allergies" },
    el("h2", {}, `⚠ ALLERGIES (${allergies.length})`),
    el(
      "ul",
      {},
      allergies.map((a) =>
        el(
          "li",
          {},
          el("strong", {}, (a.substance || "").toUpperCase()),
          ` — ${SEVERITY[a.severity] || a.severity || "gravité inconnue"}`,
          a.reaction ? ` — ${a.reaction}` : "",
        ),
      ),
    ),
  );
}

function identityList(person, localIds) {
  const entries = [
    ["Nom de naissance", (person.family || "").toUpperCase()],
    ["Nom utilisé", (person.used || "").toUpperCase() || "—"],
    ["Prénoms", person.given || "—"],
    ["Date de naissance", frenchDate(person.birth)],
    ["Sexe", SEX[person.sex] || person.sex || "—"],
    ["NIR", spacedNir(person.nir)],
    ["Statut de l'identité", IDENTITY_STATUS[person.status] || person.status || "—"],
    ["Identifiants locaux", localIds || "—"],
  ];
  return el(
    "dl",
    { class: "facts" },
    entries.map(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]),
  );
}

function activeSheet(kit, record) {
  const row = kit.index.rowOf(record.id);
  const localIds = row >= 0 ? kit.index.local[row].split(" ").join(" · ") : record.local_id;
  return el(
    "article",
    { class: "sheet" },
    sheetToolbar("Imprimer la fiche"),
    sheetTitle(record, record.local_id),
    allergyBox(record),
    el(
      "div",
      { class: "columns" },
      el("section", { class: "panel" }, el("h2", {}, "Identité"), identityList(record, localIds)),
      el(
        "section",
        { class: "panel" },
        el("h2", {}, "Informations cliniques"),
        clinicalList(record),
      ),
    ),
    medicationsPanel(record),
    stayPanel(kit, record.id),
    casesPanel(kit, record.id),
  );
}

function clinicalList(record) {
  const alerts = record.alerts || [];
  return el(
    "dl",
    { class: "facts" },
    el("dt", {}, "Groupe sanguin"),
    el("dd", { class: "blood" }, record.blood_group || "inconnu"),
    el("dt", {}, "Contact d'urgence"),
    el("dd", {}, record.emergency_contact_phone || "—"),
    el("dt", {}, "Alertes"),
    el(
      "dd",
      {},
      alerts.length
        ? el(
            "ul",
            { class: "alerts" },
            alerts.map((a) => el("li", {}, `⚠ ${a}`)),
          )
        : "aucune",
    ),
  );
}

function medicationsPanel(record) {
  const medications = record.medications || [];
  const body = medications.length
    ? table(
        null,
        ["Médicament", "Dose", "Voie", "Fréquence"],
        medications.map((m) =>
          el(
            "tr",
            {},
            [m.name, m.dose, m.route, m.frequency].map((v) => el("td", {}, v || "—")),
          ),
        ),
      )
    : el("p", {}, "Aucun traitement en cours enregistré.");
  return el("section", { class: "panel" }, el("h2", {}, "Traitements en cours"), body);
}

function stayPanel(kit, patientId) {
  const stay = kit.stayByPatient.get(patientId);
  if (!stay)
    return el(
      "section",
      { class: "panel" },
      el("h2", {}, "Séjour en cours"),
      el("p", {}, "Aucun séjour en cours sur ce site."),
    );
  const ward = kit.wards.get(stay.ward_id);
  const room = ward ? (ward.rooms || []).find((r) => r.id === stay.room_id) : null;
  return el(
    "section",
    { class: "panel" },
    el("h2", {}, "Séjour en cours"),
    el(
      "dl",
      { class: "facts" },
      el("dt", {}, "Service"),
      el("dd", {}, ward ? ward.name : stay.ward_id),
      el("dt", {}, "Chambre / lit"),
      el("dd", { class: "bed" }, `${room ? room.name : stay.room_id} — lit ${stay.bed}`),
      el("dt", {}, "Admission"),
      el("dd", {}, instant(stay.admitted_at)),
      el("dt", {}, "Sortie prévue"),
      el("dd", {}, instant(stay.expected_discharge)),
    ),
  );
}

function casesPanel(kit, patientId) {
  const cases = (kit.casesByPatient.get(patientId) || []).slice().sort(byStart);
  const body = cases.length
    ? table(
        null,
        ["Jour", "Heure", "Salle", "Intervention", "Chirurgien", "Priorité", "Statut"],
        cases.map((c) =>
          el(
            "tr",
            {},
            el("td", {}, frenchDate(c.day)),
            el("td", {}, clock(c.start_minute)),
            el("td", {}, theatreName(kit, c.theatre_id)),
            el(
              "td",
              {},
              c.procedure,
              c.ccam_code ? el("span", { class: "muted" }, ` (${c.ccam_code})`) : null,
            ),
            el("td", {}, surgeonName(kit, c.surgeon_id)),
            el("td", {}, priorityCell(c.priority)),
            el("td", {}, CASE_STATUS[c.status] || c.status),
          ),
        ),
      )
    : el("p", {}, "Aucune intervention programmée sur ce site dans l'horizon du kit.");
  return el("section", { class: "panel" }, el("h2", {}, "Interventions programmées"), body);
}

function identityOnlySheet(kit, person) {
  const siteIds = (person.local || "").split(" ").filter(Boolean);
  return el(
    "article",
    { class: "sheet" },
    sheetToolbar("Imprimer la fiche"),
    sheetTitle(person, null),
    el(
      "section",
      { class: "notice", role: "note" },
      el("h2", {}, "Identité seulement"),
      el(
        "p",
        {},
        "Ce patient est connu du groupe mais n'est pas suivi actuellement sur le site " +
          `${kit.site.name || kit.site.id}. Ce kit ne contient que son identité : ses ` +
          "allergies, traitements et antécédents ne sont PAS connus ici. ",
        "Interrogez le patient ou le site qui le suit.",
      ),
    ),
    el(
      "section",
      { class: "panel" },
      el("h2", {}, "Identité"),
      identityList(person, siteIds.join(" · ")),
    ),
  );
}

// boards.js — the site-wide screens: (c) operating-room schedule, (d) bed census,
// (e) directory and on-call, and the emergency-plan sheets. Each prints on A4.

// --- (c) operating-room schedule -------------------------------------------------------

function scheduleScreen(kit, wantedDay) {
  const days = kit.days();
  const day = days.includes(wantedDay)
    ? wantedDay
    : days.includes(kit.content.as_of)
      ? kit.content.as_of
      : days[0];
  const cases = (kit.casesByDay.get(day) || []).slice().sort(byStart);
  const byTheatre = groupBy(cases, (c) => c.theatre_id || "");
  const theatres = [...kit.theatres.values()].sort((a, b) => byText(a.name, b.name));
  const busy = theatres.filter((t) => byTheatre.has(t.id));
  const unknown = [...byTheatre.keys()].filter((id) => !kit.theatres.has(id));
  const idle = theatres.filter((t) => !byTheatre.has(t.id));
  return el(
    "div",
    {},
    el("h1", {}, "Programme opératoire"),
    dayTabs(kit, days, day),
    el(
      "div",
      { class: "toolbar" },
      el(
        "h2",
        { class: "day-title" },
        day ? LONG_DAY.format(utcDay(day)) : "Aucun jour dans ce kit",
      ),
      el("span", { class: "count" }, `${cases.length} intervention${cases.length > 1 ? "s" : ""}`),
      printButton("Imprimer le programme du jour"),
    ),
    busy.map((t) => theatreSection(kit, t.name, t.specialties, byTheatre.get(t.id), day)),
    unknown.map((id) =>
      theatreSection(kit, theatreName(kit, id || null), [], byTheatre.get(id), day),
    ),
    idle.length
      ? el(
          "p",
          { class: "idle" },
          `Sans intervention ce jour : ${idle.map((t) => t.name).join(", ")}.`,
        )
      : null,
  );
}

function dayTabs(kit, days, current) {
  return el(
    "nav",
    { class: "day-tabs no-print", "aria-label": "Jours du programme" },
    days.map((day) => {
      const count = (kit.casesByDay.get(day) || []).length;
      return el(
        "a",
        {
          href: `#bloc/${day}`,
          "aria-current": day === current ? "page" : null,
          class: count ? null : "empty-day",
        },
        el("span", { class: "tab-day" }, SHORT_DAY.format(utcDay(day))),
        el("span", { class: "tab-count" }, String(count)),
      );
    }),
  );
}

function theatreSection(kit, name, specialties, cases, day) {
  return el(
    "section",
    { class: "theatre print-page" },
    el(
      "h3",
      {},
      name,
      specialties && specialties.length
        ? el("span", { class: "muted" }, ` — ${specialties.map(specialty).join(", ")}`)
        : null,
      el("span", { class: "print-only" }, ` — ${frenchDate(day)}`),
    ),
    table(
      null,
      ["Heure", "Patient", "Intervention", "Chirurgien", "Priorité", "Allergies"],
      cases.map((c) => caseRow(kit, c)),
      { class: "schedule" },
    ),
  );
}

function caseRow(kit, c) {
  const person = kit.person(c.patient_id);
  const record = kit.patients.get(c.patient_id);
  const end =
    Number.isInteger(c.start_minute) && Number.isInteger(c.expected_minutes)
      ? c.start_minute + c.expected_minutes
      : null;
  return el(
    "tr",
    { class: c.status && c.status !== "booked" ? "not-booked" : null },
    el(
      "td",
      { class: "time" },
      el("strong", {}, clock(c.start_minute)),
      end === null ? null : el("span", { class: "muted" }, ` → ${clock(end)}`),
    ),
    el(
      "td",
      {},
      person
        ? el("a", { href: `#patient/${encodeURIComponent(c.patient_id)}` }, displayName(person))
        : c.patient_id,
      person
        ? el(
            "div",
            { class: "muted" },
            [frenchDate(person.birth), record && record.local_id ? `IPP ${record.local_id}` : null]
              .filter(Boolean)
              .join(" · "),
          )
        : null,
    ),
    el(
      "td",
      {},
      c.procedure || "—",
      el(
        "div",
        { class: "muted" },
        [
          specialty(c.specialty),
          c.ccam_code,
          c.expected_minutes ? `${c.expected_minutes} min` : null,
        ]
          .filter(Boolean)
          .join(" · "),
      ),
      c.status && c.status !== "booked"
        ? el("div", { class: "badge warn" }, CASE_STATUS[c.status] || c.status)
        : null,
    ),
    el("td", {}, surgeonName(kit, c.surgeon_id)),
    el("td", {}, priorityCell(c.priority)),
    el("td", {}, allergyFlag(record)),
  );
}

// --- (d) bed census -----------------------------------------------------------------------

function censusScreen(kit, wantedWard) {
  const wards = [...kit.wards.values()].sort((a, b) => byText(a.name, b.name));
  const shown = wantedWard && kit.wards.has(wantedWard) ? [kit.wards.get(wantedWard)] : wards;
  const stays = groupBy(kit.stays.values(), (s) => s.ward_id);
  const select = el(
    "select",
    {
      id: "ward-select",
      onchange: (event) => (location.hash = `#lits/${encodeURIComponent(event.target.value)}`),
    },
    el("option", { value: "" }, "Tous les services"),
    wards.map((w) =>
      el("option", { value: w.id, selected: shown.length === 1 && shown[0].id === w.id }, w.name),
    ),
  );
  return el(
    "div",
    {},
    el("h1", {}, "Lits par service"),
    el(
      "div",
      { class: "toolbar no-print" },
      el("label", { for: "ward-select" }, "Service "),
      select,
      printButton(shown.length === 1 ? "Imprimer ce service" : "Imprimer tous les services"),
    ),
    shown.length
      ? shown.map((w) => wardSection(kit, w, stays.get(w.id) || []))
      : el("p", { class: "empty" }, "Aucun service d'hospitalisation sur ce site."),
  );
}

function wardSection(kit, ward, stays) {
  const occupants = new Map(stays.map((s) => [`${s.room_id}/${s.bed}`, s]));
  const rows = [];
  const free = [];
  for (const room of ward.rooms || []) {
    for (const bed of room.beds || []) {
      const stay = occupants.get(`${room.id}/${bed}`);
      occupants.delete(`${room.id}/${bed}`);
      rows.push(bedRow(kit, room.name || room.id, bed, stay));
      if (!stay) free.push(`${room.name || room.id} lit ${bed}`);
    }
  }
  // Stays on a bed the ward description does not list still have to be visible.
  for (const stay of occupants.values())
    rows.push(bedRow(kit, `${stay.room_id} (hors plan)`, stay.bed, stay));
  const beds = rows.length - occupants.size;
  const plural = (count, word) => `${count} ${word}${count > 1 ? "s" : ""}`;
  return el(
    "section",
    { class: "ward print-page" },
    el(
      "h2",
      {},
      ward.name,
      ward.specialty && specialty(ward.specialty) !== ward.name
        ? el("span", { class: "muted" }, ` — ${specialty(ward.specialty)}`)
        : null,
    ),
    el(
      "p",
      { class: "ward-summary" },
      `${plural(beds, "lit")} · ${plural(stays.length, "occupé")} · `,
      el("strong", {}, plural(free.length, "libre")),
    ),
    free.length ? el("p", { class: "free-beds" }, `Libres : ${free.join(", ")}.`) : null,
    table(
      null,
      ["Chambre", "Lit", "Patient", "Naissance", "Admission", "Sortie prévue", "Allergies"],
      rows,
      { class: "census" },
    ),
  );
}

function bedRow(kit, roomName, bed, stay) {
  if (!stay) {
    return el(
      "tr",
      { class: "free" },
      el("td", {}, roomName),
      el("td", {}, bed),
      el("td", { colspan: 5 }, "Libre"),
    );
  }
  const person = kit.person(stay.patient_id);
  return el(
    "tr",
    {},
    el("td", {}, roomName),
    el("td", {}, bed),
    el(
      "td",
      {},
      person
        ? el("a", { href: `#patient/${encodeURIComponent(stay.patient_id)}` }, displayName(person))
        : stay.patient_id,
    ),
    el("td", {}, person ? frenchDate(person.birth) : "—"),
    el("td", {}, instant(stay.admitted_at)),
    el("td", {}, instant(stay.expected_discharge)),
    el("td", {}, allergyFlag(kit.patients.get(stay.patient_id))),
  );
}

// --- (e) directory and on-call ------------------------------------------------------------

function directoryScreen(kit) {
  const staff = [...kit.staff.values()].sort(
    (a, b) =>
      byText(specialty(a.specialty), specialty(b.specialty)) ||
      byText(a.family_name, b.family_name),
  );
  const oncall = [...kit.oncall.values()].sort(
    (a, b) => (a.day || "").localeCompare(b.day || "") || byText(a.specialty, b.specialty),
  );
  return el(
    "div",
    {},
    el("h1", {}, "Annuaire et astreintes"),
    el("p", { class: "toolbar no-print" }, printButton("Imprimer l'annuaire")),
    el(
      "section",
      { class: "panel" },
      el("h2", {}, "Astreintes"),
      oncall.length
        ? oncallTable(kit, oncall)
        : el("p", {}, "Aucun tableau d'astreinte dans ce kit."),
    ),
    el(
      "section",
      { class: "panel" },
      el("h2", {}, `Chirurgiens opérant sur ce site (${staff.length})`),
      table(
        null,
        ["Nom", "Spécialité", "Téléphone", "Sites"],
        staff.map((s) =>
          el(
            "tr",
            {},
            el("td", {}, `${(s.family_name || "").toUpperCase()} ${s.given_name || ""}`),
            el("td", {}, specialty(s.specialty)),
            el("td", { class: "phone" }, s.phone || "—"),
            el("td", {}, (s.sites || []).join(", ")),
          ),
        ),
        { class: "directory" },
      ),
    ),
  );
}

function oncallTable(kit, oncall) {
  return table(
    null,
    ["Jour", "Spécialité", "De garde", "Téléphone"],
    oncall.map((o) => {
      const surgeon = kit.staff.get(o.staff_id);
      return el(
        "tr",
        {},
        el("td", {}, o.day ? SHORT_DAY.format(utcDay(o.day)) : "—"),
        el("td", {}, specialty(o.specialty)),
        el("td", {}, surgeonName(kit, o.staff_id)),
        el("td", { class: "phone" }, surgeon && surgeon.phone ? surgeon.phone : "—"),
      );
    }),
    { class: "oncall" },
  );
}

// --- emergency-plan sheets ----------------------------------------------------------------

function plansScreen(kit, wantedSheet) {
  const sheets = [...kit.plans.values()].sort((a, b) => byText(a.title || a.id, b.title || b.id));
  const sheet = kit.plans.get(wantedSheet) || null;
  return el(
    "div",
    {},
    el("h1", {}, "Fiches réflexes"),
    sheets.length
      ? el(
          "nav",
          { class: "sheet-list no-print", "aria-label": "Fiches par rôle" },
          sheets.map((s) =>
            el(
              "a",
              {
                href: `#fiches/${encodeURIComponent(s.id)}`,
                "aria-current": sheet && sheet.id === s.id ? "page" : null,
              },
              s.title || s.id,
            ),
          ),
        )
      : el("p", {}, "Aucune fiche réflexe dans ce kit."),
    sheet
      ? planSheet(sheet)
      : sheets.length
        ? el("p", { class: "hint" }, "Choisissez votre rôle ci-dessus.")
        : null,
  );
}

function planSheet(sheet) {
  return el(
    "article",
    { class: "plan" },
    el("p", { class: "toolbar no-print" }, printButton("Imprimer la fiche")),
    el("h2", {}, sheet.title || sheet.id),
    sheet.plan
      ? el(
          "p",
          { class: "muted" },
          `${sheet.plan}${sheet.version ? ` — version ${sheet.version}` : ""}`,
        )
      : null,
    (sheet.phases || []).map((phase) =>
      el(
        "section",
        { class: "panel" },
        el("h3", {}, phase.title || phase.id),
        el(
          "ol",
          { class: "actions" },
          (phase.actions || []).map((action) =>
            el(
              "li",
              {},
              el("strong", {}, action.title || action.id),
              Number.isInteger(action.due_minutes)
                ? el("span", { class: "muted" }, ` — dans les ${dueText(action.due_minutes)}`)
                : null,
              action.details ? el("p", {}, action.details) : null,
              (action.checklist || []).length
                ? el(
                    "ul",
                    { class: "checklist" },
                    action.checklist.map((item) => el("li", {}, String(item))),
                  )
                : null,
            ),
          ),
        ),
      ),
    ),
  );
}

function dueText(minutes) {
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${String(minutes % 60).padStart(2, "0")}` : `${hours} h`;
}

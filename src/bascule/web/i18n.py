"""Every string the web interface shows, in French (default) and English.

The language comes from ``?lang=`` when given, else from the browser's Accept-Language,
else French: the staff are French, and a crisis is no time to guess.
"""

from dataclasses import dataclass
from datetime import datetime

from bascule.clock import local_time

DEFAULT_LANGUAGE = "fr"

MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "app.tagline": "Continuité d'activité du groupe",
        "nav.sites": "Sites",
        "nav.main": "Navigation principale",
        "lang.other": "English",
        "lang.other_code": "en",
        "footer.database": "Base de données : {description}",
        "footer.journal": "Journal : entrée n° {seq}",
        "footer.generated": "Page générée le {moment}",
        "sites.title": "Sites du groupe",
        "sites.intro": "Capacités et activité de chaque site, telles que le journal les décrit.",
        "sites.empty": "Aucun site n'est encore enregistré dans cette base.",
        "sites.caption": "Capacités et activité par site",
        "sites.total": "Total groupe",
        "sites.total_note": (
            "Chirurgiens et patients : personnes distinctes du groupe ; une même personne "
            "peut exercer ou être connue sur plusieurs sites."
        ),
        "col.site": "Site",
        "col.city": "Ville",
        "col.theatres": "Salles d'opération",
        "col.wards": "Unités de soins",
        "col.beds": "Lits",
        "col.occupied": "Lits occupés",
        "col.occupancy": "Taux d'occupation",
        "col.surgeons": "Chirurgiens",
        "col.patients": "Patients",
        "col.booked": "Interventions programmées",
        "site.identifier": "Identifiant",
        "site.specialties": "Spécialités",
        "site.none": "aucune",
        "site.figures": "Chiffres clés",
        "site.back": "Tous les sites",
        "site.paper": "Dossier papier et formulaires en circulation",
        "paper.title": "Papier",
        "paper.day": "Jour",
        "paper.parts": "Contenu",
        "paper.part.or-lists": "Programmes opératoires",
        "paper.part.census": "Occupation des lits",
        "paper.part.sheets": "Fiches patient",
        "paper.part.labels": "Étiquettes",
        "paper.part.forms": "Formulaires",
        "paper.part.call-list": "Patients à rappeler",
        "paper.part.downtime": "Identifiants de secours",
        "paper.print": "Imprimer (PDF)",
        "paper.outstanding": "Formulaires à rendre",
        "paper.none_out": "Aucun formulaire en circulation.",
        "paper.col.form": "Formulaire",
        "paper.col.title": "Document",
        "paper.col.ward": "Unité",
        "paper.col.patient": "Patient",
        "paper.col.day": "Jour",
        "paper.col.by": "Imprimé par",
        "paper.kit_title": "Impression depuis le kit local",
        "paper.kit_intro": (
            "Sans serveur de groupe : le dossier papier est tiré du dernier kit vérifié de"
        ),
        "paper.passphrase": "Phrase secrète du kit",
        "paper.day_default": "(par défaut : le jour du kit)",
        "paper.pending": "Formulaires imprimés hors ligne, à enregistrer sur le serveur",
        "paper.pending_help": "Au retour du serveur : bascule paper register FICHIER.forms.json",
        "error.back": "Retour à la liste des sites",
        "error.status.400": "Demande refusée",
        "error.status.404": "Introuvable",
        "error.status.405": "Méthode non autorisée",
        "error.status.422": "Demande incomplète",
        "error.status.500": "Erreur interne",
        "error.status.503": "Service indisponible",
        "error.status.other": "Erreur",
        "error.no_page": "Aucune page à l'adresse {path}.",
        "error.internal": (
            "Une erreur inattendue s'est produite ; elle est consignée dans le journal du serveur."
        ),
        "not_available": "—",
        # auth.*
        "auth.title": "Connexion",
        "auth.intro": "Cellule de crise : connectez-vous avec votre compte personnel.",
        "auth.username": "Identifiant",
        "auth.password": "Mot de passe",
        "auth.submit": "Se connecter",
        "auth.help": (
            "Pas encore de compte ? Un administrateur le crée avec «\u00a0bascule user add\u00a0»."
        ),
        "auth.wrong": "Identifiant ou mot de passe incorrect.",
        "auth.form_expired": "Le formulaire de connexion a expiré : veuillez réessayer.",
        "auth.throttled": (
            "Trop de tentatives de connexion échouées : réessayez dans {minutes} min."
        ),
        "auth.signed_in_as": "Connecté : {name} ({role})",
        "auth.sign_out": "Se déconnecter",
        "auth.role.crisis-lead": "responsable de crise",
        "auth.role.site-manager": "directeur de site",
        "auth.role.or-scheduler": "régulation du bloc",
        "auth.role.clerk": "agent de saisie",
        "auth.role.viewer": "consultation",
        "auth.role.auditor": "audit",
        "auth.role.identity-vigilance": "identitovigilance",
        "auth.status.401": "Connexion requise",
        "auth.status.403": "Accès refusé",
        "auth.status.429": "Trop de tentatives",
        # alerts.*
        "alerts.title": "Alertes de sécurité",
        "alerts.intro": (
            "Alertes des sondes de détection (Suricata, Wazuh), regroupées par signature, "
            "machine et site. Les alertes proposées attendent une décision de la cellule de "
            "crise : déclarer un incident, ou écarter l'alerte."
        ),
        "alerts.pending": "À décider",
        "alerts.none_pending": "Aucune alerte n'attend de décision.",
        "alerts.recent": "Alertes récentes",
        "alerts.none": "Aucune autre alerte reçue.",
        "alerts.col.severity": "Gravité",
        "alerts.col.signature": "Signature",
        "alerts.col.host": "Machine",
        "alerts.col.count": "Occurrences",
        "alerts.col.first_seen": "Première fois",
        "alerts.col.last_seen": "Dernière fois",
        "alerts.col.status": "État",
        "alerts.col.decision": "Décision",
        "alerts.severity.1": "élevée",
        "alerts.severity.2": "moyenne",
        "alerts.severity.3": "faible",
        "alerts.status.proposed": "à décider",
        "alerts.status.logged": "consignée",
        "alerts.status.dismissed": "écartée",
        "alerts.status.declared": "incident déclaré",
        "alerts.rule": "règle {rule}",
        "alerts.no_site": "site inconnu",
        "alerts.decided_by": "par {name}",
        "alerts.incident": "Incident {id}",
        "alerts.declare": "Déclarer un incident",
        "alerts.declare_submit": "Déclarer l'incident",
        "alerts.dismiss": "Écarter l'alerte",
        "alerts.field.title": "Intitulé de l'incident",
        "alerts.field.severity": "Gravité de l'incident",
        "alerts.field.sites": "Sites touchés",
        "alerts.field.systems": "Systèmes touchés",
        # crisis.*
        "nav.audit": "Audit",
        "audit.title": "Journal d'audit",
        "audit.intro": (
            "Qui a fait quoi, et quand : les dernières entrées du journal chaîné. La "
            "vérification complète de la chaîne se fait avec « bascule journal verify »."
        ),
        "audit.head": "Dernière entrée : n° {seq}, empreinte {digest}",
        "audit.actor": "Acteur",
        "audit.count": "Nombre d'entrées",
        "audit.show": "Afficher",
        "audit.col.seq": "N°",
        "audit.col.kind": "Nature",
        "audit.col.entity": "Objet",
        "audit.empty": "Aucune entrée pour ce filtre.",
        "nav.crisis": "Cellule de crise",
        "nav.incidents": "Incidents",
        "nav.alerts": "Alertes",
        "crisis.board.title": "Tableau de situation",
        "crisis.board.caption": "État des sites et des systèmes au {moment}",
        "crisis.board.confirm_minutes": "À reconfirmer dans (min)",
        "crisis.board.feed_ok": "actif",
        "crisis.board.feed_silent": "muet",
        "crisis.board.feeds": "Flux",
        "crisis.board.history": "Historique des changements d'état",
        "crisis.board.kit_line": "{behind} entrées de retard, vu à {moment}",
        "crisis.board.kits": "Kits de continuité",
        "crisis.board.no_agent": "aucun agent",
        "crisis.board.no_feed": "aucun flux",
        "crisis.board.no_incident": "Aucun incident ouvert.",
        "crisis.board.open_incidents": "Incidents ouverts",
        "crisis.board.pending_alerts": "{count} alerte(s) de sécurité en attente de décision",
        "crisis.board.report": "Signaler un état",
        "crisis.board.report_button": "Enregistrer l'état",
        "crisis.board.since": "depuis {moment}",
        "crisis.board.status": "Sites et systèmes",
        "crisis.board.unconfirmed": "à reconfirmer depuis {moment}",
        "crisis.col.at": "Heure",
        "crisis.col.author": "Auteur",
        "crisis.col.capacity": "Capacité",
        "crisis.col.category": "Catégorie",
        "crisis.col.confirmed": "Confirmation",
        "crisis.col.declared": "Déclaré",
        "crisis.col.due": "Échéance",
        "crisis.col.incident": "Incident",
        "crisis.col.note": "Note",
        "crisis.col.number": "N°",
        "crisis.col.phase": "Phase",
        "crisis.col.role": "Rôle",
        "crisis.col.since": "Depuis",
        "crisis.col.site": "Site",
        "crisis.col.state": "État",
        "crisis.col.system": "Système",
        "crisis.col.task": "Tâche",
        "crisis.col.text": "Texte",
        "crisis.declare.button": "Déclarer l'incident",
        "crisis.declare.incident_title": "Intitulé",
        "crisis.declare.severity": "Gravité",
        "crisis.declare.sites": "Sites touchés",
        "crisis.declare.systems": "Systèmes touchés",
        "crisis.declare.title": "Déclarer un incident",
        "crisis.history.change": "Changement",
        "crisis.history.empty": "Aucun changement d'état enregistré.",
        "crisis.history.title": "Historique des états",
        "crisis.incident.move_to": "Passer en phase",
        "crisis.incident.phase_button": "Changer de phase",
        "crisis.incident.reopen_button": "Rouvrir l'incident",
        "crisis.incidents.title": "Incidents",
        "crisis.logbook.add": "Ajouter à la main courante",
        "crisis.logbook.corrects": "[rectifie le n° {number}]",
        "crisis.logbook.corrects_field": "Rectifie l'entrée n°",
        "crisis.logbook.empty": "La main courante est vide.",
        "crisis.logbook.export": "Exporter la main courante (PDF)",
        "crisis.logbook.pdf_title": "Main courante – {incident} – {title}",
        "crisis.logbook.latest": "Les {shown} dernières entrées sur {total}.",
        "crisis.logbook.all": "Toute la main courante",
        "crisis.timeline.latest": "Les {shown} derniers événements sur {total}.",
        "crisis.logbook.title": "Main courante",
        "crisis.none": "aucun",
        "crisis.overdue": "en retard",
        "crisis.pdf.digest": "Empreinte SHA-256 du contenu : {digest}",
        "crisis.pdf.printed": "Imprimé le {printed}",
        "crisis.sitrep.breaches": "Délais cliniques dépassés",
        "crisis.sitrep.decisions": "Décisions depuis le point précédent",
        "crisis.sitrep.events": "Événements depuis le point précédent",
        "crisis.sitrep.heading": "Point de situation n° {number} – {incident}",
        "crisis.sitrep.issue": "Établir le point de situation",
        "crisis.sitrep.issued": "Établi le {moment} par {by}",
        "crisis.sitrep.next_meeting": "Prochaine réunion",
        "crisis.sitrep.no_replan": "Aucune replanification en vigueur.",
        "crisis.sitrep.none_yet": "Aucun point de situation établi.",
        "crisis.sitrep.patient_km": "Kilomètres parcourus par les patients réorientés",
        "crisis.sitrep.replan": "Replanification du bloc",
        "crisis.sitrep.replan_applied": (
            "Appliquée le {moment}, à partir du {first_day} sur {days} jour(s)"
        ),
        "crisis.sitrep.replan_line": (
            "Appliquée le {applied} : {outcomes} ; délais dépassés {breaches} ; {km} km patients"
        ),
        "crisis.sitrep.status": "État par site et système",
        "crisis.sitrep.summary": "phase {phase}, gravité {severity}, déclaré le {declared}",
        "crisis.sitrep.task_counts": (
            "{total} tâches : {done} faite(s), {open} ouverte(s), dont {overdue} en retard"
        ),
        "crisis.sitrep.tasks": "Tâches de la phase en cours",
        "crisis.sitrep.title": "Points de situation",
        "crisis.tasks.done_by": "Fait par {by} le {moment}",
        "crisis.tasks.done_of": "{done} / {total}",
        "crisis.tasks.due": "échéance {moment}",
        "crisis.tasks.mark_done": "Fait",
        "crisis.tasks.overdue_count": "{count} tâche(s) en retard :",
        "crisis.tasks.owner": "Responsable",
        "crisis.tasks.reopen": "Rouvrir",
        "crisis.tasks.save": "Enregistrer",
        "crisis.tasks.skip": "Sans objet",
        "crisis.tasks.title": "Tâches du plan d'urgence",
        "crisis.timeline.title": "Chronologie",
        "crisis.timeline.declared": "Déclaration",
        "crisis.timeline.phase": "Phase",
        "crisis.timeline.status": "État",
        "crisis.timeline.logbook": "Main courante",
        "crisis.timeline.task": "Tâche",
        "crisis.timeline.sitrep": "Point de situation",
        "crisis.timeline.alert": "Alerte",
        "crisis.category.event": "Événement",
        "crisis.category.decision": "Décision",
        "crisis.category.action": "Action",
        "crisis.category.communication": "Communication",
        "crisis.category.inject": "Injection (exercice)",
        "crisis.outcome.kept": "maintenues",
        "crisis.outcome.moved": "déplacées",
        "crisis.outcome.redirected": "réorientées",
        "crisis.outcome.postponed": "reportées",
        "crisis.outcome.waiting": "en attente",
        "crisis.phase.alert": "Alerte",
        "crisis.phase.containment": "Confinement",
        "crisis.phase.degraded": "Mode dégradé",
        "crisis.phase.recovery": "Reprise",
        "crisis.phase.closed": "Clos",
        "crisis.severity.minor": "mineure",
        "crisis.severity.moderate": "modérée",
        "crisis.severity.major": "majeure",
        "crisis.severity.critical": "critique",
        "crisis.state.normal": "Normal",
        "crisis.state.degraded": "Dégradé",
        "crisis.state.down": "À l'arrêt",
        "crisis.state.unknown": "Non renseigné",
        "crisis.system.site": "Site (capacité)",
        "crisis.system.ehr": "Dossier patient",
        "crisis.system.or-scheduling": "Planification du bloc",
        "crisis.system.lab": "Laboratoire",
        "crisis.system.imaging": "Imagerie",
        "crisis.system.pharmacy": "Pharmacie",
        "crisis.system.phones": "Téléphonie",
        "crisis.system.network": "Réseau",
        "crisis.system.email": "Messagerie",
        "crisis.task_status.open": "À faire",
        "crisis.task_status.done": "Fait",
        "crisis.task_status.skipped": "Sans objet",
    },
    "en": {
        "app.tagline": "Group business continuity",
        "nav.sites": "Sites",
        "nav.main": "Main navigation",
        "lang.other": "Français",
        "lang.other_code": "fr",
        "footer.database": "Database: {description}",
        "footer.journal": "Journal: entry #{seq}",
        "footer.generated": "Page generated {moment}",
        "sites.title": "Sites of the group",
        "sites.intro": "Capacity and activity of each site, as recorded in the journal.",
        "sites.empty": "No site is registered in this database yet.",
        "sites.caption": "Capacity and activity per site",
        "sites.total": "Group total",
        "sites.total_note": (
            "Surgeons and patients: distinct people in the group; the same person may "
            "work at or be known to several sites."
        ),
        "col.site": "Site",
        "col.city": "City",
        "col.theatres": "Operating theatres",
        "col.wards": "Wards",
        "col.beds": "Beds",
        "col.occupied": "Occupied beds",
        "col.occupancy": "Occupancy",
        "col.surgeons": "Surgeons",
        "col.patients": "Patients",
        "col.booked": "Booked cases",
        "site.identifier": "Identifier",
        "site.specialties": "Specialties",
        "site.none": "none",
        "site.figures": "Key figures",
        "site.back": "All sites",
        "site.paper": "Paper packet and forms out on paper",
        "paper.title": "Paper",
        "paper.day": "Day",
        "paper.parts": "Contents",
        "paper.part.or-lists": "Operating lists",
        "paper.part.census": "Bed census",
        "paper.part.sheets": "Patient sheets",
        "paper.part.labels": "Labels",
        "paper.part.forms": "Forms",
        "paper.part.call-list": "Patients to call",
        "paper.part.downtime": "Downtime identifiers",
        "paper.print": "Print (PDF)",
        "paper.outstanding": "Forms to hand back",
        "paper.none_out": "No form is out on paper.",
        "paper.col.form": "Form",
        "paper.col.title": "Document",
        "paper.col.ward": "Ward",
        "paper.col.patient": "Patient",
        "paper.col.day": "Day",
        "paper.col.by": "Printed by",
        "paper.kit_title": "Printing from the local kit",
        "paper.kit_intro": "No group server: the packet comes from the newest verified kit in",
        "paper.passphrase": "Kit passphrase",
        "paper.day_default": "(default: the kit's day)",
        "paper.pending": "Forms printed offline, to register on the server",
        "paper.pending_help": "When the server is back: bascule paper register FILE.forms.json",
        "error.back": "Back to the list of sites",
        "error.status.400": "Request refused",
        "error.status.404": "Not found",
        "error.status.405": "Method not allowed",
        "error.status.422": "Incomplete request",
        "error.status.500": "Internal error",
        "error.status.503": "Service unavailable",
        "error.status.other": "Error",
        "error.no_page": "There is no page at {path}.",
        "error.internal": "An unexpected error occurred; it is recorded in the server log.",
        "not_available": "—",
        # auth.*
        "auth.title": "Sign in",
        "auth.intro": "Crisis cell: sign in with your personal account.",
        "auth.username": "Username",
        "auth.password": "Password",
        "auth.submit": "Sign in",
        "auth.help": "No account yet? An administrator creates one with 'bascule user add'.",
        "auth.wrong": "Wrong username or password.",
        "auth.form_expired": "The sign-in form has expired: please try again.",
        "auth.throttled": "Too many failed sign-ins: try again in {minutes} min.",
        "auth.signed_in_as": "Signed in as {name} ({role})",
        "auth.sign_out": "Sign out",
        "auth.role.crisis-lead": "crisis lead",
        "auth.role.site-manager": "site manager",
        "auth.role.or-scheduler": "OR scheduler",
        "auth.role.clerk": "clerk",
        "auth.role.viewer": "viewer",
        "auth.role.auditor": "auditor",
        "auth.role.identity-vigilance": "identity vigilance",
        "auth.status.401": "Sign-in required",
        "auth.status.403": "Access denied",
        "auth.status.429": "Too many attempts",
        # alerts.*
        "alerts.title": "Security alerts",
        "alerts.intro": (
            "Alerts from the detection sensors (Suricata, Wazuh), grouped by signature, machine "
            "and site. Proposed alerts await the crisis cell's decision: declare an incident, "
            "or dismiss the alert."
        ),
        "alerts.pending": "Awaiting a decision",
        "alerts.none_pending": "No alert awaits a decision.",
        "alerts.recent": "Recent alerts",
        "alerts.none": "No other alert received.",
        "alerts.col.severity": "Severity",
        "alerts.col.signature": "Signature",
        "alerts.col.host": "Machine",
        "alerts.col.count": "Occurrences",
        "alerts.col.first_seen": "First seen",
        "alerts.col.last_seen": "Last seen",
        "alerts.col.status": "Status",
        "alerts.col.decision": "Decision",
        "alerts.severity.1": "high",
        "alerts.severity.2": "medium",
        "alerts.severity.3": "low",
        "alerts.status.proposed": "awaiting decision",
        "alerts.status.logged": "logged",
        "alerts.status.dismissed": "dismissed",
        "alerts.status.declared": "incident declared",
        "alerts.rule": "rule {rule}",
        "alerts.no_site": "unknown site",
        "alerts.decided_by": "by {name}",
        "alerts.incident": "Incident {id}",
        "alerts.declare": "Declare an incident",
        "alerts.declare_submit": "Declare the incident",
        "alerts.dismiss": "Dismiss",
        "alerts.field.title": "Incident title",
        "alerts.field.severity": "Incident severity",
        "alerts.field.sites": "Affected sites",
        "alerts.field.systems": "Affected systems",
        # crisis.*
        "nav.audit": "Audit",
        "audit.title": "Audit trail",
        "audit.intro": (
            "Who did what, and when: the latest entries of the hash-chained journal. Verify "
            "the whole chain with 'bascule journal verify'."
        ),
        "audit.head": "Last entry: no. {seq}, hash {digest}",
        "audit.actor": "Actor",
        "audit.count": "Entries",
        "audit.show": "Show",
        "audit.col.seq": "No.",
        "audit.col.kind": "Kind",
        "audit.col.entity": "Entity",
        "audit.empty": "No entry for this filter.",
        "nav.crisis": "Crisis cell",
        "nav.incidents": "Incidents",
        "nav.alerts": "Alerts",
        "crisis.board.title": "Status board",
        "crisis.board.caption": "Sites and systems as of {moment}",
        "crisis.board.confirm_minutes": "Confirm again within (min)",
        "crisis.board.feed_ok": "live",
        "crisis.board.feed_silent": "silent",
        "crisis.board.feeds": "Feeds",
        "crisis.board.history": "History of state changes",
        "crisis.board.kit_line": "{behind} entries behind, seen at {moment}",
        "crisis.board.kits": "Continuity kits",
        "crisis.board.no_agent": "no agent",
        "crisis.board.no_feed": "no feed",
        "crisis.board.no_incident": "No open incident.",
        "crisis.board.open_incidents": "Open incidents",
        "crisis.board.pending_alerts": "{count} security alert(s) awaiting a decision",
        "crisis.board.report": "Report a status",
        "crisis.board.report_button": "Record status",
        "crisis.board.since": "since {moment}",
        "crisis.board.status": "Sites and systems",
        "crisis.board.unconfirmed": "to confirm since {moment}",
        "crisis.col.at": "Time",
        "crisis.col.author": "Author",
        "crisis.col.capacity": "Capacity",
        "crisis.col.category": "Category",
        "crisis.col.confirmed": "Confirmation",
        "crisis.col.declared": "Declared",
        "crisis.col.due": "Due",
        "crisis.col.incident": "Incident",
        "crisis.col.note": "Note",
        "crisis.col.number": "No.",
        "crisis.col.phase": "Phase",
        "crisis.col.role": "Role",
        "crisis.col.since": "Since",
        "crisis.col.site": "Site",
        "crisis.col.state": "State",
        "crisis.col.system": "System",
        "crisis.col.task": "Task",
        "crisis.col.text": "Text",
        "crisis.declare.button": "Declare the incident",
        "crisis.declare.incident_title": "Title",
        "crisis.declare.severity": "Severity",
        "crisis.declare.sites": "Affected sites",
        "crisis.declare.systems": "Affected systems",
        "crisis.declare.title": "Declare an incident",
        "crisis.history.change": "Change",
        "crisis.history.empty": "No change of state recorded.",
        "crisis.history.title": "Status history",
        "crisis.incident.move_to": "Move to phase",
        "crisis.incident.phase_button": "Change phase",
        "crisis.incident.reopen_button": "Re-open the incident",
        "crisis.incidents.title": "Incidents",
        "crisis.logbook.add": "Add to the logbook",
        "crisis.logbook.corrects": "[corrects no. {number}]",
        "crisis.logbook.corrects_field": "Corrects entry no.",
        "crisis.logbook.empty": "The logbook is empty.",
        "crisis.logbook.export": "Export the logbook (PDF)",
        "crisis.logbook.pdf_title": "Logbook – {incident} – {title}",
        "crisis.logbook.latest": "The latest {shown} of {total} entries.",
        "crisis.logbook.all": "The whole logbook",
        "crisis.timeline.latest": "The latest {shown} of {total} events.",
        "crisis.logbook.title": "Logbook (main courante)",
        "crisis.none": "none",
        "crisis.overdue": "overdue",
        "crisis.pdf.digest": "SHA-256 of the content: {digest}",
        "crisis.pdf.printed": "Printed {printed}",
        "crisis.sitrep.breaches": "Clinical deadlines breached",
        "crisis.sitrep.decisions": "Decisions since the previous report",
        "crisis.sitrep.events": "Events since the previous report",
        "crisis.sitrep.heading": "SITREP no. {number} – {incident}",
        "crisis.sitrep.issue": "Issue the SITREP",
        "crisis.sitrep.issued": "Issued {moment} by {by}",
        "crisis.sitrep.next_meeting": "Next meeting",
        "crisis.sitrep.no_replan": "No re-plan in force.",
        "crisis.sitrep.none_yet": "No SITREP issued yet.",
        "crisis.sitrep.patient_km": "Kilometres travelled by redirected patients",
        "crisis.sitrep.replan": "Operating-room re-plan",
        "crisis.sitrep.replan_applied": "Applied {moment}, from {first_day} over {days} day(s)",
        "crisis.sitrep.replan_line": (
            "Applied {applied}: {outcomes}; deadlines breached {breaches}; {km} patient km"
        ),
        "crisis.sitrep.status": "Status by site and system",
        "crisis.sitrep.summary": "phase {phase}, severity {severity}, declared {declared}",
        "crisis.sitrep.task_counts": (
            "{total} tasks: {done} done, {open} open, {overdue} of them overdue"
        ),
        "crisis.sitrep.tasks": "Tasks of the current phase",
        "crisis.sitrep.title": "Situation reports",
        "crisis.tasks.done_by": "Done by {by} on {moment}",
        "crisis.tasks.done_of": "{done} / {total}",
        "crisis.tasks.due": "due {moment}",
        "crisis.tasks.mark_done": "Done",
        "crisis.tasks.overdue_count": "{count} task(s) overdue:",
        "crisis.tasks.owner": "Owner",
        "crisis.tasks.reopen": "Re-open",
        "crisis.tasks.save": "Save",
        "crisis.tasks.skip": "Not applicable",
        "crisis.tasks.title": "Emergency plan tasks",
        "crisis.timeline.title": "Timeline",
        "crisis.timeline.declared": "Declared",
        "crisis.timeline.phase": "Phase",
        "crisis.timeline.status": "Status",
        "crisis.timeline.logbook": "Logbook",
        "crisis.timeline.task": "Task",
        "crisis.timeline.sitrep": "SITREP",
        "crisis.timeline.alert": "Alert",
        "crisis.category.event": "Event",
        "crisis.category.decision": "Decision",
        "crisis.category.action": "Action",
        "crisis.category.communication": "Communication",
        "crisis.category.inject": "Inject (exercise)",
        "crisis.outcome.kept": "kept",
        "crisis.outcome.moved": "moved",
        "crisis.outcome.redirected": "redirected",
        "crisis.outcome.postponed": "postponed",
        "crisis.outcome.waiting": "waiting",
        "crisis.phase.alert": "Alert",
        "crisis.phase.containment": "Containment",
        "crisis.phase.degraded": "Degraded operation",
        "crisis.phase.recovery": "Recovery",
        "crisis.phase.closed": "Closed",
        "crisis.severity.minor": "minor",
        "crisis.severity.moderate": "moderate",
        "crisis.severity.major": "major",
        "crisis.severity.critical": "critical",
        "crisis.state.normal": "Normal",
        "crisis.state.degraded": "Degraded",
        "crisis.state.down": "Down",
        "crisis.state.unknown": "Not reported",
        "crisis.system.site": "Site (capacity)",
        "crisis.system.ehr": "Patient record (EHR)",
        "crisis.system.or-scheduling": "OR scheduling",
        "crisis.system.lab": "Laboratory",
        "crisis.system.imaging": "Imaging",
        "crisis.system.pharmacy": "Pharmacy",
        "crisis.system.phones": "Phones",
        "crisis.system.network": "Network",
        "crisis.system.email": "Email",
        "crisis.task_status.open": "To do",
        "crisis.task_status.done": "Done",
        "crisis.task_status.skipped": "Not applicable",
    },
}

_DATE_FORMATS = {"fr": "%d/%m/%Y à %H:%M %Z", "en": "%Y-%m-%d %H:%M %Z"}
_SHORT_FORMATS = {"fr": "%d/%m %H:%M", "en": "%m-%d %H:%M"}
# French typography: no-break space as thousands separator and before the percent sign.
_NBSP = "\u00a0"


def negotiate(query_lang: str | None, accept_language: str | None) -> tuple[str, bool]:
    """The language to use and whether the user chose it explicitly with ``?lang=``."""
    if query_lang in MESSAGES:
        return query_lang, True
    best, best_quality = DEFAULT_LANGUAGE, 0.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.split("-")[0].strip().lower()
        quality = _quality(params)
        if primary in MESSAGES and quality > best_quality:
            best, best_quality = primary, quality
    return best, False


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


@dataclass(frozen=True, slots=True)
class Translator:
    """Strings, numbers and instants in one language, and links that keep it."""

    lang: str
    explicit: bool = False

    def __call__(self, key: str, **values: object) -> str:
        """The message ``key``, with ``{name}`` placeholders filled from ``values``."""
        return MESSAGES[self.lang][key].format(**values)

    def number(self, value: int) -> str:
        """An integer with the language's thousands separator."""
        text = f"{value:,}"
        return text.replace(",", _NBSP) if self.lang == "fr" else text

    def percent(self, share: float) -> str:
        """A share between 0 and 1 as a percentage with one decimal."""
        if self.lang == "fr":
            return f"{share * 100:.1f}".replace(".", ",") + f"{_NBSP}%"
        return f"{share * 100:.1f}%"

    def moment(self, instant: datetime) -> str:
        """An instant in the group's local time."""
        local = local_time(instant)
        return local.strftime(_DATE_FORMATS[self.lang])

    def since(self, instant: datetime, now: datetime) -> str:
        """An instant as a board cell shows it: the time alone when it is today's."""
        local, today = local_time(instant), local_time(now).date()
        if local.date() == today:
            return local.strftime("%H:%M")
        return local.strftime(_SHORT_FORMATS[self.lang])

    def link(self, path: str) -> str:
        """``path``, carrying ``?lang=`` along when the user chose the language by URL."""
        return f"{path}?lang={self.lang}" if self.explicit else path

    @property
    def other(self) -> str:
        """The other language's code, for the language switch."""
        return self("lang.other_code")

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
        "recovery.identities.title": "Identitovigilance des admissions ressaisies",
        "recovery.identities.intro": (
            "Chaque admission confirmée est rapprochée de l'index des patients. Un rapprochement "
            "sûr est lié d'office ; un rapprochement douteux attend ici qu'une personne de la "
            "cellule d'identitovigilance compare les traits et décide : lier à l'un des "
            "candidats, ou créer une nouvelle identité provisoire. Rien n'est fusionné : un lien "
            "s'annule."
        ),
        "recovery.identities.matched": (
            "Rapprochement fait : {linked} liée(s) d'office, {queued} en attente de décision, "
            "{new} nouvelle(s) identité(s) provisoire(s)."
        ),
        "recovery.identities.unmatched": "Admissions confirmées pas encore rapprochées : {count}.",
        "recovery.identities.match": "Rapprocher les admissions confirmées",
        "recovery.identities.read_only": (
            "Consultation seule : seule la cellule d'identitovigilance lie ou sépare les identités."
        ),
        "recovery.identities.queue": "Identités à décider",
        "recovery.identities.queue_empty": "Aucune identité n'attend de décision.",
        "recovery.identities.form": "Formulaire {form}",
        "recovery.identities.downtime": "n° de secours {id}",
        "recovery.identities.matched_at": "Rapprochée le {moment}",
        "recovery.identities.see_form": "voir le formulaire",
        "recovery.identities.col.trait": "Trait",
        "recovery.identities.col.typed": "Saisi sur le papier",
        "recovery.identities.col.candidate": "Candidat {number} : {patient}",
        "recovery.identities.col.score": "Score (bits)",
        "recovery.identities.col.vetoes": "Veto",
        "recovery.identities.col.by": "Par",
        "recovery.identities.col.at": "Le",
        "recovery.identities.col.undo": "Annuler",
        "recovery.identities.no_veto": "aucun",
        "recovery.identities.unknown_patient": "(absent de l'index)",
        "recovery.identities.link": "Lier à ce patient",
        "recovery.identities.new": "Nouvelle identité provisoire",
        "recovery.identities.new_help": (
            "Aucun candidat n'est cette personne : une nouvelle identité provisoire est créée "
            "avec les traits saisis et le n° de secours."
        ),
        "recovery.identities.unlink": "Annuler le lien",
        "recovery.identities.recent": "Identités décidées récemment ({count} au plus)",
        "recovery.identities.automatic": "rapprochement automatique",
        "recovery.identities.status.linked": "liée",
        "recovery.identities.status.new": "nouvelle identité provisoire",
        "recovery.identities.status.queued": "en attente",
        "recovery.identities.done.linked": (
            "Formulaire {form} : identité liée au patient {patient}."
        ),
        "recovery.identities.done.new": (
            "Formulaire {form} : nouvelle identité provisoire {patient}."
        ),
        "recovery.identities.done.queued": (
            "Formulaire {form} : lien annulé, l'identité attend une nouvelle décision."
        ),
        "recovery.identities.pair": "{trait} : {level}",
        "recovery.identities.trait.family_name": "nom de famille",
        "recovery.identities.trait.given_name": "prénom",
        "recovery.identities.trait.birth_date": "date de naissance",
        "recovery.identities.trait.sex": "sexe",
        "recovery.identities.trait.birth_place": "lieu de naissance",
        "recovery.identities.trait.nir": "NIR",
        "recovery.identities.trait.names": "noms",
        "recovery.identities.trait.residence": "commune de résidence",
        "recovery.identities.trait.phone_or_e_mail": "téléphone ou courriel",
        "recovery.identities.level.nearly_equal": "presque identique",
        "recovery.identities.level.exact": "identique",
        "recovery.identities.level.equal": "identique",
        "recovery.identities.level.part_of_a_compound_name": "partie d'un nom composé",
        "recovery.identities.level.another_of_the_given_names": "un autre des prénoms",
        "recovery.identities.level.same_sound": "même son",
        "recovery.identities.level.one_keystroke_off": "une frappe d'écart",
        "recovery.identities.level.similar_spelling": "orthographe voisine",
        "recovery.identities.level.different": "différent",
        "recovery.identities.level.missing": "absent",
        "recovery.identities.level.day_and_month_transposed": "jour et mois inversés",
        "recovery.identities.level.one_digit_wrong_or_two_swapped": (
            "un chiffre faux ou deux inversés"
        ),
        "recovery.identities.level.within_a_month": "à moins d'un mois",
        "recovery.identities.level.same_year": "même année",
        "recovery.identities.level.typed_nir_fails_its_key": "NIR saisi : clé fausse",
        "recovery.identities.level.typed_nir_contradicts_the_birth_date_or_sex": (
            "NIR saisi contraire à la date de naissance ou au sexe"
        ),
        "recovery.identities.level.family_and_given_name_swapped": "nom et prénom inversés",
        "recovery.identities.veto.no_name_agrees": "aucun nom ne concorde",
        "recovery.conflicts.title": "Conflits avec le dossier central",
        "recovery.conflicts.intro": (
            "Le papier confirmé dit une chose, le dossier central, modifié pendant l'incident, "
            "en dit une autre. Rien n'est écrasé : comparez les deux versions, leurs auteurs et "
            "leurs heures, puis gardez l'une des deux, en notant pourquoi."
        ),
        "recovery.conflicts.read_only": (
            "Consultation seule : les conflits sont tranchés par le directeur de crise, le "
            "responsable du site ou le régulateur du bloc."
        ),
        "recovery.conflicts.open": "Conflits à trancher",
        "recovery.conflicts.none": "Aucun conflit n'attend de décision.",
        "recovery.conflicts.col.source": "Source",
        "recovery.conflicts.col.version": "Version",
        "recovery.conflicts.paper": "Papier",
        "recovery.conflicts.central": "Dossier central",
        "recovery.conflicts.note": "Note (pourquoi ce choix)",
        "recovery.conflicts.note_help": "Par exemple : confirmé par le bloc, cahier de salle vu.",
        "recovery.conflicts.note_too_long": "Note : {limit} caractères au plus.",
        "recovery.conflicts.keep.paper": "Garder le papier",
        "recovery.conflicts.keep.central": "Garder la version centrale",
        "recovery.conflicts.done.paper": "Formulaire {form} : papier gardé par {by}.",
        "recovery.conflicts.done.central": (
            "Formulaire {form} : version centrale gardée par {by}."
        ),
        "recovery.conflicts.field.operated_on": "Intervention réalisée",
        "recovery.conflicts.version.day": "{word} le {day}",
        "recovery.conflicts.version.no_day": "{word}, sans date",
        "recovery.conflicts.word.operated": "opéré",
        "recovery.conflicts.word.booked": "programmé",
        "recovery.conflicts.word.done": "fait",
        "recovery.conflicts.word.postponed": "reporté",
        "recovery.conflicts.word.redirected": "réorienté",
        "recovery.conflicts.word.cancelled": "annulé",
        "recovery.waiver.link": "Dérogation de clôture",
        "recovery.waiver.title": "Dérogation de clôture",
        "recovery.waiver.intro": (
            "Le directeur de crise peut décider de clore l'incident alors que du travail de "
            "reprise reste en suspens. La décision est journalisée avec sa raison et ce qui "
            "restait à faire."
        ),
        "recovery.waiver.problems": "Problèmes à corriger : {count}.",
        "recovery.waiver.incident": "Incident",
        "recovery.waiver.reason": "Raison",
        "recovery.waiver.help": "Pourquoi l'incident peut être clos malgré le travail restant.",
        "recovery.waiver.button": "Enregistrer la dérogation",
        "recovery.waiver.no_incident": "Choisissez un incident ouvert.",
        "recovery.waiver.reason_short": "Raison : {count} caractères au moins.",
        "recovery.waiver.reason_long": "Raison : {count} caractères au plus.",
        "nav.recovery": "Ressaisie",
        "recovery.title": "Ressaisie du papier",
        "recovery.intro": (
            "Chaque formulaire rempli à la main pendant l'incident est scanné puis saisi. Les "
            "formulaires critiques sont saisis deux fois, par deux agents différents, sans voir "
            "la première saisie ; une troisième personne tranche les écarts ; rien n'est "
            "définitif avant d'être confirmé."
        ),
        "recovery.done": "Formulaire {form} : {status}.",
        "recovery.no_incident": (
            "Aucun incident n'est déclaré : déclarez d'abord l'incident, la ressaisie vérifie "
            "les heures par rapport à sa période."
        ),
        "recovery.window": (
            "Période de l'incident {incident} : depuis le {moment}. Les heures saisies doivent "
            "s'y trouver."
        ),
        "recovery.scan.label": "Code scanné ou n° de formulaire",
        "recovery.scan.help": (
            "Scannez le QR code du formulaire (la douchette tape le code puis Entrée), ou tapez "
            "le n° imprimé, par exemple 7YT3-V7XC-Y126."
        ),
        "recovery.scan.button": "Ouvrir le formulaire",
        "recovery.progress.title": "Avancement",
        "recovery.progress.caption": "Formulaires à ressaisir, par site et par unité",
        "recovery.progress.note": (
            "Saisis deux fois : formulaires critiques dont les deux saisies sont validées, sur "
            "le nombre de formulaires critiques ouverts. Restants : imprimés et pas encore "
            "confirmés."
        ),
        "recovery.progress.none": "Aucun formulaire à ressaisir n'a été imprimé.",
        "recovery.close.yes": "Rien n'est en suspens : l'incident peut être clos.",
        "recovery.close.waived": (
            "Du travail reste en suspens, mais une dérogation de clôture est enregistrée pour "
            "{incident} : l'incident peut être clos."
        ),
        "recovery.close.no": (
            "L'incident ne peut pas encore être clos : du travail de reprise reste en suspens."
        ),
        "recovery.pending.forms": "Formulaires restants",
        "recovery.pending.identities": "Identités en attente d'identitovigilance",
        "recovery.pending.conflicts": "Conflits avec le dossier central",
        "recovery.pending.patients": "Patients reportés sans nouvelle date",
        "recovery.col.ward": "Unité",
        "recovery.col.issued": "Imprimés",
        "recovery.col.returned": "Rendus",
        "recovery.col.typed": "Saisis",
        "recovery.col.double_checked": "Saisis deux fois",
        "recovery.col.confirmed": "Confirmés",
        "recovery.col.outstanding": "Restants",
        "recovery.col.form": "Formulaire",
        "recovery.col.document": "Document",
        "recovery.col.patient": "Patient",
        "recovery.col.passes": "Saisies",
        "recovery.col.opened": "Ouvert le",
        "recovery.col.clerk": "Agent",
        "recovery.col.forms": "Formulaires",
        "recovery.col.fields": "Champs comparés",
        "recovery.col.errors": "Erreurs",
        "recovery.col.rate": "Taux d'erreur",
        "recovery.col.field": "Champ",
        "recovery.col.value": "Valeur",
        "recovery.col.decision": "Décision",
        "recovery.total": "Total",
        "recovery.no_ward": "sans unité",
        "recovery.list.typing": "En cours de saisie",
        "recovery.list.second_entry": "En attente de deuxième saisie",
        "recovery.list.to_decide": "Écarts à trancher",
        "recovery.list.to_confirm": "À confirmer",
        "recovery.list.none": "Aucun.",
        "recovery.list.more": "… et {count} autres, plus récents.",
        "recovery.pass": "n° {number} : {clerk} ({status})",
        "recovery.entry_status.draft": "brouillon",
        "recovery.entry_status.submitted": "validée",
        "recovery.status.typing": "en cours de saisie",
        "recovery.status.second_entry": "en attente de deuxième saisie",
        "recovery.status.to_decide": "écarts à trancher",
        "recovery.status.to_confirm": "à confirmer",
        "recovery.status.confirmed": "confirmé",
        "recovery.rates.title": "Taux d'erreur par agent de saisie",
        "recovery.rates.intro": (
            "Mesuré sur les doubles saisies tranchées : un champ compte comme une erreur quand "
            "la décision n'a pas retenu la saisie de l'agent. Deux agents qui font la même "
            "erreur passent inaperçus : ces taux sont des minima."
        ),
        "recovery.rates.none": "Aucune double saisie tranchée pour l'instant.",
        "recovery.form.status": "État",
        "recovery.form.case": "Intervention",
        "recovery.form.double_entry": "Double saisie",
        "recovery.form.double_entry_yes": (
            "oui : deux agents différents, écarts tranchés par une troisième personne"
        ),
        "recovery.form.double_entry_no": "non : une saisie, puis une confirmation",
        "recovery.form.opened": "Ouvert",
        "recovery.form.no_pass": "Pas encore saisi.",
        "recovery.form.decided": "Écarts tranchés par",
        "recovery.form.confirmed": "Confirmé",
        "recovery.form.typing_title": "Saisie n° {number}",
        "recovery.form.blind": (
            "Deuxième saisie, en aveugle : la première n'est pas affichée. Tapez ce que dit le "
            "papier."
        ),
        "recovery.form.draft_saved": "Votre brouillon, enregistré le {moment}.",
        "recovery.form.problems": (
            "Problèmes à corriger : {count}. La saisie est gardée en brouillon."
        ),
        "recovery.form.required": "obligatoire",
        "recovery.form.required_note": "* : champ obligatoire pour valider la saisie.",
        "recovery.form.save_draft": "Enregistrer le brouillon",
        "recovery.form.submit": "Valider la saisie",
        "recovery.form.read_only": (
            "Consultation seule : votre rôle ne permet pas de ressaisir les formulaires du site "
            "{site}."
        ),
        "recovery.form.own_submitted": "Vous avez validé la saisie n° {number}.",
        "recovery.form.another_clerk": "La deuxième saisie doit être faite par un autre agent.",
        "recovery.form.taken": "Ce formulaire est déjà saisi par {clerks}.",
        "recovery.form.own_values": "Votre saisie",
        "recovery.form.to_decide": (
            "Les deux saisies ne concordent pas : une troisième personne tranche les écarts."
        ),
        "recovery.form.decide_link": "Trancher les écarts",
        "recovery.form.final_to_confirm": "Valeurs à confirmer",
        "recovery.form.final_confirmed": "Valeurs confirmées",
        "recovery.form.confirm_help": (
            "Relisez ces valeurs avec le papier sous les yeux : la confirmation les rend "
            "définitives."
        ),
        "recovery.form.confirm": "Confirmer le formulaire",
        "recovery.decision.first": "saisie n° 1",
        "recovery.decision.second": "saisie n° 2",
        "recovery.decision.other": "autre valeur",
        "recovery.decide.title": "Trancher les écarts",
        "recovery.decide.intro": (
            "Les deux saisies divergent sur ces champs. Reprenez le papier et choisissez, pour "
            "chacun, la bonne saisie, ou tapez la bonne valeur."
        ),
        "recovery.decide.typist": (
            "Vous avez saisi ce formulaire : une troisième personne doit trancher."
        ),
        "recovery.decide.problems": "Décisions à compléter : {count}.",
        "recovery.decide.first": "Saisie n° 1 ({clerk})",
        "recovery.decide.second": "Saisie n° 2 ({clerk})",
        "recovery.decide.empty": "(vide)",
        "recovery.decide.keep.first": "Garder la saisie n° 1",
        "recovery.decide.keep.second": "Garder la saisie n° 2",
        "recovery.decide.keep.other": "Autre valeur",
        "recovery.decide.other_value": "Valeur correcte",
        "recovery.decide.button": "Enregistrer les décisions",
        "recovery.decide.choose": "Choisissez la saisie n° 1, la saisie n° 2 ou une autre valeur.",
        "recovery.decide.other_missing": "Tapez la valeur correcte.",
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
        "recovery.identities.title": "Identity vigilance of re-entered admissions",
        "recovery.identities.intro": (
            "Every confirmed admission is matched against the patient index. A sure match is "
            "linked automatically; a doubtful one waits here for the identity-vigilance cell "
            "to compare the traits and decide: link it to one of the candidates, or create a "
            "new provisional identity. Nothing is merged: a link can be undone."
        ),
        "recovery.identities.matched": (
            "Matching done: {linked} linked automatically, {queued} awaiting a decision, {new} "
            "new provisional identities."
        ),
        "recovery.identities.unmatched": "Confirmed admissions not matched yet: {count}.",
        "recovery.identities.match": "Match the confirmed admissions",
        "recovery.identities.read_only": (
            "Read only: only the identity-vigilance cell links or separates identities."
        ),
        "recovery.identities.queue": "Identities to decide",
        "recovery.identities.queue_empty": "No identity awaits a decision.",
        "recovery.identities.form": "Form {form}",
        "recovery.identities.downtime": "downtime id {id}",
        "recovery.identities.matched_at": "Matched on {moment}",
        "recovery.identities.see_form": "see the form",
        "recovery.identities.col.trait": "Trait",
        "recovery.identities.col.typed": "Typed from paper",
        "recovery.identities.col.candidate": "Candidate {number}: {patient}",
        "recovery.identities.col.score": "Score (bits)",
        "recovery.identities.col.vetoes": "Vetoes",
        "recovery.identities.col.by": "By",
        "recovery.identities.col.at": "On",
        "recovery.identities.col.undo": "Undo",
        "recovery.identities.no_veto": "none",
        "recovery.identities.unknown_patient": "(not in the index)",
        "recovery.identities.link": "Link to this patient",
        "recovery.identities.new": "New provisional identity",
        "recovery.identities.new_help": (
            "None of the candidates is this person: a new provisional identity is created with "
            "the typed traits and the downtime id."
        ),
        "recovery.identities.unlink": "Undo the link",
        "recovery.identities.recent": "Identities decided lately (at most {count})",
        "recovery.identities.automatic": "automatic match",
        "recovery.identities.status.linked": "linked",
        "recovery.identities.status.new": "new provisional identity",
        "recovery.identities.status.queued": "waiting",
        "recovery.identities.done.linked": "Form {form}: identity linked to patient {patient}.",
        "recovery.identities.done.new": "Form {form}: new provisional identity {patient}.",
        "recovery.identities.done.queued": (
            "Form {form}: link undone, the identity awaits a new decision."
        ),
        "recovery.identities.pair": "{trait}: {level}",
        "recovery.identities.trait.family_name": "family name",
        "recovery.identities.trait.given_name": "given name",
        "recovery.identities.trait.birth_date": "birth date",
        "recovery.identities.trait.sex": "sex",
        "recovery.identities.trait.birth_place": "birth place",
        "recovery.identities.trait.nir": "NIR",
        "recovery.identities.trait.names": "names",
        "recovery.identities.trait.residence": "commune of residence",
        "recovery.identities.trait.phone_or_e_mail": "phone or e-mail",
        "recovery.identities.level.nearly_equal": "nearly equal",
        "recovery.identities.level.exact": "exact",
        "recovery.identities.level.equal": "equal",
        "recovery.identities.level.part_of_a_compound_name": "part of a compound name",
        "recovery.identities.level.another_of_the_given_names": "another of the given names",
        "recovery.identities.level.same_sound": "same sound",
        "recovery.identities.level.one_keystroke_off": "one keystroke off",
        "recovery.identities.level.similar_spelling": "similar spelling",
        "recovery.identities.level.different": "different",
        "recovery.identities.level.missing": "missing",
        "recovery.identities.level.day_and_month_transposed": "day and month transposed",
        "recovery.identities.level.one_digit_wrong_or_two_swapped": (
            "one digit wrong or two swapped"
        ),
        "recovery.identities.level.within_a_month": "within a month",
        "recovery.identities.level.same_year": "same year",
        "recovery.identities.level.typed_nir_fails_its_key": "typed NIR fails its key",
        "recovery.identities.level.typed_nir_contradicts_the_birth_date_or_sex": (
            "typed NIR contradicts the birth date or sex"
        ),
        "recovery.identities.level.family_and_given_name_swapped": (
            "family and given name swapped"
        ),
        "recovery.identities.veto.no_name_agrees": "no name agrees",
        "recovery.conflicts.title": "Conflicts with the central record",
        "recovery.conflicts.intro": (
            "The confirmed paper says one thing; the central record, changed during the "
            "incident, says another. Nothing is overwritten: compare both versions, their "
            "authors and times, then keep one of them, noting why."
        ),
        "recovery.conflicts.read_only": (
            "Read only: conflicts are decided by the crisis lead, the site manager or the OR "
            "scheduler."
        ),
        "recovery.conflicts.open": "Conflicts to decide",
        "recovery.conflicts.none": "No conflict awaits a decision.",
        "recovery.conflicts.col.source": "Source",
        "recovery.conflicts.col.version": "Version",
        "recovery.conflicts.paper": "Paper",
        "recovery.conflicts.central": "Central record",
        "recovery.conflicts.note": "Note (why this choice)",
        "recovery.conflicts.note_help": "For example: confirmed by the theatre, room log seen.",
        "recovery.conflicts.note_too_long": "Note: at most {limit} characters.",
        "recovery.conflicts.keep.paper": "Keep the paper",
        "recovery.conflicts.keep.central": "Keep the central version",
        "recovery.conflicts.done.paper": "Form {form}: paper kept by {by}.",
        "recovery.conflicts.done.central": "Form {form}: central version kept by {by}.",
        "recovery.conflicts.field.operated_on": "Operation performed",
        "recovery.conflicts.version.day": "{word} on {day}",
        "recovery.conflicts.version.no_day": "{word}, no date",
        "recovery.conflicts.word.operated": "operated",
        "recovery.conflicts.word.booked": "booked",
        "recovery.conflicts.word.done": "done",
        "recovery.conflicts.word.postponed": "postponed",
        "recovery.conflicts.word.redirected": "redirected",
        "recovery.conflicts.word.cancelled": "cancelled",
        "recovery.waiver.link": "Closure waiver",
        "recovery.waiver.title": "Closure waiver",
        "recovery.waiver.intro": (
            "The crisis lead may decide to close the incident while recovery work is still "
            "outstanding. The decision is journaled with its reason and what was left to do."
        ),
        "recovery.waiver.problems": "Problems to correct: {count}.",
        "recovery.waiver.incident": "Incident",
        "recovery.waiver.reason": "Reason",
        "recovery.waiver.help": "Why the incident may close despite the work left.",
        "recovery.waiver.button": "Record the waiver",
        "recovery.waiver.no_incident": "Choose an open incident.",
        "recovery.waiver.reason_short": "Reason: at least {count} characters.",
        "recovery.waiver.reason_long": "Reason: at most {count} characters.",
        "nav.recovery": "Re-entry",
        "recovery.title": "Re-entry of paper",
        "recovery.intro": (
            "Every form filled in by hand during the incident is scanned, then typed. Critical "
            "forms are typed twice, by two different clerks, without seeing the first typing; "
            "a third person settles the differences; nothing is final until confirmed."
        ),
        "recovery.done": "Form {form}: {status}.",
        "recovery.no_incident": (
            "No incident is declared: declare the incident first, re-entry checks times "
            "against its window."
        ),
        "recovery.window": (
            "Window of incident {incident}: since {moment}. Times typed must fall within it."
        ),
        "recovery.scan.label": "Scanned code or form number",
        "recovery.scan.help": (
            "Scan the form's QR code (the scanner types the code, then Enter), or type the "
            "printed number, for example 7YT3-V7XC-Y126."
        ),
        "recovery.scan.button": "Open the form",
        "recovery.progress.title": "Progress",
        "recovery.progress.caption": "Forms to type back, by site and ward",
        "recovery.progress.note": (
            "Typed twice: critical forms with both typings submitted, out of the critical "
            "forms opened. Outstanding: printed and not yet confirmed."
        ),
        "recovery.progress.none": "No form to type back has been printed.",
        "recovery.close.yes": "Nothing is outstanding: the incident may close.",
        "recovery.close.waived": (
            "Work is outstanding, but a closure waiver is recorded for {incident}: the "
            "incident may close."
        ),
        "recovery.close.no": "The incident cannot close yet: recovery work is outstanding.",
        "recovery.pending.forms": "Forms outstanding",
        "recovery.pending.identities": "Identities awaiting identity vigilance",
        "recovery.pending.conflicts": "Conflicts with the central record",
        "recovery.pending.patients": "Postponed patients without a new date",
        "recovery.col.ward": "Ward",
        "recovery.col.issued": "Printed",
        "recovery.col.returned": "Returned",
        "recovery.col.typed": "Typed",
        "recovery.col.double_checked": "Typed twice",
        "recovery.col.confirmed": "Confirmed",
        "recovery.col.outstanding": "Outstanding",
        "recovery.col.form": "Form",
        "recovery.col.document": "Document",
        "recovery.col.patient": "Patient",
        "recovery.col.passes": "Typings",
        "recovery.col.opened": "Opened",
        "recovery.col.clerk": "Clerk",
        "recovery.col.forms": "Forms",
        "recovery.col.fields": "Fields compared",
        "recovery.col.errors": "Errors",
        "recovery.col.rate": "Error rate",
        "recovery.col.field": "Field",
        "recovery.col.value": "Value",
        "recovery.col.decision": "Decision",
        "recovery.total": "Total",
        "recovery.no_ward": "no ward",
        "recovery.list.typing": "Being typed",
        "recovery.list.second_entry": "Waiting for a second typing",
        "recovery.list.to_decide": "Differences to settle",
        "recovery.list.to_confirm": "To confirm",
        "recovery.list.none": "None.",
        "recovery.list.more": "… and {count} more, more recent.",
        "recovery.pass": "no. {number}: {clerk} ({status})",
        "recovery.entry_status.draft": "draft",
        "recovery.entry_status.submitted": "submitted",
        "recovery.status.typing": "being typed",
        "recovery.status.second_entry": "waiting for a second typing",
        "recovery.status.to_decide": "differences to settle",
        "recovery.status.to_confirm": "to confirm",
        "recovery.status.confirmed": "confirmed",
        "recovery.rates.title": "Error rate by clerk",
        "recovery.rates.intro": (
            "Measured on settled double entries: a field counts as an error when the decision "
            "did not keep the clerk's typing. Two clerks making the same mistake go unseen: "
            "these rates are lower bounds."
        ),
        "recovery.rates.none": "No double entry settled yet.",
        "recovery.form.status": "Status",
        "recovery.form.case": "Case",
        "recovery.form.double_entry": "Double entry",
        "recovery.form.double_entry_yes": (
            "yes: two different clerks, differences settled by a third person"
        ),
        "recovery.form.double_entry_no": "no: one typing, then a confirmation",
        "recovery.form.opened": "Opened",
        "recovery.form.no_pass": "Not typed yet.",
        "recovery.form.decided": "Differences settled by",
        "recovery.form.confirmed": "Confirmed",
        "recovery.form.typing_title": "Typing no. {number}",
        "recovery.form.blind": (
            "Second typing, blind: the first one is not shown. Type what the paper says."
        ),
        "recovery.form.draft_saved": "Your draft, saved on {moment}.",
        "recovery.form.problems": "Problems to correct: {count}. The typing is kept as a draft.",
        "recovery.form.required": "required",
        "recovery.form.required_note": "*: required to submit the typing.",
        "recovery.form.save_draft": "Save draft",
        "recovery.form.submit": "Submit the typing",
        "recovery.form.read_only": (
            "Read only: your role may not type back the forms of site {site}."
        ),
        "recovery.form.own_submitted": "You submitted typing no. {number}.",
        "recovery.form.another_clerk": "The second typing must be another clerk's.",
        "recovery.form.taken": "This form is already being typed by {clerks}.",
        "recovery.form.own_values": "Your typing",
        "recovery.form.to_decide": (
            "The two typings disagree: a third person settles the differences."
        ),
        "recovery.form.decide_link": "Settle the differences",
        "recovery.form.final_to_confirm": "Values to confirm",
        "recovery.form.final_confirmed": "Confirmed values",
        "recovery.form.confirm_help": (
            "Read these values again with the paper in front of you: confirming makes them final."
        ),
        "recovery.form.confirm": "Confirm the form",
        "recovery.decision.first": "typing no. 1",
        "recovery.decision.second": "typing no. 2",
        "recovery.decision.other": "other value",
        "recovery.decide.title": "Settle the differences",
        "recovery.decide.intro": (
            "The two typings disagree on these fields. Take the paper and choose, for each, "
            "the right typing, or type the right value."
        ),
        "recovery.decide.typist": "You typed this form: a third person must settle it.",
        "recovery.decide.problems": "Decisions to complete: {count}.",
        "recovery.decide.first": "Typing no. 1 ({clerk})",
        "recovery.decide.second": "Typing no. 2 ({clerk})",
        "recovery.decide.empty": "(empty)",
        "recovery.decide.keep.first": "Keep typing no. 1",
        "recovery.decide.keep.second": "Keep typing no. 2",
        "recovery.decide.keep.other": "Other value",
        "recovery.decide.other_value": "Right value",
        "recovery.decide.button": "Record the decisions",
        "recovery.decide.choose": "Choose typing no. 1, typing no. 2 or another value.",
        "recovery.decide.other_missing": "Type the right value.",
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

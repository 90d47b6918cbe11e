"""Names of the kinds of journal entries."""

SITE_REGISTERED = "site.registered"
THEATRE_REGISTERED = "theatre.registered"
WARD_REGISTERED = "ward.registered"
SURGEON_REGISTERED = "surgeon.registered"
PATIENT_REGISTERED = "patient.registered"
STAY_ADMITTED = "stay.admitted"
CASE_BOOKED = "case.booked"

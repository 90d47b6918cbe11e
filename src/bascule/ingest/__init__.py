"""Interfaces that feed bascule: HL7 v2 over MLLP, FHIR import, feed-silence monitor."""

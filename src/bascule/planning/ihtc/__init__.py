"""Adapter for the Integrated Healthcare Timetabling Competition 2024 (IHTC-2024).

Reads the competition's instances and solutions, computes its cost terms and hard
constraints as the official validator does, and solves the nurse-free core problem
(admission day, operating theatre and room of each patient) with CP-SAT, as an external
yardstick for bascule's operating-room re-planning; also a disruption variant in which
theatre-days close and a plan is repaired with stability.
"""

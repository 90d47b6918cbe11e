"""Beds, theatre minutes and surgeon minutes used by a set of admissions, kept up to date.

The greedy planner places patients one by one against it; the CP-SAT models read from it
what the patients they do not re-plan already use.
"""

from collections.abc import Collection, Sequence

from bascule.planning.ihtc.instance import GENDERS, Instance
from bascule.planning.ihtc.solution import Admission

GENDER_INDEX = {gender: i for i, gender in enumerate(GENDERS)}


class Occupancy:
    """Per room-day head counts by gender and age group; per theatre- and surgeon-day load."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        days = instance.days
        self.beds = [[0] * days for _ in instance.rooms]
        self.genders = [[[0] * len(GENDERS) for _ in range(days)] for _ in instance.rooms]
        self.ages = [[[0] * len(instance.age_groups) for _ in range(days)] for _ in instance.rooms]
        self.theatre_minutes = [[0] * days for _ in instance.theatres]
        self.surgeon_minutes = [[0] * days for _ in instance.surgeons]
        self.surgeon_theatre = [
            [[0] * len(instance.theatres) for _ in range(days)] for _ in instance.surgeons
        ]
        for occupant in instance.occupants:
            for day in range(min(days, occupant.length_of_stay)):
                self._bed(occupant.room, day, occupant.gender, occupant.age_group, 1)

    @classmethod
    def of(
        cls,
        instance: Instance,
        admissions: Sequence[Admission | None],
        excluding: Collection[int] = (),
    ) -> "Occupancy":
        """What the occupants and the admitted patients, except ``excluding``, use."""
        occupancy = cls(instance)
        for patient, admission in enumerate(admissions):
            if admission is not None and patient not in excluding:
                occupancy.add(patient, admission)
        return occupancy

    def _bed(self, room: int, day: int, gender: str, age_group: int, sign: int) -> None:
        self.beds[room][day] += sign
        self.genders[room][day][GENDER_INDEX[gender]] += sign
        self.ages[room][day][age_group] += sign

    def _change(self, patient: int, admission: Admission, sign: int) -> None:
        data = self.instance.patients[patient]
        for day in self.instance.stay_days(patient, admission.day):
            self._bed(admission.room, day, data.gender, data.age_group, sign)
        minutes = sign * data.surgery_duration
        self.theatre_minutes[admission.theatre][admission.day] += minutes
        self.surgeon_minutes[data.surgeon][admission.day] += minutes
        self.surgeon_theatre[data.surgeon][admission.day][admission.theatre] += sign

    def add(self, patient: int, admission: Admission) -> None:
        """Count ``patient`` as admitted as ``admission``."""
        self._change(patient, admission, 1)

    def remove(self, patient: int, admission: Admission) -> None:
        """Stop counting ``patient``, previously added with ``admission``."""
        self._change(patient, admission, -1)

    def free_beds(self, room: int, day: int) -> int:
        """Beds of ``room`` still free on ``day``."""
        return self.instance.rooms[room].capacity - self.beds[room][day]

    def gender_present(self, room: int, day: int) -> str | None:
        """The gender of the people in ``room`` on ``day``; None when it is empty or mixed."""
        counts = self.genders[room][day]
        present = [GENDERS[g] for g, count in enumerate(counts) if count > 0]
        return present[0] if len(present) == 1 else None

    def room_accepts(self, patient: int, day: int, room: int) -> bool:
        """Whether ``room`` is compatible, has a bed and no other gender on every stay day."""
        data = self.instance.patients[patient]
        if room in data.incompatible_rooms:
            return False
        other = 1 - GENDER_INDEX[data.gender]
        capacity = self.instance.rooms[room].capacity
        beds, genders = self.beds[room], self.genders[room]
        return all(
            beds[d] < capacity and genders[d][other] == 0
            for d in self.instance.stay_days(patient, day)
        )

    def theatre_accepts(self, patient: int, day: int, theatre: int) -> bool:
        """Whether the theatre has the patient's surgery time left on ``day``."""
        available = self.instance.theatres[theatre].availability[day]
        used = self.theatre_minutes[theatre][day]
        return used + self.instance.patients[patient].surgery_duration <= available

    def surgeon_accepts(self, patient: int, day: int) -> bool:
        """Whether the patient's surgeon has the surgery time left on ``day``."""
        data = self.instance.patients[patient]
        limit = self.instance.surgeons[data.surgeon].max_surgery_time[day]
        return self.surgeon_minutes[data.surgeon][day] + data.surgery_duration <= limit

    def age_mix(self, room: int, day: int) -> int:
        """Spread of age groups in ``room`` on ``day`` (0 when empty)."""
        present = [age for age, count in enumerate(self.ages[room][day]) if count > 0]
        return present[-1] - present[0] if present else 0

    def age_mix_increase(self, patient: int, day: int, room: int) -> int:
        """How much admitting ``patient`` into ``room`` on ``day`` adds to the age-mix cost."""
        age = self.instance.patients[patient].age_group
        increase = 0
        for d in self.instance.stay_days(patient, day):
            present = [a for a, count in enumerate(self.ages[room][d]) if count > 0]
            if present:
                increase += (
                    max(present[-1], age) - min(present[0], age) - (present[-1] - present[0])
                )
        return increase

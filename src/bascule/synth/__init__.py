"""The synthetic demo group: five sites of a clinic group in Brittany and the Loire valley.

Everything is drawn from ``random.Random`` streams derived from one seed, so the same seed
and the same clock give the same journal. :func:`bascule.synth.group.synthesise` writes it.
"""

"""Weighted random choice, precomputed once and drawn many times."""

import random
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class Picker(Generic[T]):
    """Draws items with fixed relative weights.

    ``random.choices`` rebuilds its cumulative table on every call; the synthetic group draws
    millions of names, so the table is built once here.
    """

    __slots__ = ("_cumulative", "_last", "_total", "items")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        if len(items) != len(weights) or not items:
            raise ValueError("a picker needs as many weights as items, and at least one item")
        if any(weight < 0 for weight in weights):
            raise ValueError("weights must not be negative")
        self.items: tuple[T, ...] = tuple(items)
        self._cumulative = list(accumulate(float(weight) for weight in weights))
        self._total = self._cumulative[-1]
        if self._total <= 0:
            raise ValueError("at least one weight must be positive")
        self._last = len(self.items) - 1

    def pick(self, rng: random.Random) -> T:
        """One item, drawn with probability proportional to its weight."""
        index = bisect_right(self._cumulative, rng.random() * self._total)
        # random() < 1, yet the product can round up to the total itself.
        return self.items[index if index <= self._last else self._last]

    def pick_distinct(self, rng: random.Random, count: int) -> list[T]:
        """Up to ``count`` different items (fewer if the picker keeps drawing repeats)."""
        chosen: list[T] = []
        for _ in range(count * 4):
            item = self.pick(rng)
            if item not in chosen:
                chosen.append(item)
                if len(chosen) == count:
                    break
        return chosen

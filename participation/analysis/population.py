"""The city's population shares per district and age bracket, from a small YAML file.

Format (documented in docs/population-format.md)::

    source: "who published the numbers"
    year: 2021
    verified: false          # true once the operator has checked them
    districts: {mitte: 128900, nord: 31500, …}     # head counts or shares, keys as in the app
    age_brackets: {"16-24": 47000, …}              # optional

Each mapping is divided by its own sum, so counts and shares both work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from ..accounts.models import AGE_BRACKETS, DISTRICTS

DEFAULT_FILE = Path(__file__).parent / "data" / "muenster-population.yaml"


class PopulationFileError(ValueError):
    pass


@dataclass(frozen=True)
class Population:
    source: str
    year: int | None
    verified: bool
    districts: dict[str, float] = field(default_factory=dict)  # shares, summing to 1
    age_brackets: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"source": self.source, "year": self.year, "verified": self.verified}


def _shares(raw: object, keys: tuple[str, ...], name: str) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PopulationFileError(f"{name}: expected a mapping of keys to numbers")
    unknown = set(map(str, raw)) - set(keys)
    if unknown:
        raise PopulationFileError(f"{name}: unknown keys {sorted(unknown)} (known: {list(keys)})")
    values = {}
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise PopulationFileError(f"{name}.{key}: expected a number of at least 0")
        values[str(key)] = float(value)
    total = sum(values.values())
    if total <= 0:
        raise PopulationFileError(f"{name}: the numbers add up to 0")
    return {key: values.get(key, 0.0) / total for key in keys}


def parse(text: str) -> Population:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PopulationFileError(f"not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise PopulationFileError("expected a mapping with source, year and districts")
    if not data.get("source"):
        raise PopulationFileError("source: say where the numbers come from")
    year = data.get("year")
    if year is not None and not isinstance(year, int):
        raise PopulationFileError("year: expected a number such as 2021")
    return Population(
        source=str(data["source"]), year=year, verified=bool(data.get("verified", False)),
        districts=_shares(data.get("districts"), DISTRICTS, "districts"),
        age_brackets=_shares(data.get("age_brackets"), AGE_BRACKETS, "age_brackets"),
    )


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Population:
    return parse(Path(path).read_text(encoding="utf-8"))


def load(path: str | None) -> Population:
    """The configured file (or the shipped one); read again when it changes on disk."""
    file = Path(path) if path else DEFAULT_FILE
    try:
        return _load(str(file), file.stat().st_mtime)
    except (OSError, PopulationFileError) as error:
        # An operator's mistake: say which file (PARTICIPATION_POPULATION_FILE) and what is wrong.
        raise PopulationFileError(f"population file {file}: {error}") from error

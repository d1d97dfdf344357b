"""German and English are complete: every message of the code has a translation in both."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Extract the messages from the code as it is now (not the committed .pot)."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True,
    )
    with pot.open("rb") as fh:
        return read_po(fh)


@pytest.mark.parametrize("language", ["de", "en"])
def test_catalogue_is_complete(extracted, language):
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale=language)
    problems = []
    for message in extracted:
        if not message.id:
            continue
        translated = catalogue.get(message.id)
        if translated is None:
            problems.append(f"missing: {message.id!r}")
            continue
        strings = translated.string if isinstance(translated.string, tuple) else (translated.string,)
        if translated.fuzzy or not all(strings):
            problems.append(f"untranslated or fuzzy: {message.id!r}")
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != wanted:
                problems.append(f"placeholders differ: {message.id!r} -> {string!r}")
    assert not problems, "\n".join(problems)


def test_compiled_catalogues_are_used(client):
    assert "Zum Inhalt springen" in client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Skip to content" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)

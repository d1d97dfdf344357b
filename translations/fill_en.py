"""English msgids are the English text: copy each msgid into the English catalogue.

Run by ``make update-messages``; German is translated by hand in de/LC_MESSAGES/messages.po.
"""

from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).parent / "en" / "LC_MESSAGES" / "messages.po"

with PO.open("rb") as fh:
    catalogue = read_po(fh, locale="en")
for message in catalogue:
    if message.id:
        message.string = message.id
        message.flags.discard("fuzzy")
with PO.open("wb") as fh:
    write_po(fh, catalogue, omit_header=False, sort_output=True, no_location=True, width=100)

"""The word diff shared by proposals (and, later, version comparison)."""

from __future__ import annotations

from participation.worddiff import Chunk, diff_html, word_diff


def test_a_changed_word_is_removed_and_inserted():
    assert word_diff("Sichere Radwege für alle", "Breite Radwege für alle") == [
        Chunk("delete", "Sichere"), Chunk("insert", "Breite"), Chunk("equal", " Radwege für alle")]


def test_unchanged_added_and_removed_texts():
    assert word_diff("gleich", "gleich") == [Chunk("equal", "gleich")]
    assert word_diff(None, "neu da") == [Chunk("insert", "neu da")]
    assert word_diff("weg damit", "") == [Chunk("delete", "weg damit")]
    assert word_diff("a\r\nb", "a\nb") == [Chunk("equal", "a\nb")]


def test_html_escapes_and_labels_every_change():
    html = str(diff_html("<b>alt</b> bleibt", "<i>neu</i> bleibt", "entfernt:", "hinzugefügt:"))
    assert "<b>" not in html and "&lt;b&gt;alt&lt;/b&gt;" in html
    assert '<del><span class="visually-hidden">entfernt: </span>&lt;b&gt;alt&lt;/b&gt;</del>' in html
    assert '<ins><span class="visually-hidden">hinzugefügt: </span>&lt;i&gt;neu&lt;/i&gt;</ins>' in html
    assert html.endswith(" bleibt")


def test_neighbouring_changes_read_as_one_edit():
    assert word_diff("Vernetzte Mobilität aus einer Hand", "Breite und sichere Radwege") == [
        Chunk("delete", "Vernetzte Mobilität aus einer Hand"), Chunk("insert", "Breite und sichere Radwege")]
    assert word_diff("eins zwei drei vier", "eins ZWEI drei VIER") == [
        Chunk("equal", "eins "), Chunk("delete", "zwei"), Chunk("insert", "ZWEI"), Chunk("equal", " drei "),
        Chunk("delete", "vier"), Chunk("insert", "VIER")]

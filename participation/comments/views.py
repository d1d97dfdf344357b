"""The discussion of an item: list, write, reply, edit, delete, mark helpful, report."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("comments", __name__, template_folder="templates")

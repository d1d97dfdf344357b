"""The moderation queue, decisions, blocks, the audit log and the transparency page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("moderation", __name__, template_folder="templates")

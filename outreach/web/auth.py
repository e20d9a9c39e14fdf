"""Organizer login and logout (being written)."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    abort(501)

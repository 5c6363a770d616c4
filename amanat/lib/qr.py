"""QR codes as inline SVG data URIs (Django-free): the TOTP enrolment page, the training
certificate and the appointment letter, one way for each (user review 2, F16)."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as an SVG ``data:`` URI for an ``<img>`` (the CSP allows
    data: images; WeasyPrint draws them in a PDF)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()

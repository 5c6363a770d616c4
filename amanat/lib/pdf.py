"""PDF rendering with WeasyPrint for Persian documents (Django-free).

The Vazirmatn TTF files come from the npm package (``node_modules/vazirmatn``); they are
loaded through ``@font-face`` rules with ``file://`` URLs so that rendering never needs
the network or the static-files server.
"""

from __future__ import annotations

from pathlib import Path

# (file, CSS weight) of the Vazirmatn faces a document uses.
VAZIRMATN_FACES = (("Vazirmatn-Regular.ttf", 400), ("Vazirmatn-Bold.ttf", 700))


def vazirmatn_dir(node_modules: Path) -> Path:
    return Path(node_modules) / "vazirmatn" / "fonts" / "ttf"


def vazirmatn_font_face_css(node_modules: Path, family: str = "Vazirmatn") -> str:
    """``@font-face`` rules for the Vazirmatn faces that exist under ``node_modules``."""
    rules = []
    for filename, weight in VAZIRMATN_FACES:
        path = vazirmatn_dir(node_modules) / filename
        if path.exists():
            rules.append(
                f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
                f'src: url("{path.resolve().as_uri()}") format("truetype"); }}'
            )
    return "\n".join(rules)


# Every printed document: a numbered list in a Persian document counts in Persian digits
# («۱.» not «1.»), as the pages do.
BASE_CSS = "html:lang(fa) ol { list-style-type: persian; }\n"


def html_to_pdf(html: str, *, css: str = "", base_url: str | None = None) -> bytes:
    """Render an HTML document (and extra CSS) to PDF bytes."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    stylesheets = [CSS(string=BASE_CSS + css, font_config=fonts)]
    result: bytes = HTML(string=html, base_url=base_url).write_pdf(
        stylesheets=stylesheets, font_config=fonts
    )
    return result

"""Draw the field app's icons (amanat/portal/static/portal/icons/): the emblem's ballot
box on the project's green, at the sizes the web app manifest names.  Run once after a
change of design; the PNGs are committed."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

GREEN = "#0f5132"
GOLD = "#b08d3c"
PALE = "#f3d98b"
OUT = Path(__file__).resolve().parent.parent / "amanat" / "portal" / "static" / "portal" / "icons"


def draw(size: int, *, maskable: bool) -> Image.Image:
    image = Image.new("RGB", (size, size), GREEN if maskable else "white")
    pen = ImageDraw.Draw(image)
    s = size / 64
    if not maskable:
        pen.ellipse((3 * s, 3 * s, 61 * s, 61 * s), fill=GREEN, outline=GOLD, width=int(4 * s))
    # A maskable icon keeps its drawing inside the middle 80% (the safe zone).
    k = 0.8 if maskable else 1.0
    o = size * (1 - k) / 2

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (o + x0 * s * k, o + y0 * s * k, o + x1 * s * k, o + y1 * s * k)

    pen.rectangle(box(27, 17, 37, 31), fill=PALE, outline=GOLD, width=max(1, int(1.5 * s)))
    pen.rectangle(box(20, 27, 44, 47), fill="white")
    pen.rectangle(box(24, 29, 40, 32), fill=GREEN)
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    draw(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()

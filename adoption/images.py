"""Badge images as PNG (Pillow): a coloured medal with the badge's initials. A learner's download is "baked":
the credential (its VC-JWT) rides in the PNG's ``openbadgecredential`` iTXt chunk, as Open Badges 3.0 describes."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

SIZE = 256


def _initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    return "".join(w[0].upper() for w in words[:3]) or "★"


def _font(size: int):
    for name in ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def badge_png(name: str, colour: str, credential_jwt: str | None = None) -> bytes:
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, SIZE - 8, SIZE - 8), fill=colour, outline="#ffffff", width=10)
    draw.ellipse((34, 34, SIZE - 34, SIZE - 34), outline="#ffffff", width=3)
    text = _initials(name)
    font = _font(88 if len(text) < 3 else 68)
    box = draw.textbbox((0, 0), text, font=font)
    draw.text(((SIZE - (box[2] - box[0])) / 2 - box[0], (SIZE - (box[3] - box[1])) / 2 - box[1]), text,
              fill="#ffffff", font=font)
    info = PngInfo()
    if credential_jwt:
        info.add_itxt("openbadgecredential", credential_jwt)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()

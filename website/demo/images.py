"""The demo's hero images: calm landscapes drawn locally with Pillow, without any text in them.

Each story has two colours (``content.STORIES[...]["color"]``): a sky fades from the light one,
a low sun glows, and three ranges of hills in shades of the dark one lie in front of each other.
Everything is derived from the story's slug (``zlib.crc32``, no random generator), so the same slug
gives the same picture on every machine with the same Pillow. Nothing is shipped in the
repository: the pictures are made when ``seed_demo`` runs, at about 25 KB each.
"""

import functools
import io
import math
import zlib

from django.core.files.images import ImageFile
from PIL import Image, ImageDraw, ImageFilter, ImageOps
from wagtail.images import get_image_model

WIDTH, HEIGHT = 1200, 675  # the largest rendition the site makes is 1200x630 (Open Graph)
SCALE = WIDTH / 1600  # the shapes below are measured on a 1600x900 canvas


def title_for(slug):
    """The image's title in the library; the seeder looks an image up by it before drawing one."""
    return f"Demo: {slug}"


@functools.cache
def sky():
    """Black at the top to white at the bottom: the share of the lower colour in the sky."""
    return Image.linear_gradient("L").resize((WIDTH, HEIGHT))


def mix(first, second, share):
    return tuple(round(first[i] * (1 - share) + second[i] * share) for i in range(3))


def hills(seed, layer, base):
    """The outline of one range of hills: a sum of two slow waves, as a polygon to the bottom edge."""
    phase_a = (seed >> (layer * 4) & 0xFF) / 255 * math.tau
    phase_b = (seed >> (layer * 4 + 8) & 0xFF) / 255 * math.tau
    height = (60 + layer * 25) * SCALE
    points = [(0, HEIGHT)]
    for x in range(0, WIDTH + 1, 16):
        wide = x / SCALE
        y = base * SCALE - height * (0.6 * math.sin(wide / 310 + phase_a) + 0.4 * math.sin(wide / 170 + phase_b))
        points.append((x, y))
    points.append((WIDTH, HEIGHT))
    return points


def draw(slug, colors):
    """A JPEG landscape (bytes) in the story's colours; the same slug and colours give the same bytes."""
    dark, light = colors
    seed = zlib.crc32(slug.encode("utf-8"))
    sky_top, sky_bottom = mix(light, (255, 255, 255), 0.15), mix(light, (255, 244, 228), 0.55)
    picture = ImageOps.colorize(sky(), sky_top, sky_bottom)

    # The sun's glow is blurred at an eighth of the size and scaled up: the same softness, far quicker.
    glow = Image.new("L", (WIDTH // 8, HEIGHT // 8), 0)
    sun_x, sun_y = (300 + seed % 1000) * SCALE / 8, (260 + (seed >> 10) % 140) * SCALE / 8
    radius = 110 * SCALE / 8
    ImageDraw.Draw(glow).ellipse([sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius], fill=200)
    glow = glow.filter(ImageFilter.GaussianBlur(5 * SCALE)).resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    picture.paste((255, 250, 236), mask=glow)

    canvas = ImageDraw.Draw(picture)
    for layer, (base, share) in enumerate(((560, 0.55), (680, 0.3), (800, 0.0))):
        canvas.polygon(hills(seed, layer, base), fill=mix(dark, light, share))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=82)
    return buffer.getvalue()


def demo_image(slug, colors):
    """The library image for ``slug``: the existing one with its title, else a new drawing."""
    model = get_image_model()
    existing = model.objects.filter(title=title_for(slug)).first()
    if existing is not None:
        return existing
    data = io.BytesIO(draw(slug, colors))
    return model.objects.create(title=title_for(slug), file=ImageFile(data, name=f"{slug}.jpg"))

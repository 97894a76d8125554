"""The base of every Wagtail image form (``WAGTAILIMAGES_IMAGE_FORM_BASE``).

Wagtail's image field checks an upload's type, size and pixel count. A JPEG cut off halfway
(intact header, half its data) either makes that check raise an uncaught ``OSError`` (a 500)
or, in other formats and cuts, passes and fails later, when a rendition is made. The form's
file field here turns any decoding error into a form error and then decodes every frame of the
upload with Pillow, so such a file is refused wherever an image is uploaded: Images → Add, the
image chooser's upload, the multiple upload (its JSON error) and replacing an image's file.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

DAMAGED_MESSAGE = _(
    "This image file is damaged or incomplete (it may not have been saved or uploaded completely). "
    "Open it in an image editor, save or export it again, and upload the new file."
)


def check_image_decodes(upload):
    """Raise ``ValidationError`` unless Pillow can decode the whole file; leave it at position 0.

    Pillow's ``LOAD_TRUNCATED_IMAGES`` stays False (its default; Vertel never sets it), so a
    file whose data ends early raises instead of being padded with grey.
    """
    try:
        upload.seek(0)
        try:
            image = Image.open(upload)
        except UnidentifiedImageError:
            # Not a raster format Pillow knows (an SVG Willow accepted): the field's own checks apply.
            return
        with image:
            for frame in range(getattr(image, "n_frames", 1)):
                image.seek(frame)
                image.load()
    except Exception as error:  # noqa: BLE001 - Pillow raises OSError, SyntaxError, ValueError, EOFError...
        raise ValidationError(DAMAGED_MESSAGE, code="damaged_image") from error
    finally:
        upload.seek(0)


class DecodedImageField(WagtailImageField):
    """Wagtail's image field, refusing a file that cannot be decoded completely."""

    def check_image_pixel_size(self, f):
        # Reading the size through Willow decodes the image; a damaged one raises here.
        try:
            super().check_image_pixel_size(f)
        except ValidationError:
            raise
        except Exception as error:  # noqa: BLE001 - whatever the decoder raises
            raise ValidationError(DAMAGED_MESSAGE, code="damaged_image") from error

    def to_python(self, data):
        # Type, size and pixel count first (they keep a decompression bomb from being decoded).
        upload = super().to_python(data)
        if upload is not None:
            check_image_decodes(upload)
        return upload


class VertelImageForm(BaseImageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # ``get_image_form`` builds the file field itself (a ``WagtailImageField``); this form's
        # copy of it gets the decoding check. The subclass adds behaviour only, no state.
        field = self.fields.get("file")
        if type(field) is WagtailImageField:
            field.__class__ = DecodedImageField

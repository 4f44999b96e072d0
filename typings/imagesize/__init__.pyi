# The part of imagesize (which ships annotations but no py.typed) that offline/request/images.py uses. A file object
# only: imagesize opens bytes or a str as a path, and fetches an http(s) string.
from typing import BinaryIO

def get(filepath: BinaryIO, *, exif_rotation: bool = True) -> tuple[int, int]: ...

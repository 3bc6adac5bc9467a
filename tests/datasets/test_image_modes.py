"""Image files of every mode Pillow opens, read as RGB in [0, 1] (issue 23): 16-bit grey
by 65535 (it used to load 99 % white), palette, CMYK, grey, alpha through Pillow's own
conversion, the EXIF orientation applied; unreadable, 32-bit and float files refused."""
import numpy as np
import pytest
from PIL import Image, ImageOps

from neurodecode.datasets import read_images


def _pillow_rgb(path):
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"), np.float32) / 255


@pytest.mark.hostile("loaders: image files", cases={"correct": 1})
def test_16_bit_grey_png_is_scaled_by_65535(tmp_path):
    values = np.array([[0, 16384], [32768, 65535]], dtype=np.uint16)
    path = tmp_path / "g16.png"
    Image.fromarray(values).save(path)
    with Image.open(path) as im:
        assert im.mode.startswith("I")  # what makes convert("RGB") clip
    got = read_images([path])
    np.testing.assert_allclose(got[0, ..., 0], values / 65535, atol=1e-6)
    np.testing.assert_array_equal(got[0, ..., 0], got[0, ..., 2])


@pytest.mark.hostile("loaders: image files", kind="correct")
@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "RGBA", "LA", "1", "YCbCr"])
def test_8_bit_modes_equal_pillows_rgb_conversion(tmp_path, mode):
    rng = np.random.default_rng(0)
    rgb = Image.fromarray((rng.random((6, 6, 3)) * 255).astype(np.uint8))
    im = rgb.convert(mode)
    path = tmp_path / ("x.tif" if mode in ("CMYK", "YCbCr") else "x.png")
    im.save(path)
    np.testing.assert_allclose(read_images([path])[0], _pillow_rgb(path), atol=1e-6)


@pytest.mark.hostile("loaders: image files", cases={"correct": 1})
def test_the_exif_orientation_is_applied(tmp_path):
    a = np.zeros((4, 8, 3), np.uint8)
    a[:, :4] = 255  # left half white
    im = Image.fromarray(a)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "rot.jpg"
    im.save(path, exif=exif, quality=100)
    got = read_images([path])[0]
    expected = _pillow_rgb(path)  # 8 x 4 after the rotation, centre square 4 x 4
    assert expected.shape[:2] == (8, 4)
    np.testing.assert_allclose(got, expected[2:6], atol=1e-6)


@pytest.mark.hostile("loaders: image files", cases={"error": 3})
def test_unreadable_32_bit_and_float_images_are_refused(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match=r"bad.png: cannot be read as an image"):
        read_images([tmp_path / "bad.png"])
    Image.fromarray(np.array([[0, 70000]], dtype=np.int32)).save(tmp_path / "i32.tif")
    with pytest.raises(ValueError, match="a 32-bit integer image"):
        read_images([tmp_path / "i32.tif"])
    Image.fromarray(np.array([[0.0, 0.5]], dtype=np.float32)).save(tmp_path / "f.tif")
    with pytest.raises(ValueError, match="floating-point image"):
        read_images([tmp_path / "f.tif"])


@pytest.mark.hostile("loaders: image files", cases={"error": 1})
def test_a_decompression_bomb_is_refused_naming_the_file(tmp_path, monkeypatch):
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 64 x 64 is over twice the limit
    with pytest.raises(ValueError, match=r"big.png: .*Raise PIL.Image.MAX_IMAGE_PIXELS if "
                                         "the file is trusted"):
        read_images([tmp_path / "big.png"])

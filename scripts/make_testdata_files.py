"""Writes testdata/images/ and testdata/npz/: real files for the data loaders.

Each fixture is a few hundred bytes. The good ones all encode the images of
`npz/good.npz` (uint8 [7, 4, 4, 3], with their file names in its `files`
array), so a test can check any of them against the array:

    images/mixed/         loads as images: with image_size=4, one file per kind:
      rgb.png             RGB
      gray.png            grayscale (its npz image has R = G = B)
      gray_alpha.png      grayscale with an opaque alpha channel
      opaque_rgba.png     RGB with an opaque alpha channel
      rgb16.png           16-bit RGB whose low bytes are noise
      photo.jpg           JPEG (quality 100, no chroma subsampling: within a
                          few levels of its npz image)
      landscape.png       4x6, its centre 4x4 columns the npz image; the one
                          file the name hash puts in the test split
    images/truncated/cut.png           a PNG cut in half
    images/not_an_image/notes.png      text with a .png name
    images/translucent/sprite.png      RGBA with translucent pixels
    npz/good.npz                       the images above, and `files`
    npz/{float32,int64}.npz            the wrong dtype
    npz/rank3.npz                      uint8 [N, H, W]: no channel axis
    npz/empty.npz                      uint8 [0, 4, 4, 3]
    npz/no_pixels.npz                  uint8 [2, 0, 4, 3]
    npz/not_zip.npz                    text with an .npz name

The output is byte-for-byte the same on every run (fixed seed, zip members
dated 1980-01-01). Run from the repository root after changing it:

    .venv/bin/python scripts/make_testdata_files.py
"""

import io
import os
import shutil
import zipfile

import numpy as np
import tensorflow as tf

TESTDATA = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "testdata")
SIDE = 4
OPAQUE = 255


def _png(image):
  return tf.io.encode_png(image).numpy()


def _with_alpha(image, alpha):
  return np.concatenate(
      [image, np.broadcast_to(np.asarray(alpha, image.dtype),
                              image.shape[:-1] + (1,))], axis=-1)


def _landscape(image, rng):
  """`image` between two random columns: its centre square is `image`."""
  edge = rng.integers(0, 256, (SIDE, 1, 3), dtype=np.uint8)
  return _png(np.concatenate([edge, image, edge[::-1]], axis=1))


def _good_images(rng):
  """The images every good file encodes, by file name (in good.npz order)."""
  noise = rng.integers(0, 256, (6, SIDE, SIDE, 3), dtype=np.uint8)
  gray = np.repeat(noise[:2, ..., :1], 3, axis=-1)
  # JPEG keeps a smooth image within a few levels; noise it would smear.
  ramp = np.arange(SIDE, dtype=np.uint8)
  smooth = np.stack(np.broadcast_arrays(
      40 + 20 * ramp[:, None], 90 + 10 * ramp[None, :],
      np.full((SIDE, SIDE), 200, np.uint8)), axis=-1).astype(np.uint8)
  return {
      "rgb.png": noise[2],
      "gray.png": gray[0],
      "gray_alpha.png": gray[1],
      "opaque_rgba.png": noise[3],
      "rgb16.png": noise[4],
      "photo.jpg": smooth,
      "landscape.png": noise[5],
  }


def _encoders(rng):
  """File name -> how that file encodes its good image."""
  low_bytes = rng.integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint16)
  return {
      "rgb.png": _png,
      "gray.png": lambda image: _png(image[..., :1]),
      "gray_alpha.png": lambda image: _png(_with_alpha(image[..., :1],
                                                       OPAQUE)),
      "opaque_rgba.png": lambda image: _png(_with_alpha(image, OPAQUE)),
      "rgb16.png": lambda image: _png(image.astype(np.uint16) * 256
                                      + low_bytes),
      "photo.jpg": lambda image: tf.io.encode_jpeg(
          image, quality=100, chroma_downsampling=False).numpy(),
      "landscape.png": lambda image: _landscape(image, rng),
  }


def _npz(**arrays):
  """np.savez's format, with fixed member dates so the bytes never change."""
  buffer = io.BytesIO()
  with zipfile.ZipFile(buffer, "w") as archive:
    for name, array in arrays.items():
      member = io.BytesIO()
      np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
      archive.writestr(zipfile.ZipInfo(f"{name}.npy"), member.getvalue())
  return buffer.getvalue()


def _write(relative_path, contents):
  path = os.path.join(TESTDATA, relative_path)
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "wb") as file:
    file.write(contents)


def main():
  # Start clean, so a renamed fixture leaves no stale file behind.
  for folder in ("images", "npz"):
    shutil.rmtree(os.path.join(TESTDATA, folder), ignore_errors=True)
  rng = np.random.default_rng(2026)
  good = _good_images(rng)
  encoders = _encoders(rng)
  for name, image in good.items():
    _write(os.path.join("images", "mixed", name), encoders[name](image))
  _write("npz/good.npz", _npz(images=np.stack(list(good.values())),
                              files=np.array(list(good))))

  whole = _png(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8))
  _write("images/truncated/cut.png", whole[:len(whole) // 2])
  _write("images/not_an_image/notes.png", b"Notes, not a picture.\n")
  alpha = np.full((SIDE, SIDE, 1), OPAQUE, np.uint8)
  alpha[0, :3, 0] = (0, 64, 254)
  _write("images/translucent/sprite.png",
         _png(np.concatenate([good["rgb.png"], alpha], axis=-1)))

  small = rng.integers(0, 256, (2, 2, 2, 3))
  _write("npz/float32.npz", _npz(images=small.astype(np.float32)))
  _write("npz/int64.npz", _npz(images=small.astype(np.int64)))
  _write("npz/rank3.npz", _npz(images=small[..., 0].astype(np.uint8)))
  _write("npz/empty.npz", _npz(images=np.zeros((0, SIDE, SIDE, 3), np.uint8)))
  _write("npz/no_pixels.npz", _npz(images=np.zeros((2, 0, SIDE, 3),
                                                   np.uint8)))
  _write("npz/not_zip.npz", b"Not a zip archive.\n")


if __name__ == "__main__":
  main()

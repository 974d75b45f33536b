"""Checks that an architecture can take an image shape, before building it."""

from tfp_flows import errors


class IncompatibleShapeError(errors.ShapeError):
  """A model configuration cannot take the dataset's image shape."""


def check_halvings(event_shape, halvings, setting):
  h, w, _ = event_shape
  factor = 2 ** halvings
  if h % factor or w % factor:
    raise IncompatibleShapeError(
        f"{setting}={halvings} squeezes the image {halvings} time(s), so "
        f"height and width must be divisible by {factor}; the data has shape "
        f"{tuple(event_shape)}.")


def check_even_width(event_shape, halvings, partition):
  width = event_shape[1] // 2 ** halvings
  if width % 2:
    raise IncompatibleShapeError(
        f"A {partition} partition needs an even width; after {halvings} "
        f"squeeze(s) the data of shape {tuple(event_shape)} has width "
        f"{width}.")

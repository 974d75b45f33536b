"""Checkpoints: restore with clear errors and without touching the workdir."""

import tensorflow as tf

from tfp_flows import errors

# A checkpoint cannot be read or does not fit the model being restored (a
# ValueError); the name predates `tfp_flows.errors` and stays importable.
CheckpointError = errors.CheckpointError


def restore_latest(checkpoint, directory, partial=False):
  """Restores the newest checkpoint in `directory`; returns its path or None.

  Raises `CheckpointError` naming the file when it is unreadable (truncated,
  corrupt) or belongs to a different model. Nothing is written either way.
  """
  path = tf.train.latest_checkpoint(directory)
  if path is None:
    return None
  try:
    status = checkpoint.restore(path)
    if partial:
      status.expect_partial()
      status.assert_existing_objects_matched()
    else:
      status.assert_consumed()
  except (tf.errors.OpError, ValueError, AssertionError) as error:
    raise CheckpointError(
        f"Cannot restore checkpoint {path!r}: {_first_line(error)}. It is "
        f"corrupt or was written by a different model/config; the workdir "
        f"was left unchanged.") from error
  return path


def _first_line(error):
  text = str(error).strip().splitlines()
  return text[0] if text else type(error).__name__

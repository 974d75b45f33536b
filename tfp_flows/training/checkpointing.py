"""Checkpoints: restore the newest intact one, never lose an older one.

A checkpoint is the file set `ckpt-<N>.index` + `ckpt-<N>.data-*` that
`tf.train.CheckpointManager` writes (through a `ckpt-<N>_temp/` folder that a
kill can leave behind). The `checkpoint` state file only lists them, so the
files themselves are the truth here: a garbled or stale state file, a
deleted newest checkpoint or a truncated `.data` file each fall back to the
newest checkpoint that restores, and every skipped one is named with its
reason. Nothing here deletes a checkpoint: `repair_state` only rewrites the
state file and `remove_incomplete_writes` only removes unfinished writes;
only the trainer calls them.
"""

import os
import re
import shutil
import sys
import time

import tensorflow as tf

from tfp_flows import errors

# A checkpoint cannot be read or does not fit the model being restored (a
# ValueError); the name predates `tfp_flows.errors` and stays importable.
CheckpointError = errors.CheckpointError

STATE_FILE = "checkpoint"
_INDEX = re.compile(r"^(?P<prefix>.+-(?P<number>\d+))\.index$")
_INCOMPLETE_WRITE = re.compile(r"^.+-\d+_temp$")
# What a damaged or foreign checkpoint raises on restore: TF's read errors,
# TF's own `IndexError` for a truncated `.data` file ("Read less bytes than
# requested"), and the assertions of a checkpoint of another model.
# Test-only fault hook: when this environment variable holds a step number,
# the save of that step prints a line and pauses (for good) after its files
# are written and before the state file names them, so that a test's SIGKILL
# lands inside the checkpoint write deterministically.
PAUSE_IN_SAVE_ENV = "TFP_FLOWS_TEST_PAUSE_IN_SAVE"
PAUSED_MESSAGE = "paused inside the checkpoint write"
_UNRESTORABLE = (tf.errors.OpError, ValueError, AssertionError, IndexError,
                 KeyError, OSError)


def checkpoint_paths(directory):
  """The checkpoint prefixes in `directory` with an index file, newest first."""
  if not tf.io.gfile.isdir(directory):
    return []
  found = []
  for name in tf.io.gfile.listdir(directory):
    match = _INDEX.match(name)
    if match:
      found.append((int(match["number"]),
                    os.path.join(directory, match["prefix"])))
  return [path for _, path in sorted(found, reverse=True)]


def incomplete_writes(directory):
  """The `ckpt-<N>_temp/` folders a write interrupted by a kill left behind."""
  if not tf.io.gfile.isdir(directory):
    return []
  return sorted(os.path.join(directory, name.rstrip("/"))
                for name in tf.io.gfile.listdir(directory)
                if _INCOMPLETE_WRITE.match(name.rstrip("/")))


def save(manager, step):
  """`manager.save(checkpoint_number=step)` (with the test-only pause)."""
  options = None
  if os.environ.get(PAUSE_IN_SAVE_ENV) == str(step):
    options = tf.train.CheckpointOptions(
        experimental_write_callbacks=[_pause_for_good])
  return manager.save(checkpoint_number=step, options=options)


def _pause_for_good(save_path):
  print(f"{PAUSED_MESSAGE}: {save_path}", flush=True)
  sys.stdout.flush()
  while True:
    time.sleep(60)


def restore_latest(checkpoint, directory, partial=False, log=None):
  """Restores the newest restorable checkpoint in `directory`.

  Args:
    checkpoint: the `tf.train.Checkpoint` to restore into.
    directory: the checkpoint folder.
    partial: the checkpoint may hold more than `checkpoint` (the tools
      restore only the model and its EMA from a trainer's checkpoint).
    log: called with one line per checkpoint skipped as unrestorable.

  Returns:
    The restored checkpoint's path, or None when `directory` holds no
    checkpoint files at all (an incomplete write does not count).

  Raises:
    CheckpointError: `directory` holds checkpoint files but none restores;
      the message names each file and its reason. Nothing is written.
  """
  skipped = []
  for path in checkpoint_paths(directory):
    try:
      _restore(checkpoint, path, partial)
    except _UNRESTORABLE as error:
      skipped.append((path, _first_line(error)))
      continue
    for bad_path, reason in skipped:
      (log or tf.get_logger().warning)(
          f"Skipped checkpoint {bad_path!r} (unrestorable: {reason}); "
          f"restored the older {os.path.basename(path)} instead.")
    return path
  if skipped:
    reasons = "; ".join(f"{os.path.basename(path)}: {reason}"
                        for path, reason in skipped)
    raise CheckpointError(
        f"No checkpoint in {directory!r} restores ({reasons}). They are "
        f"corrupt or were written by a different model/config; the workdir "
        f"was left unchanged. Restore them from a backup, or move "
        f"{directory!r} aside to start the run over.")
  leftovers = _checkpoint_files(directory)
  if leftovers:
    raise CheckpointError(
        f"{directory!r} holds checkpoint files but no complete checkpoint "
        f"(no ckpt-<N>.index): {', '.join(leftovers)}. Refusing to start "
        f"over on top of them: restore the missing files, or move "
        f"{directory!r} aside to start the run over.")
  return None


def repair_state(directory, restored_path):
  """Rewrites the state file so TF's tools agree with the files on disk.

  `restored_path` becomes the latest; every checkpoint present is listed,
  the ones newer than it (unrestorable) first, so that the manager's
  rotation removes them before any intact one, and only once newer good
  checkpoints exist.
  """
  present = list(reversed(checkpoint_paths(directory)))
  at = present.index(restored_path)
  listed = present[at + 1:] + present[:at + 1]
  # With timestamps the manager tracks (and so rotates) every listed file.
  written = [os.path.getmtime(path + ".index") for path in listed]
  tf.compat.v1.train.update_checkpoint_state(
      directory, restored_path, all_model_checkpoint_paths=listed,
      all_model_checkpoint_timestamps=written,
      last_preserved_timestamp=min(written) - 1.0)


def remove_incomplete_writes(directory):
  """Deletes the `ckpt-<N>_temp/` folders (never a checkpoint); returns them."""
  removed = incomplete_writes(directory)
  for path in removed:
    shutil.rmtree(path, ignore_errors=True)
  return removed


def _restore(checkpoint, path, partial):
  status = checkpoint.restore(path)
  if partial:
    status.expect_partial()
    status.assert_existing_objects_matched()
  else:
    status.assert_consumed()


def _checkpoint_files(directory):
  if not tf.io.gfile.isdir(directory):
    return []
  temps = {os.path.basename(p) for p in incomplete_writes(directory)}
  return sorted(name.rstrip("/") for name in tf.io.gfile.listdir(directory)
                if name.rstrip("/") not in temps)


def _first_line(error):
  text = str(error).strip().splitlines()
  return text[0] if text else type(error).__name__

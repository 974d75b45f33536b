"""The project's own exception types: errors a user can fix.

Each is a `UserError` and also the built-in type callers already catch
(`ValueError` or `TypeError`). The command-line tools print exactly these as
one line (`error: ...`); any other exception is a bug and keeps its
traceback. Messages name the problem and, where there is one, the fix.
"""


class UserError(Exception):
  """Base of the errors caused by input, configuration or files on disk."""


class ConfigError(UserError, ValueError):
  """An unknown model, preset, option or config key, or an invalid value."""


class ShapeError(UserError, ValueError):
  """A tensor or image does not have the shape a model or bijector takes."""


class InputTypeError(UserError, TypeError):
  """A tensor has the wrong dtype (e.g. float images where ints are due)."""


class DataError(UserError, ValueError):
  """A dataset is missing, unreadable, or unfit for the model."""


class WorkdirError(UserError, ValueError):
  """A workdir is missing, incomplete, or holds a different run."""


class CheckpointError(UserError, ValueError):
  """A checkpoint cannot be read or does not fit the model being restored."""


class DivergenceError(UserError, RuntimeError):
  """Training diverged (non-finite steps or weights) and was stopped."""


class ClusterError(UserError, RuntimeError):
  """A multi-worker run lost a worker, or its workers disagree on the run."""

"""Identical layers traced once: one loop body over their stacked weights.

A flow repeats one step of flow K times per level and a network one block B
times. Unrolled, a traced function holds K copies of the step's ops, and
tracing, graph optimisation and XLA's compilation all grow with K: the
first training step of a CIFAR-10 Glow (3 levels x 32 steps) took minutes
to compile. `run_repeated(units, body, carry)` computes

    for unit in units: carry = body(unit, carry)

instead as one `tf.while_loop` whose body is traced once, on the first unit,
with each of its weights replaced by the k-th unit's during iteration k.
The weights are read from `TensorArray`s of every unit's variables, so the
backward pass writes each unit's gradients into its own slot. The result
is the unrolled computation's, up to the rounding of a different operation
order.

Only the traced computation changes. Every unit keeps its own variables, so
`trainable_variables`, checkpoints, optimisers and data-dependent
initialisation (which runs eagerly, unrolled) see the same model with
scanning on or off, and checkpoints written either way load either way.

Units are identical when they are of the same types, hold variables of the
same shapes in the same attributes, and have the same non-weight settings
(`structure`): a step that swaps its coupling's halves is not identical to
one that does not. The weights are replaced by setting the attributes that
hold them (a `tf_keras` layer's `kernel`, an ActNorm's `log_scale`) for the
duration of one trace, so a variable a unit reads any other way (from a
list, or a variable created in `call`) cannot be replaced: such a unit is
refused with a `ConfigError` naming the variable.
"""

import contextlib
import threading

import tensorflow as tf

from tfp_flows import errors
from tfp_flows.nets import initialization

# Tracing a body replaces attributes of shared objects: one trace at a time
# (tf.distribute traces each replica's step in a thread of its own).
_trace_lock = threading.RLock()
_unrolled = threading.local()
# (id(owner), attribute) -> the variable a loop body has replaced there, so
# a loop traced inside another's body (a network's blocks inside a step)
# finds its units' weights as the outer loop left them.
_replacements = {}


@contextlib.contextmanager
def unrolled():
  """Within it, functions traced in this thread run repeats as Python loops.

  For tools that read a traced graph op by op (`graph_ops.matmul_flops`
  counts each op once, so a loop body would count once, not K times).
  """
  previous = getattr(_unrolled, "active", False)
  _unrolled.active = True
  try:
    yield
  finally:
    _unrolled.active = previous


def run_repeated(units, body, carry, scan=True):
  """`carry = body(unit, carry)` for each unit in order, traced once.

  Args:
    units: structurally identical units (`structure`), each a module or a
      tuple of modules (a unit of several layers, such as a step of flow
      that alternates with its mirror image: two steps per unit).
    body: `(unit, carry) -> carry`, the same nested structure of tensors
      with the same shapes.
    carry: the initial value.
    scan: False runs a Python loop (a traced function holds every unit).

  Eagerly and during data-dependent initialisation (which assigns to each
  unit's own variables) the loop is a Python loop.
  """
  units = list(units)
  if (not scan or len(units) < 2 or tf.executing_eagerly()
      or initialization.is_initializing()
      or getattr(_unrolled, "active", False)):
    for unit in units:
      carry = body(unit, carry)
    return carry
  slots = [weight_slots(unit) for unit in units]
  check_identical(units, slots)
  stacks = [
      tf.TensorArray(held.dtype, size=len(units),
                     element_shape=held.shape).unstack(
                         tf.stack([unit_slots[index][2]
                                   for unit_slots in slots]))
      for index, (_, _, held) in enumerate(slots[0])]

  def loop_body(k, loop_carry):
    weights = [stack.read(k) for stack in stacks]
    with _trace_lock, _replaced(slots[0], weights):
      loop_carry = body(units[0], loop_carry)
    return k + 1, loop_carry

  _, carry = tf.while_loop(lambda k, _: k < len(units), loop_body,
                           (tf.constant(0), carry),
                           maximum_iterations=len(units))
  return carry


def weight_slots(unit):
  """`[(owner, attribute, value)]` for every variable `unit` holds.

  The value is the variable, or inside another loop's body the tensor
  that body has put in its place.

  Walks the unit's modules (tf.Module, tf_keras layers, bijectors) in a
  fixed order (attribute names sorted, list order), so identical units give
  aligned lists. Raises `ConfigError` if a variable is reachable only
  through a container, where it could not be replaced.
  """
  slots, seen = [], set()
  for module in _modules_of(unit):
    _walk(module, slots, seen)
  slotted = {id(_variable_in(owner, attribute, value))
             for owner, attribute, value in slots}
  for module in _modules_of(unit):
    for variable in module.variables:
      if id(variable) not in slotted:
        raise errors.ConfigError(
            f"{module.name} reads variable {variable.name} from a container, "
            f"not an attribute, so its identical layers cannot share one "
            f"traced body: build it without scanning.")
  return slots


def structure(unit):
  """What must agree between identical units, weights aside.

  The module types in walk order, each variable's attribute, shape, dtype
  and trainability, and each module's plain settings (numbers, strings,
  booleans and tuples of them, among its public attributes and a
  bijector's `parameters`; names and initial-value seeds aside).
  """
  result, seen = [], set()
  for module in _modules_of(unit):
    _describe(module, result, seen)
  return result


def check_identical(units, slots=None):
  """Raises `ConfigError` naming the first unit unlike the first."""
  reference = structure(units[0])
  for index, unit in enumerate(units[1:], start=1):
    if structure(unit) != reference:
      raise errors.ConfigError(
          f"{_name(unit)} differs from {_name(units[0])} in more than its "
          f"weights, so they cannot share one traced body.")
  if slots is not None and any(
      len(unit_slots) != len(slots[0]) for unit_slots in slots):
    raise errors.ConfigError(
        f"The units from {_name(units[0])} on hold different numbers of "
        f"variables, so they cannot share one traced body.")


def repeated_runs(layers, max_period=8):
  """Splits `layers` (FlowBijectors) into `(start, period, count)` runs.

  A run is `count` consecutive repeats of the `period` layers from `start`
  (count 1: the layers run as they are). Only layers with weights and no
  change of layout repeat; of the periods that cover the most layers from a
  position, the shortest is taken.
  """
  signatures = [_repeat_signature(layer) for layer in layers]
  runs, start = [], 0
  while start < len(layers):
    best_period, best_count = 1, 1
    for period in range(1, max_period + 1):
      block = signatures[start:start + period]
      if len(block) < period or any(s is None for s in block):
        break
      count = 1
      while signatures[start + count * period:
                       start + (count + 1) * period] == block:
        count += 1
      if count > 1 and count * period > best_count * best_period:
        best_period, best_count = period, count
    runs.append((start, best_period, best_count))
    start += best_period * best_count
  return runs


def _repeat_signature(layer):
  # A layer that moves the image's grid (a squeeze, or a container with
  # one) or has no weights is never scanned: the loop carries one shape.
  if not layer.trainable_variables or not layer.keeps_layout:
    return None
  return repr(structure(layer))


def _variable_in(owner, attribute, value):
  """The variable `owner.attribute` holds (or held before a loop body's
  replacement), or None."""
  if isinstance(value, tf.Variable):
    return value
  return _replacements.get((id(owner), attribute))


@contextlib.contextmanager
def _replaced(slots, values):
  # object.__setattr__: tf_keras and tf.Module track assigned variables in
  # weight lists; this temporary swap must not touch them.
  originals = {}
  for (owner, attribute, held), value in zip(slots, values):
    key = (id(owner), attribute)
    originals[key] = _replacements.get(key)
    _replacements[key] = _variable_in(owner, attribute, held)
    object.__setattr__(owner, attribute, value)
  try:
    yield
  finally:
    for owner, attribute, held in slots:
      key = (id(owner), attribute)
      if originals[key] is None:
        del _replacements[key]
      else:
        _replacements[key] = originals[key]
      object.__setattr__(owner, attribute, held)


def _modules_of(unit):
  return tuple(unit) if isinstance(unit, (tuple, list)) else (unit,)


def _children(module):
  """`(attribute, value)` of a module's own state, in sorted order."""
  ignored = getattr(module, "_TF_MODULE_IGNORED_PROPERTIES", frozenset())
  for attribute in sorted(vars(module)):
    if attribute not in ignored:
      yield attribute, vars(module)[attribute]


def _submodules_in(value):
  if isinstance(value, tf.Module):
    yield value
  elif isinstance(value, (list, tuple)):
    for item in value:
      yield from _submodules_in(item)
  elif isinstance(value, dict):
    for key in sorted(value, key=str):
      yield from _submodules_in(value[key])


def _walk(module, slots, seen):
  if id(module) in seen:
    return
  seen.add(id(module))
  for attribute, value in _children(module):
    if _variable_in(module, attribute, value) is not None:
      slots.append((module, attribute, value))
    else:
      for child in _submodules_in(value):
        _walk(child, slots, seen)


_PLAIN = (bool, int, float, str, type(None))
_UNCOMPARED = frozenset(["name", "seed", "validate_args"])


def _describe(module, result, seen):
  if id(module) in seen:
    return
  seen.add(id(module))
  parameters = getattr(module, "parameters", None)
  settings = dict(parameters) if isinstance(parameters, dict) else {}
  for attribute, value in _children(module):
    variable = _variable_in(module, attribute, value)
    if variable is not None:
      result.append((attribute, tuple(variable.shape), variable.dtype.name,
                     variable.trainable))
    elif not attribute.startswith("_"):
      settings[attribute] = value
  result.append((type(module).__name__, tuple(sorted(
      (key, value) for key, value in settings.items()
      if key not in _UNCOMPARED and _is_plain(value)))))
  for _, value in _children(module):
    for child in _submodules_in(value):
      _describe(child, result, seen)


def _is_plain(value):
  if isinstance(value, (tuple, list)):
    return all(_is_plain(item) for item in value)
  return isinstance(value, _PLAIN)


def _name(unit):
  return ", ".join(module.name for module in _modules_of(unit))

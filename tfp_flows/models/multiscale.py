"""One builder for multi-scale flows, from a flat list of stages.

A stage is `Stage(steps, squeeze=False, leave=0, level=0, kind="")`:
optionally squeeze (space-to-depth 2x2), run `steps` steps of flow, then
let `leave` channels leave to a conditional prior (a `FactorOut`) while the
rest go on to the next stage. `level` numbers the paper's levels (or
scales) for names and subtotals; `kind` is handed to the model's step
function (RealNVP: which partition its couplings use). Every squeeze is undone at the end of the part of the flow it opened,
so the whole flow keeps its input's shape. Glow with L levels is
`[Stage(K, squeeze=True, leave=C/2, level=l) for l < L - 1] +
[Stage(K, squeeze=True, level=L - 1)]`; MaCow's CIFAR-10 flow, steps
`[4, [12, 12], [12, 12], 12]`, is

    [Stage(4, level=0),
     Stage(12, squeeze=True, leave=3, level=1), Stage(12, leave=3, level=1),
     Stage(12, squeeze=True, leave=6, level=2), Stage(12, leave=6, level=2),
     Stage(12, squeeze=True, level=3)]

Layers are named `level_<l>_step_<k>` (k counts the level's steps) and
`level_<l>_split_<j>`, so parameter subtotals name every level and split
(`parameter_sections`).

The nesting the builder produces (a stage that lets channels leave holds
the rest of the flow as its `FactorOut`'s `inner`; a stage that does not is
followed in the same `Sequential`) is the layout of the checkpoints written
by earlier versions, which therefore still load.
"""

import dataclasses
import re
from typing import Callable, List, Sequence

from tfp_flows import bijectors
from tfp_flows import errors
from tfp_flows.models import shapes


@dataclasses.dataclass(frozen=True)
class Stage:
  steps: int
  squeeze: bool = False
  leave: int = 0
  level: int = 0
  kind: str = ""


# (shape, name, stage, k) -> the layers of step k (counted within the stage)
# of `stage`, in order; the layers' names start with `name`.
StepFn = Callable[[tuple, str, Stage, int], List[bijectors.FlowBijector]]
# (shape, leaving channels, name, level) -> keyword arguments of FactorOut
# other than its shape, leaving channels, inner and name: prior_network_fn,
# and optionally mix and prior_scale.
SplitFn = Callable[[tuple, int, str, int], dict]


def build(event_shape, stages: Sequence[Stage], step_fn: StepFn,
          split_fn: SplitFn, name="level_0",
          scan_repeats=False) -> bijectors.Sequential:
  """The shape-preserving flow of `stages` on events of `event_shape`.

  `scan_repeats`: each level runs its identical steps as one traced loop
  (`bijectors.Sequential`).
  """
  stages = list(stages)
  check_event_shape(event_shape, stages)
  builder = _Builder(stages, step_fn, split_fn, scan_repeats)
  return bijectors.Sequential(
      builder.layers(tuple(int(d) for d in event_shape), 0),
      scan_repeats=scan_repeats, name=name)


def check_event_shape(event_shape, stages):
  """Raises a clear error, before building, if `stages` cannot take it."""
  if not stages:
    raise errors.ConfigError("A multi-scale flow needs at least one stage.")
  h, w, c = (int(d) for d in event_shape)
  squeezes = sum(stage.squeeze for stage in stages)
  if h % 2 ** squeezes or w % 2 ** squeezes:
    raise shapes.IncompatibleShapeError(
        f"The flow squeezes the image {squeezes} time(s), so height and width "
        f"must be divisible by {2 ** squeezes}; the data has shape "
        f"{tuple(event_shape)}.")
  for index, stage in enumerate(stages):
    if stage.squeeze:
      h, w, c = h // 2, w // 2, 4 * c
    if stage.leave:
      if index + 1 == len(stages):
        raise errors.ConfigError(
            "The last stage cannot let channels leave: nothing would stay.")
      if not 0 < stage.leave < c:
        raise errors.ConfigError(
            f"Stage {index} lets {stage.leave} of {c} channels leave; at "
            f"least one must leave and one stay.")
      c -= stage.leave


class _Builder:

  def __init__(self, stages, step_fn, split_fn, scan_repeats):
    self._stages = stages
    self._scan_repeats = scan_repeats
    self._step_fn = step_fn
    self._split_fn = split_fn
    self._steps_in_level = {}
    self._splits_in_level = {}

  def _next(self, counter, level):
    counter[level] = counter.get(level, -1) + 1
    return counter[level]

  def layers(self, shape, stage_index):
    """The layers of the stages from `stage_index` on, given `shape`."""
    stage = self._stages[stage_index]
    level = stage.level
    layers = []
    if stage.squeeze:
      layers.append(bijectors.Squeeze())
      shape = (shape[0] // 2, shape[1] // 2, 4 * shape[2])
    for k in range(stage.steps):
      name = f"level_{level}_step_{self._next(self._steps_in_level, level)}"
      layers += self._step_fn(shape, name, stage, k)
    if stage_index + 1 < len(self._stages):
      if stage.leave:
        stay = shape[:2] + (shape[2] - stage.leave,)
        j = self._next(self._splits_in_level, level)
        split_name = f"level_{level}_split_{j}"
        split_options = self._split_fn(shape, stage.leave, split_name, level)
        inner = bijectors.Sequential(
            self.layers(stay, stage_index + 1),
            scan_repeats=self._scan_repeats,
            name=f"level_{self._stages[stage_index + 1].level}")
        layers.append(bijectors.FactorOut(
            shape, stage.leave, inner=inner, name=split_name,
            **split_options))
      else:
        layers += self.layers(shape, stage_index + 1)
    if stage.squeeze:
      layers.append(bijectors.Unsqueeze())
    return layers


_SECTION = re.compile(r"^(.*?)_step_\d+")


def parameter_sections(flow):
  """`[(section, [modules])]` in flow order: levels, splits, other layers.

  The flow's layers are grouped by the level their name carries
  (`level_<l>_step_<k>` -> `level_<l>`); a `FactorOut` is a section of its
  own (its mix and prior) and its `inner` flow is walked on. Layers named
  otherwise (Flow++'s stages) are sections of their own.
  """
  sections = {}

  def walk(layers):
    for layer in layers:
      if isinstance(layer, bijectors.FactorOut):
        sections.setdefault(layer.name, []).extend(layer.own_modules())
        if layer.inner is not None:
          walk(_layers_of(layer.inner))
      elif layer.trainable_variables:
        match = _SECTION.match(layer.name)
        sections.setdefault(match.group(1) if match else layer.name,
                            []).append(layer)
  walk(_layers_of(flow))
  return list(sections.items())


def _layers_of(flow):
  return flow.layers if isinstance(flow, bijectors.Sequential) else [flow]

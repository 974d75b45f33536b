"""Counting the ops and FLOPs of a traced TensorFlow function.

Used by the benchmarks (the achieved fraction of the machine's matmul rate)
and by the tests (graphs that must not grow with their input).
"""

import collections
import math

# Ops that call other functions: their bodies are not in the graph's own
# operations, so a FLOP count that met one would be silently short.
_CALL_OPS = frozenset(["PartitionedCall", "StatefulPartitionedCall", "While",
                       "StatelessWhile", "If", "StatelessIf", "Case",
                       "StatelessCase"])


def op_counts(concrete_function):
  """`Counter` of op types in a traced function, nested bodies included.

  A `tf.while_loop`'s or `tf.cond`'s body is a function in the graph's
  library, not a node of the graph: counting both is what tells whether a
  graph grows with its input (a Python loop unrolled into it) or not.
  """
  graph_def = concrete_function.graph.as_graph_def()
  nodes = list(graph_def.node)
  for function in graph_def.library.function:
    nodes.extend(function.node_def)
  return collections.Counter(node.op for node in nodes)


def matmul_flops(concrete_function):
  """FLOPs of the convolutions and matrix products in a traced function.

  Counted from the static shapes of each op, 2 per multiply-add:

      Conv2D                2 * |output| * kh * kw * C_in
      Conv2DBackpropInput   2 * |output of the forward conv| * kh * kw * C
                            (a transposed convolution)
      MatMul, BatchMatMul   2 * batch * m * n * k
      Einsum (2 operands)   2 * product of every index's size

  Element-wise ops, reductions and small dense linear algebra (the 1x1
  convolution's log-determinant) are not counted: they are the "useful"
  FLOPs' overhead, not part of them. Raises `ValueError` on a dynamic shape
  or a call into another function (a loop or nested `tf.function`), whose
  arithmetic the count would miss.
  """
  total = 0
  for op in concrete_function.graph.get_operations():
    if op.type in _CALL_OPS:
      raise ValueError(f"Cannot count FLOPs through {op.type} op {op.name!r}: "
                       "its body is another function.")
    count = _FLOP_COUNTERS.get(op.type)
    if count is not None:
      total += count(op)
  return total


def _size(shape):
  dims = shape.as_list()
  if None in dims:
    raise ValueError(f"Cannot count FLOPs with a dynamic shape {shape}; trace "
                     "with fully known input shapes.")
  return math.prod(dims)


def _conv2d_flops(op):
  kernel_h, kernel_w, in_channels, _ = op.inputs[1].shape.as_list()
  return 2 * _size(op.outputs[0].shape) * kernel_h * kernel_w * in_channels


def _transposed_conv2d_flops(op):
  # inputs: (output sizes, filter [kh, kw, C_out, C_in], forward's output).
  kernel_h, kernel_w, out_channels, _ = op.inputs[1].shape.as_list()
  return 2 * _size(op.inputs[2].shape) * kernel_h * kernel_w * out_channels


def _matmul_flops(op):
  # The output's shape holds the batch, m and n; k is a's inner dimension.
  a = op.inputs[0].shape
  adjoint_a = op.get_attr("adj_x" if op.type.startswith("Batch")
                          else "transpose_a")
  inner = a[-2] if adjoint_a else a[-1]
  return 2 * _size(op.outputs[0].shape) * inner


def _einsum_flops(op):
  equation = op.get_attr("equation").decode()
  operands = equation.split("->")[0].split(",")
  if len(operands) != 2 or "." in equation:
    raise ValueError(f"Cannot count FLOPs of einsum {equation!r}: only "
                     "two-operand einsums without an ellipsis are counted.")
  sizes = {}
  for labels, tensor in zip(operands, op.inputs):
    dims = tensor.shape.as_list()
    if None in dims:
      raise ValueError(f"Cannot count FLOPs with a dynamic shape in einsum "
                       f"{op.name!r}.")
    sizes.update(zip(labels, dims))
  return 2 * math.prod(sizes.values())


_FLOP_COUNTERS = {
    "Conv2D": _conv2d_flops,
    "Conv2DBackpropInput": _transposed_conv2d_flops,
    "MatMul": _matmul_flops,
    "BatchMatMul": _matmul_flops,
    "BatchMatMulV2": _matmul_flops,
    "BatchMatMulV3": _matmul_flops,
    "Einsum": _einsum_flops,
}

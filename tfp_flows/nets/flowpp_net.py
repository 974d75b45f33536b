"""Flow++'s conditioning networks: gated residual convs and self-attention.

Ho et al. (2019), section 3.3, as the authors' code builds them (no weight
normalisation: every conv has W and b only, set by data-dependent init).

    coupling network:  3x3 conv C -> F
                       B x [gated conv, LayerNorm, gated attention, LayerNorm]
                       3x3 conv F -> output channels (init scale 0.1)
    gated conv:        x + GLU(1x1(dropout(concat_elu(3x3(concat_elu(x))
                                 [+ 1x1(concat_elu(context))]))))
    gated attention:   x + GLU(1x1(dropout(MHA(1x1 to q, k, v of
                                 x + position embedding))))

`attention=False` removes the attention sub-block, its LayerNorm and the
position embedding (the paper's "no attention" ablation).
"""

import tensorflow as tf
import tf_keras

from tfp_flows import recomputation
from tfp_flows import scanning
from tfp_flows.nets import layers

# The output conv starts small so every coupling starts near the identity.
OUTPUT_INIT_SCALE = 0.1


def _glu(x):
  a, b = tf.split(x, 2, axis=-1)
  return a * tf.sigmoid(b)


class GatedConv(tf_keras.layers.Layer):
  """Gated residual convolution, optionally conditioned on a context.

  Args:
    filters: F, the residual stream's channels.
    dropout: dropout rate after the first conv.
    gate_kernel_size: 1 in the coupling networks; 3 in the dequantizer's
      context network.
    use_context: add `1x1(concat_elu(context))` after the first conv.
  """

  def __init__(self, filters, dropout=0.0, gate_kernel_size=1,
               use_context=False, name=None):
    super().__init__(name=name)
    self.conv = layers.DataInitConv2D(filters, 3, name="conv")
    self.context_proj = (layers.DataInitConv2D(filters, 1, name="context")
                         if use_context else None)
    self.dropout = tf_keras.layers.Dropout(dropout)
    self.gate = layers.DataInitConv2D(2 * filters, gate_kernel_size,
                                      name="gate")

  def call(self, x, context=None, training=False):
    h = self.conv(layers.concat_elu(x))
    if self.context_proj is not None:
      if context is None:
        raise ValueError(f"{self.name} is conditional: pass a context.")
      h += self.context_proj(layers.concat_elu(context))
    h = self.dropout(layers.concat_elu(h), training=training)
    return x + _glu(self.gate(h))


def _attend(q, k, v):
  """`softmax(q k^T / sqrt(depth)) v` over the last two axes."""
  depth = tf.cast(tf.shape(q)[-1], q.dtype)
  # Scaling the queries, not their products with the keys, touches
  # positions x depth numbers rather than positions^2.
  weights = tf.nn.softmax(
      tf.matmul(q * tf.math.rsqrt(depth), k, transpose_b=True), axis=-1)
  return tf.matmul(weights, v)


class GatedAttention(tf_keras.layers.Layer):
  """Gated residual multi-head self-attention over all H x W positions."""

  def __init__(self, filters, heads=4, dropout=0.0, name=None):
    super().__init__(name=name)
    if filters % heads:
      raise ValueError(
          f"Attention over {filters} channels cannot split into {heads} "
          f"heads evenly.")
    self.heads = int(heads)
    self.qkv = layers.DataInitConv2D(3 * filters, 1, name="qkv")
    self.dropout = tf_keras.layers.Dropout(dropout)
    self.gate = layers.DataInitConv2D(2 * filters, 1, name="gate")

  def _split_heads(self, t, shape):
    n, h, w, f = shape[0], shape[1], shape[2], t.shape[-1]
    t = tf.reshape(t, [n, h * w, self.heads, f // self.heads])
    return tf.transpose(t, [0, 2, 1, 3])

  def call(self, x, position_embedding, training=False):
    shape = tf.shape(x)
    q, k, v = tf.split(self.qkv(x + position_embedding), 3, axis=-1)
    q, k, v = (self._split_heads(t, shape) for t in (q, k, v))
    # The weights are heads x positions^2 numbers per image, far more than
    # q, k and v: the backward pass recomputes them rather than keep them.
    attended = recomputation.recomputing(_attend)(q, k, v)
    attended = tf.transpose(attended, [0, 2, 1, 3])
    attended = tf.reshape(attended, shape)
    attended = self.dropout(attended, training=training)
    return x + _glu(self.gate(attended))


class _Block(tf_keras.layers.Layer):
  """Gated conv -> LayerNorm [-> gated attention -> LayerNorm]."""

  def __init__(self, filters, attention, heads, dropout, use_context,
               name=None):
    super().__init__(name=name)
    self.conv = GatedConv(filters, dropout, use_context=use_context,
                          name="gated_conv")
    self.conv_norm = tf_keras.layers.LayerNormalization(
        epsilon=1e-5, name="conv_norm")
    self.attention = (GatedAttention(filters, heads, dropout,
                                     name="attention") if attention else None)
    self.attention_norm = (tf_keras.layers.LayerNormalization(
        epsilon=1e-5, name="attention_norm") if attention else None)

  def call(self, x, position_embedding, context=None, training=False):
    x = self.conv_norm(self.conv(x, context=context, training=training))
    if self.attention is not None:
      x = self.attention_norm(
          self.attention(x, position_embedding, training=training))
    return x


class FlowppNet(tf_keras.layers.Layer):
  """Flow++'s coupling network (see the module docstring).

  Args:
    output_channels: channels of the output (the coupling's parameters).
    hidden_channels: F.
    num_blocks: B.
    attention: include the gated self-attention (and position embedding).
    heads: attention heads (they do not change the parameter count).
    dropout: dropout rate in the gated convs and attention.
    use_context: condition every block on a context `[N, H, W, c]` of the
      input's spatial size (the dequantization flow).
    scan_blocks: run the B identical blocks as one traced loop
      (`scanning.run_repeated`).
  """

  def __init__(self, output_channels, hidden_channels=96, num_blocks=10,
               attention=True, heads=4, dropout=0.2, use_context=False,
               scan_blocks=False, name=None):
    super().__init__(name=name)
    self.scan_blocks = bool(scan_blocks)
    self.hidden_channels = int(hidden_channels)
    self.use_attention = bool(attention)
    self.proj_in = layers.DataInitConv2D(hidden_channels, 3, name="proj_in")
    self.blocks = [
        _Block(hidden_channels, attention, heads, dropout, use_context,
               name=f"block_{i}") for i in range(num_blocks)]
    self.proj_out = layers.DataInitConv2D(
        output_channels, 3, init_scale=OUTPUT_INIT_SCALE, name="proj_out")

  def build(self, input_shape):
    # One learned position embedding per network, shared by its blocks.
    self.position_embedding = None
    if self.use_attention:
      self.position_embedding = self.add_weight(
          name="position_embedding",
          shape=[int(input_shape[1]), int(input_shape[2]),
                 self.hidden_channels],
          initializer=tf_keras.initializers.RandomNormal(stddev=0.01))

  def call(self, x, context=None, training=False):
    h = scanning.run_repeated(
        self.blocks,
        lambda block, h: block(h, self.position_embedding, context=context,
                               training=training),
        self.proj_in(x), scan=self.scan_blocks)
    return self.proj_out(h)


class ContextNet(tf_keras.layers.Layer):
  """The dequantizer's context network: 3x3 conv in, gated convs (3x3 gates).

  No attention and no LayerNorm, as in the authors' code.
  """

  def __init__(self, hidden_channels=32, num_blocks=3, dropout=0.2,
               scan_blocks=False, name=None):
    super().__init__(name=name)
    self.scan_blocks = bool(scan_blocks)
    self.proj_in = layers.DataInitConv2D(hidden_channels, 3, name="proj_in")
    self.blocks = [GatedConv(hidden_channels, dropout, gate_kernel_size=3,
                             name=f"gated_conv_{i}")
                   for i in range(num_blocks)]

  def call(self, x, training=False):
    return scanning.run_repeated(
        self.blocks, lambda block, h: block(h, training=training),
        self.proj_in(x), scan=self.scan_blocks)

